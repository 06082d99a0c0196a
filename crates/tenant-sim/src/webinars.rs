//! The simulated tenant's webinars: the data model, the seeded demo data, and the v1.0 JSON
//! shape they are served in (`virtualEventWebinar`, `virtualEventSession`).
//!
//! Invariants: every webinar has exactly one session (as Graph-created webinars do); times are
//! stored as wall-clock times in the organizer's Windows time zone, as Teams keeps them; the JSON
//! produced validates against the v1.0 schema in `shared/reference`.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use serde_json::{Value, json};

use crate::directory::{ACCOUNTS, DemoAccount, TENANT_ID};
use crate::people::{
    self, Crowd, Question, QuestionKind, Record, Registrant, RegistrationConfig, Report,
};

#[derive(Debug, Clone, PartialEq)]
pub struct Webinar {
    pub id: String,
    pub display_name: String,
    pub description: String,
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    /// Windows time zone name, as Graph uses.
    pub time_zone: String,
    /// `draft`, `published` or `canceled`.
    pub status: String,
    /// `everyone` or `organization`.
    pub audience: String,
    pub organizer: String,
    pub co_organizers: Vec<String>,
    pub attendee_emails: bool,
    pub external_ids: Vec<String>,
    pub session_id: String,
    pub registration: RegistrationConfig,
    pub questions: Vec<Question>,
    pub registrants: Vec<Registrant>,
    /// Every attendance report, oldest first (a restarted meeting adds one).
    pub reports: Vec<Report>,
}

/// Zones the seeded organizers work in, with their UTC offset in winter (the generator only
/// needs plausible local times; exact conversion is the client's job).
const ZONES: &[&str] = &[
    "W. Europe Standard Time",
    "GMT Standard Time",
    "Pacific Standard Time",
    "Eastern Standard Time",
];

const TOPICS: &[(&str, &str)] = &[
    (
        "Power BI for Marketing",
        "Dashboards your campaign team will actually open.",
    ),
    (
        "Onboarding Essentials",
        "Everything a new colleague needs in week one.",
    ),
    (
        "Security Awareness",
        "Phishing, passwords and the habits that stop breaches.",
    ),
    (
        "Customer Success Office Hours",
        "Bring your hardest account questions.",
    ),
    (
        "Copilot in Practice",
        "Real prompts from real teams, with results.",
    ),
    (
        "Sustainability Reporting",
        "What the new disclosure rules mean for us.",
    ),
    (
        "Partner Enablement",
        "Selling the new licensing model, step by step.",
    ),
    (
        "Data Literacy",
        "Reading charts without being fooled by them.",
    ),
    (
        "Accessibility by Design",
        "Building documents and meetings everyone can use.",
    ),
    (
        "Leadership Fireside",
        "An open conversation with the leadership team.",
    ),
];

use people::guid;

/// How long after a meeting ends its attendance report appears (seeded data).
pub const REPORT_DELAY: Duration = Duration::minutes(10);

/// A wall-clock time in a Windows (or IANA) zone as an instant; the first of two in a repeated
/// hour, and the hour after a gap.
pub fn to_utc(local: &NaiveDateTime, zone: &str) -> DateTime<Utc> {
    let tz: Tz = zone
        .parse::<Tz>()
        .ok()
        .or_else(|| {
            zone.parse::<windows_timezones::WindowsTimezone>()
                .ok()
                .map(Tz::from)
        })
        .unwrap_or(Tz::UTC);
    match tz.from_local_datetime(local) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
        LocalResult::None => tz
            .from_local_datetime(&(*local + Duration::hours(1)))
            .earliest()
            .map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc)),
    }
}

