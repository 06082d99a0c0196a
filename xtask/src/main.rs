//! Project tasks, so a fresh machine needs only cargo:
//! - `cargo xtask demo`    — install what is missing, build the UI and the app, start it on
//!   the built-in demo tenant;
//! - `cargo xtask test`    — install what is missing and run every check CI runs: rustfmt,
//!   the workflows' lint, the UI type-check and unit tests, the third-party notices, clippy
//!   (-D warnings), the Windows type-check and the CLI built for Windows, the Linux package,
//!   all Rust tests including the end-to-end suite, the package's own check and the Windows
//!   CLI under Wine;
//! - `cargo xtask bundle`  — the release installers this machine can build;
//! - `cargo xtask notices` — remake `licenses/THIRD-PARTY-NOTICES.html`;
//! - `cargo xtask icons`   — remake the icon set from `icons/icon.svg`;
//! - `cargo xtask setup`   — only install what is missing.
//!
//! Installing is idempotent: each package or tool is checked first and only missing ones are
//! installed (`sudo` only when not root), so running any task twice is safe.

mod notices;
mod package;
mod setup;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use setup::{cargo_bin, setup};

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let result = match task.as_str() {
        "demo" => setup(false).and_then(|()| demo()),
        "test" => setup(true).and_then(|()| test()),
        "setup" => setup(true),
        "bench" => bench(),
        "bundle" => setup(false).and_then(|()| bundle()),
        "notices" => setup(true).and_then(|()| notices::write().map(|_| ())),
        "icons" => setup(false).and_then(|()| package::icons()),
        _ => {
            eprintln!(
                "usage: cargo xtask <demo|test|bundle|notices|icons|setup|bench>\n  demo     build and start the app on the demo tenant\n  test     run every check CI runs\n  bundle   build the release installers this machine can build\n  notices  remake the third-party notices\n  icons    remake the icon set from icons/icon.svg\n  setup    install what is missing\n  bench    run the benchmarks (release build) and print a BENCHMARKS.md section"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask {task}: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Benchmarks need an optimized build; they are not part of `test` (figures, not checks).
fn bench() -> Result<(), String> {
    let extra: Vec<String> = std::env::args().skip(2).collect();
    let mut c = cargo();
    c.args(["run", "--release", "--bin", "webinar-desk-bench", "--"])
        .args(extra);
    run("benchmarks", &mut c)
}

/// Builds the release installers and says where they are.
fn bundle() -> Result<(), String> {
    let installers = package::release_bundles()?;
    if installers.is_empty() {
        return Err("the bundler finished but left no installer in target/release/bundle".into());
    }
    println!("\nInstallers:");
    for path in installers {
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        println!("  {} ({:.1} MB)", path.display(), size as f64 / 1e6);
    }
    Ok(())
}

pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ sits in the workspace")
        .to_path_buf()
}

pub(crate) fn run(what: &str, command: &mut Command) -> Result<(), String> {
    eprintln!("xtask: {what}");
    let status = command
        .status()
        .map_err(|e| format!("{what}: could not start ({e})"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}

/// Runs a test command, passing its standard output through while counting what it reports
/// (cargo's `test result:` lines, Vitest's `Tests` line). Returns (passed, failed).
fn run_counting(what: &str, command: &mut Command) -> Result<(u64, u64), String> {
    use std::io::{BufRead, BufReader, Write};
    eprintln!("xtask: {what}");
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .env("NO_COLOR", "1")
        .spawn()
        .map_err(|e| format!("{what}: could not start ({e})"))?;
    let (mut passed, mut failed) = (0, 0);
    let stdout = std::io::stdout();
    for line in BufReader::new(child.stdout.take().expect("piped")).lines() {
        let line = line.map_err(|e| format!("{what}: {e}"))?;
        let mut out = stdout.lock();
        let _ = writeln!(out, "{line}");
        let words: Vec<&str> = line
            .split(|c: char| c.is_whitespace() || c == ';' || c == '|')
            .filter(|w| !w.is_empty())
            .collect();
        let is_summary = line.starts_with("test result:") || words.first() == Some(&"Tests");
        if is_summary {
            for pair in words.windows(2) {
                match (pair[0].parse::<u64>(), pair[1]) {
                    (Ok(n), "passed") => passed += n,
                    (Ok(n), "failed") => failed += n,
                    _ => {}
                }
            }
        }
    }
    let status = child.wait().map_err(|e| format!("{what}: {e}"))?;
    if status.success() {
        Ok((passed, failed))
    } else {
        Err(format!("{what} failed ({status})"))
    }
}

pub(crate) fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

pub(crate) fn npm(args: &[&str]) -> Command {
    let mut c = Command::new("npm");
    c.args(args).current_dir(root().join("ui"));
    c
}

pub(crate) fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|p| p.join(tool).is_file()))
}

fn build_ui() -> Result<(), String> {
    run("build the UI (ui/dist)", &mut npm(&["run", "build"]))
}

fn demo() -> Result<(), String> {
    build_ui()?;
    run("build the app", cargo().args(["build", "--workspace"]))?;
    let app = root().join("target/debug/webinar-desk");
    let headless = cfg!(target_os = "linux")
        && std::env::var_os("DISPLAY").is_none()
        && std::env::var_os("WAYLAND_DISPLAY").is_none();
    if headless {
        eprintln!(
            "xtask: no display found; starting the app on a virtual display (xvfb-run). Close it with Ctrl+C."
        );
        run(
            "start Webinar Desk on the demo tenant",
            Command::new("xvfb-run")
                .args(["-a"])
                .arg(&app)
                .arg("--demo"),
        )
    } else {
        run(
            "start Webinar Desk on the demo tenant",
            Command::new(&app).arg("--demo"),
        )
    }
}

fn test() -> Result<(), String> {
    run(
        "cargo fmt --check",
        cargo().args(["fmt", "--all", "--check"]),
    )?;
    if cfg!(target_os = "linux") {
        run(
            "actionlint (.github/workflows)",
            Command::new(setup::actionlint_binary())
                .arg("-no-color")
                .current_dir(root()),
        )?;
    }
    run("UI type-check (svelte-check)", &mut npm(&["run", "check"]))?;
    let (ui_passed, ui_failed) = run_counting("UI unit tests (vitest)", &mut npm(&["test"]))?;
    build_ui()?;
    notices::check()?;
    run(
        "clippy -D warnings",
        cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    let windows_cli = if cfg!(target_os = "linux") {
        package::windows_check()?;
        Some(package::windows_cli()?)
    } else {
        None
    };
    // The end-to-end tests drive the built app and tenant-sim binaries, and the package test
    // the Linux package made from that build.
    run("build the app", cargo().args(["build", "--workspace"]))?;
    let mut tests = cargo();
    if cfg!(target_os = "linux") {
        let packages = package::debug_bundles()?;
        let deb = packages
            .iter()
            .find(|p| p.extension().is_some_and(|e| e == "deb"))
            .ok_or("the bundler made no .deb in target/debug/bundle")?;
        tests.env("WEBINAR_DESK_TEST_DEB", deb);
        if let Some(rpm) = packages
            .iter()
            .find(|p| p.extension().is_some_and(|e| e == "rpm"))
        {
            tests.env("WEBINAR_DESK_TEST_RPM", rpm);
        }
    }
    if let Some(exe) = windows_cli {
        tests.env("WEBINAR_DESK_TEST_WINDOWS_CLI", exe);
    }
    tests.args(["test", "--workspace"]);
    // tauri-driver lives in cargo's bin folder, which a non-login shell may not have on PATH.
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths: Vec<PathBuf> = std::env::split_paths(&path).collect();
    paths.push(cargo_bin());
    tests.env(
        "PATH",
        std::env::join_paths(paths).map_err(|e| e.to_string())?,
    );
    let (passed, failed) =
        run_counting("all Rust tests (unit, integration, end-to-end)", &mut tests)?;
    println!("\nRust tests {passed} passed, UI tests {ui_passed} passed.");
    println!(
        "total: {} passed, {} failed",
        passed + ui_passed,
        failed + ui_failed
    );
    Ok(())
}
