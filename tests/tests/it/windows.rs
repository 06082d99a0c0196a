//! The Windows build of the CLI, run under Wine against the simulated tenant: it takes the
//! tenant's settings, signs in through the browser flow (its refresh token in Wine's Credential
//! Manager, the Windows keychain), syncs the webinars into its local copy, and diagnoses — so
//! Windows code paths (paths, keychain, sockets, SQLite) run somewhere on every test run.
//! `cargo xtask test` builds it (`x86_64-pc-windows-gnu`) and names it in
//! `WEBINAR_DESK_TEST_WINDOWS_CLI`.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use webinar_desk_tests::desktop::complete_sign_in;
use webinar_desk_tests::start_tenant;

fn windows_cli() -> PathBuf {
    let exe = std::env::var_os("WEBINAR_DESK_TEST_WINDOWS_CLI")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            webinar_desk_tests::workspace_root()
                .join("target/x86_64-pc-windows-gnu/debug/webinar-desk-cli.exe")
        });
    assert!(
        exe.is_file(),
        "the Windows CLI is not built at {}: run `cargo xtask test`, which builds it",
        exe.display()
    );
    exe
}

/// Debian's Wine keeps its 64-bit loader out of PATH.
fn wine(home: &std::path::Path) -> Command {
    let loader = ["/usr/lib/wine/wine64", "/usr/bin/wine64", "/usr/bin/wine"]
        .into_iter()
        .find(|p| std::path::Path::new(p).is_file())
        .expect("Wine is installed (apt-get install wine64)");
    let mut c = Command::new(loader);
    c.arg(windows_cli())
        // One prefix for every run: making it takes seconds.
        .env(
            "WINEPREFIX",
            webinar_desk_tests::workspace_root().join("target/wine-prefix"),
        )
        .env("WINEDEBUG", "-all")
        .env("WEBINAR_DESK_HOME", home)
        // No browser inside Wine: the CLI prints the address, and the test is the browser.
        .env("BROWSER", "Z:\\nonexistent\\browser.exe");
    c
}

fn run(mut c: Command, stdin: Option<&str>) -> (bool, String, String) {
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("Wine starts the CLI");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_windows_cli_signs_in_syncs_and_diagnoses_under_wine() {
    let sim = start_tenant(20).await;
    let home = tempfile::tempdir().unwrap();

    let describe = format!("{}\n", sim.describe());
    let (ok, out, err) = tokio::task::spawn_blocking({
        let c = wine(home.path());
        move || {
            let mut c = c;
            c.args(["config", "from-tenant-sim"]);
            run(c, Some(&describe))
        }
    })
    .await
    .unwrap();
    assert!(ok, "config from-tenant-sim: {out}{err}");

    // Sign in: read the address the CLI prints, act as the browser.
    let mut signing_in = wine(home.path());
    signing_in
        .arg("sign-in")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = signing_in.spawn().unwrap();
    // Read all of its messages (a closed pipe would end the CLI), handing over the address.
    let stderr = child.stderr.take().unwrap();
    let (address, found) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut address = Some(address);
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.starts_with("http://")
                && line.contains("/authorize?")
                && let Some(a) = address.take()
            {
                let _ = a.send(line);
            }
        }
    });
    let url = found
        .await
        .expect("the Windows CLI printed the sign-in address");
    complete_sign_in(&url, "organizer").await;
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && said.contains("Signed in as Megan Bowen"),
        "sign-in under Wine: {said}"
    );

    // Sync through the companion and Graph into the local copy (SQLite on Windows paths).
    let (ok, out, err) = tokio::task::spawn_blocking({
        let mut c = wine(home.path());
        c.args(["webinars", "list", "--sync"]);
        move || run(c, None)
    })
    .await
    .unwrap();
    assert!(ok, "webinars list --sync under Wine: {out}{err}");
    // The count goes to stderr, the list to stdout.
    let summary = err
        .lines()
        .find(|l| l.contains(" webinars; last synced "))
        .unwrap_or_else(|| panic!("no summary line: {err}"));
    assert!(
        out.lines()
            .any(|l| l.contains("Power BI for Marketing — Session 1")),
        "the list lacks a seeded webinar: {out}"
    );
    let count: usize = summary
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(
        count >= 20,
        "the demo organizer has dozens of webinars: {summary}"
    );

    // Diagnose: every check passes, on Windows.
    let (ok, out, err) = tokio::task::spawn_blocking({
        let mut c = wine(home.path());
        c.arg("diagnose");
        move || run(c, None)
    })
    .await
    .unwrap();
    assert!(ok, "diagnose under Wine found a failure: {out}{err}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("[PASS]    Versions:") && l.contains("Windows")),
        "{out}"
    );
}