/// Believable webinars for the demo accounts: a few series for the organizer across past and
/// future weeks, some she co-organizes for Adele, a few canceled and a few drafts.
pub fn seed(seed: u64, now: DateTime<Utc>) -> Vec<Webinar> {
    let mut rng = StdRng::seed_from_u64(seed);
    let organizer = &ACCOUNTS[0];
    let co = &ACCOUNTS[1];
    let mut out = Vec::new();
    // Monday of this week, 00:00 (UTC; used as a wall-clock anchor).
    let today = now.date_naive();
    let monday = today - Duration::days(today.weekday().num_days_from_monday() as i64);
    let mut add = |rng: &mut StdRng,
                   owner: &DemoAccount,
                   co_owner: Option<&DemoAccount>,
                   topic: usize,
                   n: usize,
                   week: i64| {
        let (title, blurb) = TOPICS[topic % TOPICS.len()];
        let zone = ZONES[topic % ZONES.len()];
        let day = monday + Duration::days(week * 7 + (topic as i64 % 4) + 1);
        let hour = [9u32, 10, 14, 16][topic % 4];
        let start = day.and_hms_opt(hour, 0, 0).expect("valid time");
        let minutes = [45i64, 60, 60, 90][rng.gen_range(0..4)];
        let past = week < 0;
        let status = if !past && rng.gen_bool(0.15) {
            "draft"
        } else if rng.gen_bool(0.08) {
            "canceled"
        } else {
            "published"
        };
        out.push(Webinar {
            id: format!("{}@{TENANT_ID}", guid(rng)),
            display_name: format!("{title} — Session {n}"),
            description: format!("{blurb} Part {n} of the {title} series."),
            start,
            end: start + Duration::minutes(minutes),
            time_zone: zone.to_string(),
            status: status.to_string(),
            audience: if topic.is_multiple_of(3) {
                "everyone"
            } else {
                "organization"
            }
            .to_string(),
            organizer: owner.object_id.to_string(),
            co_organizers: co_owner
                .map(|c| vec![c.object_id.to_string()])
                .unwrap_or_default(),
            attendee_emails: rng.gen_bool(0.8),
            external_ids: Vec::new(),
            session_id: guid(rng),
            registration: RegistrationConfig {
                capacity: Some(300),
                manual_approval: false,
                waitlist: false,
            },
            questions: Vec::new(),
            registrants: Vec::new(),
            reports: Vec::new(),
        });
    };
    // Megan's series: 5 topics × 6 sessions, weekly or fortnightly, from 14 weeks ago onward.
    for topic in 0..5 {
        let first_week = -14 + (topic as i64) * 3;
        let every = if topic % 2 == 0 { 1 } else { 2 };
        for n in 1..=6 {
            let co_owner = if topic % 2 == 1 { Some(co) } else { None };
            add(
                &mut rng,
                organizer,
                co_owner,
                topic,
                n,
                first_week + (n as i64 - 1) * every,
            );
        }
    }
    // Adele's series, Megan co-organizes: 2 topics × 5 sessions.
    for topic in 5..7 {
        for n in 1..=5 {
            add(
                &mut rng,
                co,
                Some(organizer),
                topic,
                n,
                -6 + (topic as i64 - 5) * 4 + (n as i64 - 1) * 2,
            );
        }
    }
    // Lee's single community webinars.
    for n in 1..=3 {
        add(&mut rng, &ACCOUNTS[2], None, 7, n, -2 + n as i64 * 3);
    }
    // Registrations and attendance, from their own stream so adding webinars above does not
    // reshuffle every person below.
    // Each series has its audience, so its regulars show up in session after session.
    let mut people_rng = StdRng::seed_from_u64(seed ^ 0x5EED_0F9E_091E);
    let mut audiences: std::collections::HashMap<String, Vec<people::Person>> = Default::default();
    for w in &mut out {
        let size = people_rng.gen_range(12..90);
        let crowd = Crowd {
            registrations: size,
            records: size * 3 / 4,
        };
        let series = w
            .display_name
            .split(" — ")
            .next()
            .unwrap_or_default()
            .to_string();
        let audience = audiences
            .entry(series)
            .or_insert_with(|| people::audience(&mut people_rng, 150));
        w.populate(&mut people_rng, crowd, Some(audience), now, REPORT_DELAY);
        if w.status == "published" && w.reports.len() == 1 && people_rng.gen_bool(0.1) {
            // The organizer rejoined after everyone left: Teams produces a second report.
            w.restart_meeting(&mut people_rng, Duration::minutes(12), REPORT_DELAY);
        }
    }
    out
}

