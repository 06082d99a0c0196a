//! Syncing registrations and attendance from the simulated tenant into the local copy, with
//! faults: the data and the metrics agree with the tenant, every report version is kept, and a
//! failed sync leaves the previous data as it was.

use std::sync::Arc;

use chrono::Duration;
use reqwest::Method;
use tenant_sim::{GraphFault, GraphSwitches, SeriesSpec, SimHandle};
use webinar_desk_core::attendance::{Interval, Rules, merge};
use webinar_desk_core::store::{PageQuery, Rewritten, Store};
use webinar_desk_core::sync::SyncError;
use webinar_desk_core::sync::attendance::{AttendanceSyncReport, sync_webinar};
use webinar_desk_tests::{graph_client, start_tenant};

fn course(
    sim: &SimHandle,
    title: &str,
    days_ago: i64,
    registrations: usize,
    records: usize,
) -> Vec<String> {
    sim.add_series(&SeriesSpec {
        organizer: "organizer",
        title: title.into(),
        sessions: 2,
        first_start: sim.now() - Duration::days(days_ago),
        every: Duration::days(7),
        length: Duration::hours(1),
        registrations,
        records,
    })
}

async fn sync(
    sim: &SimHandle,
    store: &Arc<Store>,
    id: &str,
) -> Result<AttendanceSyncReport, SyncError> {
    let (graph, _) = graph_client(sim, "organizer");
    sync_webinar(&graph, store, id, Rules::default(), sim.now(), &|_| {}).await
}

fn page(filter: Option<&str>, sort: &str, descending: bool) -> PageQuery {
    PageQuery {
        search: String::new(),
        filter: filter.map(str::to_string),
        sort: sort.into(),
        descending,
        offset: 0,
        limit: 10_000,
    }
}

#[tokio::test]
async fn a_past_session_syncs_registrations_attendance_and_metrics_that_match_the_tenant() {
    let sim = start_tenant(50).await;
    let ids = course(&sim, "Sync course", 20, 120, 150);
    let store = Arc::new(Store::open_in_memory().unwrap());
    let report = sync(&sim, &store, &ids[0]).await.expect("sync");
    let tenant = sim.webinars().into_iter().find(|w| w.id == ids[0]).unwrap();
    assert_eq!(report.registrations, Some(tenant.registrants.len()));
    assert_eq!(report.new_reports, tenant.reports.len());
    assert!(!report.report_pending);

    let stats = store.session_stats(&ids[0]).unwrap().expect("computed");
    let active = tenant
        .registrants
        .iter()
        .filter(|r| r.status != "canceled")
        .count();
    assert_eq!(stats.registered, active);
    assert_eq!(
        stats.registrations_source.as_deref(),
        Some("beta"),
        "v1.0 refuses delegated"
    );
    assert!(stats.attended > 0 && stats.no_shows > 0, "{stats:?}");
    assert!(stats.peak_concurrent > 0 && !stats.presence.is_empty());

    // One registered attendee, checked by hand against the tenant's intervals.
    let record = tenant.reports[0]
        .records
        .iter()
        .find(|r| r.registration_id.is_some() && r.intervals.len() > 1)
        .expect("a registered attendee who rejoined");
    let merged = merge(
        record
            .intervals
            .iter()
            .map(|(j, l)| Interval {
                join: *j,
                leave: *l,
            })
            .collect(),
    );
    let expected: i64 = merged.iter().map(Interval::seconds).sum();
    let all = store
        .attendance_page(&ids[0], &page(None, "name", false))
        .unwrap();
    let row = all
        .rows
        .iter()
        .find(|r| {
            r.person_key == format!("registration:{}", record.registration_id.as_ref().unwrap())
        })
        .expect("the attendee's row");
    assert_eq!(row.seconds_present, expected);
    assert_eq!(row.rejoins as usize, merged.len() - 1);

    // Sorting and filtering happen in SQL and agree with the numbers.
    let by_time = store
        .attendance_page(&ids[0], &page(None, "time", true))
        .unwrap();
    assert!(
        by_time
            .rows
            .windows(2)
            .all(|w| w[0].seconds_present >= w[1].seconds_present)
    );
    let no_shows = store
        .attendance_page(&ids[0], &page(Some("noShow"), "name", false))
        .unwrap();
    assert!(no_shows.rows.iter().all(|r| r.outcome == "noShow"));
    let unregistered = store
        .attendance_page(&ids[0], &page(Some("unregistered"), "name", false))
        .unwrap();
    assert_eq!(unregistered.total, stats.unregistered);
    assert!(unregistered.rows.iter().all(|r| !r.registered));
    let regs = store
        .registrations_page(&ids[0], &page(Some("canceled"), "name", false))
        .unwrap();
    assert_eq!(
        regs.total,
        tenant
            .registrants
            .iter()
            .filter(|r| r.status == "canceled")
            .count()
    );
    let mut paged = page(None, "name", false);
    paged.limit = 7;
    paged.offset = 7;
    let second = store.attendance_page(&ids[0], &paged).unwrap();
    assert_eq!(second.rows.len(), 7);
    assert_eq!(
        second.rows[0].person_key, all.rows[7].person_key,
        "pages follow the sort"
    );
    // Answers to the webinar's questions come along, keyed by question id.
    let questions = store.registration_questions(&ids[0]).unwrap();
    let answered = store
        .registrations_page(&ids[0], &page(None, "name", false))
        .unwrap()
        .rows
        .into_iter()
        .filter(|r| !r.answers.is_empty())
        .count();
    assert!(questions.is_empty() || answered > 0);
}

