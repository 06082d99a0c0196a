//! Webinar series: one template and N sessions, each a Teams webinar, managed together.
//!
//! This module is pure: planning a series (generating sessions from a recurrence), validating it
//! before anything is sent, and computing the publish and rollback steps from what the journal
//! and Teams say. The executor that performs the steps, and the journal that makes them
//! crash-safe, build on it.
//!
//! Invariants: time and the remote state come in as parameters; a session's instants are
//! computed from its wall-clock time in the series' IANA zone and sent to Graph with the
//! zone's Windows name (CLDR table); a time that does not exist in the zone (a DST gap) is a
//! validation problem, never shifted silently; every webinar we create is tagged
//! `<series id>:<n>`, so a lost answer is reconciled by looking, never by creating again.

mod change;
mod edit;
mod publish;
mod resolve;

pub use change::{
    Change, FieldChange, Projection, SessionVersions, differences, normalized_html, plan_changes,
};
pub use edit::{EditOutcome, SessionResult, projection_of};
pub use publish::{PublishOutcome, Publisher, Remaining, SeriesError, new_webinar};
pub use resolve::{DriftChoice, Resolution};

use chrono::{
    DateTime, Datelike, Days, Duration, LocalResult, Months, NaiveDate, NaiveDateTime, NaiveTime,
    TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;
use windows_timezones::WindowsTimezone;

/// Graph's limit on `externalEventId`; ours is `<series id>:<n>`.
const EXTERNAL_ID_MAX: usize = 256;
/// Longest title Teams accepts, as the simulated tenant assumes (the real limit is undocumented).
pub const TITLE_MAX: usize = 255;
/// Longest session Webinar Desk plans (Teams meetings end after 30 hours; webinars are shorter).
pub const DURATION_MAX_MINUTES: u32 = 24 * 60;
/// Sessions a series can have.
pub const SESSIONS_MAX: usize = 100;

/// Who may attend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Organization,
    Everyone,
}

impl Audience {
    pub fn as_graph(self) -> &'static str {
        match self {
            Audience::Organization => "organization",
            Audience::Everyone => "everyone",
        }
    }
}

/// One session as planned: its date and wall-clock start in the series' zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedSession {
    /// 1-based position in the series; part of the Teams tag, never reused.
    pub n: u32,
    /// Added to the series title ("Session 2", "Kick-off").
    pub title_suffix: String,
    pub date: NaiveDate,
    pub start: NaiveTime,
    pub duration_minutes: u32,
    /// Canceled after publishing (its webinar in Teams is canceled); kept to show it.
    pub canceled: bool,
    /// This session's own description (a webinar grouped from Teams keeps its own); `None`
    /// uses the series' description.
    pub description_html: Option<String>,
}

/// A registration question every session of the series asks (first and last name and e-mail
/// are always asked by Teams).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Question {
    /// `answer` is `text`, `multilineText`, `singleChoice`, `multiChoice` or `boolean`;
    /// `choices` for the two choice kinds.
    Custom {
        text: String,
        answer: String,
        choices: Vec<String>,
        required: bool,
    },
    /// One of Teams' predefined questions, by label (`jobTitle`, `organization`, `city`, …).
    Predefined { label: String, required: bool },
}

/// The answer kinds a custom question can have.
pub const ANSWER_KINDS: &[&str] = &[
    "text",
    "multilineText",
    "singleChoice",
    "multiChoice",
    "boolean",
];
/// Teams' predefined questions.
pub const PREDEFINED_LABELS: &[&str] = &[
    "street",
    "city",
    "state",
    "postalCode",
    "countryOrRegion",
    "industry",
    "jobTitle",
    "organization",
];

impl Question {
    /// The create body Graph takes.
    pub fn to_graph(&self) -> crate::graph::types::NewQuestion {
        use crate::graph::types::NewQuestion;
        match self {
            Question::Custom {
                text,
                answer,
                choices,
                required,
            } => NewQuestion::Custom {
                display_name: text.trim().to_string(),
                is_required: *required,
                answer_input_type: answer.clone(),
                answer_choices: if answer.ends_with("Choice") {
                    choices.clone()
                } else {
                    Vec::new()
                },
            },
            Question::Predefined { label, required } => NewQuestion::Predefined {
                label: label.clone(),
                is_required: *required,
            },
        }
    }

    /// Whether a question Teams lists is this one (text or label; a lost create answer is
    /// recognised this way, never created twice).
    pub fn is(&self, q: &crate::graph::types::RegistrationQuestion) -> bool {
        match self {
            Question::Custom { text, .. } => {
                q.label.is_none() && q.display_name.as_deref().map(str::trim) == Some(text.trim())
            }
            Question::Predefined { label, .. } => q.label.as_deref() == Some(label.as_str()),
        }
    }
}

/// Registration settings every session gets. Graph documents only reading them (setting them
/// is UNCONFIRMED); approval and a waitlist need Teams Premium for the organizer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RegistrationSettings {
    /// At most this many registrations; `None` leaves Teams' default.
    pub capacity: Option<u32>,
    pub manual_approval: bool,
    pub waitlist: bool,
}