fn graph_time(t: &NaiveDateTime) -> String {
    // Graph writes seven fractional digits; chrono has no 7-digit specifier, and the seeded
    // times are whole seconds.
    format!("{}.0000000", t.format("%Y-%m-%dT%H:%M:%S"))
}

fn identity(object_id: &str) -> Value {
    let account = ACCOUNTS.iter().find(|a| a.object_id == object_id);
    json!({
        "id": object_id,
        "displayName": account.map(|a| a.display_name).unwrap_or("Unknown user"),
        "tenantId": TENANT_ID,
    })
}

impl Webinar {
    /// A new draft as a create makes it: one session, default registration settings, nobody
    /// registered yet.
    #[allow(clippy::too_many_arguments)]
    pub fn new_draft(
        rng: &mut StdRng,
        organizer: &str,
        display_name: &str,
        description: &str,
        start: NaiveDateTime,
        end: NaiveDateTime,
        time_zone: &str,
        audience: &str,
    ) -> Webinar {
        Webinar {
            id: format!("{}@{TENANT_ID}", guid(rng)),
            display_name: display_name.to_string(),
            description: description.to_string(),
            start,
            end,
            time_zone: time_zone.to_string(),
            status: "draft".into(),
            audience: audience.to_string(),
            organizer: organizer.to_string(),
            co_organizers: Vec::new(),
            attendee_emails: true,
            external_ids: Vec::new(),
            session_id: guid(rng),
            registration: RegistrationConfig {
                capacity: Some(1000),
                manual_approval: false,
                waitlist: false,
            },
            questions: Vec::new(),
            registrants: Vec::new(),
            reports: Vec::new(),
        }
    }

    /// A draft in UTC (generated series).
    pub fn draft(
        rng: &mut StdRng,
        organizer: &str,
        display_name: &str,
        start: DateTime<Utc>,
        length: Duration,
    ) -> Webinar {
        Webinar::new_draft(
            rng,
            organizer,
            display_name,
            "Generated by the simulated tenant.",
            start.naive_utc(),
            (start + length).naive_utc(),
            "UTC",
            "organization",
        )
    }

    pub fn start_utc(&self) -> DateTime<Utc> {
        to_utc(&self.start, &self.time_zone)
    }
    pub fn end_utc(&self) -> DateTime<Utc> {
        to_utc(&self.end, &self.time_zone)
    }

    /// Gives the webinar questions and registrations and, if it ended before `now` and was
    /// not canceled or a draft, an attendance report.
    pub fn populate(
        &mut self,
        rng: &mut StdRng,
        crowd: Crowd,
        audience: Option<&[people::Person]>,
        now: DateTime<Utc>,
        delay: Duration,
    ) {
        if self.status == "draft" {
            return;
        }
        self.questions = people::questions(rng);
        let people = match audience {
            Some(a) => people::session_crowd(rng, a, crowd.registrations),
            None => people::audience(rng, crowd.registrations),
        };
        self.registrants =
            people::registrations(rng, &self.questions, &people, self.start_utc(), now);
        let (start, end) = (self.start_utc(), self.end_utc());
        if self.status == "published" && end <= now {
            self.reports.push(people::report(
                rng,
                &self.registrants,
                &self.organizer,
                crowd.records,
                start,
                end,
                delay,
            ));
        }
    }

    /// The meeting was started again after it ended: a second, shorter report follows.
    pub fn restart_meeting(&mut self, rng: &mut StdRng, length: Duration, delay: Duration) {
        let start = self
            .reports
            .last()
            .map_or_else(|| self.end_utc(), |r| r.meeting_end)
            + Duration::minutes(3);
        let returning: Vec<Registrant> = self
            .registrants
            .iter()
            .filter(|_| rng.gen_bool(0.2))
            .cloned()
            .collect();
        let records = returning.len().max(1);
        self.reports.push(people::report(
            rng,
            &returning,
            &self.organizer,
            records,
            start,
            start + length,
            delay,
        ));
    }

