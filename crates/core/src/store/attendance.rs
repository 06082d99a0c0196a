//! Registrations and attendance in the local database, and the metrics derived from them.
//!
//! Invariants: a sync's data, the recomputed metrics and the sync state become visible in one
//! transaction — a crash leaves the previous copy or the new one, never a mix (a first sync's
//! registrations are written ahead under a staged number that no reader looks up and that
//! transaction names after the webinar; staged numbers of syncs that did not finish are removed
//! on open); report versions and their records (kept with the report, as JSON) are only ever
//! added; a session has people on its attendance sheet only once a report of it is kept; a
//! registration row is written only when its content (its digest) changed, a sheet only when
//! one of its people did; registration pages are sorted and filtered in SQL (indexed columns),
//! attendance pages in memory from the session's sheet (see `sheet`), so a page of 100 out of
//! 100,000 rows costs the page, not the table.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Transaction, params};

use super::sheet::{Loaded, Sheet, SheetPerson, lower_name};
use super::{Store, StoreError, parse_time, record_attempt};
use crate::attendance::{
    Interval, PersonKey, PersonSession, Record, Registrant, Rules, SessionMetrics, Tally,
    before_any_report, comparable_email, map_each, session_metrics,
};
use crate::sync::attendance::{
    AttendancePlan, RecordRow, RegistrationRow, ReportRow, WebinarLinks,
};

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
        report_ids(&self.read(), webinar_id)
    }

    /// A webinar's join and registration links as last seen (empty when never synced).
    pub fn webinar_links(&self, webinar_id: &str) -> Result<WebinarLinks, StoreError> {
        let conn = self.read();
        let found = conn
            .query_row(
                "SELECT join_url, registration_url FROM webinar_links WHERE webinar_id = ?1",
                [webinar_id],
                |r| {
                    Ok(WebinarLinks {
                        join_url: r.get(0)?,
                        registration_url: r.get(1)?,
                    })
                },
            )
            .optional()?;
        Ok(found.unwrap_or_default())
    }

    /// Writes one sync's data, recomputes the webinar's metrics and records the sync — all in
    /// one transaction. Only rows whose content changed are written (see [`Rewritten`]).
    pub fn apply_attendance(
        &self,
        plan: &AttendancePlan,
        rules: Rules,
        now: DateTime<Utc>,
    ) -> Result<Rewritten, StoreError> {
        self.apply_staged_attendance(plan, None, rules, now)
    }

    /// [`Store::apply_attendance`] for a sync whose registrations were `staged` (written ahead
    /// by [`Store::stage_registrations`]): its transaction names the staged number after the
    /// webinar instead of writing them. When the webinar got a number meanwhile (another sync
    /// of it finished first), they are written as usual and the staged rows dropped.
    pub fn apply_staged_attendance(
        &self,
        plan: &AttendancePlan,
        staged: Option<&StagedRegistrations>,
        rules: Rules,
        now: DateTime<Utc>,
    ) -> Result<Rewritten, StoreError> {
        self.apply_tallied_attendance(plan, staged, None, rules, now)
    }

    /// [`Store::apply_staged_attendance`] with the people the sync worked out as it read the
    /// pages: used when it is of exactly this plan's new reports, registrations and schedule
    /// and no earlier report version is kept (otherwise everyone is worked out here, as
    /// without it).
    pub(crate) fn apply_tallied_attendance(
        &self,
        plan: &AttendancePlan,
        staged: Option<&StagedRegistrations>,
        tally: Option<SyncTally>,
        rules: Rules,
        now: DateTime<Utc>,
    ) -> Result<Rewritten, StoreError> {
        let (tally, packed) = match tally {
            Some(t) => (Some(t.people), t.packed),
            None => (None, HashMap::new()),
        };
        // The tally goes where the metrics are computed: beside the writer for a file,
        // in the writer otherwise.
        let (early_tally, late_tally) = match self.reader {
            Some(_) => (tally, None),
            None => (None, tally),
        };
        std::thread::scope(|s| {
            // The recompute needs only the committed copy and this sync's data, so for a file
            // it starts at once on a connection of its own, while this sync waits for the
            // writer and writes its rows: when several sessions sync together, each one's
            // metrics are mostly computed by its turn to write.
            let early = self.reader.is_some().then(|| {
                let (version, read) = std::sync::mpsc::sync_channel(1);
                let computed = spawn_recompute(s, move || {
                    let mut conn = self.snapshot()?;
                    let snapshot = conn.transaction()?;
                    let n = known_number(&snapshot, &plan.webinar_id)?;
                    // The snapshot is the copy as of this first read; the writer learns at
                    // once which version it is (it may have stopped listening: it failed).
                    let at = n.map(|n| version_of(&snapshot, n)).transpose()?;
                    let _ = version.send(at.unwrap_or(0));
                    let inputs = self.gather(&snapshot, plan, n, early_tally, rules)?;
                    drop(snapshot);
                    inputs.compute(rules, now)
                });
                Early {
                    version: read,
                    computed,
                }
            });
            // Meanwhile this thread works out the rows, also before taking the writer.
            let rows = Rows::of(plan, staged, packed);
            self.write_attendance(s, plan, &rows, rules, now, early, late_tally)
        })
    }

    /// The transaction of [`Store::apply_attendance`]: the rows, and the metrics computed
    /// `early` when they were computed from the copy this transaction starts from (the
    /// webinar's version tells); otherwise computed here, beside the writes (from the `tally`
    /// when it fits).
    #[allow(clippy::too_many_arguments)]
    fn write_attendance<'scope, 'env>(
        &'env self,
        s: &'scope std::thread::Scope<'scope, 'env>,
        plan: &'env AttendancePlan,
        rows: &Rows<'_>,
        rules: Rules,
        now: DateTime<Utc>,
        early: Option<Early<'scope>>,
        tally: Option<PeopleTally>,
    ) -> Result<Rewritten, StoreError> {
        // The early recompute is waited for before the writer is taken: holding the writer
        // while it finishes would keep the other sessions of a series waiting on it too.
        let early = early.map(|e| (e.version.recv().ok(), e.computed.join()));
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let w = plan.webinar_id.as_str();
        // From here the transaction holds the write lock: nothing of this webinar changes
        // under it, so a recompute from this version stays right until the commit.
        let staged = rows.staged;
        let claimed = match staged {
            Some(staged) => claim(&tx, w, staged)?,
            None => None,
        };
        let n = match claimed {
            Some(n) => n,
            None => webinar_number(&tx, w)?,
        };
        let version = version_of(&tx, n)?;
        let computed = match early {
            Some((Some(at), done)) if at == version => Recompute::Done(Box::new(done)),
            _ => {
                if early.is_some() {
                    tracing::debug!(webinar = w, "the early recompute read an older copy; again");
                }
                // An early recompute that read an older copy took the tally with it: all
                // are worked out again here.
                let inputs = self.gather(&tx, plan, Some(n), tally, rules)?;
                Recompute::Running(spawn_recompute(s, move || inputs.compute(rules, now)))
            }
        };
        let kept = report_ids(&tx, w)?;
        let fresh = fresh_reports(plan, &kept);
        let reports = kept.len() + fresh.len();
        let written = write_sync(&tx, plan, rows, n, &fresh, now);
        let computed = computed.join();
        let mut registrations = written?;
        match (staged, claimed, &plan.registrations) {
            (Some(_), Some(_), Some(list)) => registrations = list.len(),
            // Staged too late: the webinar has its number and rows; these are diffed in.
            (Some(staged), None, list) => {
                discard_staged(&tx, staged)?;
                if let Some(list) = list {
                    registrations = write_registrations(&tx, n, &registration_values(list))?;
                }
            }
            _ => {}
        }
        let computed = computed.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        let people = computed.changed;
        let written = write_metrics(
            &tx,
            w,
            n,
            &computed,
            reports,
            plan.registrations
                .as_ref()
                .map(|_| plan.registrations_source),
            now,
        )?;
        record_attempt(&tx, &format!("webinar:{w}"), now, None)?;
        tx.commit()?;
        // Other writers (the next session of a series sync) go on while the sheet this one
        // replaces is freed.
        drop(conn);
        if let Some(generation) = written {
            // The next page reads the sheet just written without decoding it again.
            self.sheets
                .put(n, Arc::new(Loaded::new(generation, computed.sheet)));
        }
        Ok(Rewritten {
            registrations,
            people,
        })
    }

    /// What a recompute of the webinar works from, as `conn` sees the local copy (one
    /// snapshot: callers read in one transaction), with this sync's data. `n` is `None` for a
    /// webinar nothing was ever kept for.
    fn gather(
        &self,
        conn: &rusqlite::Connection,
        plan: &AttendancePlan,
        n: Option<i64>,
        tally: Option<PeopleTally>,
        rules: Rules,
    ) -> Result<Inputs, StoreError> {
        let w = plan.webinar_id.as_str();
        let (stored, old) = match n {
            Some(n) => (stored_reports(conn, w)?, self.sheets.get(conn, n)?),
            None => (Vec::new(), None),
        };
        let kept: HashSet<String> = stored.iter().map(|(id, _)| id.clone()).collect();
        let fresh = fresh_reports(plan, &kept);
        // The sync's tally stands for everyone only when it was fed exactly these reports,
        // with these registrations, and nothing kept adds to them.
        let counts: Vec<(&str, usize)> = fresh
            .iter()
            .map(|r| (r.id.as_str(), r.records.len()))
            .collect();
        let tally = tally.filter(|t| {
            stored.is_empty()
                && !fresh.is_empty()
                && plan.registrations.is_some()
                && t.fits(plan.scheduled_start, plan.scheduled_end, rules, &counts)
        });
        let registrants = match (&plan.registrations, n) {
            _ if tally.is_some() => Vec::new(),
            (Some(list), _) => registrants(list),
            (None, Some(n)) => stored_registrants(conn, n)?,
            (None, None) => Vec::new(),
        };
        let mut records = Vec::new();
        for rep in fresh.iter().filter(|_| tally.is_none()) {
            records.extend(rep.records.iter().map(|r| record_of(&rep.id, r)));
        }
        Ok(Inputs {
            tally,
            start: plan.scheduled_start,
            end: plan.scheduled_end,
            reports: kept.len() + fresh.len(),
            registrants,
            stored,
            records,
            old,
        })
    }

    /// The organizer's outcome rules (the defaults until changed).
    pub fn attendance_rules(&self) -> Result<Rules, StoreError> {
        stored_rules(&self.read())
    }

    /// A webinar's number and its sheet as last committed; `None` when it has none.
    pub(super) fn sheet_of(
        &self,
        conn: &rusqlite::Connection,
        webinar_id: &str,
    ) -> Result<Option<(i64, Arc<Loaded>)>, StoreError> {
        let Some(n) = known_number(conn, webinar_id)? else {
            return Ok(None);
        };
        Ok(self.sheets.get(conn, n)?.map(|sheet| (n, sheet)))
    }

    /// Saves new outcome rules and recomputes every webinar's metrics from the kept data with
    /// them, all in one transaction. Returns how many webinars were recomputed.
    pub fn set_attendance_rules(
        &self,
        rules: Rules,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO attendance_rules (id, attended_pct, completion_pct) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO UPDATE SET attended_pct = ?1, completion_pct = ?2",
            params![rules.attended_pct, rules.completion_pct],
        )?;
        let webinars: Vec<(String, i64, Option<String>, Option<String>)> = {
            let mut stmt = tx.prepare(
                "SELECT a.webinar_id, a.n, s.scheduled_start, s.scheduled_end
                 FROM attendance_webinars a JOIN session_stats s ON s.webinar_id = a.webinar_id",
            )?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<Result<_, _>>()?
        };
        for (w, n, start, end) in &webinars {
            let old = self.sheets.get(&tx, *n)?;
            recompute(&tx, w, *n, (start, end), old, rules, now)?;
        }
        tx.commit()?;
        Ok(webinars.len())
    }

    /// The numbers of a session as last computed.
    pub fn session_stats(&self, webinar_id: &str) -> Result<Option<SessionStats>, StoreError> {
        let conn = self.read();
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
        let conn = self.read();
        let mut stmt = conn.prepare(
            "SELECT id, display_name FROM registration_questions WHERE webinar_id = ?1
             ORDER BY position",
        )?;
        stmt.query_map([webinar_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .map(|r| r.map_err(StoreError::from))
            .collect()
    }

    /// Every person of a session, by name, handed to `take` in batches of `batch` rows: the
    /// export's read. The sheet in its own order, each row with its registration's answers.
    /// `take` answers false to stop early.
    pub fn attendance_batches(
        &self,
        webinar_id: &str,
        batch: usize,
        mut take: impl FnMut(Vec<AttendanceRow>) -> bool,
    ) -> Result<(), StoreError> {
        let (sheet, mut answers) = {
            let conn = self.read();
            let Some((n, sheet)) = self.sheet_of(&conn, webinar_id)? else {
                return Ok(());
            };
            // Every answer of the session at once, in one pass over its rows as stored.
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT id, answers FROM registrations WHERE {REGISTRATIONS_AS_STORED}"
            ))?;
            let answers: HashMap<String, String> = stmt
                .query_map([n], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            (sheet, answers)
        };
        let mut out = Vec::with_capacity(batch);
        for p in sheet.people() {
            let answered = p
                .registration_id
                .as_deref()
                .and_then(|id| answers.remove(id));
            out.push(attendance_row(p, answered)?);
            if out.len() == batch && !take(std::mem::replace(&mut out, Vec::with_capacity(batch))) {
                return Ok(());
            }
        }
        if !out.is_empty() {
            take(out);
        }
        Ok(())
    }

    /// One page of a session's attendance, sorted and filtered in memory from its sheet.
    pub fn attendance_page(
        &self,
        webinar_id: &str,
        q: &PageQuery,
    ) -> Result<Page<AttendanceRow>, StoreError> {
        let conn = self.read();
        let Some((n, sheet)) = self.sheet_of(&conn, webinar_id)? else {
            return Ok(Page {
                rows: Vec::new(),
                total: 0,
            });
        };
        let (chosen, total) = sheet.select(q);
        let mut answers =
            conn.prepare_cached("SELECT answers FROM registrations WHERE w = ?1 AND id = ?2")?;
        let rows = chosen
            .into_iter()
            .map(|i| {
                let p = &sheet.people()[i];
                let answered = match &p.registration_id {
                    Some(id) => answers.query_row(params![n, id], |r| r.get(0)).optional()?,
                    None => None,
                };
                attendance_row(p, answered)
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(Page { rows, total })
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
            _ => "name_lower",
        };
        let dir = if q.descending { "DESC" } else { "ASC" };
        let conn = self.read();
        let Some(n) = known_number(&conn, webinar_id)? else {
            return Ok(Page {
                rows: Vec::new(),
                total: 0,
            });
        };
        let mut c = Conditions::of(n);
        if let Some(f) = q.filter.as_deref().filter(|f| !f.is_empty()) {
            c.add("status = ?", Some(f.to_string()));
        }
        c.search(&q.search, "name_lower", "email_lower");
        let total: i64 = conn.query_row(
            &format!("SELECT count(*) FROM registrations WHERE w = ?1{}", c.sql),
            rusqlite::params_from_iter(&c.args),
            |r| r.get(0),
        )?;
        let filter = c.sql.clone();
        let (limit, offset, args) = c.paged(q);
        let mut stmt = conn.prepare(&format!(
            "SELECT {REGISTRATION_COLUMNS}
             FROM registrations r WHERE w = ?1{filter}
             ORDER BY {order} {dir}, id LIMIT ?{limit} OFFSET ?{offset}"
        ))?;
        let mut rows = stmt.query(rusqlite::params_from_iter(&args))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(registration_row(r)?);
        }
        Ok(Page {
            rows: out,
            total: total as usize,
        })
    }

    /// Every person's row of each webinar, for the series matrix (in the order given).
    pub fn people_of_sessions(
        &self,
        webinar_ids: &[String],
    ) -> Result<Vec<Vec<PersonSession>>, StoreError> {
        let conn = self.read();
        webinar_ids
            .iter()
            .map(|w| {
                let Some((_, sheet)) = self.sheet_of(&conn, w)? else {
                    return Ok(Vec::new());
                };
                sheet
                    .people()
                    .iter()
                    .map(|p| {
                        Ok(PersonSession {
                            key: PersonKey::from_stored(&p.key),
                            registration_id: p.registration_id.clone(),
                            email: p.email.clone(),
                            name: p.name.clone(),
                            registered: p.registered,
                            seconds_present: p.seconds_present,
                            pct_of_scheduled: p.pct,
                            first_join: p.first_join.map(millis).transpose()?,
                            last_leave: p.last_leave.map(millis).transpose()?,
                            rejoins: p.rejoins,
                            late_minutes: p.late_minutes,
                            early_leave_minutes: p.early_leave_minutes,
                            outcome: p.outcome,
                            intervals: Vec::new(),
                        })
                    })
                    .collect()
            })
            .collect()
    }
}

