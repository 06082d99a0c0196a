//! The desktop manners of an installed app, in the real window: one instance at a time (a
//! second launch hands over to the first and ends), the window where it was left (kept when
//! the session ends too), and the About box with the version and the third-party notices.

use std::process::Command;
use std::time::{Duration, Instant};

use webinar_desk_tests::desktop::{
    Desktop, app_binary, app_processes, quit, screenshot, wait_for, wait_for_text,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_launch_shows_the_running_window_and_ends() {
    let scratch = tempfile::tempdir().unwrap();
    let mut desktop = Desktop::start(scratch.path());
    let app = desktop.launch(&["--demo"]).await;
    wait_for_text(&app, "#sign-in", |t| t.contains("demo tenant")).await;

    let mut second = desktop.spawn_beside(&app_binary(), &["--demo"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = second.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = second.kill();
            panic!(
                "the second launch was still running after 30 s: it did not hand over to the first"
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "the second launch ended with {status}");

    // The first window is still the one answering, and it heard about the second launch.
    wait_for_text(&app, "#sign-in", |t| t.contains("demo tenant")).await;
    let logs = desktop.home.join("logs");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text: String = std::fs::read_dir(&logs)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .collect();
        if text.contains("a second launch: showing the running window instead") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the running app's log in {} does not mention the second launch",
            logs.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    quit(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_about_box_names_the_version_and_opens_the_third_party_notices() {
    let scratch = tempfile::tempdir().unwrap();
    let mut desktop = Desktop::start(scratch.path());
    let app = desktop.launch(&["--demo"]).await;
    wait_for(&app, "#open-about").await.click().await.unwrap();
    let version = wait_for_text(&app, "#about-version", |t| t.starts_with("Version")).await;
    assert_eq!(
        version,
        format!("Version {}", env!("CARGO_PKG_VERSION")),
        "the About box's version is the workspace's"
    );
    screenshot(&app, "05-about").await;
    wait_for(&app, "#about-notices")
        .await
        .click()
        .await
        .unwrap();
    let opened = desktop.browser_url().await;
    assert!(
        opened.ends_with("THIRD-PARTY-NOTICES.html"),
        "the notices button opened {opened}"
    );
    let html = std::fs::read_to_string(&opened).expect("the notices file the app opened");
    assert!(
        html.contains("Third-party notices"),
        "{opened} is not the notices"
    );
    quit(app).await;
}

/// The window opens as large as the organizer left it (kept beside the settings).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_opens_at_the_size_it_was_left() {
    let scratch = tempfile::tempdir().unwrap();
    let mut desktop = Desktop::start(scratch.path());
    let app = desktop.launch(&["--demo"]).await;
    wait_for_text(&app, "#sign-in", |t| t.contains("demo tenant")).await;
    app.set_window_size(1000, 640).await.unwrap();
    let (_, _, width, height) = app.get_window_rect().await.unwrap();
    assert_eq!((width, height), (1000, 640), "the window took the new size");
    // The session ends (logging out sends SIGTERM): the app closes as if its window were
    // closed, and keeps the window's size.
    for pid in app_processes(&app_binary(), &desktop.home) {
        Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
    }
    let saved = desktop.home.join("config/window-state.json");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !saved.exists() {
        assert!(
            Instant::now() < deadline,
            "no window state saved at {}",
            saved.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    quit(app).await;

    let app = desktop.launch(&["--demo"]).await;
    wait_for_text(&app, "#sign-in", |t| t.contains("demo tenant")).await;
    let (_, _, width, height) = app.get_window_rect().await.unwrap();
    assert_eq!(
        (width, height),
        (1000, 640),
        "the window did not open at the size it was left ({})",
        std::fs::read_to_string(&saved).unwrap_or_default()
    );
    quit(app).await;
}
