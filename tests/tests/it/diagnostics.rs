//! Diagnostics against the simulated tenant, in each failing configuration an organizer meets:
//! the companion down, a Graph permission not consented, no Teams Premium, registrations
//! refused on both endpoints, a skewed clock, consent missing for On-Behalf-Of, signed out —
//! each check with the verdict and the remedy the organizer reads.

use std::sync::Arc;

use chrono::{Duration, Utc};
use tenant_sim::{EntraSwitches, GraphSwitches, SimHandle};
use webinar_desk_core::Desk;
use webinar_desk_core::auth::{MemoryKeychain, SignInOptions};
use webinar_desk_core::config::{Paths, Profile};
use webinar_desk_core::diagnostics::{CheckId, Outcome, Report};
use webinar_desk_tests::{Home, browser_as, settings_for, signed_in, start_tenant};

async fn organizer(home: &Home, sim: &SimHandle) -> Desk {
    signed_in(home, sim, Arc::new(MemoryKeychain::default()), "organizer").await
}

/// The check, with the whole report in the failure message.
fn check(report: &Report, id: CheckId, outcome: Outcome) -> &webinar_desk_core::diagnostics::Check {
    let c = report.check(id).expect("every check is reported");
    assert_eq!(
        c.outcome,
        outcome,
        "{id:?} should be {outcome:?}:\n{}",
        report.text()
    );
    c
}

fn remedy(c: &webinar_desk_core::diagnostics::Check) -> &str {
    c.remedy
        .as_deref()
        .unwrap_or_else(|| panic!("{:?} has no remedy", c.id))
}

#[tokio::test]
async fn a_healthy_tenant_passes_everything_and_the_report_holds_no_token() {
    let sim = start_tenant(20).await;
    let home = Home::new();
    let d = organizer(&home, &sim).await;
    d.sync_webinars(Utc::now()).await.unwrap();
    let reads = sim.graph_stats().reads;
    let writes = sim.graph_stats().writes;
    let r = d.diagnose(Utc::now(), "9.9.9").await;
    for c in &r.checks {
        assert_eq!(c.outcome, Outcome::Pass, "{:?}:\n{}", c.id, r.text());
    }
    assert_eq!(sim.graph_stats().writes, writes, "diagnostics never write");
    assert!(
        sim.graph_stats().reads - reads <= 8,
        "a handful of reads, not a sync: {}",
        sim.graph_stats().reads - reads
    );
    let text = r.text();
    assert!(
        text.contains("Signed in as megan.bowen@contoso-demo.onmicrosoft.com"),
        "{text}"
    );
    assert!(text.contains("beta endpoint"), "{text}");
    assert!(
        text.contains("Teams Premium is assigned to you (Microsoft_Teams_Premium)"),
        "{text}"
    );
    assert!(text.contains("Webinar Desk 9.9.9"), "{text}");
    assert!(text.contains("local copy schema"), "{text}");
    assert!(!text.contains("eyJ"), "no JWT in the report:\n{text}");
    assert!(!text.to_lowercase().contains("bearer"), "{text}");
}

#[tokio::test]
async fn the_companion_down_is_named_with_its_address_and_the_rest_is_not_guessed() {
    let sim = start_tenant(20).await;
    let home = Home::new();
    // A port nobody listens on: bind one, then let it go.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut settings = settings_for(&sim);
    settings.companion_url = format!("http://127.0.0.1:{port}");
    let d = Desk::new(
        home.paths(),
        Profile::Configured,
        Some(settings.validate().unwrap()),
        Arc::new(MemoryKeychain::default()),
    )
    .unwrap();
    d.sign_in(&SignInOptions::default(), &browser_as("organizer"))
        .await
        .expect("sign-in needs only Entra");
    let r = d.diagnose(Utc::now(), "test").await;
    let c = check(&r, CheckId::Companion, Outcome::Fail);
    assert!(
        c.detail
            .contains(&format!("127.0.0.1:{port} could not be reached")),
        "{}",
        c.detail
    );
    assert!(remedy(c).contains("ask your IT department whether the companion service is running"));
    check(&r, CheckId::SignIn, Outcome::Pass);
    check(&r, CheckId::Clock, Outcome::Pass);
    for id in [
        CheckId::OnBehalfOf,
        CheckId::Scopes,
        CheckId::WebinarList,
        CheckId::Premium,
    ] {
        check(&r, id, Outcome::Unknown);
    }
}

