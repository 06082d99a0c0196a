//! Running a drift check: read Teams' versions of the webinars that are due, compare each with
//! its baseline (pure [`super::detect`]), and record the findings.
//!
//! Invariants: the webinar lists of both roles (a few GETs for every webinar) give the fields
//! of all; only webinars asked for with `registration` cost two more GETs each, and a webinar
//! absent from the lists costs one GET to tell "deleted" (404) from anything else; a failure
//! is recorded per webinar beside its previous finding, with Graph's request id, and never
//! reads as "in sync"; webinars not due are answered from the last check without a request.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use futures_util::future::join_all;

use super::{Finding, WebinarProjection, detect, due};
use crate::graph::types::VirtualEventWebinar;
use crate::graph::{GraphClient, GraphError, UserRole};
use crate::store::{BaselineSource, DriftCheck, Store, StoreError};

/// One webinar to check.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub webinar_id: String,
    /// For people: the session's title in the plan, or the webinar's as last listed.
    pub title: String,
    /// The series the webinar is a session of, if it is one of ours.
    pub series_id: Option<String>,
    /// Ours, for a series session.
    pub ours: Option<WebinarProjection>,
    /// Where times are shown in the plain-language diff.
    pub tz: Tz,
    /// Also read registration settings and questions (two GETs).
    pub registration: bool,
}

/// The state of one webinar after a check (fresh or from the last one).
#[derive(Debug, Clone, PartialEq)]
pub struct DriftStatus {
    pub webinar_id: String,
    pub title: String,
    pub series_id: Option<String>,
    pub check: DriftCheck,
    /// Whether this call read Teams for it (else the last check is shown, with its time).
    pub fresh: bool,
}

impl DriftStatus {
    /// In sync only on a good check that found nothing; `None` when never checked.
    pub fn finding(&self) -> Option<&Finding> {
        self.check.finding.as_ref()
    }
}

/// Checks the targets that are due (all when `forced`) and returns every target's status.
pub async fn check(
    graph: &GraphClient,
    store: &Store,
    targets: &[Target],
    forced: bool,
    now: DateTime<Utc>,
) -> Result<Vec<DriftStatus>, StoreError> {
    let ids: Vec<String> = targets.iter().map(|t| t.webinar_id.clone()).collect();
    let last: HashMap<String, DriftCheck> = store
        .drift_checks(&ids)?
        .into_iter()
        .map(|c| (c.webinar_id.clone(), c))
        .collect();
    // A failure is a check too: retrying a failing webinar waits like any other.
    let attempted = |id: &str| {
        last.get(id).and_then(|c| {
            let failed = c.failure.as_ref().map(|f| f.0);
            c.checked_at.max(failed)
        })
    };
    let due_now: Vec<&Target> = targets
        .iter()
        .filter(|t| due(attempted(&t.webinar_id), now, forced))
        .collect();

    if !due_now.is_empty() {
        match listed(graph).await {
            Ok(lists) => {
                let read = join_all(due_now.iter().map(|t| teams_now(graph, &lists, t))).await;
                for (t, teams) in due_now.iter().zip(read) {
                    match teams {
                        Ok(teams) => judge(store, t, teams.as_ref(), now)?,
                        Err(e) => store.record_drift_failure(
                            &t.webinar_id,
                            &e.to_string(),
                            e.request_id(),
                            now,
                        )?,
                    }
                }
            }
            Err(e) => {
                for t in &due_now {
                    store.record_drift_failure(
                        &t.webinar_id,
                        &e.to_string(),
                        e.request_id(),
                        now,
                    )?;
                }
            }
        }
    }

    let fresh: std::collections::HashSet<&str> =
        due_now.iter().map(|t| t.webinar_id.as_str()).collect();
    let mut checks: HashMap<String, DriftCheck> = store
        .drift_checks(&ids)?
        .into_iter()
        .map(|c| (c.webinar_id.clone(), c))
        .collect();
    Ok(targets
        .iter()
        .map(|t| DriftStatus {
            webinar_id: t.webinar_id.clone(),
            title: t.title.clone(),
            series_id: t.series_id.clone(),
            check: checks.remove(&t.webinar_id).unwrap_or(DriftCheck {
                webinar_id: t.webinar_id.clone(),
                finding: None,
                checked_at: None,
                failure: None,
            }),
            fresh: fresh.contains(t.webinar_id.as_str()),
        })
        .collect())
}

/// Every webinar of both role lists, by id.
async fn listed(graph: &GraphClient) -> Result<HashMap<String, VirtualEventWebinar>, GraphError> {
    let (organized, co) = tokio::try_join!(
        graph.webinars_by_role(UserRole::Organizer),
        graph.webinars_by_role(UserRole::CoOrganizer),
    )?;
    Ok(organized
        .into_iter()
        .chain(co)
        .map(|w| (w.id.clone(), w))
        .collect())
}

/// Teams' version of one webinar read on its own (one GET, two more with registration);
/// `None` when Teams answers 404.
pub async fn read_teams(
    graph: &GraphClient,
    t: &Target,
) -> Result<Option<WebinarProjection>, GraphError> {
    teams_now(graph, &HashMap::new(), t).await
}

/// Teams' version of one webinar; `None` when Teams answers 404.
async fn teams_now(
    graph: &GraphClient,
    lists: &HashMap<String, VirtualEventWebinar>,
    t: &Target,
) -> Result<Option<WebinarProjection>, GraphError> {
    let webinar = match lists.get(&t.webinar_id) {
        Some(w) => w.clone(),
        None => match graph.webinar(&t.webinar_id).await {
            Ok(w) => w,
            Err(e) if e.status() == Some(404) => return Ok(None),
            Err(e) => return Err(e),
        },
    };
    if !t.registration {
        return Ok(Some(WebinarProjection::from_graph(&webinar, None)));
    }
    let (config, questions) = tokio::try_join!(
        graph.registration_configuration(&t.webinar_id),
        graph.registration_questions(&t.webinar_id),
    )?;
    Ok(Some(WebinarProjection::from_graph(
        &webinar,
        Some((&config, &questions)),
    )))
}

/// Compares and records; a webinar seen for the first time (or its registration read for the
/// first time) sets the baseline.
fn judge(
    store: &Store,
    t: &Target,
    teams: Option<&WebinarProjection>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut baseline = store.drift_baseline(&t.webinar_id)?.map(|(p, _)| p);
    match (&mut baseline, teams) {
        (None, Some(teams)) => {
            store.set_drift_baseline(&t.webinar_id, teams, BaselineSource::FirstSeen, now)?;
        }
        (Some(b), Some(teams)) if b.registration.is_none() && teams.registration.is_some() => {
            b.registration = teams.registration.clone();
            store.set_drift_baseline(&t.webinar_id, b, BaselineSource::FirstSeen, now)?;
        }
        _ => {}
    }
    let baseline = baseline.or_else(|| teams.cloned());
    let finding = detect(baseline.as_ref(), teams, t.ours.as_ref(), t.tz);
    store.record_drift_finding(&t.webinar_id, &finding, now)
}
