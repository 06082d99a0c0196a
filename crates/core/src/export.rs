//! Export: attendance and registrations as CSV files another program can read — one row per
//! person per session, one row per join/leave interval, the series matrix, registrations.
//!
//! Pure: rows in, bytes out. Invariants: RFC 4180 quoting (the `csv` crate); UTF-8, with a
//! byte-order mark unless asked not to (spreadsheets then read non-ASCII names right); column
//! names are stable (the README lists them); a text cell that a spreadsheet would run as a
//! formula — starting with `=`, `+`, `-`, `@`, a tab or a carriage return — gets a leading `'`
//! (OWASP's advice), so it shows as typed and never runs; numbers we write are never altered.

pub mod ics;
pub mod teams;

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::attendance::Outcome;
use crate::store::{AttendanceRow, RegistrationListRow};

/// How a file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvOptions {
    /// Start with a UTF-8 byte-order mark (Excel needs it to read UTF-8).
    pub bom: bool,
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self { bom: true }
    }
}

/// A session as the files name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub webinar_id: String,
    pub title: String,
    /// The series and the session's number in it, for a series export.
    pub series: Option<(String, u32)>,
    pub start: Option<DateTime<Utc>>,
    /// Registration questions (id, text), in order: one column each.
    pub questions: Vec<(String, String)>,
}

/// A text cell as written: formula-like starts neutralized.
pub fn neutralize(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

/// The columns of [`attendance`], before one per question.
pub const ATTENDANCE_COLUMNS: &[&str] = &[
    "series",
    "session",
    "webinar_id",
    "webinar_title",
    "session_start_utc",
    "name",
    "email",
    "registered",
    "outcome",
    "seconds_present",
    "percent_of_session",
    "first_join_utc",
    "last_leave_utc",
    "first_join_local",
    "last_leave_local",
    "time_zone",
    "rejoins",
    "late_minutes",
    "left_early_minutes",
];

/// One row per person per session, with the metrics and registration answers as columns (the
/// union of every session's questions, by question text, in first-seen order).
pub fn attendance(
    sessions: &[(SessionInfo, Vec<AttendanceRow>)],
    tz: Tz,
    options: CsvOptions,
) -> Result<Vec<u8>, csv::Error> {
    let infos: Vec<&SessionInfo> = sessions.iter().map(|(s, _)| s).collect();
    let mut csv = AttendanceCsv::new(infos.iter().copied(), tz, options)?;
    for (s, rows) in sessions {
        csv.rows(s, rows)?;
    }
    csv.finish()
}

/// The attendance CSV written a batch of rows at a time, so a reader can feed it while it
/// writes (the export of a large session overlaps reading the store with writing the file).
#[derive(Debug)]
pub struct AttendanceCsv {
    w: csv::Writer<Vec<u8>>,
    tz: Tz,
    questions: Vec<String>,
    buf: String,
}

impl AttendanceCsv {
    /// Starts the file: the header, with the question columns of every session to come.
    pub fn new<'a>(
        sessions: impl Iterator<Item = &'a SessionInfo> + Clone,
        tz: Tz,
        options: CsvOptions,
    ) -> Result<Self, csv::Error> {
        let questions = question_columns(sessions);
        let mut w = writer(options);
        let mut header: Vec<String> = ATTENDANCE_COLUMNS.iter().map(|c| c.to_string()).collect();
        header.extend(questions.iter().map(|q| neutralize(q).into_owned()));
        w.write_record(&header)?;
        Ok(Self {
            w,
            tz,
            questions,
            buf: String::with_capacity(32),
        })
    }

    /// Writes `rows` of session `s`.
    pub fn rows(&mut self, s: &SessionInfo, rows: &[AttendanceRow]) -> Result<(), csv::Error> {
        // Hot path (100,000 rows in well under a second): fields are written one by one from
        // borrowed text, times through a reused buffer, never a String per cell.
        let (w, buf, tz) = (&mut self.w, &mut self.buf, self.tz);
        let series = neutralize(s.series.as_ref().map_or("", |(t, _)| t));
        let number = s
            .series
            .as_ref()
            .map_or(String::new(), |(_, n)| n.to_string());
        let title = neutralize(&s.title);
        let start = utc(s.start);
        let answer_ids = answer_ids(s, &self.questions);
        for r in rows {
            w.write_field(series.as_bytes())?;
            w.write_field(number.as_bytes())?;
            w.write_field(s.webinar_id.as_bytes())?;
            w.write_field(title.as_bytes())?;
            w.write_field(start.as_bytes())?;
            w.write_field(neutralize(&r.name).as_bytes())?;
            w.write_field(neutralize(r.email.as_deref().unwrap_or("")).as_bytes())?;
            w.write_field(if r.registered { "yes" } else { "no" })?;
            w.write_field(outcome_word(&r.outcome))?;
            number_field(w, buf, r.seconds_present)?;
            buf.clear();
            let _ = write!(buf, "{:.1}", r.pct);
            w.write_field(buf.as_bytes())?;
            for t in [r.first_join, r.last_leave] {
                time_field(w, buf, t.map(|t| t.naive_utc()), "T", "Z")?;
            }
            for t in [r.first_join, r.last_leave] {
                let local = t.map(|t| t.with_timezone(&tz).naive_local());
                time_field(w, buf, local, " ", "")?;
            }
            w.write_field(tz.name())?;
            number_field(w, buf, i64::from(r.rejoins))?;
            number_field(w, buf, r.late_minutes)?;
            number_field(w, buf, r.early_leave_minutes)?;
            for id in &answer_ids {
                let answer = id.and_then(|id| r.answers.get(id));
                w.write_field(neutralize(answer.map_or("", String::as_str)).as_bytes())?;
            }
            w.write_record(None::<&[u8]>)?;
        }
        Ok(())
    }

    pub fn finish(self) -> Result<Vec<u8>, csv::Error> {
        finish(self.w)
    }
}