/// The `WHERE` of a table page after `w = ?1`, with its arguments. Each condition is added
/// only when asked for, so an unsearched, unfiltered page walks an index.
struct Conditions {
    sql: String,
    args: Vec<rusqlite::types::Value>,
}

impl Conditions {
    fn of(webinar_number: i64) -> Self {
        Self {
            sql: String::new(),
            args: vec![webinar_number.into()],
        }
    }

    /// `AND condition`; its one `?` (if any) becomes the next numbered argument.
    fn add(&mut self, condition: &str, arg: Option<String>) {
        let condition = match arg {
            Some(a) => {
                self.args.push(a.into());
                condition.replace('?', &format!("?{}", self.args.len()))
            }
            None => condition.to_string(),
        };
        self.sql.push_str(" AND ");
        self.sql.push_str(&condition);
    }

    /// Case-insensitive substring of the name or e-mail column; nothing for an empty search.
    fn search(&mut self, search: &str, name: &str, email: &str) {
        let search = search.trim().to_lowercase();
        if !search.is_empty() {
            self.args.push(format!("%{search}%").into());
            let at = self.args.len();
            self.sql
                .push_str(&format!(" AND ({name} LIKE ?{at} OR {email} LIKE ?{at})"));
        }
    }

    /// The arguments with the page's limit and offset appended, and their numbers.
    fn paged(mut self, q: &PageQuery) -> (usize, usize, Vec<rusqlite::types::Value>) {
        let at = self.args.len();
        self.args.push((q.limit.max(1) as i64).into());
        self.args.push((q.offset as i64).into());
        (at + 1, at + 2, self.args)
    }
}

