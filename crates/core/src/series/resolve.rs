//! Resolving drift: the organizer accepts Teams' version of a webinar, or re-applies ours.
//!
//! Invariants: Teams is re-read first, and if what it holds is not what the organizer was shown
//! nothing is written and the new difference is returned instead; every resolution is
//! journalled (writes with intent and outcome, with their request ids); accepting moves the
//! baseline to Teams' version and, for a series session, brings the plan to it (the session's
//! record of what Teams holds too, so a later edit does not undo it); re-applying writes only
//! the fields that differ and then takes Teams' answer as the new baseline. A webinar canceled
//! or deleted in Teams cannot be re-applied: Teams cannot bring it back.

use chrono::{DateTime, Timelike, Utc};

use super::edit::patch_for;
use super::publish::{Outcome, Publisher, SeriesError};
use super::{Problem, Projection, SeriesPlan, zones};
use crate::drift::check::{Target, read_teams};
use crate::drift::{FieldDiff, Finding, WebinarProjection, detect, differences};
use crate::graph::types::RegistrationSettingsPatch;
use crate::store::{BaselineSource, Phase, SeriesState};

/// What the organizer chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriftChoice {
    AcceptTeams,
    ReapplyOurs,
}

/// How a resolution ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolution {
    /// Done; the webinar's finding afterwards (in sync, or what could not be applied).
    Resolved(Finding),
    /// Teams changed again since the difference was shown: nothing was written.
    ChangedAgain(Finding),
}

fn refused(message: impl Into<String>) -> SeriesError {
    SeriesError::Invalid(vec![Problem {
        field: "drift".into(),
        message: message.into(),
    }])
}

/// Whether the organizer saw what Teams holds now (field by field, Teams' values).
fn same_view(now: &[FieldDiff], seen: &[FieldDiff]) -> bool {
    let key = |f: &[FieldDiff]| {
        let mut v: Vec<(String, String)> = f
            .iter()
            .map(|d| (d.field.clone(), d.teams.clone()))
            .collect();
        v.sort();
        v
    };
    key(now) == key(seen)
}