#[tokio::test]
async fn a_restarted_meeting_adds_a_report_version_and_every_version_is_kept() {
    let sim = start_tenant(50).await;
    let ids = course(&sim, "Restarted course", 20, 40, 50);
    let store = Arc::new(Store::open_in_memory().unwrap());
    sync(&sim, &store, &ids[0]).await.unwrap();
    let before = store.session_stats(&ids[0]).unwrap().unwrap();
    assert!(sim.restart_meeting(&ids[0]));
    sim.advance_clock(Duration::minutes(30));
    let report = sync(&sim, &store, &ids[0]).await.unwrap();
    assert_eq!(report.new_reports, 1, "only the new version is fetched");
    let after = store.session_stats(&ids[0]).unwrap().unwrap();
    assert_eq!(after.report_count, before.report_count + 1);
    let rows = store
        .attendance_page(&ids[0], &page(None, "rejoins", true))
        .unwrap();
    assert!(
        rows.rows[0].rejoins >= 1,
        "people from both versions are combined"
    );
    assert_eq!(
        store.known_report_ids(&ids[0]).unwrap().len(),
        after.report_count
    );
}

/// Only what changed is written: a re-sync with nothing new rewrites no row, a new report
/// version rewrites only the people it changes, and the copy kept this way reads exactly as
/// one written afresh from the same tenant.
#[tokio::test]
async fn a_resync_rewrites_only_what_changed_and_reads_as_a_copy_written_afresh() {
    let sim = start_tenant(50).await;
    let ids = course(&sim, "Incremental course", 20, 60, 80);
    let store = Arc::new(Store::open_in_memory().unwrap());
    let first = sync(&sim, &store, &ids[0]).await.unwrap();
    let people = |store: &Store| {
        let mut rows = store
            .attendance_page(&ids[0], &page(None, "name", false))
            .unwrap()
            .rows;
        rows.sort_by(|a, b| a.person_key.cmp(&b.person_key));
        rows
    };
    let everyone = people(&store).len();
    assert_eq!(
        (first.rewritten.registrations, first.rewritten.people),
        (first.registrations.unwrap(), everyone),
        "a first sync writes every row: {first:?}"
    );

    let again = sync(&sim, &store, &ids[0]).await.unwrap();
    assert_eq!(
        again.rewritten,
        Rewritten::default(),
        "nothing new, nothing rewritten: {again:?}"
    );

    assert!(sim.restart_meeting(&ids[0]));
    sim.advance_clock(Duration::minutes(30));
    let restarted = sync(&sim, &store, &ids[0]).await.unwrap();
    assert_eq!(restarted.new_reports, 1);
    assert_eq!(restarted.rewritten.registrations, 0, "{restarted:?}");
    assert!(
        restarted.rewritten.people > 0 && restarted.rewritten.people < everyone,
        "a second version rewrites the people who came back, not all {everyone}: {restarted:?}"
    );

    let afresh = Arc::new(Store::open_in_memory().unwrap());
    sync(&sim, &afresh, &ids[0]).await.unwrap();
    assert_eq!(people(&store), people(&afresh));
    let registrations = |store: &Store| {
        store
            .registrations_page(&ids[0], &page(None, "name", false))
            .unwrap()
    };
    assert_eq!(registrations(&store), registrations(&afresh));
    let stats = |store: &Store| {
        let mut s = store.session_stats(&ids[0]).unwrap().unwrap();
        s.computed_at = chrono::DateTime::UNIX_EPOCH;
        s
    };
    assert_eq!(stats(&store), stats(&afresh));
}