/// A first sync's registrations, written ahead of its transaction under a number that names
/// no webinar yet (see [`Store::stage_registrations`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedRegistrations {
    n: i64,
    /// The number's placeholder webinar id, unique to this staging: a number freed and made
    /// again is never taken for this one.
    tag: String,
}

impl Store {
    /// Writes a webinar's registrations ahead of its sync's transaction, so a first sync's
    /// largest write is done while its attendance is still being read. They go under a number
    /// of their own that names no webinar (nothing reads them) until that transaction names
    /// it after the webinar ([`Store::apply_staged_attendance`]). `None` when the webinar has
    /// a number already: a later sync writes only the rows that changed, in its transaction.
    /// Staged rows whose sync fails are removed by [`Store::discard_staged_registrations`], or
    /// when the local copy is next opened.
    pub fn stage_registrations(
        &self,
        webinar_id: &str,
        registrations: &[RegistrationRow],
    ) -> Result<Option<StagedRegistrations>, StoreError> {
        if known_number(&self.read(), webinar_id)?.is_some() {
            return Ok(None);
        }
        let values = registration_values(registrations);
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        if known_number(&tx, webinar_id)?.is_some() {
            return Ok(None);
        }
        let tag = format!("staged:{}:{webinar_id}", uuid::Uuid::new_v4());
        tx.execute(
            "INSERT INTO attendance_webinars (webinar_id, staged) VALUES (?1, 1)",
            [&tag],
        )?;
        let n = tx.last_insert_rowid();
        write_registrations(&tx, n, &values)?;
        tx.commit()?;
        Ok(Some(StagedRegistrations { n, tag }))
    }

    /// Removes registrations staged for a sync that failed (nothing once they were named).
    pub fn discard_staged_registrations(
        &self,
        staged: &StagedRegistrations,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        discard_staged(&tx, staged)?;
        tx.commit()?;
        Ok(())
    }
}

/// Names the `staged` number after webinar `w` when `w` has none; its number then.
fn claim(
    tx: &Transaction<'_>,
    w: &str,
    staged: &StagedRegistrations,
) -> Result<Option<i64>, StoreError> {
    if known_number(tx, w)?.is_some() {
        return Ok(None);
    }
    let named = tx.execute(
        "UPDATE attendance_webinars SET webinar_id = ?1, staged = 0
         WHERE n = ?2 AND webinar_id = ?3 AND staged = 1",
        params![w, staged.n, staged.tag],
    )?;
    Ok((named == 1).then_some(staged.n))
}

/// Deletes a staged number and its rows, if it is still staged.
fn discard_staged(tx: &Transaction<'_>, staged: &StagedRegistrations) -> Result<(), StoreError> {
    let still = tx
        .query_row(
            "SELECT 1 FROM attendance_webinars WHERE n = ?1 AND webinar_id = ?2 AND staged = 1",
            params![staged.n, staged.tag],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if still {
        tx.execute("DELETE FROM registrations WHERE w = ?1", [staged.n])?;
        tx.execute("DELETE FROM attendance_webinars WHERE n = ?1", [staged.n])?;
    }
    Ok(())
}

/// Deletes every staged number and its rows: those of syncs that failed or were killed. Run
/// when the local copy is opened. Returns how many numbers were removed.
pub(super) fn discard_all_staged(conn: &mut rusqlite::Connection) -> Result<usize, StoreError> {
    let tx = conn.transaction()?;
    tx.execute(
        "DELETE FROM registrations
         WHERE w IN (SELECT n FROM attendance_webinars WHERE staged = 1)",
        [],
    )?;
    let removed = tx.execute("DELETE FROM attendance_webinars WHERE staged = 1", [])?;
    tx.commit()?;
    if removed > 0 {
        tracing::info!(
            staged = removed,
            "registrations staged by syncs that did not finish were removed"
        );
    }
    Ok(removed)
}

/// The small number the large tables use for a webinar, made on first use.
fn webinar_number(tx: &Transaction<'_>, webinar_id: &str) -> Result<i64, StoreError> {
    tx.execute(
        "INSERT OR IGNORE INTO attendance_webinars (webinar_id) VALUES (?1)",
        [webinar_id],
    )?;
    Ok(tx.query_row(
        "SELECT n FROM attendance_webinars WHERE webinar_id = ?1",
        [webinar_id],
        |r| r.get(0),
    )?)
}

/// A person's row of a session as the table shows it, with the answers of their registration
/// (JSON, as kept with it).
pub(super) fn attendance_row(
    p: &SheetPerson,
    answers: Option<String>,
) -> Result<AttendanceRow, StoreError> {
    Ok(AttendanceRow {
        person_key: p.key.clone(),
        name: p.name.clone(),
        email: p.email.clone(),
        registered: p.registered,
        seconds_present: p.seconds_present,
        pct: p.pct,
        first_join: p.first_join.map(millis).transpose()?,
        last_leave: p.last_leave.map(millis).transpose()?,
        rejoins: p.rejoins,
        late_minutes: p.late_minutes,
        early_leave_minutes: p.early_leave_minutes,
        outcome: p.outcome.as_str().to_string(),
        answers: answers
            .map(|a| serde_json::from_str(&a))
            .transpose()
            .map_err(|_| StoreError::Corrupt("registration answers".into()))?
            .unwrap_or_default(),
    })
}

/// The columns `registration_row` reads, in its order (a registration `r`).
pub(super) const REGISTRATION_COLUMNS: &str = "r.id, r.first_name, r.last_name, r.email, \
     r.status, r.registered_at, r.canceled_at, r.answers";

/// A registration, from `REGISTRATION_COLUMNS`.
pub(super) fn registration_row(r: &rusqlite::Row<'_>) -> Result<RegistrationListRow, StoreError> {
    let (first, last): (String, String) = (r.get(1)?, r.get(2)?);
    Ok(RegistrationListRow {
        id: r.get(0)?,
        name: format!("{first} {last}").trim().to_string(),
        email: r.get(3)?,
        status: r.get(4)?,
        registered_at: r
            .get::<_, Option<String>>(5)?
            .as_deref()
            .map(parse_time)
            .transpose()?,
        canceled_at: r
            .get::<_, Option<String>>(6)?
            .as_deref()
            .map(parse_time)
            .transpose()?,
        answers: serde_json::from_str(text(r, 7)?)
            .map_err(|_| StoreError::Corrupt("registration answers".into()))?,
    })
}

/// The webinar's number, if anything was ever kept for it.
pub(super) fn known_number(
    conn: &rusqlite::Connection,
    webinar_id: &str,
) -> Result<Option<i64>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT n FROM attendance_webinars WHERE webinar_id = ?1",
            [webinar_id],
            |r| r.get(0),
        )
        .optional()?)
}

fn registrant_name(r: &crate::sync::attendance::RegistrationRow) -> String {
    full_name(&r.first_name, &r.last_name)
}

/// "First Last", trimmed; one allocation for the usual name (a recompute makes one per
/// registrant).
fn full_name(first: &str, last: &str) -> String {
    let mut name = String::with_capacity(first.len() + 1 + last.len());
    name.push_str(first);
    name.push(' ');
    name.push_str(last);
    let trimmed = name.trim();
    if trimmed.len() == name.len() {
        name
    } else {
        trimmed.to_string()
    }
}

/// A text column borrowed from its row (no copy for what is parsed at once).
fn text<'a>(r: &'a rusqlite::Row<'_>, i: usize) -> Result<&'a str, StoreError> {
    r.get_ref(i)?
        .as_str()
        .map_err(|e| StoreError::Corrupt(format!("column {i}: {e}")))
}

