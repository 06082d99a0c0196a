//! Drift against the simulated tenant: edits made directly in Teams are found field by field,
//! canceled and deleted webinars are told apart, the 5-minute window holds on an injected
//! clock, a failed check keeps the previous finding, and our own writes are never drift.

use std::sync::Arc;

use chrono::{Duration, NaiveTime};
use tenant_sim::GraphFault;
use webinar_desk_core::auth::MemoryKeychain;
use webinar_desk_core::desk::DriftScope;
use webinar_desk_core::drift::DriftKind;
use webinar_desk_core::drift::check::DriftStatus;
use webinar_desk_core::series::{Audience, Recurrence, SeriesPlan, Until, generate};
use webinar_desk_tests::{Home, signed_in, start_tenant};

fn kind_of<'a>(statuses: &'a [DriftStatus], id: &str) -> (DriftKind, Vec<&'a str>) {
    let s = statuses
        .iter()
        .find(|s| s.webinar_id == id)
        .unwrap_or_else(|| panic!("{id} was not checked"));
    let f = s
        .finding()
        .unwrap_or_else(|| panic!("{id}: no finding {s:?}"));
    (f.kind, f.fields.iter().map(|d| d.field.as_str()).collect())
}

/// A weekly series of `sessions` at 14:00 Berlin time from two weeks on, saved and published
/// through the desk.
async fn published(
    d: &webinar_desk_core::Desk,
    sim: &tenant_sim::SimHandle,
    title: &str,
    sessions: u32,
    questions: Vec<webinar_desk_core::series::Question>,
) -> SeriesPlan {
    let plan = SeriesPlan {
        id: title.to_lowercase().replace(' ', "-"),
        title: title.into(),
        description_html: "<p>Hands-on.</p>".into(),
        audience: Audience::Organization,
        co_organizers: vec![],
        time_zone: "Europe/Berlin".into(),
        attendee_emails: true,
        sessions: generate(
            (sim.now() + Duration::days(14)).date_naive(),
            NaiveTime::from_hms_opt(14, 0, 0).unwrap(),
            60,
            Recurrence::Weekly { every_weeks: 1 },
            Until::Count(sessions),
            1,
        )
        .unwrap(),
        questions,
        registration: Default::default(),
    };
    d.save_series(&plan, sim.now()).await.unwrap();
    d.publish_series(&plan.id).await.unwrap();
    plan
}

