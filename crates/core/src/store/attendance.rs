//! Registrations and attendance in the local database, and the metrics derived from them.
//!
//! Invariants: a sync's data, the recomputed metrics and the sync state are written in one
//! transaction — a crash leaves the previous copy or the new one, never a mix; report versions,
//! records and intervals are only ever added; pages are sorted and filtered in SQL (indexed
//! columns), so a page of 100 out of 100,000 rows costs the page, not the table.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Transaction, params};

use super::{Store, StoreError, parse_time, record_attempt};
use crate::attendance::{
    Interval, PersonKey, PersonSession, Record, Registrant, Rules, session_metrics,
};
use crate::sync::attendance::AttendancePlan;

/// Which rows a table page shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageQuery {
    /// Matched against name and e-mail, case-insensitively.
    pub search: String,
    /// An outcome (`attended`, `partial`, `noShow`, `unregistered`) or a registration status.
    pub filter: Option<String>,
    /// A column key (see each page's columns); unknown keys sort by name.
    pub sort: String,
    pub descending: bool,
    pub offset: usize,
    pub limit: usize,
}

/// A page of rows and how many match in all.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub total: usize,
}

/// One person's attendance in a session, as the table shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct AttendanceRow {
    pub person_key: String,
    pub name: String,
    pub email: Option<String>,
    pub registered: bool,
    pub seconds_present: i64,
    pub pct: f64,
    pub first_join: Option<DateTime<Utc>>,
    pub last_leave: Option<DateTime<Utc>>,
    pub rejoins: u32,
    pub late_minutes: i64,
    pub early_leave_minutes: i64,
    pub outcome: String,
    /// Question id → answer, from the matched registration.
    pub answers: BTreeMap<String, String>,
}

/// One registration, as the table shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistrationListRow {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub status: String,
    pub registered_at: Option<DateTime<Utc>>,
    pub canceled_at: Option<DateTime<Utc>>,
    pub answers: BTreeMap<String, String>,
}

/// A session's numbers as last computed.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionStats {
    pub webinar_id: String,
    pub scheduled_start: Option<DateTime<Utc>>,
    pub scheduled_end: Option<DateTime<Utc>>,
    pub registered: usize,
    pub attended: usize,
    pub partial: usize,
    pub no_shows: usize,
    pub unregistered: usize,
    pub average_seconds: i64,
    pub peak_concurrent: usize,
    pub presence: Vec<(DateTime<Utc>, usize)>,
    pub report_count: usize,
    /// `v1.0` or `beta`; `None` when Teams refused to list registrations.
    pub registrations_source: Option<String>,
    pub computed_at: DateTime<Utc>,
}

