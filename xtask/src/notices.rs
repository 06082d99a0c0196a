//! The third-party notices every installer ships and the About box opens:
//! `licenses/THIRD-PARTY-NOTICES.html`, made from what `cargo about` (the Rust crates in the
//! app, for every platform the installers serve) and `license-checker-rseidelsohn` (the npm
//! packages in the web view's bundle) report.
//!
//! Both tools refuse a licence outside the accepted list (`licenses/about.toml`,
//! [`NPM_ACCEPTED`]), so a dependency the project cannot ship fails `cargo xtask notices` and
//! `cargo xtask test`. The file is committed (a plain `cargo build` needs it as a bundle
//! resource) and carries a fingerprint of what it was made from: the test command remakes it
//! when the fingerprint is stale and then fails, asking for the new file to be committed.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{cargo, npm, root};

/// The npm licences the web view's bundle may carry (SPDX, `;`-separated as the tool takes them).
const NPM_ACCEPTED: &str = "MIT;ISC;Apache-2.0;Apache-2.0 OR MIT;MIT OR Apache-2.0;BSD-2-Clause;BSD-3-Clause;0BSD;CC0-1.0;Unlicense";

/// Bump when the rendering below changes, so the committed file is remade.
const RENDERING: &str = "notices 1";

pub fn notices_file() -> PathBuf {
    root().join("licenses/THIRD-PARTY-NOTICES.html")
}

/// What the notices are made from, as one line the file carries.
fn fingerprint() -> Result<String, String> {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for input in ["Cargo.lock", "ui/package-lock.json", "licenses/about.toml"] {
        let bytes = std::fs::read(root().join(input))
            .map_err(|e| format!("cannot read {input} for the notices' fingerprint: {e}"))?;
        // FNV-1a: stable across Rust versions, unlike `DefaultHasher`.
        for b in bytes.iter().chain(RENDERING.as_bytes()) {
            hash = (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    Ok(format!("{hash:016x}"))
}

fn marker(fingerprint: &str) -> String {
    format!("<!-- made from: {fingerprint} -->")
}

/// `cargo xtask notices`: remake the file.
pub fn write() -> Result<PathBuf, String> {
    let html = make()?;
    let path = notices_file();
    std::fs::write(&path, html).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// The test command's check: the committed file is what the dependencies make. Remakes it
/// (which checks every licence) when it is stale, and fails then.
pub fn check() -> Result<(), String> {
    let want = marker(&fingerprint()?);
    let current = std::fs::read_to_string(notices_file()).unwrap_or_default();
    if current.contains(&want) {
        eprintln!("xtask: third-party notices are current");
        return Ok(());
    }
    let path = write()?;
    Err(format!(
        "the third-party notices were out of date with Cargo.lock or ui/package-lock.json; \
         every licence is accepted and {} is remade: commit it",
        path.display()
    ))
}

fn make() -> Result<String, String> {
    let fingerprint = fingerprint()?;
    let rust = rust_licences()?;
    let npm = npm_licences()?;
    Ok(render(&fingerprint, &rust, &npm))
}

/// One licence text and who ships under it.
struct Licence {
    id: String,
    text: String,
    users: Vec<String>,
}

fn rust_licences() -> Result<Vec<Licence>, String> {
    let out = tempfile_path("about.json");
    let status = cargo()
        .args(["about", "generate", "--locked", "--format", "json"])
        .arg("-c")
        .arg(root().join("licenses/about.toml"))
        .arg("-m")
        .arg(root().join("src-tauri/Cargo.toml"))
        .arg("-o")
        .arg(&out)
        .status()
        .map_err(|e| {
            format!("cargo about could not start ({e}); `cargo xtask setup` installs it")
        })?;
    if !status.success() {
        return Err(
            "cargo about refused: a crate's licence is not in licenses/about.toml's accepted \
             list, or its licence could not be read (see above)"
                .into(),
        );
    }
    let json = read_json(&out)?;
    let mut licences = Vec::new();
    for l in json["licenses"].as_array().into_iter().flatten() {
        let mut users: Vec<String> = l["used_by"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|u| {
                let c = &u["crate"];
                format!(
                    "{} {}",
                    c["name"].as_str().unwrap_or("?"),
                    c["version"].as_str().unwrap_or("?")
                )
            })
            .collect();
        users.sort();
        users.dedup();
        licences.push(Licence {
            id: l["id"].as_str().unwrap_or("?").to_owned(),
            text: l["text"].as_str().unwrap_or_default().to_owned(),
            users,
        });
    }
    Ok(licences)
}

fn npm_licences() -> Result<Vec<Licence>, String> {
    let format = tempfile_path("npm-format.json");
    std::fs::write(&format, r#"{"licenses":"","licenseText":""}"#).map_err(|e| e.to_string())?;
    let output = npm(&[
        "exec",
        "--no",
        "--",
        "license-checker-rseidelsohn",
        "--production",
        "--excludePrivatePackages",
        "--json",
        "--onlyAllow",
        NPM_ACCEPTED,
        "--customPath",
    ])
    .arg(&format)
    .output()
    .map_err(|e| format!("license-checker could not start ({e}); run `npm ci` in ui/"))?;
    if !output.status.success() {
        return Err(format!(
            "an npm package's licence is not accepted (ui/, license-checker-rseidelsohn): {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let json: Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("license-checker's answer is not JSON: {e}"))?;
    let mut licences: Vec<Licence> = Vec::new();
    for (package, info) in json.as_object().into_iter().flatten() {
        let id = info["licenses"].as_str().unwrap_or("?").to_owned();
        let text = info["licenseText"].as_str().unwrap_or_default().to_owned();
        match licences.iter_mut().find(|l| l.text == text && l.id == id) {
            Some(l) => l.users.push(package.clone()),
            None => licences.push(Licence {
                id,
                text,
                users: vec![package.clone()],
            }),
        }
    }
    Ok(licences)
}

fn tempfile_path(name: &str) -> PathBuf {
    let dir = root().join("target/notices");
    let _ = std::fs::create_dir_all(&dir);
    dir.join(name)
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

fn render(fingerprint: &str, rust: &[Licence], npm: &[Licence]) -> String {
    let mut html = String::new();
    html.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    html.push_str(&marker(fingerprint));
    html.push_str(
        "\n<title>Webinar Desk — third-party notices</title>\n\
         <style>body{font:14px/1.4 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}\
         pre{white-space:pre-wrap;background:#f4f4f5;padding:.75rem;font-size:12px}</style>\n\
         </head>\n<body>\n<h1>Third-party notices</h1>\n\
         <p>Webinar Desk is built with the open-source software listed here. Each entry names the \
         packages that ship under a licence and gives that licence's text.</p>\n",
    );
    for (title, licences) in [
        ("Rust crates", rust),
        ("JavaScript packages (the window)", npm),
    ] {
        html.push_str(&format!("<h2>{}</h2>\n", escape(title)));
        for l in licences {
            html.push_str(&format!(
                "<section>\n<h3>{}</h3>\n<p>Used by: {}</p>\n<pre>{}</pre>\n</section>\n",
                escape(&l.id),
                escape(&l.users.join(", ")),
                escape(l.text.trim())
            ));
        }
    }
    html.push_str("</body>\n</html>\n");
    html
}

#[cfg(test)]
mod tests {
    #[test]
    fn escape_makes_markup_in_a_licence_text_plain() {
        assert_eq!(
            super::escape("<a href=\"x\">&</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
        );
    }
}