    /// True if `user` may see registrations and attendance (organizer or co-organizer).
    pub fn is_privileged(&self, user: &str) -> bool {
        self.organizer == user || self.co_organizers.iter().any(|c| c == user)
    }

    /// True if the user organizes or co-organizes this webinar.
    pub fn has_role(&self, user: &str, role: &str) -> bool {
        match role {
            "organizer" => self.organizer == user,
            "coOrganizer" => self.co_organizers.iter().any(|c| c == user),
            _ => false,
        }
    }

    pub fn join_web_url(&self) -> String {
        format!(
            "https://teams.microsoft.com/l/meetup-join/19%3ameeting_{}%40thread.v2/0",
            self.session_id
        )
    }

    /// The `virtualEventWebinar` JSON; `externalEventInformation` only for (co-)organizers.
    pub fn to_json(&self, viewer: &str, app_id: &str) -> Value {
        let privileged = self.organizer == viewer || self.co_organizers.iter().any(|c| c == viewer);
        let external: Value = if privileged {
            Value::Array(
                self.external_ids
                    .iter()
                    .map(|e| json!({"applicationId": app_id, "externalEventId": e}))
                    .collect(),
            )
        } else {
            Value::Null
        };
        json!({
            "id": self.id,
            "status": self.status,
            "displayName": self.display_name,
            "description": {"contentType": "text", "content": self.description},
            "startDateTime": {"dateTime": graph_time(&self.start), "timeZone": self.time_zone},
            "endDateTime": {"dateTime": graph_time(&self.end), "timeZone": self.time_zone},
            "audience": self.audience,
            "isRegistrationRequired": true,
            "createdBy": {"application": null, "device": null, "user": identity(&self.organizer)},
            "coOrganizers": self.co_organizers.iter().map(|c| identity(c)).collect::<Vec<_>>(),
            "settings": {"isAttendeeEmailNotificationEnabled": self.attendee_emails},
            "externalEventInformation": external,
        })
    }

    /// `virtualEventWebinarRegistrationConfiguration`.
    pub fn registration_configuration_json(&self) -> Value {
        json!({
            "id": self.id,
            "capacity": self.registration.capacity,
            "isManualApprovalEnabled": self.registration.manual_approval,
            "isWaitlistEnabled": self.registration.waitlist,
            "registrationWebUrl": format!(
                "https://events.teams.microsoft.com/event/{}@{TENANT_ID}",
                self.session_id
            ),
        })
    }

    /// The full `virtualEventSession`, as a GET of one session returns it.
    pub fn session_full_json(&self) -> Value {
        let mut s = self.session_json();
        s["videoOnDemandWebUrl"] = Value::Null;
        s["capacity"] = json!(self.registration.capacity);
        s["allowAttendeeToEnableCamera"] = json!(true);
        s["allowAttendeeToEnableMic"] = json!(true);
        s["allowMeetingChat"] = json!("enabled");
        s["allowRecording"] = json!(true);
        s["allowTranscription"] = json!(true);
        s["allowedPresenters"] = json!("organizer");
        s["isEntryExitAnnounced"] = json!(false);
        s["recordAutomatically"] = json!(false);
        s["meetingType"] = Value::Null;
        s["expiryDateTime"] = Value::Null;
        s["joinMeetingIdSettings"] = json!({
            "isPasscodeRequired": true,
            "joinMeetingId": format!("{}", u64::from_str_radix(&self.session_id.replace('-', "")[..10], 16).unwrap_or(0) % 1_000_000_000_000),
            "passcode": "Zx7wq9",
        });
        s["chatInfo"] = json!({"threadId": format!("19:meeting_{}@thread.v2", self.session_id), "messageId": "0", "replyChainMessageId": null});
        s["lobbyBypassSettings"] = json!({"scope": "organization", "isDialInBypassEnabled": false});
        s
    }

