//! End to end: the real app in a real window, driven through WebDriver, against a simulated
//! tenant. Screenshots land in `test-artifacts/e2e/`.

use fantoccini::Locator;
use webinar_desk_tests::desktop::{
    Desktop, TenantProcess, complete_sign_in, quit, screenshot, text_of, wait_for, wait_for_text,
    wait_for_webinars,
};

/// Sign in to the organization's (simulated) tenant through the real flow, see the webinars,
/// quit; relaunch and be signed in silently from the real keychain; stop the tenant, relaunch
/// and browse the cached list marked offline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_see_webinars_then_browse_offline_from_the_cache() {
    let scratch = tempfile::tempdir().unwrap();
    let mut desktop = Desktop::start(scratch.path());
    let tenant = TenantProcess::start(&scratch.path().join("tenant"));
    // The organizer's IT department configured the tenant (settings file, no secrets).
    let settings = serde_json::json!({"tenant": tenant.describe});
    let settings: toml::Value = serde_json::from_value(settings).unwrap();
    std::fs::create_dir_all(desktop.home.join("config")).unwrap();
    std::fs::write(
        desktop.home.join("config/settings.toml"),
        toml::to_string(&settings).unwrap(),
    )
    .unwrap();

    let app = desktop.launch(&[]).await;
    wait_for(&app, "#sign-in").await.click().await.unwrap();
    let url = desktop.browser_url().await;
    assert!(
        url.contains("code_challenge_method=S256") && url.contains("state="),
        "{url}"
    );
    complete_sign_in(&url, "organizer").await;

    let count = wait_for_webinars(&app).await;
    let rows = app.find_all(Locator::Css("tbody tr")).await.unwrap().len();
    assert!(
        rows >= 30,
        "dozens of seeded webinars in the table, got {rows} ({count})"
    );
    let body = text_of(&app, "main").await;
    assert!(
        body.contains("Power BI for Marketing — Session 1"),
        "{body}"
    );
    assert!(
        body.contains("Co-organizer") && body.contains("Organizer"),
        "both roles are shown"
    );
    assert_eq!(
        wait_for_text(&app, "#connection-state", |t| t == "Online").await,
        "Online"
    );
    screenshot(&app, "01-signed-in-webinars").await;
    quit(app).await;

    // Relaunch with the tenant up: the refresh token from the keychain signs in silently.
    let app = desktop.launch(&[]).await;
    wait_for_text(&app, "#connection-state", |t| t == "Online").await;
    assert_eq!(
        app.find_all(Locator::Css("tbody tr")).await.unwrap().len(),
        rows
    );
    quit(app).await;

    // Relaunch with the tenant stopped: the cached list, marked offline with its age.
    drop(tenant);
    let app = desktop.launch(&[]).await;
    wait_for_text(&app, "#connection-state", |t| t == "Offline").await;
    let banner = wait_for(&app, "#offline-banner")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        banner.contains("Offline") && banner.contains("local copy from"),
        "{banner}"
    );
    assert_eq!(
        app.find_all(Locator::Css("tbody tr")).await.unwrap().len(),
        rows,
        "the whole cached list"
    );
    screenshot(&app, "02-offline-cached-list").await;
    quit(app).await;
}

/// `--demo` starts on the built-in tenant; without it, the "Try the demo tenant" button does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_tenant_from_the_flag_and_from_the_button() {
    let scratch = tempfile::tempdir().unwrap();
    let mut desktop = Desktop::start(scratch.path());

    let app = desktop.launch(&[]).await;
    let sign_in = wait_for(&app, "#sign-in").await;
    assert_eq!(
        sign_in.attr("disabled").await.unwrap().as_deref(),
        Some("true"),
        "not configured yet"
    );
    screenshot(&app, "03-welcome-not-configured").await;
    wait_for(&app, "#try-demo").await.click().await.unwrap();
    wait_for_text(&app, "#sign-in", |t| t.contains("demo tenant"))
        .await
        .to_string();
    app.find(Locator::Css("#sign-in"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    complete_sign_in(&desktop.browser_url().await, "coorganizer").await;
    wait_for_webinars(&app).await;
    let header = text_of(&app, "header").await;
    assert!(
        header.contains("Demo tenant") && header.contains("Adele Vance"),
        "{header}"
    );
    quit(app).await;

    let app = desktop.launch(&["--demo"]).await;
    // The demo tenant kept its key, so Adele's saved sign-in still works after a restart.
    wait_for_text(&app, "#connection-state", |t| t == "Online").await;
    wait_for_webinars(&app).await;
    screenshot(&app, "04-demo-flag-signed-in").await;
    quit(app).await;
}