#[tokio::test]
async fn edits_in_teams_are_found_field_by_field_at_most_every_five_minutes() {
    let sim = start_tenant(20).await;
    let home = Home::new();
    let d = signed_in(
        &home,
        &sim,
        Arc::new(MemoryKeychain::default()),
        "organizer",
    )
    .await;
    d.sync_webinars(sim.now()).await.unwrap();
    let t0 = sim.now();
    let reads = sim.graph_stats().reads;
    let first = d.check_drift(&DriftScope::All, false, t0).await.unwrap();
    let cost = sim.graph_stats().reads - reads;
    assert!(
        first.len() >= 30,
        "every webinar is checked: {}",
        first.len()
    );
    assert!(
        first
            .iter()
            .all(|s| s.fresh && s.finding().unwrap().kind == DriftKind::InSync),
        "first seen is in sync"
    );
    assert!(
        cost <= 2 * (first.len() as u64).div_ceil(20) + 2,
        "the role lists cover every webinar: {cost} GETs for {}",
        first.len()
    );

    let organized: Vec<_> = sim
        .webinars()
        .into_iter()
        .filter(|w| {
            w.status == "published" && w.organizer == tenant_sim::directory::ACCOUNTS[0].object_id
        })
        .collect();
    let (a, b, c) = (&organized[0].id, &organized[1].id, &organized[2].id);
    assert!(sim.edit_in_teams(a, |w| {
        w.display_name = format!("{} (moved)", w.display_name);
        w.start += Duration::days(1);
        w.end += Duration::days(1);
        w.audience = if w.audience == "everyone" {
            "organization"
        } else {
            "everyone"
        }
        .into();
        w.co_organizers = vec![tenant_sim::directory::ACCOUNTS[2].object_id.to_string()];
        w.attendee_emails = !w.attendee_emails;
    }));
    assert!(sim.cancel_in_teams(b));
    assert!(sim.delete_in_teams(c));

    // Within five minutes the last finding stands, and Teams is not asked.
    let reads = sim.graph_stats().reads;
    let soon = d
        .check_drift(&DriftScope::All, false, t0 + Duration::minutes(4))
        .await
        .unwrap();
    assert_eq!(sim.graph_stats().reads, reads, "nothing is due");
    assert_eq!(kind_of(&soon, a).0, DriftKind::InSync);
    assert!(soon.iter().all(|s| !s.fresh));

    let later = d
        .check_drift(&DriftScope::All, false, t0 + Duration::minutes(5))
        .await
        .unwrap();
    let (kind, fields) = kind_of(&later, a);
    assert_eq!(kind, DriftKind::ChangedInTeams);
    assert_eq!(
        fields,
        [
            "title",
            "start",
            "end",
            "audience",
            "coOrganizers",
            "attendeeEmails"
        ]
    );
    let plain: Vec<String> = later
        .iter()
        .find(|s| &s.webinar_id == a)
        .unwrap()
        .finding()
        .unwrap()
        .fields
        .iter()
        .map(|f| f.plain.clone())
        .collect();
    assert!(
        plain[1].starts_with("Start moved from ") && plain[1].ends_with(')'),
        "{plain:?}"
    );
    assert_eq!(kind_of(&later, b).0, DriftKind::CanceledInTeams);
    assert_eq!(kind_of(&later, c).0, DriftKind::MissingInTeams);
    let untouched = later
        .iter()
        .filter(|s| ![a, b, c].contains(&&s.webinar_id))
        .filter(|s| s.finding().unwrap().kind != DriftKind::InSync)
        .count();
    assert_eq!(untouched, 0, "no false drift on the others");

    // Teams cannot be read: the findings stay, the failure is shown beside them.
    sim.inject_graph_fault(
        GraphFault::status("getByUserRole", 503, "ServiceUnavailable", "Try later.").times(50),
    );
    let failed = d
        .check_drift(&DriftScope::All, true, t0 + Duration::minutes(6))
        .await
        .unwrap();
    let s = failed.iter().find(|s| &s.webinar_id == a).unwrap();
    assert_eq!(s.finding().unwrap().kind, DriftKind::ChangedInTeams, "kept");
    let (_, message, request_id) = s.check.failure.clone().expect("the failure is recorded");
    assert!(
        message.contains("Try later") || message.contains("503"),
        "{message}"
    );
    assert!(request_id.is_some(), "with Graph's request id");
    assert_eq!(
        failed
            .iter()
            .filter(|s| s.finding().unwrap().kind == DriftKind::InSync)
            .count(),
        later
            .iter()
            .filter(|s| s.finding().unwrap().kind == DriftKind::InSync)
            .count(),
        "nothing flips to in sync on an error"
    );
    // The stored status, offline, says the same.
    let stored = d
        .drift_status(&DriftScope::Webinar(a.clone()), t0)
        .await
        .unwrap();
    assert!(stored[0].check.failure.is_some() && stored[0].finding().is_some());
    assert!(!stored[0].title.is_empty());
}

#[tokio::test]
async fn a_series_session_is_compared_with_ours_and_our_own_edits_are_no_drift() {
    let sim = start_tenant(20).await;
    let home = Home::new();
    let d = signed_in(
        &home,
        &sim,
        Arc::new(MemoryKeychain::default()),
        "organizer",
    )
    .await;
    let plan = published(&d, &sim, "Drift course", 2, vec![]).await;
    let scope = DriftScope::Series(plan.id.clone());
    let reads = sim.graph_stats().reads;
    let checked = d.check_drift(&scope, false, sim.now()).await.unwrap();
    assert_eq!(checked.len(), 2);
    assert!(
        checked
            .iter()
            .all(|s| s.finding().unwrap().kind == DriftKind::InSync),
        "{checked:?}"
    );
    let cost = sim.graph_stats().reads - reads;
    let pages = 2 * (sim.webinars().len() as u64).div_ceil(20);
    assert!(
        cost <= pages + 2 * 2,
        "the role lists ({pages} pages) plus registration settings and questions of two \
         upcoming sessions, not {cost} GETs"
    );

    // Our own edit moves the baseline with it.
    let mut moved = plan.clone();
    moved.sessions[0].start = NaiveTime::from_hms_opt(16, 0, 0).unwrap();
    d.edit_series(&moved).await.unwrap();
    let after_ours = d.check_drift(&scope, true, sim.now()).await.unwrap();
    assert!(
        after_ours
            .iter()
            .all(|s| s.finding().unwrap().kind == DriftKind::InSync),
        "our edit is not drift: {after_ours:?}"
    );

    // Someone lowers the capacity and retitles session 2 in Teams.
    let second = after_ours[1].webinar_id.clone();
    let webinar_of_2 = sim.webinars().into_iter().find(|w| w.id == second).unwrap();
    assert!(webinar_of_2.display_name.contains("Session 2") || after_ours[0].webinar_id != second);
    assert!(sim.edit_in_teams(&second, |w| {
        w.registration.capacity = Some(40);
        w.display_name = "Renamed in Teams".into();
    }));
    let drifted = d.check_drift(&scope, true, sim.now()).await.unwrap();
    let s = drifted.iter().find(|s| s.webinar_id == second).unwrap();
    let f = s.finding().unwrap();
    assert_eq!(f.kind, DriftKind::ChangedInTeams);
    let fields: Vec<&str> = f.fields.iter().map(|d| d.field.as_str()).collect();
    assert_eq!(fields, ["title", "capacity"], "{f:?}");
    assert_eq!(f.fields[0].teams, "Renamed in Teams");
    assert_eq!(
        f.fields[0].ours.as_deref(),
        Some(f.fields[0].baseline.as_str()),
        "ours is the title we wrote"
    );
    assert_eq!(
        f.fields[1].plain,
        "Capacity changed from 300 to 40".replace("300", &f.fields[1].baseline)
    );
}