#[tokio::test]
async fn a_graph_permission_nobody_consented_fails_scopes_and_attendance() {
    let sim = start_tenant(20).await;
    let home = Home::new();
    let d = organizer(&home, &sim).await;
    sim.set_entra_switches(EntraSwitches {
        withheld_scope: Some("OnlineMeetingArtifact.Read.All"),
        ..EntraSwitches::default()
    });
    let r = d.diagnose(Utc::now(), "test").await;
    let scopes = check(&r, CheckId::Scopes, Outcome::Fail);
    assert!(
        scopes
            .detail
            .contains("Missing: OnlineMeetingArtifact.Read.All (to read attendance reports)"),
        "{}",
        scopes.detail
    );
    assert!(remedy(scopes).contains("grants admin consent"));
    let attendance = check(&r, CheckId::Attendance, Outcome::Fail);
    assert!(remedy(attendance).contains("OnlineMeetingArtifact.Read.All with admin consent"));
    assert!(
        attendance.request_id.is_some(),
        "Graph's request id is kept"
    );
    assert!(attendance.client_request_id.is_some());
    check(&r, CheckId::WebinarList, Outcome::Pass);
}

#[tokio::test]
async fn an_organizer_without_teams_premium_is_told_what_that_costs_them() {
    let sim = start_tenant(20).await;
    let home = Home::new();
    let d = signed_in(
        &home,
        &sim,
        Arc::new(MemoryKeychain::default()),
        "nopremium",
    )
    .await;
    let r = d.diagnose(Utc::now(), "test").await;
    let c = check(&r, CheckId::Premium, Outcome::Fail);
    assert!(
        c.detail
            .contains("manual approval of registrations and waitlists cannot be used")
    );
    assert!(remedy(c).contains("assign Teams Premium"));
    // A licence given later is seen on the next run.
    sim.set_premium("nopremium", true);
    let r = d.diagnose(Utc::now(), "test").await;
    check(&r, CheckId::Premium, Outcome::Pass);
}

#[tokio::test]
async fn registrations_refused_on_v1_and_beta_ask_for_the_application_permission() {
    let sim = start_tenant(20).await;
    let home = Home::new();
    let d = organizer(&home, &sim).await;
    sim.set_graph_switches(GraphSwitches {
        beta_registrations_delegated: false,
        ..GraphSwitches::default()
    });
    let r = d.diagnose(Utc::now(), "test").await;
    let c = check(&r, CheckId::Registrations, Outcome::Fail);
    assert!(remedy(c).contains("application permission VirtualEvent.Read.All"));
    assert!(c.request_id.is_some());
    // v1.0 allowed: said as such.
    sim.set_graph_switches(GraphSwitches {
        v1_registrations_delegated: true,
        ..GraphSwitches::default()
    });
    let r = d.diagnose(Utc::now(), "test").await;
    let c = check(&r, CheckId::Registrations, Outcome::Pass);
    assert_eq!(c.detail, "Registrations are readable on Graph v1.0.");
}

#[tokio::test]
async fn a_clock_ten_minutes_fast_is_caught_against_the_token_issuer() {
    let sim = start_tenant(20).await;
    let home = Home::new();
    let d = organizer(&home, &sim).await;
    let r = d.diagnose(Utc::now() + Duration::minutes(10), "test").await;
    let c = check(&r, CheckId::Clock, Outcome::Fail);
    assert!(
        c.detail.contains("10 min ahead of Entra ID's"),
        "{}",
        c.detail
    );
    assert!(remedy(c).contains("Set time automatically"));
}

#[tokio::test]
async fn missing_consent_for_on_behalf_of_asks_an_administrator() {
    let sim = start_tenant(20).await;
    let home = Home::new();
    let d = organizer(&home, &sim).await;
    sim.set_entra_switches(EntraSwitches {
        consent_missing: true,
        ..EntraSwitches::default()
    });
    let r = d.diagnose(Utc::now(), "test").await;
    let c = check(&r, CheckId::OnBehalfOf, Outcome::Fail);
    assert!(c.detail.contains("AADSTS65001"), "{}", c.detail);
    assert!(remedy(c).contains("Grant admin consent"));
    check(&r, CheckId::Companion, Outcome::Pass);
    check(&r, CheckId::WebinarList, Outcome::Unknown);
}

#[tokio::test]
async fn signed_out_and_unconfigured_desks_say_what_to_do_first() {
    let sim = start_tenant(20).await;
    let home = Home::new();
    let d = webinar_desk_tests::desk(&home, &sim, Arc::new(MemoryKeychain::default()));
    let r = d.diagnose(Utc::now(), "test").await;
    check(&r, CheckId::Configuration, Outcome::Pass);
    check(&r, CheckId::Companion, Outcome::Pass);
    let c = check(&r, CheckId::SignIn, Outcome::Fail);
    assert_eq!(remedy(c), "Sign in.");
    check(&r, CheckId::WebinarList, Outcome::Unknown);

    let empty = Home::new();
    let d = Desk::configured(
        Paths::under(empty.path()),
        Arc::new(MemoryKeychain::default()),
    )
    .unwrap();
    let r = d.diagnose(Utc::now(), "test").await;
    let c = check(&r, CheckId::Configuration, Outcome::Fail);
    assert!(remedy(c).contains("Open Settings"));
    check(&r, CheckId::Clock, Outcome::Unknown);
}
