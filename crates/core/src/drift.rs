//! Drift: noticing that a webinar was changed directly in Teams. Graph has no delta, etag or
//! last-modified time for virtual events, so each webinar is reduced to a normalized
//! [`WebinarProjection`] and compared with the *baseline* — the version we last wrote, accepted,
//! or first saw — and, for a series session, with ours (the plan).
//!
//! Pure: projections in, findings out; `now` is a parameter. Invariants: equality is on what a
//! person would call the same — the same instants whatever zone name Teams writes them in,
//! descriptions compared as the text and links a reader sees (spacing, entities and tag
//! spelling are not changes), co-organizers and questions as sets; registration settings are
//! compared only when both sides were read (they cost two GETs per webinar); a webinar Teams no
//! longer has is `MissingInTeams`, never "in sync".

pub mod check;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::graph::types::{
    PREDEFINED_QUESTION, RegistrationConfiguration, RegistrationQuestion, VirtualEventWebinar,
};
use crate::series::{PlannedSession, Question, SeriesPlan};

/// The fields an edit of a series sends to Teams.
const EDITS_SEND: &[&str] = &["title", "description", "start", "end", "status"];

/// A webinar is checked at most this often, unless the organizer asks.
pub const CHECK_INTERVAL: Duration = Duration::minutes(5);

/// The fields of a webinar drift is judged on, normalized for comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebinarProjection {
    pub title: String,
    /// As Teams holds it (shown in the diff); compared by [`readable`].
    pub description_html: String,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    /// `draft`, `published`, `canceled` (or a newer value, as Graph names it).
    pub status: String,
    pub audience: Option<String>,
    /// Entra object id → display name (compared by id).
    pub co_organizers: BTreeMap<String, String>,
    pub attendee_emails: Option<bool>,
    /// `None` when not read this time.
    pub registration: Option<RegistrationProjection>,
}

/// A webinar's registration settings and questions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationProjection {
    pub capacity: Option<i64>,
    pub manual_approval: bool,
    pub waitlist: bool,
    /// Sorted: Teams' order is not part of a webinar's identity.
    pub questions: Vec<QuestionProjection>,
}

/// A question as a registrant sees it (ids change when a question is recreated).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuestionProjection {
    /// The question's text, or a predefined question's label (`jobTitle`).
    pub text: String,
    /// `predefined`, or the custom answer kind (`text`, `singleChoice`, …).
    pub kind: String,
    pub required: bool,
    pub choices: Vec<String>,
}

impl WebinarProjection {
    /// Teams' version of a webinar; the registration part only when it was read.
    pub fn from_graph(
        w: &VirtualEventWebinar,
        registration: Option<(&RegistrationConfiguration, &[RegistrationQuestion])>,
    ) -> Self {
        let instant = |v: &Option<crate::graph::types::DateTimeTimeZone>| {
            v.as_ref().and_then(|v| {
                crate::time::instant(&v.date_time, v.time_zone.as_deref().unwrap_or("UTC")).ok()
            })
        };
        Self {
            title: w
                .display_name
                .clone()
                .unwrap_or_default()
                .trim()
                .to_string(),
            description_html: w
                .description
                .as_ref()
                .and_then(|d| d.content.clone())
                .unwrap_or_default(),
            start: instant(&w.start_date_time),
            end: instant(&w.end_date_time),
            status: w.status.clone().unwrap_or_else(|| "unknown".into()),
            audience: w.audience.clone(),
            co_organizers: w
                .co_organizers
                .iter()
                .filter_map(|c| {
                    let id = c.id.clone().or_else(|| c.display_name.clone())?;
                    Some((id.clone(), c.display_name.clone().unwrap_or(id)))
                })
                .collect(),
            attendee_emails: w
                .settings
                .as_ref()
                .and_then(|s| s.is_attendee_email_notification_enabled),
            registration: registration.map(|(config, questions)| RegistrationProjection {
                capacity: config.capacity,
                manual_approval: config.is_manual_approval_enabled.unwrap_or(false),
                waitlist: config.is_waitlist_enabled.unwrap_or(false),
                questions: sorted(questions.iter().map(QuestionProjection::from_graph)),
            }),
        }
    }