/// Teams' largest webinar audience, as the simulated tenant assumes it (1,000 without an
/// add-on).
pub const CAPACITY_MAX: u32 = 1000;

impl RegistrationSettings {
    /// Whether publishing needs to set anything (Teams' defaults are left alone).
    pub fn is_default(&self) -> bool {
        *self == RegistrationSettings::default()
    }

    pub fn to_graph(self) -> crate::graph::types::RegistrationSettingsPatch {
        crate::graph::types::RegistrationSettingsPatch {
            capacity: self.capacity.map(i64::from),
            is_manual_approval_enabled: self.manual_approval.then_some(true),
            is_waitlist_enabled: self.waitlist.then_some(true),
        }
    }
}

/// A series as the organizer plans it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesPlan {
    /// Ours, stable for the series' life (a UUID).
    pub id: String,
    pub title: String,
    /// HTML from the editor; sent as an `itemBody` of type html.
    pub description_html: String,
    pub audience: Audience,
    /// Entra object ids.
    pub co_organizers: Vec<String>,
    /// IANA zone name ("Europe/Berlin").
    pub time_zone: String,
    pub attendee_emails: bool,
    pub sessions: Vec<PlannedSession>,
    /// Asked at registration for every session; added before each session is published.
    pub questions: Vec<Question>,
    pub registration: RegistrationSettings,
}

/// How sessions repeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recurrence {
    /// Every `n` weeks on the first session's weekday.
    Weekly { every_weeks: u32 },
    /// The `week`-th (1–4) or last (`None`) `weekday` of every month.
    MonthlyOnWeekday { week: Option<u8>, weekday: Weekday },
}

/// When a recurrence stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    Count(u32),
    /// The last date a session may fall on (inclusive).
    EndDate(NaiveDate),
}

/// Why sessions could not be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecurrenceError {
    #[error("Repeat every 1 to 52 weeks.")]
    BadInterval,
    #[error("The week of the month must be 1 to 4, or the last one.")]
    BadWeekOfMonth,
    #[error("The end date {0} is before the first session.")]
    EndBeforeStart(NaiveDate),
    #[error("That makes {0} sessions; a series can have at most {SESSIONS_MAX}.")]
    TooMany(usize),
    #[error("That makes no sessions; choose at least one.")]
    None,
}

/// Sessions from a recurrence, numbered from `first_n`, titled "Session n".
pub fn generate(
    first: NaiveDate,
    start: NaiveTime,
    duration_minutes: u32,
    recurrence: Recurrence,
    until: Until,
    first_n: u32,
) -> Result<Vec<PlannedSession>, RecurrenceError> {
    match recurrence {
        Recurrence::Weekly { every_weeks } if !(1..=52).contains(&every_weeks) => {
            return Err(RecurrenceError::BadInterval);
        }
        Recurrence::MonthlyOnWeekday { week: Some(w), .. } if !(1..=4).contains(&w) => {
            return Err(RecurrenceError::BadWeekOfMonth);
        }
        _ => {}
    }
    if let Until::EndDate(end) = until
        && end < first
    {
        return Err(RecurrenceError::EndBeforeStart(end));
    }
    let mut dates = Vec::new();
    let keep_going = |dates: &Vec<NaiveDate>, next: NaiveDate| match until {
        Until::Count(c) => dates.len() < c as usize,
        Until::EndDate(end) => next <= end,
    };
    match recurrence {
        Recurrence::Weekly { every_weeks } => {
            let mut d = first;
            while keep_going(&dates, d) {
                dates.push(d);
                if dates.len() > SESSIONS_MAX {
                    break;
                }
                d = d + Days::new(7 * u64::from(every_weeks));
            }
        }
        Recurrence::MonthlyOnWeekday { week, weekday } => {
            let mut month = first.with_day(1).expect("day 1 exists");
            while dates.len() <= SESSIONS_MAX {
                let d = nth_weekday(month, week, weekday);
                if d >= first {
                    if !keep_going(&dates, d) {
                        break;
                    }
                    dates.push(d);
                }
                month = month + Months::new(1);
            }
        }
    }
    if dates.len() > SESSIONS_MAX {
        return Err(RecurrenceError::TooMany(dates.len()));
    }
    if dates.is_empty() {
        return Err(RecurrenceError::None);
    }
    Ok(dates
        .into_iter()
        .zip(first_n..)
        .map(|(date, n)| PlannedSession {
            n,
            title_suffix: format!("Session {n}"),
            date,
            start,
            duration_minutes,
            canceled: false,
            description_html: None,
        })
        .collect())
}

/// The `week`-th (or last) `weekday` of the month starting at `month` (day 1).
fn nth_weekday(month: NaiveDate, week: Option<u8>, weekday: Weekday) -> NaiveDate {
    let offset = (7 + weekday.num_days_from_monday() - month.weekday().num_days_from_monday()) % 7;
    let first = month + Days::new(u64::from(offset));
    match week {
        Some(w) => first + Days::new(7 * u64::from(w - 1)),
        None => {
            let mut d = first;
            while (d + Days::new(7)).month() == month.month() {
                d = d + Days::new(7);
            }
            d
        }
    }
}

