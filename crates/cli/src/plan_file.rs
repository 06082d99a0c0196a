//! The series plan file `webinar-desk-cli series create` reads (TOML or JSON): the edge where a
//! plan is deserialized into the core's `SeriesPlan`.
//!
//! ```toml
//! title = "Data Literacy"
//! description = "<p>Six weeks of practice.</p>"
//! audience = "organization"          # or "everyone"
//! time_zone = "Europe/Berlin"        # IANA
//! attendee_emails = true
//! co_organizers = []                 # Entra object ids
//!
//! [recurrence]                       # either this …
//! first = "2027-03-02"
//! start = "14:00"
//! duration_minutes = 60
//! every_weeks = 1                    # or: monthly_weekday = "Tue", monthly_week = 2 (0 = last)
//! count = 6                          # or: until = "2027-04-13"
//!
//! [[sessions]]                       # … or sessions one by one
//! date = "2027-03-02"
//! start = "14:00"
//! duration_minutes = 60
//! title_suffix = "Kick-off"
//! n = 7                              # optional: keeps a session's number (editing)
//! canceled = false                   # optional: true cancels it (editing)
//!
//! [[questions]]                      # asked at registration, in every session
//! text = "Which team are you in?"
//! answer = "singleChoice"            # text, multilineText, singleChoice, multiChoice, boolean
//! choices = ["Sales", "Support"]
//! required = true
//!
//! [[questions]]
//! label = "jobTitle"                 # a predefined question: jobTitle, organization, city, …
//!
//! [registration]                     # optional; Teams' defaults otherwise
//! capacity = 200
//! manual_approval = false            # approval and waitlist need Teams Premium
//! waitlist = false                   # needs a capacity
//! ```
//!
//! `series show ID` prints a series in this format (with `id` and every session's `n`), so an
//! edit is: show, change the file, `series edit --plan FILE`.

use chrono::{NaiveDate, NaiveTime, Weekday};
use serde::Deserialize;
use webinar_desk_core::series::{
    Audience, PlannedSession, Question, Recurrence, RegistrationSettings, SeriesPlan, Until,
    generate,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanFile {
    pub id: Option<String>,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "organization")]
    pub audience: String,
    pub time_zone: String,
    #[serde(default = "yes")]
    pub attendee_emails: bool,
    #[serde(default)]
    pub co_organizers: Vec<String>,
    pub recurrence: Option<RecurrenceFile>,
    #[serde(default)]
    pub sessions: Vec<SessionFile>,
    #[serde(default)]
    pub questions: Vec<QuestionFile>,
    #[serde(default)]
    pub registration: RegistrationFile,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrationFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u32>,
    #[serde(default)]
    pub manual_approval: bool,
    #[serde(default)]
    pub waitlist: bool,
}

#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default)]
    pub required: bool,
}

fn organization() -> String {
    "organization".into()
}
fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecurrenceFile {
    pub first: NaiveDate,
    pub start: String,
    pub duration_minutes: u32,
    pub every_weeks: Option<u32>,
    pub monthly_weekday: Option<String>,
    pub monthly_week: Option<u8>,
    pub count: Option<u32>,
    pub until: Option<NaiveDate>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionFile {
    pub date: NaiveDate,
    pub start: String,
    pub duration_minutes: u32,
    #[serde(default)]
    pub title_suffix: Option<String>,
    #[serde(default)]
    pub n: Option<u32>,
    #[serde(default)]
    pub canceled: bool,
    /// This session's own description (HTML), instead of the series'.
    #[serde(default)]
    pub description: Option<String>,
}

fn time(s: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| format!("start '{s}' must look like 14:00"))
}

impl PlanFile {
    pub fn parse(text: &str, json: bool) -> Result<PlanFile, String> {
        if json {
            serde_json::from_str(text).map_err(|e| e.to_string())
        } else {
            toml::from_str(text).map_err(|e| e.to_string())
        }
    }

