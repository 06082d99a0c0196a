//! Series and the journal in the local database.
//!
//! Invariants: a series and its sessions are written together in one transaction; journal rows
//! are only ever inserted (the schema's triggers refuse updates and deletes); a journal row and
//! the series state it implies are written in one transaction.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError, parse_time};
use crate::series::{
    Audience, PlannedSession, Projection, Question, RegistrationSettings, SeriesPlan,
};

/// Where a series stands with Teams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesState {
    /// Only on this computer.
    Planned,
    /// A publish started and has not finished (after a crash: to be finished or undone).
    Publishing,
    Published,
    /// A failed publish is being undone.
    RollingBack,
    /// A failed publish was undone completely: nothing remains in Teams.
    RolledBack,
    /// A failed publish was undone in part: some webinars remain in Teams (see the journal).
    PartiallyRolledBack,
    /// An edit of a published series is being pushed (after a crash: to be finished).
    Updating,
    /// Every session was canceled in Teams.
    Canceled,
}

impl SeriesState {
    pub fn as_str(self) -> &'static str {
        match self {
            SeriesState::Planned => "planned",
            SeriesState::Publishing => "publishing",
            SeriesState::Published => "published",
            SeriesState::RollingBack => "rollingBack",
            SeriesState::RolledBack => "rolledBack",
            SeriesState::PartiallyRolledBack => "partiallyRolledBack",
            SeriesState::Updating => "updating",
            SeriesState::Canceled => "canceled",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "planned" => SeriesState::Planned,
            "publishing" => SeriesState::Publishing,
            "published" => SeriesState::Published,
            "rollingBack" => SeriesState::RollingBack,
            "rolledBack" => SeriesState::RolledBack,
            "partiallyRolledBack" => SeriesState::PartiallyRolledBack,
            "updating" => SeriesState::Updating,
            "canceled" => SeriesState::Canceled,
            other => return Err(StoreError::Corrupt(format!("series state '{other}'"))),
        })
    }
}

/// How far one journalled change got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// About to be sent.
    Intent,
    Done,
    /// Refused; Teams did not change.
    Failed,
    /// Sent, answer lost: Teams may or may not have changed.
    Unknown,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Intent => "intent",
            Phase::Done => "done",
            Phase::Failed => "failed",
            Phase::Unknown => "unknown",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "intent" => Phase::Intent,
            "done" => Phase::Done,
            "failed" => Phase::Failed,
            "unknown" => Phase::Unknown,
            other => return Err(StoreError::Corrupt(format!("journal phase '{other}'"))),
        })
    }
}

/// One row of the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    pub seq: Option<i64>,
    pub operation_id: String,
    pub series_id: Option<String>,
    pub n: Option<u32>,
    pub action: String,
    pub target: Option<String>,
    pub phase: Phase,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub client_request_id: Option<String>,
    pub request_id: Option<String>,
    pub status: Option<u16>,
    pub error_class: Option<String>,
    pub message: Option<String>,
}

