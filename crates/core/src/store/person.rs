//! One person across every webinar in the local copy: what the person drawer shows.
//!
//! Invariants: people are matched across webinars by e-mail only, case-insensitively (Teams
//! keeps a registration per webinar, so no id spans webinars); a person seen without an e-mail
//! is known only within the session they were seen in, and is never guessed to be anyone else.
//! Reads only; each webinar appears once, newest first.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension;

use super::attendance::{
    REGISTRATION_COLUMNS, attendance_row, known_number, millis, registration_row, unpack_records,
};
use super::sheet::email_line;
use super::{AttendanceRow, RegistrationListRow, Store, StoreError, parse_time};
use crate::attendance::comparable_email;

/// Whom to look up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonRef {
    /// Everyone with this e-mail (any case), in every webinar.
    Email(String),
    /// A person without an e-mail, as one session's table lists them.
    InSession {
        webinar_id: String,
        person_key: String,
    },
}

/// One person's registrations and attendance, one entry per webinar, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonHistory {
    /// The name most recently seen (registrations first, then attendance).
    pub name: String,
    pub email: Option<String>,
    pub webinars: Vec<PersonInWebinar>,
}

/// What one webinar knows of the person.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonInWebinar {
    pub webinar_id: String,
    /// From the last webinar-list sync; `None` when the webinar was never listed here.
    pub title: Option<String>,
    pub start: Option<DateTime<Utc>>,
    /// The series the webinar belongs to (id, title, session number), if it is one of ours.
    pub series: Option<(String, String, u32)>,
    pub registration: Option<RegistrationListRow>,
    pub attendance: Option<AttendanceRow>,
    /// The webinar's questions (id, text), in order, so answers can be shown with their text.
    pub questions: Vec<(String, String)>,
}

impl Store {
    /// Everything the local copy holds about one person.
    pub fn person_history(&self, who: &PersonRef) -> Result<PersonHistory, StoreError> {
        let conn = self.read();
        let mut by_webinar: BTreeMap<String, PersonInWebinar> = BTreeMap::new();
        // The sheets the person is on: by e-mail, every sheet listing it; by key, their session.
        let (registrations, args, sheets): (&str, Vec<rusqlite::types::Value>, Vec<(String, i64)>) =
            match who {
                PersonRef::Email(email) => {
                    let email = comparable_email(email);
                    let mut stmt = conn.prepare(
                        "SELECT a.webinar_id, a.n FROM attendance_sheets s
                         JOIN attendance_webinars a ON a.n = s.w
                         WHERE instr(s.emails, ?1) > 0",
                    )?;
                    let sheets = stmt
                        .query_map([email_line(&email)], |r| Ok((r.get(0)?, r.get(1)?)))?
                        .collect::<Result<_, _>>()?;
                    ("r.email_lower = ?1", vec![email.into()], sheets)
                }
                PersonRef::InSession {
                    webinar_id,
                    person_key,
                } => {
                    let Some(n) = known_number(&conn, webinar_id)? else {
                        return Ok(PersonHistory {
                            name: String::new(),
                            email: None,
                            webinars: Vec::new(),
                        });
                    };
                    let registration = self
                        .sheets
                        .get(&conn, n)?
                        .and_then(|s| {
                            s.people()
                                .iter()
                                .find(|p| &p.key == person_key)
                                .map(|p| p.registration_id.clone())
                        })
                        .flatten();
                    (
                        "r.w = ?1 AND r.id = ?2",
                        vec![n.into(), registration.into()],
                        vec![(webinar_id.clone(), n)],
                    )
                }
            };
        let mut stmt = conn.prepare(&format!(
            "SELECT {REGISTRATION_COLUMNS}, a.webinar_id
             FROM registrations r JOIN attendance_webinars a ON a.n = r.w
             WHERE {registrations} AND a.staged = 0"
        ))?;
        let mut rows = stmt.query(rusqlite::params_from_iter(&args))?;
        while let Some(r) = rows.next()? {
            slot(&mut by_webinar, r.get(8)?).registration = Some(registration_row(r)?);
        }
        let mut answers =
            conn.prepare_cached("SELECT answers FROM registrations WHERE w = ?1 AND id = ?2")?;
        let is_them: Box<dyn Fn(&super::sheet::SheetPerson) -> bool> = match who {
            PersonRef::Email(email) => {
                let email = comparable_email(email);
                Box::new(move |p| p.email_lower.as_deref() == Some(email.as_str()))
            }
            PersonRef::InSession { person_key, .. } => Box::new(move |p| &p.key == person_key),
        };
        for (webinar_id, n) in sheets {
            let Some(sheet) = self.sheets.get(&conn, n)? else {
                continue;
            };
            let found = sheet.people().iter().filter(|p| is_them(p));
            // One e-mail matched two ways in one session (by registration and by address):
            // the longer presence is the one the session's table counts.
            let Some(p) = found.max_by_key(|p| p.seconds_present) else {
                continue;
            };
            let answered = match &p.registration_id {
                Some(id) => answers
                    .query_row(rusqlite::params![n, id], |r| r.get(0))
                    .optional()?,
                None => None,
            };
            slot(&mut by_webinar, webinar_id).attendance = Some(attendance_row(p, answered)?);
        }

        let mut webinar = conn.prepare(
            "SELECT w.title, w.start_utc, s.id, s.title, t.n
             FROM (SELECT ?1 AS id) q
             LEFT JOIN webinars w ON w.id = q.id
             LEFT JOIN session_teams t ON t.webinar_id = q.id
             LEFT JOIN series s ON s.id = t.series_id",
        )?;
        let mut questions = conn.prepare(
            "SELECT id, display_name FROM registration_questions WHERE webinar_id = ?1
             ORDER BY position",
        )?;
        for (id, e) in by_webinar.iter_mut() {
            type Found = (
                Option<String>,
                Option<String>,
                Option<String>,
                Option<String>,
                Option<u32>,
            );
            let found: Option<Found> = webinar
                .query_row([id], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })
                .optional()?;
            if let Some((title, start, series_id, series_title, n)) = found {
                e.title = title;
                e.start = start.as_deref().map(parse_time).transpose()?;
                if let (Some(s), Some(t), Some(n)) = (series_id, series_title, n) {
                    e.series = Some((s, t, n));
                }
            }
            e.questions = questions
                .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
        }