    /// A registrant's own view of the session: the join link carries their registration.
    pub fn registrant_session_json(&self, registrant: &Registrant) -> Value {
        let mut s = self.session_json();
        s["joinWebUrl"] = json!(format!(
            "{}?context=%7b%22Tid%22%3a%22{TENANT_ID}%22%2c%22prid%22%3a%22{}%22%7d",
            self.join_web_url(),
            registrant.id
        ));
        s
    }

    pub fn registrant(&self, id: &str) -> Option<&Registrant> {
        self.registrants.iter().find(|r| r.id == id)
    }

    /// Reports Teams lists at `now`: published ones, at most the 50 newest, newest first.
    pub fn visible_reports(&self, now: DateTime<Utc>) -> Vec<&Report> {
        let mut list: Vec<&Report> = self
            .reports
            .iter()
            .filter(|r| r.available_at <= now)
            .collect();
        list.sort_by_key(|r| std::cmp::Reverse(r.meeting_start));
        list.truncate(50);
        list
    }

    /// The webinar's one `virtualEventSession`, as the sessions list returns it (summary).
    pub fn session_json(&self) -> Value {
        json!({
            "id": self.session_id,
            "subject": self.display_name,
            "joinWebUrl": self.join_web_url(),
            "startDateTime": {"dateTime": graph_time(&self.start), "timeZone": self.time_zone},
            "endDateTime": {"dateTime": graph_time(&self.end), "timeZone": self.time_zone},
        })
    }
}

fn instant(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// `virtualEventRegistrationQuestionBase` in its concrete type.
pub fn question_json(q: &Question) -> Value {
    match &q.kind {
        QuestionKind::Custom {
            display_name,
            input_type,
            choices,
        } => json!({
            "@odata.type": "#microsoft.graph.virtualEventRegistrationCustomQuestion",
            "id": q.id, "displayName": display_name, "isRequired": q.required,
            "answerInputType": input_type, "answerChoices": choices,
        }),
        QuestionKind::Predefined { label } => json!({
            "@odata.type": "#microsoft.graph.virtualEventRegistrationPredefinedQuestion",
            "id": q.id, "displayName": predefined_display_name(label), "isRequired": q.required,
            "label": label,
        }),
    }
}

fn predefined_display_name(label: &str) -> &'static str {
    match label {
        "jobTitle" => "Job title",
        "organization" => "Organization",
        "city" => "City",
        "state" => "State",
        "street" => "Address",
        "postalCode" => "Zip or postal code",
        "countryOrRegion" => "Country or region",
        "industry" => "Industry",
        _ => "Question",
    }
}

/// `virtualEventRegistration`.
pub fn registration_json(r: &Registrant) -> Value {
    serde_json::to_value(RegistrationJson::of(r)).expect("plain data serializes")
}

/// `virtualEventRegistration` as served, borrowed from the registrant: pages are written from
/// it directly (built as `Value` maps, the tenant's pages took a fifth of the CPU of a series
/// sync benchmark, competing with the client it measures).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationJson<'a> {
    id: &'a str,
    user_id: Option<&'a str>,
    email: &'a str,
    first_name: &'a str,
    last_name: &'a str,
    status: &'a str,
    registration_date_time: String,
    cancelation_date_time: Option<String>,
    preferred_timezone: &'a str,
    preferred_language: &'a str,
    external_registration_information: Option<ExternalJson<'a>>,
    registration_question_answers: Vec<AnswerJson<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalJson<'a> {
    referrer: Option<&'a str>,
    registration_id: Option<&'a str>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AnswerJson<'a> {
    question_id: &'a str,
    display_name: &'a str,
    value: Option<&'a str>,
    boolean_value: Option<bool>,
    multi_choice_values: &'a [String],
}