impl Store {
    /// Saves a planned series (new or edited before publishing), sessions included.
    pub fn save_series(&self, plan: &SeriesPlan, now: DateTime<Utc>) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        write_series(&tx, plan, now)?;
        tx.commit()?;
        Ok(())
    }

    /// Saves the new version of a series already in Teams together with the journal row that
    /// starts pushing it, and the state that row implies: after a crash, the next start sees
    /// the edit in flight and finishes it.
    pub fn save_series_edit(
        &self,
        plan: &SeriesPlan,
        entry: &JournalEntry,
        state: SeriesState,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        write_series(&tx, plan, entry.at)?;
        append(&tx, entry, Some(state))?;
        tx.commit()?;
        Ok(())
    }

    /// What we last wrote to or read from Teams for each session of a series.
    pub fn session_teams(&self, series_id: &str) -> Result<Vec<WrittenSession>, StoreError> {
        let conn = self.read();
        let mut stmt = conn.prepare(
            "SELECT n, webinar_id, written, written_at FROM session_teams
             WHERE series_id = ?1 ORDER BY n",
        )?;
        stmt.query_map(params![series_id], |r| {
            Ok((
                r.get::<_, u32>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?
        .map(|row| {
            let (n, webinar_id, written, at) = row?;
            let w: WrittenJson = serde_json::from_str(&written)
                .map_err(|_| StoreError::Corrupt(format!("what Teams holds for session {n}")))?;
            Ok(WrittenSession {
                n,
                webinar_id,
                written: Projection {
                    title: w.title,
                    description_html: w.description_html,
                    start: parse_time(&w.start)?,
                    end: parse_time(&w.end)?,
                    time_zone: w.time_zone,
                    canceled: w.canceled,
                },
                at: parse_time(&at)?,
            })
        })
        .collect()
    }

    /// Records what Teams holds for a session after we wrote it (or found it so).
    pub fn record_session_teams(
        &self,
        series_id: &str,
        n: u32,
        webinar_id: &str,
        written: &Projection,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(&WrittenJson {
            title: written.title.clone(),
            description_html: written.description_html.clone(),
            start: written.start.to_rfc3339(),
            end: written.end.to_rfc3339(),
            time_zone: written.time_zone.clone(),
            canceled: written.canceled,
        })
        .expect("plain data serializes");
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO session_teams (series_id, n, webinar_id, written, written_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (series_id, n) DO UPDATE SET webinar_id = ?3, written = ?4,
                 written_at = ?5",
            params![series_id, n, webinar_id, json, at.to_rfc3339()],
        )?;
        // What we wrote is no drift: the webinar's drift baseline follows.
        super::drift::baseline_written(&tx, webinar_id, written, at)?;
        tx.commit()?;
        Ok(())
    }

    /// Removes a series from this computer (its sessions and records with it). The journal
    /// keeps every row about it: the audit log outlives the series.
    pub fn delete_series(&self, series_id: &str) -> Result<bool, StoreError> {
        let n = self
            .conn()
            .execute("DELETE FROM series WHERE id = ?1", params![series_id])?;
        Ok(n > 0)
    }
}

/// One session's record of what Teams holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenSession {
    pub n: u32,
    pub webinar_id: String,
    pub written: Projection,
    pub at: DateTime<Utc>,
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct WrittenJson {
    title: String,
    description_html: String,
    start: String,
    end: String,
    time_zone: String,
    canceled: bool,
}

fn write_series(
    tx: &rusqlite::Transaction<'_>,
    plan: &SeriesPlan,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    {
        let now = now.to_rfc3339();
        tx.execute(
            "INSERT INTO series (id, title, description_html, audience, co_organizers, time_zone,
                                 attendee_emails, state, created_at, updated_at, capacity,
                                 manual_approval, waitlist)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'planned', ?8, ?8, ?9, ?10, ?11)
             ON CONFLICT (id) DO UPDATE SET title = ?2, description_html = ?3, audience = ?4,
                 co_organizers = ?5, time_zone = ?6, attendee_emails = ?7, updated_at = ?8,
                 capacity = ?9, manual_approval = ?10, waitlist = ?11",
            params![
                plan.id,
                plan.title,
                plan.description_html,
                plan.audience.as_graph(),
                serde_json::to_string(&plan.co_organizers).expect("strings serialize"),
                plan.time_zone,
                plan.attendee_emails,
                now,
                plan.registration.capacity,
                plan.registration.manual_approval,
                plan.registration.waitlist,
            ],
        )?;
        tx.execute(
            "DELETE FROM series_sessions WHERE series_id = ?1",
            params![plan.id],
        )?;
        for s in &plan.sessions {
            tx.execute(
                "INSERT INTO series_sessions (series_id, n, title_suffix, date, start,
                                              duration_minutes, canceled, description_html)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    plan.id,
                    s.n,
                    s.title_suffix,
                    s.date.format("%Y-%m-%d").to_string(),
                    s.start.format("%H:%M").to_string(),
                    s.duration_minutes,
                    s.canceled,
                    s.description_html,
                ],
            )?;
        }
        tx.execute(
            "DELETE FROM series_questions WHERE series_id = ?1",
            params![plan.id],
        )?;
        for (i, q) in plan.questions.iter().enumerate() {
            let (kind, text, answer, choices, required) = match q {
                Question::Custom {
                    text,
                    answer,
                    choices,
                    required,
                } => ("custom", text, Some(answer), choices.as_slice(), required),
                Question::Predefined { label, required } => {
                    ("predefined", label, None, &[][..], required)
                }
            };
            tx.execute(
                "INSERT INTO series_questions (series_id, position, kind, text, answer, choices,
                                               required)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    plan.id,
                    i,
                    kind,
                    text,
                    answer,
                    serde_json::to_string(choices).expect("strings serialize"),
                    required,
                ],
            )?;
        }
    }
    Ok(())
}

