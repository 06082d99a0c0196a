//! The Graph request pipeline against scripted HTTP (wiremock): each error class, both
//! `Retry-After` forms, backoff bounds, what is and is not retried, pacing, paging, malformed
//! bodies and correlation ids. (The log lines are checked on the real CLI process, in `cli`.)

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use webinar_desk_core::auth::{AuthError, GraphTokens, Secret};
use webinar_desk_core::graph::types::{NewWebinar, WebinarPatch};
use webinar_desk_core::graph::{
    Endpoint, GraphClient, GraphError, Limits, Pacer, Refusal, RetryPolicy, UserRole,
};
use wiremock::matchers::{header_exists, method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const TOKEN: &str = "eyJ0eXAi.test-graph-token.sig";
const WEBINAR: &str = "a57082a9-7629-4f74-8da0-8d621aab4d2d@4aa05bcc-1cac-4a83-a9ae-0db84b88f4ba";

/// Hands out a fixed token and counts forced renewals.
#[derive(Default)]
struct Tokens {
    renewals: AtomicUsize,
}

impl GraphTokens for Tokens {
    fn graph_token(
        &self,
        renew: bool,
    ) -> Pin<Box<dyn Future<Output = Result<Secret, AuthError>> + Send + '_>> {
        if renew {
            self.renewals.fetch_add(1, Ordering::SeqCst);
        }
        Box::pin(async { Ok(Secret::new(TOKEN)) })
    }
}

fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(40),
        max_delay: Duration::from_millis(160),
        max_wait: Duration::from_secs(5),
    }
}

fn client(server: &MockServer, tokens: Arc<Tokens>) -> GraphClient {
    let url = url::Url::parse(&server.uri()).unwrap();
    GraphClient::new(webinar_desk_core::auth::http_client(), &url, tokens)
        .with_retry(fast_retry())
        .with_jitter_seed(7)
}

fn webinar_json() -> serde_json::Value {
    json!({"id": WEBINAR, "displayName": "Data Literacy", "status": "draft",
           "startDateTime": {"dateTime": "2026-12-01T10:00:00", "timeZone": "UTC"},
           "endDateTime": {"dateTime": "2026-12-01T11:00:00", "timeZone": "UTC"}})
}

fn graph_error(status: u16, code: &str, inner: Option<&str>) -> ResponseTemplate {
    let mut error = json!({"code": code, "message": format!("{code} from the script"),
        "innerError": {"date": "2026-11-23T10:00:00", "request-id": "rid", "client-request-id": "cid"}});
    if let Some(inner) = inner {
        error["innerError"]["code"] = json!(inner);
    }
    ResponseTemplate::new(status)
        .insert_header("request-id", "11111111-2222-3333-4444-555555555555")
        .set_body_json(json!({ "error": error }))
}

/// Answers from a script, one response per request, the last repeated; records arrival times.
struct Script {
    responses: Vec<ResponseTemplate>,
    seen: Mutex<Vec<Instant>>,
}

impl Script {
    fn new(responses: Vec<ResponseTemplate>) -> Arc<Self> {
        Arc::new(Self {
            responses,
            seen: Mutex::new(Vec::new()),
        })
    }
    fn arrivals(&self) -> Vec<Instant> {
        self.seen.lock().unwrap().clone()
    }
}

struct Shared(Arc<Script>);

impl Respond for Shared {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let mut seen = self.0.seen.lock().unwrap();
        seen.push(Instant::now());
        let i = (seen.len() - 1).min(self.0.responses.len() - 1);
        self.0.responses[i].clone()
    }
}

async fn serve(server: &MockServer, verb: &str, script: &Arc<Script>) {
    Mock::given(method(verb))
        .and(path_regex(".*"))
        .respond_with(Shared(script.clone()))
        .mount(server)
        .await;
}

