//! Updates end to end, in the app as the deb installs it, against a local update feed: a newer
//! version signed with the app's key is found, verified, handed to the system's package
//! installer and the app relaunches; a tampered package or one signed with another key is
//! refused and nothing is installed; with nothing newer the app says it is up to date.
//!
//! Fakes at process boundaries only: the feed (wiremock on loopback), the package installer
//! (`pkexec` on the app's PATH records what it was asked to install), the signing keys (made
//! with Tauri's own `signer`, as a release is signed).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use fantoccini::Client;
use webinar_desk_tests::desktop::{Desktop, app_processes, quit, wait_for, wait_for_text};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn tauri_cli(args: &[&str], dir: &Path) -> String {
    let cli = webinar_desk_tests::workspace_root().join("ui/node_modules/@tauri-apps/cli/tauri.js");
    let out = Command::new("node")
        .arg(&cli)
        .args(args)
        .current_dir(dir)
        .env("TAURI_SIGNING_PRIVATE_KEY_PASSWORD", "")
        .env_remove("TAURI_SIGNING_PRIVATE_KEY")
        .output()
        .expect("node runs Tauri's CLI (npm ci in ui/)");
    assert!(
        out.status.success(),
        "tauri {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A signing key pair made as a release's is: (private key file, public key).
fn key_pair(dir: &Path, name: &str) -> (PathBuf, String) {
    let key = dir.join(name);
    tauri_cli(
        &[
            "signer",
            "generate",
            "--ci",
            "-p",
            "",
            "-w",
            key.to_str().unwrap(),
        ],
        dir,
    );
    let public = std::fs::read_to_string(dir.join(format!("{name}.pub"))).unwrap();
    (key, public.trim().to_string())
}

fn sign(file: &Path, key: &Path) -> String {
    tauri_cli(
        &[
            "signer",
            "sign",
            "-f",
            key.to_str().unwrap(),
            "-p",
            "",
            file.to_str().unwrap(),
        ],
        file.parent().unwrap(),
    );
    std::fs::read_to_string(file.with_extension("deb.sig")).unwrap()
}

/// A small real deb standing in for the next version's package.
fn next_version_deb(dir: &Path) -> PathBuf {
    let root = dir.join("pkg");
    std::fs::create_dir_all(root.join("DEBIAN")).unwrap();
    std::fs::create_dir_all(root.join("usr/share/doc/webinar-desk-next")).unwrap();
    std::fs::write(
        root.join("DEBIAN/control"),
        "Package: webinar-desk-next\nVersion: 9.9.9\nArchitecture: all\nMaintainer: Test <test@example.com>\nDescription: The update under test.\n",
    )
    .unwrap();
    std::fs::write(
        root.join("usr/share/doc/webinar-desk-next/README"),
        "9.9.9\n",
    )
    .unwrap();
    let deb = dir.join("webinar-desk_9.9.9_amd64.deb");
    let status = Command::new("dpkg-deb")
        .args(["--build", "--root-owner-group"])
        .arg(&root)
        .arg(&deb)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "dpkg-deb --build");
    deb
}

/// Serves `latest.json` announcing `version` with this signature, and `package` as its file.
async fn feed(version: &str, signature: &str, package: Vec<u8>) -> MockServer {
    let server = MockServer::start().await;
    let manifest = serde_json::json!({
        "version": version,
        "notes": "Faster sync.\nA clearer drift panel.",
        "pub_date": "2026-12-01T09:00:00Z",
        "platforms": {
            "linux-x86_64-deb": {
                "signature": signature,
                "url": format!("{}/download/webinar-desk_{version}_amd64.deb", server.uri()),
            }
        }
    });
    Mock::given(method("GET"))
        .and(path("/latest.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(manifest))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/download/webinar-desk_{version}_amd64.deb")))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(package))
        .mount(&server)
        .await;
    server
}

/// The app as the debug deb installs it (its bundle type says deb), in a fresh desktop whose
/// `pkexec` records what it is asked to install.
struct Installed {
    desktop: Desktop,
    binary: PathBuf,
    installer_log: PathBuf,
    _scratch: tempfile::TempDir,
}

