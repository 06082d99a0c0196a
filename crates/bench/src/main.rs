//! `cargo xtask bench`: measures the Graph pipeline against the simulated tenant, each figure
//! side by side with its baseline in the same run (these machines are noisy), and prints a
//! Markdown section for BENCHMARKS.md.
//!
//! 1. Pipeline overhead per request: the app's `GraphClient` against raw reqwest doing the same
//!    GET with the same headers and the same typed parse, alternating in rounds.
//! 2. Bursts under the read limit: 1,500 GETs (two windows' worth) through the pacer, against
//!    a naive client firing them all at once; counts the 429s the tenant served.
//! 3. Publishing a 10-session series (30 writes: create, tag, publish each, against 15 writes
//!    per 30 s) with the app's pacer, against the same publisher with pacing switched off (it
//!    still honours Retry-After), and against a naive client that fires every write at once
//!    and gives up on the first refusal (no pacing, no retries).

use std::sync::Arc;
use std::time::{Duration, Instant};

use tenant_sim::{GraphSwitches, SimConfig, SimHandle};
use webinar_desk_core::auth::{AuthError, GraphTokens, Secret};
use webinar_desk_core::graph::types::VirtualEventWebinar;
use webinar_desk_core::graph::{GraphClient, Limits, Pacer};

struct Fixed(String);