#[tokio::test]
async fn each_refusal_class_is_reported_once_without_retry() {
    for (status, code, inner, refusal) in [
        (403, "Forbidden", None, Refusal::Forbidden),
        (
            403,
            "Forbidden",
            Some("TeamsPremiumLicenseRequired"),
            Refusal::Licensing,
        ),
        (404, "NotFound", None, Refusal::NotFound),
        (400, "BadRequest", None, Refusal::Invalid),
        (405, "MethodNotAllowed", None, Refusal::Invalid),
        (409, "Conflict", None, Refusal::Invalid),
    ] {
        let server = MockServer::start().await;
        let script = Script::new(vec![graph_error(status, code, inner)]);
        serve(&server, "GET", &script).await;
        let err = client(&server, Arc::default())
            .webinar(WEBINAR)
            .await
            .unwrap_err();
        assert_eq!(err.refusal(), Some(refusal), "{status} {code}: {err}");
        assert_eq!(script.arrivals().len(), 1, "{status} is not retried");
        assert_eq!(
            err.request_id(),
            Some("11111111-2222-3333-4444-555555555555"),
            "Graph's request-id is kept"
        );
        let text = err.to_string();
        assert!(
            text.contains(&format!("HTTP {status}")) && text.contains(code),
            "{text}"
        );
    }
}

