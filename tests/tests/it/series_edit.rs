//! Changing a published series against the simulated tenant: edits re-read every webinar and
//! refuse to overwrite changes made in Teams; sessions are added and canceled one by one; a
//! whole series is canceled; a series is deleted locally; Teams webinars are grouped into one.

use chrono::{Duration, NaiveTime, Utc};
use reqwest::Method;
use tenant_sim::{FaultKind, GraphFault, SimHandle};
use webinar_desk_core::graph::types::NewRegistration;
use webinar_desk_core::graph::{Limits, Pacer};
use webinar_desk_core::series::{
    Audience, Change, PlannedSession, PublishOutcome, Publisher, Recurrence, SeriesError,
    SeriesPlan, Until, generate,
};
use webinar_desk_core::store::{JournalEntry, Phase, SeriesState, Store};
use webinar_desk_tests::graph_client;

fn plan(id: &str, sessions: u32) -> SeriesPlan {
    let first = (Utc::now() + Duration::days(21)).date_naive();
    SeriesPlan {
        id: id.into(),
        title: format!("Workshop {id}"),
        description_html: "<p>Hands-on.</p>".into(),
        audience: Audience::Organization,
        co_organizers: vec![],
        time_zone: "Europe/Berlin".into(),
        attendee_emails: true,
        sessions: generate(
            first,
            NaiveTime::from_hms_opt(14, 0, 0).unwrap(),
            90,
            Recurrence::Weekly { every_weeks: 1 },
            Until::Count(sessions),
            1,
        )
        .unwrap(),
        questions: vec![],
        registration: Default::default(),
    }
}

struct Bench {
    sim: SimHandle,
    store: Store,
    graph: webinar_desk_core::graph::GraphClient,
}

impl Bench {
    /// A tenant and a client on a clock 20 times faster, so the write limit (15 per 30 s)
    /// costs 1.5 s instead of 30 when an edit follows a publish.
    async fn new() -> Self {
        let sim = tenant_sim::start(tenant_sim::SimConfig {
            page_size: 50,
            time_scale: 0.05,
            ..tenant_sim::SimConfig::default()
        })
        .await
        .expect("tenant-sim starts");
        let (graph, _) = graph_client(&sim, "organizer");
        let graph = graph.with_pacer(Pacer::new(Limits::GRAPH.scaled(0.05)));
        Bench {
            sim,
            store: Store::open_in_memory().unwrap(),
            graph,
        }
    }

    async fn published(id: &str, sessions: u32) -> (Self, SeriesPlan) {
        let bench = Bench::new().await;
        let p = plan(id, sessions);
        bench.store.save_series(&p, Utc::now()).unwrap();
        let outcome = bench.p().publish(id).await.unwrap();
        assert!(
            matches!(outcome, PublishOutcome::Published { .. }),
            "{outcome:?}"
        );
        (bench, p)
    }

    /// The organizer's publisher, a fresh operation each time.
    fn p(&self) -> Publisher<'_> {
        Publisher {
            graph: &self.graph,
            store: &self.store,
            actor: "megan.bowen@contoso-demo.onmicrosoft.com",
            operation_id: uuid::Uuid::new_v4().to_string(),
            clock: &Utc::now,
        }
    }

    /// Session n's webinar in the tenant, found by its tag.
    fn webinar(&self, p: &SeriesPlan, n: u32) -> tenant_sim::webinars::Webinar {
        let tag = format!("{}:{n}", p.id);
        self.sim
            .webinars()
            .into_iter()
            .find(|w| w.external_ids.contains(&tag))
            .unwrap_or_else(|| panic!("no webinar tagged {tag}"))
    }

    fn journal(&self, id: &str) -> Vec<JournalEntry> {
        self.store.journal_of_series(id).unwrap()
    }
}