#[tokio::test]
async fn a_failed_sync_keeps_the_previous_data_and_says_what_failed() {
    let sim = start_tenant(50).await;
    let ids = course(&sim, "Fragile course", 20, 60, 60);
    let store = Arc::new(Store::open_in_memory().unwrap());
    sync(&sim, &store, &ids[0]).await.unwrap();
    let stats = store.session_stats(&ids[0]).unwrap().unwrap();
    let rows = store
        .attendance_page(&ids[0], &page(None, "name", false))
        .unwrap();

    // The registrations' second page keeps failing, past every retry.
    sim.inject_graph_fault(
        GraphFault::status("registrations", 503, "ServiceUnavailable", "Busy.")
            .on(Method::GET)
            .skip(1)
            .times(20),
    );
    let err = sync(&sim, &store, &ids[0]).await.unwrap_err();
    assert!(err.to_string().contains("503"), "{err}");
    let state = store
        .sync_state(&format!("webinar:{}", ids[0]))
        .unwrap()
        .unwrap();
    assert!(
        state
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("503"))
    );
    assert!(state.last_success_at.is_some(), "the last success is kept");
    assert_eq!(store.session_stats(&ids[0]).unwrap().unwrap(), stats);
    assert_eq!(
        store
            .attendance_page(&ids[0], &page(None, "name", false))
            .unwrap(),
        rows
    );
}

/// A first sync writes its registrations as soon as they are read (staged, under a number no
/// reader looks up). The registration settings are read right after that, in the same chain:
/// when they keep failing, the sync fails with its registrations already staged — and takes
/// them back out, leaving nothing of the webinar behind.
#[tokio::test]
async fn a_first_sync_that_fails_after_staging_leaves_nothing_behind() {
    let sim = start_tenant(50).await;
    let ids = course(&sim, "Failing first sync", 20, 60, 60);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cache.sqlite3");
    let store = Arc::new(Store::open(&file).unwrap());
    sim.inject_graph_fault(
        GraphFault::status(
            "registrationConfiguration",
            503,
            "ServiceUnavailable",
            "Busy.",
        )
        .on(Method::GET)
        .times(5),
    );
    let count = |sql: &str| -> i64 {
        let conn = rusqlite::Connection::open(&file).unwrap();
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    };
    let err = sync(&sim, &store, &ids[0]).await.unwrap_err();
    assert!(err.to_string().contains("503"), "{err}");
    // Until the fault runs out (the retries may not have used it up), every sync fails the
    // same way and leaves nothing behind either.
    let mut failed = 1;
    loop {
        assert_eq!(
            count("SELECT count(*) FROM registrations"),
            0,
            "after {failed} failed"
        );
        assert_eq!(count("SELECT count(*) FROM attendance_webinars"), 0);
        assert_eq!(store.session_stats(&ids[0]).unwrap(), None);
        match sync(&sim, &store, &ids[0]).await {
            Ok(_) => break,
            Err(e) => assert!(e.to_string().contains("503"), "{e}"),
        }
        failed += 1;
        assert!(failed <= 5, "the fault was injected for 5 answers");
    }
    assert_eq!(count("SELECT count(*) FROM registrations"), 60);
    assert_eq!(
        count("SELECT count(*) FROM attendance_webinars WHERE staged = 1"),
        0
    );
    // The same copy as a sync that never failed.
    let clean = Arc::new(Store::open_in_memory().unwrap());
    sync(&sim, &clean, &ids[0]).await.unwrap();
    let stats = |s: &Store| {
        let mut stats = s.session_stats(&ids[0]).unwrap().unwrap();
        stats.computed_at = chrono::DateTime::UNIX_EPOCH;
        stats
    };
    assert_eq!(stats(&store), stats(&clean));
    assert_eq!(
        store
            .registrations_page(&ids[0], &page(None, "name", false))
            .unwrap(),
        clean
            .registrations_page(&ids[0], &page(None, "name", false))
            .unwrap()
    );
}

