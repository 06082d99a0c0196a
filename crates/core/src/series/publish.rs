//! Publishing a series against Teams, all or nothing: the IO half of the plan in `series`.
//!
//! Each step is journalled before it is sent and after it answers, so that a crash at any point
//! leaves the journal saying exactly what Teams may hold; the next run (or the start-up
//! recovery) reads it back and finishes or undoes the operation. On a refusal the series is
//! rolled back: every webinar we made is canceled (there is no DELETE), each cancel journalled,
//! and what could not be canceled is reported with its id.
//!
//! Invariants: no write is repeated blindly — when an answer is lost, Teams is listed again and
//! the plan recomputed (adopting what exists, never creating twice); the series state moves in
//! the same transaction as the journal row that justifies it.

use chrono::{DateTime, Utc};

use super::{
    PlannedSession, Problem, Projection, RemoteWebinar, SeriesPlan, Step, progress, publish_steps,
    rollback_steps, schedule, session_title, tag, validate, zones,
};
use crate::graph::types::{
    CommunicationsUserIdentity, DateTimeTimeZone, ItemBody, NewWebinar, VirtualEventSettings,
};
use crate::graph::{GraphClient, GraphError, UserRole};
use crate::store::{JournalEntry, Phase, SeriesState, Store, StoreError};

/// Lost answers are reconciled by listing Teams and planning again; this many times at most.
const RECONCILE_ROUNDS: usize = 4;

/// Everything a publish needs from outside: time and the operation's id come in.
pub struct Publisher<'a> {
    pub graph: &'a GraphClient,
    pub store: &'a Store,
    /// Who is signed in (for the journal).
    pub actor: &'a str,
    /// Identifies this run in the journal.
    pub operation_id: String,
    pub clock: &'a (dyn Fn() -> DateTime<Utc> + Send + Sync),
}

impl std::fmt::Debug for Publisher<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher")
            .field("actor", &self.actor)
            .field("operation_id", &self.operation_id)
            .finish_non_exhaustive()
    }
}

/// How a publish ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishOutcome {
    /// Every session is a published Teams webinar: (session number, webinar id).
    Published { webinars: Vec<(u32, String)> },
    /// A step failed and everything made was canceled again.
    RolledBack { cause: String },
    /// A step failed and some webinars could not be canceled; they remain in Teams.
    PartiallyRolledBack {
        cause: String,
        remaining: Vec<Remaining>,
    },
}