/// An interval as kept: to the millisecond (Teams gives up to 100 ns).
fn kept_precision(i: &Interval) -> Interval {
    let ms = |t: DateTime<Utc>| {
        DateTime::from_timestamp_millis(t.timestamp_millis()).expect("a time within range")
    };
    Interval {
        join: ms(i.join),
        leave: ms(i.leave),
    }
}

pub(super) fn millis(ms: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| StoreError::Corrupt(format!("time {ms} ms")))
}

/// A webinar's registrations (`?1` is its number), read in one pass over its rows in the order
/// they are stored: the span of row ids they occupy, `+w` keeping SQLite from walking an index
/// instead, which meant a random read per row (100,000 registrations' answers: 70 ms against
/// 30 ms; their names and statuses for a recompute: 107–228 ms against 70–115 ms).
const REGISTRATIONS_AS_STORED: &str =
    "rowid BETWEEN (SELECT min(rowid) FROM registrations WHERE w = ?1)
                   AND (SELECT max(rowid) FROM registrations WHERE w = ?1)
       AND +w = ?1";

fn stored_registrants(conn: &rusqlite::Connection, n: i64) -> Result<Vec<Registrant>, StoreError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT id, email, first_name, last_name, status FROM registrations
         WHERE {REGISTRATIONS_AS_STORED}"
    ))?;
    let mut rows = stmt.query([n])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(Registrant {
            registration_id: r.get(0)?,
            email: r.get(1)?,
            name: full_name(text(r, 2)?, text(r, 3)?),
            status: r.get(4)?,
        });
    }
    Ok(out)
}

/// Every kept report version of the webinar: its id and its records as stored (JSON, parsed
/// by [`unpack_records`] where the metrics are computed).
fn stored_reports(
    conn: &rusqlite::Connection,
    webinar_id: &str,
) -> Result<Vec<(String, String)>, StoreError> {
    let mut stmt =
        conn.prepare("SELECT id, records FROM attendance_reports WHERE webinar_id = ?1")?;
    let rows = stmt.query_map([webinar_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A stored record: `[id, email, name, identityId, registrationId, role, totalSeconds,
/// [[join, leave], …]]`, times in Unix milliseconds (see migration 11).
type StoredRecord<'a> = (
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<i64>,
    Vec<(i64, i64)>,
);

/// A report's records as stored: JSON, one array per record (see [`StoredRecord`]).
fn pack_records(records: &[crate::sync::attendance::RecordRow]) -> String {
    let rows: Vec<StoredRecord<'_>> = records
        .iter()
        .map(|r| {
            (
                r.id.as_str(),
                r.email.as_deref(),
                r.name.as_deref(),
                r.identity_id.as_deref(),
                r.registration_id.as_deref(),
                r.role.as_deref(),
                r.total_seconds,
                r.intervals
                    .iter()
                    .map(|i| (i.join.timestamp_millis(), i.leave.timestamp_millis()))
                    .collect(),
            )
        })
        .collect();
    serde_json::to_string(&rows).expect("plain data serializes")
}

/// The records of one stored report version.
pub(super) fn unpack_records(report_id: &str, json: &str) -> Result<Vec<Record>, StoreError> {
    // Borrowed strings fail on escapes (a name with a quote), so texts are owned here.
    type Owned = (
        serde::de::IgnoredAny,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        serde::de::IgnoredAny,
        Vec<(i64, i64)>,
    );
    let rows: Vec<Owned> = serde_json::from_str(json)
        .map_err(|e| StoreError::Corrupt(format!("records of report {report_id}: {e}")))?;
    rows.into_iter()
        .map(
            |(_, email, name, identity_id, registration_id, role, _, spans)| {
                Ok(Record {
                    report_id: report_id.to_string(),
                    email,
                    name,
                    identity_id,
                    registration_id,
                    role,
                    intervals: spans
                        .into_iter()
                        .map(|(j, l)| {
                            Ok(Interval {
                                join: millis(j)?,
                                leave: millis(l)?,
                            })
                        })
                        .collect::<Result<_, StoreError>>()?,
                })
            },
        )
        .collect()
}

/// How many rows a sync rewrote: rows whose content is unchanged are left alone, so a re-sync
/// that brings nothing new rewrites none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rewritten {
    /// Registration rows inserted, changed or removed.
    pub registrations: usize,
    /// People added to, changed on or gone from the session's sheet.
    pub people: usize,
}

/// The organizer's outcome rules as kept (the defaults until changed).
fn stored_rules(conn: &rusqlite::Connection) -> Result<Rules, StoreError> {
    Ok(conn
        .query_row(
            "SELECT attended_pct, completion_pct FROM attendance_rules WHERE id = 1",
            [],
            |r| {
                Ok(Rules {
                    attended_pct: r.get(0)?,
                    completion_pct: r.get(1)?,
                })
            },
        )
        .optional()?
        .unwrap_or_default())
}

/// Ids of the report versions kept for a webinar.
fn report_ids(
    conn: &rusqlite::Connection,
    webinar_id: &str,
) -> Result<HashSet<String>, StoreError> {
    let mut stmt = conn.prepare("SELECT id FROM attendance_reports WHERE webinar_id = ?1")?;
    let ids = stmt.query_map([webinar_id], |r| r.get::<_, String>(0))?;
    Ok(ids.collect::<Result<_, _>>()?)
}

/// A 64-bit digest of a row's content, to tell whether it needs writing. Fx hashing (no keys,
/// a fraction of SipHash's cost): a version of it that hashes differently only makes the next
/// sync rewrite every row once.
fn digest(content: impl Hash) -> i64 {
    let mut h = rustc_hash::FxHasher::default();
    content.hash(&mut h);
    h.finish() as i64
}

/// A sync's rows as they are written, worked out before the writer is taken: each
/// registration's columns and digest, each new report's records packed.
struct Rows<'p> {
    /// `None` when they were staged (written ahead).
    registrations: Option<Vec<RegistrationValues<'p>>>,
    staged: Option<&'p StagedRegistrations>,
    /// Report id → its records as stored.
    packed: HashMap<&'p str, String>,
}

/// A registration's columns, as [`REGISTRATION_COLUMNS_WRITTEN`] lists them.
struct RegistrationValues<'p> {
    id: &'p str,
    email: Option<&'p str>,
    email_lower: Option<String>,
    first_name: &'p str,
    last_name: &'p str,
    name_lower: String,
    status: &'p str,
    registered_at: Option<String>,
    canceled_at: Option<String>,
    user_id: Option<&'p str>,
    answers: String,
    digest: i64,
}

impl<'p> Rows<'p> {
    fn of(
        plan: &'p AttendancePlan,
        staged: Option<&'p StagedRegistrations>,
        mut packed: HashMap<String, Packed>,
    ) -> Self {
        // Registrations written ahead (a first sync) are not written again.
        let registrations = plan
            .registrations
            .as_deref()
            .filter(|_| staged.is_none())
            .map(registration_values);
        let packed = plan
            .new_reports
            .iter()
            .map(|rep| {
                // Packed as the pages arrived when that was of exactly these records.
                let json = match packed.remove(&rep.id) {
                    Some(p) if p.records == rep.records.len() => p.json,
                    _ => pack_records(&rep.records),
                };
                (rep.id.as_str(), json)
            })
            .collect();
        Rows {
            registrations,
            staged,
            packed,
        }
    }
}

/// Registrations' columns as written, with the digest of each.
fn registration_values(list: &[RegistrationRow]) -> Vec<RegistrationValues<'_>> {
    list.iter()
        .map(|r| {
            let registered_at = r.registered_at.map(|t| t.to_rfc3339());
            let canceled_at = r.canceled_at.map(|t| t.to_rfc3339());
            let answers = serde_json::to_string(&r.answers).expect("strings serialize");
            let digest = digest((
                &r.email,
                &r.first_name,
                &r.last_name,
                &r.status,
                &registered_at,
                &canceled_at,
                &r.user_id,
                &answers,
            ));
            RegistrationValues {
                id: &r.id,
                email: r.email.as_deref(),
                email_lower: r.email.as_deref().map(comparable_email),
                first_name: &r.first_name,
                last_name: &r.last_name,
                name_lower: registrant_name(r).to_lowercase(),
                status: &r.status,
                registered_at,
                canceled_at,
                user_id: r.user_id.as_deref(),
                answers,
                digest,
            }
        })
        .collect()
}

const REGISTRATION_COLUMNS_WRITTEN: &str = "w, id, email, email_lower, first_name, last_name, \
     name_lower, status, registered_at, canceled_at, user_id, answers, digest";

