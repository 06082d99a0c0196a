//! The simulated tenant's documented behaviours and every injectable fault, met by the app's
//! own Graph client: what the client sees, and what state the tenant is left in.

use std::time::{Duration, Instant};

use reqwest::Method;
use tenant_sim::{FaultKind, GraphFault, GraphSwitches, RetryAfter, SeriesSpec};
use webinar_desk_core::graph::types::WebinarPatch;
use webinar_desk_core::graph::{Endpoint, GraphError, Limits, Pacer, Refusal, UserRole};
use webinar_desk_tests::{graph_client, start_tenant};

/// A webinar Megan organizes that is published and still ahead.
fn upcoming(sim: &tenant_sim::SimHandle) -> String {
    let megan = tenant_sim::directory::account("organizer")
        .unwrap()
        .object_id;
    let now = sim.now().naive_utc();
    sim.webinars()
        .into_iter()
        .find(|w| w.organizer == megan && w.status == "published" && w.start > now)
        .expect("the seed has upcoming webinars")
        .id
}

fn new_webinar() -> webinar_desk_core::graph::types::NewWebinar {
    use webinar_desk_core::graph::types::{DateTimeTimeZone, ItemBody, NewWebinar};
    let at = |t: &str| DateTimeTimeZone {
        date_time: t.into(),
        time_zone: Some("Pacific Standard Time".into()),
    };
    NewWebinar {
        display_name: "Lost answers".into(),
        description: ItemBody {
            content_type: Some("text".into()),
            content: Some("A draft to publish.".into()),
        },
        start_date_time: at("2027-02-01T09:00:00"),
        end_date_time: at("2027-02-01T10:00:00"),
        audience: "organization".into(),
        co_organizers: vec![],
        settings: None,
    }
}

fn title(s: &str) -> WebinarPatch {
    WebinarPatch {
        display_name: Some(s.into()),
        ..WebinarPatch::default()
    }
}

#[tokio::test]
async fn latency_delays_the_answer() {
    let sim = start_tenant(20).await;
    let (c, _) = graph_client(&sim, "organizer");
    let id = upcoming(&sim);
    sim.inject_graph_fault(GraphFault::new(&id, FaultKind::Latency { millis: 400 }));
    let started = Instant::now();
    c.webinar(&id).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(400));
}

