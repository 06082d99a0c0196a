//! The exported files open correctly in a real spreadsheet: LibreOffice, headless, reads each
//! CSV shape (and the Teams layout, UTF-16 and tab-separated) and writes back the same cells —
//! quotes, commas, line breaks, non-ASCII names and neutralized formulas included, nothing
//! evaluated. `cargo xtask setup` installs LibreOffice (`libreoffice-calc-nogui`).

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Utc};
use webinar_desk_core::export::{self, CsvOptions, SessionInfo};
use webinar_desk_core::store::{AttendanceRow, RegistrationListRow};

fn soffice() -> PathBuf {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("soffice"))
        .find(|p| p.is_file())
        .expect("LibreOffice's soffice is needed for this test: `cargo xtask setup` installs it (apt-get install libreoffice-calc-nogui)")
}

/// LibreOffice opens `file` with the CSV import `filter` and saves it as plain UTF-8 CSV; the
/// cells it saw, row by row.
fn through_libreoffice(file: &Path, filter: &str, scratch: &Path) -> Vec<Vec<String>> {
    let out = scratch.join("out");
    let status = Command::new(soffice())
        .arg(format!(
            "-env:UserInstallation=file://{}",
            scratch.join("profile").display()
        ))
        .args([
            "--headless",
            &format!("--infilter={filter}"),
            "--convert-to",
        ])
        // Comma, double quote, UTF-8, from line 1, quote every text cell, as shown.
        .arg("csv:Text - txt - csv (StarCalc):44,34,76,1,,0,true,true")
        .arg("--outdir")
        .arg(&out)
        .arg(file)
        .output()
        .expect("soffice runs");
    let written = out.join(file.file_name().unwrap());
    assert!(
        written.is_file(),
        "LibreOffice did not convert {}: {}",
        file.display(),
        String::from_utf8_lossy(&status.stderr)
    );
    cells(&std::fs::read(written).unwrap(), b',')
}

fn cells(bytes: &[u8], delimiter: u8) -> Vec<Vec<String>> {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        // Teams' tab-separated layout has no quoting; the CSVs have RFC 4180's.
        .quoting(delimiter == b',')
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// Equal as a reader sees them: numbers by value (LibreOffice writes 85.0 as 85), the rest
/// as text; trailing empty cells are not cells, and a blank line (the Teams layout's section
/// break, which the csv reader skips) is not a row.
fn same(ours: &[Vec<String>], theirs: &[Vec<String>], what: &str) {
    let rows = |t: &[Vec<String>]| -> Vec<Vec<String>> {
        t.iter()
            .filter(|r| r.iter().any(|c| !c.is_empty()))
            .cloned()
            .collect()
    };
    let (ours, theirs) = (&rows(ours), &rows(theirs));
    let trim = |row: &Vec<String>| {
        let mut r = row.clone();
        while r.last().is_some_and(String::is_empty) {
            r.pop();
        }
        r
    };
    assert_eq!(
        ours.len(),
        theirs.len(),
        "{what}: row count\nours {ours:#?}\ntheirs {theirs:#?}"
    );
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        let (a, b) = (trim(a), trim(b));
        assert_eq!(a.len(), b.len(), "{what} row {i}: {a:?} vs {b:?}");
        for (x, y) in a.iter().zip(&b) {
            let numbers = x.parse::<f64>().ok().zip(y.parse::<f64>().ok());
            match numbers {
                Some((p, q)) => assert!((p - q).abs() < 1e-9, "{what} row {i}: {x} vs {y}"),
                None => assert_eq!(x, y, "{what} row {i}"),
            }
        }
    }
}

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn session() -> SessionInfo {
    SessionInfo {
        webinar_id: "w1@tenant".into(),
        title: "Excel, \"deep\" dive — Séance 1".into(),
        series: Some(("Excel; the course".into(), 1)),
        start: Some(t("2026-10-20T12:00:00Z")),
        questions: vec![("q1".into(), "Job title".into())],
    }
}

const NAMES: &[(&str, Option<&str>)] = &[
    ("Zoë \"Z\" O'Brien", Some("zoe@contoso.example")),
    ("Мария Иванова, PhD", Some("maria@contoso.example")),
    ("=HYPERLINK(\"http://evil.example\",\"click\")", None),
    ("+1 555 0100", Some("@mention@contoso.example")),
    ("Two\nlines", Some("two@contoso.example")),
    ("山田 太郎", Some("-taro@contoso.example")),
];