    /// A series session as we want it in Teams. Co-organizers are named by id (the plan has
    /// no names); a capacity the plan does not set is `None` here, meaning Teams' own;
    /// `None` when the session's time cannot be placed (a DST gap).
    pub fn planned(plan: &SeriesPlan, s: &PlannedSession) -> Option<Self> {
        let p = crate::series::Projection::planned(plan, s).ok()?;
        Some(Self {
            title: p.title.trim().to_string(),
            description_html: p.description_html,
            start: Some(p.start),
            end: Some(p.end),
            status: if p.canceled { "canceled" } else { "published" }.into(),
            audience: Some(plan.audience.as_graph().into()),
            co_organizers: plan
                .co_organizers
                .iter()
                .map(|id| (id.clone(), id.clone()))
                .collect(),
            attendee_emails: Some(plan.attendee_emails),
            registration: Some(RegistrationProjection {
                capacity: plan.registration.capacity.map(i64::from),
                manual_approval: plan.registration.manual_approval,
                waitlist: plan.registration.waitlist,
                questions: sorted(plan.questions.iter().map(QuestionProjection::planned)),
            }),
        })
    }
}

impl QuestionProjection {
    /// A question as Teams lists it.
    pub fn from_graph(q: &RegistrationQuestion) -> Self {
        let predefined = q.odata_type.as_deref() == Some(PREDEFINED_QUESTION)
            || (q.answer_input_type.is_none() && q.label.is_some());
        Self {
            text: if predefined {
                q.label.clone().unwrap_or_default()
            } else {
                q.display_name
                    .clone()
                    .unwrap_or_default()
                    .trim()
                    .to_string()
            },
            kind: if predefined {
                "predefined".into()
            } else {
                q.answer_input_type.clone().unwrap_or_else(|| "text".into())
            },
            required: q.is_required.unwrap_or(false),
            choices: if predefined {
                Vec::new()
            } else {
                q.answer_choices.clone()
            },
        }
    }

    /// A question as the series asks it.
    pub fn planned(q: &Question) -> Self {
        match q {
            Question::Custom {
                text,
                answer,
                choices,
                required,
            } => Self {
                text: text.trim().to_string(),
                kind: answer.clone(),
                required: *required,
                choices: if answer.ends_with("Choice") {
                    choices.clone()
                } else {
                    Vec::new()
                },
            },
            Question::Predefined { label, required } => Self {
                text: label.clone(),
                kind: "predefined".into(),
                required: *required,
                choices: Vec::new(),
            },
        }
    }
}

fn sorted(questions: impl Iterator<Item = QuestionProjection>) -> Vec<QuestionProjection> {
    let mut v: Vec<_> = questions.collect();
    v.sort();
    v
}

/// What a check found for one webinar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DriftKind {
    InSync,
    /// Someone changed fields in Teams since our baseline.
    ChangedInTeams,
    CanceledInTeams,
    /// Teams answers 404: the webinar was deleted (or we lost access to it).
    MissingInTeams,
    /// Teams still has the baseline, but our plan differs: an edit not yet sent.
    LocalEdits,
}

impl DriftKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DriftKind::InSync => "inSync",
            DriftKind::ChangedInTeams => "changedInTeams",
            DriftKind::CanceledInTeams => "canceledInTeams",
            DriftKind::MissingInTeams => "missingInTeams",
            DriftKind::LocalEdits => "localEdits",
        }
    }

    /// Whether the organizer has something to decide.
    pub fn drifted(self) -> bool {
        matches!(
            self,
            DriftKind::ChangedInTeams | DriftKind::CanceledInTeams | DriftKind::MissingInTeams
        )
    }
}

/// One field that differs, in all three versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldDiff {
    /// `title`, `description`, `start`, `end`, `status`, `audience`, `coOrganizers`,
    /// `attendeeEmails`, `capacity`, `manualApproval`, `waitlist`, `questions`.
    pub field: String,
    /// Last synced or written.
    pub baseline: String,
    pub teams: String,
    /// Ours, for a series session.
    pub ours: Option<String>,
    /// "Start moved from Tue 3 Dec 14:00 to Wed 4 Dec 15:00 (Europe/Berlin)".
    pub plain: String,
}

/// A check's result for one webinar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub kind: DriftKind,
    pub fields: Vec<FieldDiff>,
}