/// A problem with a plan, for the form field it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `title`, `timeZone`, `sessions`, `sessions[2].start`, …
    pub field: String,
    pub message: String,
}

fn problem(field: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem {
        field: field.into(),
        message: message.into(),
    }
}

/// A session's place in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scheduled {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// The series' zone, and the Windows name Graph expects for it.
pub fn zones(iana: &str) -> Result<(Tz, &'static str), String> {
    let tz: Tz = iana
        .parse()
        .map_err(|_| format!("'{iana}' is not a time zone Webinar Desk knows."))?;
    let windows = WindowsTimezone::try_from(tz).map_err(|_| {
        format!("Teams has no Windows time zone for '{iana}'; choose a nearby city's zone.")
    })?;
    Ok((tz, windows.name()))
}

/// Every IANA zone Teams can take (one with a Windows name in the CLDR table), with that name,
/// sorted by IANA name: the list the series form searches.
pub fn time_zones() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<_> = chrono_tz::TZ_VARIANTS
        .iter()
        .filter(|tz| !tz.name().starts_with("Etc/") || tz.name() == "Etc/UTC")
        .filter_map(|tz| {
            WindowsTimezone::try_from(*tz)
                .ok()
                .map(|w| (tz.name(), w.name()))
        })
        .collect();
    out.sort();
    out
}

/// Where a session falls, or why it cannot be placed (a time skipped by a DST change).
pub fn schedule(tz: Tz, s: &PlannedSession) -> Result<Scheduled, String> {
    let local = NaiveDateTime::new(s.date, s.start);
    let start = match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t,
        // In the repeated hour, the first occurrence, as Teams does.
        LocalResult::Ambiguous(first, _) => first,
        LocalResult::None => {
            return Err(format!(
                "{} {} does not exist in {tz}: the clocks change that night. Pick another time.",
                s.date,
                s.start.format("%H:%M")
            ));
        }
    }
    .with_timezone(&Utc);
    Ok(Scheduled {
        start,
        end: start + Duration::minutes(i64::from(s.duration_minutes)),
    })
}

/// The Teams title of session `s`.
pub fn session_title(plan: &SeriesPlan, s: &PlannedSession) -> String {
    if s.title_suffix.trim().is_empty() {
        plan.title.trim().to_string()
    } else {
        format!("{} — {}", plan.title.trim(), s.title_suffix.trim())
    }
}

/// Every problem with a plan, checked before anything is sent to Teams.
pub fn validate(plan: &SeriesPlan, now: DateTime<Utc>) -> Vec<Problem> {
    let mut out = Vec::new();
    if plan.title.trim().is_empty() {
        out.push(problem("title", "Give the series a title."));
    }
    if plan.co_organizers.len() > 10 {
        out.push(problem(
            "coOrganizers",
            "Teams allows at most 10 co-organizers.",
        ));
    }
    if plan.id.len() + 1 + 3 > EXTERNAL_ID_MAX {
        out.push(problem(
            "id",
            "The series id is too long to tag its webinars.",
        ));
    }
    let tz = match zones(&plan.time_zone) {
        Ok((tz, _)) => Some(tz),
        Err(m) => {
            out.push(problem("timeZone", m));
            None
        }
    };
    if plan.sessions.iter().all(|s| s.canceled) {
        out.push(problem("sessions", "Add at least one session."));
    }
    if plan.sessions.len() > SESSIONS_MAX {
        out.push(problem(
            "sessions",
            format!("A series can have at most {SESSIONS_MAX} sessions."),
        ));
    }
    for (i, q) in plan.questions.iter().enumerate() {
        let field = format!("questions[{i}]");
        match q {
            Question::Custom {
                text,
                answer,
                choices,
                ..
            } => {
                if text.trim().is_empty() {
                    out.push(problem(&field, "Write the question."));
                }
                if !ANSWER_KINDS.contains(&answer.as_str()) {
                    out.push(problem(
                        &field,
                        format!("'{answer}' is not an answer kind Teams offers."),
                    ));
                }
                let real: Vec<&String> = choices.iter().filter(|c| !c.trim().is_empty()).collect();
                if answer.ends_with("Choice") && real.len() < 2 {
                    out.push(problem(&field, "Give at least two choices."));
                }
            }
            Question::Predefined { label, .. } => {
                if !PREDEFINED_LABELS.contains(&label.as_str()) {
                    out.push(problem(
                        &field,
                        format!("'{label}' is not one of Teams' predefined questions."),
                    ));
                }
            }
        }
        if plan.questions[..i].iter().any(|o| same_question(o, q)) {
            out.push(problem(&field, "This question is asked twice."));
        }
    }
    let r = plan.registration;
    if r.capacity.is_some_and(|c| c == 0 || c > CAPACITY_MAX) {
        out.push(problem(
            "registration.capacity",
            format!("Capacity must be 1 to {CAPACITY_MAX} people."),
        ));
    }
    if r.waitlist && r.capacity.is_none() {
        out.push(problem(
            "registration.waitlist",
            "A waitlist needs a capacity: people wait once it is reached.",
        ));
    }
    let mut placed: Vec<(usize, Scheduled)> = Vec::new();
    for (i, s) in plan.sessions.iter().enumerate() {
        let field = |f: &str| format!("sessions[{i}].{f}");
        let title = session_title(plan, s);
        if title.chars().count() > TITLE_MAX {
            out.push(problem(
                field("titleSuffix"),
                format!(
                    "\"{title}\" has {} characters; Teams takes at most {TITLE_MAX}.",
                    title.chars().count()
                ),
            ));
        }
        if s.duration_minutes == 0 {
            out.push(problem(
                field("duration"),
                "A session must end after it starts.",
            ));
        } else if s.duration_minutes > DURATION_MAX_MINUTES {
            out.push(problem(
                field("duration"),
                "A session can last at most 24 hours.",
            ));
        }
        if plan.sessions[..i].iter().any(|o| o.n == s.n) {
            out.push(problem(
                field("n"),
                format!("Session number {} is used twice.", s.n),
            ));
        }
        // A canceled session keeps its place in the list but no longer holds its time.
        let Some(tz) = tz.filter(|_| !s.canceled) else {
            continue;
        };
        match schedule(tz, s) {
            Err(m) => out.push(problem(field("start"), m)),
            Ok(at) => {
                if at.start <= now {
                    out.push(problem(
                        field("start"),
                        format!("Session {} starts in the past.", s.n),
                    ));
                }
                placed.push((i, at));
            }
        }
    }
    placed.sort_by_key(|(_, at)| at.start);
    for pair in placed.windows(2) {
        let ((a, at_a), (b, at_b)) = (pair[0], pair[1]);
        if at_b.start < at_a.end && s_duration(plan, a) > 0 && s_duration(plan, b) > 0 {
            out.push(problem(
                format!("sessions[{b}].start"),
                format!(
                    "Session {} overlaps session {}.",
                    plan.sessions[b].n, plan.sessions[a].n
                ),
            ));
        }
    }
    out
}

