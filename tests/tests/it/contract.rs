//! Contract: every body the simulated Graph serves validates against the v1.0 schema.

use webinar_desk_tests::schema::Schema;
use webinar_desk_tests::{graph_get as get, start_tenant};

#[tokio::test]
async fn every_route_serves_schema_valid_json() {
    let schema = Schema::load();
    let sim = start_tenant(7).await;
    let mut checked = 0;
    for account in ["organizer", "coorganizer", "nopremium"] {
        let token = sim.graph_token(account);
        for role in ["organizer", "coOrganizer"] {
            let mut next = Some(format!(
                "{}/v1.0/solutions/virtualEvents/webinars/getByUserRole(role='{role}')",
                sim.graph_url()
            ));
            while let Some(url) = next.take() {
                let page = get(&url, &token).await;
                for webinar in page["value"].as_array().unwrap() {
                    let problems = schema.check("virtualEventWebinar", webinar);
                    assert!(problems.is_empty(), "{url}: {problems:#?}");
                    let id = webinar["id"].as_str().unwrap();
                    let one = get(
                        &format!(
                            "{}/v1.0/solutions/virtualEvents/webinars/{id}",
                            sim.graph_url()
                        ),
                        &token,
                    )
                    .await;
                    assert!(
                        schema.check("virtualEventWebinar", &one).is_empty(),
                        "{:?}",
                        schema.check("virtualEventWebinar", &one)
                    );
                    let sessions = get(
                        &format!(
                            "{}/v1.0/solutions/virtualEvents/webinars/{id}/sessions",
                            sim.graph_url()
                        ),
                        &token,
                    )
                    .await;
                    let list = sessions["value"].as_array().unwrap();
                    assert_eq!(
                        list.len(),
                        1,
                        "a Graph-created webinar has exactly one session"
                    );
                    assert!(
                        schema.check("virtualEventSession", &list[0]).is_empty(),
                        "{:?}",
                        schema.check("virtualEventSession", &list[0])
                    );
                    checked += 1;
                }
                next = page["@odata.nextLink"].as_str().map(str::to_string);
            }
        }
    }
    assert!(checked > 40, "walked {checked} webinars");
}

#[test]
fn the_validator_catches_wrong_types_and_unknown_properties() {
    let schema = Schema::load();
    let bad = serde_json::json!({
        "id": "x", "status": "archived", "displayName": 5, "sparkle": true,
        "startDateTime": {"dateTime": "2026-01-01T00:00:00", "timeZone": "UTC", "extra": 1},
        "coOrganizers": {"id": "not an array"}
    });
    let problems = schema.check("virtualEventWebinar", &bad);
    for expected in [
        "$.status",
        "$.displayName",
        "$.sparkle",
        "$.startDateTime.extra",
        "$.coOrganizers",
    ] {
        assert!(
            problems.iter().any(|p| p.starts_with(expected)),
            "{expected} not caught: {problems:#?}"
        );
    }
}