/// The columns of [`intervals`].
pub const INTERVAL_COLUMNS: &[&str] = &[
    "series",
    "session",
    "webinar_id",
    "webinar_title",
    "name",
    "email",
    "join_utc",
    "leave_utc",
    "join_local",
    "leave_local",
    "time_zone",
    "seconds",
];

/// One person's merged presence in a session: (name, e-mail, intervals).
pub type Presence = (String, Option<String>, Vec<(DateTime<Utc>, DateTime<Utc>)>);

/// One row per join/leave interval (a person's presence merged across report versions, so a
/// restarted meeting does not repeat anyone), with UTC and local times and the duration.
pub fn intervals(
    sessions: &[(SessionInfo, Vec<Presence>)],
    tz: Tz,
    options: CsvOptions,
) -> Result<Vec<u8>, csv::Error> {
    let mut w = writer(options);
    w.write_record(INTERVAL_COLUMNS)?;
    for (s, people) in sessions {
        for (name, email, spans) in people {
            for (join, leave) in spans {
                w.write_record([
                    text_cell(s.series.as_ref().map_or("", |(t, _)| t)),
                    s.series
                        .as_ref()
                        .map_or(String::new(), |(_, n)| n.to_string()),
                    s.webinar_id.clone(),
                    text_cell(&s.title),
                    text_cell(name),
                    text_cell(email.as_deref().unwrap_or("")),
                    utc(Some(*join)),
                    utc(Some(*leave)),
                    local(Some(*join), tz),
                    local(Some(*leave), tz),
                    tz.name().to_string(),
                    (*leave - *join).num_seconds().max(0).to_string(),
                ])?;
            }
        }
    }
    finish(w)
}

/// The series matrix: one row per person, one column per session (`S1`, `S2`, …) holding the
/// outcome (empty: neither registered nor attended), then `attended`, `sessions`, `complete`.
pub fn matrix(
    sessions: &[u32],
    rows: &[crate::attendance::MatrixRow],
    options: CsvOptions,
) -> Result<Vec<u8>, csv::Error> {
    let mut w = writer(options);
    let mut header = vec!["name".to_string(), "email".to_string()];
    header.extend(sessions.iter().map(|n| format!("S{n}")));
    header.extend(["attended", "sessions", "complete"].map(String::from));
    w.write_record(&header)?;
    for r in rows {
        let mut record = vec![
            text_cell(&r.name),
            text_cell(r.email.as_deref().unwrap_or("")),
        ];
        record.extend(r.cells.iter().map(|c| {
            c.map_or(String::new(), |o| match o {
                Outcome::Attended => "attended".into(),
                Outcome::Partial => "partial".into(),
                Outcome::NoShow => "no-show".into(),
            })
        }));
        record.push(r.attended.to_string());
        record.push(sessions.len().to_string());
        record.push(if r.complete { "yes" } else { "no" }.into());
        w.write_record(&record)?;
    }
    finish(w)
}

