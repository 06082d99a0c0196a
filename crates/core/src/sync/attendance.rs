//! Syncing one webinar's registrations and attendance: fetch everything first, normalize it in
//! pure code, then write it in one transaction and recompute the metrics there too.
//!
//! Invariants: nothing is written until every fetch succeeded, so a failed or interrupted sync
//! leaves the previous data exactly as it was; every attendance report version is kept (only
//! reports not seen before are fetched, and none is ever deleted); registrations that Teams
//! refuses to list (v1.0 and beta) keep the previous copy and are reported with the permission
//! that is missing, never shown as an empty table.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, SubsecRound, Utc};
use futures_util::future::try_join_all;

use super::SyncError;
use crate::attendance::{Interval, Rules};
use crate::graph::types::{
    AttendanceRecord, AttendanceReport, Registration, RegistrationQuestion, VirtualEventWebinar,
};
use crate::graph::{Endpoint, GraphClient, GraphError};
use crate::store::{StagedRegistrations, Store, SyncTally};

/// A registration as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationRow {
    pub id: String,
    pub email: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub status: String,
    pub registered_at: Option<DateTime<Utc>>,
    pub canceled_at: Option<DateTime<Utc>>,
    pub user_id: Option<String>,
    /// Question id → the answer as text.
    pub answers: BTreeMap<String, String>,
}

/// One attendance record as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRow {
    pub id: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub identity_id: Option<String>,
    pub registration_id: Option<String>,
    pub role: Option<String>,
    pub total_seconds: Option<i64>,
    pub intervals: Vec<Interval>,
}

/// One report version as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    pub id: String,
    pub session_id: String,
    pub meeting_start: Option<DateTime<Utc>>,
    pub meeting_end: Option<DateTime<Utc>>,
    pub total_participants: Option<i64>,
    pub records: Vec<RecordRow>,
}

/// Everything one sync of a webinar writes.
#[derive(Debug, Clone, PartialEq)]
pub struct AttendancePlan {
    pub webinar_id: String,
    pub scheduled_start: Option<DateTime<Utc>>,
    pub scheduled_end: Option<DateTime<Utc>>,
    /// `None` when Teams refused the list: the previous copy stays.
    pub registrations: Option<Vec<RegistrationRow>>,
    /// `v1.0` or `beta`; `None` when refused.
    pub registrations_source: Option<&'static str>,
    pub questions: Vec<(String, String)>,
    pub new_reports: Vec<ReportRow>,
    pub warnings: Vec<String>,
    /// Where people join and register, when Teams said.
    pub links: WebinarLinks,
}

/// A webinar's links, kept for calendar files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebinarLinks {
    pub join_url: Option<String>,
    pub registration_url: Option<String>,
}

/// Registrations as stored; answers flattened to text, one per question.
pub fn normalize_registrations(list: Vec<Registration>) -> Vec<RegistrationRow> {
    list.into_iter()
        .map(|r| RegistrationRow {
            answers: r
                .registration_question_answers
                .iter()
                .filter_map(|a| {
                    let id = a.question_id.clone()?;
                    let text = match (&a.value, a.boolean_value, a.multi_choice_values.is_empty()) {
                        (Some(v), _, _) => v.clone(),
                        (None, Some(b), _) => if b { "Yes" } else { "No" }.to_string(),
                        (None, None, false) => a.multi_choice_values.join("; "),
                        _ => String::new(),
                    };
                    Some((id, text))
                })
                .collect(),
            id: r.id,
            email: r.email,
            first_name: r.first_name.unwrap_or_default(),
            last_name: r.last_name.unwrap_or_default(),
            status: r.status.unwrap_or_else(|| "registered".into()),
            registered_at: r.registration_date_time,
            canceled_at: r.cancelation_date_time,
            user_id: r.user_id,
        })
        .collect()
}

/// A report version as stored, with its records.
fn report_row(session_id: &str, report: &AttendanceReport, records: Vec<RecordRow>) -> ReportRow {
    ReportRow {
        id: report.id.clone(),
        session_id: session_id.to_string(),
        meeting_start: report.meeting_start_date_time,
        meeting_end: report.meeting_end_date_time,
        total_participants: report.total_participant_count,
        records,
    }
}