#[tokio::test]
async fn an_edit_previews_then_patches_only_what_changed() {
    let (bench, p) = Bench::published("e1", 3).await;
    let mut edited = p.clone();
    edited.sessions[1].start = NaiveTime::from_hms_opt(16, 30, 0).unwrap();
    edited.sessions[2].title_suffix = "Wrap-up".into();

    let writes = bench.sim.graph_stats().writes;
    let preview = bench.p().preview(&edited).await.unwrap();
    assert_eq!(
        bench.sim.graph_stats().writes,
        writes,
        "a preview sends nothing"
    );
    assert!(
        matches!(preview[0], Change::Unchanged { n: 1 }),
        "{preview:?}"
    );
    let Change::Update { fields, .. } = &preview[1] else {
        panic!("{preview:?}")
    };
    assert!(
        fields[0].plain.starts_with("Start moved from")
            && fields[0].plain.ends_with("16:30 (Europe/Berlin)"),
        "{fields:?}"
    );
    let Change::Update { fields, .. } = &preview[2] else {
        panic!("{preview:?}")
    };
    assert_eq!(fields.len(), 1);
    assert_eq!(fields[0].field, "title");

    let outcome = bench.p().edit(&edited).await.unwrap();
    assert_eq!(outcome.state, SeriesState::Published);
    let what: Vec<_> = outcome
        .sessions
        .iter()
        .map(|s| (s.n, s.what, s.error.clone()))
        .collect();
    assert_eq!(
        what,
        [
            (1, "unchanged", None),
            (2, "updated", None),
            (3, "updated", None)
        ]
    );
    assert_eq!(
        bench.sim.graph_stats().writes,
        writes + 2,
        "one PATCH per changed session"
    );
    let moved = bench.webinar(&p, 2);
    assert_eq!(moved.start.format("%H:%M").to_string(), "16:30");
    assert_eq!(
        moved.end.format("%H:%M").to_string(),
        "18:00",
        "the length is kept"
    );
    assert_eq!(bench.webinar(&p, 3).display_name, "Workshop e1 — Wrap-up");
    assert_eq!(
        bench.webinar(&p, 1).start.format("%H:%M").to_string(),
        "14:00"
    );
    let updates: Vec<_> = bench
        .journal("e1")
        .into_iter()
        .filter(|e| e.action == "update")
        .map(|e| (e.n, e.phase))
        .collect();
    assert_eq!(
        updates,
        [
            (Some(2), Phase::Intent),
            (Some(2), Phase::Done),
            (Some(3), Phase::Intent),
            (Some(3), Phase::Done)
        ]
    );
    // Pushing the same plan again changes nothing.
    let again = bench.p().edit(&edited).await.unwrap();
    assert!(
        again.sessions.iter().all(|s| s.what == "unchanged"),
        "{again:?}"
    );
}

#[tokio::test]
async fn an_edit_made_in_teams_is_never_overwritten() {
    let (bench, p) = Bench::published("e2", 2).await;
    let w1 = bench.webinar(&p, 1).id;
    assert!(bench.sim.edit_in_teams(&w1, |w| {
        w.display_name = "Renamed by a colleague".into();
    }));
    let writes = bench.sim.graph_stats().writes;
    let mut edited = p.clone();
    edited.sessions[0].duration_minutes = 120;
    let err = bench.p().edit(&edited).await.unwrap_err();
    let SeriesError::Drifted(changes) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(changes.len(), 1);
    let Change::Drifted { n: 1, fields, .. } = &changes[0] else {
        panic!("{changes:?}")
    };
    assert!(
        fields[0].plain.contains("Renamed by a colleague"),
        "{fields:?}"
    );
    assert!(
        err.to_string().contains("Session 1 changed in Teams"),
        "{err}"
    );
    assert_eq!(bench.sim.graph_stats().writes, writes, "nothing sent");
    assert_eq!(bench.webinar(&p, 1).display_name, "Renamed by a colleague");
    assert_eq!(
        bench.store.series("e2").unwrap().unwrap().0.sessions[0].duration_minutes,
        90,
        "the refused plan is not saved"
    );
    // An edit of the other session goes through; the drifted one is reported, untouched.
    let mut other = p.clone();
    other.sessions[1].duration_minutes = 60;
    let outcome = bench.p().edit(&other).await.unwrap();
    assert_eq!(outcome.sessions[0].what, "drifted");
    assert!(
        outcome.sessions[0].error.is_none(),
        "not blocking: {outcome:?}"
    );
    assert_eq!(outcome.sessions[1].what, "updated");
    assert_eq!(bench.webinar(&p, 1).display_name, "Renamed by a colleague");
}

