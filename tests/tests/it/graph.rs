//! The Graph client against the simulated tenant: paging, errors with their ids.

use std::sync::Arc;

use tenant_sim::GraphFault;
use webinar_desk_core::ErrorKind;
use webinar_desk_core::auth::MemoryKeychain;
use webinar_desk_tests::{Home, graph_get, signed_in, start_tenant};

fn organizer_and_co(sim: &tenant_sim::SimHandle) -> usize {
    let megan = tenant_sim::directory::account("organizer")
        .unwrap()
        .object_id;
    sim.webinars()
        .iter()
        .filter(|w| w.has_role(megan, "organizer") || w.has_role(megan, "coOrganizer"))
        .count()
}

#[tokio::test]
async fn sync_follows_next_links_across_many_pages() {
    let sim = start_tenant(4).await;
    let home = Home::new();
    let desk = signed_in(
        &home,
        &sim,
        Arc::new(MemoryKeychain::default()),
        "organizer",
    )
    .await;
    let expected = organizer_and_co(&sim);
    assert!(
        expected >= 30,
        "the seed gives dozens of webinars ({expected})"
    );
    // 4 per page: the organizer list alone spans 7+ pages.
    let report = desk.sync_webinars(chrono::Utc::now()).await.expect("sync");
    assert_eq!(report.webinars, expected);
    let list = desk.webinars().await.unwrap();
    assert_eq!(list.webinars.len(), expected);
    let ids: std::collections::HashSet<_> = list.webinars.iter().map(|w| &w.id).collect();
    assert_eq!(ids.len(), expected, "no page read twice, none skipped");
    assert!(list.sync.unwrap().last_success_at.is_some());
}

#[tokio::test]
async fn a_graph_error_surfaces_with_its_request_id_and_keeps_the_cache() {
    let sim = start_tenant(50).await;
    let home = Home::new();
    let desk = signed_in(
        &home,
        &sim,
        Arc::new(MemoryKeychain::default()),
        "organizer",
    )
    .await;
    desk.sync_webinars(chrono::Utc::now())
        .await
        .expect("first sync");
    let before = desk.webinars().await.unwrap().webinars;

    sim.inject_graph_fault(GraphFault::status(
        "getByUserRole(role='organizer')",
        403,
        "Forbidden",
        "The caller is not allowed to list webinars.",
    ));
    let err = desk.sync_webinars(chrono::Utc::now()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    let request_id = err.request_id().expect("Graph's request-id is kept");
    assert_eq!(request_id.len(), 36, "a GUID: {request_id}");
    let correlation = err.correlation_id().expect("our client-request-id is kept");
    assert_ne!(request_id, correlation);
    let message = err.to_string();
    assert!(
        message.contains("HTTP 403")
            && message.contains("Forbidden")
            && message.contains("not allowed to list"),
        "{message}"
    );

    let after = desk.webinars().await.unwrap();
    assert_eq!(
        after.webinars, before,
        "a failed sync leaves the cache as it was"
    );
    let state = after.sync.unwrap();
    assert!(state.last_error.unwrap().contains("403"));
    assert!(state.last_success_at.is_some());
}

#[tokio::test]
async fn the_plain_webinar_collection_is_empty_for_delegated_callers() {
    let sim = start_tenant(20).await;
    let body = graph_get(
        &format!("{}/v1.0/solutions/virtualEvents/webinars", sim.graph_url()),
        &sim.graph_token("organizer"),
    )
    .await;
    assert_eq!(
        body["value"],
        serde_json::json!([]),
        "documented: delegated tokens see []"
    );
}

#[tokio::test]
async fn graph_rejects_missing_and_expired_tokens_with_its_error_body() {
    let sim = start_tenant(20).await;
    let url = format!(
        "{}/v1.0/solutions/virtualEvents/webinars/getByUserRole(role='organizer')",
        sim.graph_url()
    );
    let response = reqwest::Client::new()
        .get(&url)
        .header("client-request-id", "my-id")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["client-request-id"], "my-id");
    let request_id = response.headers()["request-id"]
        .to_str()
        .unwrap()
        .to_string();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");
    assert_eq!(
        body["error"]["innerError"]["request-id"],
        request_id.as_str()
    );
    assert_eq!(body["error"]["innerError"]["client-request-id"], "my-id");
}

/// The tenant checks a token's signature once and remembers it, but its lifetime on every
/// request: a token it took a moment ago is refused once it has expired.
#[tokio::test]
async fn a_token_taken_before_is_refused_once_it_has_expired() {
    let sim = tenant_sim::start(tenant_sim::SimConfig {
        token_lifetime_secs: 1,
        ..tenant_sim::SimConfig::default()
    })
    .await
    .expect("tenant-sim starts");
    let url = format!("{}/v1.0/me/licenseDetails", sim.graph_url());
    let token = sim.graph_token("organizer");
    let get = |token: &str| reqwest::Client::new().get(&url).bearer_auth(token).send();
    for _ in 0..2 {
        let response = get(&token).await.unwrap();
        assert_eq!(response.status(), 200, "{:?}", response.text().await);
    }
    // `exp` is a whole second: two seconds on, it is behind the clock.
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    let response = get(&token).await.unwrap();
    assert_eq!(response.status(), 401);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("expired")),
        "{body}"
    );
    // A token altered after signing is still refused, also when its original was taken.
    let mut forged = sim.graph_token("organizer");
    assert_eq!(get(&forged).await.unwrap().status(), 200);
    forged.push('A');
    assert_eq!(get(&forged).await.unwrap().status(), 401);
}

#[tokio::test]
async fn top_limits_the_page_and_travels_in_the_next_link() {
    let sim = start_tenant(20).await;
    let token = sim.graph_token("organizer");
    let mut next = Some(format!(
        "{}/v1.0/solutions/virtualEvents/webinars/getByUserRole(role='organizer')?$top=3",
        sim.graph_url()
    ));
    let mut sizes = Vec::new();
    while let Some(url) = next.take() {
        let page = graph_get(&url, &token).await;
        sizes.push(page["value"].as_array().unwrap().len());
        next = page["@odata.nextLink"].as_str().map(str::to_string);
        if let Some(link) = &next {
            assert!(link.contains("$top=3"), "{link}");
        }
    }
    assert!(
        sizes.len() >= 8 && sizes[..sizes.len() - 1].iter().all(|&n| n == 3),
        "{sizes:?}"
    );
}