#[tokio::test]
async fn throttling_with_retry_after_in_both_forms_is_waited_out() {
    let sim = start_tenant(20).await;
    let (c, _) = graph_client(&sim, "organizer");
    let id = upcoming(&sim);
    for form in [RetryAfter::Seconds(1), RetryAfter::HttpDateIn(2)] {
        sim.inject_graph_fault(
            GraphFault::status(&id, 429, "TooManyRequests", "Slow down.").retry_after(form),
        );
        let started = Instant::now();
        c.webinar(&id).await.expect("succeeds after the wait");
        assert!(
            started.elapsed() >= Duration::from_millis(900),
            "{form:?}: waited {:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn a_burst_of_server_errors_is_ridden_out_by_reads_but_not_by_writes() {
    let sim = start_tenant(20).await;
    let (c, _) = graph_client(&sim, "organizer");
    let id = upcoming(&sim);
    for status in [500, 503, 504] {
        sim.inject_graph_fault(
            GraphFault::status(&id, status, "ServiceUnavailable", "Try later.").times(3),
        );
        c.webinar(&id)
            .await
            .expect("three failures, then the fourth attempt");
    }
    sim.inject_graph_fault(
        GraphFault::status(&id, 503, "ServiceUnavailable", "Try later.").on(Method::PATCH),
    );
    let err = c.update_webinar(&id, &title("Changed")).await.unwrap_err();
    assert_eq!(err.refusal(), Some(Refusal::Transient));
    assert_ne!(
        c.webinar(&id).await.unwrap().display_name.as_deref(),
        Some("Changed"),
        "the refused write did not happen and was not repeated"
    );
}

#[tokio::test]
async fn a_connection_reset_mid_body_is_reread_for_gets_and_unknown_for_writes() {
    let sim = start_tenant(20).await;
    let (c, _) = graph_client(&sim, "organizer");
    let id = upcoming(&sim);
    sim.inject_graph_fault(GraphFault::new(&id, FaultKind::ResetMidBody).on(Method::GET));
    c.webinar(&id).await.expect("the read is repeated");

    sim.inject_graph_fault(GraphFault::new(&id, FaultKind::ResetMidBody).on(Method::PATCH));
    let err = c.update_webinar(&id, &title("Reset")).await.unwrap_err();
    assert!(matches!(err, GraphError::OutcomeUnknown { .. }), "{err}");
    assert_eq!(
        c.webinar(&id).await.unwrap().display_name.as_deref(),
        Some("Reset"),
        "the tenant processed it; the client said it could not know"
    );
}

#[tokio::test]
async fn truncated_and_malformed_json_is_reread() {
    let sim = start_tenant(20).await;
    let (c, _) = graph_client(&sim, "organizer");
    for kind in [FaultKind::TruncatedJson, FaultKind::MalformedJson] {
        sim.inject_graph_fault(GraphFault::new("getByUserRole", kind.clone()));
        let list = c.webinars_by_role(UserRole::Organizer).await;
        assert!(list.is_ok_and(|l| l.len() > 20), "{kind:?}");
    }
}

#[tokio::test]
async fn a_lost_response_leaves_the_change_made_and_the_client_unsure() {
    let sim = start_tenant(20).await;
    let (c, _) = graph_client(&sim, "organizer");
    let draft = c.create_webinar(&new_webinar()).await.unwrap().id;
    sim.inject_graph_fault(GraphFault::new("/publish", FaultKind::LostResponse));
    let err = c.publish_webinar(&draft).await.unwrap_err();
    assert!(
        matches!(err, GraphError::OutcomeUnknown { .. }),
        "a publish whose answer was lost is never reported as failed: {err}"
    );
    assert_eq!(
        c.webinar(&draft).await.unwrap().status.as_deref(),
        Some("published"),
        "the tenant did publish it"
    );
}

#[tokio::test]
async fn an_expired_token_mid_operation_is_renewed_once() {
    let sim = start_tenant(20).await;
    let (c, tokens) = graph_client(&sim, "organizer");
    sim.inject_graph_fault(GraphFault::new("getByUserRole", FaultKind::ExpiredToken));
    c.webinars_by_role(UserRole::Organizer).await.unwrap();
    assert_eq!(tokens.renewals.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn edits_and_cancellations_made_in_teams_show_up() {
    let sim = start_tenant(20).await;
    let (c, _) = graph_client(&sim, "organizer");
    let id = upcoming(&sim);
    assert!(sim.edit_in_teams(&id, |w| w.display_name = "Renamed in Teams".into()));
    assert_eq!(
        c.webinar(&id).await.unwrap().display_name.as_deref(),
        Some("Renamed in Teams")
    );
    assert!(sim.cancel_in_teams(&id));
    assert_eq!(
        c.webinar(&id).await.unwrap().status.as_deref(),
        Some("canceled")
    );
    let err = c.publish_webinar(&id).await.unwrap_err();
    assert_eq!(err.status(), Some(400), "cancel is permanent: {err}");
    let err = c.update_webinar(&id, &title("Back")).await.unwrap_err();
    assert_eq!(err.status(), Some(400), "{err}");
}

#[tokio::test]
async fn roles_are_enforced_and_drafts_stay_private() {
    let sim = start_tenant(20).await;
    let (adele, _) = graph_client(&sim, "coorganizer");
    let megan = tenant_sim::directory::account("organizer")
        .unwrap()
        .object_id;
    let adele_id = tenant_sim::directory::account("coorganizer")
        .unwrap()
        .object_id;
    let webinars = sim.webinars();
    let co_organized = webinars
        .iter()
        .find(|w| {
            w.organizer == megan
                && w.co_organizers.iter().any(|c| c == adele_id)
                && w.status == "published"
        })
        .unwrap();
    adele
        .update_webinar(&co_organized.id, &title("Co-organizers may edit"))
        .await
        .expect("co-organizers can update");
    let err = adele.cancel_webinar(&co_organized.id).await.unwrap_err();
    assert_eq!(
        err.refusal(),
        Some(Refusal::Forbidden),
        "only the organizer cancels"
    );
    let (lee, _) = graph_client(&sim, "nopremium");
    let err = lee
        .attendance_reports(&co_organized.id, &co_organized.session_id)
        .await
        .unwrap_err();
    assert_eq!(
        err.refusal(),
        Some(Refusal::Forbidden),
        "attendance is for organizers"
    );
    if let Some(draft) = webinars
        .iter()
        .find(|w| w.organizer == megan && w.status == "draft")
    {
        let err = lee.webinar(&draft.id).await.unwrap_err();
        assert_eq!(
            err.refusal(),
            Some(Refusal::NotFound),
            "a draft is the organizer's only"
        );
    }
}

#[tokio::test]
async fn registrations_fall_back_to_beta_unless_v1_allows_them() {
    let sim = start_tenant(20).await;
    let (c, _) = graph_client(&sim, "organizer");
    let id = upcoming(&sim);
    let (beta, endpoint) = c.registrations(&id).await.unwrap();
    assert_eq!(endpoint, Endpoint::Beta);
    assert!(!beta.is_empty());
    sim.set_graph_switches(GraphSwitches {
        v1_registrations_delegated: true,
        ..GraphSwitches::default()
    });
    let (v1, endpoint) = c.registrations(&id).await.unwrap();
    assert_eq!((v1, endpoint), (beta, Endpoint::V1));
}

#[tokio::test]
async fn premium_only_settings_are_refused_without_teams_premium() {
    let sim = start_tenant(20).await;
    let lee = tenant_sim::directory::account("nopremium")
        .unwrap()
        .object_id;
    let id = sim
        .webinars()
        .into_iter()
        .find(|w| w.organizer == lee && w.status == "published")
        .unwrap()
        .id;
    let token = sim.graph_token("nopremium");
    let url = format!(
        "{}/v1.0/solutions/virtualEvents/webinars/{id}/registrationConfiguration",
        sim.graph_url()
    );
    let patch = |body: serde_json::Value| {
        let (url, token) = (url.clone(), token.clone());
        async move {
            reqwest::Client::new()
                .patch(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let r = patch(serde_json::json!({"isManualApprovalEnabled": true})).await;
    assert_eq!(r.status(), 403);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        body["error"]["innerError"]["code"],
        "TeamsPremiumLicenseRequired"
    );
    assert_eq!(
        patch(serde_json::json!({"capacity": 200})).await.status(),
        200,
        "basic settings are fine"
    );
    sim.set_premium("nopremium", true);
    assert_eq!(
        patch(serde_json::json!({"isWaitlistEnabled": true}))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn attendance_reports_appear_minutes_after_the_end_and_a_restart_adds_one() {
    let sim = start_tenant(50).await;
    let (c, _) = graph_client(&sim, "organizer");
    let now = sim.now();
    let ids = sim.add_series(&SeriesSpec {
        organizer: "organizer",
        title: "Just ended".into(),
        sessions: 1,
        first_start: now - chrono::Duration::minutes(62),
        every: chrono::Duration::days(7),
        length: chrono::Duration::minutes(60),
        registrations: 40,
        records: 30,
    });
    let id = &ids[0];
    let session = c.sessions(id).await.unwrap()[0].id.clone();
    assert!(
        c.attendance_reports(id, &session).await.unwrap().is_empty(),
        "two minutes after the end there is no report yet"
    );
    sim.advance_clock(chrono::Duration::minutes(10));
    let reports = c.attendance_reports(id, &session).await.unwrap();
    assert_eq!(reports.len(), 1);
    let full = c
        .attendance_report(id, &session, &reports[0].id)
        .await
        .unwrap();
    assert_eq!(
        full.attendance_records.len() as i64,
        full.total_participant_count.unwrap()
    );
    let (registrations, _) = c.registrations(id).await.unwrap();
    let known: std::collections::HashSet<_> = registrations.iter().map(|r| r.id.clone()).collect();
    assert!(
        full.attendance_records
            .iter()
            .filter_map(|r| r.registration_id.as_ref())
            .all(|rid| known.contains(rid))
    );

    assert!(sim.restart_meeting(id));
    assert_eq!(
        c.attendance_reports(id, &session).await.unwrap().len(),
        1,
        "not before the delay"
    );
    sim.advance_clock(chrono::Duration::minutes(30));
    let reports = c.attendance_reports(id, &session).await.unwrap();
    assert_eq!(
        reports.len(),
        2,
        "a restarted meeting yields a second report"
    );
    assert!(
        reports[0].meeting_start_date_time > reports[1].meeting_start_date_time,
        "newest first"
    );
}

#[tokio::test]
async fn the_generator_reaches_the_largest_documented_sizes() {
    let sim = start_tenant(1000).await;
    sim.set_graph_switches(GraphSwitches {
        throttling: false,
        ..GraphSwitches::default()
    });
    let (c, _) = graph_client(&sim, "organizer");
    let now = sim.now();
    let ids = sim.add_series(&SeriesSpec {
        organizer: "organizer",
        title: "Big".into(),
        sessions: 1,
        first_start: now - chrono::Duration::days(2),
        every: chrono::Duration::days(7),
        length: chrono::Duration::minutes(90),
        registrations: 5_000,
        records: 15_000,
    });
    let (regs, _) = c.registrations(&ids[0]).await.unwrap();
    assert_eq!(regs.len(), 5_000);
    let session = c.sessions(&ids[0]).await.unwrap()[0].id.clone();
    let report = &c.attendance_reports(&ids[0], &session).await.unwrap()[0];
    let records = c
        .attendance_records(&ids[0], &session, &report.id)
        .await
        .unwrap();
    // The organizer's own record comes on top of the 15,000 attendees.
    assert_eq!(records.len(), 15_001);
    let unregistered = records
        .iter()
        .filter(|r| r.registration_id.is_none())
        .count();
    assert!(
        unregistered > 10_000,
        "{unregistered} attendees without a registration"
    );
}

#[tokio::test]
async fn the_documented_windows_throttle_a_naive_burst_but_not_a_paced_client() {
    // A 30-second window scaled to 3 seconds.
    let sim = tenant_sim::start(tenant_sim::SimConfig {
        time_scale: 0.1,
        ..tenant_sim::SimConfig::default()
    })
    .await
    .unwrap();
    let id = upcoming(&sim);
    let token = sim.graph_token("organizer");
    let url = format!(
        "{}/v1.0/solutions/virtualEvents/webinars/{id}",
        sim.graph_url()
    );
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for n in 0..20 {
        let r = reqwest::Client::new()
            .patch(&url)
            .bearer_auth(&token)
            .json(&serde_json::json!({"displayName": format!("Naive {n}")}))
            .send()
            .await
            .unwrap();
        if r.status() == 429 {
            retry_after = r
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string());
        }
        statuses.push(r.status().as_u16());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        15,
        "{statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 5);
    assert!(
        retry_after.is_some_and(|v| v.parse::<u64>().is_ok()),
        "429 carries Retry-After"
    );

    // Let the window drain, then the app's client with the same (scaled) limits.
    tokio::time::sleep(Duration::from_millis(3_200)).await;
    let before = sim.graph_stats().throttled;
    let (c, _) = graph_client(&sim, "organizer");
    let c = c.with_pacer(Pacer::new(Limits::GRAPH.scaled(0.1)));
    let started = Instant::now();
    for n in 0..20 {
        c.update_webinar(&id, &title(&format!("Paced {n}")))
            .await
            .unwrap();
    }
    let elapsed = started.elapsed();
    assert_eq!(
        sim.graph_stats().throttled,
        before,
        "no 429 for the paced client"
    );
    // 20 writes at 15 per (scaled) window: one window's wait; the upper bound only catches a
    // pacer that waits a window too many.
    assert!(
        elapsed >= Duration::from_millis(3_000) && elapsed < Duration::from_millis(6_000),
        "took {elapsed:?}"
    );
}

#[tokio::test]
async fn the_control_api_steers_the_tenant_over_http() {
    let sim = start_tenant(20).await;
    let http = reqwest::Client::new();
    let control = format!("{}/_sim", sim.graph_url());
    let fault = serde_json::json!({"pathContains": "getByUserRole", "times": 1,
        "kind": {"type": "status", "status": 503, "code": "ServiceUnavailable", "message": "Injected.",
                 "retryAfter": {"seconds": 1}}});
    assert_eq!(
        http.post(format!("{control}/faults"))
            .json(&fault)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    let token = sim.graph_token("organizer");
    let r = http
        .get(format!(
            "{}/v1.0/solutions/virtualEvents/webinars/getByUserRole(role='organizer')",
            sim.graph_url()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "1");
    let id = upcoming(&sim);
    let edit = http
        .post(format!("{control}/teams/webinars/{id}"))
        .json(&serde_json::json!({"displayName": "Edited over HTTP"}))
        .send()
        .await
        .unwrap();
    assert_eq!(edit.status(), 204);
    assert!(
        sim.webinars()
            .iter()
            .any(|w| w.id == id && w.display_name == "Edited over HTTP")
    );
    let stats: serde_json::Value = http
        .get(format!("{control}/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(stats["reads"].as_u64().unwrap() >= 1, "{stats}");
    let bad = http
        .post(format!("{control}/faults"))
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}
