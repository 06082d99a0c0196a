//! Changing a series already in Teams — edits, added and canceled sessions, canceling the
//! whole series, deleting it locally, and grouping existing webinars into a series: the IO half
//! of `change`.
//!
//! Invariants: every webinar is read again before it is written, and an edit that would
//! overwrite a change made in Teams is refused before anything is sent; the new plan is saved
//! together with the journal row that starts pushing it (state `updating`), so a crash is
//! finished on the next start by pushing the saved plan again — safe, because a session Teams
//! already shows as planned is only recorded, never written twice; a session that cannot be
//! pushed stays as a local change, reported with the reason.

use chrono::{DateTime, Utc};
use tokio::task::JoinSet;

use super::change::{Change, Projection, SessionVersions, normalized_html, plan_changes};
use super::publish::{Outcome, my_webinars};
use super::{
    PlannedSession, Problem, Publisher, Remaining, SeriesError, SeriesPlan, progress, tag,
    validate_edit, zones,
};
use crate::graph::types::{DateTimeTimeZone, VirtualEventWebinar, WebinarPatch};
use crate::graph::{GraphClient, GraphError, Refusal};
use crate::store::{Phase, SeriesState, StoreError};

/// How pushing an edit went, session by session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditOutcome {
    pub state: SeriesState,
    pub sessions: Vec<SessionResult>,
}

impl EditOutcome {
    pub fn failed(&self) -> impl Iterator<Item = &SessionResult> {
        self.sessions.iter().filter(|s| s.error.is_some())
    }
}

/// What happened to one session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionResult {
    pub n: u32,
    pub webinar_id: Option<String>,
    /// `updated`, `canceled`, `added`, `recorded`, `unchanged`, `drifted` or `missing`.
    pub what: &'static str,
    /// Why the change did not reach Teams (it stays a local change to push again).
    pub error: Option<String>,
}

fn result(n: u32, webinar_id: Option<String>, what: &'static str) -> SessionResult {
    SessionResult {
        n,
        webinar_id,
        what,
        error: None,
    }
}

fn invalid(field: &str, message: impl Into<String>) -> SeriesError {
    SeriesError::Invalid(vec![Problem {
        field: field.into(),
        message: message.into(),
    }])
}

/// A webinar as the fields a series sets.
pub fn projection_of(w: &VirtualEventWebinar) -> Projection {
    let instant = |v: &Option<DateTimeTimeZone>| {
        v.as_ref()
            .and_then(|d| {
                crate::time::instant(&d.date_time, d.time_zone.as_deref().unwrap_or("UTC")).ok()
            })
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    };
    Projection {
        title: w.display_name.clone().unwrap_or_default(),
        description_html: w
            .description
            .as_ref()
            .and_then(|d| d.content.clone())
            .unwrap_or_default(),
        start: instant(&w.start_date_time),
        end: instant(&w.end_date_time),
        time_zone: w
            .start_date_time
            .as_ref()
            .and_then(|d| d.time_zone.clone())
            .unwrap_or_default(),
        canceled: w.status.as_deref() == Some("canceled"),
    }
}

/// Reads several webinars at once (the pacer bounds how many are in flight). `None` for a
/// webinar Teams says does not exist.
async fn read_all(
    graph: &GraphClient,
    ids: Vec<(u32, String)>,
) -> Result<Vec<(u32, String, Option<VirtualEventWebinar>)>, GraphError> {
    let mut set = JoinSet::new();
    for (n, id) in ids {
        let graph = graph.clone();
        set.spawn(async move {
            let got = graph.webinar(&id).await;
            (n, id, got)
        });
    }
    let mut out = Vec::new();
    while let Some(joined) = set.join_next().await {
        let (n, id, got) = joined.expect("a webinar read does not panic");
        match got {
            Ok(w) => out.push((n, id, Some(w))),
            Err(GraphError::Service(e)) if e.refusal() == Refusal::NotFound => {
                out.push((n, id, None))
            }
            Err(e) => return Err(e),
        }
    }
    out.sort_by_key(|(n, _, _)| *n);
    Ok(out)
}