#[tokio::test]
async fn drift_is_resolved_by_accepting_teams_or_re_applying_ours_never_over_a_newer_edit() {
    use webinar_desk_core::series::{DriftChoice, Resolution};
    let sim = start_tenant(20).await;
    let home = Home::new();
    let d = signed_in(
        &home,
        &sim,
        Arc::new(MemoryKeychain::default()),
        "organizer",
    )
    .await;
    let plan = published(&d, &sim, "Resolve course", 3, vec![]).await;
    let scope = DriftScope::Series(plan.id.clone());
    let ids: Vec<String> = d
        .check_drift(&scope, true, sim.now())
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.webinar_id)
        .collect();
    let detail = d.series_detail(&plan.id).await.unwrap();
    let id_of = |n: u32| {
        detail
            .sessions
            .iter()
            .find(|s| s.n == n)
            .and_then(|s| s.webinar_id.clone())
            .unwrap()
    };
    let (one, two, three) = (id_of(1), id_of(2), id_of(3));
    assert_eq!(ids.len(), 3);

    // Session 2 is renamed and moved an hour later in Teams; the organizer accepts it.
    assert!(sim.edit_in_teams(&two, |w| {
        w.display_name = "Resolve course — Deep dive".into();
        w.start += Duration::hours(1);
        w.end += Duration::hours(1);
    }));
    let shown = d.check_drift(&scope, true, sim.now()).await.unwrap();
    let seen = shown
        .iter()
        .find(|s| s.webinar_id == two)
        .unwrap()
        .finding()
        .unwrap()
        .fields
        .clone();
    assert_eq!(seen.len(), 3, "title, start, end: {seen:?}");
    // Someone changes it again before the organizer decides: nothing is written.
    assert!(sim.edit_in_teams(&two, |w| w.display_name =
        "Resolve course — Deeper dive".into()));
    let writes = sim.graph_stats().writes;
    let again = d
        .resolve_drift(&two, DriftChoice::AcceptTeams, &seen)
        .await
        .unwrap();
    let Resolution::ChangedAgain(newer) = again else {
        panic!("{again:?}")
    };
    assert!(newer.fields[0].plain.contains("Deeper dive"), "{newer:?}");
    assert_eq!(sim.graph_stats().writes, writes);
    let done = d
        .resolve_drift(&two, DriftChoice::AcceptTeams, &newer.fields)
        .await
        .unwrap();
    assert_eq!(
        done,
        Resolution::Resolved(webinar_desk_core::drift::Finding {
            kind: DriftKind::InSync,
            fields: vec![]
        })
    );
    let detail = d.series_detail(&plan.id).await.unwrap();
    let s2 = detail.plan.sessions.iter().find(|s| s.n == 2).unwrap();
    assert_eq!(s2.title_suffix, "Deeper dive");
    assert_eq!(
        s2.start,
        NaiveTime::from_hms_opt(15, 0, 0).unwrap(),
        "the plan follows Teams"
    );
    assert!(
        detail
            .journal
            .iter()
            .any(|j| j.action == "acceptTeams" && j.target.as_deref() == Some(two.as_str())),
        "journalled"
    );
    let after = d.check_drift(&scope, true, sim.now()).await.unwrap();
    assert!(
        after
            .iter()
            .all(|s| s.finding().unwrap().kind == DriftKind::InSync),
        "{after:?}"
    );

    // Session 1 is moved in Teams; the organizer re-applies ours.
    assert!(sim.edit_in_teams(&one, |w| {
        w.start += Duration::hours(2);
        w.end += Duration::hours(2);
    }));
    let shown = d.check_drift(&scope, true, sim.now()).await.unwrap();
    let seen = shown
        .iter()
        .find(|s| s.webinar_id == one)
        .unwrap()
        .finding()
        .unwrap()
        .fields
        .clone();
    let writes = sim.graph_stats().writes;
    let done = d
        .resolve_drift(&one, DriftChoice::ReapplyOurs, &seen)
        .await
        .unwrap();
    assert!(
        matches!(&done, Resolution::Resolved(f) if f.kind == DriftKind::InSync),
        "{done:?}"
    );
    assert_eq!(sim.graph_stats().writes, writes + 1, "one PATCH");
    let teams_one = sim.webinars().into_iter().find(|w| w.id == one).unwrap();
    assert_eq!(
        teams_one.start.format("%H:%M").to_string(),
        "14:00",
        "Teams shows ours"
    );
    let detail = d.series_detail(&plan.id).await.unwrap();
    let reapplied: Vec<_> = detail
        .journal
        .iter()
        .filter(|j| j.action == "reapply" && j.target.as_deref() == Some(one.as_str()))
        .collect();
    assert_eq!(reapplied.len(), 2, "intent and outcome");
    assert_eq!(reapplied[1].phase, webinar_desk_core::store::Phase::Done);

    // Canceled in Teams: ours cannot be re-applied, and the message says why.
    assert!(sim.cancel_in_teams(&three));
    let shown = d.check_drift(&scope, true, sim.now()).await.unwrap();
    let seen = shown
        .iter()
        .find(|s| s.webinar_id == three)
        .unwrap()
        .finding()
        .unwrap()
        .clone();
    assert_eq!(seen.kind, DriftKind::CanceledInTeams);
    let err = d
        .resolve_drift(&three, DriftChoice::ReapplyOurs, &seen.fields)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("cannot bring a canceled webinar back"),
        "{err}"
    );
    let done = d
        .resolve_drift(&three, DriftChoice::AcceptTeams, &seen.fields)
        .await
        .unwrap();
    assert!(
        matches!(&done, Resolution::Resolved(f) if f.kind == DriftKind::InSync),
        "{done:?}"
    );
    let detail = d.series_detail(&plan.id).await.unwrap();
    assert!(
        detail
            .plan
            .sessions
            .iter()
            .find(|s| s.n == 3)
            .unwrap()
            .canceled
    );
}