/// The columns of [`registrations`], before one per question.
pub const REGISTRATION_COLUMNS: &[&str] = &[
    "series",
    "session",
    "webinar_id",
    "webinar_title",
    "name",
    "email",
    "status",
    "registered_utc",
    "canceled_utc",
    "registration_id",
];

/// One row per registration, with the answers as columns.
pub fn registrations(
    sessions: &[(SessionInfo, Vec<RegistrationListRow>)],
    options: CsvOptions,
) -> Result<Vec<u8>, csv::Error> {
    let questions = question_columns(sessions.iter().map(|(s, _)| s));
    let mut w = writer(options);
    let mut header: Vec<String> = REGISTRATION_COLUMNS.iter().map(|c| c.to_string()).collect();
    header.extend(questions.iter().map(|q| neutralize(q).into_owned()));
    w.write_record(&header)?;
    for (s, rows) in sessions {
        let ids = answer_ids(s, &questions);
        for r in rows {
            let mut record = vec![
                text_cell(s.series.as_ref().map_or("", |(t, _)| t)),
                s.series
                    .as_ref()
                    .map_or(String::new(), |(_, n)| n.to_string()),
                s.webinar_id.clone(),
                text_cell(&s.title),
                text_cell(&r.name),
                text_cell(r.email.as_deref().unwrap_or("")),
                r.status.clone(),
                utc(r.registered_at),
                utc(r.canceled_at),
                r.id.clone(),
            ];
            for id in &ids {
                let answer = id.and_then(|id| r.answers.get(id));
                record.push(text_cell(answer.map_or("", String::as_str)));
            }
            w.write_record(&record)?;
        }
    }
    finish(w)
}

/// The columns of [`journal`].
pub const JOURNAL_COLUMNS: &[&str] = &[
    "seq",
    "at_utc",
    "actor",
    "action",
    "series_id",
    "session",
    "target",
    "outcome",
    "http_status",
    "error_class",
    "client_request_id",
    "request_id",
    "message",
    "operation_id",
];

/// The journal (audit log), one row per entry, in the order given.
pub fn journal(
    entries: &[crate::store::JournalEntry],
    options: CsvOptions,
) -> Result<Vec<u8>, csv::Error> {
    let mut w = writer(options);
    w.write_record(JOURNAL_COLUMNS)?;
    for e in entries {
        w.write_record([
            e.seq.map_or(String::new(), |s| s.to_string()),
            utc(Some(e.at)),
            text_cell(&e.actor),
            text_cell(&e.action),
            text_cell(e.series_id.as_deref().unwrap_or("")),
            e.n.map_or(String::new(), |n| n.to_string()),
            text_cell(e.target.as_deref().unwrap_or("")),
            e.phase.as_str().to_string(),
            e.status.map_or(String::new(), |s| s.to_string()),
            text_cell(e.error_class.as_deref().unwrap_or("")),
            text_cell(e.client_request_id.as_deref().unwrap_or("")),
            text_cell(e.request_id.as_deref().unwrap_or("")),
            text_cell(e.message.as_deref().unwrap_or("")),
            text_cell(&e.operation_id),
        ])?;
    }
    finish(w)
}

/// Writes a file whole or not at all: into a temporary file beside it, then renamed over it.
pub fn save(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    let written = std::fs::write(&partial, bytes).and_then(|()| std::fs::rename(&partial, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    written
}

/// The question columns of a file: every session's questions by their text, in first-seen
/// order (sessions of a series ask the same questions under different ids).
fn question_columns<'a>(sessions: impl Iterator<Item = &'a SessionInfo>) -> Vec<String> {
    let mut columns: Vec<String> = Vec::new();
    for s in sessions {
        for (_, text) in &s.questions {
            if !columns.contains(text) {
                columns.push(text.clone());
            }
        }
    }
    columns
}

/// For each question column, the session's id for that question (if it asks it).
fn answer_ids<'a>(s: &'a SessionInfo, columns: &[String]) -> Vec<Option<&'a String>> {
    columns
        .iter()
        .map(|q| {
            s.questions
                .iter()
                .find(|(_, text)| text == q)
                .map(|(id, _)| id)
        })
        .collect()
}

fn writer(options: CsvOptions) -> csv::Writer<Vec<u8>> {
    let mut out = Vec::new();
    if options.bom {
        out.extend_from_slice("\u{feff}".as_bytes());
    }
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out)
}

fn finish(w: csv::Writer<Vec<u8>>) -> Result<Vec<u8>, csv::Error> {
    w.into_inner().map_err(|e| e.into_error().into())
}