/// The problems with an edit of a series already in Teams: as for a new plan, except that a
/// session already in the past may stay there as long as the edit does not move it, and a
/// series whose sessions are all canceled is allowed (that is canceling the series).
pub fn validate_edit(before: &SeriesPlan, after: &SeriesPlan, now: DateTime<Utc>) -> Vec<Problem> {
    validate(after, now)
        .into_iter()
        .filter(|p| {
            if p.field == "sessions" && after.sessions.iter().all(|s| s.canceled) {
                return after.sessions.is_empty();
            }
            let Some(i) = p
                .field
                .strip_prefix("sessions[")
                .and_then(|f| f.strip_suffix("].start"))
                .and_then(|i| i.parse::<usize>().ok())
            else {
                return true;
            };
            let s = &after.sessions[i];
            let unmoved = before.sessions.iter().any(|b| {
                b.n == s.n
                    && b.date == s.date
                    && b.start == s.start
                    && b.duration_minutes == s.duration_minutes
            });
            !(unmoved && p.message.ends_with("starts in the past."))
        })
        .collect()
}

fn same_question(a: &Question, b: &Question) -> bool {
    match (a, b) {
        (Question::Custom { text: x, .. }, Question::Custom { text: y, .. }) => {
            x.trim().eq_ignore_ascii_case(y.trim())
        }
        (Question::Predefined { label: x, .. }, Question::Predefined { label: y, .. }) => x == y,
        _ => false,
    }
}

fn s_duration(plan: &SeriesPlan, i: usize) -> u32 {
    plan.sessions[i].duration_minutes
}

/// A fresh series id (a UUID: unique across computers, short enough for Teams' tag).
pub fn new_series_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The tag of session `n` in Teams (`externalEventId`).
pub fn tag(series_id: &str, n: u32) -> String {
    format!("{series_id}:{n}")
}

/// What the journal knows of one session of a publish in progress.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionProgress {
    pub n: u32,
    /// Known once a create answered (or a webinar was adopted).
    pub webinar_id: Option<String>,
    /// A create was sent and its answer was lost: look before creating again.
    pub create_unknown: bool,
    pub tagged: bool,
    /// The series' registration questions were added.
    pub questions: bool,
    /// The series' registration settings were set.
    pub settings: bool,
    pub published: bool,
    pub canceled: bool,
}

/// One of my webinars as Teams lists it, with what we need to recognise ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteWebinar {
    pub id: String,
    pub external_event_id: Option<String>,
    pub display_name: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// `draft`, `published`, `canceled`, or a later value.
    pub status: String,
}

/// One step of a publish or a rollback, in the order to perform them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Take an existing webinar as session `n` (found by its tag, or as the untagged draft a
    /// lost create left behind).
    Adopt {
        n: u32,
        webinar_id: String,
    },
    Create {
        n: u32,
    },
    /// `webinar_id` is `None` for a session created earlier in the same run: the executor uses
    /// the id that create answered with.
    Tag {
        n: u32,
        webinar_id: Option<String>,
    },
    /// Add the series' registration questions that the webinar does not ask yet.
    Questions {
        n: u32,
        webinar_id: Option<String>,
    },
    /// Set the series' registration settings (capacity, approval, waitlist).
    Settings {
        n: u32,
        webinar_id: Option<String>,
    },
    Publish {
        n: u32,
        webinar_id: Option<String>,
    },
    /// Rollback: there is no DELETE, so a webinar we made is canceled.
    Cancel {
        n: Option<u32>,
        webinar_id: String,
    },
    MarkPublished,
}

