//! The installed app as an organizer meets it: the installers' sizes, the cold start to the
//! first painted webinar list (from a local copy, median of ten launches), and the memory all
//! of the app's processes hold after a minute idle on that list (PSS from
//! `/proc/PID/smaps_rollup`, summed over the app and its WebKit processes). The release build
//! and the debug build side by side, in one run.
//!
//! A launch's start is the process's own start time (`/proc/PID/stat`, against `/proc/uptime`:
//! 10 ms resolution); its end is the wall-clock time the list's first frame was painted, which
//! the window records on the list (`data-painted-at`). WebDriver only opens the window and reads
//! that value, so its own overhead is not counted.

use std::path::{Path, PathBuf};
use std::time::Duration;

use webinar_desk_tests::desktop::{
    Desktop, app_processes, complete_sign_in, quit, wait_for, wait_for_text,
};

/// The installers in `target/<profile>/bundle`, with their sizes.
pub fn installer_sizes(profile: &str) -> Vec<(String, u64)> {
    let dir = webinar_desk_tests::workspace_root()
        .join("target")
        .join(profile)
        .join("bundle");
    let mut found = Vec::new();
    for kind in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        for file in std::fs::read_dir(kind.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let path = file.path();
            if path.is_file() {
                let size = path.metadata().map(|m| m.len()).unwrap_or(0);
                found.push((
                    path.file_name().unwrap().to_string_lossy().into_owned(),
                    size,
                ));
            }
        }
    }
    found.sort();
    found
}

fn ticks_per_second() -> f64 {
    // CLK_TCK is 100 on every Linux this runs on; `getconf` says so if it ever is not.
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// When `pid` started, in Unix milliseconds.
fn started_at_ms(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("the app's stat");
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let start_ticks: f64 = after.split(' ').nth(19).unwrap().parse().unwrap();
    let uptime: f64 = std::fs::read_to_string("/proc/uptime")
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let now_ms = chrono::Utc::now().timestamp_millis() as f64;
    now_ms - (uptime - start_ticks / ticks_per_second()) * 1000.0
}

fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    after.split(' ').nth(1)?.parse().ok()
}

/// Every process on the machine.
fn pids() -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect()
}

/// The app process running `binary` with `home` as its home.
fn app_pid(binary: &Path, home: &Path) -> Option<u32> {
    app_processes(binary, home).last().copied()
}

/// PSS in kB of `pid` and every process below it.
fn pss_tree(pid: u32) -> Vec<(String, u64)> {
    let all = pids();
    let mut tree = vec![pid];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(
            all.iter()
                .copied()
                .filter(|p| parent_of(*p) == Some(parent)),
        );
        i += 1;
    }
    tree.into_iter()
        .filter_map(|p| {
            let name = std::fs::read_to_string(format!("/proc/{p}/comm")).ok()?;
            let rollup = std::fs::read_to_string(format!("/proc/{p}/smaps_rollup")).ok()?;
            let pss = rollup
                .lines()
                .find(|l| l.starts_with("Pss:"))?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            Some((name.trim().to_string(), pss))
        })
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Starts and measures one build of the app; returns a table row.
async fn measure(binary: &Path, label: &str, launches: usize, idle: Duration) -> String {
    let scratch = tempfile_dir();
    let mut desktop = Desktop::start(&scratch);

    // First launch: sign in to the demo tenant, so the local copy holds its webinars.
    let app = desktop.launch_binary(binary, &["--demo"]).await;
    wait_for(&app, "#sign-in").await.click().await.unwrap();
    complete_sign_in(&desktop.browser_url().await, "organizer").await;
    let count = wait_for_text(&app, ".count", |t| {
        t.ends_with("webinars") && !t.starts_with("0 ")
    })
    .await;
    quit(app).await;

    let mut starts = Vec::new();
    for _ in 0..launches {
        let app = desktop.launch_binary(binary, &["--demo"]).await;
        let painted = wait_for(&app, ".count[data-painted-at]").await;
        let painted_at: f64 = painted
            .attr("data-painted-at")
            .await
            .unwrap()
            .unwrap()
            .parse()
            .unwrap();
        let pid = app_pid(binary, &desktop.home).expect("the app's process");
        starts.push(painted_at - started_at_ms(pid));
        quit(app).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    let app = desktop.launch_binary(binary, &["--demo"]).await;
    wait_for(&app, ".count[data-painted-at]").await;
    tokio::time::sleep(idle).await;
    let pid = app_pid(binary, &desktop.home).expect("the app's process");
    let processes = pss_tree(pid);
    quit(app).await;
    let total: u64 = processes.iter().map(|(_, kb)| kb).sum();
    let parts = processes
        .iter()
        .map(|(name, kb)| format!("{name} {:.0}", *kb as f64 / 1024.0))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = std::fs::remove_dir_all(&scratch);
    let all = starts
        .iter()
        .map(|s| format!("{s:.0}"))
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        "| {label} | {count} | **{:.0} ms** ({all}) | **{:.0} MB** ({parts}) |\n",
        median(starts),
        total as f64 / 1024.0
    )
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wd-bench-desktop-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The section for BENCHMARKS.md: sizes, then the release and debug apps side by side.
pub async fn run() -> String {
    let mut out = String::from("\n| Installer (release) | size |\n|---|---|\n");
    for (name, size) in installer_sizes("release") {
        out.push_str(&format!("| `{name}` | {:.1} MB |\n", size as f64 / 1e6));
    }
    for (name, size) in installer_sizes("debug") {
        out.push_str(&format!(
            "| `{name}` (debug, for reference) | {:.1} MB |\n",
            size as f64 / 1e6
        ));
    }
    out.push_str("\n| App (demo tenant, local copy) | webinars | cold start to the list's first frame, median of 10 (each) | PSS after 60 s idle on the list (per process) |\n|---|---|---|---|\n");
    let target = webinar_desk_tests::workspace_root().join("target");
    for (profile, label) in [("release", "release build"), ("debug", "debug build")] {
        let binary = target.join(profile).join("webinar-desk");
        if binary.is_file() {
            out.push_str(&measure(&binary, label, 10, Duration::from_secs(60)).await);
        } else {
            out.push_str(&format!(
                "| {label} | not built ({}) | | |\n",
                binary.display()
            ));
        }
    }
    out
}