/// A webinar a rollback could not cancel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remaining {
    pub n: Option<u32>,
    pub webinar_id: String,
    pub why: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SeriesError {
    #[error("There is no series {0} on this computer.")]
    NotFound(String),
    #[error("The series cannot be published yet: {}", .0.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join(" "))]
    Invalid(Vec<Problem>),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Teams could not be read before anything was changed; nothing was sent.
    #[error(transparent)]
    Graph(#[from] GraphError),
    /// The edit would overwrite changes made in Teams; nothing was sent.
    #[error("{}", drifted_message(.0))]
    Drifted(Vec<super::Change>),
}

fn drifted_message(changes: &[super::Change]) -> String {
    let sessions: Vec<String> = changes.iter().map(|c| c.n().to_string()).collect();
    format!(
        "Session {} changed in Teams since Webinar Desk last wrote it. Nothing was sent; review the changes made in Teams before editing {}.",
        sessions.join(", "),
        if sessions.len() == 1 { "it" } else { "them" }
    )
}

impl Publisher<'_> {
    pub(super) fn entry(
        &self,
        series: &str,
        n: Option<u32>,
        action: &str,
        phase: Phase,
    ) -> JournalEntry {
        JournalEntry {
            seq: None,
            operation_id: self.operation_id.clone(),
            series_id: Some(series.to_string()),
            n,
            action: action.to_string(),
            target: None,
            phase,
            at: (self.clock)(),
            actor: self.actor.to_string(),
            client_request_id: None,
            request_id: None,
            status: None,
            error_class: None,
            message: None,
        }
    }

    pub(super) fn log(
        &self,
        entry: JournalEntry,
        state: Option<SeriesState>,
    ) -> Result<(), StoreError> {
        self.store.journal(&entry, state).map(|_| ())
    }

    /// Journals the outcome of one call, and says how it went.
    pub(super) fn outcome<T>(
        &self,
        mut entry: JournalEntry,
        result: &Result<T, GraphError>,
        target: Option<&str>,
    ) -> Result<Outcome, StoreError> {
        entry.target = target.map(str::to_string);
        let outcome = match result {
            Ok(_) => {
                entry.phase = Phase::Done;
                Outcome::Done
            }
            Err(e) => {
                entry.client_request_id = e.client_request_id().map(str::to_string);
                entry.request_id = e.request_id().map(str::to_string);
                entry.status = e.status();
                entry.message = Some(e.to_string());
                entry.error_class = Some(error_class(e).to_string());
                if matches!(
                    e,
                    GraphError::OutcomeUnknown { .. } | GraphError::Malformed { .. }
                ) {
                    entry.phase = Phase::Unknown;
                    Outcome::Unknown
                } else {
                    entry.phase = Phase::Failed;
                    Outcome::Failed(e.to_string())
                }
            }
        };
        self.log(entry, None)?;
        Ok(outcome)
    }

    /// Publishes (or finishes publishing) the series.
    pub async fn publish(&self, series_id: &str) -> Result<PublishOutcome, SeriesError> {
        let (plan, state) = self
            .store
            .series(series_id)?
            .ok_or_else(|| SeriesError::NotFound(series_id.to_string()))?;
        if state == SeriesState::Published {
            return Ok(PublishOutcome::Published {
                webinars: published_ids(&progress(&self.store.journal_of_series(series_id)?)),
            });
        }
        if state == SeriesState::RollingBack {
            // A rollback was cut short (a crash): finish it, never publish over it.
            let (tz, _) = zones(&plan.time_zone).map_err(|m| {
                SeriesError::Invalid(vec![Problem {
                    field: "timeZone".into(),
                    message: m,
                }])
            })?;
            let cause = "finishing a rollback that was interrupted".to_string();
            return Ok(self.rollback(&plan, tz, cause).await?);
        }
        if state == SeriesState::PartiallyRolledBack {
            return Err(SeriesError::Invalid(vec![Problem {
                field: "state".into(),
                message: "Some webinars of the last attempt are still in Teams; retry the rollback before publishing again.".into(),
            }]));
        }
        let resuming = state == SeriesState::Publishing;
        if !resuming {
            let problems = validate(&plan, (self.clock)());
            if !problems.is_empty() {
                return Err(SeriesError::Invalid(problems));
            }
        }
        let (tz, _) = zones(&plan.time_zone).map_err(|m| {
            SeriesError::Invalid(vec![Problem {
                field: "timeZone".into(),
                message: m,
            }])
        })?;
        // Read Teams before the first write: a failure here changes nothing.
        let remote = my_webinars(self.graph).await?;
        self.log(
            self.entry(series_id, None, "publish", Phase::Intent),
            Some(SeriesState::Publishing),
        )?;
        match self.publish_sessions(&plan, tz, remote).await? {
            Ok(()) => {
                self.record_published(&plan, &plan.sessions)?;
                self.log(
                    self.entry(series_id, None, "publish", Phase::Done),
                    Some(SeriesState::Published),
                )?;
                let done = progress(&self.store.journal_of_series(series_id)?);
                Ok(PublishOutcome::Published {
                    webinars: published_ids(&done),
                })
            }
            Err(cause) => Ok(self.rollback(&plan, tz, cause).await?),
        }
    }

    /// Creates, tags and publishes every session of `plan` not yet published, reconciling lost
    /// answers by listing Teams again. `Err(cause)` when a step was refused (nothing undone yet).
    pub(super) async fn publish_sessions(
        &self,
        plan: &SeriesPlan,
        tz: chrono_tz::Tz,
        mut remote: Vec<RemoteWebinar>,
    ) -> Result<Result<(), String>, StoreError> {
        let mut created: Vec<(u32, String)> = Vec::new();
        for _round in 0..RECONCILE_ROUNDS {
            let done = progress(&self.store.journal_of_series(&plan.id)?);
            let steps = publish_steps(plan, &done, &remote, tz);
            match self.run(plan, tz, steps, &mut created).await? {
                Run::Finished => return Ok(Ok(())),
                Run::Failed(cause) => return Ok(Err(cause)),
                Run::Reconcile => match my_webinars(self.graph).await {
                    Ok(r) => remote = r,
                    Err(e) => return Ok(Err(e.to_string())),
                },
            }
        }
        Ok(Err(
            "Teams kept losing answers; stopped rather than risk duplicates.".to_string(),
        ))
    }

    /// Records what Teams now holds for freshly published sessions: the plan, as sent.
    pub(super) fn record_published(
        &self,
        plan: &SeriesPlan,
        sessions: &[PlannedSession],
    ) -> Result<(), StoreError> {
        let done = progress(&self.store.journal_of_series(&plan.id)?);
        for s in sessions {
            let id = done
                .iter()
                .find(|p| p.n == s.n && p.published)
                .and_then(|p| p.webinar_id.as_deref());
            if let (Some(id), Ok(projection)) = (id, Projection::planned(plan, s)) {
                self.store
                    .record_session_teams(&plan.id, s.n, id, &projection, (self.clock)())?;
            }
        }
        Ok(())
    }

    /// Cancels whatever an earlier failed publish left in Teams ("retry rollback").
    pub async fn roll_back(&self, series_id: &str) -> Result<PublishOutcome, SeriesError> {
        let (plan, _) = self
            .store
            .series(series_id)?
            .ok_or_else(|| SeriesError::NotFound(series_id.to_string()))?;
        let (tz, _) = zones(&plan.time_zone).map_err(|m| {
            SeriesError::Invalid(vec![Problem {
                field: "timeZone".into(),
                message: m,
            }])
        })?;
        Ok(self
            .rollback(&plan, tz, "rollback asked for by the organizer".into())
            .await?)
    }

    pub(super) async fn run(
        &self,
        plan: &SeriesPlan,
        tz: chrono_tz::Tz,
        steps: Vec<Step>,
        created: &mut Vec<(u32, String)>,
    ) -> Result<Run, StoreError> {
        let id_of = |n: u32, given: &Option<String>, created: &[(u32, String)]| {
            given.clone().or_else(|| {
                created
                    .iter()
                    .rev()
                    .find(|(m, _)| *m == n)
                    .map(|(_, id)| id.clone())
            })
        };
        for step in steps {
            let series = plan.id.as_str();
            match step {
                Step::Adopt { n, webinar_id } => {
                    let mut e = self.entry(series, Some(n), "adopt", Phase::Done);
                    e.target = Some(webinar_id.clone());
                    self.log(e, None)?;
                    created.push((n, webinar_id));
                }
                Step::Create { n } => {
                    let session = plan
                        .sessions
                        .iter()
                        .find(|s| s.n == n)
                        .expect("steps name planned sessions");
                    let body = new_webinar(plan, session, tz);
                    self.log(self.entry(series, Some(n), "create", Phase::Intent), None)?;
                    let result = self.graph.create_webinar(&body).await;
                    let target = result.as_ref().ok().map(|w| w.id.clone());
                    let e = self.entry(series, Some(n), "create", Phase::Done);
                    match self.outcome(e, &result, target.as_deref())? {
                        Outcome::Done => created.push((n, target.expect("a created webinar"))),
                        Outcome::Unknown => return Ok(Run::Reconcile),
                        Outcome::Failed(cause) => return Ok(Run::Failed(cause)),
                    }
                }
                Step::Tag { n, webinar_id } => {
                    let id = id_of(n, &webinar_id, created).expect("tagged after create");
                    let mut intent = self.entry(series, Some(n), "tag", Phase::Intent);
                    intent.target = Some(id.clone());
                    self.log(intent, None)?;
                    let result = self
                        .graph
                        .set_external_event_id(&id, &tag(&plan.id, n))
                        .await;
                    let e = self.entry(series, Some(n), "tag", Phase::Done);
                    match self.outcome(e, &result, Some(&id))? {
                        Outcome::Done => {}
                        Outcome::Unknown => return Ok(Run::Reconcile),
                        Outcome::Failed(cause) => return Ok(Run::Failed(cause)),
                    }
                }
                Step::Publish { n, webinar_id } => {
                    let id = id_of(n, &webinar_id, created).expect("published after create");
                    let mut intent = self.entry(series, Some(n), "publish", Phase::Intent);
                    intent.target = Some(id.clone());
                    self.log(intent, None)?;
                    let result = self.graph.publish_webinar(&id).await;
                    let e = self.entry(series, Some(n), "publish", Phase::Done);
                    match self.outcome(e, &result, Some(&id))? {
                        Outcome::Done => {}
                        Outcome::Unknown => return Ok(Run::Reconcile),
                        Outcome::Failed(cause) => return Ok(Run::Failed(cause)),
                    }
                }
                Step::Questions { n, webinar_id } => {
                    let id = id_of(n, &webinar_id, created).expect("questions after create");
                    match self.add_questions(plan, n, &id).await? {
                        Outcome::Done => {}
                        Outcome::Unknown => return Ok(Run::Reconcile),
                        Outcome::Failed(cause) => return Ok(Run::Failed(cause)),
                    }
                }
                Step::Settings { n, webinar_id } => {
                    let id = id_of(n, &webinar_id, created).expect("settings after create");
                    let mut intent = self.entry(series, Some(n), "settings", Phase::Intent);
                    intent.target = Some(id.clone());
                    self.log(intent, None)?;
                    let result = self
                        .graph
                        .update_registration_configuration(&id, &plan.registration.to_graph())
                        .await;
                    let e = self.entry(series, Some(n), "settings", Phase::Done);
                    match self.outcome(e, &result, Some(&id))? {
                        Outcome::Done => {}
                        Outcome::Unknown => return Ok(Run::Reconcile),
                        Outcome::Failed(cause) => return Ok(Run::Failed(cause)),
                    }
                }
                Step::MarkPublished => return Ok(Run::Finished),
                Step::Cancel { .. } => unreachable!("publish plans do not cancel"),
            }
        }
        Ok(Run::Finished)
    }

    /// Cancels what the failed publish made, and says what remains.
    async fn rollback(
        &self,
        plan: &SeriesPlan,
        tz: chrono_tz::Tz,
        cause: String,
    ) -> Result<PublishOutcome, StoreError> {
        let series = plan.id.as_str();
        let mut start = self.entry(series, None, "rollback", Phase::Intent);
        start.message = Some(cause.clone());
        self.log(start, Some(SeriesState::RollingBack))?;
        let remaining = self.cancel_made(plan, tz, None).await?;
        let (state, phase) = if remaining.is_empty() {
            (SeriesState::RolledBack, Phase::Done)
        } else {
            (SeriesState::PartiallyRolledBack, Phase::Failed)
        };
        let mut end = self.entry(series, None, "rollback", phase);
        end.message = Some(cause.clone());
        self.log(end, Some(state))?;
        Ok(if remaining.is_empty() {
            PublishOutcome::RolledBack { cause }
        } else {
            PublishOutcome::PartiallyRolledBack { cause, remaining }
        })
    }
}

