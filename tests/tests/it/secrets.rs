//! No secret at rest outside the keychain: after a sign-in and a sync, nothing in SQLite,
//! config, state or the log contains a token.

use std::sync::Arc;

use webinar_desk_core::auth::{Keychain, MemoryKeychain};
use webinar_desk_tests::{Home, files_below, signed_in, start_tenant};

/// True if `text` contains something shaped like a JWT (three base64url parts, the first a
/// JSON header): every token the tenant issues is one.
fn has_jwt(text: &str) -> bool {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
        .any(|word| word.starts_with("eyJ") && word.split('.').count() == 3 && word.len() > 60)
}

#[tokio::test(flavor = "current_thread")]
async fn no_token_reaches_sqlite_config_state_or_logs() {
    // Everything logged on this (the test's only) thread, as the app's log file would get it.
    let log = webinar_desk_tests::LogCapture::start();

    let sim = start_tenant(5).await;
    let home = Home::new();
    let keychain = Arc::new(MemoryKeychain::default());
    let desk = signed_in(&home, &sim, keychain.clone(), "organizer").await;
    desk.sync_webinars(chrono::Utc::now()).await.unwrap();
    let account = desk.status().await.account.unwrap();
    let refresh_token = keychain
        .load(&account.key())
        .unwrap()
        .expect("refresh token in the keychain");
    // The status and errors the UI sees must not carry tokens either.
    let status_text = format!("{:?}", desk.status().await);
    drop(desk);

    let files = files_below(home.path());
    assert!(
        files
            .iter()
            .any(|f| f.extension().is_some_and(|e| e == "sqlite3")),
        "{files:?}"
    );
    assert!(files.iter().any(|f| f.ends_with("state.toml")), "{files:?}");
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(refresh_token.expose()),
            "{} contains the refresh token",
            file.display()
        );
        assert!(!has_jwt(&text), "{} contains a token", file.display());
    }
    let logged = log.text();
    assert!(
        logged.contains("client_request_id"),
        "Graph calls are logged with their ids: {logged}"
    );
    assert!(
        !has_jwt(&logged) && !logged.contains(refresh_token.expose()),
        "a token was logged"
    );
    assert!(!has_jwt(&status_text), "{status_text}");
}

#[test]
fn the_jwt_detector_detects() {
    assert!(has_jwt(
        "token=eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.c2lnbmF0dXJlc2lnbmF0dXJl ok"
    ));
    assert!(!has_jwt("eyJ only a prefix"));
}