#[tokio::test]
async fn sessions_are_added_and_canceled_one_by_one() {
    let (bench, p) = Bench::published("e3", 2).await;
    let mut edited = p.clone();
    edited.sessions[0].canceled = true;
    edited.sessions.push(PlannedSession {
        n: 3,
        title_suffix: "Extra".into(),
        date: p.sessions[1].date + Duration::days(7),
        ..p.sessions[1].clone()
    });
    let outcome = bench.p().edit(&edited).await.unwrap();
    let what: Vec<_> = outcome
        .sessions
        .iter()
        .map(|s| (s.n, s.what, s.error.is_some()))
        .collect();
    assert_eq!(
        what,
        [
            (1, "canceled", false),
            (2, "unchanged", false),
            (3, "added", false)
        ]
    );
    assert_eq!(bench.webinar(&p, 1).status, "canceled");
    let added = bench.webinar(&p, 3);
    assert_eq!(added.status, "published");
    assert_eq!(added.display_name, "Workshop e3 — Extra");
    let (saved, state) = bench.store.series("e3").unwrap().unwrap();
    assert_eq!(state, SeriesState::Published);
    assert!(saved.sessions[0].canceled);
    // A canceled session cannot come back: Teams' cancel is permanent.
    let mut revive = saved.clone();
    revive.sessions[0].canceled = false;
    let err = bench.p().edit(&revive).await.unwrap_err();
    assert!(err.to_string().contains("cannot be brought back"), "{err}");
}

#[tokio::test]
async fn a_refused_add_is_undone_and_a_failed_patch_stays_pending() {
    let (bench, p) = Bench::published("e4", 2).await;
    let mut edited = p.clone();
    edited.description_html = "<p>Bring a laptop.</p>".into();
    edited.sessions.push(PlannedSession {
        n: 3,
        date: p.sessions[1].date + Duration::days(7),
        ..p.sessions[1].clone()
    });
    // The second PATCH and the new session's publish are refused.
    bench.sim.inject_graph_fault(
        GraphFault::status("webinars/", 503, "ServiceUnavailable", "Busy.")
            .on(Method::PATCH)
            .skip(1),
    );
    bench
        .sim
        .inject_graph_fault(GraphFault::status("/publish", 403, "Forbidden", "No."));
    let outcome = bench.p().edit(&edited).await.unwrap();
    let what: Vec<_> = outcome
        .sessions
        .iter()
        .map(|s| (s.n, s.what, s.error.is_some()))
        .collect();
    assert_eq!(
        what,
        [
            (1, "updated", false),
            (2, "updated", true),
            (3, "added", true)
        ]
    );
    assert!(
        outcome.sessions[2]
            .error
            .as_deref()
            .unwrap()
            .contains("Nothing was left in Teams"),
        "{outcome:?}"
    );
    let tagged3: Vec<_> = bench
        .sim
        .webinars()
        .into_iter()
        .filter(|w| w.external_ids.contains(&"e4:3".to_string()))
        .collect();
    assert!(
        tagged3.iter().all(|w| w.status == "canceled"),
        "{tagged3:?}"
    );
    assert_eq!(bench.webinar(&p, 1).description, "<p>Bring a laptop.</p>");
    assert_eq!(bench.webinar(&p, 2).description, "<p>Hands-on.</p>");
    // Pushing again finishes both.
    let again = bench.p().edit(&edited).await.unwrap();
    let what: Vec<_> = again
        .sessions
        .iter()
        .map(|s| (s.n, s.what, s.error.is_some()))
        .collect();
    assert_eq!(
        what,
        [
            (1, "unchanged", false),
            (2, "updated", false),
            (3, "added", false)
        ]
    );
    assert_eq!(bench.webinar(&p, 2).description, "<p>Bring a laptop.</p>");
    let live3: Vec<_> = bench
        .sim
        .webinars()
        .into_iter()
        .filter(|w| w.external_ids.contains(&"e4:3".to_string()) && w.status == "published")
        .collect();
    assert_eq!(live3.len(), 1, "one new session 3, no duplicate");
}