impl Publisher<'_> {
    /// Cancels every webinar the journal (or Teams, by tag) says we made for the sessions
    /// `only` names (all when `None`), journalling each cancel; returns what could not be.
    pub(super) async fn cancel_made(
        &self,
        plan: &SeriesPlan,
        tz: chrono_tz::Tz,
        only: Option<&[u32]>,
    ) -> Result<Vec<Remaining>, StoreError> {
        let series = plan.id.as_str();
        let wanted = |n: Option<u32>| only.is_none_or(|ns| n.is_some_and(|n| ns.contains(&n)));
        let done: Vec<_> = progress(&self.store.journal_of_series(series)?)
            .into_iter()
            .filter(|p| wanted(Some(p.n)))
            .collect();
        let remote: Vec<RemoteWebinar> = match my_webinars(self.graph).await {
            Ok(r) => r
                .into_iter()
                .filter(|r| {
                    let n = r
                        .external_event_id
                        .as_deref()
                        .and_then(|e| e.strip_prefix(series))
                        .and_then(|e| e.strip_prefix(':'))
                        .and_then(|n| n.parse().ok());
                    n.is_none() || wanted(n)
                })
                .collect(),
            Err(e) => {
                // Without the list, cancel what the journal knows; strays stay unknown.
                tracing::warn!("rollback could not list webinars: {e}");
                Vec::new()
            }
        };
        let mut remaining = Vec::new();
        for step in rollback_steps(plan, &done, &remote, tz) {
            let Step::Cancel { n, webinar_id } = step else {
                continue;
            };
            if let Err(why) = self.cancel_one(series, n, &webinar_id).await? {
                remaining.push(Remaining { n, webinar_id, why });
            }
        }
        Ok(remaining)
    }

    /// Cancels one webinar, journalled; a lost answer is checked by reading the webinar back.
    pub(super) async fn cancel_one(
        &self,
        series: &str,
        n: Option<u32>,
        webinar_id: &str,
    ) -> Result<Result<(), String>, StoreError> {
        let mut intent = self.entry(series, n, "cancel", Phase::Intent);
        intent.target = Some(webinar_id.to_string());
        self.log(intent, None)?;
        let mut result = self.graph.cancel_webinar(webinar_id).await.map(|_| ());
        if matches!(result, Err(GraphError::OutcomeUnknown { .. })) {
            // Cancel is idempotent in effect: look whether it took.
            if let Ok(w) = self.graph.webinar(webinar_id).await
                && w.status.as_deref() == Some("canceled")
            {
                result = Ok(());
            }
        }
        let e = self.entry(series, n, "cancel", Phase::Done);
        self.outcome(e, &result, Some(webinar_id))?;
        Ok(result.map_err(|e| e.to_string()))
    }
}