#[tokio::test]
async fn registrations_refused_everywhere_keep_the_last_copy_and_name_the_permission() {
    let sim = start_tenant(50).await;
    sim.set_graph_switches(GraphSwitches {
        v1_registrations_delegated: true,
        ..GraphSwitches::default()
    });
    let ids = course(&sim, "Guarded course", 20, 30, 30);
    let store = Arc::new(Store::open_in_memory().unwrap());
    sync(&sim, &store, &ids[0]).await.unwrap();
    assert_eq!(
        store
            .session_stats(&ids[0])
            .unwrap()
            .unwrap()
            .registrations_source
            .as_deref(),
        Some("v1.0")
    );
    let kept = store
        .registrations_page(&ids[0], &page(None, "name", false))
        .unwrap();
    sim.inject_graph_fault(
        GraphFault::status(
            "/registrations",
            403,
            "Forbidden",
            "Not for delegated callers.",
        )
        .on(Method::GET)
        .times(2),
    );
    let report = sync(&sim, &store, &ids[0]).await.unwrap();
    assert_eq!(report.registrations, None);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("application permission")),
        "{:?}",
        report.warnings
    );
    assert_eq!(
        store
            .registrations_page(&ids[0], &page(None, "name", false))
            .unwrap(),
        kept
    );
    assert_eq!(
        store
            .session_stats(&ids[0])
            .unwrap()
            .unwrap()
            .registrations_source
            .as_deref(),
        Some("v1.0"),
        "the copy shown is the one v1.0 gave"
    );
}

#[tokio::test]
async fn a_session_that_just_ended_shows_its_report_as_pending() {
    let sim = start_tenant(50).await;
    let ids = sim.add_series(&SeriesSpec {
        organizer: "organizer",
        title: "Just ended".into(),
        sessions: 1,
        first_start: sim.now() - Duration::minutes(65),
        every: Duration::days(7),
        length: Duration::hours(1),
        registrations: 20,
        records: 20,
    });
    let store = Arc::new(Store::open_in_memory().unwrap());
    let report = sync(&sim, &store, &ids[0]).await.unwrap();
    assert!(report.report_pending, "{report:?}");
    assert_eq!(report.new_reports, 0);
    sim.advance_clock(Duration::minutes(15));
    let report = sync(&sim, &store, &ids[0]).await.unwrap();
    assert!(!report.report_pending);
    assert_eq!(report.new_reports, 1);
}

#[tokio::test]
async fn faults_between_pages_of_records_neither_lose_nor_repeat_anyone() {
    let sim = start_tenant(50).await;
    let ids = course(&sim, "Flaky pages", 20, 120, 180);
    let clean = Arc::new(Store::open_in_memory().unwrap());
    sync(&sim, &clean, &ids[0]).await.expect("a clean sync");
    let expected = clean
        .attendance_page(&ids[0], &page(None, "name", false))
        .unwrap();

    // The second and third pages of records (and one of registrations) fail once each, then
    // answer: the retries must resume at the same page, neither skipping nor repeating one.
    sim.inject_graph_fault(
        GraphFault::status("attendanceRecords", 503, "ServiceUnavailable", "Busy.")
            .on(Method::GET)
            .skip(1)
            .times(1),
    );
    sim.inject_graph_fault(
        GraphFault::status("attendanceRecords", 504, "GatewayTimeout", "Slow.")
            .on(Method::GET)
            .skip(3)
            .times(1),
    );
    sim.inject_graph_fault(
        GraphFault::status("registrations", 503, "ServiceUnavailable", "Busy.")
            .on(Method::GET)
            .skip(2)
            .times(1),
    );
    let flaky = Arc::new(Store::open_in_memory().unwrap());
    let report = sync(&sim, &flaky, &ids[0]).await.expect("retried sync");
    let tenant = sim.webinars().into_iter().find(|w| w.id == ids[0]).unwrap();
    assert_eq!(report.registrations, Some(tenant.registrants.len()));
    let got = flaky
        .attendance_page(&ids[0], &page(None, "name", false))
        .unwrap();
    assert_eq!(got.total, expected.total);
    assert_eq!(got, expected, "the same people with the same numbers");
    assert_eq!(
        flaky.session_stats(&ids[0]).unwrap().map(|s| s.attended),
        clean.session_stats(&ids[0]).unwrap().map(|s| s.attended)
    );
}
