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

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let real_time = std::env::args().any(|a| a == "--real-time");
    let mut out = String::new();
    out.push_str(&format!(
        "### {} — {}\n\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        machine()
    ));
    out.push_str(
        "| Pipeline overhead | raw reqwest | GraphClient | difference |\n|---|---|---|---|\n",
    );
    out.push_str(&overhead(15, 400).await);
    out.push_str("\n| Read burst | app (pacer) | naive (all at once) |\n|---|---|---|\n");
    out.push_str(&burst(0.1, 1_500).await);
    if real_time {
        out.push_str(&burst(1.0, 1_500).await);
    }
    out.push_str(
        "\n| Series publish | app (pacer) | no pacing, honours Retry-After | naive: no pacing, no retries |\n|---|---|---|---|\n",
    );
    out.push_str(&publish_series(0.1).await);
    if real_time {
        out.push_str(&publish_series(1.0).await);
    }
    println!("{out}");
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