impl GraphTokens for Fixed {
    fn graph_token(
        &self,
        _renew: bool,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Secret, AuthError>> + Send + '_>>
    {
        let t = Secret::new(self.0.clone());
        Box::pin(async move { Ok(t) })
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn first_webinar(sim: &SimHandle, client: &GraphClient) -> String {
    let _ = sim;
    client
        .webinars_by_role(webinar_desk_core::graph::UserRole::Organizer)
        .await
        .expect("list")[0]
        .id
        .clone()
}

async fn overhead(rounds: usize, per_round: usize) -> String {
    let sim = tenant_sim::start(SimConfig::default()).await.expect("sim");
    sim.set_graph_switches(GraphSwitches {
        throttling: false,
        ..GraphSwitches::default()
    });
    let token = sim.graph_token("organizer");
    let http = webinar_desk_core::auth::http_client();
    let base = url::Url::parse(sim.graph_url()).unwrap();
    // No pacing limit in the way: this measures the pipeline's own cost.
    let unpaced = Limits {
        reads_per_window: usize::MAX / 2,
        read_concurrency: 1,
        ..Limits::GRAPH
    };
    let client = GraphClient::new(http.clone(), &base, Arc::new(Fixed(token.clone())))
        .with_pacer(Pacer::new(unpaced));
    let id = first_webinar(&sim, &client).await;
    let url = format!(
        "{}/v1.0/solutions/virtualEvents/webinars/{id}",
        sim.graph_url()
    );
    let raw = || async {
        let r = http
            .get(&url)
            .bearer_auth(&token)
            .header("client-request-id", uuid::Uuid::new_v4().to_string())
            .send()
            .await
            .unwrap();
        let bytes = r.bytes().await.unwrap();
        let w: VirtualEventWebinar = serde_json::from_slice(&bytes).unwrap();
        w
    };
    // Warm both paths (connections, caches).
    for _ in 0..200 {
        raw().await;
        client.webinar(&id).await.unwrap();
    }
    let (mut raw_us, mut pipe_us) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let t = Instant::now();
        for _ in 0..per_round {
            raw().await;
        }
        raw_us.push(t.elapsed().as_secs_f64() * 1e6 / per_round as f64);
        let t = Instant::now();
        for _ in 0..per_round {
            client.webinar(&id).await.unwrap();
        }
        pipe_us.push(t.elapsed().as_secs_f64() * 1e6 / per_round as f64);
    }
    let (r, p) = (median(&mut raw_us), median(&mut pipe_us));
    format!(
        "| Sequential GET of one webinar, typed parse ({rounds} rounds × {per_round}) | {r:.0} µs | {p:.0} µs | **{:+.0} µs** (target < 100 µs) |\n",
        p - r
    )
}

async fn burst(scale: f64, total: usize) -> String {
    let sim = tenant_sim::start(SimConfig {
        time_scale: scale,
        ..SimConfig::default()
    })
    .await
    .expect("sim");
    let window = Duration::from_secs(30).mul_f64(scale);
    let token = sim.graph_token("organizer");
    let http = webinar_desk_core::auth::http_client();
    let base = url::Url::parse(sim.graph_url()).unwrap();
    let client = GraphClient::new(http.clone(), &base, Arc::new(Fixed(token.clone())))
        .with_pacer(Pacer::new(Limits::GRAPH.scaled(scale)));
    let id = first_webinar(&sim, &client).await;
    tokio::time::sleep(window + Duration::from_millis(200)).await;

    let before = sim.graph_stats();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..total {
        let (c, id) = (client.clone(), id.clone());
        tasks.spawn(async move { c.webinar(&id).await.map(|_| ()) });
    }
    let mut failed = 0;
    while let Some(r) = tasks.join_next().await {
        if !matches!(r, Ok(Ok(()))) {
            failed += 1;
        }
    }
    let paced = started.elapsed();
    let after = sim.graph_stats();
    let paced_429 = after.throttled - before.throttled;

    tokio::time::sleep(window + Duration::from_millis(200)).await;
    let url = format!(
        "{}/v1.0/solutions/virtualEvents/webinars/{id}",
        sim.graph_url()
    );
    let before = sim.graph_stats();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..total {
        let (http, url, token) = (http.clone(), url.clone(), token.clone());
        tasks.spawn(async move {
            http.get(url)
                .bearer_auth(token)
                .send()
                .await
                .map(|r| r.status().as_u16())
        });
    }
    let mut naive_ok = 0;
    while let Some(r) = tasks.join_next().await {
        if matches!(r, Ok(Ok(200))) {
            naive_ok += 1;
        }
    }
    let naive = started.elapsed();
    let naive_429 = sim.graph_stats().throttled - before.throttled;
    // Bound: the first 750 may go at once; each further 750 needs one more window.
    let bound = window * ((total - 1) / 750) as u32;
    format!(
        "| {total} GETs, window {:.0} s (time scale {scale}) | paced: {:.2} s, **{paced_429} × 429**, {failed} failed (bound {:.1} s, ratio {:.2}) | naive: {:.2} s, {naive_429} × 429, {naive_ok} succeeded |\n",
        window.as_secs_f64(),
        paced.as_secs_f64(),
        bound.as_secs_f64(),
        paced.as_secs_f64() / bound.as_secs_f64().max(1e-9),
        naive.as_secs_f64(),
    )
}

async fn publish_series(scale: f64) -> String {
    use webinar_desk_core::series::{
        Audience, PublishOutcome, Publisher, Recurrence, SeriesPlan, Until, generate,
    };
    use webinar_desk_core::store::Store;
    let window = Duration::from_secs(30).mul_f64(scale);
    let run = |paced: bool, retries: bool, id: &'static str| async move {
        let sim = tenant_sim::start(SimConfig {
            time_scale: scale,
            ..SimConfig::default()
        })
        .await
        .expect("sim");
        let limits = if paced {
            Limits::GRAPH.scaled(scale)
        } else {
            Limits {
                writes_per_window: usize::MAX / 2,
                reads_per_window: usize::MAX / 2,
                ..Limits::GRAPH.scaled(scale)
            }
        };
        let client = GraphClient::new(
            webinar_desk_core::auth::http_client(),
            &url::Url::parse(sim.graph_url()).unwrap(),
            Arc::new(Fixed(sim.graph_token("organizer"))),
        )
        .with_pacer(Pacer::new(limits));
        let client = if retries {
            client
        } else {
            client.with_retry(webinar_desk_core::graph::RetryPolicy {
                max_attempts: 1,
                base_delay: Duration::ZERO,
                max_delay: Duration::ZERO,
                max_wait: Duration::ZERO,
            })
        };
        let store = Store::open_in_memory().unwrap();
        let first = (chrono::Utc::now() + chrono::Duration::days(30)).date_naive();
        let plan = SeriesPlan {
            id: id.into(),
            title: "Benchmark course".into(),
            description_html: "<p>Ten sessions.</p>".into(),
            audience: Audience::Organization,
            co_organizers: vec![],
            time_zone: "Europe/Berlin".into(),
            attendee_emails: true,
            sessions: generate(
                first,
                chrono::NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
                60,
                Recurrence::Weekly { every_weeks: 1 },
                Until::Count(10),
                1,
            )
            .unwrap(),
            questions: vec![],
            registration: Default::default(),
        };
        store.save_series(&plan, chrono::Utc::now()).unwrap();
        let before = sim.graph_stats();
        let started = Instant::now();
        let outcome = Publisher {
            graph: &client,
            store: &store,
            actor: "bench",
            operation_id: "bench".into(),
            clock: &chrono::Utc::now,
        }
        .publish(id)
        .await
        .expect("publish runs");
        let took = started.elapsed();
        let after = sim.graph_stats();
        let ended = match outcome {
            PublishOutcome::Published { .. } => "published".to_string(),
            PublishOutcome::RolledBack { .. } => "failed, rolled back".to_string(),
            PublishOutcome::PartiallyRolledBack { remaining, .. } => {
                format!("failed, {} webinars left in Teams", remaining.len())
            }
        };
        (
            took,
            after.writes - before.writes,
            after.throttled - before.throttled,
            ended,
        )
    };
    let (paced, writes, paced_429, paced_ok) = run(true, true, "paced").await;
    let (unpaced, unpaced_writes, unpaced_429, unpaced_ok) = run(false, true, "unpaced").await;
    let (naive, naive_writes, naive_429, naive_ok) = run(false, false, "naive").await;
    // The first 15 writes may go at once; each further 15 need one more window.
    let bound = window * ((writes.max(1) - 1) / 15) as u32;
    format!(
        "| 10 sessions, {writes} writes, window {:.0} s (time scale {scale}) | {:.2} s, **{paced_429} × 429**, {paced_ok} (bound {:.1} s, ratio {:.2}) | {:.2} s, {unpaced_429} × 429, {unpaced_writes} writes, {unpaced_ok} | {:.2} s, {naive_429} × 429, {naive_writes} writes, {naive_ok} |\n",
        window.as_secs_f64(),
        paced.as_secs_f64(),
        bound.as_secs_f64(),
        paced.as_secs_f64() / bound.as_secs_f64().max(1e-9),
        unpaced.as_secs_f64(),
        naive.as_secs_f64(),
    )
}

/// Each session of the series sync benchmark: 1,000 registrations and 3,000 attendance records.
const SYNC_REGISTRATIONS: usize = 1_000;
const SYNC_RECORDS: usize = 3_000;

/// Seeds `sessions` past sessions of the series sync benchmark's size; returns their ids.
fn past_sessions(sim: &SimHandle, title: &str, sessions: usize) -> Vec<String> {
    sim.add_series(&tenant_sim::SeriesSpec {
        organizer: "organizer",
        title: title.into(),
        sessions,
        first_start: sim.now() - chrono::Duration::days(30),
        every: chrono::Duration::days(1),
        length: chrono::Duration::hours(1),
        registrations: SYNC_REGISTRATIONS,
        records: SYNC_RECORDS,
    })
}

/// Chains of dependent requests in one webinar's sync at this page size: v1.0 refusing the
/// registrations, their pages on beta, the registration configuration, the questions and the
/// webinar; sessions, then reports, then record pages. The longest sets the time.
fn longest_chain(page: usize, registrations: usize, records: usize) -> usize {
    let pages = |n: usize| n.div_ceil(page).max(1);
    (1 + pages(registrations) + 3).max(2 + pages(records))
}

/// The app's sync of a 10-session series, `ROUNDS` times, each against a tenant of its own (so
/// no round starts under another's read limit) into an empty store: the median is reported,
/// with the fastest and slowest round, since one round of a few hundred milliseconds moves
/// with whatever else this machine is doing. Then the naive client, once.
async fn sync_series(page: usize, scale: f64, latency: Duration) -> String {
    use webinar_desk_core::attendance::Rules;
    use webinar_desk_core::store::Store;
    use webinar_desk_core::sync::attendance::sync_webinars;
    const SESSIONS: usize = 10;
    const ROUNDS: usize = 5;
    let window = Duration::from_secs(30).mul_f64(scale);
    let client = |sim: &SimHandle| {
        GraphClient::new(
            webinar_desk_core::auth::http_client(),
            &url::Url::parse(sim.graph_url()).unwrap(),
            Arc::new(Fixed(sim.graph_token("organizer"))),
        )
    };
    let (mut times, mut gets, mut throttled, mut failed, mut kept) = (Vec::new(), 0, 0, 0, 0);
    let mut last = None;
    for _ in 0..ROUNDS {
        let sim = tenant_sim::start(SimConfig {
            time_scale: scale,
            page_size: page,
            ..SimConfig::default()
        })
        .await
        .expect("sim");
        let ids = past_sessions(&sim, "Sync benchmark", SESSIONS);
        sim.set_latency(latency);
        // The app: every session at once through the shared pacer, written to a file store.
        let dir = std::env::temp_dir().join(format!("wd-bench-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let store = Arc::new(Store::open(&dir.join("cache.sqlite3")).unwrap());
        let app = client(&sim).with_pacer(Pacer::new(Limits::GRAPH.scaled(scale)));
        let before = sim.graph_stats();
        let started = Instant::now();
        let results = sync_webinars(
            &app,
            &store,
            &ids,
            Rules::default(),
            chrono::Utc::now(),
            Arc::new(|_: &str, _| {}),
        )
        .await;
        times.push(started.elapsed().as_secs_f64());
        let after = sim.graph_stats();
        failed += results.iter().filter(|r| r.is_err()).count();
        // Every round reads and keeps the same: the last round's counts stand for all.
        kept = ids
            .iter()
            .map(|id| store.session_stats(id).unwrap().map_or(0, |s| s.registered))
            .sum();
        gets = (after.reads - before.reads) as usize;
        throttled += after.throttled - before.throttled;
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
        last = Some((sim, ids));
    }
    let (sim, ids) = last.expect("at least one round");
    let (fastest, slowest) = (
        times.iter().copied().fold(f64::INFINITY, f64::min),
        times.iter().copied().fold(0.0, f64::max),
    );
    let took = median(&mut times);

    // Naive: the same fetches, one after another, nothing written.
    tokio::time::sleep(window + Duration::from_millis(200)).await;
    let naive = client(&sim).with_pacer(Pacer::new(Limits {
        reads_per_window: usize::MAX / 2,
        read_concurrency: 1,
        ..Limits::GRAPH.scaled(scale)
    }));
    let before = sim.graph_stats();
    let started = Instant::now();
    for id in &ids {
        naive.webinar(id).await.unwrap();
        naive.registrations(id).await.unwrap();
        naive.registration_questions(id).await.unwrap();
        for s in naive.sessions(id).await.unwrap() {
            for r in naive.attendance_reports(id, &s.id).await.unwrap() {
                naive.attendance_records(id, &s.id, &r.id).await.unwrap();
            }
        }
    }
    let naive_took = started.elapsed();
    let naive_gets = sim.graph_stats().reads - before.reads;

    let chain = latency * longest_chain(page, SYNC_REGISTRATIONS, SYNC_RECORDS) as u32;
    let limit = window * ((gets.max(1) - 1) / 750) as u32;
    let bound = chain.max(limit).as_secs_f64();
    format!(
        "| {SESSIONS} × {SYNC_REGISTRATIONS} registrations × {SYNC_RECORDS} records, {} ms latency, page {page}, window {:.0} s | {took:.3} s (median of {ROUNDS}; {fastest:.3}–{slowest:.3} s), {gets} GETs each, **{throttled} × 429**, {failed} failed, {kept} registrations kept (bound {bound:.2} s {}, **ratio {:.2}**; {:.2}–{:.2}) | {:.2} s, {naive_gets} GETs (**{:.1} × slower**) |\n",
        latency.as_millis(),
        window.as_secs_f64(),
        if limit > chain {
            "by the limit"
        } else {
            "by latency"
        },
        took / bound.max(1e-9),
        fastest / bound.max(1e-9),
        slowest / bound.max(1e-9),
        naive_took.as_secs_f64(),
        naive_took.as_secs_f64() / took,
    )
}

/// What the latency-bound series sync stands on, on this machine: the same session synced alone
/// by the app, the longest chain of its GETs made one after another by a client that only
/// parses them, and one small GET with and without the latency. The bound counts only the
/// latency; these show what the simulated network and the parsing add before any sharing of
/// the two cores by ten sessions at once.
async fn sync_floor(page: usize, latency: Duration) -> String {
    use webinar_desk_core::attendance::Rules;
    use webinar_desk_core::store::Store;
    use webinar_desk_core::sync::attendance::sync_webinars;
    const ROUNDS: usize = 5;
    let sim = tenant_sim::start(SimConfig {
        page_size: page,
        ..SimConfig::default()
    })
    .await
    .expect("sim");
    sim.set_graph_switches(GraphSwitches {
        throttling: false,
        ..GraphSwitches::default()
    });
    let ids = past_sessions(&sim, "Sync floor", ROUNDS);
    let client = GraphClient::new(
        webinar_desk_core::auth::http_client(),
        &url::Url::parse(sim.graph_url()).unwrap(),
        Arc::new(Fixed(sim.graph_token("organizer"))),
    )
    .with_pacer(Pacer::new(Limits::GRAPH));
    let small = |lat: Duration| {
        let (sim, client, id) = (&sim, &client, &ids[0]);
        async move {
            sim.set_latency(lat);
            let mut ms = Vec::new();
            for _ in 0..32 {
                let t = Instant::now();
                client.webinar(id).await.unwrap();
                ms.push(t.elapsed().as_secs_f64() * 1e3);
            }
            median(&mut ms)
        }
    };
    let quiet = small(Duration::ZERO).await;
    let delayed = small(latency).await;
    sim.set_latency(latency);
    // Each round a session not synced before (so every report is new), alone, then its chain.
    let (mut alone, mut chain) = (Vec::new(), Vec::new());
    for id in &ids {
        let dir = std::env::temp_dir().join(format!("wd-bench-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let store = Arc::new(Store::open(&dir.join("cache.sqlite3")).unwrap());
        let started = Instant::now();
        let done = sync_webinars(
            &client,
            &store,
            std::slice::from_ref(id),
            Rules::default(),
            chrono::Utc::now(),
            Arc::new(|_: &str, _| {}),
        )
        .await;
        alone.push(started.elapsed().as_secs_f64());
        assert!(done.iter().all(Result::is_ok), "the session synced");
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
        let started = Instant::now();
        let sessions = client.sessions(id).await.unwrap();
        let reports = client
            .attendance_reports(id, &sessions[0].id)
            .await
            .unwrap();
        let records = client
            .attendance_records(id, &sessions[0].id, &reports[0].id)
            .await
            .unwrap();
        chain.push(started.elapsed().as_secs_f64());
        assert!(records.len() >= SYNC_RECORDS, "every record was read");
    }
    let steps = longest_chain(page, SYNC_REGISTRATIONS, SYNC_RECORDS);
    let bound = (latency * steps as u32).as_secs_f64();
    let (alone, chain) = (median(&mut alone), median(&mut chain));
    format!(
        "\n| Where the latency-bound sync stands on this machine (page {page}, {} ms latency, bound {bound:.2} s = {steps} × {} ms; medians of {ROUNDS}) | time | against the bound |\n|---|---|---|\n\
         | One small GET (a webinar), no latency set → {} ms set | {quiet:.2} ms → {delayed:.2} ms | the simulated network adds {:.2} ms |\n\
         | The longest chain alone: sessions, reports, {} pages of records, one after another, parsed, nothing written | {chain:.3} s | **{:.2} ×** |\n\
         | One session synced alone by the app (both chains, written, metrics recomputed) | {alone:.3} s | **{:.2} ×** |\n",
        latency.as_millis(),
        latency.as_millis(),
        latency.as_millis(),
        delayed - quiet,
        SYNC_RECORDS.div_ceil(page),
        chain / bound,
        alone / bound,
    )
}

/// A webinar with `people` attendees (one record each, two intervals, some joining late and
/// leaving early) and as many registrations, 90 % of them matched by registration id.
fn large_webinar(people: usize) -> webinar_desk_core::sync::attendance::AttendancePlan {
    use webinar_desk_core::attendance::Interval;
    use webinar_desk_core::sync::attendance::{
        AttendancePlan, RecordRow, RegistrationRow, ReportRow,
    };
    let start = chrono::Utc::now() - chrono::Duration::days(2);
    let end = start + chrono::Duration::hours(1);
    let minute = chrono::Duration::minutes(1);
    let registrations = (0..people)
        .map(|i| RegistrationRow {
            id: format!("reg-{i}"),
            email: Some(format!("person{i}@contoso.example")),
            first_name: format!("First{}", i % 997),
            last_name: format!("Last{i}"),
            status: "registered".into(),
            registered_at: Some(start - chrono::Duration::days(7)),
            canceled_at: None,
            user_id: None,
            answers: [("q1".to_string(), format!("Team {}", i % 13))].into(),
        })
        .collect();
    let records = (0..people)
        .map(|i| {
            // Present 10–60 minutes in two stretches, so outcomes spread over all three.
            let late = minute * (i % 7) as i32;
            let first = minute * (5 + (i % 30) as i32);
            let gap = minute * (i % 5) as i32;
            let second = minute * (5 + (i % 20) as i32);
            let join = start + late;
            RecordRow {
                id: format!("rec-{i}"),
                email: Some(format!("person{i}@contoso.example")),
                name: Some(format!("First{} Last{i}", i % 997)),
                identity_id: None,
                registration_id: (i % 10 != 0).then(|| format!("reg-{i}")),
                role: Some("Attendee".into()),
                total_seconds: Some((first + second).num_seconds()),
                intervals: vec![
                    Interval {
                        join,
                        leave: join + first,
                    },
                    Interval {
                        join: join + first + gap,
                        leave: (join + first + gap + second).min(end),
                    },
                ],
            }
        })
        .collect();
    AttendancePlan {
        webinar_id: "large-webinar".into(),
        scheduled_start: Some(start),
        scheduled_end: Some(end),
        registrations: Some(registrations),
        registrations_source: Some("v1.0"),
        questions: vec![("q1".into(), "Team".into())],
        new_reports: vec![ReportRow {
            id: "report-1".into(),
            session_id: "session-1".into(),
            meeting_start: Some(start),
            meeting_end: Some(end),
            total_participants: Some(people as i64),
            records,
        }],
        warnings: vec![],
        links: Default::default(),
    }
}

/// Copies the reports (with their records) and attendance sheets of the database at `from` into a new database at `to`
/// (the app's schema and settings), timing only the inserts and their commit.
fn sqlite_floor(from: &std::path::Path, to: &std::path::Path) -> f64 {
    use rusqlite::Connection;
    use rusqlite::types::Value;
    drop(webinar_desk_core::store::Store::open(to).unwrap());
    let src = Connection::open(from).unwrap();
    let rows = |sql: &str| -> Vec<Vec<Value>> {
        let mut stmt = src.prepare(sql).unwrap();
        let n = stmt.column_count();
        stmt.query_map([], |r| (0..n).map(|i| r.get::<_, Value>(i)).collect())
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let webinars = rows("SELECT * FROM attendance_webinars");
    let reports = rows("SELECT * FROM attendance_reports");
    let people = rows("SELECT * FROM attendance_sheets");
    let mut dst = Connection::open(to).unwrap();
    for (pragma, value) in [
        ("synchronous", "NORMAL"),
        ("cache_size", "-65536"),
        ("temp_store", "MEMORY"),
        ("foreign_keys", "ON"),
    ] {
        dst.pragma_update(None, pragma, value).unwrap();
    }
    let insert = |tx: &rusqlite::Transaction<'_>, table: &str, rows: &[Vec<Value>]| {
        let marks = vec!["?"; rows[0].len()].join(", ");
        let mut stmt = tx
            .prepare(&format!("INSERT INTO {table} VALUES ({marks})"))
            .unwrap();
        for row in rows {
            stmt.execute(rusqlite::params_from_iter(row)).unwrap();
        }
    };
    let tx = dst.transaction().unwrap();
    insert(&tx, "attendance_webinars", &webinars);
    tx.commit().unwrap();
    let t = Instant::now();
    let tx = dst.transaction().unwrap();
    insert(&tx, "attendance_reports", &reports);
    insert(&tx, "attendance_sheets", &people);
    tx.commit().unwrap();
    t.elapsed().as_secs_f64()
}

fn store_bench(people: usize) -> String {
    use webinar_desk_core::attendance::Rules;
    use webinar_desk_core::store::{PageQuery, Store};
    let plan = large_webinar(people);
    let dir = std::env::temp_dir().join(format!("wd-bench-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut out = String::new();
    // Each round on a fresh database file: the registrations arrive first (their own figure),
    // then the report's records are written and everything recomputed (the target), then a
    // re-sync with nothing new recomputes again.
    let (mut registering, mut first, mut again) = (Vec::new(), Vec::new(), Vec::new());
    let mut store = None;
    for round in 0..3 {
        let s = Store::open(&dir.join(format!("cache-{round}.sqlite3"))).unwrap();
        let registrations_only = webinar_desk_core::sync::attendance::AttendancePlan {
            new_reports: vec![],
            ..plan.clone()
        };
        let records_only = webinar_desk_core::sync::attendance::AttendancePlan {
            registrations: None,
            ..plan.clone()
        };
        // As a page opening syncs: the registrations listed again (unchanged), no new report.
        let nothing_new = webinar_desk_core::sync::attendance::AttendancePlan {
            new_reports: vec![],
            ..plan.clone()
        };
        for (p, times) in [
            (&registrations_only, &mut registering),
            (&records_only, &mut first),
            (&nothing_new, &mut again),
        ] {
            let t = Instant::now();
            s.apply_attendance(p, Rules::default(), chrono::Utc::now())
                .unwrap();
            times.push(t.elapsed().as_secs_f64());
        }
        store = Some(s);
    }
    let store = store.unwrap();
    let records: usize = plan.new_reports.iter().map(|r| r.records.len()).sum();
    let intervals: usize = plan
        .new_reports
        .iter()
        .flat_map(|r| &r.records)
        .map(|r| r.intervals.len())
        .sum();
    out.push_str(&format!(
        "| {people} registrations of one webinar written (with the metrics recomputed) | **{:.3} s** |\n| {records} attendance records ({intervals} intervals) of that webinar written, {people} people's metrics recomputed, one transaction | **{:.3} s** (target ≤ 0.5 s) |\n| Re-sync with nothing new (the {people} registrations listed again, unchanged; no new report): metrics recomputed, nothing rewritten | **{:.3} s** |\n",
        median(&mut registering),
        median(&mut first),
        median(&mut again),
    ));
    // The machine's floor for the target row, in the same run: the rows the app wrote (its
    // report with the records, and the session's sheet) copied into an empty copy of the schema, one prepared INSERT
    // per row in one transaction, with the app's settings — no reading, no metrics, no
    // comparing. SQLite's own cost of those writes, to read the app's figure against.
    let mut floor: Vec<f64> = (0..3)
        .map(|round| {
            sqlite_floor(
                &dir.join("cache-2.sqlite3"),
                &dir.join(format!("floor-{round}.sqlite3")),
            )
        })
        .collect();
    out.push_str(&format!(
        "| Floor: the same {records} records (with their report) and the sheet of {people} people inserted into an empty copy of the schema, one transaction, nothing else | **{:.3} s** |\n",
        median(&mut floor)
    ));
    let query =
        |search: &str, filter: Option<&str>, sort: &str, descending: bool, offset| PageQuery {
            search: search.into(),
            filter: filter.map(str::to_string),
            sort: sort.into(),
            descending,
            offset,
            limit: 100,
        };
    let cases = [
        ("first page, by name", query("", None, "name", false, 0)),
        (
            "outcome = partial, by time present descending, rows 5,001–5,100",
            query("", Some("partial"), "time", true, 5_000),
        ),
        (
            "outcome = attended, by name, last page",
            query("", Some("attended"), "name", false, usize::MAX / 2),
        ),
        (
            "outcome = attended, by e-mail (not indexed), last page",
            query("", Some("attended"), "email", false, usize::MAX / 2),
        ),
        (
            "search \"last4\", by late minutes",
            query("last4", None, "late", false, 0),
        ),
    ];
    for (what, mut q) in cases {
        if q.offset == usize::MAX / 2 {
            let total = store.attendance_page("large-webinar", &q).unwrap().total;
            q.offset = total.saturating_sub(100);
        }
        let mut times = Vec::new();
        let mut total = 0;
        for _ in 0..30 {
            let t = Instant::now();
            let page = store.attendance_page("large-webinar", &q).unwrap();
            times.push(t.elapsed().as_secs_f64() * 1e3);
            total = page.total;
        }
        out.push_str(&format!(
            "| Page of 100 of {people} people: {what} ({total} match) | **{:.1} ms** (target ≤ 10 ms) |\n",
            median(&mut times)
        ));
    }
    // CSV export of every person: read from the store, then written; each measured apart.
    let session = webinar_desk_core::export::SessionInfo {
        webinar_id: "large-webinar".into(),
        title: "Large webinar".into(),
        series: Some(("Benchmark series".into(), 1)),
        start: None,
        questions: store.registration_questions("large-webinar").unwrap(),
    };
    // Read from the store, written apart (each measured alone), then the export as the app
    // runs it: the store read on one thread while the file is written on the other.
    let (mut reading, mut writing, mut whole, mut bytes) = (Vec::new(), Vec::new(), Vec::new(), 0);
    let mut rows = 0;
    let tz = chrono_tz::Europe::Berlin;
    let options = webinar_desk_core::export::CsvOptions::default();
    for _ in 0..5 {
        let t = Instant::now();
        let mut people = Vec::new();
        store
            .attendance_batches("large-webinar", 2048, |b| {
                people.extend(b);
                true
            })
            .unwrap();
        reading.push(t.elapsed().as_secs_f64());
        rows = people.len();
        let data = vec![(session.clone(), people)];
        let t = Instant::now();
        let csv = webinar_desk_core::export::attendance(&data, tz, options).unwrap();
        writing.push(t.elapsed().as_secs_f64());
        bytes = csv.len();
        let t = Instant::now();
        let (piped, n) = webinar_desk_core::desk::attendance_csv(
            &store,
            std::slice::from_ref(&session),
            tz,
            options,
        )
        .unwrap();
        whole.push(t.elapsed().as_secs_f64());
        assert_eq!((piped.len(), n), (bytes, rows), "the same file either way");
    }
    let (read, write, both) = (
        median(&mut reading),
        median(&mut writing),
        median(&mut whole),
    );
    out.push_str(&format!(
        "| CSV export of {rows} rows (attendance, {} MB), as the app runs it: the store read on one thread while the file is written on the other (alone: read {:.3} s, write {:.3} s) | **{:.3} s** (target ≤ 0.3 s) |\n",
        bytes / 1_000_000,
        read,
        write,
        both
    ));
    drop(store);
    if std::env::var_os("KEEP_BENCH_DB").is_some() {
        eprintln!("kept {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    out
}

// The allocator the app and the CLI use, so the figures are theirs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod desktop;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let real_time = std::env::args().any(|a| a == "--real-time");
    // `--only NAME` runs one group (overhead, burst, publish, sync, drift, store; desktop only
    // this way) while working on it.
    let only = std::env::args().skip_while(|a| a != "--only").nth(1);
    let wanted = |name: &str| only.as_deref().is_none_or(|o| o == name);
    let mut out = String::new();
    out.push_str(&format!(
        "### {} — {}\n\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        machine()
    ));
    if wanted("overhead") {
        out.push_str(
            "| Pipeline overhead | raw reqwest | GraphClient | difference |\n|---|---|---|---|\n",
        );
        out.push_str(&overhead(15, 400).await);
    }
    if wanted("burst") {
        out.push_str("\n| Read burst | app (pacer) | naive (all at once) |\n|---|---|---|\n");
        out.push_str(&burst(0.1, 1_500).await);
        if real_time {
            out.push_str(&burst(1.0, 1_500).await);
        }
    }
    if wanted("publish") {
        out.push_str(
            "\n| Series publish | app (pacer) | no pacing, honours Retry-After | naive: no pacing, no retries |\n|---|---|---|---|\n",
        );
        out.push_str(&publish_series(0.1).await);
        if real_time {
            out.push_str(&publish_series(1.0).await);
        }
    }
    if wanted("sync") {
        out.push_str(
            "\n| Series attendance sync | app (concurrent, paced) | naive sequential |\n|---|---|---|\n",
        );
        out.push_str(&sync_series(100, 1.0, Duration::from_millis(20)).await);
        out.push_str(&sync_series(50, 0.1, Duration::from_millis(20)).await);
        out.push_str(&sync_floor(100, Duration::from_millis(20)).await);
    }
    if wanted("drift") {
        out.push_str("\n| Drift check of 100 webinars, 20 ms latency | GETs | time | bound | |\n|---|---|---|---|---|\n");
        out.push_str(&drift_check(Duration::from_millis(20)).await);
    }
    if wanted("store") {
        out.push_str("\n| Local store (SQLite file, WAL) | median of runs |\n|---|---|\n");
        out.push_str(&store_bench(100_000));
    }
    // Only when asked: it needs the release and debug apps and their installers built
    // (`cargo xtask bundle`, `cargo build --workspace`) and takes minutes.
    if only.as_deref() == Some("desktop") {
        out.push_str(&desktop::run().await);
    }
    println!("{out}");
}

/// A drift check of 100 webinars (100 upcoming sessions among the tenant's seeded webinars)
/// at 20 ms latency: the list-level check every page open makes, against a check that also
/// reads registration settings and questions (two GETs a webinar), against the naive check
/// (one GET per webinar, in turn). Counts the GETs the tenant served.
async fn drift_check(latency: Duration) -> String {
    use webinar_desk_core::drift::check::{Target, check};
    use webinar_desk_core::store::Store;
    let sim = tenant_sim::start(SimConfig::default()).await.expect("sim");
    let now = sim.now();
    let ids = sim.add_series(&tenant_sim::SeriesSpec {
        organizer: "organizer",
        title: "Drift benchmark".into(),
        sessions: 100,
        first_start: now + chrono::Duration::days(1),
        every: chrono::Duration::days(1),
        length: chrono::Duration::hours(1),
        registrations: 0,
        records: 0,
    });
    sim.set_latency(latency);
    let client = GraphClient::new(
        webinar_desk_core::auth::http_client(),
        &url::Url::parse(sim.graph_url()).unwrap(),
        Arc::new(Fixed(sim.graph_token("organizer"))),
    )
    .with_pacer(Pacer::new(Limits::GRAPH));
    let targets = |registration: bool| -> Vec<Target> {
        ids.iter()
            .map(|id| Target {
                webinar_id: id.clone(),
                title: String::new(),
                series_id: None,
                ours: None,
                tz: chrono_tz::UTC,
                registration,
            })
            .collect()
    };
    let row = |label: &str, reads: u64, took: Duration| {
        // The bound: the longest chain of dependent GETs at this latency, or the read limit.
        let by_limit = Duration::from_secs(30).mul_f64(reads as f64 / 750.0);
        let bound = by_limit.max(latency * 3);
        format!(
            "| {label} | {reads} | {:.2} s | {:.2} s | {} |\n",
            took.as_secs_f64(),
            bound.as_secs_f64(),
            if took <= bound.mul_f64(1.2) + Duration::from_millis(50) {
                "within"
            } else {
                "over"
            }
        )
    };
    let mut out = String::new();
    for (label, registration) in [
        ("lists only (page opens, sync)", false),
        ("with registration settings + questions", true),
    ] {
        let store = Store::open_in_memory().unwrap();
        let before = sim.graph_stats().reads;
        let started = Instant::now();
        let statuses = check(&client, &store, &targets(registration), true, now)
            .await
            .unwrap();
        let took = started.elapsed();
        assert_eq!(statuses.len(), 100);
        assert!(statuses.iter().all(|s| s.check.failure.is_none()));
        out.push_str(&row(label, sim.graph_stats().reads - before, took));
    }
    let before = sim.graph_stats().reads;
    let started = Instant::now();
    for id in &ids {
        client.webinar(id).await.unwrap();
    }
    out.push_str(&row(
        "naive: one GET per webinar, in turn",
        sim.graph_stats().reads - before,
        started.elapsed(),
    ));
    out
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cores} cores, {cpu}, release build")
}