        let mut webinars: Vec<PersonInWebinar> = by_webinar.into_values().collect();
        // Newest first; webinars never listed here (no start known) last, by id for a
        // stable order.
        webinars.sort_by(|a, b| {
            b.start
                .cmp(&a.start)
                .then_with(|| a.webinar_id.cmp(&b.webinar_id))
        });
        let name = webinars
            .iter()
            .flat_map(|w| {
                [
                    w.registration.as_ref().map(|r| r.name.clone()),
                    w.attendance.as_ref().map(|a| a.name.clone()),
                ]
            })
            .flatten()
            .find(|n| !n.is_empty())
            .unwrap_or_default();
        let email = webinars
            .iter()
            .flat_map(|w| {
                [
                    w.registration.as_ref().and_then(|r| r.email.clone()),
                    w.attendance.as_ref().and_then(|a| a.email.clone()),
                ]
            })
            .flatten()
            .next();
        Ok(PersonHistory {
            name,
            email,
            webinars,
        })
    }
}

/// The webinar's entry, made empty on first sight.
fn slot(by: &mut BTreeMap<String, PersonInWebinar>, webinar_id: String) -> &mut PersonInWebinar {
    by.entry(webinar_id.clone())
        .or_insert_with(|| PersonInWebinar {
            webinar_id,
            title: None,
            start: None,
            series: None,
            registration: None,
            attendance: None,
            questions: Vec::new(),
        })
}

impl Store {
    /// Each person's merged presence in a session (name, e-mail, intervals), by name: the
    /// interval export.
    pub fn presence(&self, webinar_id: &str) -> Result<Vec<crate::export::Presence>, StoreError> {
        let Some((_, sheet)) = self.sheet_of(&self.read(), webinar_id)? else {
            return Ok(Vec::new());
        };
        sheet
            .people()
            .iter()
            .filter(|p| p.seconds_present > 0)
            .map(|p| {
                let spans = p
                    .intervals
                    .iter()
                    .map(|&(j, l)| Ok((millis(j)?, millis(l)?)))
                    .collect::<Result<_, StoreError>>()?;
                Ok((p.name.clone(), p.email.clone(), spans))
            })
            .collect()
    }

    /// What a session's attendance reports say of the meeting itself: the earliest start and
    /// latest end over every report version, and each attendee's role (by lower-case e-mail,
    /// else by name), for the Teams-layout export.
    pub fn meeting_facts(&self, webinar_id: &str) -> Result<MeetingFacts, StoreError> {
        let conn = self.read();
        let (start, end): (Option<String>, Option<String>) = conn.query_row(
            "SELECT MIN(meeting_start), MAX(meeting_end) FROM attendance_reports WHERE webinar_id = ?1",
            [webinar_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let parse = |t: Option<String>| {
            t.and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                .map(|t| t.with_timezone(&Utc))
        };
        let mut roles = std::collections::HashMap::new();
        let mut stmt =
            conn.prepare("SELECT id, records FROM attendance_reports WHERE webinar_id = ?1")?;
        let mut reports = stmt.query([webinar_id])?;
        while let Some(r) = reports.next()? {
            let (id, records): (String, String) = (r.get(0)?, r.get(1)?);
            for record in unpack_records(&id, &records)? {
                if let Some(role) = record.role {
                    let key = record
                        .email
                        .map_or(record.name.unwrap_or_default(), |e| comparable_email(&e));
                    roles.entry(key).or_insert(role);
                }
            }
        }
        Ok(MeetingFacts {
            start: parse(start),
            end: parse(end),
            roles,
        })
    }
}

/// See [`Store::meeting_facts`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MeetingFacts {
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    /// Lower-case e-mail (or name, for people without one) → role.
    pub roles: std::collections::HashMap<String, String>,
}
