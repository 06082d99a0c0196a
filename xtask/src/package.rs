//! Installers and what they are made from: the icon set (from `icons/icon.svg`), the
//! installers themselves through Tauri's own CLI (`@tauri-apps/cli`, a UI dev dependency), and
//! the Windows type-check that keeps Windows code from rotting unseen on a Linux machine.

use std::path::PathBuf;
use std::process::Command;

use crate::{cargo, root, run, setup::WINDOWS_TARGET};

/// Tauri's CLI as npm installed it, run from the workspace root (it finds
/// `src-tauri/tauri.conf.json` from there).
fn tauri(args: &[&str]) -> Command {
    let mut c = Command::new("node");
    c.arg(root().join("ui/node_modules/@tauri-apps/cli/tauri.js"))
        .args(args)
        .current_dir(root());
    c
}

/// The installers this machine can build. AppImage, NSIS, MSI and DMG need tools the
/// bundler downloads at bundle time or another OS: the release workflow builds those.
fn local_bundles() -> &'static str {
    if cfg!(target_os = "linux") {
        "deb,rpm"
    } else if cfg!(target_os = "macos") {
        "app,dmg"
    } else {
        "nsis,msi"
    }
}

/// `cargo xtask icons`: every icon the bundles and the window use, from the one SVG.
pub fn icons() -> Result<(), String> {
    let icons = root().join("icons");
    let source = icons.join("icon.svg");
    let source = source
        .to_str()
        .ok_or("the icons folder's path is not UTF-8")?;
    let out = icons
        .to_str()
        .ok_or("the icons folder's path is not UTF-8")?;
    run(
        "tauri icon (the set: png, ico, icns)",
        &mut tauri(&["icon", source, "-o", out]),
    )?;
    // The Linux desktop's other sizes (hicolor theme); 512 is icon.png.
    run(
        "tauri icon (more png sizes)",
        &mut tauri(&[
            "icon", source, "-o", out, "-p", "16", "-p", "24", "-p", "48", "-p", "256",
        ]),
    )?;
    // Mobile and Microsoft Store icons: no such targets.
    for generated in ["android", "ios"] {
        let _ = std::fs::remove_dir_all(icons.join(generated));
    }
    for entry in std::fs::read_dir(&icons).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.starts_with("Square") || name == "StoreLogo.png" {
            std::fs::remove_file(&path).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// `cargo xtask bundle`: the release installers this machine can build; returns their paths.
pub fn release_bundles() -> Result<Vec<PathBuf>, String> {
    run(
        "tauri build (release installers)",
        &mut tauri(&["build", "--bundles", local_bundles()]),
    )?;
    Ok(bundles_in("release"))
}

/// The test command's package: the debug build already made by `cargo build --workspace`,
/// bundled without building again.
pub fn debug_bundles() -> Result<Vec<PathBuf>, String> {
    run(
        "tauri bundle --debug (the package the tests check)",
        &mut tauri(&["bundle", "--debug", "--bundles", local_bundles()]),
    )?;
    Ok(bundles_in("debug"))
}

fn bundles_in(profile: &str) -> Vec<PathBuf> {
    let dir = root().join("target").join(profile).join("bundle");
    let mut found = Vec::new();
    for kind in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        for file in std::fs::read_dir(kind.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let path = file.path();
            let installer = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| ["deb", "rpm", "AppImage", "dmg", "msi", "exe"].contains(&e));
            if installer {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// The whole workspace type-checks for Windows (MinGW here; MSVC on the release runner).
pub fn windows_check() -> Result<(), String> {
    let mut c = cargo();
    c.args(["check", "--workspace", "--target", WINDOWS_TARGET])
        // The C parts (SQLite, mimalloc, ring) compile with MinGW.
        .env("CC_x86_64_pc_windows_gnu", "x86_64-w64-mingw32-gcc")
        // A warning in Windows-only code fails as clippy's do on Linux (the workspace's own
        // crates only: cargo caps dependencies' lints).
        .env("CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUSTFLAGS", "-Dwarnings");
    run(
        &format!("type-check for Windows ({WINDOWS_TARGET})"),
        &mut c,
    )
}

/// The CLI built for Windows, and beside it the `ProcessPrng` stand-in that Debian 12's Wine
/// lacks (`tests/wine/`): what the Wine test runs. Returns the `.exe`.
pub fn windows_cli() -> Result<PathBuf, String> {
    let mut c = cargo();
    c.args([
        "build",
        "--bin",
        "webinar-desk-cli",
        "--target",
        WINDOWS_TARGET,
    ])
    .env("CC_x86_64_pc_windows_gnu", "x86_64-w64-mingw32-gcc")
    .env(
        "CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER",
        "x86_64-w64-mingw32-gcc",
    )
    .env("CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUSTFLAGS", "-Dwarnings");
    run(
        &format!("build the CLI for Windows ({WINDOWS_TARGET})"),
        &mut c,
    )?;
    let out = root().join("target").join(WINDOWS_TARGET).join("debug");
    let wine = root().join("tests/wine");
    run(
        "the ProcessPrng stand-in for Wine 8",
        Command::new("x86_64-w64-mingw32-gcc")
            .args(["-shared", "-O2", "-o"])
            .arg(out.join("bcryptprimitives.dll"))
            .arg(wine.join("bcryptprimitives.c"))
            .arg(wine.join("bcryptprimitives.def"))
            .arg("-ladvapi32"),
    )?;
    Ok(out.join("webinar-desk-cli.exe"))
}