impl Publisher<'_> {
    /// The three versions of every session of `plan`: ours, the record, and Teams now.
    async fn versions(&self, plan: &SeriesPlan) -> Result<Vec<SessionVersions>, SeriesError> {
        let done = progress(&self.store.journal_of_series(&plan.id)?);
        let written = self.store.session_teams(&plan.id)?;
        let ids: Vec<(u32, String)> = plan
            .sessions
            .iter()
            .filter_map(|s| {
                let p = done.iter().find(|p| p.n == s.n)?;
                Some((s.n, p.webinar_id.clone()?))
            })
            .collect();
        let read = read_all(self.graph, ids).await?;
        Ok(read
            .into_iter()
            .map(|(n, id, w)| SessionVersions {
                n,
                written: written
                    .iter()
                    .find(|r| r.n == n && r.webinar_id == id)
                    .map(|r| r.written.clone()),
                teams: w.as_ref().map(projection_of),
                webinar_id: Some(id),
            })
            .collect())
    }

    /// What pushing `plan` would do to each session, after reading each webinar in Teams.
    /// Sends no change.
    pub async fn preview(&self, plan: &SeriesPlan) -> Result<Vec<Change>, SeriesError> {
        let (before, _) = self
            .store
            .series(&plan.id)?
            .ok_or_else(|| SeriesError::NotFound(plan.id.clone()))?;
        let plan = with_removed_as_canceled(&before, plan);
        let versions = self.versions(&plan).await?;
        Ok(plan_changes(&plan, &versions))
    }

    /// Edits a published series: checks the plan, reads every webinar, refuses if that would
    /// overwrite a change made in Teams, saves the plan and pushes it.
    pub async fn edit(&self, plan: &SeriesPlan) -> Result<EditOutcome, SeriesError> {
        let (before, state) = self
            .store
            .series(&plan.id)?
            .ok_or_else(|| SeriesError::NotFound(plan.id.clone()))?;
        match state {
            SeriesState::Published | SeriesState::Updating => {}
            SeriesState::Canceled => {
                return Err(invalid(
                    "state",
                    "This series was canceled; canceled webinars cannot be changed in Teams.",
                ));
            }
            _ => {
                return Err(invalid(
                    "state",
                    "This series is not in Teams yet; change the plan and publish it.",
                ));
            }
        }
        if let Some(reused) = plan.sessions.iter().find(|s| {
            before
                .sessions
                .iter()
                .any(|b| b.n == s.n && b.canceled && !s.canceled)
        }) {
            return Err(invalid(
                "sessions",
                format!(
                    "Session {} was canceled in Teams and cannot be brought back; add a new session instead.",
                    reused.n
                ),
            ));
        }
        let plan = with_removed_as_canceled(&before, plan);
        let problems = validate_edit(&before, &plan, (self.clock)());
        if !problems.is_empty() {
            return Err(SeriesError::Invalid(problems));
        }
        let versions = self.versions(&plan).await?;
        let changes = plan_changes(&plan, &versions);
        let blocked: Vec<Change> = changes.iter().filter(|c| c.blocks()).cloned().collect();
        if !blocked.is_empty() {
            return Err(SeriesError::Drifted(blocked));
        }
        let mut start = self.entry(&plan.id, None, "edit", Phase::Intent);
        start.message = Some(summary(&changes));
        self.store
            .save_series_edit(&plan, &start, SeriesState::Updating)?;
        Ok(self.push(&plan, changes).await?)
    }

    /// Pushes the saved plan of a series whose edit a crash cut short.
    pub async fn finish_edit(&self, series_id: &str) -> Result<EditOutcome, SeriesError> {
        let (plan, _) = self
            .store
            .series(series_id)?
            .ok_or_else(|| SeriesError::NotFound(series_id.to_string()))?;
        let versions = self.versions(&plan).await?;
        let changes = plan_changes(&plan, &versions);
        Ok(self.push(&plan, changes).await?)
    }

    /// Cancels every session of a published series in Teams (registrants are told by Teams).
    /// A session changed in Teams is canceled all the same: the organizer confirmed.
    pub async fn cancel_series(&self, series_id: &str) -> Result<EditOutcome, SeriesError> {
        let (mut plan, state) = self
            .store
            .series(series_id)?
            .ok_or_else(|| SeriesError::NotFound(series_id.to_string()))?;
        if !matches!(state, SeriesState::Published | SeriesState::Updating) {
            return Err(invalid(
                "state",
                "Only a series in Teams can be canceled; delete it from this computer instead.",
            ));
        }
        for s in &mut plan.sessions {
            s.canceled = true;
        }
        let versions = self.versions(&plan).await?;
        let changes = plan_changes(&plan, &versions)
            .into_iter()
            .map(|c| match c {
                Change::Drifted { n, webinar_id, .. }
                    if versions
                        .iter()
                        .any(|v| v.n == n && v.teams.as_ref().is_some_and(|t| !t.canceled)) =>
                {
                    Change::Cancel { n, webinar_id }
                }
                other => other,
            })
            .collect::<Vec<_>>();
        let mut start = self.entry(series_id, None, "cancelSeries", Phase::Intent);
        start.message = Some(summary(&changes));
        self.store
            .save_series_edit(&plan, &start, SeriesState::Updating)?;
        Ok(self.push(&plan, changes).await?)
    }

    /// Removes a series from this computer. Webinars it has in Teams are canceled first, best
    /// effort: those that could not be are returned (with ids), and the local delete happens
    /// regardless. The journal keeps its rows.
    pub async fn delete(&self, series_id: &str) -> Result<Vec<Remaining>, SeriesError> {
        let (plan, state) = self
            .store
            .series(series_id)?
            .ok_or_else(|| SeriesError::NotFound(series_id.to_string()))?;
        let mut remaining = Vec::new();
        if !matches!(
            state,
            SeriesState::Planned | SeriesState::RolledBack | SeriesState::Canceled
        ) {
            let mut start = self.entry(series_id, None, "delete", Phase::Intent);
            start.message = Some(format!("state {}", state.as_str()));
            self.log(start, None)?;
            match zones(&plan.time_zone) {
                Ok((tz, _)) => {
                    // Only webinars that are not canceled yet are canceled; a series published
                    // and partly canceled keeps its canceled sessions as they are.
                    remaining = self.cancel_made(&plan, tz, None).await?;
                }
                Err(m) => remaining.push(Remaining {
                    n: None,
                    webinar_id: String::new(),
                    why: m,
                }),
            }
        }
        let mut end = self.entry(series_id, None, "delete", Phase::Done);
        if !remaining.is_empty() {
            end.message = Some(format!(
                "left in Teams: {}",
                remaining
                    .iter()
                    .map(|r| r.webinar_id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        self.log(end, None)?;
        self.store.delete_series(series_id)?;
        Ok(remaining)
    }

    /// Groups webinars made in Teams into a new series: each is read, tagged as a session of
    /// it (journalled) and recorded as it is. Only the organizer's own, uncanceled webinars
    /// can be grouped. Returns the new series.
    pub async fn group(
        &self,
        series_id: &str,
        title: &str,
        webinar_ids: &[String],
    ) -> Result<SeriesPlan, SeriesError> {
        if webinar_ids.is_empty() {
            return Err(invalid("webinars", "Choose at least one webinar to group."));
        }
        if title.trim().is_empty() {
            return Err(invalid("title", "Give the series a title."));
        }
        let ids = webinar_ids
            .iter()
            .enumerate()
            .map(|(i, id)| (i as u32, id.clone()))
            .collect();
        let mut read = read_all(self.graph, ids).await?;
        let mut webinars = Vec::new();
        for (_, id, w) in read.drain(..) {
            let w = w.ok_or_else(|| {
                invalid(
                    "webinars",
                    format!("Webinar {id} no longer exists in Teams."),
                )
            })?;
            let p = projection_of(&w);
            if p.canceled {
                return Err(invalid(
                    "webinars",
                    format!("“{}” is canceled and cannot join a series.", p.title),
                ));
            }
            if let Some(other) = w
                .external_event_information
                .iter()
                .filter_map(|e| e.external_event_id.as_deref())
                .find(|e| e.contains(':'))
            {
                return Err(invalid(
                    "webinars",
                    format!("“{}” already belongs to a series ({other}).", p.title),
                ));
            }
            webinars.push((w, p));
        }
        webinars.sort_by_key(|(_, p)| p.start);
        let first = &webinars[0];
        let zone = crate::time::zone(&first.1.time_zone).unwrap_or(chrono_tz::UTC);
        let iana = zone.name().to_string();
        let prefix = format!("{} — ", title.trim());
        let sessions = webinars
            .iter()
            .zip(1u32..)
            .map(|((_, p), n)| {
                let local = p.start.with_timezone(&zone);
                PlannedSession {
                    n,
                    title_suffix: p
                        .title
                        .strip_prefix(&prefix)
                        .unwrap_or(&p.title)
                        .to_string(),
                    date: local.date_naive(),
                    start: local.time(),
                    duration_minutes: u32::try_from((p.end - p.start).num_minutes()).unwrap_or(0),
                    canceled: false,
                    // Each webinar keeps its own text where it differs from the first's.
                    description_html: (normalized_html(&p.description_html)
                        != normalized_html(&first.1.description_html))
                    .then(|| p.description_html.clone()),
                }
            })
            .collect();
        let plan = SeriesPlan {
            id: series_id.to_string(),
            title: title.trim().to_string(),
            description_html: first.1.description_html.clone(),
            audience: match first.0.audience.as_deref() {
                Some("everyone") => super::Audience::Everyone,
                _ => super::Audience::Organization,
            },
            co_organizers: first
                .0
                .co_organizers
                .iter()
                .filter_map(|c| c.id.clone())
                .collect(),
            time_zone: iana,
            attendee_emails: first
                .0
                .settings
                .as_ref()
                .and_then(|s| s.is_attendee_email_notification_enabled)
                .unwrap_or(true),
            sessions,
            // The grouped webinars keep the questions and settings they have in Teams.
            questions: Vec::new(),
            registration: Default::default(),
        };
        // Grouping writes only tags; Teams keeps every webinar as it is. The series is saved
        // as published straight away, so a crash never turns the grouping into an edit.
        let mut start = self.entry(series_id, None, "group", Phase::Intent);
        start.message = Some(format!("{} webinars", webinars.len()));
        self.store
            .save_series_edit(&plan, &start, SeriesState::Published)?;
        let mut failure = None;
        for ((w, p), n) in webinars.iter().zip(1u32..) {
            let mut adopt = self.entry(series_id, Some(n), "adopt", Phase::Done);
            adopt.target = Some(w.id.clone());
            self.log(adopt, None)?;
            let mut intent = self.entry(series_id, Some(n), "tag", Phase::Intent);
            intent.target = Some(w.id.clone());
            self.log(intent, None)?;
            let result = self
                .graph
                .set_external_event_id(&w.id, &tag(series_id, n))
                .await;
            let e = self.entry(series_id, Some(n), "tag", Phase::Done);
            if let Outcome::Failed(cause) = self.outcome(e, &result, Some(&w.id))? {
                failure.get_or_insert(cause);
            }
            if w.status.as_deref() == Some("published") {
                let mut published = self.entry(series_id, Some(n), "publish", Phase::Done);
                published.target = Some(w.id.clone());
                published.message = Some("already published in Teams".into());
                self.log(published, None)?;
            }
            self.store
                .record_session_teams(series_id, n, &w.id, p, (self.clock)())?;
        }
        let mut end = self.entry(series_id, None, "group", Phase::Done);
        end.message = failure.map(|c| format!("some webinars could not be tagged: {c}"));
        self.log(end, Some(SeriesState::Published))?;
        Ok(plan)
    }

    /// Applies the changes (reads already done), journalling each write, and ends the edit.
    async fn push(
        &self,
        plan: &SeriesPlan,
        changes: Vec<Change>,
    ) -> Result<EditOutcome, StoreError> {
        let series = plan.id.as_str();
        let mut results = Vec::new();
        let mut adds = Vec::new();
        for change in changes {
            match change {
                Change::Unchanged { n } => results.push(result(n, None, "unchanged")),
                Change::Record { n, webinar_id } => {
                    self.record(plan, n, &webinar_id)?;
                    results.push(result(n, Some(webinar_id), "recorded"));
                }
                Change::Drifted {
                    n,
                    webinar_id,
                    blocks,
                    fields,
                } => {
                    let mut r = result(n, Some(webinar_id), "drifted");
                    if blocks {
                        r.error = Some(format!(
                            "Changed in Teams since Webinar Desk last wrote it ({}); resolve that first.",
                            fields
                                .iter()
                                .map(|f| f.plain.as_str())
                                .collect::<Vec<_>>()
                                .join("; ")
                        ));
                    }
                    results.push(r);
                }
                Change::Missing { n, webinar_id } => {
                    let mut r = result(n, Some(webinar_id), "missing");
                    r.error = Some("The webinar no longer exists in Teams.".into());
                    results.push(r);
                }
                Change::Update {
                    n,
                    webinar_id,
                    fields,
                } => {
                    let s = session(plan, n);
                    let patch = patch_for(plan, s, &fields);
                    let mut intent = self.entry(series, Some(n), "update", Phase::Intent);
                    intent.target = Some(webinar_id.clone());
                    intent.message = Some(
                        fields
                            .iter()
                            .map(|f| f.plain.as_str())
                            .collect::<Vec<_>>()
                            .join("; "),
                    );
                    self.log(intent, None)?;
                    let mut answer = self.graph.update_webinar(&webinar_id, &patch).await;
                    let mut e = self.entry(series, Some(n), "update", Phase::Done);
                    if let Err(lost @ GraphError::OutcomeUnknown { .. }) = &answer
                        && let Ok(w) = self.graph.webinar(&webinar_id).await
                        && Projection::planned(plan, s).is_ok_and(|p| p.same_as(&projection_of(&w)))
                    {
                        // The answer was lost but Teams has ours: it took.
                        e.message = Some(format!("{lost} Read back: Teams has the change."));
                        e.client_request_id = lost.client_request_id().map(str::to_string);
                        answer = Ok(w);
                    }
                    let mut r = result(n, Some(webinar_id.clone()), "updated");
                    match self.outcome(e, &answer, Some(&webinar_id))? {
                        Outcome::Done => self.record(plan, n, &webinar_id)?,
                        Outcome::Unknown => {
                            r.error = Some("Teams did not answer; push again to check.".into())
                        }
                        Outcome::Failed(cause) => r.error = Some(cause),
                    }
                    results.push(r);
                }
                Change::Cancel { n, webinar_id } => {
                    let mut r = result(n, Some(webinar_id.clone()), "canceled");
                    match self.cancel_one(series, Some(n), &webinar_id).await? {
                        Ok(()) => self.record(plan, n, &webinar_id)?,
                        Err(cause) => r.error = Some(cause),
                    }
                    results.push(r);
                }
                Change::Add { n } => adds.push(n),
            }
        }
        if !adds.is_empty() {
            results.extend(self.add_sessions(plan, &adds).await?);
        }
        results.sort_by_key(|r| r.n);
        let all_canceled = plan.sessions.iter().all(|s| s.canceled);
        let failed = results.iter().any(|r| r.error.is_some());
        let state = if all_canceled && !failed {
            SeriesState::Canceled
        } else {
            SeriesState::Published
        };
        let mut end = self.entry(
            series,
            None,
            "edit",
            if failed { Phase::Failed } else { Phase::Done },
        );
        end.message = failed.then(|| {
            format!(
                "not pushed: sessions {}",
                results
                    .iter()
                    .filter(|r| r.error.is_some())
                    .map(|r| r.n.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        });
        self.log(end, Some(state))?;
        Ok(EditOutcome {
            state,
            sessions: results,
        })
    }

    /// Creates, tags and publishes sessions added to a published series; on a refusal, what
    /// was made for them is canceled again and the sessions stay local changes.
    async fn add_sessions(
        &self,
        plan: &SeriesPlan,
        ns: &[u32],
    ) -> Result<Vec<SessionResult>, StoreError> {
        let sub = SeriesPlan {
            sessions: plan
                .sessions
                .iter()
                .filter(|s| ns.contains(&s.n))
                .cloned()
                .collect(),
            ..plan.clone()
        };
        let tz = zones(&plan.time_zone)
            .map(|(tz, _)| tz)
            .unwrap_or(chrono_tz::UTC);
        let outcome = match my_webinars(self.graph).await {
            Ok(remote) => self.publish_sessions(&sub, tz, remote).await?,
            Err(e) => Err(e.to_string()),
        };
        let done = progress(&self.store.journal_of_series(&plan.id)?);
        let id_of = |n: u32| {
            done.iter()
                .find(|p| p.n == n)
                .and_then(|p| p.webinar_id.clone())
        };
        match outcome {
            Ok(()) => {
                self.record_published(&sub, &sub.sessions)?;
                Ok(ns.iter().map(|&n| result(n, id_of(n), "added")).collect())
            }
            Err(cause) => {
                let remaining = self.cancel_made(&sub, tz, Some(ns)).await?;
                Ok(ns
                    .iter()
                    .map(|&n| {
                        let mut r = result(n, None, "added");
                        let left = remaining.iter().find(|r| r.n == Some(n));
                        r.error = Some(match left {
                            Some(left) => format!(
                                "{cause} Its webinar {} could not be canceled again: {}",
                                left.webinar_id, left.why
                            ),
                            None => format!("{cause} Nothing was left in Teams."),
                        });
                        r
                    })
                    .collect())
            }
        }
    }

    fn record(&self, plan: &SeriesPlan, n: u32, webinar_id: &str) -> Result<(), StoreError> {
        let Ok(p) = Projection::planned(plan, session(plan, n)) else {
            return Ok(());
        };
        self.store
            .record_session_teams(&plan.id, n, webinar_id, &p, (self.clock)())
    }
}

fn session(plan: &SeriesPlan, n: u32) -> &PlannedSession {
    plan.sessions
        .iter()
        .find(|s| s.n == n)
        .expect("changes name planned sessions")
}

/// Sessions an edit dropped from the list are canceled, never forgotten: their webinars exist.
fn with_removed_as_canceled(before: &SeriesPlan, after: &SeriesPlan) -> SeriesPlan {
    let mut plan = after.clone();
    for b in &before.sessions {
        if !plan.sessions.iter().any(|s| s.n == b.n) {
            plan.sessions.push(PlannedSession {
                canceled: true,
                ..b.clone()
            });
        }
    }
    plan.sessions.sort_by_key(|s| s.n);
    plan
}

/// The PATCH for the fields that changed (Graph takes wall-clock times with a Windows zone).
pub(super) fn patch_for(
    plan: &SeriesPlan,
    s: &PlannedSession,
    fields: &[super::change::FieldChange],
) -> WebinarPatch {
    let changed = |f: &str| fields.iter().any(|c| c.field == f);
    let tz = zones(&plan.time_zone)
        .map(|(tz, _)| tz)
        .unwrap_or(chrono_tz::UTC);
    let body = super::new_webinar(plan, s, tz);
    let times = changed("start") || changed("end") || changed("timeZone");
    WebinarPatch {
        display_name: changed("title").then(|| body.display_name.clone()),
        description: changed("description").then(|| body.description.clone()),
        start_date_time: times.then(|| body.start_date_time.clone()),
        end_date_time: times.then(|| body.end_date_time.clone()),
        co_organizers: None,
    }
}

/// One line for the journal: how many sessions each kind of change touches.
fn summary(changes: &[Change]) -> String {
    let count = |f: fn(&Change) -> bool| changes.iter().filter(|c| f(c)).count();
    format!(
        "{} to update, {} to add, {} to cancel, {} unchanged",
        count(|c| matches!(c, Change::Update { .. })),
        count(|c| matches!(c, Change::Add { .. })),
        count(|c| matches!(c, Change::Cancel { .. })),
        count(|c| matches!(c, Change::Unchanged { .. } | Change::Record { .. })),
    )
}
