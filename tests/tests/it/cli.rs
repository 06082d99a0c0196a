//! `webinar-desk-cli` as a script would use it, against the simulated tenant, with the real
//! Secret Service keyring.

use std::io::Write;
use std::process::{Output, Stdio};

use webinar_desk_tests::desktop::{cli_binary, complete_sign_in, with_keyring};
use webinar_desk_tests::start_tenant;

struct Cli {
    scratch: tempfile::TempDir,
}

impl Cli {
    fn command(&self, args: &[&str]) -> std::process::Command {
        let bin = cli_binary();
        assert!(
            bin.is_file(),
            "the CLI is not built at {}: run `cargo xtask test`",
            bin.display()
        );
        let mut c = with_keyring(&self.scratch.path().join("keyring"), &bin, args);
        c.env("WEBINAR_DESK_HOME", self.scratch.path().join("home"))
            .env("BROWSER", self.scratch.path().join("browser"))
            .env("RUST_LOG", "warn");
        c
    }

    async fn run(&self, args: &[&str]) -> Output {
        self.run_logging(args, "warn").await
    }

    async fn run_logging(&self, args: &[&str], filter: &str) -> Output {
        let mut c = self.command(args);
        c.env("RUST_LOG", filter);
        tokio::task::spawn_blocking(move || c.output().expect("the CLI runs"))
            .await
            .unwrap()
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configure_sign_in_list_with_sync_and_from_the_cache_offline() {
    let sim = start_tenant(6).await;
    let cli = Cli {
        scratch: tempfile::tempdir().unwrap(),
    };
    let url_file = cli.scratch.path().join("browser.url");
    let browser = cli.scratch.path().join("browser");
    std::fs::write(
        &browser,
        format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n", url_file.display()),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    let mut config = cli.command(&["config", "from-tenant-sim"]);
    let mut child = config
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{}", sim.describe()).unwrap();
    assert!(child.wait().unwrap().success());

    let sign_in = cli
        .command(&["sign-in", "--login-hint", "organizer"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let url = loop {
        if let Ok(u) = std::fs::read_to_string(&url_file)
            && !u.is_empty()
        {
            break u;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the CLI never opened the browser"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    complete_sign_in(&url, "organizer").await;
    let out = tokio::task::spawn_blocking(move || sign_in.wait_with_output().unwrap())
        .await
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("Signed in as Megan Bowen"),
        "{}",
        text(&out.stdout)
    );

    // One transient failure on the way: the read is retried, and both attempts are logged.
    sim.inject_graph_fault(tenant_sim::GraphFault::status(
        "getByUserRole(role='organizer')",
        503,
        "ServiceUnavailable",
        "The service is temporarily unavailable.",
    ));
    let listed = cli
        .run_logging(
            &["webinars", "list", "--sync", "--json"],
            "webinar_desk_core::graph=info",
        )
        .await;
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    let log = text(&listed.stderr);
    let calls: Vec<&str> = log.lines().filter(|l| l.contains("outcome=")).collect();
    assert!(calls.len() >= 3, "every Graph call is logged:\n{log}");
    for field in [
        "operation=",
        "client_request_id=",
        "request_id=",
        "status=",
        "elapsed_ms=",
        "attempt=",
    ] {
        assert!(
            calls.iter().all(|l| l.contains(field)),
            "{field} missing:\n{log}"
        );
    }
    assert!(
        calls
            .iter()
            .any(|l| l.contains("status=503") && l.contains("attempt=1"))
            && calls
                .iter()
                .any(|l| l.contains("outcome=\"ok\"") && l.contains("attempt=2")),
        "the retried read shows both attempts:\n{log}"
    );
    assert!(
        !log.split(|c: char| c.is_whitespace() || c == '"')
            .any(|w| w.starts_with("eyJ") && w.split('.').count() == 3),
        "a token reached the log:\n{log}"
    );
    let rows: Vec<serde_json::Value> = text(&listed.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(rows.len() >= 30, "{} rows", rows.len());
    assert!(rows.iter().all(|r| r["id"].as_str().unwrap().contains('@')));

    drop(sim);
    let cached = cli.run(&["webinars", "list"]).await;
    assert!(cached.status.success(), "{}", text(&cached.stderr));
    assert_eq!(
        text(&cached.stdout).lines().count(),
        rows.len(),
        "the cache answers without the tenant"
    );
    let sync = cli.run(&["webinars", "sync"]).await;
    assert_eq!(sync.status.code(), Some(1));
    assert!(
        text(&sync.stderr).contains("Could not reach"),
        "{}",
        text(&sync.stderr)
    );
}
