//! Project tasks, so a fresh machine needs only cargo:
//! - `cargo xtask demo`  — install what is missing, build the UI and the app, start it on the
//!   built-in demo tenant;
//! - `cargo xtask test`  — install what is missing and run every check CI runs: rustfmt,
//!   clippy (-D warnings), the UI type-check and unit tests, all Rust tests including the
//!   end-to-end suite;
//! - `cargo xtask setup` — only install what is missing.
//!
//! Installing is idempotent: each package or tool is checked first and only missing ones are
//! installed (`sudo` only when not root), so running any task twice is safe.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// Debian 12 packages: Tauri's build and run dependencies, the virtual display, the WebDriver
/// for end-to-end tests, and a Secret Service keyring for the keychain tests.
const DEBIAN_PACKAGES: &[&str] = &[
    "build-essential",
    "pkg-config",
    "file",
    "libwebkit2gtk-4.1-dev",
    "libssl-dev",
    "libxdo-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "libdbus-1-dev",
    "xvfb",
    "xauth",
    "webkit2gtk-driver",
    "dbus",
    "gnome-keyring",
];

/// Only the tests need these: the exports are read back by a real spreadsheet.
const TEST_PACKAGES: &[&str] = &["libreoffice-calc-nogui"];

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let result = match task.as_str() {
        "demo" => setup(false).and_then(|()| demo()),
        "test" => setup(true).and_then(|()| test()),
        "setup" => setup(true),
        "bench" => bench(),
        _ => {
            eprintln!(
                "usage: cargo xtask <demo|test|setup|bench>\n  demo   build and start the app on the demo tenant\n  test   run every check CI runs\n  setup  install what is missing\n  bench  run the benchmarks (release build) and print a BENCHMARKS.md section"
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

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ sits in the workspace")
        .to_path_buf()
}

fn run(what: &str, command: &mut Command) -> Result<(), String> {
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

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

fn npm(args: &[&str]) -> Command {
    let mut c = Command::new("npm");
    c.args(args).current_dir(root().join("ui"));
    c
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|p| p.join(tool).is_file()))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn privileged(program: &str) -> Command {
    if is_root() {
        Command::new(program)
    } else {
        let mut c = Command::new("sudo");
        c.arg(program);
        c
    }
}

fn setup(for_tests: bool) -> Result<(), String> {
    if cfg!(target_os = "linux") {
        if !Path::new("/usr/bin/dpkg-query").exists() {
            eprintln!(
                "xtask: not a Debian-family system; install the equivalents of: {}",
                DEBIAN_PACKAGES.join(" ")
            );
        } else {
            let extra: &[&str] = if for_tests { TEST_PACKAGES } else { &[] };
            let missing: Vec<&str> = DEBIAN_PACKAGES
                .iter()
                .chain(extra)
                .copied()
                .filter(|p| {
                    !Command::new("dpkg-query")
                        .args(["-W", "-f=${Status}", p])
                        .output()
                        .is_ok_and(|o| {
                            String::from_utf8_lossy(&o.stdout).contains("install ok installed")
                        })
                })
                .collect();
            if !missing.is_empty() {
                run(
                    "apt-get update",
                    privileged("apt-get").args(["update", "-qq"]),
                )?;
                run(
                    &format!("install {}", missing.join(" ")),
                    privileged("apt-get")
                        .args(["install", "-y", "-qq", "--no-install-recommends"])
                        .args(&missing)
                        .env("DEBIAN_FRONTEND", "noninteractive"),
                )?;
            }
        }
    }
    check_node()?;
    let ui = root().join("ui");
    let installed = ui.join("node_modules/.package-lock.json");
    let lock = ui.join("package-lock.json");
    let stale = match (std::fs::metadata(&installed), std::fs::metadata(&lock)) {
        (Ok(i), Ok(l)) => i.modified().ok() < l.modified().ok(),
        _ => true,
    };
    if stale {
        run("npm ci (ui/)", &mut npm(&["ci", "--no-audit", "--no-fund"]))?;
    }
    if for_tests && cfg!(target_os = "linux") && !on_path("tauri-driver") {
        let cargo_bin = dirs_cargo_bin();
        if !cargo_bin.join("tauri-driver").is_file() {
            run(
                "install tauri-driver",
                cargo().args(["install", "tauri-driver", "--version", "^2", "--locked"]),
            )?;
        }
    }
    Ok(())
}

fn dirs_cargo_bin() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"))
        .join("bin")
}

fn check_node() -> Result<(), String> {
    let out = Command::new("node").arg("--version").output().map_err(|_| {
        "Node.js is not installed. Install Node.js 20 or newer (https://nodejs.org or your package manager), then run this again.".to_string()
    })?;
    let version = String::from_utf8_lossy(&out.stdout);
    let major: u32 = version
        .trim()
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if major < 20 {
        return Err(format!(
            "Node.js {} is too old; the UI build needs Node.js 20 or newer.",
            version.trim()
        ));
    }
    Ok(())
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
    run("UI type-check (svelte-check)", &mut npm(&["run", "check"]))?;
    let (ui_passed, ui_failed) = run_counting("UI unit tests (vitest)", &mut npm(&["test"]))?;
    build_ui()?;
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
    // The end-to-end tests drive the built app and tenant-sim binaries.
    run("build the app", cargo().args(["build", "--workspace"]))?;
    let mut tests = cargo();
    tests.args(["test", "--workspace"]);
    // tauri-driver lives in cargo's bin folder, which a non-login shell may not have on PATH.
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths: Vec<PathBuf> = std::env::split_paths(&path).collect();
    paths.push(dirs_cargo_bin());
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