#[test]
fn every_export_reads_back_cell_for_cell_in_libreoffice() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let answers = |i: usize| {
        [("q1".to_string(), format!("=cmd|' /C calc'!A{i}, \"boss\""))]
            .into_iter()
            .collect()
    };
    let attendance: Vec<AttendanceRow> = NAMES
        .iter()
        .enumerate()
        .map(|(i, (name, email))| AttendanceRow {
            person_key: format!("p{i}"),
            name: name.to_string(),
            email: email.map(str::to_string),
            registered: i % 2 == 0,
            seconds_present: 3000 + i as i64,
            pct: 83.5 + i as f64,
            first_join: Some(t("2026-10-20T11:58:00Z")),
            last_leave: Some(t("2026-10-20T13:00:00Z")),
            rejoins: i as u32,
            late_minutes: 0,
            early_leave_minutes: 2,
            outcome: if i % 3 == 0 { "partial" } else { "attended" }.into(),
            answers: answers(i),
        })
        .collect();
    let registrations: Vec<RegistrationListRow> = NAMES
        .iter()
        .enumerate()
        .map(|(i, (name, email))| RegistrationListRow {
            id: format!("r{i}"),
            name: name.to_string(),
            email: email.map(str::to_string),
            status: "registered".into(),
            registered_at: Some(t("2026-10-01T09:00:00Z")),
            canceled_at: None,
            answers: answers(i),
        })
        .collect();
    let presence: Vec<export::Presence> = NAMES
        .iter()
        .map(|(name, email)| {
            (
                name.to_string(),
                email.map(str::to_string),
                vec![
                    (t("2026-10-20T11:58:00Z"), t("2026-10-20T12:20:30Z")),
                    (t("2026-10-20T12:25:00Z"), t("2026-10-20T13:00:00Z")),
                ],
            )
        })
        .collect();
    let tz = chrono_tz::Europe::Berlin;
    let bom = CsvOptions { bom: true };
    let files = [
        (
            "attendance.csv",
            export::attendance(&[(session(), attendance)], tz, bom).unwrap(),
        ),
        (
            "registrations.csv",
            export::registrations(&[(session(), registrations)], bom).unwrap(),
        ),
        (
            "intervals.csv",
            export::intervals(&[(session(), presence.clone())], tz, bom).unwrap(),
        ),
    ];
    for (name, bytes) in &files {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        // Comma, double quote, UTF-8 (76), from line 1.
        let theirs = through_libreoffice(&path, "CSV:44,34,76,1", dir);
        let ours = cells(bytes, b',');
        same(&ours, &theirs, name);
        let flat: String = theirs.iter().flatten().cloned().collect();
        assert!(
            flat.contains("Мария Иванова, PhD") && flat.contains("山田 太郎"),
            "{name}"
        );
        assert!(
            flat.contains("'=HYPERLINK(\"http://evil.example\",\"click\")"),
            "{name}: the formula stays text"
        );
    }

    // The Teams layout: UTF-16 (65535), tab-separated (9).
    let people: Vec<export::teams::Participant> = presence
        .into_iter()
        .map(|(name, email, spans)| export::teams::Participant {
            name,
            email,
            role: "Attendee".into(),
            spans,
        })
        .collect();
    let meeting = export::teams::Meeting {
        title: "Excel, \"deep\" dive — Séance 1".into(),
        start: Some(t("2026-10-20T12:00:00Z")),
        end: Some(t("2026-10-20T13:00:00Z")),
        tz,
    };
    let bytes = export::teams::report(&meeting, &people);
    let path = dir.join("teams.csv");
    std::fs::write(&path, &bytes).unwrap();
    let theirs = through_libreoffice(&path, "CSV:9,34,65535,1", dir);
    let units: Vec<u16> = bytes[2..]
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let text = String::from_utf16(&units).unwrap();
    let ours = cells(text.as_bytes(), b'\t');
    same(&ours, &theirs, "teams.csv");
    assert_eq!(theirs[0][0], "1. Summary");
}
