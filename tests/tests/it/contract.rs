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

/// Walks every route the app uses — reads of people and attendance, and every write — and
/// holds what we send and what the tenant answers to the schema.
#[tokio::test]
async fn every_route_and_every_body_we_send_fits_the_schema() {
    use webinar_desk_core::graph::types::{
        DateTimeTimeZone, ItemBody, NewQuestion, NewRegistration, NewWebinar, WebinarPatch,
    };
    use webinar_desk_core::graph::{Endpoint, RegistrantKey, UserRole};

    let schema = Schema::load();
    let check = |ty: &str, value: &serde_json::Value, what: &str| {
        let problems = schema.check(ty, value);
        assert!(problems.is_empty(), "{what}: {problems:#?}\n{value:#}");
    };
    let sim = start_tenant(7).await;
    sim.set_graph_switches(tenant_sim::GraphSwitches {
        v1_registrations_delegated: false,
        throttling: false,
        ..tenant_sim::GraphSwitches::default()
    });
    let token = sim.graph_token("organizer");
    let base = format!("{}/v1.0/solutions/virtualEvents/webinars", sim.graph_url());
    let beta = format!("{}/beta/solutions/virtualEvents/webinars", sim.graph_url());

    // Reads, raw, over every past published webinar of the organizer.
    let (client, _) = webinar_desk_tests::graph_client(&sim, "organizer");
    let mine = client.webinars_by_role(UserRole::Organizer).await.unwrap();
    let mut reports_seen = 0;
    let mut registrations_seen = 0;
    for w in mine
        .iter()
        .filter(|w| w.status.as_deref() == Some("published"))
    {
        let id = &w.id;
        let config = get(&format!("{base}/{id}/registrationConfiguration"), &token).await;
        check(
            "virtualEventWebinarRegistrationConfiguration",
            &config,
            "registrationConfiguration",
        );
        let questions = get(
            &format!("{base}/{id}/registrationConfiguration/questions"),
            &token,
        )
        .await;
        for q in questions["value"].as_array().unwrap() {
            assert!(
                q["@odata.type"].is_string(),
                "questions name their type: {q}"
            );
            check("virtualEventRegistrationQuestionBase", q, "question");
        }
        let regs = get(&format!("{beta}/{id}/registrations"), &token).await;
        for r in regs["value"].as_array().unwrap() {
            check("virtualEventRegistration", r, "registration");
            registrations_seen += 1;
        }
        if let Some(first) = regs["value"].as_array().unwrap().first() {
            let rid = first["id"].as_str().unwrap();
            check(
                "virtualEventRegistration",
                &get(&format!("{base}/{id}/registrations/{rid}"), &token).await,
                "registration by id",
            );
            let by_email = client
                .registration(
                    id,
                    RegistrantKey::Email(&first["email"].as_str().unwrap().to_uppercase()),
                )
                .await
                .expect("the e-mail alternate key, case-insensitively");
            assert_eq!(by_email.id, rid);
            let sessions = get(&format!("{base}/{id}/registrations/{rid}/sessions"), &token).await;
            let s = &sessions["value"][0];
            check("virtualEventSession", s, "registrant's session");
            assert!(
                s["joinWebUrl"].as_str().unwrap().contains(rid),
                "a personal join link"
            );
        }
        let session_id = client.sessions(id).await.unwrap()[0].id.clone();
        check(
            "virtualEventSession",
            &get(&format!("{base}/{id}/sessions/{session_id}"), &token).await,
            "full session",
        );
        let reports = get(
            &format!("{base}/{id}/sessions/{session_id}/attendanceReports"),
            &token,
        )
        .await;
        for r in reports["value"].as_array().unwrap() {
            check("meetingAttendanceReport", r, "report in list");
            assert_eq!(
                r["attendanceRecords"],
                serde_json::json!([]),
                "the list leaves records out"
            );
            let rid = r["id"].as_str().unwrap();
            let full = get(&format!("{base}/{id}/sessions/{session_id}/attendanceReports/{rid}?$expand=attendanceRecords"), &token).await;
            check("meetingAttendanceReport", &full, "expanded report");
            let records = get(
                &format!(
                    "{base}/{id}/sessions/{session_id}/attendanceReports/{rid}/attendanceRecords"
                ),
                &token,
            )
            .await;
            for rec in records["value"].as_array().unwrap() {
                check("attendanceRecord", rec, "record");
            }
            assert_eq!(
                full["attendanceRecords"].as_array().unwrap().len(),
                full["totalParticipantCount"].as_u64().unwrap() as usize
            );
            reports_seen += 1;
        }
    }
    assert!(
        reports_seen >= 5 && registrations_seen >= 100,
        "{reports_seen} reports, {registrations_seen} registrations"
    );

    // Writes, through the app's own client and types; each request body is held to the schema.
    let new = NewWebinar {
        display_name: "Contract — Session 1".into(),
        description: ItemBody {
            content_type: Some("html".into()),
            content: Some("<p>Hello</p>".into()),
        },
        start_date_time: DateTimeTimeZone {
            date_time: "2027-01-12T10:00:00".into(),
            time_zone: Some("W. Europe Standard Time".into()),
        },
        end_date_time: DateTimeTimeZone {
            date_time: "2027-01-12T11:00:00".into(),
            time_zone: Some("W. Europe Standard Time".into()),
        },
        audience: "everyone".into(),
        co_organizers: vec![
            webinar_desk_core::graph::types::CommunicationsUserIdentity {
                id: Some(
                    tenant_sim::directory::account("coorganizer")
                        .unwrap()
                        .object_id
                        .into(),
                ),
                display_name: None,
                tenant_id: Some(sim.tenant_id().into()),
            },
        ],
        settings: Some(webinar_desk_core::graph::types::VirtualEventSettings {
            is_attendee_email_notification_enabled: Some(false),
        }),
    };
    check(
        "virtualEventWebinar",
        &serde_json::to_value(&new).unwrap(),
        "create body",
    );
    let created = client.create_webinar(&new).await.expect("201");
    assert_eq!(created.status.as_deref(), Some("draft"));
    let id = created.id.clone();
    check(
        "virtualEventWebinar",
        &get(&format!("{base}/{id}"), &token).await,
        "created webinar",
    );

    let patch = WebinarPatch {
        display_name: Some("Contract — Session 1 (moved)".into()),
        start_date_time: Some(DateTimeTimeZone {
            date_time: "2027-01-13T10:00:00".into(),
            time_zone: Some("W. Europe Standard Time".into()),
        }),
        end_date_time: Some(DateTimeTimeZone {
            date_time: "2027-01-13T11:30:00".into(),
            time_zone: Some("W. Europe Standard Time".into()),
        }),
        ..WebinarPatch::default()
    };
    check(
        "virtualEventWebinar",
        &serde_json::to_value(&patch).unwrap(),
        "patch body",
    );
    let patched = client
        .update_webinar(&id, &patch)
        .await
        .expect("200 with the object");
    assert_eq!(
        patched.display_name.as_deref(),
        Some("Contract — Session 1 (moved)")
    );
    assert_eq!(
        patched.start_date_time.unwrap().date_time,
        "2027-01-13T10:00:00.0000000"
    );

    client
        .set_external_event_id(&id, "series-1:1")
        .await
        .expect("204");
    let tagged = client.webinar(&id).await.unwrap();
    assert_eq!(
        tagged.external_event_information[0]
            .external_event_id
            .as_deref(),
        Some("series-1:1")
    );

    for q in [
        NewQuestion::Custom {
            display_name: "Which city?".into(),
            is_required: true,
            answer_input_type: "singleChoice".into(),
            answer_choices: vec!["Berlin".into(), "Lisbon".into()],
        },
        NewQuestion::Predefined {
            label: "organization".into(),
            is_required: false,
        },
    ] {
        check(
            "virtualEventRegistrationQuestionBase",
            &serde_json::to_value(&q).unwrap(),
            "question body",
        );
        let made = client
            .create_registration_question(&id, &q)
            .await
            .expect("201");
        assert!(made.id.is_some());
    }
    let questions = client.registration_questions(&id).await.unwrap();
    assert_eq!(questions.len(), 2);

    let settings = webinar_desk_core::graph::types::RegistrationSettingsPatch {
        capacity: Some(300),
        is_manual_approval_enabled: None,
        is_waitlist_enabled: Some(true),
    };
    check(
        "virtualEventWebinarRegistrationConfiguration",
        &serde_json::to_value(&settings).unwrap(),
        "registration settings body",
    );
    let set = client
        .update_registration_configuration(&id, &settings)
        .await
        .expect("200");
    assert_eq!(
        (set.capacity, set.is_waitlist_enabled),
        (Some(300), Some(true))
    );

    client.publish_webinar(&id).await.expect("204");
    assert_eq!(
        client.webinar(&id).await.unwrap().status.as_deref(),
        Some("published")
    );

    // Lee registers himself (delegated create registers the signed-in user).
    let (lee, _) = webinar_desk_tests::graph_client(&sim, "nopremium");
    let city = questions
        .iter()
        .find(|q| q.answer_input_type.as_deref() == Some("singleChoice"))
        .unwrap();
    let registration = NewRegistration {
        preferred_timezone: "GMT Standard Time".into(),
        preferred_language: "en-gb".into(),
        external_registration_information: None,
        registration_question_answers: vec![webinar_desk_core::graph::types::QuestionAnswer {
            question_id: city.id.clone(),
            display_name: None,
            value: Some("Lisbon".into()),
            boolean_value: None,
            multi_choice_values: vec![],
        }],
    };
    check(
        "virtualEventRegistration",
        &serde_json::to_value(&registration).unwrap(),
        "registration body",
    );
    let mine = lee.register_me(&id, &registration).await.expect("201");
    assert_eq!(
        mine.email.as_deref(),
        Some("lee.gu@contoso-demo.onmicrosoft.com")
    );
    let (list, endpoint) = client.registrations(&id).await.unwrap();
    assert_eq!(
        (list.len(), endpoint),
        (1, Endpoint::Beta),
        "v1.0 refused, beta answered"
    );
    lee.cancel_registration(&id, &mine.id).await.expect("204");
    assert_eq!(
        client
            .registration(&id, RegistrantKey::Id(&mine.id))
            .await
            .unwrap()
            .status
            .as_deref(),
        Some("canceled")
    );

    let qid = questions[1].id.clone().unwrap();
    client
        .delete_registration_question(&id, &qid)
        .await
        .expect("204");
    client.cancel_webinar(&id).await.expect("204");
    assert_eq!(
        client.webinar(&id).await.unwrap().status.as_deref(),
        Some("canceled")
    );

    // No DELETE for webinars: 405 with Graph's error body.
    let r = reqwest::Client::new()
        .delete(format!("{base}/{id}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert!(r.headers().contains_key("request-id"));
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["error"]["code"].is_string() && body["error"]["innerError"]["request-id"].is_string(),
        "{body}"
    );
}