/// The steps that finish publishing `plan`, given the journal's progress and my webinars in
/// Teams now. Creating comes first for every session, then tagging, then publishing, so a
/// failure leaves nothing published that has to be withdrawn from attendees' view.
pub fn publish_steps(
    plan: &SeriesPlan,
    progress: &[SessionProgress],
    remote: &[RemoteWebinar],
    tz: Tz,
) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut ids: Vec<(u32, Option<String>, bool, bool, bool, bool)> = Vec::new();
    for s in &plan.sessions {
        let p = progress.iter().find(|p| p.n == s.n);
        // A canceled webinar is gone for good (cancel is permanent): never adopted again.
        let tagged_remote = remote.iter().find(|r| {
            r.status != "canceled"
                && r.external_event_id.as_deref() == Some(tag(&plan.id, s.n).as_str())
        });
        let known = p.and_then(|p| p.webinar_id.clone());
        let (id, tagged, published) = match (known, tagged_remote) {
            (Some(id), _) => {
                // The journal may lag behind Teams (a crash after the call): Teams wins.
                let there = remote.iter().find(|r| r.id == id);
                let tagged = p.is_some_and(|p| p.tagged)
                    || there.is_some_and(|r| {
                        r.external_event_id.as_deref() == Some(tag(&plan.id, s.n).as_str())
                    });
                let published = p.is_some_and(|p| p.published)
                    || there.is_some_and(|r| r.status == "published");
                (Some(id), tagged, published)
            }
            (None, Some(r)) => {
                steps.push(Step::Adopt {
                    n: s.n,
                    webinar_id: r.id.clone(),
                });
                (Some(r.id.clone()), true, r.status == "published")
            }
            (None, None) => {
                // A lost create may have left an untagged draft: same title and times, ours.
                let lost = p.is_some_and(|p| p.create_unknown);
                let orphan = lost.then(|| untagged_draft(plan, s, remote, tz)).flatten();
                match orphan {
                    Some(r) => {
                        steps.push(Step::Adopt {
                            n: s.n,
                            webinar_id: r.id.clone(),
                        });
                        (Some(r.id.clone()), false, false)
                    }
                    None => {
                        steps.push(Step::Create { n: s.n });
                        (None, false, false)
                    }
                }
            }
        };
        let questions = published || p.is_some_and(|p| p.questions && p.webinar_id == id);
        let settings = published || p.is_some_and(|p| p.settings && p.webinar_id == id);
        ids.push((s.n, id, tagged, questions, settings, published));
    }
    for (n, id, tagged, _, _, _) in &ids {
        match id {
            Some(_) if *tagged => {}
            _ => steps.push(Step::Tag {
                n: *n,
                webinar_id: id.clone(),
            }),
        }
    }
    if !plan.questions.is_empty() {
        for (n, id, _, questions, _, _) in &ids {
            if !questions {
                steps.push(Step::Questions {
                    n: *n,
                    webinar_id: id.clone(),
                });
            }
        }
    }
    if !plan.registration.is_default() {
        for (n, id, _, _, settings, _) in &ids {
            if !settings {
                steps.push(Step::Settings {
                    n: *n,
                    webinar_id: id.clone(),
                });
            }
        }
    }
    for (n, id, _, _, _, published) in &ids {
        if !published {
            steps.push(Step::Publish {
                n: *n,
                webinar_id: id.clone(),
            });
        }
    }
    steps.push(Step::MarkPublished);
    steps
}

fn untagged_draft<'a>(
    plan: &SeriesPlan,
    s: &PlannedSession,
    remote: &'a [RemoteWebinar],
    tz: Tz,
) -> Option<&'a RemoteWebinar> {
    let at = schedule(tz, s).ok()?;
    let title = session_title(plan, s);
    let mut matches = remote.iter().filter(|r| {
        r.external_event_id.is_none()
            && r.status == "draft"
            && r.display_name == title
            && r.start == at.start
            && r.end == at.end
    });
    let first = matches.next()?;
    // Two identical drafts: we cannot tell which is ours; create afresh and report both.
    matches.next().is_none().then_some(first)
}