    /// The core's plan; `new_id` names a new series.
    pub fn into_plan(self, new_id: String) -> Result<SeriesPlan, String> {
        let audience = match self.audience.as_str() {
            "organization" => Audience::Organization,
            "everyone" => Audience::Everyone,
            other => {
                return Err(format!(
                    "audience '{other}' must be organization or everyone"
                ));
            }
        };
        let mut sessions: Vec<PlannedSession> = Vec::new();
        if let Some(r) = self.recurrence {
            let recurrence = match (r.every_weeks, r.monthly_weekday) {
                (Some(w), None) => Recurrence::Weekly { every_weeks: w },
                (None, Some(day)) => Recurrence::MonthlyOnWeekday {
                    week: r.monthly_week.filter(|w| *w > 0),
                    weekday: day
                        .parse::<Weekday>()
                        .map_err(|_| format!("monthly_weekday '{day}' must be Mon … Sun"))?,
                },
                _ => return Err("recurrence needs every_weeks or monthly_weekday (one)".into()),
            };
            let until = match (r.count, r.until) {
                (Some(c), None) => Until::Count(c),
                (None, Some(d)) => Until::EndDate(d),
                _ => return Err("recurrence needs count or until (one)".into()),
            };
            sessions = generate(
                r.first,
                time(&r.start)?,
                r.duration_minutes,
                recurrence,
                until,
                1,
            )
            .map_err(|e| e.to_string())?;
        }
        let mut next = sessions.len() as u32 + 1;
        let highest = self.sessions.iter().filter_map(|s| s.n).max().unwrap_or(0);
        next = next.max(highest + 1);
        for s in self.sessions {
            let n = s.n.unwrap_or_else(|| {
                next += 1;
                next - 1
            });
            sessions.push(PlannedSession {
                n,
                title_suffix: s.title_suffix.unwrap_or_else(|| format!("Session {n}")),
                date: s.date,
                start: time(&s.start)?,
                duration_minutes: s.duration_minutes,
                canceled: s.canceled,
                description_html: s.description,
            });
        }
        Ok(SeriesPlan {
            id: self.id.unwrap_or(new_id),
            title: self.title,
            description_html: self.description,
            audience,
            co_organizers: self.co_organizers,
            time_zone: self.time_zone,
            attendee_emails: self.attendee_emails,
            sessions,
            questions: self
                .questions
                .into_iter()
                .map(|q| match (q.label, q.text) {
                    (Some(label), None) => Ok(Question::Predefined {
                        label,
                        required: q.required,
                    }),
                    (None, Some(text)) => Ok(Question::Custom {
                        text,
                        answer: q.answer.unwrap_or_else(|| "text".into()),
                        choices: q.choices,
                        required: q.required,
                    }),
                    _ => Err(
                        "each question needs either text (custom) or label (predefined)"
                            .to_string(),
                    ),
                })
                .collect::<Result<_, _>>()?,
            registration: RegistrationSettings {
                capacity: self.registration.capacity,
                manual_approval: self.registration.manual_approval,
                waitlist: self.registration.waitlist,
            },
        })
    }
}

/// A series in the plan-file format, every session with its number: what `series show` prints.
pub fn to_toml(plan: &SeriesPlan) -> String {
    #[derive(serde::Serialize)]
    struct Out<'a> {
        id: &'a str,
        title: &'a str,
        description: &'a str,
        audience: &'a str,
        time_zone: &'a str,
        attendee_emails: bool,
        co_organizers: &'a [String],
        sessions: Vec<SessionOut>,
        questions: Vec<QuestionFile>,
        registration: RegistrationFile,
    }
    #[derive(serde::Serialize)]
    struct SessionOut {
        n: u32,
        title_suffix: String,
        date: String,
        start: String,
        duration_minutes: u32,
        canceled: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<String>,
    }
    toml::to_string(&Out {
        id: &plan.id,
        title: &plan.title,
        description: &plan.description_html,
        audience: plan.audience.as_graph(),
        time_zone: &plan.time_zone,
        attendee_emails: plan.attendee_emails,
        co_organizers: &plan.co_organizers,
        sessions: plan
            .sessions
            .iter()
            .map(|s| SessionOut {
                n: s.n,
                title_suffix: s.title_suffix.clone(),
                date: s.date.format("%Y-%m-%d").to_string(),
                start: s.start.format("%H:%M").to_string(),
                duration_minutes: s.duration_minutes,
                canceled: s.canceled,
                description: s.description_html.clone(),
            })
            .collect(),
        questions: plan
            .questions
            .iter()
            .map(|q| match q {
                Question::Custom {
                    text,
                    answer,
                    choices,
                    required,
                } => QuestionFile {
                    text: Some(text.clone()),
                    answer: Some(answer.clone()),
                    choices: choices.clone(),
                    label: None,
                    required: *required,
                },
                Question::Predefined { label, required } => QuestionFile {
                    text: None,
                    answer: None,
                    choices: Vec::new(),
                    label: Some(label.clone()),
                    required: *required,
                },
            })
            .collect(),
        registration: RegistrationFile {
            capacity: plan.registration.capacity,
            manual_approval: plan.registration.manual_approval,
            waitlist: plan.registration.waitlist,
        },
    })
    .expect("plain data serializes to TOML")
}