impl Store {
    /// Ids of the report versions already kept for a webinar.
    pub fn known_report_ids(&self, webinar_id: &str) -> Result<HashSet<String>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT id FROM attendance_reports WHERE webinar_id = ?1")?;
        stmt.query_map([webinar_id], |r| r.get::<_, String>(0))?
            .map(|r| r.map_err(StoreError::from))
            .collect()
    }

    /// Writes one sync's data, recomputes the webinar's metrics and records the sync — all in
    /// one transaction.
    pub fn apply_attendance(
        &self,
        plan: &AttendancePlan,
        rules: Rules,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let w = plan.webinar_id.as_str();
        let at = now.to_rfc3339();
        if let Some(registrations) = &plan.registrations {
            tx.execute("DELETE FROM registrations WHERE webinar_id = ?1", [w])?;
            let mut insert = tx.prepare(
                "INSERT INTO registrations (webinar_id, id, email, email_lower, first_name,
                     last_name, status, registered_at, canceled_at, user_id, answers, synced_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?;
            for r in registrations {
                insert.execute(params![
                    w,
                    r.id,
                    r.email,
                    r.email.as_ref().map(|e| e.trim().to_lowercase()),
                    r.first_name,
                    r.last_name,
                    r.status,
                    r.registered_at.map(|t| t.to_rfc3339()),
                    r.canceled_at.map(|t| t.to_rfc3339()),
                    r.user_id,
                    serde_json::to_string(&r.answers).expect("strings serialize"),
                    at,
                ])?;
            }
        }
        if !plan.questions.is_empty() {
            tx.execute(
                "DELETE FROM registration_questions WHERE webinar_id = ?1",
                [w],
            )?;
            for (i, (id, name)) in plan.questions.iter().enumerate() {
                tx.execute(
                    "INSERT INTO registration_questions (webinar_id, id, position, display_name)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![w, id, i, name],
                )?;
            }
        }
        {
            let mut report = tx.prepare(
                "INSERT OR IGNORE INTO attendance_reports (webinar_id, id, session_id,
                     meeting_start, meeting_end, total_participants, first_seen_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            let mut record = tx.prepare(
                "INSERT OR IGNORE INTO attendance_records (webinar_id, report_id, id, email,
                     name, identity_id, registration_id, role, total_seconds)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            let mut interval = tx.prepare(
                "INSERT OR IGNORE INTO attendance_intervals (webinar_id, report_id, record_id,
                     seq, join_at, leave_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for rep in &plan.new_reports {
                report.execute(params![
                    w,
                    rep.id,
                    rep.session_id,
                    rep.meeting_start.map(|t| t.to_rfc3339()),
                    rep.meeting_end.map(|t| t.to_rfc3339()),
                    rep.total_participants,
                    at,
                ])?;
                for rec in &rep.records {
                    record.execute(params![
                        w,
                        rep.id,
                        rec.id,
                        rec.email,
                        rec.name,
                        rec.identity_id,
                        rec.registration_id,
                        rec.role,
                        rec.total_seconds,
                    ])?;
                    for (seq, iv) in rec.intervals.iter().enumerate() {
                        interval.execute(params![
                            w,
                            rep.id,
                            rec.id,
                            seq,
                            iv.join.to_rfc3339(),
                            iv.leave.to_rfc3339(),
                        ])?;
                    }
                }
            }
        }
        recompute(
            &tx,
            w,
            plan.scheduled_start,
            plan.scheduled_end,
            plan.registrations_source,
            plan.registrations.is_some(),
            rules,
            now,
        )?;
        record_attempt(&tx, &format!("webinar:{w}"), now, None)?;
        tx.commit()?;
        Ok(())
    }

    /// The numbers of a session as last computed.
    pub fn session_stats(&self, webinar_id: &str) -> Result<Option<SessionStats>, StoreError> {
        let conn = self.conn();
        conn.query_row(
            "SELECT scheduled_start, scheduled_end, registered, attended, partial, no_shows,
                    unregistered, average_seconds, peak_concurrent, presence, report_count,
                    registrations_source, computed_at
             FROM session_stats WHERE webinar_id = ?1",
            [webinar_id],
            |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    [
                        r.get::<_, i64>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, i64>(5)?,
                        r.get::<_, i64>(6)?,
                        r.get::<_, i64>(7)?,
                        r.get::<_, i64>(8)?,
                        r.get::<_, i64>(10)?,
                    ],
                    r.get::<_, String>(9)?,
                    r.get::<_, Option<String>>(11)?,
                    r.get::<_, String>(12)?,
                ))
            },
        )
        .optional()?
        .map(|(start, end, n, presence, source, computed)| {
            let presence: Vec<(String, usize)> = serde_json::from_str(&presence)
                .map_err(|_| StoreError::Corrupt("presence curve".into()))?;
            Ok(SessionStats {
                webinar_id: webinar_id.to_string(),
                scheduled_start: start.as_deref().map(parse_time).transpose()?,
                scheduled_end: end.as_deref().map(parse_time).transpose()?,
                registered: n[0] as usize,
                attended: n[1] as usize,
                partial: n[2] as usize,
                no_shows: n[3] as usize,
                unregistered: n[4] as usize,
                average_seconds: n[5],
                peak_concurrent: n[6] as usize,
                report_count: n[7] as usize,
                presence: presence
                    .into_iter()
                    .map(|(t, c)| Ok((parse_time(&t)?, c)))
                    .collect::<Result<_, StoreError>>()?,
                registrations_source: source,
                computed_at: parse_time(&computed)?,
            })
        })
        .transpose()
    }

    /// The questions a webinar asks, in order: (id, text).
    pub fn registration_questions(
        &self,
        webinar_id: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, display_name FROM registration_questions WHERE webinar_id = ?1
             ORDER BY position",
        )?;
        stmt.query_map([webinar_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .map(|r| r.map_err(StoreError::from))
            .collect()
    }

    /// One page of a session's attendance, sorted and filtered in SQL.
    pub fn attendance_page(
        &self,
        webinar_id: &str,
        q: &PageQuery,
    ) -> Result<Page<AttendanceRow>, StoreError> {
        let order = match q.sort.as_str() {
            "email" => "p.email COLLATE NOCASE",
            "time" => "p.seconds_present",
            "pct" => "p.pct",
            "firstJoin" => "p.first_join",
            "lastLeave" => "p.last_leave",
            "rejoins" => "p.rejoins",
            "late" => "p.late_minutes",
            "early" => "p.early_leave_minutes",
            "outcome" => "p.outcome",
            _ => "p.name_lower",
        };
        let dir = if q.descending { "DESC" } else { "ASC" };
        // ?3 is always bound, so every variant names it.
        let (filter_sql, filter) = match q.filter.as_deref() {
            Some("unregistered") => (
                "AND p.registered = 0 AND p.seconds_present > 0 AND ?3 = ''",
                None,
            ),
            Some(f @ ("attended" | "partial" | "noShow")) => ("AND p.outcome = ?3", Some(f)),
            _ => ("AND ?3 = ''", None),
        };
        let search = format!("%{}%", q.search.trim().to_lowercase());
        let conn = self.conn();
        let total: i64 = conn.query_row(
            &format!(
                "SELECT count(*) FROM person_sessions p
                 WHERE p.webinar_id = ?1 AND (p.name_lower LIKE ?2 OR lower(p.email) LIKE ?2)
                 {filter_sql}"
            ),
            params![webinar_id, search, filter.unwrap_or("")],
            |r| r.get(0),
        )?;
        let mut stmt = conn.prepare(&format!(
            "SELECT p.person_key, p.name, p.email, p.registered, p.seconds_present, p.pct,
                    p.first_join, p.last_leave, p.rejoins, p.late_minutes,
                    p.early_leave_minutes, p.outcome, r.answers
             FROM person_sessions p
             LEFT JOIN registrations r
                 ON r.webinar_id = p.webinar_id AND r.id = p.registration_id
             WHERE p.webinar_id = ?1 AND (p.name_lower LIKE ?2 OR lower(p.email) LIKE ?2)
             {filter_sql}
             ORDER BY {order} {dir}, p.person_key
             LIMIT ?4 OFFSET ?5"
        ))?;
        let rows = stmt
            .query_map(
                params![
                    webinar_id,
                    search,
                    filter.unwrap_or(""),
                    q.limit.max(1) as i64,
                    q.offset as i64
                ],
                |r| {
                    Ok((
                        (
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, Option<String>>(2)?,
                            r.get::<_, bool>(3)?,
                            r.get::<_, i64>(4)?,
                            r.get::<_, f64>(5)?,
                        ),
                        (
                            r.get::<_, Option<String>>(6)?,
                            r.get::<_, Option<String>>(7)?,
                            r.get::<_, u32>(8)?,
                            r.get::<_, i64>(9)?,
                            r.get::<_, i64>(10)?,
                            r.get::<_, String>(11)?,
                            r.get::<_, Option<String>>(12)?,
                        ),
                    ))
                },
            )?
            .map(|row| {
                let (
                    (person_key, name, email, registered, seconds_present, pct),
                    (first, last, rejoins, late, early, outcome, answers),
                ) = row?;
                Ok(AttendanceRow {
                    person_key,
                    name,
                    email,
                    registered,
                    seconds_present,
                    pct,
                    first_join: first.as_deref().map(parse_time).transpose()?,
                    last_leave: last.as_deref().map(parse_time).transpose()?,
                    rejoins,
                    late_minutes: late,
                    early_leave_minutes: early,
                    outcome,
                    answers: answers
                        .map(|a| serde_json::from_str(&a))
                        .transpose()
                        .map_err(|_| StoreError::Corrupt("registration answers".into()))?
                        .unwrap_or_default(),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Page {
            rows,
            total: total as usize,
        })
    }

    /// One page of a session's registrations, sorted and filtered (by status) in SQL.
    pub fn registrations_page(
        &self,
        webinar_id: &str,
        q: &PageQuery,
    ) -> Result<Page<RegistrationListRow>, StoreError> {
        let order = match q.sort.as_str() {
            "email" => "email_lower",
            "status" => "status",
            "registeredAt" => "registered_at",
            _ => "lower(first_name || ' ' || last_name)",
        };
        let dir = if q.descending { "DESC" } else { "ASC" };
        let (filter_sql, filter) = match q.filter.as_deref() {
            Some(f) if !f.is_empty() => ("AND status = ?3", f),
            _ => ("AND ?3 = ''", ""),
        };
        let search = format!("%{}%", q.search.trim().to_lowercase());
        let conn = self.conn();
        let matches = format!(
            "webinar_id = ?1 AND (lower(first_name || ' ' || last_name) LIKE ?2
                                   OR email_lower LIKE ?2) {filter_sql}"
        );
        let total: i64 = conn.query_row(
            &format!("SELECT count(*) FROM registrations WHERE {matches}"),
            params![webinar_id, search, filter],
            |r| r.get(0),
        )?;
        let mut stmt = conn.prepare(&format!(
            "SELECT id, first_name, last_name, email, status, registered_at, canceled_at, answers
             FROM registrations WHERE {matches}
             ORDER BY {order} {dir}, id LIMIT ?4 OFFSET ?5"
        ))?;
        let rows = stmt
            .query_map(
                params![
                    webinar_id,
                    search,
                    filter,
                    q.limit.max(1) as i64,
                    q.offset as i64
                ],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, Option<String>>(6)?,
                        r.get::<_, String>(7)?,
                    ))
                },
            )?
            .map(|row| {
                let (id, first, last, email, status, at, canceled, answers) = row?;
                Ok(RegistrationListRow {
                    id,
                    name: format!("{first} {last}").trim().to_string(),
                    email,
                    status,
                    registered_at: at.as_deref().map(parse_time).transpose()?,
                    canceled_at: canceled.as_deref().map(parse_time).transpose()?,
                    answers: serde_json::from_str(&answers)
                        .map_err(|_| StoreError::Corrupt("registration answers".into()))?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Page {
            rows,
            total: total as usize,
        })
    }

    /// Every person's row of each webinar, for the series matrix (in the order given).
    pub fn people_of_sessions(
        &self,
        webinar_ids: &[String],
    ) -> Result<Vec<Vec<PersonSession>>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT person_key, registration_id, email, name, registered, seconds_present, pct,
                    first_join, last_leave, rejoins, late_minutes, early_leave_minutes, outcome
             FROM person_sessions WHERE webinar_id = ?1",
        )?;
        webinar_ids
            .iter()
            .map(|w| {
                stmt.query_map([w], |r| {
                    Ok((
                        (
                            r.get::<_, String>(0)?,
                            r.get::<_, Option<String>>(1)?,
                            r.get::<_, Option<String>>(2)?,
                            r.get::<_, String>(3)?,
                            r.get::<_, bool>(4)?,
                            r.get::<_, i64>(5)?,
                            r.get::<_, f64>(6)?,
                        ),
                        (
                            r.get::<_, Option<String>>(7)?,
                            r.get::<_, Option<String>>(8)?,
                            r.get::<_, u32>(9)?,
                            r.get::<_, i64>(10)?,
                            r.get::<_, i64>(11)?,
                            r.get::<_, String>(12)?,
                        ),
                    ))
                })?
                .map(|row| {
                    let (
                        (key, registration_id, email, name, registered, seconds, pct),
                        (first, last, rejoins, late, early, outcome),
                    ) = row?;
                    Ok(PersonSession {
                        key: PersonKey::Anonymous(key),
                        registration_id,
                        email,
                        name,
                        registered,
                        seconds_present: seconds,
                        pct_of_scheduled: pct,
                        first_join: first.as_deref().map(parse_time).transpose()?,
                        last_leave: last.as_deref().map(parse_time).transpose()?,
                        rejoins,
                        late_minutes: late,
                        early_leave_minutes: early,
                        outcome: match outcome.as_str() {
                            "attended" => crate::attendance::Outcome::Attended,
                            "partial" => crate::attendance::Outcome::Partial,
                            _ => crate::attendance::Outcome::NoShow,
                        },
                        intervals: Vec::new(),
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()
            })
            .collect()
    }
}

/// Recomputes a webinar's person rows and numbers from everything kept for it.
#[allow(clippy::too_many_arguments)]
fn recompute(
    tx: &Transaction<'_>,
    w: &str,
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
    source: Option<&str>,
    registrations_fresh: bool,
    rules: Rules,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut stmt = tx.prepare(
        "SELECT id, email, first_name, last_name, status FROM registrations WHERE webinar_id = ?1",
    )?;
    let registrants = stmt
        .query_map([w], |r| {
            Ok(Registrant {
                registration_id: r.get(0)?,
                email: r.get(1)?,
                name: format!("{} {}", r.get::<_, String>(2)?, r.get::<_, String>(3)?)
                    .trim()
                    .to_string(),
                status: r.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut stmt = tx.prepare(
        "SELECT r.report_id, r.id, r.email, r.name, r.identity_id, r.registration_id, r.role,
                i.join_at, i.leave_at
         FROM attendance_records r
         LEFT JOIN attendance_intervals i
             ON i.webinar_id = r.webinar_id AND i.report_id = r.report_id AND i.record_id = r.id
         WHERE r.webinar_id = ?1
         ORDER BY r.report_id, r.id, i.seq",
    )?;
    let mut records: Vec<Record> = Vec::new();
    let mut last: Option<(String, String)> = None;
    let mut rows = stmt.query([w])?;
    while let Some(r) = rows.next()? {
        let report_id: String = r.get(0)?;
        let id: String = r.get(1)?;
        if last.as_ref() != Some(&(report_id.clone(), id.clone())) {
            records.push(Record {
                report_id: report_id.clone(),
                email: r.get(2)?,
                name: r.get(3)?,
                identity_id: r.get(4)?,
                registration_id: r.get(5)?,
                role: r.get(6)?,
                intervals: Vec::new(),
            });
            last = Some((report_id, id));
        }
        if let (Some(join), Some(leave)) = (
            r.get::<_, Option<String>>(7)?,
            r.get::<_, Option<String>>(8)?,
        ) {
            records
                .last_mut()
                .expect("pushed above")
                .intervals
                .push(Interval {
                    join: parse_time(&join)?,
                    leave: parse_time(&leave)?,
                });
        }
    }
    drop(rows);
    let report_count: i64 = tx.query_row(
        "SELECT count(*) FROM attendance_reports WHERE webinar_id = ?1",
        [w],
        |r| r.get(0),
    )?;
    // Without a schedule (a webinar Teams no longer returns) the reports' span stands in.
    let (start, end) = match (start, end) {
        (Some(s), Some(e)) => (s, e),
        _ => {
            let all: Vec<&Interval> = records.iter().flat_map(|r| &r.intervals).collect();
            let s = all.iter().map(|i| i.join).min().unwrap_or(now);
            let e = all.iter().map(|i| i.leave).max().unwrap_or(now);
            (s, e)
        }
    };
    let m = session_metrics(start, end, &registrants, &records, rules);
    tx.execute("DELETE FROM person_sessions WHERE webinar_id = ?1", [w])?;
    let mut insert = tx.prepare(
        "INSERT INTO person_sessions (webinar_id, person_key, registration_id, email, name,
             name_lower, registered, seconds_present, pct, first_join, last_leave, rejoins,
             late_minutes, early_leave_minutes, outcome, intervals)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?;
    for p in &m.people {
        let key = match &p.key {
            PersonKey::Registration(id) => format!("registration:{id}"),
            PersonKey::Email(e) => format!("email:{e}"),
            PersonKey::Anonymous(a) => format!("anonymous:{a}"),
        };
        let intervals: Vec<(String, String)> = p
            .intervals
            .iter()
            .map(|i| (i.join.to_rfc3339(), i.leave.to_rfc3339()))
            .collect();
        insert.execute(params![
            w,
            key,
            p.registration_id,
            p.email,
            p.name,
            p.name.to_lowercase(),
            p.registered,
            p.seconds_present,
            p.pct_of_scheduled,
            p.first_join.map(|t| t.to_rfc3339()),
            p.last_leave.map(|t| t.to_rfc3339()),
            p.rejoins,
            p.late_minutes,
            p.early_leave_minutes,
            p.outcome.as_str(),
            serde_json::to_string(&intervals).expect("strings serialize"),
        ])?;
    }
    let presence: Vec<(String, usize)> = m
        .presence
        .iter()
        .map(|(t, n)| (t.to_rfc3339(), *n))
        .collect();
    // A refused registrations list keeps the last known source: the data shown is that old.
    let source: Option<String> = if registrations_fresh {
        source.map(str::to_string)
    } else {
        tx.query_row(
            "SELECT registrations_source FROM session_stats WHERE webinar_id = ?1",
            [w],
            |r| r.get(0),
        )
        .optional()?
        .flatten()
    };
    tx.execute(
        "INSERT INTO session_stats (webinar_id, scheduled_start, scheduled_end, registered,
             attended, partial, no_shows, unregistered, average_seconds, peak_concurrent,
             presence, report_count, registrations_source, computed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
         ON CONFLICT (webinar_id) DO UPDATE SET scheduled_start = ?2, scheduled_end = ?3,
             registered = ?4, attended = ?5, partial = ?6, no_shows = ?7, unregistered = ?8,
             average_seconds = ?9, peak_concurrent = ?10, presence = ?11, report_count = ?12,
             registrations_source = ?13, computed_at = ?14",
        params![
            w,
            start.to_rfc3339(),
            end.to_rfc3339(),
            m.registered,
            m.attended,
            m.partial,
            m.no_shows,
            m.unregistered,
            m.average_seconds,
            m.peak_concurrent,
            serde_json::to_string(&presence).expect("plain data serializes"),
            report_count,
            source,
            now.to_rfc3339(),
        ],
    )?;
    Ok(())
}
