//! Who registers for and attends the simulated webinars: registration questions, registrations
//! with answers, and attendance reports with join/leave intervals, generated from a seed.
//!
//! The generator aims at what organizers see in real reports: people who register and never
//! come (no-shows), late joiners, early leavers, rejoins after a dropped connection, attendees
//! who never registered, records without an e-mail address (phone dial-ins), cancellations,
//! and meetings restarted after they ended (a second report). Invariants: the same seed and
//! spec give the same people; every interval lies within its report's meeting times; a
//! record's `registrationId` names a registration of the same webinar.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::rngs::StdRng;

use crate::directory::ACCOUNTS;

#[derive(Debug, Clone, PartialEq)]
pub struct RegistrationConfig {
    pub capacity: Option<i64>,
    pub manual_approval: bool,
    pub waitlist: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum QuestionKind {
    /// `text`, `multilineText`, `singleChoice`, `multiChoice` or `boolean`.
    Custom {
        display_name: String,
        input_type: String,
        choices: Vec<String>,
    },
    /// `jobTitle`, `organization`, `city`, …
    Predefined { label: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    pub id: String,
    pub required: bool,
    pub kind: QuestionKind,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub question_id: String,
    pub display_name: String,
    pub value: Option<String>,
    pub boolean: Option<bool>,
    pub multi: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Registrant {
    pub id: String,
    /// Entra object id, for people of the tenant.
    pub user_id: Option<String>,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// `registered`, `canceled`, `waitlisted`, `pendingApproval`, `rejectedByOrganizer`.
    pub status: String,
    pub registered_at: DateTime<Utc>,
    pub canceled_at: Option<DateTime<Utc>>,
    pub time_zone: String,
    pub language: String,
    pub answers: Vec<Answer>,
    pub external: Option<(Option<String>, Option<String>)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub id: String,
    pub email: Option<String>,
    pub display_name: String,
    pub user_id: Option<String>,
    /// `Organizer`, `Presenter`, `Attendee`.
    pub role: String,
    pub intervals: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    pub registration_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub id: String,
    pub meeting_start: DateTime<Utc>,
    pub meeting_end: DateTime<Utc>,
    /// Teams publishes a report some minutes after the meeting ends.
    pub available_at: DateTime<Utc>,
    pub records: Vec<Record>,
}

/// How many people a generated session has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crowd {
    pub registrations: usize,
    /// Attendance records in the session's report (attendees, registered or not).
    pub records: usize,
}

const FIRST: &[&str] = &[
    "Aino", "Bram", "Chiara", "Dmitri", "Elif", "Farah", "Gustav", "Hana", "Ivo", "Jana", "Kofi",
    "Lena", "Mateo", "Nadia", "Oskar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Ulla", "Vikram",
    "Wen", "Ximena", "Yusuf", "Zoë", "Łukasz", "Søren", "Mía", "Anaïs",
];
const LAST: &[&str] = &[
    "Andersen",
    "Bauer",
    "Costa",
    "Dubois",
    "Eriksson",
    "Fischer",
    "García",
    "Hoffmann",
    "Ivanova",
    "Jansen",
    "Kowalski",
    "Larsen",
    "Müller",
    "Nakamura",
    "O'Brien",
    "Petrov",
    "Quiroga",
    "Rossi",
    "Schmidt",
    "Takahashi",
    "Uddin",
    "Virtanen",
    "Weber",
    "Xu",
    "Yilmaz",
    "Zimmermann",
];
const COMPANIES: &[(&str, &str)] = &[
    ("Contoso", "contoso-demo.onmicrosoft.com"),
    ("Fabrikam", "fabrikam.example"),
    ("Northwind Traders", "northwind.example"),
    ("Tailspin Toys", "tailspin.example"),
    ("Woodgrove Bank", "woodgrove.example"),
    ("Adatum", "adatum.example"),
];
const JOBS: &[&str] = &[
    "Marketing manager",
    "Data analyst",
    "Sales lead",
    "HR partner",
    "Engineer",
    "Team lead",
    "Consultant",
];
const TEAMS: &[&str] = &["Sales", "Marketing", "Engineering", "Finance", "Support"];
const ZONES: &[&str] = &[
    "W. Europe Standard Time",
    "GMT Standard Time",
    "Pacific Standard Time",
    "Eastern Standard Time",
    "India Standard Time",
];

pub(crate) fn guid(rng: &mut StdRng) -> String {
    let b: [u8; 16] = rng.r#gen();
    uuid::Builder::from_random_bytes(b).into_uuid().to_string()
}

/// The questions a seeded webinar asks: a predefined job title, a custom single choice and,
/// on some, a yes/no question.
pub fn questions(rng: &mut StdRng) -> Vec<Question> {
    let mut out = vec![
        Question {
            id: guid(rng),
            required: false,
            kind: QuestionKind::Predefined {
                label: "jobTitle".into(),
            },
        },
        Question {
            id: guid(rng),
            required: true,
            kind: QuestionKind::Custom {
                display_name: "Which team are you in?".into(),
                input_type: "singleChoice".into(),
                choices: TEAMS.iter().map(|t| t.to_string()).collect(),
            },
        },
    ];
    if rng.gen_bool(0.5) {
        out.push(Question {
            id: guid(rng),
            required: false,
            kind: QuestionKind::Custom {
                display_name: "May we send you the recording?".into(),
                input_type: "boolean".into(),
                choices: vec![],
            },
        });
    }
    out
}

fn answers(rng: &mut StdRng, questions: &[Question], job: &str) -> Vec<Answer> {
    questions
        .iter()
        .filter_map(|q| match &q.kind {
            QuestionKind::Predefined { label } => {
                (q.required || rng.gen_bool(0.8)).then(|| Answer {
                    question_id: q.id.clone(),
                    display_name: label.clone(),
                    value: Some(job.to_string()),
                    boolean: None,
                    multi: vec![],
                })
            }
            QuestionKind::Custom {
                display_name,
                input_type,
                choices,
            } => {
                if !q.required && rng.gen_bool(0.3) {
                    return None;
                }
                let mut a = Answer {
                    question_id: q.id.clone(),
                    display_name: display_name.clone(),
                    value: None,
                    boolean: None,
                    multi: vec![],
                };
                match input_type.as_str() {
                    "boolean" => a.boolean = Some(rng.gen_bool(0.7)),
                    "multiChoice" => {
                        a.multi = choices
                            .iter()
                            .filter(|_| rng.gen_bool(0.4))
                            .cloned()
                            .collect()
                    }
                    "singleChoice" if !choices.is_empty() => {
                        a.value = Some(choices[rng.gen_range(0..choices.len())].clone())
                    }
                    _ => a.value = Some("Looking forward to it, thanks!".into()),
                }
                Some(a)
            }
        })
        .collect()
}

/// Someone who may register. A series' audience is a list of these, so the same people come
/// back session after session, as they do in real series (a registration is still per webinar).
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// Entra object id, for people of the tenant.
    pub user_id: Option<String>,
    pub time_zone: String,
    pub language: String,
    pub job: String,
}

/// `size` different people (their addresses are unique: a number follows the name).
pub fn audience(rng: &mut StdRng, size: usize) -> Vec<Person> {
    (0..size)
        .map(|i| {
            let first = FIRST[rng.gen_range(0..FIRST.len())];
            let last = LAST[rng.gen_range(0..LAST.len())];
            let (company, domain) = COMPANIES[rng.gen_range(0..COMPANIES.len())];
            let local = ascii(&format!("{}.{}{}", first, last, i).to_lowercase());
            // Some people type their address with capitals; matching must not care.
            let email = if rng.gen_bool(0.1) {
                format!("{}@{}", capitalize(&local), domain.to_uppercase())
            } else {
                format!("{local}@{domain}")
            };
            Person {
                first_name: first.to_string(),
                last_name: last.to_string(),
                email,
                user_id: (company == "Contoso").then(|| guid(rng)),
                time_zone: ZONES[rng.gen_range(0..ZONES.len())].to_string(),
                language: if rng.gen_bool(0.7) { "en-us" } else { "de-de" }.to_string(),
                job: JOBS[rng.gen_range(0..JOBS.len())].to_string(),
            }
        })
        .collect()
}

/// About `count` people of an audience for one session: the regulars at its front come to most
/// sessions, the rest drop in now and then. The audience's order is kept.
pub fn session_crowd(rng: &mut StdRng, audience: &[Person], count: usize) -> Vec<Person> {
    let regulars = (count * 3 / 5).min(audience.len());
    let mut chosen: Vec<usize> = (0..regulars).filter(|_| rng.gen_bool(0.85)).collect();
    let others = audience.len() - regulars;
    let need = count.saturating_sub(chosen.len()).min(others);
    chosen.extend(
        rand::seq::index::sample(rng, others, need)
            .into_iter()
            .map(|k| regulars + k),
    );
    chosen.sort_unstable();
    chosen.into_iter().map(|i| audience[i].clone()).collect()
}

/// One registration per person, with answers, a status (some cancel, a few wait) and a time
/// before the session (and before `now`).
pub fn registrations(
    rng: &mut StdRng,
    questions: &[Question],
    people: &[Person],
    start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<Registrant> {
    let latest = start.min(now);
    people
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let registered_at = latest - Duration::minutes(rng.gen_range(10..60 * 24 * 21));
            let roll: f64 = rng.r#gen();
            let (status, canceled_at) = if roll < 0.08 {
                (
                    "canceled",
                    Some(registered_at + Duration::minutes(rng.gen_range(5..60 * 24))),
                )
            } else if roll < 0.10 {
                ("waitlisted", None)
            } else {
                ("registered", None)
            };
            Registrant {
                id: guid(rng),
                user_id: p.user_id.clone(),
                email: p.email.clone(),
                first_name: p.first_name.clone(),
                last_name: p.last_name.clone(),
                status: status.to_string(),
                registered_at,
                canceled_at: canceled_at.map(|c| c.min(latest)),
                time_zone: p.time_zone.clone(),
                language: p.language.clone(),
                answers: answers(rng, questions, &p.job),
                external: rng
                    .gen_bool(0.2)
                    .then(|| (Some("newsletter".to_string()), Some(format!("crm-{i:05}")))),
            }
        })
        .collect()
}