#[tokio::test]
async fn a_question_removed_in_teams_is_asked_again_when_ours_is_re_applied() {
    use webinar_desk_core::series::{DriftChoice, Question, Resolution};
    let sim = start_tenant(20).await;
    let home = Home::new();
    let d = signed_in(
        &home,
        &sim,
        Arc::new(MemoryKeychain::default()),
        "organizer",
    )
    .await;
    let questions = vec![
        Question::Custom {
            text: "Which team are you in?".into(),
            answer: "singleChoice".into(),
            choices: vec!["Sales".into(), "Support".into()],
            required: true,
        },
        Question::Predefined {
            label: "jobTitle".into(),
            required: false,
        },
    ];
    let plan = published(&d, &sim, "Question course", 1, questions).await;
    let scope = DriftScope::Series(plan.id.clone());
    let first = d.check_drift(&scope, true, sim.now()).await.unwrap();
    assert_eq!(
        first[0].finding().unwrap().kind,
        DriftKind::InSync,
        "{first:?}"
    );
    let id = first[0].webinar_id.clone();

    // Someone deletes the team question in Teams.
    assert!(sim.edit_in_teams(&id, |w| {
        w.questions.retain(|q| {
            !matches!(&q.kind, tenant_sim::people::QuestionKind::Custom { display_name, .. }
                if display_name == "Which team are you in?")
        })
    }));
    let shown = d.check_drift(&scope, true, sim.now()).await.unwrap();
    let f = shown[0].finding().unwrap().clone();
    assert_eq!(f.kind, DriftKind::ChangedInTeams, "{f:?}");
    assert_eq!(f.fields[0].field, "questions");
    assert!(
        f.fields[0]
            .plain
            .contains("“Which team are you in?” removed"),
        "{f:?}"
    );

    let done = d
        .resolve_drift(&id, DriftChoice::ReapplyOurs, &f.fields)
        .await
        .unwrap();
    assert!(
        matches!(&done, Resolution::Resolved(f) if f.kind == DriftKind::InSync),
        "{done:?}"
    );
    let again = d.check_drift(&scope, true, sim.now()).await.unwrap();
    assert_eq!(
        again[0].finding().unwrap().kind,
        DriftKind::InSync,
        "{again:?}"
    );
    let teams = sim.webinars().into_iter().find(|w| w.id == id).unwrap();
    assert_eq!(
        teams.questions.len(),
        2,
        "asked again: {:?}",
        teams.questions
    );
}
