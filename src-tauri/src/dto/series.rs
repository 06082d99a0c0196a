//! Series shapes for the window: plans in and out, where each session stands, publish and edit
//! outcomes, edit previews. Dates are `YYYY-MM-DD` and times `HH:MM` in the series' zone;
//! instants are RFC 3339.

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};
use webinar_desk_core::desk::{RegistrantCount, SeriesDetail, SessionDetail};
use webinar_desk_core::series::{
    Audience, Change, EditOutcome, FieldChange, PlannedSession, Problem, PublishOutcome, Question,
    Remaining, SeriesPlan,
};
use webinar_desk_core::store::{JournalEntry, SeriesState};

use super::UiError;

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionDto {
    pub n: u32,
    pub title_suffix: String,
    pub date: String,
    pub start: String,
    pub duration_minutes: u32,
    #[serde(default)]
    pub canceled: bool,
    /// The session's own description, when it has one (grouped from Teams).
    #[serde(default)]
    pub description_html: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanDto {
    /// Empty for a new series (the core gives it an id).
    #[serde(default)]
    pub id: String,
    pub title: String,
    pub description_html: String,
    pub audience: String,
    #[serde(default)]
    pub co_organizers: Vec<String>,
    pub time_zone: String,
    pub attendee_emails: bool,
    pub sessions: Vec<SessionDto>,
    #[serde(default)]
    pub questions: Vec<QuestionDto>,
    #[serde(default)]
    pub registration: RegistrationDto,
}

/// Registration settings; `capacity` null leaves Teams' default.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationDto {
    pub capacity: Option<u32>,
    #[serde(default)]
    pub manual_approval: bool,
    #[serde(default)]
    pub waitlist: bool,
}

/// A registration question: `kind` is `custom` (with `text`, `answer`, `choices`) or
/// `predefined` (with `label`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuestionDto {
    pub kind: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub answer: String,
    #[serde(default)]
    pub choices: Vec<String>,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub required: bool,
}

impl From<Question> for QuestionDto {
    fn from(q: Question) -> Self {
        match q {
            Question::Custom {
                text,
                answer,
                choices,
                required,
            } => Self {
                kind: "custom".into(),
                text,
                answer,
                choices,
                label: String::new(),
                required,
            },
            Question::Predefined { label, required } => Self {
                kind: "predefined".into(),
                text: String::new(),
                answer: String::new(),
                choices: Vec::new(),
                label,
                required,
            },
        }
    }
}

impl From<QuestionDto> for Question {
    fn from(q: QuestionDto) -> Self {
        if q.kind == "predefined" {
            Question::Predefined {
                label: q.label,
                required: q.required,
            }
        } else {
            Question::Custom {
                text: q.text,
                answer: q.answer,
                choices: q.choices,
                required: q.required,
            }
        }
    }
}

impl From<SeriesPlan> for PlanDto {
    fn from(p: SeriesPlan) -> Self {
        Self {
            id: p.id,
            title: p.title,
            description_html: p.description_html,
            audience: p.audience.as_graph().into(),
            co_organizers: p.co_organizers,
            time_zone: p.time_zone,
            attendee_emails: p.attendee_emails,
            sessions: p.sessions.into_iter().map(Into::into).collect(),
            questions: p.questions.into_iter().map(Into::into).collect(),
            registration: RegistrationDto {
                capacity: p.registration.capacity,
                manual_approval: p.registration.manual_approval,
                waitlist: p.registration.waitlist,
            },
        }
    }
}

impl From<PlannedSession> for SessionDto {
    fn from(s: PlannedSession) -> Self {
        Self {
            n: s.n,
            title_suffix: s.title_suffix,
            date: s.date.format("%Y-%m-%d").to_string(),
            start: s.start.format("%H:%M").to_string(),
            duration_minutes: s.duration_minutes,
            canceled: s.canceled,
            description_html: s.description_html,
        }
    }
}

fn bad(field: String, message: String) -> Problem {
    Problem { field, message }
}

impl From<Problem> for UiError {
    fn from(p: Problem) -> Self {
        UiError::from(webinar_desk_core::DeskError::Series(
            webinar_desk_core::series::SeriesError::Invalid(vec![p]),
        ))
    }
}