fn number_field(w: &mut csv::Writer<Vec<u8>>, buf: &mut String, n: i64) -> Result<(), csv::Error> {
    buf.clear();
    let _ = write!(buf, "{n}");
    w.write_field(buf.as_bytes())
}

/// `YYYY-MM-DD{sep}HH:MM:SS{suffix}`, or an empty field.
fn time_field(
    w: &mut csv::Writer<Vec<u8>>,
    buf: &mut String,
    t: Option<chrono::NaiveDateTime>,
    sep: &str,
    suffix: &str,
) -> Result<(), csv::Error> {
    use chrono::{Datelike, Timelike};
    buf.clear();
    if let Some(t) = t {
        let _ = write!(
            buf,
            "{:04}-{:02}-{:02}{sep}{:02}:{:02}:{:02}{suffix}",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        );
    }
    w.write_field(buf.as_bytes())
}

fn text_cell(text: &str) -> String {
    neutralize(text).into_owned()
}

fn utc(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn local(t: Option<DateTime<Utc>>, tz: Tz) -> String {
    t.map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

fn outcome_word(outcome: &str) -> &str {
    match outcome {
        "noShow" => "no-show",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn session() -> SessionInfo {
        SessionInfo {
            webinar_id: "w1".into(),
            title: "Data, \"Literacy\" — Session 1".into(),
            series: Some(("Data Literacy".into(), 1)),
            start: Some(t("2027-03-02T13:00:00Z")),
            questions: vec![("q1".into(), "Team?".into())],
        }
    }

    fn person(name: &str, email: Option<&str>, answer: &str) -> AttendanceRow {
        AttendanceRow {
            person_key: format!("email:{name}"),
            name: name.into(),
            email: email.map(str::to_string),
            registered: true,
            seconds_present: 3300,
            pct: 91.66,
            first_join: Some(t("2027-03-02T13:02:00Z")),
            last_leave: Some(t("2027-03-02T13:59:30Z")),
            rejoins: 1,
            late_minutes: 2,
            early_leave_minutes: 0,
            outcome: "attended".into(),
            answers: BTreeMap::from([("q1".to_string(), answer.to_string())]),
        }
    }

    #[test]
    fn attendance_rows_quote_escape_and_neutralize_as_documented() {
        let rows = vec![
            person("Zoë O'Brien", Some("zoe@x.com"), "Sales, EMEA"),
            person("=HYPERLINK(\"http://evil\")", None, "line one\nline two"),
            person("-5 Minus", Some("@mention@x.com"), "+1"),
        ];
        let bytes = attendance(
            &[(session(), rows)],
            chrono_tz::Europe::Berlin,
            CsvOptions::default(),
        )
        .unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let expected = "\u{feff}series,session,webinar_id,webinar_title,session_start_utc,name,email,registered,outcome,seconds_present,percent_of_session,first_join_utc,last_leave_utc,first_join_local,last_leave_local,time_zone,rejoins,late_minutes,left_early_minutes,Team?\r\n\
Data Literacy,1,w1,\"Data, \"\"Literacy\"\" — Session 1\",2027-03-02T13:00:00Z,Zoë O'Brien,zoe@x.com,yes,attended,3300,91.7,2027-03-02T13:02:00Z,2027-03-02T13:59:30Z,2027-03-02 14:02:00,2027-03-02 14:59:30,Europe/Berlin,1,2,0,\"Sales, EMEA\"\r\n\
Data Literacy,1,w1,\"Data, \"\"Literacy\"\" — Session 1\",2027-03-02T13:00:00Z,\"'=HYPERLINK(\"\"http://evil\"\")\",,yes,attended,3300,91.7,2027-03-02T13:02:00Z,2027-03-02T13:59:30Z,2027-03-02 14:02:00,2027-03-02 14:59:30,Europe/Berlin,1,2,0,\"line one\nline two\"\r\n\
Data Literacy,1,w1,\"Data, \"\"Literacy\"\" — Session 1\",2027-03-02T13:00:00Z,'-5 Minus,'@mention@x.com,yes,attended,3300,91.7,2027-03-02T13:02:00Z,2027-03-02T13:59:30Z,2027-03-02 14:02:00,2027-03-02 14:59:30,Europe/Berlin,1,2,0,'+1\r\n";
        assert_eq!(text, expected);
    }

    #[test]
    fn intervals_have_utc_local_and_seconds_and_no_bom_when_asked() {
        let people: Vec<Presence> = vec![(
            "Ann".into(),
            Some("ann@x.com".into()),
            vec![
                (t("2027-03-02T13:00:00Z"), t("2027-03-02T13:20:00Z")),
                (t("2027-03-02T13:25:00Z"), t("2027-03-02T14:00:00Z")),
            ],
        )];
        let text = String::from_utf8(
            intervals(
                &[(session(), people)],
                chrono_tz::America::New_York,
                CsvOptions { bom: false },
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(
            text,
            "series,session,webinar_id,webinar_title,name,email,join_utc,leave_utc,join_local,leave_local,time_zone,seconds\r\n\
Data Literacy,1,w1,\"Data, \"\"Literacy\"\" — Session 1\",Ann,ann@x.com,2027-03-02T13:00:00Z,2027-03-02T13:20:00Z,2027-03-02 08:00:00,2027-03-02 08:20:00,America/New_York,1200\r\n\
Data Literacy,1,w1,\"Data, \"\"Literacy\"\" — Session 1\",Ann,ann@x.com,2027-03-02T13:25:00Z,2027-03-02T14:00:00Z,2027-03-02 08:25:00,2027-03-02 09:00:00,America/New_York,2100\r\n"
        );
    }

    #[test]
    fn the_matrix_has_a_column_per_session() {
        let rows = vec![crate::attendance::MatrixRow {
            person: "ann@x.com".into(),
            email: Some("ann@x.com".into()),
            session_key: None,
            name: "Ann".into(),
            cells: vec![Some(Outcome::Attended), None, Some(Outcome::NoShow)],
            attended: 1,
            complete: false,
        }];
        let text = String::from_utf8(matrix(&[1, 2, 3], &rows, CsvOptions { bom: false }).unwrap())
            .unwrap();
        assert_eq!(
            text,
            "name,email,S1,S2,S3,attended,sessions,complete\r\nAnn,ann@x.com,attended,,no-show,1,3,no\r\n"
        );
    }

    #[test]
    fn formula_like_starts_are_neutralized_and_nothing_else() {
        for bad in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(neutralize(bad).starts_with('\''), "{bad:?}");
        }
        for fine in ["Ann", "1-2", "a=b", "", "'quoted"] {
            assert_eq!(neutralize(fine), fine);
        }
    }

    #[test]
    fn registrations_have_status_times_and_answers() {
        let rows = vec![RegistrationListRow {
            id: "r1".into(),
            name: "Ann Lee".into(),
            email: Some("ann@x.com".into()),
            status: "canceled".into(),
            registered_at: Some(t("2027-02-20T09:30:00Z")),
            canceled_at: Some(t("2027-02-21T10:00:00Z")),
            answers: BTreeMap::from([("q1".to_string(), "=cmd|' /C calc'!A0".to_string())]),
        }];
        let text = String::from_utf8(
            registrations(&[(session(), rows)], CsvOptions { bom: false }).unwrap(),
        )
        .unwrap();
        assert_eq!(
            text,
            "series,session,webinar_id,webinar_title,name,email,status,registered_utc,canceled_utc,registration_id,Team?\r\n\
Data Literacy,1,w1,\"Data, \"\"Literacy\"\" — Session 1\",Ann Lee,ann@x.com,canceled,2027-02-20T09:30:00Z,2027-02-21T10:00:00Z,r1,'=cmd|' /C calc'!A0\r\n"
        );
    }

    #[test]
    fn the_journal_exports_one_row_per_entry_with_its_ids() {
        let e = crate::store::JournalEntry {
            seq: Some(7),
            operation_id: "op-1".into(),
            series_id: Some("s-1".into()),
            n: Some(2),
            action: "publish".into(),
            target: Some("w2".into()),
            phase: crate::store::Phase::Failed,
            at: t("2027-03-02T10:00:00Z"),
            actor: "megan@contoso.com".into(),
            client_request_id: Some("c-1".into()),
            request_id: Some("r-1".into()),
            status: Some(403),
            error_class: Some("forbidden".into()),
            message: Some("Publishing is turned off, by policy.".into()),
        };
        let text = String::from_utf8(journal(&[e], CsvOptions { bom: false }).unwrap()).unwrap();
        assert_eq!(
            text,
            "seq,at_utc,actor,action,series_id,session,target,outcome,http_status,error_class,client_request_id,request_id,message,operation_id\r\n\
7,2027-03-02T10:00:00Z,megan@contoso.com,publish,s-1,2,w2,failed,403,forbidden,c-1,r-1,\"Publishing is turned off, by policy.\",op-1\r\n"
        );
    }
}