/// Compares Teams now with the baseline (and ours). Without a baseline Teams' version becomes
/// it: the caller records it and the webinar is in sync.
pub fn detect(
    baseline: Option<&WebinarProjection>,
    teams: Option<&WebinarProjection>,
    ours: Option<&WebinarProjection>,
    tz: Tz,
) -> Finding {
    let Some(teams) = teams else {
        return Finding {
            kind: DriftKind::MissingInTeams,
            fields: Vec::new(),
        };
    };
    let Some(baseline) = baseline else {
        return Finding {
            kind: DriftKind::InSync,
            fields: Vec::new(),
        };
    };
    let ours = ours.map(|o| leaving_to_teams(o, baseline));
    let ours = ours.as_ref();
    let mut fields = differences(baseline, teams, tz);
    if !fields.is_empty() {
        if let Some(ours) = ours {
            let theirs = differences(baseline, ours, tz);
            for f in &mut fields {
                f.ours = Some(
                    theirs
                        .iter()
                        .find(|o| o.field == f.field)
                        .map_or_else(|| f.baseline.clone(), |o| o.teams.clone()),
                );
            }
        }
        let canceled = teams.status == "canceled" && baseline.status != "canceled";
        return Finding {
            kind: if canceled {
                DriftKind::CanceledInTeams
            } else {
                DriftKind::ChangedInTeams
            },
            fields,
        };
    }
    if let Some(ours) = ours {
        let mut local = differences(baseline, ours, tz);
        // Only what an edit of the series sends is an edit not yet sent; the rest is set when
        // a webinar is made and shown beside Teams' changes only.
        local.retain(|f| EDITS_SEND.contains(&f.field.as_str()));
        if !local.is_empty() {
            for f in &mut local {
                f.ours = Some(std::mem::replace(&mut f.teams, f.baseline.clone()));
            }
            return Finding {
                kind: DriftKind::LocalEdits,
                fields: local,
            };
        }
    }
    Finding {
        kind: DriftKind::InSync,
        fields: Vec::new(),
    }
}

/// Ours with what the plan leaves to Teams (no capacity given) taken from the baseline, so
/// Teams' default is not read as an edit of ours.
fn leaving_to_teams(ours: &WebinarProjection, baseline: &WebinarProjection) -> WebinarProjection {
    let mut ours = ours.clone();
    if let (Some(o), Some(b)) = (&mut ours.registration, &baseline.registration)
        && o.capacity.is_none()
    {
        o.capacity = b.capacity;
    }
    ours
}

/// Whether a webinar last checked at `last` is due for a check.
pub fn due(last: Option<DateTime<Utc>>, now: DateTime<Utc>, forced: bool) -> bool {
    forced || last.is_none_or(|l| now - l >= CHECK_INTERVAL || l > now)
}