impl Publisher<'_> {
    /// Adds the series' questions the webinar does not ask yet: Teams is listed first, so a
    /// question whose create answer was lost is found, never asked twice.
    async fn add_questions(
        &self,
        plan: &SeriesPlan,
        n: u32,
        webinar_id: &str,
    ) -> Result<Outcome, StoreError> {
        let series = plan.id.as_str();
        let mut intent = self.entry(series, Some(n), "questions", Phase::Intent);
        intent.target = Some(webinar_id.to_string());
        self.log(intent, None)?;
        let listed = self.graph.registration_questions(webinar_id).await;
        let existing = match listed {
            Ok(list) => list,
            Err(e) => {
                let e2 = self.entry(series, Some(n), "questions", Phase::Done);
                return self.outcome(e2, &Err::<(), _>(e), Some(webinar_id));
            }
        };
        for q in plan
            .questions
            .iter()
            .filter(|q| !existing.iter().any(|e| q.is(e)))
        {
            let mut ask = self.entry(series, Some(n), "question", Phase::Intent);
            ask.target = Some(webinar_id.to_string());
            ask.message = Some(match q {
                super::Question::Custom { text, .. } => text.clone(),
                super::Question::Predefined { label, .. } => label.clone(),
            });
            let message = ask.message.clone();
            self.log(ask, None)?;
            let result = self
                .graph
                .create_registration_question(webinar_id, &q.to_graph())
                .await;
            let mut done = self.entry(series, Some(n), "question", Phase::Done);
            done.message = message;
            match self.outcome(done, &result, Some(webinar_id))? {
                Outcome::Done => {}
                other => return Ok(other),
            }
        }
        let done = self.entry(series, Some(n), "questions", Phase::Done);
        self.outcome(done, &Ok::<(), GraphError>(()), Some(webinar_id))
    }
}