impl Publisher<'_> {
    /// Resolves the drift of one webinar; `series` names the session's series and number, with
    /// its plan, when the webinar is one of ours.
    pub async fn resolve_drift(
        &self,
        target: &Target,
        series: Option<(&SeriesPlan, u32)>,
        choice: DriftChoice,
        seen: &[FieldDiff],
    ) -> Result<Resolution, SeriesError> {
        let now = (self.clock)();
        let teams = read_teams(self.graph, target).await?;
        let baseline = self
            .store
            .drift_baseline(&target.webinar_id)?
            .map(|(p, _)| p);
        let finding = detect(
            baseline.as_ref(),
            teams.as_ref(),
            target.ours.as_ref(),
            target.tz,
        );
        if !same_view(&finding.fields, seen) {
            self.store
                .record_drift_finding(&target.webinar_id, &finding, now)?;
            return Ok(Resolution::ChangedAgain(finding));
        }
        let finding = match choice {
            DriftChoice::AcceptTeams => {
                self.accept(target, series, teams.as_ref(), &finding, now)?
            }
            DriftChoice::ReapplyOurs => self.reapply(target, series, teams.as_ref()).await?,
        };
        self.store
            .record_drift_finding(&target.webinar_id, &finding, now)?;
        Ok(Resolution::Resolved(finding))
    }

    fn accept(
        &self,
        target: &Target,
        series: Option<(&SeriesPlan, u32)>,
        teams: Option<&WebinarProjection>,
        finding: &Finding,
        now: DateTime<Utc>,
    ) -> Result<Finding, SeriesError> {
        let series_id = series.map(|(p, _)| p.id.clone()).unwrap_or_default();
        let mut entry = self.entry(
            &series_id,
            series.map(|(_, n)| n),
            "acceptTeams",
            Phase::Done,
        );
        if series.is_none() {
            entry.series_id = None;
        }
        entry.target = Some(target.webinar_id.clone());
        entry.message = Some(if teams.is_none() {
            "Accepted that the webinar no longer exists in Teams".into()
        } else {
            finding
                .fields
                .iter()
                .map(|f| f.plain.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        });
        let Some(teams) = teams else {
            // Gone from Teams: a series session is canceled in the plan, so nothing tries to
            // write to it again.
            if let Some((plan, n)) = series {
                let mut plan = plan.clone();
                if let Some(s) = plan.sessions.iter_mut().find(|s| s.n == n) {
                    s.canceled = true;
                }
                let state = self.state_of(&plan.id)?;
                self.store.save_series_edit(&plan, &entry, state)?;
            } else {
                self.log(entry, None)?;
            }
            return Ok(Finding {
                kind: crate::drift::DriftKind::MissingInTeams,
                fields: Vec::new(),
            });
        };
        self.store
            .set_drift_baseline(&target.webinar_id, teams, BaselineSource::Accepted, now)?;
        let ours = match series {
            Some((plan, n)) => {
                let plan = plan_following(plan, n, teams);
                let state = self.state_of(&plan.id)?;
                self.store.save_series_edit(&plan, &entry, state)?;
                if let Some(s) = plan.sessions.iter().find(|s| s.n == n)
                    && let Ok(written) = Projection::planned(&plan, s)
                {
                    self.store.record_session_teams(
                        &plan.id,
                        n,
                        &target.webinar_id,
                        &written,
                        now,
                    )?;
                }
                plan.sessions
                    .iter()
                    .find(|s| s.n == n)
                    .and_then(|s| WebinarProjection::planned(&plan, s))
            }
            None => {
                self.log(entry, None)?;
                None
            }
        };
        Ok(detect(Some(teams), Some(teams), ours.as_ref(), target.tz))
    }

    async fn reapply(
        &self,
        target: &Target,
        series: Option<(&SeriesPlan, u32)>,
        teams: Option<&WebinarProjection>,
    ) -> Result<Finding, SeriesError> {
        let (Some((plan, n)), Some(ours)) = (series, target.ours.as_ref()) else {
            return Err(refused(
                "Only sessions of a series planned in Webinar Desk have a version of ours to re-apply; accept Teams' version instead.",
            ));
        };
        let Some(teams) = teams else {
            return Err(refused(
                "The webinar no longer exists in Teams, so there is nothing to re-apply to; accept that it is gone.",
            ));
        };
        if teams.status == "canceled" && ours.status != "canceled" {
            return Err(refused(
                "The webinar was canceled in Teams, and Teams cannot bring a canceled webinar back; accept it, or add a new session to the series.",
            ));
        }
        let s = plan
            .sessions
            .iter()
            .find(|s| s.n == n)
            .ok_or_else(|| SeriesError::NotFound(format!("{} session {n}", plan.id)))?;
        let wanted = differences(teams, ours, target.tz);
        let fields: Vec<super::change::FieldChange> = wanted
            .iter()
            .filter(|f| ["title", "description", "start", "end"].contains(&f.field.as_str()))
            .map(|f| super::change::FieldChange {
                field: match f.field.as_str() {
                    "title" => "title",
                    "description" => "description",
                    "start" => "start",
                    _ => "end",
                },
                from: f.baseline.clone(),
                to: f.teams.clone(),
                plain: f.plain.clone(),
            })
            .collect();
        let mut failures = Vec::new();
        if !fields.is_empty() {
            let patch = patch_for(plan, s, &fields);
            let mut intent = self.entry(&plan.id, Some(n), "reapply", Phase::Intent);
            intent.target = Some(target.webinar_id.clone());
            intent.message = Some(
                fields
                    .iter()
                    .map(|f| f.plain.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            );
            self.log(intent, None)?;
            let answer = self.graph.update_webinar(&target.webinar_id, &patch).await;
            let done = self.entry(&plan.id, Some(n), "reapply", Phase::Done);
            match self.outcome(done, &answer, Some(&target.webinar_id))? {
                Outcome::Done => {}
                Outcome::Unknown => failures.push("Teams did not answer the change of the webinar; check again to see whether it took.".to_string()),
                Outcome::Failed(cause) => failures.push(cause),
            }
        }
        if let (Some(o), Some(t)) = (&ours.registration, &teams.registration) {
            let patch = RegistrationSettingsPatch {
                capacity: o.capacity.filter(|c| Some(*c) != t.capacity),
                is_manual_approval_enabled: (o.manual_approval != t.manual_approval)
                    .then_some(o.manual_approval),
                is_waitlist_enabled: (o.waitlist != t.waitlist).then_some(o.waitlist),
            };
            if patch != RegistrationSettingsPatch::default() {
                let mut intent =
                    self.entry(&plan.id, Some(n), "reapplyRegistration", Phase::Intent);
                intent.target = Some(target.webinar_id.clone());
                self.log(intent, None)?;
                let answer = self
                    .graph
                    .update_registration_configuration(&target.webinar_id, &patch)
                    .await;
                let done = self.entry(&plan.id, Some(n), "reapplyRegistration", Phase::Done);
                if let Outcome::Failed(cause) =
                    self.outcome(done, &answer, Some(&target.webinar_id))?
                {
                    failures.push(cause);
                }
            }
        }
        if let (Some(o), Some(t)) = (&ours.registration, &teams.registration)
            && o.questions != t.questions
        {
            failures.extend(self.reapply_questions(plan, n, &target.webinar_id).await?);
        }
        // Teams' answer is the new baseline: what it holds now is what we wrote.
        let after = read_teams(self.graph, target).await?;
        let now = (self.clock)();
        if let Some(after) = &after {
            self.store.set_drift_baseline(
                &target.webinar_id,
                after,
                BaselineSource::Written,
                now,
            )?;
            if let Some(w) = after_projection(after, plan) {
                self.store
                    .record_session_teams(&plan.id, n, &target.webinar_id, &w, now)?;
            }
        }
        if let Some(first) = failures.into_iter().next() {
            return Err(refused(format!("Re-applying ours failed: {first}")));
        }
        Ok(detect(
            after.as_ref(),
            after.as_ref(),
            Some(ours),
            target.tz,
        ))
    }

    /// Makes the webinar ask the series' questions again: those Teams lacks are created, those
    /// the series does not ask are deleted (a changed question is both). Returns what failed.
    async fn reapply_questions(
        &self,
        plan: &SeriesPlan,
        n: u32,
        webinar_id: &str,
    ) -> Result<Vec<String>, SeriesError> {
        use crate::drift::QuestionProjection;
        let listed = self.graph.registration_questions(webinar_id).await?;
        let wanted: Vec<(&super::Question, QuestionProjection)> = plan
            .questions
            .iter()
            .map(|q| (q, QuestionProjection::planned(q)))
            .collect();
        let mut failures = Vec::new();
        for q in &listed {
            let Some(id) = q.id.as_deref() else { continue };
            let p = QuestionProjection::from_graph(q);
            if wanted.iter().any(|(_, w)| *w == p) {
                continue;
            }
            let mut intent = self.entry(&plan.id, Some(n), "reapplyQuestionDelete", Phase::Intent);
            intent.target = Some(webinar_id.to_string());
            intent.message = q.display_name.clone().or_else(|| q.label.clone());
            self.log(intent, None)?;
            let answer = self
                .graph
                .delete_registration_question(webinar_id, id)
                .await;
            let done = self.entry(&plan.id, Some(n), "reapplyQuestionDelete", Phase::Done);
            if let Outcome::Failed(cause) = self.outcome(done, &answer, Some(webinar_id))? {
                failures.push(cause);
            }
        }
        for (q, w) in &wanted {
            if listed
                .iter()
                .any(|l| QuestionProjection::from_graph(l) == *w)
            {
                continue;
            }
            let mut intent = self.entry(&plan.id, Some(n), "reapplyQuestionCreate", Phase::Intent);
            intent.target = Some(webinar_id.to_string());
            intent.message = Some(w.text.clone());
            self.log(intent, None)?;
            let answer = self
                .graph
                .create_registration_question(webinar_id, &q.to_graph())
                .await;
            let done = self.entry(&plan.id, Some(n), "reapplyQuestionCreate", Phase::Done);
            if let Outcome::Failed(cause) = self.outcome(done, &answer, Some(webinar_id))? {
                failures.push(cause);
            }
        }
        Ok(failures)
    }

    fn state_of(&self, series_id: &str) -> Result<SeriesState, SeriesError> {
        Ok(self
            .store
            .series(series_id)?
            .map_or(SeriesState::Published, |(_, s)| s))
    }
}

/// What Teams holds after a re-apply, as the record of a series session.
fn after_projection(after: &WebinarProjection, plan: &SeriesPlan) -> Option<Projection> {
    let (_, windows) = zones(&plan.time_zone).ok()?;
    Some(Projection {
        title: after.title.clone(),
        description_html: after.description_html.clone(),
        start: after.start?,
        end: after.end?,
        time_zone: windows.to_string(),
        canceled: after.status == "canceled",
    })
}

/// The plan with session `n` as Teams has it: its day, start and length in the series' zone,
/// its title (the part after the series' title, or all of it), its description and whether it
/// is canceled.
fn plan_following(plan: &SeriesPlan, n: u32, teams: &WebinarProjection) -> SeriesPlan {
    let mut plan = plan.clone();
    let tz = zones(&plan.time_zone).map_or(chrono_tz::UTC, |(tz, _)| tz);
    let series_title = plan.title.trim().to_string();
    let default_description = plan.description_html.clone();
    if let Some(s) = plan.sessions.iter_mut().find(|s| s.n == n) {
        if let (Some(start), Some(end)) = (teams.start, teams.end) {
            let local = start.with_timezone(&tz);
            s.date = local.date_naive();
            s.start = local.time().with_nanosecond(0).unwrap_or(local.time());
            s.duration_minutes = u32::try_from((end - start).num_minutes().max(1)).unwrap_or(60);
        }
        let prefix = format!("{series_title} — ");
        let current = if s.title_suffix.trim().is_empty() {
            series_title.clone()
        } else {
            format!("{prefix}{}", s.title_suffix.trim())
        };
        if teams.title != current {
            s.title_suffix = teams
                .title
                .strip_prefix(&prefix)
                .unwrap_or(&teams.title)
                .to_string();
        }
        let ours = s
            .description_html
            .as_deref()
            .unwrap_or(&default_description);
        if crate::drift::readable(ours) != crate::drift::readable(&teams.description_html) {
            s.description_html = Some(teams.description_html.clone());
        }
        s.canceled = teams.status == "canceled";
    }
    plan
}