/// Writes this sync's registrations (only those changed), questions, and new reports with
/// their records. Returns how many registration rows were rewritten.
fn write_sync(
    tx: &Transaction<'_>,
    plan: &AttendancePlan,
    rows: &Rows<'_>,
    n: i64,
    fresh: &[&ReportRow],
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let w = plan.webinar_id.as_str();
    let at = now.to_rfc3339();
    if plan.links != WebinarLinks::default() {
        tx.execute(
            "INSERT INTO webinar_links (webinar_id, join_url, registration_url, seen_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (webinar_id) DO UPDATE SET
                 join_url = COALESCE(excluded.join_url, join_url),
                 registration_url = COALESCE(excluded.registration_url, registration_url),
                 seen_at = excluded.seen_at",
            params![w, plan.links.join_url, plan.links.registration_url, at],
        )?;
    }
    let rewritten = match &rows.registrations {
        Some(registrations) => write_registrations(tx, n, registrations)?,
        None => 0,
    };
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
    let mut report = tx.prepare(
        "INSERT INTO attendance_reports (webinar_id, id, session_id, meeting_start, meeting_end,
             total_participants, first_seen_at, records)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for rep in fresh {
        report.execute(params![
            w,
            rep.id,
            rep.session_id,
            rep.meeting_start.map(|t| t.to_rfc3339()),
            rep.meeting_end.map(|t| t.to_rfc3339()),
            rep.total_participants,
            at,
            rows.packed[rep.id.as_str()],
        ])?;
    }
    Ok(rewritten)
}

/// Writes a webinar's registrations under its number `n`: only rows whose content changed, and
/// deletes those no longer listed. Returns how many rows were written or deleted.
fn write_registrations(
    tx: &Transaction<'_>,
    n: i64,
    registrations: &[RegistrationValues<'_>],
) -> Result<usize, StoreError> {
    let mut rewritten = 0;
    let mut kept = row_digests(
        tx,
        &format!("SELECT id, rowid, digest FROM registrations WHERE {REGISTRATIONS_AS_STORED}"),
        n,
    )?;
    let columns = REGISTRATION_COLUMNS_WRITTEN;
    let mut insert = tx.prepare(&format!(
        "INSERT INTO registrations ({columns})
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
    ))?;
    let mut update = tx.prepare(&format!(
        "UPDATE registrations SET ({columns})
             = (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         WHERE rowid = ?14"
    ))?;
    for r in registrations {
        let row = params![
            n,
            r.id,
            r.email,
            r.email_lower,
            r.first_name,
            r.last_name,
            r.name_lower,
            r.status,
            r.registered_at,
            r.canceled_at,
            r.user_id,
            r.answers,
            r.digest,
        ];
        match kept.remove(r.id) {
            Some((_, old)) if old == r.digest => continue,
            Some((rowid, _)) => {
                let mut row = row.to_vec();
                row.push(&rowid);
                update.execute(&*row)?
            }
            None => insert.execute(row)?,
        };
        rewritten += 1;
    }
    rewritten += delete_rows(tx, "registrations", kept)?;
    Ok(rewritten)
}

/// Key → (rowid, digest) of a webinar's rows, from a query selecting those three.
fn row_digests(
    tx: &Transaction<'_>,
    sql: &str,
    n: i64,
) -> Result<HashMap<String, (i64, i64)>, StoreError> {
    let mut stmt = tx.prepare(sql)?;
    let mut rows = stmt.query([n])?;
    let mut out = HashMap::new();
    while let Some(r) = rows.next()? {
        out.insert(r.get(0)?, (r.get(1)?, r.get(2)?));
    }
    Ok(out)
}

/// Deletes the rows left over from a diff (by rowid); returns how many.
fn delete_rows(
    tx: &Transaction<'_>,
    table: &str,
    left: HashMap<String, (i64, i64)>,
) -> Result<usize, StoreError> {
    let mut delete = tx.prepare(&format!("DELETE FROM {table} WHERE rowid = ?1"))?;
    for (rowid, _) in left.values() {
        delete.execute([rowid])?;
    }
    Ok(left.len())
}

/// A session's people worked out while a sync reads the pages, as the sheet keeps them.
type PeopleTally = Tally<SheetPerson>;

/// What a sync works out while it reads a webinar's report pages, so that little is left for
/// after the last one: the people, as the sheet keeps them (see [`Tally`]), and each report's
/// records packed as kept. The store uses each part only where it is of exactly the plan it
/// writes.
#[derive(Debug)]
pub(crate) struct SyncTally {
    people: PeopleTally,
    /// Report id → its records packed so far.
    packed: HashMap<String, Packed>,
}

/// A report's records packed as kept (see [`pack_records`]), page after page.
#[derive(Debug, Default)]
struct Packed {
    json: String,
    records: usize,
}

impl SyncTally {
    pub(crate) fn new() -> Self {
        SyncTally {
            people: Tally::new(sheet_person),
            packed: HashMap::new(),
        }
    }

    /// Takes the next page of report `report_id`'s records (as stored).
    pub(crate) fn feed(&mut self, report_id: &str, page: &[RecordRow]) {
        if page.is_empty() {
            return;
        }
        self.people
            .feed(page.iter().map(|r| record_of(report_id, r)).collect());
        let part = pack_records(page);
        let p = self.packed.entry(report_id.to_string()).or_default();
        // `[a,b]` then `[c]` make `[a,b,c]`.
        match p.json.pop() {
            Some(_) => p.json.push(','),
            None => p.json.push('['),
        }
        p.json.push_str(&part[1..]);
        p.records += page.len();
    }

    /// The schedule, the registrations as listed and the rules (see [`Tally::know`]).
    pub(crate) fn know(
        &mut self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        list: &[RegistrationRow],
        rules: Rules,
    ) {
        self.people.know(start, end, registrants(list), rules);
    }
}

/// Registrations as the metrics match records to them.
fn registrants(list: &[RegistrationRow]) -> Vec<Registrant> {
    list.iter()
        .map(|r| Registrant {
            registration_id: r.id.clone(),
            email: r.email.clone(),
            name: registrant_name(r),
            status: r.status.clone(),
        })
        .collect()
}

/// A record of report `report_id` as the metrics read it.
fn record_of(report_id: &str, r: &RecordRow) -> Record {
    Record {
        report_id: report_id.to_string(),
        email: r.email.clone(),
        name: r.name.clone(),
        identity_id: r.identity_id.clone(),
        registration_id: r.registration_id.clone(),
        role: r.role.clone(),
        // At the precision they are kept in, so these metrics equal any later recompute
        // from the store (and an unchanged row is not rewritten then).
        intervals: r.intervals.iter().map(kept_precision).collect(),
    }
}

/// What a recompute works from.
struct Inputs {
    /// The sync's tally of everyone, when it fits (then `registrants` and `records` are
    /// empty: the tally has them).
    tally: Option<PeopleTally>,
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
    /// Report versions kept (with this sync's): none means nobody has an outcome yet.
    reports: usize,
    registrants: Vec<Registrant>,
    /// Kept report versions, as stored: (id, records JSON), parsed by `compute`.
    stored: Vec<(String, String)>,
    /// This sync's new records.
    records: Vec<Record>,
    /// The sheet as last written, to tell who changed.
    old: Option<Arc<Loaded>>,
}

/// A recompute computed beside the writer, from its own snapshot of the local copy: the
/// version of the webinar it read (sent as soon as it is known), then the result.
struct Early<'scope> {
    version: std::sync::mpsc::Receiver<i64>,
    computed: std::thread::ScopedJoinHandle<'scope, Result<Computed, StoreError>>,
}

/// A recompute finished before the writer was taken, or running beside the writes.
enum Recompute<'scope> {
    Done(Box<std::thread::Result<Result<Computed, StoreError>>>),
    Running(std::thread::ScopedJoinHandle<'scope, Result<Computed, StoreError>>),
}

impl Recompute<'_> {
    fn join(self) -> std::thread::Result<Result<Computed, StoreError>> {
        match self {
            Recompute::Done(done) => *done,
            Recompute::Running(running) => running.join(),
        }
    }
}

/// Runs a recompute on a thread of its own (named, for profiles).
fn spawn_recompute<'scope>(
    s: &'scope std::thread::Scope<'scope, '_>,
    recompute: impl FnOnce() -> Result<Computed, StoreError> + Send + 'scope,
) -> std::thread::ScopedJoinHandle<'scope, Result<Computed, StoreError>> {
    std::thread::Builder::new()
        .name("recompute".into())
        .spawn_scoped(s, recompute)
        // As `thread::scope`'s own `spawn` does: only a system out of threads fails here.
        .expect("a thread for the recompute")
}

/// This sync's report versions that are not kept yet, each once.
fn fresh_reports<'p>(plan: &'p AttendancePlan, kept: &HashSet<String>) -> Vec<&'p ReportRow> {
    let mut seen = HashSet::new();
    plan.new_reports
        .iter()
        .filter(|r| !kept.contains(&r.id) && seen.insert(r.id.as_str()))
        .collect()
}