pub(super) enum Run {
    Finished,
    Failed(String),
    Reconcile,
}

pub(super) enum Outcome {
    Done,
    Unknown,
    Failed(String),
}

pub(super) fn error_class(e: &GraphError) -> &'static str {
    match e {
        GraphError::Unreachable { .. } => "unreachable",
        GraphError::OutcomeUnknown { .. } => "outcomeUnknown",
        GraphError::Service(s) => match s.refusal() {
            crate::graph::Refusal::Unauthorized => "unauthorized",
            crate::graph::Refusal::Forbidden => "forbidden",
            crate::graph::Refusal::Licensing => "licensing",
            crate::graph::Refusal::NotFound => "notFound",
            crate::graph::Refusal::Throttled => "throttled",
            crate::graph::Refusal::Transient => "transient",
            crate::graph::Refusal::Invalid => "invalid",
            crate::graph::Refusal::Other => "other",
        },
        GraphError::RegistrationsRefused { .. } => "forbidden",
        GraphError::Malformed { .. } => "malformed",
        GraphError::ForeignLink(_) => "foreignLink",
        GraphError::Auth(_) => "signIn",
    }
}

fn published_ids(done: &[super::SessionProgress]) -> Vec<(u32, String)> {
    done.iter()
        .filter(|p| p.published)
        .filter_map(|p| p.webinar_id.clone().map(|id| (p.n, id)))
        .collect()
}

