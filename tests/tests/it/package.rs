//! The Linux package as a user's machine receives it: Debian's own checker has no error to
//! report, it holds what an installed app needs (binary, desktop entry, icons, notices,
//! declared dependencies), and the binary taken out of it starts in demo mode and shows its
//! first screen. `cargo xtask test` makes the package from the build under test
//! (`tauri bundle --debug`) and names it in `WEBINAR_DESK_TEST_DEB` / `…_RPM`.

use std::path::{Path, PathBuf};
use std::process::Command;

use webinar_desk_tests::desktop::{
    Desktop, complete_sign_in, quit, screenshot, text_of, wait_for_text, wait_for_webinars,
};

/// The package named by `var`, else the one newest in `target/debug/bundle/<kind>`.
pub(crate) fn package(var: &str, kind: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(var) {
        return PathBuf::from(path);
    }
    let dir = webinar_desk_tests::workspace_root()
        .join("target/debug/bundle")
        .join(kind);
    std::fs::read_dir(&dir)
        .ok()
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == kind))
        .max_by_key(|p| p.metadata().and_then(|m| m.modified()).ok())
        .unwrap_or_else(|| {
            panic!(
                "no .{kind} package in {}: run `cargo xtask test`, which builds it",
                dir.display()
            )
        })
}