/// How many times the webinar's kept data was written (see migration 13).
fn version_of(conn: &rusqlite::Connection, n: i64) -> Result<i64, StoreError> {
    Ok(conn.query_row(
        "SELECT version FROM attendance_webinars WHERE n = ?1",
        [n],
        |r| r.get(0),
    )?)
}

/// A webinar's metrics and its new sheet.
struct Computed {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    /// The session's numbers (its people are on `sheet`).
    metrics: SessionMetrics,
    sheet: Sheet,
    /// People added, changed or gone since the old sheet; 0 leaves the old sheet as it is.
    changed: usize,
    /// The sheet as written (its e-mails, its encoding) when it is to be written: someone on
    /// it changed, or there was no sheet yet (an empty one is still written once, so the
    /// session is known to be computed).
    written: Option<(String, Vec<u8>)>,
}

impl Inputs {
    /// Pure: the metrics and the sheet to write (runs beside the writer).
    fn compute(mut self, rules: Rules, now: DateTime<Utc>) -> Result<Computed, StoreError> {
        for (id, json) in &self.stored {
            self.records.extend(unpack_records(id, json)?);
        }
        // Without a schedule (a webinar Teams no longer returns) the reports' span stands in.
        let (start, end) = match (self.start, self.end) {
            (Some(s), Some(e)) => (s, e),
            _ => {
                let all = || self.records.iter().flat_map(|r| &r.intervals);
                let s = all().map(|i| i.join).min().unwrap_or(now);
                let e = all().map(|i| i.leave).max().unwrap_or(now);
                (s, e)
            }
        };
        let registrants = self.registrants;
        let tallied = self.tally.and_then(Tally::finish);
        let (metrics, people) = match tallied {
            Some(done) => done,
            None => {
                let mut metrics = if self.reports == 0 {
                    before_any_report(&registrants)
                } else {
                    session_metrics(start, end, &registrants, &self.records, rules)
                };
                drop(self.records);
                let people = map_each(std::mem::take(&mut metrics.people), sheet_person);
                (metrics, people)
            }
        };
        let sheet = Sheet::new(people);
        let (changed, had_sheet) = match &self.old {
            Some(old) => {
                let before: HashMap<&str, i64> = old
                    .people()
                    .iter()
                    .map(|p| (p.key.as_str(), p.digest))
                    .collect();
                let changed = sheet
                    .people
                    .iter()
                    .filter(|p| before.get(p.key.as_str()) != Some(&p.digest))
                    .count();
                let stayed = sheet
                    .people
                    .iter()
                    .filter(|p| before.contains_key(p.key.as_str()))
                    .count();
                (changed + before.len() - stayed, true)
            }
            None => (sheet.people.len(), false),
        };
        // Encoded here, beside the writer, rather than while holding it.
        let written = (changed > 0 || !had_sheet).then(|| (sheet.emails(), sheet.encode()));
        Ok(Computed {
            start,
            end,
            metrics,
            sheet,
            changed,
            written,
        })
    }
}

/// A person's row as kept, with the digest of its content.
fn sheet_person(p: PersonSession) -> SheetPerson {
    let key = p.key.to_stored();
    let intervals: Vec<(i64, i64)> = p
        .intervals
        .iter()
        .map(|i| (i.join.timestamp_millis(), i.leave.timestamp_millis()))
        .collect();
    let (first_join, last_leave) = (
        p.first_join.map(|t| t.timestamp_millis()),
        p.last_leave.map(|t| t.timestamp_millis()),
    );
    let digest = digest((
        (&key, &p.registration_id, &p.email, &p.name, p.registered),
        (p.seconds_present, p.pct_of_scheduled.to_bits()),
        (first_join, last_leave, p.rejoins),
        (p.late_minutes, p.early_leave_minutes, p.outcome.as_str()),
        &intervals,
    ));
    SheetPerson {
        email_lower: p.email.as_deref().map(comparable_email),
        name_lower: lower_name(&p.name),
        key,
        registration_id: p.registration_id,
        email: p.email,
        name: p.name,
        registered: p.registered,
        seconds_present: p.seconds_present,
        pct: p.pct_of_scheduled,
        first_join,
        last_leave,
        rejoins: p.rejoins,
        late_minutes: p.late_minutes,
        early_leave_minutes: p.early_leave_minutes,
        outcome: p.outcome,
        intervals,
        digest,
    }
}

/// Recomputes one webinar from what the local copy keeps (its reports and registrations) and
/// writes the result; the registrations' source stays as last known.
fn recompute(
    tx: &Transaction<'_>,
    w: &str,
    n: i64,
    (start, end): (&Option<String>, &Option<String>),
    old: Option<Arc<Loaded>>,
    rules: Rules,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let stored = stored_reports(tx, w)?;
    let report_count = stored.len();
    let inputs = Inputs {
        tally: None,
        start: start.as_deref().map(parse_time).transpose()?,
        end: end.as_deref().map(parse_time).transpose()?,
        reports: report_count,
        registrants: stored_registrants(tx, n)?,
        stored,
        records: Vec::new(),
        old,
    };
    write_metrics(
        tx,
        w,
        n,
        &inputs.compute(rules, now)?,
        report_count,
        None,
        now,
    )?;
    Ok(())
}

/// Computes the sheet of every session that has numbers or a kept report but no sheet: those
/// kept before sheets were (migration 12). Returns how many.
pub(super) fn fill_missing_sheets(
    conn: &mut rusqlite::Connection,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let tx = conn.transaction()?;
    let missing: Vec<(String, i64, Option<String>, Option<String>)> = {
        let mut stmt = tx.prepare(
            "SELECT a.webinar_id, a.n, s.scheduled_start, s.scheduled_end
             FROM attendance_webinars a LEFT JOIN session_stats s ON s.webinar_id = a.webinar_id
             WHERE NOT EXISTS (SELECT 1 FROM attendance_sheets h WHERE h.w = a.n)
               AND (s.webinar_id IS NOT NULL
                    OR EXISTS (SELECT 1 FROM attendance_reports r
                               WHERE r.webinar_id = a.webinar_id))",
        )?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<_, _>>()?
    };
    if missing.is_empty() {
        return Ok(0);
    }
    let rules = stored_rules(&tx)?;
    for (w, n, start, end) in &missing {
        recompute(&tx, w, *n, (start, end), None, rules, now)?;
    }
    tx.commit()?;
    tracing::info!(
        sessions = missing.len(),
        "attendance sheets computed from the kept reports"
    );
    Ok(missing.len())
}