#[tokio::test]
async fn retry_after_in_seconds_is_honoured() {
    let server = MockServer::start().await;
    let script = Script::new(vec![
        graph_error(429, "TooManyRequests", None).insert_header("Retry-After", "1"),
        ResponseTemplate::new(200).set_body_json(webinar_json()),
    ]);
    serve(&server, "GET", &script).await;
    let w = client(&server, Arc::default())
        .webinar(WEBINAR)
        .await
        .unwrap();
    assert_eq!(w.id, WEBINAR);
    let t = script.arrivals();
    let gap = t[1] - t[0];
    assert!(
        gap >= Duration::from_millis(990) && gap < Duration::from_millis(3_000),
        "waited {gap:?} for Retry-After: 1"
    );
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_honoured() {
    let server = MockServer::start().await;
    // HTTP dates have whole seconds: two seconds ahead means a wait of one to two seconds.
    let at = std::time::SystemTime::now() + Duration::from_secs(2);
    let script = Script::new(vec![
        graph_error(429, "TooManyRequests", None)
            .insert_header("Retry-After", httpdate(at).as_str()),
        ResponseTemplate::new(200).set_body_json(webinar_json()),
    ]);
    serve(&server, "GET", &script).await;
    client(&server, Arc::default())
        .webinar(WEBINAR)
        .await
        .unwrap();
    let t = script.arrivals();
    let gap = t[1] - t[0];
    assert!(
        gap >= Duration::from_millis(900) && gap < Duration::from_millis(4_000),
        "waited {gap:?} for an HTTP-date two seconds ahead"
    );
}

fn httpdate(t: std::time::SystemTime) -> String {
    // Format by hand rather than adding a dependency to the test crate: RFC 7231 IMF-fixdate.
    let dt: chrono::DateTime<chrono::Utc> = t.into();
    dt.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

#[tokio::test]
async fn a_too_long_retry_after_goes_to_the_caller_with_its_value() {
    let server = MockServer::start().await;
    let script = Script::new(vec![
        graph_error(429, "TooManyRequests", None).insert_header("Retry-After", "315"),
    ]);
    serve(&server, "GET", &script).await;
    let started = Instant::now();
    let err = client(&server, Arc::default())
        .webinar(WEBINAR)
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "not slept through"
    );
    assert_eq!(err.refusal(), Some(Refusal::Throttled));
    match err {
        GraphError::Service(e) => assert_eq!(e.retry_after_secs, Some(315)),
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn server_errors_on_reads_back_off_exponentially_within_bounds() {
    let server = MockServer::start().await;
    let script = Script::new(vec![
        graph_error(503, "ServiceUnavailable", None),
        graph_error(504, "GatewayTimeout", None),
        graph_error(500, "InternalServerError", None),
        ResponseTemplate::new(200).set_body_json(webinar_json()),
    ]);
    serve(&server, "GET", &script).await;
    client(&server, Arc::default())
        .webinar(WEBINAR)
        .await
        .unwrap();
    let t = script.arrivals();
    assert_eq!(t.len(), 4);
    // Nominal 40, 80, 160 ms; jitter adds up to as much again, capped at 160 ms.
    for (i, (low, high)) in [(40, 80), (80, 160), (160, 160)].into_iter().enumerate() {
        let gap = t[i + 1] - t[i];
        assert!(
            gap >= Duration::from_millis(low) && gap < Duration::from_millis(high + 400),
            "retry {i}: waited {gap:?}, expected {low}..{high} ms"
        );
    }
}

#[tokio::test]
async fn reads_give_up_after_the_attempt_limit() {
    let server = MockServer::start().await;
    let script = Script::new(vec![graph_error(503, "ServiceUnavailable", None)]);
    serve(&server, "GET", &script).await;
    let err = client(&server, Arc::default())
        .webinar(WEBINAR)
        .await
        .unwrap_err();
    assert_eq!(err.refusal(), Some(Refusal::Transient));
    assert_eq!(script.arrivals().len(), 4, "max_attempts = 4");
}

#[tokio::test]
async fn writes_are_not_retried_on_server_errors_but_are_on_throttling() {
    let server = MockServer::start().await;
    let script = Script::new(vec![graph_error(503, "ServiceUnavailable", None)]);
    serve(&server, "POST", &script).await;
    let c = client(&server, Arc::default());
    let err = c.publish_webinar(WEBINAR).await.unwrap_err();
    assert_eq!(err.refusal(), Some(Refusal::Transient));
    assert_eq!(
        script.arrivals().len(),
        1,
        "a POST that may have run is never repeated"
    );

    let server = MockServer::start().await;
    let script = Script::new(vec![
        graph_error(429, "TooManyRequests", None).insert_header("Retry-After", "0"),
        ResponseTemplate::new(204),
    ]);
    serve(&server, "POST", &script).await;
    client(&server, Arc::default())
        .publish_webinar(WEBINAR)
        .await
        .expect("a throttled write was not processed, so it is sent again");
    assert_eq!(script.arrivals().len(), 2);
}

#[tokio::test]
async fn a_garbled_answer_is_reread_for_gets_and_reported_for_writes() {
    let server = MockServer::start().await;
    let script = Script::new(vec![
        ResponseTemplate::new(200).set_body_string("{\"id\": \"a57082a9"),
        ResponseTemplate::new(200).set_body_json(webinar_json()),
    ]);
    serve(&server, "GET", &script).await;
    client(&server, Arc::default())
        .webinar(WEBINAR)
        .await
        .unwrap();
    assert_eq!(script.arrivals().len(), 2);

    let server = MockServer::start().await;
    let script = Script::new(vec![
        ResponseTemplate::new(201).set_body_string("<html>oops"),
    ]);
    serve(&server, "POST", &script).await;
    let err = client(&server, Arc::default())
        .create_webinar(&new_webinar())
        .await
        .unwrap_err();
    assert!(matches!(err, GraphError::Malformed { .. }), "{err}");
    assert_eq!(
        script.arrivals().len(),
        1,
        "the create happened; never sent twice"
    );
}

fn new_webinar() -> NewWebinar {
    NewWebinar {
        display_name: "Data Literacy".into(),
        description: webinar_desk_core::graph::types::ItemBody {
            content_type: Some("text".into()),
            content: Some("Charts".into()),
        },
        start_date_time: webinar_desk_core::graph::types::DateTimeTimeZone {
            date_time: "2026-12-01T10:00:00".into(),
            time_zone: Some("UTC".into()),
        },
        end_date_time: webinar_desk_core::graph::types::DateTimeTimeZone {
            date_time: "2026-12-01T11:00:00".into(),
            time_zone: Some("UTC".into()),
        },
        audience: "organization".into(),
        co_organizers: vec![],
        settings: None,
    }
}

#[tokio::test]
async fn a_401_renews_the_token_once_then_asks_for_sign_in() {
    let server = MockServer::start().await;
    let script = Script::new(vec![
        graph_error(401, "InvalidAuthenticationToken", None),
        ResponseTemplate::new(200).set_body_json(webinar_json()),
    ]);
    serve(&server, "GET", &script).await;
    let tokens = Arc::new(Tokens::default());
    client(&server, tokens.clone())
        .webinar(WEBINAR)
        .await
        .unwrap();
    assert_eq!(tokens.renewals.load(Ordering::SeqCst), 1);

    let server = MockServer::start().await;
    let script = Script::new(vec![graph_error(401, "InvalidAuthenticationToken", None)]);
    serve(&server, "GET", &script).await;
    let tokens = Arc::new(Tokens::default());
    let err = client(&server, tokens.clone())
        .webinar(WEBINAR)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, GraphError::Auth(a) if a.needs_interactive_sign_in()),
        "{err}"
    );
    assert_eq!(
        script.arrivals().len(),
        2,
        "one retry with a renewed token, no more"
    );
}

#[tokio::test]
async fn a_claims_challenge_goes_straight_to_interactive_sign_in() {
    let server = MockServer::start().await;
    let script = Script::new(vec![graph_error(401, "InvalidAuthenticationToken", None)
        .insert_header(
            "WWW-Authenticate",
            r#"Bearer realm="", error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnt9fQ==""#,
        )]);
    serve(&server, "GET", &script).await;
    let tokens = Arc::new(Tokens::default());
    let err = client(&server, tokens.clone())
        .webinar(WEBINAR)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, GraphError::Auth(a) if a.needs_interactive_sign_in()),
        "{err}"
    );
    assert_eq!(
        script.arrivals().len(),
        1,
        "renewing silently cannot satisfy a claims challenge"
    );
    assert_eq!(tokens.renewals.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn every_attempt_has_its_own_client_request_id() {
    let server = MockServer::start().await;
    let script = Script::new(vec![
        graph_error(503, "ServiceUnavailable", None),
        ResponseTemplate::new(200).set_body_json(webinar_json()),
    ]);
    Mock::given(method("GET"))
        .and(header_exists("client-request-id"))
        .respond_with(Shared(script.clone()))
        .mount(&server)
        .await;
    client(&server, Arc::default())
        .webinar(WEBINAR)
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    let ids: Vec<_> = requests
        .iter()
        .map(|r| {
            r.headers
                .get("client-request-id")
                .unwrap()
                .to_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
    for id in &ids {
        uuid::Uuid::parse_str(id).expect("a GUID");
    }
    assert_eq!(
        requests[0]
            .headers
            .get("authorization")
            .unwrap()
            .to_str()
            .unwrap(),
        format!("Bearer {TOKEN}")
    );
}

#[tokio::test]
async fn next_links_are_followed_verbatim_and_only_on_graphs_origin() {
    let server = MockServer::start().await;
    let first = format!(
        "{}/v1.0/solutions/virtualEvents/webinars/getByUserRole(role='organizer')",
        server.uri()
    );
    // An opaque token with characters a client must not re-encode or reorder.
    let next = format!("{first}?$skiptoken=YWJj%2BZGVm%3D%3D&$top=2");
    Mock::given(method("GET"))
        .and(path(
            "/v1.0/solutions/virtualEvents/webinars/getByUserRole(role='organizer')",
        ))
        .and(wiremock::matchers::query_param_is_missing("$skiptoken"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"value": [webinar_json()], "@odata.nextLink": next})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::query_param("$skiptoken", "YWJj+ZGVm=="))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [
            {"id": "second@t", "displayName": "Two"}]})))
        .mount(&server)
        .await;
    let list = client(&server, Arc::default())
        .webinars_by_role(UserRole::Organizer)
        .await
        .unwrap();
    assert_eq!(list.len(), 2);
    let requests = server.received_requests().await.unwrap();
    let asked = &requests[1].url;
    assert_eq!(
        format!("{}?{}", asked.path(), asked.query().unwrap_or("")),
        next.strip_prefix(&server.uri()).unwrap(),
        "the link is requested exactly as Graph wrote it"
    );

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [],
            "@odata.nextLink": "https://graph.evil.example/v1.0/steal"})))
        .mount(&server)
        .await;
    let err = client(&server, Arc::default())
        .webinars_by_role(UserRole::Organizer)
        .await
        .unwrap_err();
    assert!(matches!(err, GraphError::ForeignLink(_)), "{err}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn writes_are_paced_to_the_limit_in_any_window() {
    let server = MockServer::start().await;
    let script = Script::new(vec![
        ResponseTemplate::new(200).set_body_json(webinar_json()),
    ]);
    serve(&server, "PATCH", &script).await;
    let limits = Limits {
        writes_per_window: 3,
        window: Duration::from_millis(600),
        margin: Duration::from_millis(20),
        ..Limits::GRAPH
    };
    let c = client(&server, Arc::default()).with_pacer(Pacer::new(limits));
    let patch = WebinarPatch {
        display_name: Some("x".into()),
        ..WebinarPatch::default()
    };
    let started = Instant::now();
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (c, patch) = (c.clone(), patch.clone());
        calls.spawn(async move { c.update_webinar(WEBINAR, &patch).await });
    }
    while let Some(r) = calls.join_next().await {
        r.unwrap().unwrap();
    }
    let elapsed = started.elapsed();
    let t = script.arrivals();
    assert_eq!(t.len(), 8);
    for (i, a) in t.iter().enumerate() {
        let within = t[i..]
            .iter()
            .filter(|b| **b - *a < Duration::from_millis(600))
            .count();
        assert!(
            within <= 3,
            "{within} writes within one window after write {i}"
        );
    }
    // 8 writes at 3 per window need two full windows; the upper bound only catches a pacer
    // that waits whole windows too many (timings are the benchmarks' business).
    assert!(
        elapsed >= Duration::from_millis(1_200) && elapsed < Duration::from_millis(3_000),
        "took {elapsed:?}"
    );
}