fn output(program: &str, args: &[&str], file: &Path) -> String {
    let out = Command::new(program)
        .args(args)
        .arg(file)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} does not start ({e}); `cargo xtask setup` installs it")
        });
    assert!(
        out.status.success() || program == "lintian",
        "{program} {args:?} {} failed: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Unpacks the deb into `dir` as dpkg would install it under `/`.
pub(crate) fn unpack(deb: &Path, dir: &Path) {
    let status = Command::new("dpkg-deb")
        .arg("-x")
        .arg(deb)
        .arg(dir)
        .status()
        .unwrap();
    assert!(status.success(), "dpkg-deb -x {}", deb.display());
}

#[test]
fn lintian_finds_no_error_in_the_deb() {
    let deb = package("WEBINAR_DESK_TEST_DEB", "deb");
    // The package under test is made from the debug build, which keeps its symbols for test
    // backtraces; the release profile strips them (`strip = true`).
    let report = output(
        "lintian",
        &[
            "--tag-display-limit",
            "0",
            "--suppress-tags",
            "unstripped-binary-or-object",
        ],
        &deb,
    );
    let errors: Vec<&str> = report.lines().filter(|l| l.starts_with("E:")).collect();
    assert!(
        errors.is_empty(),
        "lintian reported errors in {}:\n{}\n(whole report:\n{report})",
        deb.display(),
        errors.join("\n")
    );
}

#[test]
fn the_deb_declares_its_libraries_and_holds_what_an_installed_app_needs() {
    let deb = package("WEBINAR_DESK_TEST_DEB", "deb");
    let depends = output("dpkg-deb", &["-f"], &deb);
    for needed in ["libwebkit2gtk-4.1-0", "libgtk-3-0", "libc6"] {
        assert!(
            depends.contains(needed),
            "the package's control fields do not name {needed}:\n{depends}"
        );
    }
    let fields = output("dpkg-deb", &["-f"], &deb);
    assert!(
        fields.contains("Package: webinar-desk") && fields.contains("Maintainer: "),
        "{fields}"
    );

    let root = tempfile::tempdir().unwrap();
    unpack(&deb, root.path());
    let binary = root.path().join("usr/bin/webinar-desk");
    let mode = std::os::unix::fs::PermissionsExt::mode(&binary.metadata().unwrap().permissions());
    assert!(
        mode & 0o111 != 0,
        "usr/bin/webinar-desk is not executable ({mode:o})"
    );

    let entry = std::fs::read_to_string(
        root.path()
            .join("usr/share/applications/Webinar Desk.desktop"),
    )
    .expect("a desktop entry in usr/share/applications");
    for line in [
        "Exec=webinar-desk",
        "Icon=webinar-desk",
        "Name=Webinar Desk",
        "Type=Application",
    ] {
        assert!(
            entry.lines().any(|l| l == line),
            "desktop entry lacks {line}:\n{entry}"
        );
    }
    let validate = Command::new("desktop-file-validate")
        .arg(
            root.path()
                .join("usr/share/applications/Webinar Desk.desktop"),
        )
        .output()
        .expect("desktop-file-validate runs (apt-get install desktop-file-utils)");
    assert!(
        validate.status.success() && validate.stdout.is_empty(),
        "desktop-file-validate: {}",
        String::from_utf8_lossy(&validate.stdout)
    );

    for size in [
        "16x16", "32x32", "48x48", "64x64", "128x128", "256x256", "512x512",
    ] {
        let icon = root.path().join(format!(
            "usr/share/icons/hicolor/{size}/apps/webinar-desk.png"
        ));
        assert!(icon.is_file(), "no {size} icon at {}", icon.display());
    }
    let notices = std::fs::read_to_string(
        root.path()
            .join("usr/lib/Webinar Desk/THIRD-PARTY-NOTICES.html"),
    )
    .expect("the third-party notices ship with the app");
    assert!(
        notices.contains("tauri") && notices.contains("svelte"),
        "the notices name neither the Rust crates nor the npm packages"
    );
    let docs = root.path().join("usr/share/doc/webinar-desk");
    assert!(
        docs.join("copyright").is_file(),
        "no usr/share/doc/webinar-desk/copyright"
    );
    // The packaged changelog is the committed text, compressed (`gzip -9n`).
    let changelog = output("gzip", &["-dc"], &docs.join("changelog.gz"));
    let source = webinar_desk_tests::workspace_root().join("packaging/linux/changelog");
    assert_eq!(
        changelog,
        std::fs::read_to_string(&source).unwrap(),
        "changelog.gz is not packaging/linux/changelog: run `gzip -9nc packaging/linux/changelog > packaging/linux/changelog.gz`"
    );
}

#[test]
fn the_rpm_declares_its_libraries_and_holds_the_same_files() {
    let rpm = package("WEBINAR_DESK_TEST_RPM", "rpm");
    let requires = output("rpm", &["-qp", "--requires"], &rpm);
    for needed in ["libwebkit2gtk-4.1.so.0", "libgtk-3.so.0"] {
        assert!(
            requires.contains(needed),
            "the rpm does not require {needed}:\n{requires}"
        );
    }
    let files = output("rpm", &["-qpl"], &rpm);
    for needed in [
        "/usr/bin/webinar-desk",
        "/usr/share/applications/Webinar Desk.desktop",
        "/usr/share/icons/hicolor/512x512/apps/webinar-desk.png",
        "/usr/lib/Webinar Desk/THIRD-PARTY-NOTICES.html",
    ] {
        assert!(
            files.lines().any(|l| l == needed),
            "the rpm lacks {needed}:\n{files}"
        );
    }
}

/// The binary as the package installs it, started with `--demo`: its first screen offers the
/// demo tenant's sign-in, and signing in lists the demo webinars.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_packaged_app_starts_in_demo_mode_and_shows_its_first_screen() {
    let deb = package("WEBINAR_DESK_TEST_DEB", "deb");
    let scratch = tempfile::tempdir().unwrap();
    let installed = scratch.path().join("installed");
    unpack(&deb, &installed);
    let mut desktop = Desktop::start(scratch.path());

    let app = desktop
        .launch_binary(&installed.join("usr/bin/webinar-desk"), &["--demo"])
        .await;
    wait_for_text(&app, "#sign-in", |t| t.contains("demo tenant")).await;
    let shot = screenshot(&app, "00-package-first-screen").await;
    assert!(
        shot.metadata().unwrap().len() > 10_000,
        "a blank screenshot"
    );
    app.find(fantoccini::Locator::Css("#sign-in"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    complete_sign_in(&desktop.browser_url().await, "organizer").await;
    wait_for_webinars(&app).await;
    let header = text_of(&app, "header").await;
    assert!(header.contains("Megan Bowen"), "{header}");
    quit(app).await;
}