/// Writes a webinar's sheet (when one of its people changed) and its numbers. `source` is
/// `Some` when this sync listed the registrations (and from where); otherwise the last known
/// source is kept. Returns the sheet's new generation when it was written.
fn write_metrics(
    tx: &Transaction<'_>,
    w: &str,
    n: i64,
    computed: &Computed,
    report_count: usize,
    source: Option<Option<&'static str>>,
    now: DateTime<Utc>,
) -> Result<Option<i64>, StoreError> {
    let Computed {
        start,
        end,
        metrics: m,
        written,
        ..
    } = computed;
    tx.execute(
        "UPDATE attendance_webinars SET version = version + 1 WHERE n = ?1",
        [n],
    )?;
    let generation = written
        .as_ref()
        .map(|(emails, people)| {
            tx.query_row(
                "INSERT INTO attendance_sheets (w, generation, emails, people)
                 VALUES (?1, 1, ?2, ?3)
                 ON CONFLICT (w) DO UPDATE SET generation = generation + 1, emails = ?2,
                     people = ?3
                 RETURNING generation",
                params![n, emails, people],
                |r| r.get(0),
            )
        })
        .transpose()?;
    let presence: Vec<(String, usize)> = m
        .presence
        .iter()
        .map(|(t, n)| (t.to_rfc3339(), *n))
        .collect();
    // A refused registrations list keeps the last known source: the data shown is that old.
    let source: Option<String> = match source {
        Some(fresh) => fresh.map(str::to_string),
        None => tx
            .query_row(
                "SELECT registrations_source FROM session_stats WHERE webinar_id = ?1",
                [w],
                |r| r.get(0),
            )
            .optional()?
            .flatten(),
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
    Ok(generation)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::sync::attendance::{RecordRow, RegistrationRow};

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-02T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
            + chrono::Duration::minutes(minute)
    }

    /// A report version of session `s1` of an hour from `start`, in which each of `who` stays
    /// from minute `from` to `to`, matched to registration `reg-{who}` unless `unregistered`.
    pub(in crate::store) fn report_of(
        id: &str,
        start: DateTime<Utc>,
        stays: &[(&str, i64, i64)],
        unregistered: &[&str],
    ) -> ReportRow {
        let minutes = |m| start + chrono::Duration::minutes(m);
        ReportRow {
            id: id.into(),
            session_id: "s1".into(),
            meeting_start: Some(start),
            meeting_end: Some(minutes(60)),
            total_participants: Some(stays.len() as i64),
            records: stays
                .iter()
                .map(|&(who, from, to)| RecordRow {
                    id: format!("{id}-{who}"),
                    email: Some(format!("{who}@example.com")),
                    name: Some(who.into()),
                    identity_id: None,
                    registration_id: (!unregistered.contains(&who)).then(|| format!("reg-{who}")),
                    role: Some("Attendee".into()),
                    total_seconds: Some((to - from) * 60),
                    intervals: vec![Interval {
                        join: minutes(from),
                        leave: minutes(to),
                    }],
                })
                .collect(),
        }
    }

    fn report(id: &str, stays: &[(&str, i64, i64)]) -> ReportRow {
        report_of(id, at(0), stays, &[])
    }

    fn plan(registered: &[&str], reports: Vec<ReportRow>) -> AttendancePlan {
        AttendancePlan {
            webinar_id: "w1".into(),
            scheduled_start: Some(at(0)),
            scheduled_end: Some(at(60)),
            registrations: (!registered.is_empty()).then(|| {
                registered
                    .iter()
                    .map(|who| RegistrationRow {
                        id: format!("reg-{who}"),
                        email: Some(format!("{who}@example.com")),
                        first_name: who.to_string(),
                        last_name: String::new(),
                        status: "registered".into(),
                        registered_at: None,
                        canceled_at: None,
                        user_id: None,
                        answers: BTreeMap::new(),
                    })
                    .collect()
            }),
            registrations_source: Some("v1.0"),
            questions: vec![],
            new_reports: reports,
            warnings: vec![],
            links: WebinarLinks::default(),
        }
    }

    fn outcomes(store: &Store) -> Vec<(String, String, i64)> {
        let everyone = PageQuery {
            limit: 100,
            ..PageQuery::default()
        };
        let page = store.attendance_page("w1", &everyone).unwrap();
        page.rows
            .into_iter()
            .map(|r| (r.name, r.outcome, r.seconds_present))
            .collect()
    }

    /// A tally fed `plan`'s reports two records a page, the registrations known after the
    /// first page (as a sync feeds it).
    fn tally_of(plan: &AttendancePlan, rules: Rules) -> SyncTally {
        let mut tally = SyncTally::new();
        for (i, rep) in plan.new_reports.iter().enumerate() {
            for (j, page) in rep.records.chunks(2).enumerate() {
                tally.feed(&rep.id, page);
                if (i, j) == (0, 0) {
                    let list = plan.registrations.as_deref().unwrap_or_default();
                    let (start, end) = (plan.scheduled_start.unwrap(), plan.scheduled_end.unwrap());
                    tally.know(start, end, list, rules);
                }
            }
        }
        tally
    }

    /// Everything a sync of `w1` leaves in the local copy, byte for byte.
    fn kept(store: &Store) -> Vec<String> {
        let conn = store.read();
        let mut out = Vec::new();
        for sql in [
            "SELECT id || ':' || records FROM attendance_reports ORDER BY id",
            "SELECT hex(people) || ':' || emails FROM attendance_sheets",
            "SELECT registered || ',' || attended || ',' || partial || ',' || no_shows || ','
                 || unregistered || ',' || average_seconds || ',' || peak_concurrent || ','
                 || presence || ',' || report_count FROM session_stats",
        ] {
            let mut stmt = conn.prepare(sql).unwrap();
            let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
            out.extend(rows.map(Result::unwrap));
        }
        out
    }

    #[test]
    fn a_sync_tally_writes_exactly_what_the_whole_plan_writes() {
        let rules = Rules::default();
        let now = at(24 * 60);
        let mut first = report_of(
            "rep-1",
            at(0),
            &[
                ("ada", 0, 60),
                ("bob", 5, 20),
                ("eve", 0, 50),
                ("cy", 30, 60),
                ("zed", 2, 3),
            ],
            &["eve", "zed"],
        );
        // Bob dropped out and came back: two records of one person, on two pages.
        first.records.push(
            report_of("rep-1", at(0), &[("bob", 25, 60)], &[])
                .records
                .remove(0),
        );
        first.records[5].id = "rep-1-bob-again".into();
        let whole = plan(&["ada", "bob", "cy", "dee"], vec![first]);

        let tally = tally_of(&whole, rules);
        let packed = &tally.packed["rep-1"];
        assert_eq!(
            packed.json,
            pack_records(&whole.new_reports[0].records),
            "packed by pages"
        );
        assert_eq!(packed.records, 6);

        let dir = std::env::temp_dir().join(format!("wd-tally-{}", uuid::Uuid::new_v4()));
        let tallied = Store::open(&dir.join("tallied.sqlite3")).unwrap();
        let from_scratch = Store::open(&dir.join("whole.sqlite3")).unwrap();
        let in_memory = Store::open_in_memory().unwrap();
        tallied
            .apply_tallied_attendance(&whole, None, Some(tally_of(&whole, rules)), rules, now)
            .unwrap();
        in_memory
            .apply_tallied_attendance(&whole, None, Some(tally_of(&whole, rules)), rules, now)
            .unwrap();
        from_scratch.apply_attendance(&whole, rules, now).unwrap();
        let expected = kept(&from_scratch);
        assert_eq!(expected.len(), 3, "{expected:?}");
        assert_eq!(
            kept(&tallied),
            expected,
            "a file store (the tally beside the writer)"
        );
        assert_eq!(
            kept(&in_memory),
            expected,
            "in memory (the tally in the writer)"
        );
        assert!(
            outcomes(&tallied)
                .iter()
                .any(|(name, _, secs)| name == "bob" && *secs == 50 * 60),
            "{:?}",
            outcomes(&tallied)
        );
        drop((tallied, from_scratch));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_sync_tally_stands_in_only_for_exactly_the_plan_with_nothing_kept_before() {
        let rules = Rules::default();
        let now = at(24 * 60);
        let store = Store::open_in_memory().unwrap();
        let first = plan(
            &["ada", "bob"],
            vec![report("rep-1", &[("ada", 0, 60), ("bob", 0, 9)])],
        );
        let used = |store: &Store, plan: &AttendancePlan, tally: SyncTally, rules: Rules| {
            let conn = store.read();
            let n = known_number(&conn, "w1").unwrap();
            let inputs = store
                .gather(&conn, plan, n, Some(tally.people), rules)
                .unwrap();
            inputs.tally.is_some()
        };
        assert!(
            used(&store, &first, tally_of(&first, rules), rules),
            "the plan it was fed"
        );
        let stricter = Rules {
            attended_pct: 95.0,
            ..rules
        };
        assert!(
            !used(&store, &first, tally_of(&first, rules), stricter),
            "other rules"
        );
        let mut short = tally_of(&first, rules);
        short.people = Tally::new(sheet_person);
        assert!(
            !used(&store, &first, short, rules),
            "registrations never known"
        );
        let mut refused = first.clone();
        refused.registrations = None;
        assert!(
            !used(&store, &refused, tally_of(&first, rules), rules),
            "registrations refused"
        );
        let mut more = first.clone();
        more.new_reports[0]
            .records
            .push(report("rep-1", &[("cy", 0, 60)]).records.remove(0));
        assert!(
            !used(&store, &more, tally_of(&first, rules), rules),
            "a record it lacks"
        );

        // Once a report version is kept, a restart's version is worked out with it.
        store
            .apply_tallied_attendance(&first, None, Some(tally_of(&first, rules)), rules, now)
            .unwrap();
        let restart = plan(&["ada", "bob"], vec![report("rep-2", &[("bob", 30, 60)])]);
        assert!(
            !used(&store, &restart, tally_of(&restart, rules), rules),
            "rep-1 is kept"
        );
        store
            .apply_tallied_attendance(&restart, None, Some(tally_of(&restart, rules)), rules, now)
            .unwrap();
        let bob = outcomes(&store)
            .into_iter()
            .find(|(name, _, _)| name == "bob")
            .unwrap();
        assert_eq!(bob.2, (9 + 30) * 60, "both versions counted");
    }

    /// Two syncs of one session race: the second computed its metrics from the copy before
    /// the first wrote. The writer sees the webinar's version moved and computes them again,
    /// so the sheet has everyone of every report — as if the syncs had run one after another.
    #[test]
    fn metrics_computed_from_an_older_copy_are_computed_again_by_the_writer() {
        let rules = Rules::default();
        let now = at(24 * 60);
        let registered = ["ada", "bob", "cy"];
        let first = plan(&registered, vec![report("rep-1", &[("ada", 0, 60)])]);
        let second = plan(&[], vec![report("rep-2", &[("bob", 0, 60)])]);
        let late = plan(&[], vec![report("rep-3", &[("cy", 10, 60)])]);

        let dir = std::env::temp_dir().join(format!("wd-race-{}", uuid::Uuid::new_v4()));
        let store = Store::open(&dir.join("cache.sqlite3")).unwrap();
        store.apply_attendance(&first, rules, now).unwrap();
        // The late sync's early recompute reads the copy as the first sync left it …
        let (version, computed) = {
            let mut conn = store.snapshot().unwrap();
            let snapshot = conn.transaction().unwrap();
            let n = known_number(&snapshot, "w1").unwrap();
            let version = version_of(&snapshot, n.unwrap()).unwrap();
            let inputs = store.gather(&snapshot, &late, n, None, rules).unwrap();
            (version, inputs.compute(rules, now).unwrap())
        };
        assert!(
            computed
                .sheet
                .people
                .iter()
                .any(|p| p.name == "bob" && p.seconds_present == 0),
            "the early recompute cannot know Bob came"
        );
        // … then the second sync writes, and only then does the late one get the writer.
        store.apply_attendance(&second, rules, now).unwrap();
        std::thread::scope(|s| {
            let (sent, read) = std::sync::mpsc::sync_channel(1);
            sent.send(version).unwrap();
            let early = Early {
                version: read,
                computed: spawn_recompute(s, move || Ok(computed)),
            };
            store.write_attendance(
                s,
                &late,
                &Rows::of(&late, None, HashMap::new()),
                rules,
                now,
                Some(early),
                None,
            )
        })
        .unwrap();

        let one_after_another = Store::open_in_memory().unwrap();
        for p in [&first, &second, &late] {
            one_after_another.apply_attendance(p, rules, now).unwrap();
        }
        let expected = outcomes(&one_after_another);
        assert_eq!(
            expected
                .iter()
                .map(|(name, ..)| name.as_str())
                .collect::<Vec<_>>(),
            ["ada", "bob", "cy"]
        );
        assert_eq!(outcomes(&store), expected);
        let stats = store.session_stats("w1").unwrap().unwrap();
        assert_eq!((stats.attended, stats.report_count), (3, 3), "{stats:?}");
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn count(store: &Store, sql: &str) -> i64 {
        store.conn().query_row(sql, [], |r| r.get(0)).unwrap()
    }

    fn registered_names(store: &Store) -> Vec<String> {
        let all = PageQuery {
            limit: 100,
            ..PageQuery::default()
        };
        let page = store.registrations_page("w1", &all).unwrap();
        page.rows.into_iter().map(|r| r.name).collect()
    }

    fn webinars_of(store: &Store, email: &str) -> Vec<String> {
        let history = store
            .person_history(&super::super::PersonRef::Email(email.into()))
            .unwrap();
        history.webinars.into_iter().map(|w| w.webinar_id).collect()
    }

    /// A first sync writes its registrations while its attendance is still being read; no
    /// one sees them until the sync's transaction names their number after the webinar, and
    /// then the copy is what a sync writing everything at the end leaves.
    #[test]
    fn staged_registrations_are_seen_only_once_the_sync_that_staged_them_commits() {
        let (rules, now) = (Rules::default(), at(24 * 60));
        let first = plan(
            &["ada", "bob", "cy"],
            vec![report("rep-1", &[("ada", 0, 60)])],
        );
        let dir = std::env::temp_dir().join(format!("wd-staged-{}", uuid::Uuid::new_v4()));
        let store = Store::open(&dir.join("cache.sqlite3")).unwrap();

        let staged = store
            .stage_registrations("w1", first.registrations.as_deref().unwrap())
            .unwrap()
            .expect("a webinar without a number stages");
        assert_eq!(
            count(&store, "SELECT count(*) FROM registrations"),
            3,
            "written ahead"
        );
        assert!(registered_names(&store).is_empty(), "not the webinar's yet");
        assert!(webinars_of(&store, "ada@example.com").is_empty());
        assert_eq!(store.session_stats("w1").unwrap(), None);

        let rewritten = store
            .apply_staged_attendance(&first, Some(&staged), rules, now)
            .unwrap();
        assert_eq!(rewritten.registrations, 3);
        assert_eq!(registered_names(&store), ["ada", "bob", "cy"]);
        assert_eq!(webinars_of(&store, "ADA@example.com"), ["w1"]);
        assert_eq!(
            count(&store, "SELECT count(*) FROM registrations"),
            3,
            "not written twice"
        );
        assert_eq!(
            count(
                &store,
                "SELECT count(*) FROM attendance_webinars WHERE staged = 1"
            ),
            0
        );
        let written_at_the_end = Store::open_in_memory().unwrap();
        written_at_the_end
            .apply_attendance(&first, rules, now)
            .unwrap();
        assert_eq!(outcomes(&store), outcomes(&written_at_the_end));
        assert_eq!(
            store.session_stats("w1").unwrap(),
            written_at_the_end.session_stats("w1").unwrap()
        );
        // A later sync of the webinar writes only what changed, in its own transaction.
        assert_eq!(
            store
                .stage_registrations("w1", first.registrations.as_deref().unwrap())
                .unwrap(),
            None
        );
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Two first syncs of one webinar race: the one that did not stage commits first. The
    /// staged one then finds the webinar numbered; its registrations are diffed in as any
    /// later sync's, and the staged rows go.
    #[test]
    fn registrations_staged_too_late_are_written_as_usual_and_the_staged_rows_dropped() {
        let (rules, now) = (Rules::default(), at(24 * 60));
        let store = Store::open_in_memory().unwrap();
        let staging = plan(
            &["ada", "bob", "cy"],
            vec![report("rep-1", &[("ada", 0, 60)])],
        );
        let staged = store
            .stage_registrations("w1", staging.registrations.as_deref().unwrap())
            .unwrap()
            .unwrap();
        store
            .apply_attendance(&plan(&["ada", "dee"], vec![]), rules, now)
            .unwrap();
        assert_eq!(registered_names(&store), ["ada", "dee"]);

        let rewritten = store
            .apply_staged_attendance(&staging, Some(&staged), rules, now)
            .unwrap();
        assert_eq!(registered_names(&store), ["ada", "bob", "cy"]);
        assert_eq!(rewritten.registrations, 3, "bob and cy added, dee removed");
        assert_eq!(count(&store, "SELECT count(*) FROM registrations"), 3);
        assert_eq!(count(&store, "SELECT count(*) FROM attendance_webinars"), 1);
        // Discarding after the fact touches nothing that is the webinar's.
        store.discard_staged_registrations(&staged).unwrap();
        assert_eq!(registered_names(&store), ["ada", "bob", "cy"]);
    }

    /// A sync that stages and then fails has its rows discarded; one killed before it could
    /// has them removed when the local copy is next opened, and its number is never taken
    /// for another sync's.
    #[test]
    fn staged_registrations_of_a_sync_that_did_not_finish_are_removed() {
        let (rules, now) = (Rules::default(), at(24 * 60));
        let first = plan(&["ada", "bob"], vec![report("rep-1", &[("ada", 0, 60)])]);
        let regs = first.registrations.as_deref().unwrap();
        let dir = std::env::temp_dir().join(format!("wd-staged-{}", uuid::Uuid::new_v4()));
        let path = dir.join("cache.sqlite3");

        let store = Store::open(&path).unwrap();
        let failed = store.stage_registrations("w1", regs).unwrap().unwrap();
        store.discard_staged_registrations(&failed).unwrap();
        assert_eq!(count(&store, "SELECT count(*) FROM registrations"), 0);
        assert_eq!(count(&store, "SELECT count(*) FROM attendance_webinars"), 0);

        let killed = store.stage_registrations("w1", regs).unwrap().unwrap();
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(count(&store, "SELECT count(*) FROM registrations"), 0);
        assert_eq!(count(&store, "SELECT count(*) FROM attendance_webinars"), 0);
        // Another webinar stages and may get the same number; the killed sync's handle (a
        // process that outlived the cleanup) names nothing of it.
        let other = store.stage_registrations("w2", regs).unwrap().unwrap();
        let rewritten = store
            .apply_staged_attendance(&first, Some(&killed), rules, now)
            .unwrap();
        assert_eq!(rewritten.registrations, 2, "written as usual");
        assert_eq!(registered_names(&store), ["ada", "bob"]);
        assert_eq!(
            count(
                &store,
                "SELECT count(*) FROM attendance_webinars WHERE staged = 1"
            ),
            1,
            "w2's staging stays"
        );
        store.discard_staged_registrations(&other).unwrap();
        assert_eq!(count(&store, "SELECT count(*) FROM registrations"), 2);
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