#[tokio::test]
async fn a_lost_patch_answer_is_checked_and_a_crashed_edit_is_finished() {
    let (bench, p) = Bench::published("e5", 2).await;
    let mut edited = p.clone();
    edited.title = "Workshop e5 (spring)".into();
    bench.sim.inject_graph_fault(
        GraphFault::new("webinars/", FaultKind::LostResponse).on(Method::PATCH),
    );
    let outcome = bench.p().edit(&edited).await.unwrap();
    assert!(outcome.failed().next().is_none(), "{outcome:?}");
    assert_eq!(
        bench.webinar(&p, 1).display_name,
        "Workshop e5 (spring) — Session 1"
    );
    assert!(
        bench.journal("e5").iter().any(|e| e.action == "update"
            && e.phase == Phase::Done
            && e.message
                .as_deref()
                .is_some_and(|m| m.contains("Read back"))),
        "the lost answer and its check are in the journal"
    );

    // A crash right after the edit was saved, before anything was sent: the next start
    // pushes the saved plan.
    let mut moved = edited.clone();
    moved.sessions[1].start = NaiveTime::from_hms_opt(9, 0, 0).unwrap();
    let entry = JournalEntry {
        seq: None,
        operation_id: "crashed".into(),
        series_id: Some("e5".into()),
        n: None,
        action: "edit".into(),
        target: None,
        phase: Phase::Intent,
        at: Utc::now(),
        actor: "megan".into(),
        client_request_id: None,
        request_id: None,
        status: None,
        error_class: None,
        message: None,
    };
    bench
        .store
        .save_series_edit(&moved, &entry, SeriesState::Updating)
        .unwrap();
    let finished = bench.p().finish_edit("e5").await.unwrap();
    assert_eq!(finished.state, SeriesState::Published);
    assert_eq!(
        bench.webinar(&p, 2).start.format("%H:%M").to_string(),
        "09:00"
    );
    assert_eq!(
        bench.webinar(&p, 1).start.format("%H:%M").to_string(),
        "14:00"
    );
}

#[tokio::test]
async fn canceling_a_series_cancels_every_session_even_one_changed_in_teams() {
    let (bench, p) = Bench::published("e6", 3).await;
    let w2 = bench.webinar(&p, 2).id;
    bench
        .sim
        .edit_in_teams(&w2, |w| w.description = "<p>Edited in Teams</p>".into());
    // Someone registers, so the registrant count has something to count.
    let (attendee, _) = graph_client(&bench.sim, "coorganizer");
    attendee
        .register_me(
            &w2,
            &NewRegistration {
                preferred_timezone: "UTC".into(),
                preferred_language: "en-US".into(),
                external_registration_information: None,
                registration_question_answers: vec![],
            },
        )
        .await
        .expect("registers");
    let outcome = bench.p().cancel_series("e6").await.unwrap();
    assert_eq!(outcome.state, SeriesState::Canceled, "{outcome:?}");
    for n in 1..=3 {
        assert_eq!(bench.webinar(&p, n).status, "canceled", "session {n}");
    }
    assert_eq!(
        bench.store.series("e6").unwrap().unwrap().1,
        SeriesState::Canceled
    );
    let err = bench.p().edit(&p).await.unwrap_err();
    assert!(err.to_string().contains("canceled"), "{err}");
}