#[tokio::test]
async fn registrations_fall_back_to_beta_and_explain_when_both_refuse() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex("^/v1.0/.*/registrations$"))
        .respond_with(graph_error(403, "Forbidden", None))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex("^/beta/.*/registrations$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [
            {"id": "r1", "email": "a@contoso.com", "status": "registered"}]})))
        .mount(&server)
        .await;
    let (list, endpoint) = client(&server, Arc::default())
        .registrations(WEBINAR)
        .await
        .unwrap();
    assert_eq!((list.len(), endpoint), (1, Endpoint::Beta));

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(graph_error(403, "Forbidden", None))
        .mount(&server)
        .await;
    let err = client(&server, Arc::default())
        .registrations(WEBINAR)
        .await
        .unwrap_err();
    assert!(
        matches!(err, GraphError::RegistrationsRefused { .. }),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains("application permission") && text.contains("11111111-2222"),
        "{text}"
    );
}

#[tokio::test]
async fn a_refused_connection_is_unreachable_even_for_writes() {
    // Bind and drop a listener: nothing listens on that port now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = url::Url::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    let c = GraphClient::new(
        webinar_desk_core::auth::http_client(),
        &url,
        Arc::new(Tokens::default()),
    )
    .with_retry(fast_retry());
    let started = Instant::now();
    let err = c.publish_webinar(WEBINAR).await.unwrap_err();
    assert!(
        matches!(err, GraphError::Unreachable { .. }),
        "nothing was sent, so the outcome is known: {err}"
    );
    let err = c.webinar(WEBINAR).await.unwrap_err();
    assert!(matches!(err, GraphError::Unreachable { .. }), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "offline is reported at once, not after a backoff"
    );
}