/// Records of `report` as stored, the first being the report's record number `first` (which
/// names a record without an id); what could not be understood goes to `warnings`.
fn normalize_records(
    report: &AttendanceReport,
    records: Vec<AttendanceRecord>,
    first: usize,
    warnings: &mut Vec<String>,
) -> Vec<RecordRow> {
    records
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let i = first + i;
            let intervals = r
                .attendance_intervals
                .iter()
                .filter_map(|iv| {
                    let join = iv.join_date_time?;
                    // Still in the meeting when the report was made: until the meeting's end,
                    // or for the seconds Teams counted.
                    let leave = iv
                        .leave_date_time
                        .or_else(|| {
                            iv.duration_in_seconds
                                .map(|s| join + chrono::Duration::seconds(s))
                        })
                        .or(report.meeting_end_date_time)
                        .unwrap_or(join);
                    if leave < join {
                        warnings.push(format!(
                            "An interval in report {} ends before it starts; counted as no time.",
                            report.id
                        ));
                    }
                    // Kept to the millisecond, as the store keeps them: a recompute from the
                    // store then gives exactly what this sync computed.
                    let (join, leave) = (join.trunc_subsecs(3), leave.max(join).trunc_subsecs(3));
                    Some(Interval { join, leave })
                })
                .collect();
            RecordRow {
                // Records without an id still need a stable one within their report.
                id: r.id.clone().unwrap_or_else(|| format!("record-{i}")),
                email: r.email_address.clone().filter(|e| !e.trim().is_empty()),
                name: r.identity.as_ref().and_then(|i| i.display_name.clone()),
                identity_id: r.identity.as_ref().and_then(|i| i.id.clone()),
                registration_id: r.registration_id.clone().filter(|s| !s.is_empty()),
                role: r.role.clone(),
                total_seconds: r.total_attendance_in_seconds,
                intervals,
            }
        })
        .collect()
}

/// How far a sync has come, for a progress bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncProgress {
    pub step: &'static str,
    pub done: usize,
    pub total: usize,
}

/// What a sync of one webinar did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttendanceSyncReport {
    pub webinar_id: String,
    pub registrations: Option<usize>,
    pub new_reports: usize,
    pub reports_known: usize,
    /// The session ended, and Teams has no report yet (reports come minutes to hours later).
    pub report_pending: bool,
    /// Rows the local copy rewrote (unchanged rows are not).
    pub rewritten: crate::store::Rewritten,
    pub warnings: Vec<String>,
    pub finished_at: DateTime<Utc>,
}

/// How long after a session's end a missing report is "pending" rather than "none".
const REPORT_PENDING_FOR: chrono::Duration = chrono::Duration::hours(24);

/// Syncs one webinar's registrations and attendance into the local copy.
pub async fn sync_webinar(
    graph: &GraphClient,
    store: &Arc<Store>,
    webinar_id: &str,
    rules: Rules,
    now: DateTime<Utc>,
    progress: &(dyn Fn(SyncProgress) + Send + Sync),
) -> Result<AttendanceSyncReport, SyncError> {
    let scope = format!("webinar:{webinar_id}");
    let staged = std::sync::Mutex::new(None);
    let result = fetch(graph, store, webinar_id, rules, now, progress, &staged).await;
    let staged = staged.into_inner().unwrap_or_else(|p| p.into_inner());
    let (plan, report_pending, reports_known, tally) = match result {
        Ok(p) => p,
        Err(e) => {
            discard(store, staged).await;
            // Support needs the ids to trace the call; they go beside the message.
            let mut message = e.to_string();
            if let SyncError::Graph(g) = &e {
                if let Some(id) = g.request_id() {
                    message.push_str(&format!(" (request-id {id}"));
                    if let Some(c) = g.client_request_id() {
                        message.push_str(&format!(", client-request-id {c}"));
                    }
                    message.push(')');
                } else if let Some(c) = g.client_request_id() {
                    message.push_str(&format!(" (client-request-id {c})"));
                }
            }
            store.record_failed_sync(&scope, now, &message)?;
            return Err(e);
        }
    };
    progress(SyncProgress {
        step: "Saving and computing attendance",
        done: 0,
        total: 1,
    });
    // Writing and recomputing a large webinar takes a while: off the async workers, so the
    // other sessions' fetches keep going meanwhile.
    let applied = {
        let (store, staged) = (store.clone(), staged.clone());
        tokio::task::spawn_blocking(move || {
            let rewritten =
                store.apply_tallied_attendance(&plan, staged.as_ref(), Some(tally), rules, now)?;
            Ok::<_, SyncError>((
                plan.registrations.as_ref().map(Vec::len),
                plan.new_reports.len(),
                rewritten,
                plan.warnings,
            ))
        })
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
    };
    let (registrations, new_reports, rewritten, warnings) = match applied {
        Ok(applied) => applied,
        Err(e) => {
            discard(store, staged).await;
            return Err(e);
        }
    };
    Ok(AttendanceSyncReport {
        webinar_id: webinar_id.to_string(),
        registrations,
        new_reports,
        reports_known,
        report_pending,
        rewritten,
        warnings,
        finished_at: now,
    })
}