/// The organizer's webinars as the plan needs them.
pub(super) async fn my_webinars(graph: &GraphClient) -> Result<Vec<RemoteWebinar>, GraphError> {
    let list = graph.webinars_by_role(UserRole::Organizer).await?;
    let instant = |v: &Option<DateTimeTimeZone>| {
        v.as_ref()
            .and_then(|d| {
                crate::time::instant(&d.date_time, d.time_zone.as_deref().unwrap_or("UTC")).ok()
            })
            // An unreadable time never matches a planned session; tags still do.
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    };
    Ok(list
        .into_iter()
        .map(|w| RemoteWebinar {
            external_event_id: w
                .external_event_information
                .iter()
                .find_map(|e| e.external_event_id.clone()),
            display_name: w.display_name.clone().unwrap_or_default(),
            start: instant(&w.start_date_time),
            end: instant(&w.end_date_time),
            status: w.status.clone().unwrap_or_default(),
            id: w.id,
        })
        .collect())
}

/// The create body for one session: wall-clock times in the series' zone, named the Windows way.
pub fn new_webinar(plan: &SeriesPlan, s: &PlannedSession, tz: chrono_tz::Tz) -> NewWebinar {
    let windows = zones(&plan.time_zone).map(|(_, w)| w).unwrap_or("UTC");
    let at = schedule(tz, s).expect("validated before publishing");
    let wall = |t: DateTime<Utc>| DateTimeTimeZone {
        date_time: t
            .with_timezone(&tz)
            .naive_local()
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string(),
        time_zone: Some(windows.to_string()),
    };
    NewWebinar {
        display_name: session_title(plan, s),
        description: ItemBody {
            content_type: Some("html".into()),
            content: Some(
                s.description_html
                    .clone()
                    .unwrap_or_else(|| plan.description_html.clone()),
            ),
        },
        start_date_time: wall(at.start),
        end_date_time: wall(at.end),
        audience: plan.audience.as_graph().to_string(),
        co_organizers: plan
            .co_organizers
            .iter()
            .map(|id| CommunicationsUserIdentity {
                id: Some(id.clone()),
                display_name: None,
                tenant_id: None,
            })
            .collect(),
        settings: Some(VirtualEventSettings {
            is_attendee_email_notification_enabled: Some(plan.attendee_emails),
        }),
    }
}