/// An address-safe spelling of a name: accents dropped, apostrophes and spaces removed.
fn ascii(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            'á' | 'à' | 'ä' | 'å' => Some('a'),
            'é' | 'è' | 'ë' => Some('e'),
            'í' | 'ï' => Some('i'),
            'ó' | 'ö' | 'ø' => Some('o'),
            'ú' | 'ü' => Some('u'),
            'ł' => Some('l'),
            '\'' | ' ' => None,
            c if c.is_ascii() => Some(c),
            _ => None,
        })
        .collect()
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// One attendance report for a meeting held from `start` to `end`, as Teams would count it.
pub fn report(
    rng: &mut StdRng,
    registrants: &[Registrant],
    organizer: &str,
    records: usize,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    delay: Duration,
) -> Report {
    let length = (end - start).num_seconds().max(60);
    let at = |offset: i64| start + Duration::seconds(offset.clamp(0, length));
    let mut out = Vec::with_capacity(records + 1);
    // The organizer is there from a few minutes early to the end.
    if let Some(org) = ACCOUNTS.iter().find(|a| a.object_id == organizer) {
        out.push(Record {
            id: guid(rng),
            email: Some(org.username.to_string()),
            display_name: org.display_name.to_string(),
            user_id: Some(org.object_id.to_string()),
            role: "Organizer".into(),
            intervals: vec![(start, end)],
            registration_id: None,
        });
    }
    let active: Vec<&Registrant> = registrants
        .iter()
        .filter(|r| r.status == "registered")
        .collect();
    // About two thirds of registrants come; the rest are no-shows. Records beyond that are
    // people who joined from a forwarded link without registering.
    let registered_attendees = ((active.len() as f64) * 0.66).round() as usize;
    let registered_attendees = registered_attendees.min(records);
    let mut chosen: Vec<&Registrant> = active.clone();
    // A partial shuffle picks who comes.
    for i in 0..registered_attendees.min(chosen.len()) {
        let j = rng.gen_range(i..chosen.len());
        chosen.swap(i, j);
    }
    for (i, slot) in (0..records).enumerate() {
        let registrant = chosen
            .get(slot)
            .filter(|_| slot < registered_attendees)
            .copied();
        let intervals = intervals(rng, length, at);
        let (email, display_name, user_id, registration_id) = match registrant {
            Some(r) => (
                // Dial-ins and some guests show without an address.
                (!rng.gen_bool(0.03)).then(|| r.email.clone()),
                format!("{} {}", r.first_name, r.last_name),
                r.user_id.clone(),
                Some(r.id.clone()),
            ),
            None => {
                let first = FIRST[rng.gen_range(0..FIRST.len())];
                let last = LAST[rng.gen_range(0..LAST.len())];
                let phone = rng.gen_bool(0.1);
                (
                    (!phone).then(|| {
                        format!(
                            "{}.guest{i}@outlook.example",
                            ascii(&format!("{first}.{last}").to_lowercase())
                        )
                    }),
                    if phone {
                        format!("+49 30 555 {:04}", rng.gen_range(0..10_000))
                    } else {
                        format!("{first} {last}")
                    },
                    None,
                    None,
                )
            }
        };
        out.push(Record {
            id: guid(rng),
            email,
            display_name,
            user_id,
            role: "Attendee".into(),
            intervals,
            registration_id,
        });
    }
    Report {
        id: guid(rng),
        meeting_start: start,
        meeting_end: end,
        available_at: end + delay,
        records: out,
    }
}