/// Removes registrations a failed sync staged (see [`Store::stage_registrations`]); one that
/// cannot be removed now is removed when the local copy is next opened.
async fn discard(store: &Arc<Store>, staged: Option<StagedRegistrations>) {
    let Some(staged) = staged else { return };
    let store = store.clone();
    let done =
        tokio::task::spawn_blocking(move || store.discard_staged_registrations(&staged)).await;
    if let Ok(Err(e)) = done {
        tracing::warn!(error = %e, "staged registrations stay until the local copy is next opened");
    }
}

/// Where each webinar of a batch stands: `Some` while it syncs, `None` once it finished.
pub type BatchProgress = Arc<dyn Fn(&str, Option<SyncProgress>) + Send + Sync>;

/// Syncs several webinars at once (a series' sessions); the shared pacer bounds the reads in
/// flight. Each webinar is written in its own transaction, so one that fails leaves the others
/// synced. Results come back in the order of `webinar_ids`.
pub async fn sync_webinars(
    graph: &GraphClient,
    store: &Arc<Store>,
    webinar_ids: &[String],
    rules: Rules,
    now: DateTime<Utc>,
    progress: BatchProgress,
) -> Vec<Result<AttendanceSyncReport, SyncError>> {
    let mut tasks = tokio::task::JoinSet::new();
    for (i, id) in webinar_ids.iter().enumerate() {
        let (graph, store, progress, id) =
            (graph.clone(), store.clone(), progress.clone(), id.clone());
        // Spawned rather than joined in place so parsing pages uses every core.
        tasks.spawn(async move {
            let report = |p: SyncProgress| progress(&id, Some(p));
            let result = sync_webinar(&graph, &store, &id, rules, now, &report).await;
            progress(&id, None);
            (i, result)
        });
    }
    let mut results: Vec<(usize, Result<AttendanceSyncReport, SyncError>)> = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(done) => results.push(done),
            // A panic in a sync is a bug: surface it as the caller's own.
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Reads everything one webinar's sync needs. A first sync's registrations are written ahead
/// (`staged` says under which number, also when a later step fails); the new reports' people
/// are worked out as their pages arrive (the tally).
async fn fetch(
    graph: &GraphClient,
    store: &Arc<Store>,
    webinar_id: &str,
    rules: Rules,
    now: DateTime<Utc>,
    progress: &(dyn Fn(SyncProgress) + Send + Sync),
    staged: &std::sync::Mutex<Option<StagedRegistrations>>,
) -> Result<(AttendancePlan, bool, usize, SyncTally), SyncError> {
    let step = |step: &'static str, done: usize, total: usize| {
        progress(SyncProgress { step, done, total })
    };
    // Worked out while the next pages are still on their way, when the cores are mostly
    // idle: after the last page only people with a second record and the session's numbers
    // are left. Records wait in it until the registrations and the schedule are read.
    let tally = std::sync::Mutex::new(SyncTally::new());
    let tally = &tally;
    let tallied = || tally.lock().unwrap_or_else(|p| p.into_inner());
    // Two independent chains run at once (the shared pacer bounds what is in flight):
    // registrations with their questions and then the webinar itself, and sessions → reports →
    // records. A webinar's time is then its longest chain of pages, not the sum of all of
    // them; the webinar waits for the shorter chain so that a series' sessions start no more
    // chains than the pacer lets run at once (a chain kept waiting a step is late by a step).
    step("Reading the webinar, registrations and attendance", 0, 2);
    let registrations = async {
        let (registrations, source, warning) = match graph.registrations(webinar_id).await {
            Ok((list, endpoint)) => (
                Some(stage(store, webinar_id, normalize_registrations(list), staged).await?),
                Some(match endpoint {
                    Endpoint::V1 => "v1.0",
                    Endpoint::Beta => "beta",
                }),
                None,
            ),
            Err(e @ GraphError::RegistrationsRefused { .. }) => (None, None, Some(e.to_string())),
            Err(e) => return Err(SyncError::from(e)),
        };
        // Only the registration page's address is needed from it; a webinar without
        // registration settings simply has none.
        let registration_url = match graph.registration_configuration(webinar_id).await {
            Ok(c) => c.registration_web_url,
            Err(GraphError::Service(ref s)) if s.status == 403 || s.status == 404 => None,
            Err(e) => return Err(SyncError::from(e)),
        };
        let questions: Vec<(String, String)> = graph
            .registration_questions(webinar_id)
            .await
            .map(|qs| qs.iter().filter_map(question_column).collect())
            .or_else(|e| match e {
                // Questions are only column names: without them, answers show by question id.
                GraphError::Service(ref s) if s.status == 403 || s.status == 404 => Ok(Vec::new()),
                e => Err(e),
            })?;
        let webinar = graph.webinar(webinar_id).await?;
        if let (Some(list), (Some(start), Some(end))) = (&registrations, schedule(&webinar)) {
            tallied().know(start, end, list, rules);
        }
        Ok((
            webinar,
            (registrations, source, warning, questions, registration_url),
        ))
    };
    let attendance = async {
        let known: HashSet<String> = store.known_report_ids(webinar_id)?;
        let sessions = graph.sessions(webinar_id).await?;
        let join_url = sessions.iter().find_map(|s| s.join_web_url.clone());
        let listed: Vec<(String, AttendanceReport)> =
            try_join_all(sessions.iter().map(|s| async move {
                let reports = graph.attendance_reports(webinar_id, &s.id).await?;
                Ok::<_, GraphError>(reports.into_iter().map(|r| (s.id.clone(), r)))
            }))
            .await?
            .into_iter()
            .flatten()
            .collect();
        // A report listed twice is read once.
        let mut seen = HashSet::new();
        let new: Vec<&(String, AttendanceReport)> = listed
            .iter()
            .filter(|(_, r)| !known.contains(&r.id) && seen.insert(r.id.as_str()))
            .collect();
        let (read, total) = (AtomicUsize::new(0), new.len());
        step("Reading attendance records", 0, total);
        let new_reports = try_join_all(new.iter().map(|(session_id, report)| {
            let read = &read;
            async move {
                let (mut rows, mut warnings) = (Vec::new(), Vec::new());
                graph
                    .attendance_records_by_page(webinar_id, session_id, &report.id, |page| {
                        let page = normalize_records(report, page, rows.len(), &mut warnings);
                        tallied().feed(&report.id, &page);
                        rows.extend(page);
                    })
                    .await?;
                let done = read.fetch_add(1, Ordering::Relaxed) + 1;
                step("Reading attendance records", done, total);
                Ok::<_, GraphError>((report_row(session_id, report, rows), warnings))
            }
        }))
        .await?;
        Ok::<_, SyncError>((
            known.len() + new.len(),
            listed.is_empty(),
            known.is_empty(),
            new_reports,
            join_url,
        ))
    };
    let ((webinar, (registrations, source, warning, questions, registration_url)), attendance) =
        tokio::try_join!(registrations, attendance)?;
    let (reports_known, none_listed, none_known, fetched, join_url) = attendance;
    let mut warnings: Vec<String> = warning.into_iter().collect();
    let mut new_reports = Vec::with_capacity(fetched.len());
    for (row, mut w) in fetched {
        warnings.append(&mut w);
        new_reports.push(row);
    }
    let (start, end) = schedule(&webinar);
    let ended = end.is_some_and(|e| e <= now && now - e < REPORT_PENDING_FOR);
    let report_pending = ended && none_listed && none_known;
    Ok((
        AttendancePlan {
            webinar_id: webinar_id.to_string(),
            scheduled_start: start,
            scheduled_end: end,
            registrations,
            registrations_source: source,
            questions,
            new_reports,
            warnings,
            links: WebinarLinks {
                join_url,
                registration_url,
            },
        },
        report_pending,
        reports_known,
        std::mem::replace(&mut *tallied(), SyncTally::new()),
    ))
}