#[tokio::test]
async fn deleting_locally_cancels_best_effort_and_always_deletes() {
    let (bench, p) = Bench::published("e7", 3).await;
    // The second cancel is refused.
    bench
        .sim
        .inject_graph_fault(GraphFault::status("/cancel", 403, "Forbidden", "Not yours.").skip(1));
    let remaining = bench.p().delete("e7").await.unwrap();
    assert_eq!(remaining.len(), 1, "{remaining:?}");
    let left = bench.webinar(&p, 2);
    assert_eq!(remaining[0].webinar_id, left.id);
    assert_eq!(left.status, "published");
    assert!(remaining[0].why.contains("403"), "{remaining:?}");
    assert_eq!(bench.webinar(&p, 1).status, "canceled");
    assert_eq!(bench.webinar(&p, 3).status, "canceled");
    assert!(
        bench.store.series("e7").unwrap().is_none(),
        "deleted locally"
    );
    let journal = bench.journal("e7");
    assert!(
        journal
            .iter()
            .any(|e| e.action == "delete"
                && e.message.as_deref().is_some_and(|m| m.contains(&left.id))),
        "the journal keeps the series' history and names what was left"
    );
}

#[tokio::test]
async fn webinars_made_in_teams_are_grouped_into_a_series_and_edited_together() {
    let bench = Bench::new().await;
    // Three webinars made in Teams by hand (drafts published there), not in any series.
    let graph = &bench.graph;
    let stray = plan("stray", 3);
    let tz: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
    let mut ids = Vec::new();
    for s in &stray.sessions {
        let mut body = webinar_desk_core::series::new_webinar(&stray, s, tz);
        body.display_name = format!("Excel clinic — {}", s.title_suffix);
        // Each made by hand, each with its own text.
        body.description.content = Some(format!("<p>Part {} of the clinic.</p>", s.n));
        let w = graph.create_webinar(&body).await.unwrap();
        graph.publish_webinar(&w.id).await.unwrap();
        ids.push(w.id);
    }
    ids.reverse();
    let writes = bench.sim.graph_stats().writes;
    let grouped = bench.p().group("g1", "Excel clinic", &ids).await.unwrap();
    assert_eq!(
        bench.sim.graph_stats().writes,
        writes + 3,
        "three tags, nothing else"
    );
    assert_eq!(grouped.sessions.len(), 3);
    assert_eq!(grouped.time_zone, "Europe/Berlin");
    assert_eq!(
        grouped.sessions[0].title_suffix, "Session 1",
        "ordered by start"
    );
    assert_eq!(
        grouped.sessions[0].start,
        NaiveTime::from_hms_opt(14, 0, 0).unwrap()
    );
    assert_eq!(grouped.description_html, "<p>Part 1 of the clinic.</p>");
    assert_eq!(
        grouped.sessions[2].description_html.as_deref(),
        Some("<p>Part 3 of the clinic.</p>"),
        "a session keeps its own text"
    );
    assert_eq!(
        bench.store.series("g1").unwrap().unwrap().1,
        SeriesState::Published
    );
    // Nothing to push right after grouping: the plan is Teams as it was.
    let preview = bench.p().preview(&grouped).await.unwrap();
    assert!(
        preview
            .iter()
            .all(|c| matches!(c, Change::Unchanged { .. })),
        "{preview:?}"
    );
    let mut edited = grouped.clone();
    edited.sessions[2].duration_minutes = 30;
    let outcome = bench.p().edit(&edited).await.unwrap();
    assert_eq!(outcome.sessions[2].what, "updated", "{outcome:?}");
    assert_eq!(outcome.sessions[1].what, "unchanged", "{outcome:?}");
    let third = bench
        .sim
        .webinars()
        .into_iter()
        .find(|w| w.id == ids[0])
        .unwrap();
    assert_eq!(
        third.description, "<p>Part 3 of the clinic.</p>",
        "not overwritten"
    );
    // Grouping twice is refused: they belong to a series now.
    let err = bench.p().group("g2", "Again", &ids).await.unwrap_err();
    assert!(
        err.to_string().contains("already belongs to a series"),
        "{err}"
    );
}
