//! Publishing a series against the simulated tenant, with a fault at every step: the end state
//! in Teams (the tenant) and in SQLite must agree, with no orphans and no duplicates.

use chrono::{Duration, NaiveTime, Utc};
use reqwest::Method;
use tenant_sim::{FaultKind, GraphFault, RetryAfter, SimHandle};
use webinar_desk_core::series::{
    Audience, PublishOutcome, Publisher, Recurrence, SeriesPlan, Until, generate,
};
use webinar_desk_core::store::{Phase, SeriesState, Store};
use webinar_desk_tests::{graph_client, start_tenant};

const WRITES: &str = "solutions/virtualEvents/webinars";

fn plan(id: &str, sessions: u32) -> SeriesPlan {
    let first = (Utc::now() + Duration::days(14)).date_naive();
    SeriesPlan {
        id: id.into(),
        title: format!("Course {id}"),
        description_html: "<p>Six weeks of practice.</p>".into(),
        audience: Audience::Organization,
        co_organizers: vec![],
        time_zone: "Europe/Berlin".into(),
        attendee_emails: true,
        sessions: generate(
            first,
            NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
            60,
            Recurrence::Weekly { every_weeks: 1 },
            Until::Count(sessions),
            1,
        )
        .unwrap(),
        questions: vec![],
        registration: Default::default(),
    }
}

/// The tenant's webinars of this series: by title, tagged or not.
fn in_teams(sim: &SimHandle, plan: &SeriesPlan) -> Vec<tenant_sim::webinars::Webinar> {
    sim.webinars()
        .into_iter()
        .filter(|w| w.display_name.starts_with(&plan.title))
        .collect()
}

async fn publish(sim: &SimHandle, store: &Store, id: &str) -> PublishOutcome {
    let (graph, _) = graph_client(sim, "organizer");
    let clock = Utc::now;
    let publisher = Publisher {
        graph: &graph,
        store,
        actor: "megan.bowen@contoso-demo.onmicrosoft.com",
        operation_id: uuid::Uuid::new_v4().to_string(),
        clock: &clock,
    };
    publisher.publish(id).await.expect("publish runs")
}

#[tokio::test]
async fn a_three_session_series_publishes_tagged_and_journalled() {
    let sim = start_tenant(50).await;
    let store = Store::open_in_memory().unwrap();
    let p = plan("s3", 3);
    store.save_series(&p, Utc::now()).unwrap();
    let outcome = publish(&sim, &store, "s3").await;
    let PublishOutcome::Published { webinars } = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(webinars.len(), 3);
    let teams = in_teams(&sim, &p);
    assert_eq!(teams.len(), 3, "one webinar per session");
    for w in &teams {
        assert_eq!(w.status, "published");
        assert_eq!(w.time_zone, "W. Europe Standard Time");
        assert_eq!(w.start.format("%H:%M").to_string(), "10:00");
    }
    let mut tags: Vec<_> = teams.iter().flat_map(|w| w.external_ids.clone()).collect();
    tags.sort();
    assert_eq!(tags, ["s3:1", "s3:2", "s3:3"]);
    assert_eq!(
        store.series("s3").unwrap().unwrap().1,
        SeriesState::Published
    );
    let journal = store.journal_of_series("s3").unwrap();
    let intents = journal.iter().filter(|e| e.phase == Phase::Intent).count();
    let dones = journal.iter().filter(|e| e.phase == Phase::Done).count();
    assert_eq!(
        (intents, dones),
        (10, 10),
        "9 calls and the operation, each intent then done"
    );
    assert!(
        journal
            .iter()
            .filter(|e| e.n.is_some() && e.phase == Phase::Done)
            .all(|e| e.target.as_deref().is_some_and(|t| t.contains('@')))
    );
    // Publishing again is a no-op that reports the same webinars.
    assert_eq!(
        publish(&sim, &store, "s3").await,
        PublishOutcome::Published { webinars }
    );
    assert_eq!(in_teams(&sim, &p).len(), 3);
}

#[tokio::test]
async fn a_refusal_at_any_step_rolls_everything_back() {
    // 3 sessions: 3 creates, 3 tags, 3 publishes — fail each in turn.
    for k in 1..=9u32 {
        let sim = start_tenant(50).await;
        let store = Store::open_in_memory().unwrap();
        let id = format!("k{k}");
        let p = plan(&id, 3);
        store.save_series(&p, Utc::now()).unwrap();
        sim.inject_graph_fault(
            GraphFault::status(WRITES, 403, "Forbidden", "Refused by the script.")
                .on(Method::POST)
                .skip(k - 1),
        );
        let outcome = publish(&sim, &store, &id).await;
        assert!(
            matches!(outcome, PublishOutcome::RolledBack { ref cause } if cause.contains("403")),
            "step {k}: {outcome:?}"
        );
        let left: Vec<_> = in_teams(&sim, &p)
            .into_iter()
            .filter(|w| w.status != "canceled")
            .collect();
        assert!(left.is_empty(), "step {k}: orphans {left:?}");
        assert_eq!(
            store.series(&id).unwrap().unwrap().1,
            SeriesState::RolledBack,
            "step {k}"
        );
        let journal = store.journal_of_series(&id).unwrap();
        let cancels = journal
            .iter()
            .filter(|e| e.action == "cancel" && e.phase == Phase::Done)
            .count();
        assert_eq!(
            cancels,
            in_teams(&sim, &p).len(),
            "step {k}: every cancel journalled"
        );
    }
}