impl Store {
    /// A series and where it stands.
    pub fn series(&self, id: &str) -> Result<Option<(SeriesPlan, SeriesState)>, StoreError> {
        let conn = self.read();
        let row = conn
            .query_row(
                "SELECT title, description_html, audience, co_organizers, time_zone,
                        attendee_emails, state, capacity, manual_approval, waitlist
                 FROM series WHERE id = ?1",
                params![id],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, bool>(5)?,
                        r.get::<_, String>(6)?,
                        RegistrationSettings {
                            capacity: r.get::<_, Option<u32>>(7)?,
                            manual_approval: r.get::<_, bool>(8)?,
                            waitlist: r.get::<_, bool>(9)?,
                        },
                    ))
                },
            )
            .optional()?;
        let Some((
            title,
            description_html,
            audience,
            co,
            time_zone,
            attendee_emails,
            state,
            registration,
        )) = row
        else {
            return Ok(None);
        };
        let mut stmt = conn.prepare(
            "SELECT n, title_suffix, date, start, duration_minutes, canceled, description_html
             FROM series_sessions WHERE series_id = ?1 ORDER BY n",
        )?;
        let sessions = stmt
            .query_map(params![id], |r| {
                Ok((
                    r.get::<_, u32>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, u32>(4)?,
                    r.get::<_, bool>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ))
            })?
            .map(|row| {
                let (n, title_suffix, date, start, duration_minutes, canceled, description_html) =
                    row?;
                Ok(PlannedSession {
                    n,
                    title_suffix,
                    date: NaiveDate::parse_from_str(&date, "%Y-%m-%d")
                        .map_err(|_| StoreError::Corrupt(format!("session date '{date}'")))?,
                    start: NaiveTime::parse_from_str(&start, "%H:%M")
                        .map_err(|_| StoreError::Corrupt(format!("session start '{start}'")))?,
                    duration_minutes,
                    canceled,
                    description_html,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let mut stmt = conn.prepare(
            "SELECT kind, text, answer, choices, required FROM series_questions
             WHERE series_id = ?1 ORDER BY position",
        )?;
        let questions = stmt
            .query_map(params![id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, bool>(4)?,
                ))
            })?
            .map(|row| {
                let (kind, text, answer, choices, required) = row?;
                Ok(match kind.as_str() {
                    "predefined" => Question::Predefined {
                        label: text,
                        required,
                    },
                    _ => Question::Custom {
                        text,
                        answer: answer.unwrap_or_else(|| "text".into()),
                        choices: serde_json::from_str(&choices)
                            .map_err(|_| StoreError::Corrupt("question choices".into()))?,
                        required,
                    },
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let plan = SeriesPlan {
            id: id.to_string(),
            title,
            description_html,
            audience: match audience.as_str() {
                "everyone" => Audience::Everyone,
                _ => Audience::Organization,
            },
            co_organizers: serde_json::from_str(&co)
                .map_err(|_| StoreError::Corrupt("co-organizers".into()))?,
            time_zone,
            attendee_emails,
            sessions,
            questions,
            registration,
        };
        Ok(Some((plan, SeriesState::parse(&state)?)))
    }

    /// Series ids with their state, newest first.
    pub fn series_states(&self) -> Result<Vec<(String, SeriesState)>, StoreError> {
        let conn = self.read();
        let mut stmt = conn.prepare("SELECT id, state FROM series ORDER BY created_at DESC, id")?;
        stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            .map(|row| {
                let (id, state) = row?;
                Ok((id, SeriesState::parse(&state)?))
            })
            .collect()
    }

    /// Appends to the journal and, in the same transaction, moves the series to `state`.
    pub fn journal(
        &self,
        entry: &JournalEntry,
        state: Option<SeriesState>,
    ) -> Result<i64, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let seq = append(&tx, entry, state)?;
        tx.commit()?;
        Ok(seq)
    }

    /// Every journal row of a series, oldest first.
    pub fn journal_of_series(&self, series_id: &str) -> Result<Vec<JournalEntry>, StoreError> {
        self.journal_where("series_id = ?1 ORDER BY seq", &[&series_id])
    }

    /// The journal, newest first: at most `limit` rows whose action, target, who, message,
    /// series or request ids contain `search` (any case).
    pub fn journal_search(
        &self,
        search: &str,
        limit: usize,
    ) -> Result<Vec<JournalEntry>, StoreError> {
        let pattern = format!("%{}%", search.trim().to_lowercase());
        let limit = limit.min(i64::MAX as usize) as i64;
        self.journal_where(
            "?1 = '%%' OR lower(action || ' ' || coalesce(target, '') || ' ' || actor || ' '
                 || coalesce(message, '') || ' ' || coalesce(series_id, '') || ' '
                 || coalesce(client_request_id, '') || ' ' || coalesce(request_id, '') || ' '
                 || phase || ' ' || coalesce(error_class, '')) LIKE ?1
             ORDER BY seq DESC LIMIT ?2",
            &[&pattern, &limit],
        )
    }

    fn journal_where(
        &self,
        condition: &str,
        args: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<JournalEntry>, StoreError> {
        let conn = self.read();
        let mut stmt = conn.prepare(&format!(
            "SELECT seq, operation_id, series_id, n, action, target, phase, at, actor,
                    client_request_id, request_id, status, error_class, message
             FROM journal WHERE {condition}"
        ))?;
        stmt.query_map(args, |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<u32>>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, String>(8)?,
                r.get::<_, Option<String>>(9)?,
                r.get::<_, Option<String>>(10)?,
                r.get::<_, Option<u16>>(11)?,
                r.get::<_, Option<String>>(12)?,
                r.get::<_, Option<String>>(13)?,
            ))
        })?
        .map(|row| {
            let (
                seq,
                operation_id,
                series_id,
                n,
                action,
                target,
                phase,
                at,
                actor,
                crid,
                rid,
                status,
                class,
                message,
            ) = row?;
            Ok(JournalEntry {
                seq: Some(seq),
                operation_id,
                series_id,
                n,
                action,
                target,
                phase: Phase::parse(&phase)?,
                at: parse_time(&at)?,
                actor,
                client_request_id: crid,
                request_id: rid,
                status,
                error_class: class,
                message,
            })
        })
        .collect()
    }
}