/// When the webinar is scheduled to start and end, as instants.
fn schedule(webinar: &VirtualEventWebinar) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let at = |d: &Option<crate::graph::types::DateTimeTimeZone>| {
        d.as_ref().and_then(|d| {
            crate::time::instant(&d.date_time, d.time_zone.as_deref().unwrap_or("UTC")).ok()
        })
    };
    (at(&webinar.start_date_time), at(&webinar.end_date_time))
}

/// Stages a first sync's registrations off the async workers (the writer may be busy with
/// another session's transaction); hands them back for the plan.
async fn stage(
    store: &Arc<Store>,
    webinar_id: &str,
    rows: Vec<RegistrationRow>,
    staged: &std::sync::Mutex<Option<StagedRegistrations>>,
) -> Result<Vec<RegistrationRow>, SyncError> {
    let (store, id) = (store.clone(), webinar_id.to_string());
    let (rows, written) = tokio::task::spawn_blocking(move || {
        let written = store.stage_registrations(&id, &rows);
        (rows, written)
    })
    .await
    .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    *staged.lock().unwrap_or_else(|p| p.into_inner()) = written?;
    Ok(rows)
}

fn question_column(q: &RegistrationQuestion) -> Option<(String, String)> {
    let id = q.id.clone()?;
    let name = q
        .display_name
        .clone()
        .or_else(|| q.label.clone())
        .unwrap_or_else(|| id.clone());
    Some((id, name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::types::AttendanceInterval;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn answers_of_every_kind_become_text() {
        let json = serde_json::json!([{
            "id": "r1", "email": "ann@x.com", "firstName": "Ann", "lastName": "Lee",
            "status": "registered",
            "registrationQuestionAnswers": [
                {"questionId": "q1", "value": "Sales"},
                {"questionId": "q2", "booleanValue": false},
                {"questionId": "q3", "multiChoiceValues": ["A", "B"]},
                {"displayName": "no id, dropped"}
            ]
        }]);
        let list: Vec<Registration> = serde_json::from_value(json).unwrap();
        let rows = normalize_registrations(list);
        assert_eq!(rows[0].answers["q1"], "Sales");
        assert_eq!(rows[0].answers["q2"], "No");
        assert_eq!(rows[0].answers["q3"], "A; B");
        assert_eq!(rows[0].answers.len(), 3);
    }

    #[test]
    fn open_and_reversed_intervals_are_made_sensible() {
        let report = AttendanceReport {
            id: "rep".into(),
            meeting_start_date_time: Some(t("2027-03-02T10:00:00Z")),
            meeting_end_date_time: Some(t("2027-03-02T11:00:00Z")),
            total_participant_count: Some(1),
            attendance_records: vec![],
        };
        let record = AttendanceRecord {
            id: None,
            email_address: Some(" ".into()),
            identity: None,
            role: Some("Attendee".into()),
            total_attendance_in_seconds: None,
            attendance_intervals: vec![
                AttendanceInterval {
                    join_date_time: Some(t("2027-03-02T10:00:00Z")),
                    leave_date_time: None,
                    duration_in_seconds: None,
                },
                AttendanceInterval {
                    join_date_time: Some(t("2027-03-02T10:30:00Z")),
                    leave_date_time: Some(t("2027-03-02T10:20:00Z")),
                    duration_in_seconds: None,
                },
                AttendanceInterval {
                    join_date_time: None,
                    leave_date_time: None,
                    duration_in_seconds: Some(5),
                },
            ],
            registration_id: Some(String::new()),
        };
        let mut warnings = Vec::new();
        let later = normalize_records(&report, vec![record.clone()], 100, &mut Vec::new());
        assert_eq!(
            later[0].id, "record-100",
            "named by its place in the report, not the page"
        );
        let rows = normalize_records(&report, vec![record], 0, &mut warnings);
        let r = &rows[0];
        assert_eq!(r.id, "record-0");
        assert_eq!(r.email, None, "a blank e-mail is no e-mail");
        assert_eq!(r.registration_id, None);
        assert_eq!(
            r.intervals.len(),
            2,
            "an interval without a join is dropped"
        );
        assert_eq!(
            r.intervals[0].leave,
            t("2027-03-02T11:00:00Z"),
            "open until the end"
        );
        assert_eq!(r.intervals[1].seconds(), 0);
        assert_eq!(warnings.len(), 1);
    }
}