#[tokio::test]
async fn a_lost_create_answer_is_adopted_not_duplicated() {
    let sim = start_tenant(50).await;
    let store = Store::open_in_memory().unwrap();
    let p = plan("lost", 3);
    store.save_series(&p, Utc::now()).unwrap();
    // The second create is processed, but its answer never arrives.
    sim.inject_graph_fault(
        GraphFault::new(WRITES, FaultKind::LostResponse)
            .on(Method::POST)
            .skip(1),
    );
    let outcome = publish(&sim, &store, "lost").await;
    assert!(
        matches!(outcome, PublishOutcome::Published { .. }),
        "{outcome:?}"
    );
    let teams = in_teams(&sim, &p);
    assert_eq!(teams.len(), 3, "no duplicate: {teams:#?}");
    assert!(teams.iter().all(|w| w.status == "published"));
    let journal = store.journal_of_series("lost").unwrap();
    assert!(
        journal
            .iter()
            .any(|e| e.action == "create" && e.phase == Phase::Unknown)
    );
    assert!(
        journal
            .iter()
            .any(|e| e.action == "adopt" && e.n == Some(2))
    );
}

#[tokio::test]
async fn lost_tag_and_publish_answers_are_checked_in_teams() {
    for skip in [3, 6] {
        let sim = start_tenant(50).await;
        let store = Store::open_in_memory().unwrap();
        let id = format!("lost{skip}");
        let p = plan(&id, 3);
        store.save_series(&p, Utc::now()).unwrap();
        sim.inject_graph_fault(
            GraphFault::new(WRITES, FaultKind::LostResponse)
                .on(Method::POST)
                .skip(skip),
        );
        let outcome = publish(&sim, &store, &id).await;
        assert!(
            matches!(outcome, PublishOutcome::Published { .. }),
            "{skip}: {outcome:?}"
        );
        let teams = in_teams(&sim, &p);
        assert_eq!(teams.len(), 3);
        assert!(
            teams
                .iter()
                .all(|w| w.status == "published" && w.external_ids.len() == 1)
        );
    }
}

#[tokio::test]
async fn throttling_and_an_expired_token_are_ridden_out() {
    let sim = start_tenant(50).await;
    let store = Store::open_in_memory().unwrap();
    let p = plan("bumpy", 2);
    store.save_series(&p, Utc::now()).unwrap();
    sim.inject_graph_fault(
        GraphFault::status("/publish", 429, "TooManyRequests", "Slow down.")
            .retry_after(RetryAfter::Seconds(1)),
    );
    sim.inject_graph_fault(GraphFault::new(
        "/setExternalEventInformation",
        FaultKind::ExpiredToken,
    ));
    let outcome = publish(&sim, &store, "bumpy").await;
    assert!(
        matches!(outcome, PublishOutcome::Published { .. }),
        "{outcome:?}"
    );
    assert_eq!(in_teams(&sim, &p).len(), 2);
}

#[tokio::test]
async fn a_server_error_on_a_write_is_not_repeated_but_rolled_back() {
    let sim = start_tenant(50).await;
    let store = Store::open_in_memory().unwrap();
    let p = plan("s503", 2);
    store.save_series(&p, Utc::now()).unwrap();
    sim.inject_graph_fault(GraphFault::status(
        "/publish",
        503,
        "ServiceUnavailable",
        "Busy.",
    ));
    let outcome = publish(&sim, &store, "s503").await;
    assert!(
        matches!(outcome, PublishOutcome::RolledBack { .. }),
        "{outcome:?}"
    );
    assert!(in_teams(&sim, &p).iter().all(|w| w.status == "canceled"));
}

#[tokio::test]
async fn what_cannot_be_canceled_is_reported_with_its_id() {
    let sim = start_tenant(50).await;
    let store = Store::open_in_memory().unwrap();
    let p = plan("partial", 3);
    store.save_series(&p, Utc::now()).unwrap();
    // The third create fails; then every cancel is refused.
    sim.inject_graph_fault(
        GraphFault::status(WRITES, 400, "BadRequest", "No.")
            .on(Method::POST)
            .skip(2),
    );
    sim.inject_graph_fault(GraphFault::status("/cancel", 403, "Forbidden", "Not today.").times(10));
    let outcome = publish(&sim, &store, "partial").await;
    let PublishOutcome::PartiallyRolledBack { remaining, .. } = outcome else {
        panic!("{outcome:?}")
    };
    let teams = in_teams(&sim, &p);
    assert_eq!(remaining.len(), 2);
    for r in &remaining {
        assert!(
            teams
                .iter()
                .any(|w| w.id == r.webinar_id && w.status == "draft"),
            "{r:?}"
        );
        assert!(r.why.contains("403"), "{r:?}");
    }
    assert_eq!(
        store.series("partial").unwrap().unwrap().1,
        SeriesState::PartiallyRolledBack
    );
}

