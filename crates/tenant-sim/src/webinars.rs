//! The simulated tenant's webinars: the data model, the seeded demo data, and the v1.0 JSON
//! shape they are served in (`virtualEventWebinar`, `virtualEventSession`).
//!
//! Invariants: every webinar has exactly one session (as Graph-created webinars do); times are
//! stored as wall-clock times in the organizer's Windows time zone, as Teams keeps them; the JSON
//! produced validates against the v1.0 schema in `shared/reference`.

use chrono::{DateTime, Datelike, Duration, NaiveDateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::directory::{ACCOUNTS, DemoAccount, TENANT_ID};

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

fn guid(rng: &mut StdRng) -> String {
    let b: [u8; 16] = rng.r#gen();
    uuid::Builder::from_random_bytes(b).into_uuid().to_string()
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