impl PlanDto {
    /// The core's plan; a date or time the form sent malformed is a field problem.
    pub fn into_plan(self) -> Result<SeriesPlan, Problem> {
        let audience = match self.audience.as_str() {
            "everyone" => Audience::Everyone,
            _ => Audience::Organization,
        };
        let sessions = self
            .sessions
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                let date = NaiveDate::parse_from_str(&s.date, "%Y-%m-%d").map_err(|_| {
                    bad(
                        format!("sessions[{i}].date"),
                        format!("Session {}: choose a date.", s.n),
                    )
                })?;
                let start = NaiveTime::parse_from_str(&s.start, "%H:%M").map_err(|_| {
                    bad(
                        format!("sessions[{i}].start"),
                        format!("Session {}: enter a start time like 14:00.", s.n),
                    )
                })?;
                Ok(PlannedSession {
                    n: s.n,
                    title_suffix: s.title_suffix,
                    date,
                    start,
                    duration_minutes: s.duration_minutes,
                    canceled: s.canceled,
                    description_html: s.description_html,
                })
            })
            .collect::<Result<Vec<_>, Problem>>()?;
        Ok(SeriesPlan {
            id: if self.id.is_empty() {
                webinar_desk_core::series::new_series_id()
            } else {
                self.id
            },
            title: self.title,
            description_html: self.description_html,
            audience,
            co_organizers: self.co_organizers,
            time_zone: self.time_zone,
            attendee_emails: self.attendee_emails,
            sessions,
            questions: self.questions.into_iter().map(Into::into).collect(),
            registration: webinar_desk_core::series::RegistrationSettings {
                capacity: self.registration.capacity,
                manual_approval: self.registration.manual_approval,
                waitlist: self.registration.waitlist,
            },
        })
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProblemDto {
    pub field: String,
    pub message: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedDto {
    pub id: String,
    pub problems: Vec<ProblemDto>,
}

impl SavedDto {
    pub fn new(id: String, problems: Vec<Problem>) -> Self {
        Self {
            id,
            problems: problems
                .into_iter()
                .map(|p| ProblemDto {
                    field: p.field,
                    message: p.message,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeriesSummaryDto {
    pub plan: PlanDto,
    pub state: &'static str,
}

impl From<(SeriesPlan, SeriesState)> for SeriesSummaryDto {
    fn from((plan, state): (SeriesPlan, SeriesState)) -> Self {
        Self {
            plan: plan.into(),
            state: state.as_str(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionStateDto {
    pub n: u32,
    pub webinar_id: Option<String>,
    pub created: bool,
    pub tagged: bool,
    pub published: bool,
    pub canceled_in_teams: bool,
    pub pending_changes: bool,
}

impl From<SessionDetail> for SessionStateDto {
    fn from(s: SessionDetail) -> Self {
        Self {
            n: s.n,
            webinar_id: s.webinar_id,
            created: s.created,
            tagged: s.tagged,
            published: s.published,
            canceled_in_teams: s.canceled_in_teams,
            pending_changes: s.pending_changes,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemainingDto {
    pub n: Option<u32>,
    pub webinar_id: String,
    pub why: String,
}

impl From<Remaining> for RemainingDto {
    fn from(r: Remaining) -> Self {
        Self {
            n: r.n,
            webinar_id: r.webinar_id,
            why: r.why,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalDto {
    pub seq: Option<i64>,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub series_id: Option<String>,
    pub n: Option<u32>,
    pub phase: &'static str,
    pub target: Option<String>,
    pub status: Option<u16>,
    pub error_class: Option<String>,
    pub message: Option<String>,
    pub client_request_id: Option<String>,
    pub request_id: Option<String>,
}

impl From<JournalEntry> for JournalDto {
    fn from(e: JournalEntry) -> Self {
        Self {
            seq: e.seq,
            at: e.at.to_rfc3339(),
            actor: e.actor,
            action: e.action,
            series_id: e.series_id,
            n: e.n,
            phase: e.phase.as_str(),
            target: e.target,
            status: e.status,
            error_class: e.error_class,
            message: e.message,
            client_request_id: e.client_request_id,
            request_id: e.request_id,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeriesDetailDto {
    pub plan: PlanDto,
    pub state: &'static str,
    pub sessions: Vec<SessionStateDto>,
    pub remaining: Vec<RemainingDto>,
    pub journal: Vec<JournalDto>,
}

impl From<SeriesDetail> for SeriesDetailDto {
    fn from(d: SeriesDetail) -> Self {
        Self {
            plan: d.plan.into(),
            state: d.state.as_str(),
            sessions: d.sessions.into_iter().map(Into::into).collect(),
            remaining: d.remaining.into_iter().map(Into::into).collect(),
            journal: d.journal.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishOutcomeDto {
    /// `published`, `rolledBack` or `partiallyRolledBack`.
    pub kind: &'static str,
    pub cause: Option<String>,
    pub remaining: Vec<RemainingDto>,
}

impl From<PublishOutcome> for PublishOutcomeDto {
    fn from(o: PublishOutcome) -> Self {
        match o {
            PublishOutcome::Published { .. } => Self {
                kind: "published",
                cause: None,
                remaining: Vec::new(),
            },
            PublishOutcome::RolledBack { cause } => Self {
                kind: "rolledBack",
                cause: Some(cause),
                remaining: Vec::new(),
            },
            PublishOutcome::PartiallyRolledBack { cause, remaining } => Self {
                kind: "partiallyRolledBack",
                cause: Some(cause),
                remaining: remaining.into_iter().map(Into::into).collect(),
            },
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionResultDto {
    pub n: u32,
    pub webinar_id: Option<String>,
    pub what: &'static str,
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EditOutcomeDto {
    pub state: &'static str,
    pub sessions: Vec<SessionResultDto>,
}

impl From<EditOutcome> for EditOutcomeDto {
    fn from(o: EditOutcome) -> Self {
        Self {
            state: o.state.as_str(),
            sessions: o
                .sessions
                .into_iter()
                .map(|s| SessionResultDto {
                    n: s.n,
                    webinar_id: s.webinar_id,
                    what: s.what,
                    error: s.error,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldChangeDto {
    pub field: &'static str,
    pub from: String,
    pub to: String,
    pub plain: String,
}

impl From<FieldChange> for FieldChangeDto {
    fn from(f: FieldChange) -> Self {
        Self {
            field: f.field,
            from: f.from,
            to: f.to,
            plain: f.plain,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeDto {
    /// `add`, `update`, `cancel`, `unchanged`, `drifted` or `missing`.
    pub kind: &'static str,
    pub n: u32,
    pub webinar_id: Option<String>,
    pub fields: Vec<FieldChangeDto>,
    pub blocks: bool,
}

impl From<Change> for ChangeDto {
    fn from(c: Change) -> Self {
        let blocks = c.blocks();
        let n = c.n();
        let (kind, webinar_id, fields) = match c {
            Change::Add { .. } => ("add", None, Vec::new()),
            Change::Update {
                webinar_id, fields, ..
            } => ("update", Some(webinar_id), fields),
            Change::Cancel { webinar_id, .. } => ("cancel", Some(webinar_id), Vec::new()),
            Change::Record { webinar_id, .. } => ("unchanged", Some(webinar_id), Vec::new()),
            Change::Unchanged { .. } => ("unchanged", None, Vec::new()),
            Change::Drifted {
                webinar_id, fields, ..
            } => ("drifted", Some(webinar_id), fields),
            Change::Missing { webinar_id, .. } => ("missing", Some(webinar_id), Vec::new()),
        };
        Self {
            kind,
            n,
            webinar_id,
            fields: fields.into_iter().map(Into::into).collect(),
            blocks,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrantCountDto {
    pub registered: usize,
    pub sessions_counted: usize,
    pub sessions_unknown: usize,
}

impl From<RegistrantCount> for RegistrantCountDto {
    fn from(c: RegistrantCount) -> Self {
        Self {
            registered: c.registered,
            sessions_counted: c.sessions_counted,
            sessions_unknown: c.sessions_unknown,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ZoneDto {
    pub iana: &'static str,
    pub windows: &'static str,
}

/// Sessions generated from a recurrence in the form.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecurrenceDto {
    pub first: String,
    pub start: String,
    pub duration_minutes: u32,
    /// `weekly` or `monthly`.
    pub repeat: String,
    #[serde(default = "one")]
    pub every_weeks: u32,
    /// 1–4, or 0 for the last week of the month.
    #[serde(default)]
    pub monthly_week: u8,
    pub count: Option<u32>,
    pub until: Option<String>,
    #[serde(default = "one")]
    pub first_n: u32,
}

fn one() -> u32 {
    1
}

impl RecurrenceDto {
    pub fn generate(self) -> Result<Vec<SessionDto>, Problem> {
        use webinar_desk_core::series::{Recurrence, Until, generate};
        let problem = |field: &str, message: &str| bad(field.into(), message.into());
        let first = NaiveDate::parse_from_str(&self.first, "%Y-%m-%d")
            .map_err(|_| problem("recurrence.first", "Choose the first session's date."))?;
        let start = NaiveTime::parse_from_str(&self.start, "%H:%M")
            .map_err(|_| problem("recurrence.start", "Enter a start time like 14:00."))?;
        let recurrence = match self.repeat.as_str() {
            "monthly" => Recurrence::MonthlyOnWeekday {
                week: (self.monthly_week > 0).then_some(self.monthly_week),
                weekday: chrono::Datelike::weekday(&first),
            },
            _ => Recurrence::Weekly {
                every_weeks: self.every_weeks,
            },
        };
        let until = match (self.count, self.until.as_deref()) {
            (Some(c), _) => Until::Count(c),
            (None, Some(d)) => Until::EndDate(
                NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map_err(|_| problem("recurrence.until", "Choose the last date."))?,
            ),
            (None, None) => {
                return Err(problem(
                    "recurrence.count",
                    "Say how many sessions, or until when.",
                ));
            }
        };
        generate(
            first,
            start,
            self.duration_minutes,
            recurrence,
            until,
            self.first_n,
        )
        .map(|s| s.into_iter().map(Into::into).collect())
        .map_err(|e| problem("recurrence", &e.to_string()))
    }
}