/// One journal row, and the series state it implies, inside the caller's transaction.
fn append(
    tx: &rusqlite::Transaction<'_>,
    entry: &JournalEntry,
    state: Option<SeriesState>,
) -> Result<i64, StoreError> {
    tx.execute(
        "INSERT INTO journal (operation_id, series_id, n, action, target, phase, at, actor,
                              client_request_id, request_id, status, error_class, message)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            entry.operation_id,
            entry.series_id,
            entry.n,
            entry.action,
            entry.target,
            entry.phase.as_str(),
            entry.at.to_rfc3339(),
            entry.actor,
            entry.client_request_id,
            entry.request_id,
            entry.status,
            entry.error_class,
            entry.message,
        ],
    )?;
    let seq = tx.last_insert_rowid();
    if let (Some(state), Some(series)) = (state, &entry.series_id) {
        tx.execute(
            "UPDATE series SET state = ?2, updated_at = ?3 WHERE id = ?1",
            params![series, state.as_str(), entry.at.to_rfc3339()],
        )?;
    }
    Ok(seq)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::series::{Recurrence, Until, generate};

    fn plan() -> SeriesPlan {
        SeriesPlan {
            id: "s-1".into(),
            title: "Office hours".into(),
            description_html: "<p>Bring questions</p>".into(),
            audience: Audience::Everyone,
            co_organizers: vec!["7b7e".into()],
            time_zone: "Europe/Berlin".into(),
            attendee_emails: false,
            sessions: generate(
                NaiveDate::from_ymd_opt(2027, 3, 2).unwrap(),
                NaiveTime::from_hms_opt(14, 0, 0).unwrap(),
                60,
                Recurrence::Weekly { every_weeks: 1 },
                Until::Count(3),
                1,
            )
            .unwrap(),
            questions: vec![],
            registration: Default::default(),
        }
    }

    fn entry(action: &str, phase: Phase) -> JournalEntry {
        JournalEntry {
            seq: None,
            operation_id: "op-1".into(),
            series_id: Some("s-1".into()),
            n: Some(1),
            action: action.into(),
            target: Some("w1".into()),
            phase,
            at: Utc::now(),
            actor: "megan".into(),
            client_request_id: Some("c".into()),
            request_id: None,
            status: Some(201),
            error_class: None,
            message: None,
        }
    }

    #[test]
    fn a_series_round_trips_with_its_sessions() {
        let store = Store::open_in_memory().unwrap();
        let p = plan();
        store.save_series(&p, Utc::now()).unwrap();
        assert_eq!(
            store.series("s-1").unwrap(),
            Some((p.clone(), SeriesState::Planned))
        );
        let mut edited = p.clone();
        edited.sessions.pop();
        store.save_series(&edited, Utc::now()).unwrap();
        assert_eq!(store.series("s-1").unwrap().unwrap().0.sessions.len(), 2);
        assert_eq!(store.series("nope").unwrap(), None);
    }

    #[test]
    fn the_journal_is_searched_newest_first_by_action_message_or_request_id() {
        let store = Store::open_in_memory().unwrap();
        store.save_series(&plan(), Utc::now()).unwrap();
        let mut failed = entry("publish", Phase::Failed);
        failed.request_id = Some("REQ-42".into());
        failed.message = Some("Publishing is turned off by policy.".into());
        for e in [
            entry("create", Phase::Intent),
            entry("create", Phase::Done),
            failed,
        ] {
            store.journal(&e, None).unwrap();
        }
        let all = store.journal_search("", 100).unwrap();
        assert_eq!(all.len(), 3);
        assert!(all[0].seq > all[1].seq, "newest first");
        let by_id = store.journal_search("req-42", 100).unwrap();
        assert_eq!((by_id.len(), by_id[0].action.as_str()), (1, "publish"));
        assert_eq!(store.journal_search("POLICY", 100).unwrap().len(), 1);
        assert_eq!(
            store.journal_search("create", 1).unwrap().len(),
            1,
            "limited"
        );
        assert!(
            store
                .journal_search("nothing like it", 100)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn the_journal_only_grows_and_moves_the_series_state_with_it() {
        let store = Store::open_in_memory().unwrap();
        store.save_series(&plan(), Utc::now()).unwrap();
        store
            .journal(
                &entry("create", Phase::Intent),
                Some(SeriesState::Publishing),
            )
            .unwrap();
        store.journal(&entry("create", Phase::Done), None).unwrap();
        let rows = store.journal_of_series("s-1").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].phase, Phase::Done);
        assert_eq!(
            store.series("s-1").unwrap().unwrap().1,
            SeriesState::Publishing
        );
        let conn = store.conn();
        let update = conn.execute("UPDATE journal SET phase = 'failed' WHERE seq = 1", []);
        assert!(
            update.is_err_and(|e| e.to_string().contains("append-only")),
            "rows are never updated in place"
        );
        let delete = conn.execute("DELETE FROM journal", []);
        assert!(delete.is_err_and(|e| e.to_string().contains("append-only")));
    }
}