/// The steps that undo a failed publish: cancel every webinar we made or adopted that is not
/// canceled yet, any webinar in Teams carrying this series' tag that the journal does not
/// know, and the untagged draft a lost create left (when exactly one matches).
pub fn rollback_steps(
    plan: &SeriesPlan,
    progress: &[SessionProgress],
    remote: &[RemoteWebinar],
    tz: Tz,
) -> Vec<Step> {
    let series_id = plan.id.as_str();
    let mut steps = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for p in progress {
        if let Some(id) = &p.webinar_id {
            seen.insert(id.clone());
            let canceled_remote = remote.iter().any(|r| &r.id == id && r.status == "canceled");
            if !p.canceled && !canceled_remote {
                steps.push(Step::Cancel {
                    n: Some(p.n),
                    webinar_id: id.clone(),
                });
            }
        }
    }
    let prefix = format!("{series_id}:");
    for r in remote {
        let ours = r
            .external_event_id
            .as_deref()
            .is_some_and(|e| e.starts_with(&prefix));
        if ours && !seen.contains(&r.id) && r.status != "canceled" {
            let n = r
                .external_event_id
                .as_deref()
                .and_then(|e| e.strip_prefix(&prefix))
                .and_then(|n| n.parse().ok());
            seen.insert(r.id.clone());
            steps.push(Step::Cancel {
                n,
                webinar_id: r.id.clone(),
            });
        }
    }
    for p in progress
        .iter()
        .filter(|p| p.create_unknown && p.webinar_id.is_none())
    {
        let Some(s) = plan.sessions.iter().find(|s| s.n == p.n) else {
            continue;
        };
        if let Some(r) = untagged_draft(plan, s, remote, tz)
            && seen.insert(r.id.clone())
        {
            steps.push(Step::Cancel {
                n: Some(p.n),
                webinar_id: r.id.clone(),
            });
        }
    }
    steps
}