impl<'a> RegistrationJson<'a> {
    pub fn of(r: &'a Registrant) -> Self {
        Self {
            id: &r.id,
            user_id: r.user_id.as_deref(),
            email: &r.email,
            first_name: &r.first_name,
            last_name: &r.last_name,
            status: &r.status,
            registration_date_time: instant(&r.registered_at),
            cancelation_date_time: r.canceled_at.as_ref().map(instant),
            preferred_timezone: &r.time_zone,
            preferred_language: &r.language,
            external_registration_information: r.external.as_ref().map(|(referrer, id)| {
                ExternalJson {
                    referrer: referrer.as_deref(),
                    registration_id: id.as_deref(),
                }
            }),
            registration_question_answers: r
                .answers
                .iter()
                .map(|a| AnswerJson {
                    question_id: &a.question_id,
                    display_name: &a.display_name,
                    value: a.value.as_deref(),
                    boolean_value: a.boolean,
                    multi_choice_values: &a.multi,
                })
                .collect(),
        }
    }
}

/// `meetingAttendanceReport`, with its records when expanded (an empty list otherwise, as the
/// list endpoint returns them).
pub fn report_json(r: &Report, expand: bool) -> Value {
    json!({
        "id": r.id,
        "totalParticipantCount": r.records.len(),
        "meetingStartDateTime": instant(&r.meeting_start),
        "meetingEndDateTime": instant(&r.meeting_end),
        "externalEventInformation": [],
        "attendanceRecords": if expand { r.records.iter().map(record_json).collect::<Vec<_>>() } else { vec![] },
    })
}

/// `attendanceRecord`.
pub fn record_json(r: &Record) -> Value {
    serde_json::to_value(RecordJson::of(r)).expect("plain data serializes")
}

/// `attendanceRecord` as served, borrowed from the record (see [`RegistrationJson`]).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordJson<'a> {
    id: &'a str,
    email_address: Option<&'a str>,
    identity: IdentityJson<'a>,
    role: &'a str,
    total_attendance_in_seconds: i64,
    registration_id: Option<&'a str>,
    // Always null here, as Teams sends it for registrations made in Teams.
    external_registration_information: Option<()>,
    attendance_intervals: Vec<IntervalJson>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct IdentityJson<'a> {
    #[serde(rename = "@odata.type")]
    odata_type: &'static str,
    id: &'a str,
    display_name: &'a str,
    tenant_id: Option<&'static str>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct IntervalJson {
    join_date_time: String,
    leave_date_time: String,
    duration_in_seconds: i64,
}

impl<'a> RecordJson<'a> {
    pub fn of(r: &'a Record) -> Self {
        let total: i64 = r
            .intervals
            .iter()
            .map(|(j, l)| (*l - *j).num_seconds())
            .sum();
        Self {
            id: &r.id,
            email_address: r.email.as_deref(),
            identity: IdentityJson {
                odata_type: "#microsoft.graph.communicationsUserIdentity",
                id: r.user_id.as_deref().unwrap_or_default(),
                display_name: &r.display_name,
                tenant_id: r.user_id.is_some().then_some(TENANT_ID),
            },
            role: &r.role,
            total_attendance_in_seconds: total,
            registration_id: r.registration_id.as_deref(),
            external_registration_information: None,
            attendance_intervals: r
                .intervals
                .iter()
                .map(|(j, l)| IntervalJson {
                    join_date_time: instant(j),
                    leave_date_time: instant(l),
                    duration_in_seconds: (*l - *j).num_seconds(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeding_is_deterministic_and_covers_both_roles() {
        let now = DateTime::parse_from_rfc3339("2026-11-18T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let a = seed(7, now);
        assert_eq!(a, seed(7, now));
        let megan = ACCOUNTS[0].object_id;
        let organized = a.iter().filter(|w| w.has_role(megan, "organizer")).count();
        let co = a
            .iter()
            .filter(|w| w.has_role(megan, "coOrganizer"))
            .count();
        assert!(
            organized >= 24 && co >= 8,
            "organized {organized}, co-organized {co}"
        );
        assert!(
            a.iter().any(|w| w.start < now.naive_utc())
                && a.iter().any(|w| w.start > now.naive_utc())
        );
    }
}