#[tokio::test]
async fn an_invalid_plan_sends_nothing() {
    let sim = start_tenant(50).await;
    let store = Store::open_in_memory().unwrap();
    let mut p = plan("bad", 2);
    p.sessions[1].date = p.sessions[0].date;
    store.save_series(&p, Utc::now()).unwrap();
    let (graph, _) = graph_client(&sim, "organizer");
    let clock = Utc::now;
    let before = sim.graph_stats().writes;
    let err = Publisher {
        graph: &graph,
        store: &store,
        actor: "megan",
        operation_id: "op".into(),
        clock: &clock,
    }
    .publish("bad")
    .await
    .unwrap_err();
    assert!(err.to_string().contains("overlaps"), "{err}");
    assert_eq!(sim.graph_stats().writes, before);
    assert!(store.journal_of_series("bad").unwrap().is_empty());
}

#[tokio::test]
async fn registration_questions_are_asked_in_every_session_never_twice() {
    use webinar_desk_core::series::Question;
    let sim = start_tenant(50).await;
    let store = Store::open_in_memory().unwrap();
    let mut p = plan("qs", 2);
    p.questions = vec![
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
    store.save_series(&p, Utc::now()).unwrap();
    assert_eq!(
        store.series("qs").unwrap().unwrap().0.questions,
        p.questions
    );
    // The first question's create is processed but its answer is lost.
    sim.inject_graph_fault(
        GraphFault::new(
            "registrationConfiguration/questions",
            FaultKind::LostResponse,
        )
        .on(Method::POST),
    );
    let outcome = publish(&sim, &store, "qs").await;
    assert!(
        matches!(outcome, PublishOutcome::Published { .. }),
        "{outcome:?}"
    );
    for w in in_teams(&sim, &p) {
        let asked: Vec<String> = w.questions.iter().map(|q| format!("{q:?}")).collect();
        assert_eq!(asked.len(), 2, "two questions, none twice: {asked:#?}");
        assert!(asked.iter().any(|q| q.contains("Which team are you in?")));
        assert!(asked.iter().any(|q| q.contains("jobTitle")));
    }
    let journal = store.journal_of_series("qs").unwrap();
    assert!(
        journal
            .iter()
            .any(|e| e.action == "question" && e.phase == Phase::Unknown),
        "the lost answer is journalled"
    );
}

#[tokio::test]
async fn a_refused_question_rolls_the_series_back() {
    use webinar_desk_core::series::Question;
    let sim = start_tenant(50).await;
    let store = Store::open_in_memory().unwrap();
    let mut p = plan("qr", 2);
    p.questions = vec![Question::Predefined {
        label: "city".into(),
        required: true,
    }];
    store.save_series(&p, Utc::now()).unwrap();
    sim.inject_graph_fault(
        GraphFault::status(
            "registrationConfiguration/questions",
            400,
            "BadRequest",
            "No.",
        )
        .on(Method::POST)
        .skip(1),
    );
    let outcome = publish(&sim, &store, "qr").await;
    assert!(
        matches!(outcome, PublishOutcome::RolledBack { .. }),
        "{outcome:?}"
    );
    assert!(in_teams(&sim, &p).iter().all(|w| w.status == "canceled"));
}

#[tokio::test]
async fn registration_settings_are_set_and_a_premium_refusal_is_explained() {
    use webinar_desk_core::series::RegistrationSettings;
    let sim = start_tenant(50).await;
    let store = Store::open_in_memory().unwrap();
    let mut p = plan("cap", 2);
    p.registration = RegistrationSettings {
        capacity: Some(150),
        manual_approval: false,
        waitlist: true,
    };
    store.save_series(&p, Utc::now()).unwrap();
    assert_eq!(
        store.series("cap").unwrap().unwrap().0.registration,
        p.registration
    );
    let outcome = publish(&sim, &store, "cap").await;
    assert!(
        matches!(outcome, PublishOutcome::Published { .. }),
        "{outcome:?}"
    );
    for w in in_teams(&sim, &p) {
        assert_eq!(w.registration.capacity, Some(150));
        assert!(w.registration.waitlist && !w.registration.manual_approval);
    }

    // Lee has no Teams Premium: manual approval is refused, and the series rolled back.
    let mut q = plan("approval", 2);
    q.registration.manual_approval = true;
    store.save_series(&q, Utc::now()).unwrap();
    let (graph, _) = graph_client(&sim, "nopremium");
    let clock = Utc::now;
    let outcome = Publisher {
        graph: &graph,
        store: &store,
        actor: "lee.gu@contoso-demo.onmicrosoft.com",
        operation_id: "op".into(),
        clock: &clock,
    }
    .publish("approval")
    .await
    .unwrap();
    let PublishOutcome::RolledBack { cause } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(cause.contains("Teams Premium"), "{cause}");
    assert!(in_teams(&sim, &q).iter().all(|w| w.status == "canceled"));
}
