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

/// A CLI home configured for `sim` and signed in as the organizer, through the real flow.
async fn signed_in_cli(sim: &tenant_sim::SimHandle) -> Cli {
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
    cli
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configure_sign_in_list_with_sync_and_from_the_cache_offline() {
    let sim = start_tenant(6).await;
    let cli = signed_in_cli(&sim).await;

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

/// The pids of running `webinar-desk-cli series publish <id>` processes.
fn publishing(id: &str) -> Vec<u32> {
    running(&["series", "publish", id])
}

/// The pids of running `webinar-desk-cli <args…>` processes, read from /proc by exact command
/// line (never a pattern, never a process group).
fn running(wanted: &[&str]) -> Vec<u32> {
    let bin = cli_binary();
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(raw) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<&[u8]> = raw.split(|b| *b == 0).collect();
        let is_cli = args
            .first()
            .is_some_and(|a| std::path::Path::new(std::str::from_utf8(a).unwrap_or("")) == bin);
        let rest: Vec<&[u8]> = wanted.iter().map(|a| a.as_bytes()).collect();
        if is_cli && args.get(1..1 + rest.len()) == Some(&rest[..]) {
            pids.push(pid);
        }
    }
    pids
}

/// kill -9 the publishing CLI (no destructor, no flush, no goodbye); its wrapper
/// (dbus-run-session) then ends its private bus and exits by itself.
async fn kill_9(child: std::process::Child, id: &str) {
    assert!(
        kill_9_running(child, &["series", "publish", id]).await,
        "the publishing CLI was not running"
    );
}

/// kill -9 the CLI running `args`, if it still runs; says whether it did.
async fn kill_9_running(mut child: std::process::Child, args: &[&str]) -> bool {
    let pids = running(args);
    let found = !pids.is_empty();
    for pid in pids {
        let status = std::process::Command::new("kill")
            .args(["-KILL", "--", &pid.to_string()])
            .status()
            .unwrap();
        // It may have finished between the look and the kill.
        assert!(
            status.success() || !std::path::Path::new(&format!("/proc/{pid}")).exists(),
            "could not kill {pid}"
        );
    }
    tokio::task::spawn_blocking(move || child.wait().ok())
        .await
        .unwrap();
    found
}

/// The account's local copy under `home`, once a command has made it.
fn local_copy(home: &std::path::Path) -> Option<std::path::PathBuf> {
    webinar_desk_tests::files_below(home)
        .into_iter()
        .find(|f| f.extension().is_some_and(|e| e == "sqlite3"))
}

/// One webinar held three days ago, an hour long, with this many registrations and
/// attendance records; its id.
fn past_session(
    sim: &tenant_sim::SimHandle,
    title: &str,
    registrations: usize,
    records: usize,
) -> String {
    let ids = sim.add_series(&tenant_sim::SeriesSpec {
        organizer: "organizer",
        title: title.into(),
        sessions: 1,
        first_start: sim.now() - chrono::Duration::days(3),
        every: chrono::Duration::days(7),
        length: chrono::Duration::hours(1),
        registrations,
        records,
    });
    ids.into_iter().next().expect("one session")
}

/// Journal rows in the account's database (read beside the writer: WAL allows it).
fn journal_rows(home: &std::path::Path) -> usize {
    let Some(db) = local_copy(home) else {
        return 0;
    };
    let Ok(conn) =
        rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    else {
        return 0;
    };
    conn.query_row("SELECT count(*) FROM journal", [], |r| r.get::<_, i64>(0))
        .map_or(0, |n| n as usize)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_killed_at_any_journal_step_is_finished_on_the_next_start() {
    let sim = start_tenant(50).await;
    // Every Graph answer takes 100 ms, so the test sees each journal row before the next.
    sim.set_latency(std::time::Duration::from_millis(100));
    // Thirteen publishes from fresh processes would meet Graph's 15-writes-per-30-s window,
    // which is not what this test is about (each process paces only itself).
    sim.set_graph_switches(tenant_sim::GraphSwitches {
        throttling: false,
        ..tenant_sim::GraphSwitches::default()
    });
    let cli = signed_in_cli(&sim).await;
    let home = cli.scratch.path().join("home");
    let first = (chrono::Utc::now() + chrono::Duration::days(30)).date_naive();
    // 2 sessions: the operation's intent (row 1), 6 calls × (intent, outcome) (rows 2–13), the
    // operation's end (row 14). Rows 13 and 14 are written with no call between them, so the
    // last moment a kill can land is after row 12.
    let mut before = 0;
    for k in 1..=12 {
        let plan = cli.scratch.path().join(format!("plan{k}.toml"));
        std::fs::write(
            &plan,
            format!(
                r#"title = "Crash course {k}"
time_zone = "Europe/Berlin"

[recurrence]
first = "{first}"
start = "09:00"
duration_minutes = 45
every_weeks = 1
count = 2
"#
            ),
        )
        .unwrap();
        let created = cli
            .run(&["series", "create", "--plan", plan.to_str().unwrap()])
            .await;
        assert!(created.status.success(), "{}", text(&created.stderr));
        let id = text(&created.stdout).trim().to_string();

        let mut publish = cli.command(&["series", "publish", &id]);
        let child = publish
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while journal_rows(&home) < before + k {
            assert!(
                std::time::Instant::now() < deadline,
                "step {k} never reached"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        // Every answer takes 100 ms, half before the tenant acts and half after: a kill right
        // away lands before Teams changed anything, a kill 75 ms later after it did, with the
        // answer never read. Alternate between the two.
        if k % 2 == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(75)).await;
        }
        kill_9(child, &id).await;
        assert!(
            publishing(&id).is_empty(),
            "step {k}: still running after kill -9"
        );
        let recovered = cli.run(&["series", "recover"]).await;
        assert!(
            recovered.status.success(),
            "step {k}: {}",
            text(&recovered.stderr)
        );
        let title = format!("Crash course {k}");
        let mine: Vec<_> = sim
            .webinars()
            .into_iter()
            .filter(|w| w.display_name.starts_with(&title))
            .collect();
        let live: Vec<_> = mine.iter().filter(|w| w.status != "canceled").collect();
        assert_eq!(
            live.len(),
            2,
            "step {k}: exactly one webinar per session: {mine:#?}"
        );
        assert!(
            live.iter().all(|w| w.status == "published"),
            "step {k}: {mine:#?}"
        );
        let mut tags: Vec<_> = live.iter().flat_map(|w| w.external_ids.clone()).collect();
        tags.sort();
        assert_eq!(tags, [format!("{id}:1"), format!("{id}:2")], "step {k}");
        assert!(
            mine.iter().all(|w| w.status != "draft"),
            "step {k}: no orphaned draft: {mine:#?}"
        );
        let listed = cli.run(&["series", "list"]).await;
        assert!(
            text(&listed.stdout)
                .lines()
                .any(|l| l.starts_with(&id) && l.contains("published")),
            "step {k}: {}",
            text(&listed.stdout)
        );
        before = journal_rows(&home);
    }
    // And once for certain: the first create is made in Teams at once but answered only after
    // 10 s; the process dies in between. The recovery must adopt that webinar, not add one.
    sim.inject_graph_fault(
        tenant_sim::GraphFault::new(
            "solutions/virtualEvents/webinars",
            tenant_sim::FaultKind::DelayAnswer { millis: 10_000 },
        )
        .on(reqwest::Method::POST),
    );
    let plan = cli.scratch.path().join("plan-delayed.toml");
    std::fs::write(
        &plan,
        format!(
            "title = \"Unanswered course\"\ntime_zone = \"Europe/Berlin\"\n[recurrence]\nfirst = \"{first}\"\nstart = \"11:00\"\nduration_minutes = 45\nevery_weeks = 1\ncount = 2\n"
        ),
    )
    .unwrap();
    let created = cli
        .run(&["series", "create", "--plan", plan.to_str().unwrap()])
        .await;
    let id = text(&created.stdout).trim().to_string();
    let child = cli
        .command(&["series", "publish", &id])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let in_teams = |sim: &tenant_sim::SimHandle| {
        sim.webinars()
            .into_iter()
            .filter(|w| w.display_name.starts_with("Unanswered course"))
            .collect::<Vec<_>>()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while in_teams(&sim).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the create never arrived"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    kill_9(child, &id).await;
    let recovered = cli.run(&["series", "recover"]).await;
    assert!(recovered.status.success(), "{}", text(&recovered.stderr));
    let teams = in_teams(&sim);
    assert_eq!(teams.len(), 2, "adopted, not duplicated: {teams:#?}");
    assert!(teams.iter().all(|w| w.status == "published"), "{teams:#?}");
    let db = local_copy(&home).unwrap();
    let adopted: i64 = rusqlite::Connection::open(db)
        .unwrap()
        .query_row(
            "SELECT count(*) FROM journal WHERE action = 'adopt' AND series_id = ?1",
            [&id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(adopted, 1);
}

/// A script edits a published series through the plan file `series show` prints, previews and
/// pushes it, then cancels the series — first told the registrant count, then with `--yes`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_edit_and_cancel_a_series_from_a_script() {
    let sim = start_tenant(50).await;
    let cli = signed_in_cli(&sim).await;
    let first = (chrono::Utc::now() + chrono::Duration::days(10))
        .date_naive()
        .format("%Y-%m-%d");
    let plan = cli.scratch.path().join("plan.toml");
    std::fs::write(
        &plan,
        format!(
            "title = \"Scripted course\"\ntime_zone = \"Europe/London\"\n[recurrence]\nfirst = \"{first}\"\nstart = \"09:30\"\nduration_minutes = 60\nevery_weeks = 1\ncount = 2\n[[questions]]\nlabel = \"organization\"\n"
        ),
    )
    .unwrap();
    let created = cli
        .run(&["series", "create", "--plan", plan.to_str().unwrap()])
        .await;
    let id = text(&created.stdout).trim().to_string();
    let published = cli.run(&["series", "publish", &id]).await;
    assert!(published.status.success(), "{}", text(&published.stderr));

    let shown = cli.run(&["series", "show", &id]).await;
    let shown = text(&shown.stdout);
    assert!(shown.contains("# state: published"), "{shown}");
    assert!(shown.contains("label = \"organization\""), "{shown}");
    let edited = shown.replacen("start = \"09:30\"", "start = \"13:00\"", 1);
    let edit_file = cli.scratch.path().join("edit.toml");
    std::fs::write(&edit_file, &edited).unwrap();
    let preview = cli
        .run(&["series", "preview", "--plan", edit_file.to_str().unwrap()])
        .await;
    let preview_text = text(&preview.stdout);
    assert!(
        preview_text.contains("session 1: Start moved from")
            && preview_text.contains("13:00 (Europe/London)")
            && preview_text.contains("session 2: no change"),
        "{preview_text}{}",
        text(&preview.stderr)
    );
    let pushed = cli
        .run(&["series", "edit", "--plan", edit_file.to_str().unwrap()])
        .await;
    assert!(
        pushed.status.success(),
        "{}{}",
        text(&pushed.stdout),
        text(&pushed.stderr)
    );
    assert!(text(&pushed.stdout).contains("session 1: updated"));
    let moved = sim
        .webinars()
        .into_iter()
        .find(|w| w.external_ids.contains(&format!("{id}:1")))
        .unwrap();
    assert_eq!(moved.start.format("%H:%M").to_string(), "13:00");

    // Drift: our own edit is none (exit 0); a capacity lowered in Teams is (exit 3).
    let drift = cli.run(&["drift", "--series", &id]).await;
    assert_eq!(
        drift.status.code(),
        Some(0),
        "{}{}",
        text(&drift.stdout),
        text(&drift.stderr)
    );
    assert_eq!(
        text(&drift.stdout).matches("\tinSync\t").count(),
        2,
        "{}",
        text(&drift.stdout)
    );
    assert!(sim.edit_in_teams(&moved.id, |w| w.registration.capacity = Some(40)));
    let soon = cli.run(&["drift", "--series", &id]).await;
    assert_eq!(
        soon.status.code(),
        Some(0),
        "within 5 minutes the last finding stands"
    );
    let drift = cli.run(&["drift", "--series", &id, "--force"]).await;
    let out = text(&drift.stdout);
    assert_eq!(drift.status.code(), Some(3), "{out}{}", text(&drift.stderr));
    assert!(
        out.contains(&format!("{}\tchangedInTeams\tScripted course", moved.id))
            && out.contains("  Capacity changed from ")
            && out.contains(" to 40"),
        "{out}"
    );

    let asked = cli.run(&["series", "cancel", &id]).await;
    assert_eq!(asked.status.code(), Some(2), "{}", text(&asked.stderr));
    assert!(
        text(&asked.stdout).contains("tells 0 registered people"),
        "{}",
        text(&asked.stdout)
    );
    assert!(
        sim.webinars()
            .iter()
            .filter(|w| w.display_name.starts_with("Scripted course"))
            .all(|w| w.status == "published"),
        "nothing canceled without --yes"
    );
    let canceled = cli.run(&["series", "cancel", &id, "--yes"]).await;
    assert!(canceled.status.success(), "{}", text(&canceled.stderr));
    assert!(text(&canceled.stdout).contains("is now canceled"));
    assert!(
        sim.webinars()
            .iter()
            .filter(|w| w.display_name.starts_with("Scripted course"))
            .all(|w| w.status == "canceled")
    );
}

/// `attendance <id> --json` from the local copy: one line per person.
async fn attendance_json(cli: &Cli, id: &str) -> String {
    let out = cli.run(&["attendance", id, "--json"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_killed_at_any_moment_leaves_the_previous_copy_or_the_new_one() {
    let sim = start_tenant(50).await;
    let id = &past_session(&sim, "Killed sync", 400, 600);
    let cli = signed_in_cli(&sim).await;
    let synced = cli.run(&["sync", id]).await;
    assert!(synced.status.success(), "{}", text(&synced.stderr));
    let before = attendance_json(&cli, id).await;
    assert!(before.lines().count() >= 400, "{before}");

    // A restarted meeting: a full sync now brings a second report version, so the new copy
    // differs from the old one and a mix of the two would show.
    assert!(sim.restart_meeting(id));
    sim.advance_clock(chrono::Duration::minutes(30));
    sim.set_latency(std::time::Duration::from_millis(30));
    let home = cli.scratch.path().join("home");
    let mut after: Option<String> = None;
    let mut killed = 0;
    for delay_ms in [
        150u64, 300, 450, 600, 750, 900, 1_050, 1_200, 1_400, 1_700, 2_000,
    ] {
        let child = cli
            .command(&["sync", id])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
        if kill_9_running(child, &["sync", id]).await {
            killed += 1;
        }
        let db = local_copy(&home).expect("the local copy");
        let conn = rusqlite::Connection::open(&db).unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok", "after a kill at {delay_ms} ms");
        drop(conn);
        let now = attendance_json(&cli, id).await;
        if now != before {
            // The new copy, whole: every later run must show exactly it.
            match &after {
                Some(a) => assert_eq!(&now, a, "after a kill at {delay_ms} ms"),
                None => after = Some(now),
            }
        }
    }
    assert!(
        killed >= 3,
        "only {killed} runs were still going when killed"
    );
    let synced = cli.run(&["sync", id]).await;
    assert!(synced.status.success(), "{}", text(&synced.stderr));
    let whole = attendance_json(&cli, id).await;
    assert_ne!(whole, before, "the second report version changes the copy");
    if let Some(a) = after {
        assert_eq!(
            whole, a,
            "a copy seen between kills was not the whole new one"
        );
    }
}

/// A first sync writes a webinar's registrations while its attendance is still being read
/// (under a number no reader looks up). Killed in between, it leaves nothing anyone sees; the
/// next start removes those rows, and the next sync writes the whole copy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_sync_killed_after_writing_ahead_shows_nothing_and_leaves_nothing() {
    let sim = start_tenant(50).await;
    // 60 pages of records at 30 ms: the registrations are written long before the end.
    let id = &past_session(&sim, "First sync, killed", 200, 3_000);
    let cli = signed_in_cli(&sim).await;
    sim.set_latency(std::time::Duration::from_millis(30));
    let home = cli.scratch.path().join("home");
    let count = |sql: &str| -> i64 {
        let db = local_copy(&home).expect("the local copy");
        let conn =
            rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .unwrap();
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    };
    let staged = "SELECT count(*) FROM attendance_webinars WHERE staged = 1";
    let mut caught = 0;
    for delay_ms in [700u64, 1_000, 1_300, 1_600] {
        let child = cli
            .command(&["sync", id])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
        if !kill_9_running(child, &["sync", id]).await {
            break;
        }
        let left = count(staged);
        if left > 0 {
            caught += 1;
            assert_eq!(
                count("SELECT count(*) FROM registrations"),
                200,
                "written ahead, after a kill at {delay_ms} ms"
            );
        }
        // Opening the copy again (any command) removes what the killed sync left.
        let shown = cli.run(&["attendance", id, "--json"]).await;
        assert!(
            !shown.status.success()
                && text(&shown.stderr).contains("No attendance in the local copy"),
            "nothing shows after a kill at {delay_ms} ms: {}{}",
            text(&shown.stdout),
            text(&shown.stderr)
        );
        assert_eq!(count(staged), 0, "after a kill at {delay_ms} ms");
        assert_eq!(
            count("SELECT count(*) FROM registrations"),
            0,
            "after a kill at {delay_ms} ms"
        );
    }
    assert!(
        caught >= 1,
        "no kill landed between the registrations and the end"
    );
    sim.set_latency(std::time::Duration::ZERO);
    let synced = cli.run(&["sync", id]).await;
    assert!(synced.status.success(), "{}", text(&synced.stderr));
    assert_eq!(count("SELECT count(*) FROM registrations"), 200);
    assert_eq!(count(staged), 0);
    assert!(attendance_json(&cli, id).await.lines().count() >= 200);
}

/// `export` writes each documented shape from the local copy, offline, for a series and for
/// one webinar; the files agree with what `attendance` prints.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_of_a_series_are_written_offline_in_every_shape() {
    let sim = start_tenant(50).await;
    let ids = sim.add_series(&tenant_sim::SeriesSpec {
        organizer: "organizer",
        title: "Export course".into(),
        sessions: 3,
        first_start: sim.now() - chrono::Duration::days(20),
        every: chrono::Duration::days(7),
        length: chrono::Duration::hours(1),
        registrations: 30,
        records: 40,
    });
    let cli = signed_in_cli(&sim).await;
    assert!(
        cli.run(&["webinars", "list", "--sync"])
            .await
            .status
            .success()
    );
    let mut group = vec!["series", "group", "--title", "Export course"];
    group.extend(ids.iter().map(String::as_str));
    let grouped = cli.run(&group).await;
    assert!(grouped.status.success(), "{}", text(&grouped.stderr));
    let series = text(&grouped.stdout)
        .split_whitespace()
        .find(|w| w.len() == 36 && w.matches('-').count() == 4)
        .unwrap_or_else(|| panic!("a series id in {}", text(&grouped.stdout)))
        .to_string();
    let synced = cli.run(&["sync", &series]).await;
    assert!(synced.status.success(), "{}", text(&synced.stderr));
    let join_urls: Vec<String> = sim
        .webinars()
        .iter()
        .filter(|w| ids.contains(&w.id))
        .map(|w| w.join_web_url())
        .collect();
    drop(sim);

    let dir = cli.scratch.path();
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    let export = |args: Vec<String>| {
        let cli = &cli;
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = cli.run(&args).await;
            assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
            text(&out.stderr)
        }
    };
    let out = |name: &str| dir.join(name).to_str().unwrap().to_string();

    let said = export(vec![
        "export".into(),
        "attendance".into(),
        series.clone(),
        "--out".into(),
        out("a.csv"),
    ])
    .await;
    let attendance = read("a.csv");
    assert!(
        attendance.starts_with('\u{feff}'),
        "a byte-order mark by default"
    );
    let mut lines = attendance
        .trim_start_matches('\u{feff}')
        .split("\r\n")
        .filter(|l| !l.is_empty());
    let header = lines.next().unwrap();
    assert!(
        header.starts_with(&webinar_desk_core::export::ATTENDANCE_COLUMNS.join(",")),
        "{header}"
    );
    assert!(header.contains(",Job title"), "question columns: {header}");
    let mut per_session = 0;
    for id in &ids {
        let rows = attendance_json(&cli, id).await.lines().count();
        per_session += rows;
    }
    let body = lines.count();
    assert_eq!(body, per_session, "one row per person per session");
    assert!(said.contains(&format!("Wrote {body} rows")), "{said}");

    export(vec![
        "export".into(),
        "matrix".into(),
        series.clone(),
        "--out".into(),
        out("m.csv"),
        "--no-bom".into(),
    ])
    .await;
    let matrix = read("m.csv");
    assert!(
        matrix.starts_with("name,email,S1,S2,S3,attended,sessions,complete\r\n"),
        "{matrix}"
    );
    assert_eq!(
        matrix.lines().count() - 1,
        attendance_json(&cli, &series).await.lines().count(),
        "one row per person, as `attendance <series>` prints"
    );

    export(vec![
        "export".into(),
        "intervals".into(),
        ids[0].clone(),
        "--out".into(),
        out("i.csv"),
    ])
    .await;
    let intervals = read("i.csv");
    let rows: Vec<&str> = intervals.lines().skip(1).collect();
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| r.contains(",Export course — Session 1,")),
        "{}",
        rows[0]
    );

    export(vec![
        "export".into(),
        "registrations".into(),
        ids[0].clone(),
        "--out".into(),
        out("r.csv"),
    ])
    .await;
    assert_eq!(
        read("r.csv").lines().count(),
        1 + 30,
        "every registration of the session"
    );

    // One session in the layout of Teams' own download: UTF-16, tab-separated, three sections.
    let said = export(vec![
        "export".into(),
        "teams".into(),
        ids[0].clone(),
        "--out".into(),
        out("teams.csv"),
    ])
    .await;
    let bytes = std::fs::read(dir.join("teams.csv")).unwrap();
    assert_eq!(
        &bytes[..2],
        &[0xff, 0xfe],
        "UTF-16LE with its byte-order mark"
    );
    let units: Vec<u16> = bytes[2..]
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let report = String::from_utf16(&units).unwrap();
    let sections: Vec<&str> = report.split("\r\n\r\n").collect();
    assert_eq!(sections.len(), 3, "{report}");
    assert!(
        sections[0].starts_with("1. Summary\r\nMeeting title\tExport course — Session 1\r\n"),
        "{report}"
    );
    let participants: Vec<&str> = sections[1].lines().skip(2).collect();
    assert!(!participants.is_empty(), "{report}");
    assert!(
        sections[0].contains(&format!(
            "Attended participants\t{}\r\n",
            participants.len()
        )),
        "{report}"
    );
    assert!(
        said.contains(&format!("Wrote {} participants", participants.len())),
        "{said}"
    );
    assert!(sections[2].starts_with(
        "3. In-Meeting Activities\r\nName\tJoin Time\tLeave Time\tDuration\tEmail\tRole\r\n"
    ));
    assert!(
        sections[2].lines().count() - 2 >= participants.len(),
        "every stretch of presence"
    );
    let refused = cli
        .run(&["export", "teams", &series, "--out", &out("no.csv")])
        .await;
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("export it from a session"),
        "{}",
        text(&refused.stderr)
    );

    // A calendar of the whole series, offline, with the links the sync kept.
    let said = export(vec![
        "export".into(),
        "ics".into(),
        series.clone(),
        "--out".into(),
        out("course.ics"),
    ])
    .await;
    assert!(said.contains("Wrote 3 events"), "{said}");
    let ics = read("course.ics");
    let unfolded = ics.replace("\r\n ", "");
    assert!(
        ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"),
        "{ics}"
    );
    assert_eq!(unfolded.matches("BEGIN:VEVENT").count(), 3, "{unfolded}");
    assert_eq!(join_urls.len(), 3);
    for url in &join_urls {
        assert!(
            unfolded.contains(&format!("Join in Microsoft Teams: {url}")),
            "{url} in\n{unfolded}"
        );
    }
    assert!(unfolded.contains("Register: http"), "{unfolded}");
    assert!(
        unfolded.contains("SUMMARY:Export course — Session 1"),
        "{unfolded}"
    );
    assert!(
        ics.lines().all(|l| l.len() <= 75),
        "folded at 75 octets:\n{ics}"
    );
    for id in &ids {
        assert!(unfolded.contains(&format!("UID:{id}@webinar-desk")), "{id}");
    }

    // Without --out: the suggested name, in the current folder.
    let mut c = cli.command(&["export", "matrix", &series]);
    c.current_dir(dir);
    let done = tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap();
    assert!(done.status.success(), "{}", text(&done.stderr));
    let named = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with("Export course - matrix - ") && n.ends_with(".csv"));
    assert!(named.is_some(), "a file named after the series");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diagnose_prints_the_report_and_fails_the_script_when_a_check_fails() {
    let sim = start_tenant(20).await;
    let cli = signed_in_cli(&sim).await;
    let out = cli.run(&["diagnose"]).await;
    let report = text(&out.stdout);
    assert!(out.status.success(), "{report}\n{}", text(&out.stderr));
    assert!(
        report.contains("12 passed, 0 failed, 0 unknown"),
        "{report}"
    );
    assert!(
        report.contains(&format!("Webinar Desk {}", env!("CARGO_PKG_VERSION"))),
        "{report}"
    );

    sim.set_premium("organizer", false);
    let out = cli.run(&["diagnose"]).await;
    let report = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(
        report.contains("[FAIL]    Teams Premium: No Teams Premium licence is assigned to you"),
        "{report}"
    );
    assert!(
        report.contains("What to do: Ask your Microsoft 365 administrator to assign Teams Premium"),
        "{report}"
    );
    assert!(!report.contains("eyJ"), "no token in the report:\n{report}");
}