/// Join/leave intervals for one attendee: most stay, some join late, leave early or drop out
/// and rejoin; a few join before the start (the lobby opens early).
fn intervals(
    rng: &mut StdRng,
    length: i64,
    at: impl Fn(i64) -> DateTime<Utc>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let join = if rng.gen_bool(0.25) {
        rng.gen_range(60..(length / 3).max(61))
    } else {
        rng.gen_range(0..120)
    };
    let leave = if rng.gen_bool(0.2) {
        rng.gen_range((length / 2)..length)
    } else {
        length - rng.gen_range(0..90).min(length / 4)
    };
    let leave = leave.max(join + 30).min(length);
    if rng.gen_bool(0.15) && leave - join > 600 {
        let drop = rng.gen_range(join + 120..leave - 240);
        let back = drop + rng.gen_range(20..180);
        vec![(at(join), at(drop)), (at(back), at(leave))]
    } else {
        vec![(at(join), at(leave))]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn a_report_has_no_shows_guests_rejoins_and_consistent_links() {
        let mut rng = StdRng::seed_from_u64(3);
        let start = DateTime::parse_from_rfc3339("2026-11-10T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let end = start + Duration::minutes(60);
        let qs = questions(&mut rng);
        let people = audience(&mut rng, 300);
        let regs = registrations(&mut rng, &qs, &people, start, start);
        let report = report(
            &mut rng,
            &regs,
            ACCOUNTS[0].object_id,
            260,
            start,
            end,
            Duration::minutes(5),
        );
        let ids: std::collections::HashSet<_> = regs.iter().map(|r| r.id.as_str()).collect();
        let linked: Vec<_> = report
            .records
            .iter()
            .filter_map(|r| r.registration_id.as_deref())
            .collect();
        assert!(linked.iter().all(|id| ids.contains(id)));
        let active = regs.iter().filter(|r| r.status == "registered").count();
        assert!(linked.len() < active, "some registrants are no-shows");
        assert!(
            report
                .records
                .iter()
                .any(|r| r.registration_id.is_none() && r.role == "Attendee")
        );
        assert!(
            report.records.iter().any(|r| r.intervals.len() == 2),
            "rejoins"
        );
        assert!(
            report.records.iter().any(|r| r.email.is_none()),
            "missing e-mails"
        );
        for r in &report.records {
            for (join, leave) in &r.intervals {
                assert!(start <= *join && join <= leave && *leave <= end, "{r:?}");
            }
        }
        assert!(regs.iter().any(|r| r.status == "canceled"));
        assert!(regs.iter().all(|r| r.registered_at <= start));
    }
}