/// The fields that differ from `a` to `b` (in `b`'s favour: `teams` holds `b`'s value), with
/// times shown in `tz`. Registration fields only when both sides have them.
pub fn differences(a: &WebinarProjection, b: &WebinarProjection, tz: Tz) -> Vec<FieldDiff> {
    let mut out = Vec::new();
    let mut push = |field: &str, from: String, to: String, plain: String| {
        out.push(FieldDiff {
            field: field.into(),
            baseline: from,
            teams: to,
            ours: None,
            plain,
        })
    };
    if a.title != b.title {
        push(
            "title",
            a.title.clone(),
            b.title.clone(),
            format!("Title changed from “{}” to “{}”", a.title, b.title),
        );
    }
    let (ra, rb) = (readable(&a.description_html), readable(&b.description_html));
    if ra != rb {
        push(
            "description",
            a.description_html.clone(),
            b.description_html.clone(),
            if rb.is_empty() {
                "Description removed".into()
            } else {
                format!("Description changed to “{}”", excerpt(&rb, 80))
            },
        );
    }
    let show = |t: Option<DateTime<Utc>>| {
        t.map_or_else(
            || "an unreadable time".into(),
            |t| t.with_timezone(&tz).format("%a %-d %b %H:%M").to_string(),
        )
    };
    let iso = |t: Option<DateTime<Utc>>| t.map(|t| t.to_rfc3339()).unwrap_or_default();
    if a.start != b.start {
        push(
            "start",
            iso(a.start),
            iso(b.start),
            format!(
                "Start moved from {} to {} ({tz})",
                show(a.start),
                show(b.start)
            ),
        );
    }
    if a.end != b.end {
        push(
            "end",
            iso(a.end),
            iso(b.end),
            format!("End moved from {} to {} ({tz})", show(a.end), show(b.end)),
        );
    }
    if a.status != b.status {
        push(
            "status",
            a.status.clone(),
            b.status.clone(),
            match b.status.as_str() {
                "canceled" => "Canceled in Teams".into(),
                "published" => "Published in Teams".into(),
                "draft" => "Set back to a draft".into(),
                other => format!("Status changed from {} to {other}", a.status),
            },
        );
    }
    if a.audience != b.audience {
        let say = |x: &Option<String>| match x.as_deref() {
            Some("organization") => "people in your organization".to_string(),
            Some("everyone") => "everyone".to_string(),
            Some(other) => other.to_string(),
            None => "not set".to_string(),
        };
        push(
            "audience",
            a.audience.clone().unwrap_or_default(),
            b.audience.clone().unwrap_or_default(),
            format!(
                "Audience changed from {} to {}",
                say(&a.audience),
                say(&b.audience)
            ),
        );
    }
    if a.co_organizers.keys().ne(b.co_organizers.keys()) {
        let names = |m: &BTreeMap<String, String>, other: &BTreeMap<String, String>| {
            m.iter()
                .filter(|(id, _)| !other.contains_key(*id))
                .map(|(_, n)| n.clone())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let (added, removed) = (
            names(&b.co_organizers, &a.co_organizers),
            names(&a.co_organizers, &b.co_organizers),
        );
        let mut plain = vec![];
        if !added.is_empty() {
            plain.push(format!("added {added}"));
        }
        if !removed.is_empty() {
            plain.push(format!("removed {removed}"));
        }
        let list = |m: &BTreeMap<String, String>| m.keys().cloned().collect::<Vec<_>>().join(", ");
        push(
            "coOrganizers",
            list(&a.co_organizers),
            list(&b.co_organizers),
            format!("Co-organizers changed: {}", plain.join("; ")),
        );
    }
    if let (Some(x), Some(y)) = (a.attendee_emails, b.attendee_emails)
        && x != y
    {
        push(
            "attendeeEmails",
            x.to_string(),
            y.to_string(),
            format!(
                "E-mails to attendees turned {}",
                if y { "on" } else { "off" }
            ),
        );
    }
    if let (Some(x), Some(y)) = (&a.registration, &b.registration) {
        if x.capacity != y.capacity {
            let say = |c: Option<i64>| c.map_or_else(|| "no limit".into(), |c| c.to_string());
            push(
                "capacity",
                say(x.capacity),
                say(y.capacity),
                format!(
                    "Capacity changed from {} to {}",
                    say(x.capacity),
                    say(y.capacity)
                ),
            );
        }
        let onoff = |v: bool| if v { "on" } else { "off" };
        if x.manual_approval != y.manual_approval {
            push(
                "manualApproval",
                x.manual_approval.to_string(),
                y.manual_approval.to_string(),
                format!("Manual approval turned {}", onoff(y.manual_approval)),
            );
        }
        if x.waitlist != y.waitlist {
            push(
                "waitlist",
                x.waitlist.to_string(),
                y.waitlist.to_string(),
                format!("Waitlist turned {}", onoff(y.waitlist)),
            );
        }
        if x.questions != y.questions {
            let text = |q: &QuestionProjection| format!("“{}”", q.text);
            let mut plain = Vec::new();
            for q in y.questions.iter().filter(|q| !x.questions.contains(q)) {
                match x.questions.iter().find(|o| o.text == q.text) {
                    Some(_) => plain.push(format!("{} changed", text(q))),
                    None => plain.push(format!("{} added", text(q))),
                }
            }
            for q in x.questions.iter().filter(|q| !y.questions.contains(q)) {
                if !y.questions.iter().any(|n| n.text == q.text) {
                    plain.push(format!("{} removed", text(q)));
                }
            }
            let list = |qs: &[QuestionProjection]| {
                qs.iter()
                    .map(|q| q.text.clone())
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            push(
                "questions",
                list(&x.questions),
                list(&y.questions),
                format!("Registration questions changed: {}", plain.join(", ")),
            );
        }
    }
    out
}

/// What a reader of a description sees: its text (entities decoded, tags dropped, runs of
/// whitespace as one space) and the targets of its links, which are part of what it says.
pub fn readable(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut links = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        text.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            text.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let tag = &rest[open + 1..open + close];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        // Block-level tags separate words; inline ones do not.
        if matches!(
            name.as_str(),
            "p" | "br" | "div" | "li" | "ul" | "ol" | "h1" | "h2" | "h3" | "h4" | "tr" | "td"
        ) {
            text.push(' ');
        }
        if name == "a"
            && let Some(href) = attribute(tag, "href")
        {
            links.push(html_escape::decode_html_entities(&href).trim().to_string());
        }
        rest = &rest[open + close + 1..];
    }
    text.push_str(rest);
    let decoded = html_escape::decode_html_entities(&text).replace('\u{a0}', " ");
    let mut out = decoded.split_whitespace().collect::<Vec<_>>().join(" ");
    for l in links {
        out.push_str(" <");
        out.push_str(&l);
        out.push('>');
    }
    out
}

/// An attribute's value in a tag's text (`a href="…"`), quoted either way or bare.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let at = lower.find(&format!("{name}="))? + name.len() + 1;
    let value = &tag[at..];
    let quote = value.chars().next()?;
    if quote == '"' || quote == '\'' {
        value[1..].split(quote).next().map(str::to_string)
    } else {
        value
            .split(|c: char| c.is_whitespace())
            .next()
            .map(str::to_string)
    }
}