fn installed(public_key: &str, feed: &MockServer) -> Installed {
    let deb = crate::package::package("WEBINAR_DESK_TEST_DEB", "deb");
    let scratch = tempfile::tempdir().unwrap();
    let root = scratch.path().join("installed");
    crate::package::unpack(&deb, &root);
    let mut desktop = Desktop::start(scratch.path());
    let installer_log = scratch.path().join("pkexec.log");
    desktop.add_program(
        "pkexec",
        "#!/bin/sh\nprintf '%s\\n' \"$*\" >> \"$WD_E2E_PKEXEC_LOG\"\ncp \"$3\" \"$WD_E2E_PKEXEC_LOG.pkg\"\n",
    );
    desktop.set_env("WD_E2E_PKEXEC_LOG", installer_log.to_str().unwrap());
    desktop.set_env(
        "WEBINAR_DESK_UPDATE_FEED",
        &format!("{}/latest.json", feed.uri()),
    );
    desktop.set_env("WEBINAR_DESK_UPDATE_PUBKEY", public_key);
    Installed {
        desktop,
        binary: root.join("usr/bin/webinar-desk"),
        installer_log,
        _scratch: scratch,
    }
}

async fn check_from_the_about_box(app: &Client) {
    wait_for(app, "#open-about").await.click().await.unwrap();
    wait_for(app, "#about-check-update")
        .await
        .click()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_signed_version_is_verified_installed_and_the_app_relaunches() {
    let keys = tempfile::tempdir().unwrap();
    let (key, public) = key_pair(keys.path(), "release.key");
    let deb = next_version_deb(keys.path());
    let signature = sign(&deb, &key);
    let package = std::fs::read(&deb).unwrap();
    let server = feed("9.9.9", &signature, package.clone()).await;
    let mut app = installed(&public, &server);

    let client = app.desktop.launch_binary(&app.binary, &["--demo"]).await;
    let first = app_processes(&app.binary, &app.desktop.home);
    check_from_the_about_box(&client).await;
    let offer = wait_for_text(&client, "#update-available", |t| t.contains("9.9.9")).await;
    assert!(
        offer.contains("Webinar Desk 9.9.9 is available") && offer.contains("you have 0.1.0"),
        "{offer}"
    );
    webinar_desk_tests::desktop::screenshot(&client, "06-update-available").await;
    wait_for(&client, "#update-install")
        .await
        .click()
        .await
        .unwrap();

    // The system's installer was handed exactly the signed package, and the app started again.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let log = std::fs::read_to_string(&app.installer_log).unwrap_or_default();
        let relaunched = app_processes(&app.binary, &app.desktop.home)
            .iter()
            .any(|pid| !first.contains(pid));
        if log.starts_with("dpkg -i ") && relaunched {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "after Install: installer log {log:?}, app processes before {first:?}, now {:?}",
            app_processes(&app.binary, &app.desktop.home)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let installed = std::fs::read(app.installer_log.with_extension("log.pkg")).unwrap();
    assert!(
        installed == package,
        "the installer got other bytes than the signed package"
    );
    let _ = tokio::time::timeout(Duration::from_secs(5), client.close()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_package_or_another_keys_signature_is_refused_and_nothing_installed() {
    let keys = tempfile::tempdir().unwrap();
    let (key, public) = key_pair(keys.path(), "release.key");
    let (other_key, _) = key_pair(keys.path(), "other.key");
    let deb = next_version_deb(keys.path());
    let genuine = std::fs::read(&deb).unwrap();
    let signature = sign(&deb, &key);
    let mut tampered = genuine.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 0x01;
    let other_signature = sign(&deb, &other_key);

    for (case, signature, package) in [
        ("tampered package", signature, tampered),
        ("signed with another key", other_signature, genuine),
    ] {
        let server = feed("9.9.9", &signature, package).await;
        let mut app = installed(&public, &server);
        let client = app.desktop.launch_binary(&app.binary, &["--demo"]).await;
        check_from_the_about_box(&client).await;
        wait_for_text(&client, "#update-available", |t| t.contains("9.9.9")).await;
        wait_for(&client, "#update-install")
            .await
            .click()
            .await
            .unwrap();
        let refusal = wait_for_text(&client, "#update-error", |t| !t.is_empty()).await;
        assert!(
            refusal.starts_with("The update was refused: its signature does not match")
                && refusal.contains("Nothing was installed"),
            "{case}: {refusal}"
        );
        assert!(
            !app.installer_log.exists(),
            "{case}: the installer was called: {:?}",
            std::fs::read_to_string(&app.installer_log)
        );
        quit(client).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_nothing_newer_the_app_says_it_is_up_to_date() {
    let keys = tempfile::tempdir().unwrap();
    let (key, public) = key_pair(keys.path(), "release.key");
    let deb = next_version_deb(keys.path());
    let signature = sign(&deb, &key);
    let server = feed("0.0.9", &signature, std::fs::read(&deb).unwrap()).await;
    let mut app = installed(&public, &server);
    let client = app.desktop.launch_binary(&app.binary, &["--demo"]).await;
    check_from_the_about_box(&client).await;
    let said = wait_for_text(&client, "#update-status", |t| !t.starts_with("Looking")).await;
    assert_eq!(said, "You're up to date (version 0.1.0).");
    quit(client).await;
}
