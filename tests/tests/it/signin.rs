//! The interactive sign-in: PKCE, state, the loopback listener, Entra's errors.

use std::sync::Arc;
use std::time::Duration;

use webinar_desk_core::ErrorKind;
use webinar_desk_core::auth::loopback::Loopback;
use webinar_desk_core::auth::{self, AuthError, MemoryKeychain, Secret, SignInOptions};
use webinar_desk_core::config::Profile;
use webinar_desk_core::desk::Connection;
use webinar_desk_tests::{Home, browser_as, desk, settings_for, start_tenant};

#[tokio::test]
async fn the_real_flow_signs_in_and_files_the_refresh_token_in_the_keychain() {
    let sim = start_tenant(20).await;
    let home = Home::new();
    let keychain = Arc::new(MemoryKeychain::default());
    let desk = desk(&home, &sim, keychain.clone());
    let browser = browser_as("organizer");
    let status = desk
        .sign_in(&SignInOptions::default(), &browser)
        .await
        .expect("sign-in");
    let account = status.account.expect("an account after sign-in");
    assert_eq!(account.display_name, "Megan Bowen");
    assert_eq!(account.tenant_id, sim.tenant_id());
    assert_eq!(status.connection, Connection::Online);
    assert_eq!(status.profile, Profile::Configured);
    assert_eq!(
        keychain.len(),
        1,
        "exactly one keychain entry: the refresh token"
    );
}

/// Gets an authorization code the way a browser would, without following the redirect.
async fn code_for(sim: &tenant_sim::SimHandle, challenge_of: &str, redirect_uri: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(challenge_of.as_bytes()));
    let mut url = url::Url::parse(&format!(
        "{}/{}/oauth2/v2.0/authorize",
        sim.authority_url(),
        sim.tenant_id()
    ))
    .unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", sim.desktop_client_id())
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", redirect_uri)
        .append_pair(
            "scope",
            &format!("openid profile offline_access {}", sim.companion_scope()),
        )
        .append_pair("state", "s1")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("prompt", "none")
        .append_pair("login_hint", "organizer");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 302, "authorize answers with a redirect");
    let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("a code in the redirect")
}

#[tokio::test]
async fn a_pkce_verifier_that_does_not_match_is_refused_by_entra() {
    let sim = start_tenant(20).await;
    let config = settings_for(&sim).validate().unwrap();
    let redirect_uri = "http://localhost:5555/";
    let right = "a".repeat(43);
    let code = code_for(&sim, &right, redirect_uri).await;
    let http = auth::http_client();
    let err = auth::redeem_code(
        &config,
        &http,
        redirect_uri,
        &code,
        &Secret::new("b".repeat(43)),
    )
    .await
    .unwrap_err();
    let AuthError::Entra(entra) = &err else {
        panic!("expected Entra's refusal, got {err:?}")
    };
    assert_eq!(
        (entra.error.as_str(), entra.aadsts()),
        ("invalid_grant", Some(501481)),
        "{entra:?}"
    );
    assert!(
        err.to_string().contains("Code_Verifier does not match"),
        "message names the cause: {err}"
    );

    // The code is single-use even after a failed redemption, as Entra's are.
    let again = auth::redeem_code(&config, &http, redirect_uri, &code, &Secret::new(right))
        .await
        .unwrap_err();
    assert!(
        matches!(&again, AuthError::Entra(e) if e.aadsts() == Some(54005)),
        "{again:?}"
    );
}

#[tokio::test]
async fn the_right_verifier_redeems_the_code_for_all_three_tokens() {
    let sim = start_tenant(20).await;
    let config = settings_for(&sim).validate().unwrap();
    let verifier = "v".repeat(64);
    let code = code_for(&sim, &verifier, "http://localhost:5556/").await;
    let tokens = auth::redeem_code(
        &config,
        &auth::http_client(),
        "http://localhost:5556/",
        &code,
        &Secret::new(verifier),
    )
    .await
    .unwrap();
    assert!(tokens.refresh_token.is_some() && tokens.id_token.is_some());
    assert!(tokens.expires_at > chrono::Utc::now() + chrono::Duration::minutes(50));
}

async fn get(port: u16, path_and_query: &str) -> (u16, String) {
    let r = reqwest::get(format!("http://127.0.0.1:{port}{path_and_query}"))
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn a_redirect_with_the_wrong_state_ends_the_sign_in() {
    let listener = Loopback::bind().await.unwrap();
    let port = listener.port();
    let waiting = tokio::spawn(listener.wait("expected-state", Duration::from_secs(10)));
    // A browser's favicon request must not end or break the wait.
    assert_eq!(get(port, "/favicon.ico").await.0, 404);
    let (status, page) = get(port, "/?code=stolen&state=forged").await;
    assert_eq!(status, 400);
    assert!(
        page.contains("does not belong"),
        "the page tells the user why: {page}"
    );
    let result = waiting.await.unwrap();
    assert!(
        matches!(result, Err(AuthError::StateMismatch)),
        "{result:?}"
    );
}

#[tokio::test]
async fn the_listener_returns_the_code_and_thanks_the_browser() {
    let listener = Loopback::bind().await.unwrap();
    let port = listener.port();
    assert!(listener.redirect_uri().starts_with("http://localhost:"));
    let waiting = tokio::spawn(listener.wait("st", Duration::from_secs(10)));
    let (status, page) = get(port, "/?code=c0de&state=st").await;
    assert_eq!(status, 200);
    assert!(page.contains("close this tab"), "{page}");
    assert_eq!(waiting.await.unwrap().unwrap(), "c0de");
}

#[tokio::test]
async fn the_listener_gives_up_after_its_timeout_and_says_so() {
    let listener = Loopback::bind().await.unwrap();
    let err = listener
        .wait("st", Duration::from_millis(200))
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::TimedOut(_)), "{err:?}");
}

#[tokio::test]
async fn declining_in_the_browser_is_reported_as_not_completed() {
    let listener = Loopback::bind().await.unwrap();
    let port = listener.port();
    let waiting = tokio::spawn(listener.wait("st", Duration::from_secs(10)));
    get(
        port,
        "/?error=access_denied&error_description=AADSTS65004%3A+declined&state=st",
    )
    .await;
    let err = waiting.await.unwrap().unwrap_err();
    assert!(err.to_string().contains("AADSTS65004"), "{err}");
}

#[tokio::test]
async fn an_unknown_account_hint_with_prompt_none_needs_an_interactive_sign_in() {
    let sim = start_tenant(20).await;
    let home = Home::new();
    let desk = desk(&home, &sim, Arc::new(MemoryKeychain::default()));
    let browser = browser_as("nobody@elsewhere.example");
    let options = SignInOptions {
        timeout: Duration::from_secs(10),
        ..SignInOptions::default()
    };
    let err = desk.sign_in(&options, &browser).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SignInFailed, "{err}");
    assert!(err.to_string().contains("login_required"), "{err}");
}