fn excerpt(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max).collect();
    format!("{}…", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::types::{
        CommunicationsUserIdentity, DateTimeTimeZone, ItemBody, VirtualEventSettings,
    };

    fn graph(start: (&str, &str), end: (&str, &str)) -> VirtualEventWebinar {
        let zoned = |(t, z): (&str, &str)| {
            Some(DateTimeTimeZone {
                date_time: t.into(),
                time_zone: Some(z.into()),
            })
        };
        VirtualEventWebinar {
            id: "w1".into(),
            display_name: Some("Excel clinic — Session 1".into()),
            description: Some(ItemBody {
                content_type: Some("html".into()),
                content: Some("<p>Pivot tables &amp; charts</p>".into()),
            }),
            start_date_time: zoned(start),
            end_date_time: zoned(end),
            status: Some("published".into()),
            audience: Some("organization".into()),
            co_organizers: vec![
                CommunicationsUserIdentity {
                    id: Some("b".into()),
                    display_name: Some("Bo".into()),
                    tenant_id: None,
                },
                CommunicationsUserIdentity {
                    id: Some("a".into()),
                    display_name: Some("Adele".into()),
                    tenant_id: None,
                },
            ],
            created_by: None,
            settings: Some(VirtualEventSettings {
                is_attendee_email_notification_enabled: Some(true),
            }),
            external_event_information: Vec::new(),
            is_registration_required: Some(true),
        }
    }

    fn berlin() -> VirtualEventWebinar {
        graph(
            ("2027-03-02T14:00:00.0000000", "W. Europe Standard Time"),
            ("2027-03-02T15:00:00.0000000", "W. Europe Standard Time"),
        )
    }

    fn question(text: &str, kind: &str, required: bool) -> RegistrationQuestion {
        RegistrationQuestion {
            odata_type: Some(crate::graph::types::CUSTOM_QUESTION.into()),
            id: Some(format!("id-{text}")),
            display_name: Some(text.into()),
            is_required: Some(required),
            answer_input_type: Some(kind.into()),
            answer_choices: Vec::new(),
            label: None,
        }
    }

    fn config(capacity: i64) -> RegistrationConfiguration {
        RegistrationConfiguration {
            id: None,
            capacity: Some(capacity),
            is_manual_approval_enabled: Some(false),
            is_waitlist_enabled: Some(false),
            registration_web_url: None,
        }
    }

    const TZ: Tz = chrono_tz::Europe::Berlin;

    fn kinds(f: &Finding) -> Vec<&str> {
        f.fields.iter().map(|d| d.field.as_str()).collect()
    }

    #[test]
    fn the_same_webinar_written_differently_is_in_sync() {
        let base = WebinarProjection::from_graph(&berlin(), None);
        // Teams answers in UTC, co-organizers in another order, the description re-spaced,
        // with the entity spelled another way and a tag in capitals.
        let mut w = graph(
            ("2027-03-02T13:00:00.0000000", "UTC"),
            ("2027-03-02T14:00:00Z", "UTC"),
        );
        w.co_organizers.reverse();
        w.description.as_mut().unwrap().content =
            Some("<P>\n  Pivot tables &#38;   charts </P>".into());
        w.display_name = Some("  Excel clinic — Session 1 ".into());
        let teams = WebinarProjection::from_graph(&w, None);
        let f = detect(Some(&base), Some(&teams), None, TZ);
        assert_eq!(f.kind, DriftKind::InSync, "{:#?}", f.fields);
    }

    #[test]
    fn each_field_changed_in_teams_is_named_in_plain_language() {
        let base = WebinarProjection::from_graph(&berlin(), Some((&config(300), &[])));
        let mut w = graph(
            ("2027-03-03T15:00:00.0000000", "W. Europe Standard Time"),
            ("2027-03-03T16:30:00.0000000", "W. Europe Standard Time"),
        );
        w.display_name = Some("Excel clinic (moved)".into());
        w.description.as_mut().unwrap().content = Some("<p>New agenda</p>".into());
        w.audience = Some("everyone".into());
        w.co_organizers.pop();
        w.settings = Some(VirtualEventSettings {
            is_attendee_email_notification_enabled: Some(false),
        });
        let teams = WebinarProjection::from_graph(
            &w,
            Some((&config(200), &[question("Team?", "text", true)])),
        );
        let f = detect(Some(&base), Some(&teams), None, TZ);
        assert_eq!(f.kind, DriftKind::ChangedInTeams);
        assert_eq!(
            kinds(&f),
            [
                "title",
                "description",
                "start",
                "end",
                "audience",
                "coOrganizers",
                "attendeeEmails",
                "capacity",
                "questions"
            ]
        );
        let plain: Vec<&str> = f.fields.iter().map(|d| d.plain.as_str()).collect();
        assert_eq!(
            plain,
            [
                "Title changed from “Excel clinic — Session 1” to “Excel clinic (moved)”",
                "Description changed to “New agenda”",
                "Start moved from Tue 2 Mar 14:00 to Wed 3 Mar 15:00 (Europe/Berlin)",
                "End moved from Tue 2 Mar 15:00 to Wed 3 Mar 16:30 (Europe/Berlin)",
                "Audience changed from people in your organization to everyone",
                "Co-organizers changed: removed Adele",
                "E-mails to attendees turned off",
                "Capacity changed from 300 to 200",
                "Registration questions changed: “Team?” added",
            ]
        );
    }

    #[test]
    fn canceled_and_missing_are_their_own_kinds() {
        let base = WebinarProjection::from_graph(&berlin(), None);
        let mut w = berlin();
        w.status = Some("canceled".into());
        let teams = WebinarProjection::from_graph(&w, None);
        let f = detect(Some(&base), Some(&teams), None, TZ);
        assert_eq!(f.kind, DriftKind::CanceledInTeams);
        assert_eq!(f.fields[0].plain, "Canceled in Teams");
        assert_eq!(
            detect(Some(&base), None, None, TZ).kind,
            DriftKind::MissingInTeams
        );
        assert_eq!(
            detect(None, Some(&teams), None, TZ).kind,
            DriftKind::InSync,
            "first seen: Teams' version becomes the baseline"
        );
    }

    #[test]
    fn registration_is_compared_only_when_both_sides_were_read() {
        let base = WebinarProjection::from_graph(&berlin(), Some((&config(300), &[])));
        let teams = WebinarProjection::from_graph(&berlin(), None);
        assert_eq!(
            detect(Some(&base), Some(&teams), None, TZ).kind,
            DriftKind::InSync
        );
        // Questions are a set; a required flag flipped is a change of that question.
        let qs = [
            question("B?", "text", false),
            question("A?", "boolean", true),
        ];
        let mut reordered = qs.clone();
        reordered.reverse();
        let a = WebinarProjection::from_graph(&berlin(), Some((&config(300), &qs)));
        let b = WebinarProjection::from_graph(&berlin(), Some((&config(300), &reordered)));
        assert_eq!(detect(Some(&a), Some(&b), None, TZ).kind, DriftKind::InSync);
        let mut flipped = qs.clone();
        flipped[0].is_required = Some(true);
        let c = WebinarProjection::from_graph(&berlin(), Some((&config(300), &flipped)));
        let f = detect(Some(&a), Some(&c), None, TZ);
        assert_eq!(
            f.fields[0].plain,
            "Registration questions changed: “B?” changed"
        );
    }

    #[test]
    fn ours_is_shown_beside_teams_and_unsent_edits_are_local() {
        let base = WebinarProjection::from_graph(&berlin(), None);
        let mut ours = base.clone();
        ours.title = "Excel clinic — Session 1 (advanced)".into();
        // Teams unchanged, ours edited: local edits.
        let f = detect(Some(&base), Some(&base), Some(&ours), TZ);
        assert_eq!(f.kind, DriftKind::LocalEdits);
        assert_eq!(f.fields[0].teams, "Excel clinic — Session 1");
        assert_eq!(
            f.fields[0].ours.as_deref(),
            Some("Excel clinic — Session 1 (advanced)")
        );
        // Teams changed the start: all three versions of that field.
        let mut w = berlin();
        w.start_date_time.as_mut().unwrap().date_time = "2027-03-02T16:00:00".into();
        let teams = WebinarProjection::from_graph(&w, None);
        let f = detect(Some(&base), Some(&teams), Some(&ours), TZ);
        assert_eq!(f.kind, DriftKind::ChangedInTeams);
        assert_eq!(kinds(&f), ["start"]);
        assert_eq!(
            f.fields[0].ours.as_deref(),
            Some(f.fields[0].baseline.as_str())
        );
    }

    #[test]
    fn a_capacity_the_plan_leaves_to_teams_is_no_local_edit() {
        let base = WebinarProjection::from_graph(&berlin(), Some((&config(1000), &[])));
        let mut ours = base.clone();
        ours.registration.as_mut().unwrap().capacity = None;
        assert_eq!(
            detect(Some(&base), Some(&base), Some(&ours), TZ).kind,
            DriftKind::InSync
        );
        // Teams lowers it: ours (Teams' own) is shown as the baseline's.
        let mut teams = base.clone();
        teams.registration.as_mut().unwrap().capacity = Some(50);
        let f = detect(Some(&base), Some(&teams), Some(&ours), TZ);
        assert_eq!(f.fields[0].ours.as_deref(), Some("1000"));
    }

    #[test]
    fn only_what_an_edit_sends_is_an_unsent_local_edit() {
        // Grouped webinars disagree on settings set at creation (attendee e-mails): the plan's
        // value is no edit waiting to be sent, since no edit sends it.
        let base = WebinarProjection::from_graph(&berlin(), None);
        let mut ours = base.clone();
        ours.attendee_emails = Some(false);
        ours.audience = Some("everyone".into());
        assert_eq!(
            detect(Some(&base), Some(&base), Some(&ours), TZ).kind,
            DriftKind::InSync
        );
        ours.title = "New".into();
        let f = detect(Some(&base), Some(&base), Some(&ours), TZ);
        assert_eq!((f.kind, f.fields.len()), (DriftKind::LocalEdits, 1));
    }

    #[test]
    fn a_check_is_due_after_five_minutes_or_when_forced() {
        let t0: DateTime<Utc> = "2027-03-02T10:00:00Z".parse().unwrap();
        assert!(due(None, t0, false));
        assert!(!due(Some(t0), t0 + Duration::minutes(4), false));
        assert!(due(Some(t0), t0 + Duration::minutes(4), true));
        assert!(due(Some(t0), t0 + Duration::minutes(5), false));
        assert!(
            due(Some(t0), t0 - Duration::minutes(1), false),
            "a clock set back does not freeze the status"
        );
    }

    #[test]
    fn descriptions_are_read_as_text_and_links() {
        assert_eq!(
            readable("<p>Hello&nbsp;<b>world</b></p><p>Bye</p>"),
            "Hello world Bye"
        );
        assert_eq!(readable("Hello <br/>world"), readable("Hello<BR>world"));
        assert_ne!(
            readable(r#"<a href="https://a.example">Slides</a>"#),
            readable(r#"<a href='https://b.example'>Slides</a>"#),
            "a link's target is part of what it says"
        );
        assert_eq!(readable("<p>unclosed <b"), "unclosed <b");
    }
}