/// Where each session stands, read from the journal (oldest entry first). A cancel ends a
/// session's webinar for good: publishing again creates a new one.
pub fn progress(entries: &[crate::store::JournalEntry]) -> Vec<SessionProgress> {
    use crate::store::Phase;
    let mut by_n: std::collections::BTreeMap<u32, SessionProgress> = Default::default();
    for e in entries {
        let Some(n) = e.n else { continue };
        let p = by_n.entry(n).or_insert_with(|| SessionProgress {
            n,
            ..SessionProgress::default()
        });
        match (e.action.as_str(), e.phase) {
            ("create" | "adopt", Phase::Done) => {
                *p = SessionProgress {
                    n,
                    webinar_id: e.target.clone(),
                    ..SessionProgress::default()
                }
            }
            // An intent with no outcome after it is a call cut short (a crash): as unknown.
            ("create", Phase::Intent | Phase::Unknown) => p.create_unknown = true,
            ("create", Phase::Failed) => p.create_unknown = false,
            ("tag", Phase::Done) => p.tagged = true,
            ("questions", Phase::Done) => p.questions = true,
            ("settings", Phase::Done) => p.settings = true,
            ("publish", Phase::Done) => p.published = true,
            ("cancel", Phase::Done) => {
                *p = SessionProgress {
                    n,
                    canceled: true,
                    ..SessionProgress::default()
                }
            }
            _ => {}
        }
    }
    by_n.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }
    fn t(s: &str) -> NaiveTime {
        NaiveTime::parse_from_str(s, "%H:%M").unwrap()
    }
    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn plan(sessions: Vec<PlannedSession>) -> SeriesPlan {
        SeriesPlan {
            id: "5b1d".into(),
            title: "Data Literacy".into(),
            description_html: "<p>Charts</p>".into(),
            audience: Audience::Organization,
            co_organizers: vec![],
            time_zone: "Europe/Berlin".into(),
            attendee_emails: true,
            sessions,
            questions: vec![],
            registration: Default::default(),
        }
    }

    fn weekly(n: u32) -> Vec<PlannedSession> {
        generate(
            d("2027-03-02"),
            t("14:00"),
            60,
            Recurrence::Weekly { every_weeks: 1 },
            Until::Count(n),
            1,
        )
        .unwrap()
    }

    #[test]
    fn weekly_fortnightly_and_until_a_date() {
        let s = weekly(3);
        assert_eq!(
            s.iter().map(|s| s.date).collect::<Vec<_>>(),
            [d("2027-03-02"), d("2027-03-09"), d("2027-03-16")]
        );
        assert_eq!(s[2].title_suffix, "Session 3");
        let s = generate(
            d("2027-03-02"),
            t("14:00"),
            60,
            Recurrence::Weekly { every_weeks: 2 },
            Until::EndDate(d("2027-04-13")),
            1,
        )
        .unwrap();
        assert_eq!(s.len(), 4, "{s:?}");
        assert_eq!(
            s.last().unwrap().date,
            d("2027-04-13"),
            "the end date is inclusive"
        );
    }

    #[test]
    fn monthly_on_the_nth_or_last_weekday() {
        let second_tuesdays = generate(
            d("2027-01-01"),
            t("10:00"),
            45,
            Recurrence::MonthlyOnWeekday {
                week: Some(2),
                weekday: Weekday::Tue,
            },
            Until::Count(3),
            1,
        )
        .unwrap();
        assert_eq!(
            second_tuesdays.iter().map(|s| s.date).collect::<Vec<_>>(),
            [d("2027-01-12"), d("2027-02-09"), d("2027-03-09")]
        );
        let last_fridays = generate(
            d("2027-01-30"),
            t("10:00"),
            45,
            Recurrence::MonthlyOnWeekday {
                week: None,
                weekday: Weekday::Fri,
            },
            Until::EndDate(d("2027-04-30")),
            1,
        )
        .unwrap();
        assert_eq!(
            last_fridays.iter().map(|s| s.date).collect::<Vec<_>>(),
            [d("2027-02-26"), d("2027-03-26"), d("2027-04-30")],
            "January's last Friday (29th) is before the first date"
        );
    }

    #[test]
    fn impossible_recurrences_say_why() {
        let g = |r, u| generate(d("2027-03-02"), t("14:00"), 60, r, u, 1);
        assert_eq!(
            g(Recurrence::Weekly { every_weeks: 0 }, Until::Count(2)),
            Err(RecurrenceError::BadInterval)
        );
        assert_eq!(
            g(
                Recurrence::Weekly { every_weeks: 1 },
                Until::EndDate(d("2027-03-01"))
            ),
            Err(RecurrenceError::EndBeforeStart(d("2027-03-01")))
        );
        assert!(matches!(
            g(Recurrence::Weekly { every_weeks: 1 }, Until::Count(500)),
            Err(RecurrenceError::TooMany(_))
        ));
        assert_eq!(
            g(Recurrence::Weekly { every_weeks: 1 }, Until::Count(0)),
            Err(RecurrenceError::None)
        );
    }

    #[test]
    fn a_sound_plan_has_no_problems_and_maps_its_zone_to_windows() {
        let p = plan(weekly(6));
        assert_eq!(validate(&p, utc("2027-01-01T00:00:00Z")), vec![]);
        assert_eq!(zones("Europe/Berlin").unwrap().1, "W. Europe Standard Time");
        assert_eq!(
            zones("America/Los_Angeles").unwrap().1,
            "Pacific Standard Time"
        );
        assert_eq!(
            session_title(&p, &p.sessions[1]),
            "Data Literacy — Session 2"
        );
    }

    #[test]
    fn each_kind_of_problem_is_named_for_its_field() {
        let now = utc("2027-03-05T00:00:00Z");
        let mut sessions = weekly(3);
        sessions[1].duration_minutes = 0;
        // Overlaps session 1 (14:00–15:00 on 2 March) by starting at 14:30 the same day.
        sessions[2].date = d("2027-03-02");
        sessions[2].start = t("14:30");
        let mut p = plan(sessions);
        p.title = " ".into();
        let problems = validate(&p, now);
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        for expected in [
            "title",
            "sessions[1].duration",
            "sessions[0].start",
            "sessions[2].start",
        ] {
            assert!(
                fields.contains(&expected),
                "{expected} missing: {problems:#?}"
            );
        }
        assert!(
            problems
                .iter()
                .any(|p| p.message == "Session 3 overlaps session 1."),
            "{problems:#?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.message == "Session 1 starts in the past.")
        );

        let mut p = plan(vec![]);
        p.time_zone = "Mars/Olympus".into();
        let fields: Vec<String> = validate(&p, now).into_iter().map(|p| p.field).collect();
        assert_eq!(fields, ["timeZone", "sessions"]);
    }

    #[test]
    fn a_time_lost_to_daylight_saving_is_refused_not_shifted() {
        // Berlin skips 02:00–03:00 on 28 March 2027.
        let mut s = weekly(1);
        s[0].date = d("2027-03-28");
        s[0].start = t("02:30");
        let problems = validate(&plan(s), utc("2027-01-01T00:00:00Z"));
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert!(
            problems[0].message.contains("clocks change"),
            "{problems:#?}"
        );
    }

    #[test]
    fn titles_too_long_for_teams_are_caught() {
        let mut p = plan(weekly(1));
        p.title = "x".repeat(250);
        let problems = validate(&p, utc("2027-01-01T00:00:00Z"));
        assert_eq!(problems[0].field, "sessions[0].titleSuffix");
    }

    fn berlin() -> Tz {
        "Europe/Berlin".parse().unwrap()
    }

    fn remote(
        id: &str,
        tag: Option<&str>,
        title: &str,
        at: Scheduled,
        status: &str,
    ) -> RemoteWebinar {
        RemoteWebinar {
            id: id.into(),
            external_event_id: tag.map(str::to_string),
            display_name: title.into(),
            start: at.start,
            end: at.end,
            status: status.into(),
        }
    }

    #[test]
    fn a_fresh_publish_creates_all_then_tags_all_then_publishes_all() {
        let p = plan(weekly(2));
        let steps = publish_steps(&p, &[], &[], berlin());
        assert_eq!(
            steps,
            [
                Step::Create { n: 1 },
                Step::Create { n: 2 },
                Step::Tag {
                    n: 1,
                    webinar_id: None
                },
                Step::Tag {
                    n: 2,
                    webinar_id: None
                },
                Step::Publish {
                    n: 1,
                    webinar_id: None
                },
                Step::Publish {
                    n: 2,
                    webinar_id: None
                },
                Step::MarkPublished,
            ]
        );
    }

    #[test]
    fn questions_are_added_after_tagging_and_before_publishing_each_once() {
        let mut p = plan(weekly(2));
        p.questions = vec![
            Question::Custom {
                text: "Which team?".into(),
                answer: "singleChoice".into(),
                choices: vec!["Sales".into(), "Support".into()],
                required: true,
            },
            Question::Predefined {
                label: "jobTitle".into(),
                required: false,
            },
        ];
        let progress = [SessionProgress {
            n: 1,
            webinar_id: Some("w1".into()),
            tagged: true,
            questions: true,
            ..SessionProgress::default()
        }];
        let steps = publish_steps(&p, &progress, &[], berlin());
        assert_eq!(
            steps,
            [
                Step::Create { n: 2 },
                Step::Tag {
                    n: 2,
                    webinar_id: None
                },
                Step::Questions {
                    n: 2,
                    webinar_id: None
                },
                Step::Publish {
                    n: 1,
                    webinar_id: Some("w1".into())
                },
                Step::Publish {
                    n: 2,
                    webinar_id: None
                },
                Step::MarkPublished,
            ]
        );
        assert!(
            validate(&p, utc("2027-01-01T00:00:00Z")).is_empty(),
            "{:?}",
            validate(&p, utc("2027-01-01T00:00:00Z"))
        );
        p.questions.push(Question::Custom {
            text: " which team? ".into(),
            answer: "multiChoice".into(),
            choices: vec!["Only one".into()],
            required: false,
        });
        p.questions.push(Question::Predefined {
            label: "shoeSize".into(),
            required: false,
        });
        let messages: Vec<_> = validate(&p, utc("2027-01-01T00:00:00Z"))
            .into_iter()
            .map(|p| format!("{}: {}", p.field, p.message))
            .collect();
        assert_eq!(
            messages,
            [
                "questions[2]: Give at least two choices.",
                "questions[2]: This question is asked twice.",
                "questions[3]: 'shoeSize' is not one of Teams' predefined questions."
            ]
        );
    }

    #[test]
    fn resuming_skips_what_is_done_and_adopts_what_teams_already_has() {
        let p = plan(weekly(3));
        let progress = [SessionProgress {
            n: 1,
            webinar_id: Some("w1".into()),
            tagged: true,
            published: true,
            ..SessionProgress::default()
        }];
        let at2 = schedule(berlin(), &p.sessions[1]).unwrap();
        // Session 2 was created and tagged, but the journal never heard (crash).
        let teams = [remote(
            "w2",
            Some("5b1d:2"),
            "Data Literacy — Session 2",
            at2,
            "draft",
        )];
        let steps = publish_steps(&p, &progress, &teams, berlin());
        assert_eq!(
            steps,
            [
                Step::Adopt {
                    n: 2,
                    webinar_id: "w2".into()
                },
                Step::Create { n: 3 },
                Step::Tag {
                    n: 3,
                    webinar_id: None
                },
                Step::Publish {
                    n: 2,
                    webinar_id: Some("w2".into())
                },
                Step::Publish {
                    n: 3,
                    webinar_id: None
                },
                Step::MarkPublished,
            ]
        );
    }

    #[test]
    fn a_lost_create_adopts_the_untagged_draft_it_left_but_never_guesses_between_two() {
        let p = plan(weekly(1));
        let at = schedule(berlin(), &p.sessions[0]).unwrap();
        let lost = [SessionProgress {
            n: 1,
            create_unknown: true,
            ..SessionProgress::default()
        }];
        let title = "Data Literacy — Session 1";
        let one = [remote("w9", None, title, at, "draft")];
        assert_eq!(
            publish_steps(&p, &lost, &one, berlin())[..2],
            [
                Step::Adopt {
                    n: 1,
                    webinar_id: "w9".into()
                },
                Step::Tag {
                    n: 1,
                    webinar_id: Some("w9".into())
                },
            ]
        );
        let two = [
            remote("w9", None, title, at, "draft"),
            remote("w8", None, title, at, "draft"),
        ];
        assert_eq!(
            publish_steps(&p, &lost, &two, berlin())[0],
            Step::Create { n: 1 }
        );
        // Without a lost create, a look-alike draft is someone else's: never adopted.
        assert_eq!(
            publish_steps(&p, &[], &one, berlin())[0],
            Step::Create { n: 1 }
        );
    }

    #[test]
    fn rollback_cancels_what_we_made_and_tagged_strays_but_nothing_twice() {
        let at = Scheduled {
            start: utc("2027-03-02T13:00:00Z"),
            end: utc("2027-03-02T14:00:00Z"),
        };
        let progress = [
            SessionProgress {
                n: 1,
                webinar_id: Some("w1".into()),
                tagged: true,
                ..SessionProgress::default()
            },
            SessionProgress {
                n: 2,
                canceled: true,
                ..SessionProgress::default()
            },
            SessionProgress {
                n: 3,
                create_unknown: true,
                ..SessionProgress::default()
            },
        ];
        let teams = [
            remote("w1", Some("5b1d:1"), "a", at, "draft"),
            remote("w3", Some("5b1d:3"), "c", at, "draft"),
            remote("w4", Some("other:1"), "d", at, "draft"),
            remote("w5", Some("5b1d:5"), "e", at, "canceled"),
        ];
        assert_eq!(
            rollback_steps(&plan(weekly(3)), &progress, &teams, berlin()),
            [
                Step::Cancel {
                    n: Some(1),
                    webinar_id: "w1".into()
                },
                Step::Cancel {
                    n: Some(3),
                    webinar_id: "w3".into()
                },
            ]
        );
    }
}
