//! The companion's token checks and On-Behalf-Of exchange, against the simulated tenant.

use serde_json::{Value, json};
use tenant_sim::{EntraSwitches, SimHandle};
use webinar_desk_tests::start_tenant;

async fn ask(sim: &SimHandle, bearer: Option<&str>) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}/v1/graph-token", sim.companion_url()))
        .json(&json!({}));
    if let Some(b) = bearer {
        request = request.bearer_auth(b);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn with(mut claims: Value, changes: Value) -> Value {
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            claims.as_object_mut().unwrap().remove(k);
        } else {
            claims[k] = v.clone();
        }
    }
    claims
}

#[tokio::test]
async fn a_valid_user_token_is_exchanged_for_a_graph_token_graph_accepts() {
    let sim = start_tenant(20).await;
    let token = sim.mint(&sim.companion_token_claims("organizer"));
    let (status, body) = ask(&sim, Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    let graph_token = body["access_token"].as_str().expect("a Graph token");
    assert!(body["expires_in"].as_i64().unwrap() > 0);
    assert!(
        body["scope"]
            .as_str()
            .unwrap()
            .contains("VirtualEvent.ReadWrite"),
        "{body}"
    );
    let me = reqwest::Client::new()
        .get(format!(
            "{}/v1.0/solutions/virtualEvents/webinars/getByUserRole(role='organizer')",
            sim.graph_url()
        ))
        .bearer_auth(graph_token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
}

/// Each bad token is refused with its own error code and a sentence naming the problem.
#[tokio::test]
async fn bad_tokens_are_refused_each_with_a_clear_reason() {
    let sim = start_tenant(20).await;
    let good = sim.companion_token_claims("organizer");
    let past = chrono::Utc::now().timestamp() - 3600;
    let cases: Vec<(&str, String, u16, &str, &str)> = vec![
        (
            "expired",
            sim.mint(&with(
                good.clone(),
                json!({"exp": past, "iat": past - 3600, "nbf": past - 3600}),
            )),
            401,
            "invalid_token",
            "expired",
        ),
        (
            "forged",
            sim.mint_forged(&good),
            401,
            "invalid_token",
            "signature",
        ),
        (
            "wrong audience",
            sim.mint(&with(
                good.clone(),
                json!({"aud": "https://graph.microsoft.com"}),
            )),
            401,
            "invalid_token",
            "audience",
        ),
        (
            "wrong issuer",
            sim.mint(&with(
                good.clone(),
                json!({"iss": "https://login.microsoftonline.com/other/v2.0"}),
            )),
            401,
            "invalid_token",
            "issuer",
        ),
        (
            "app-only",
            sim.mint(&with(
                good.clone(),
                json!({"scp": null, "roles": ["VirtualEvent.Read.All"], "idtyp": "app"}),
            )),
            403,
            "app_only_token",
            "App-only",
        ),
        (
            "missing scope",
            sim.mint(&with(good.clone(), json!({"scp": "User.Read"}))),
            403,
            "missing_scope",
            "access_as_user",
        ),
        (
            "other tenant",
            sim.mint(&with(
                good.clone(),
                json!({"tid": "00000000-0000-0000-0000-000000000001"}),
            )),
            403,
            "wrong_tenant",
            "serves tenant",
        ),
        (
            "unknown client app",
            sim.mint(&with(
                good.clone(),
                json!({"azp": "00000000-0000-0000-0000-00000000beef"}),
            )),
            403,
            "client_not_allowed",
            "not allowed",
        ),
        (
            "not a JWT",
            "garbage".to_string(),
            401,
            "invalid_token",
            "not a JWT",
        ),
    ];
    for (name, token, status, error, words) in cases {
        let (got_status, body) = ask(&sim, Some(&token)).await;
        assert_eq!(
            (got_status, body["error"].as_str()),
            (status, Some(error)),
            "case {name}: {body}"
        );
        let message = body["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(words),
            "case {name}: message should mention '{words}': {message}"
        );
    }
    let (status, body) = ask(&sim, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_token"))
    );
}

#[tokio::test]
async fn entra_demanding_mfa_travels_back_as_401_with_the_claims_challenge() {
    let sim = start_tenant(20).await;
    sim.set_entra_switches(EntraSwitches {
        mfa_required: true,
        ..Default::default()
    });
    let (status, body) = ask(
        &sim,
        Some(&sim.mint(&sim.companion_token_claims("organizer"))),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("interaction_required")),
        "{body}"
    );
    assert!(
        body["claims"]
            .as_str()
            .is_some_and(|c| c.contains("capolids")),
        "{body}"
    );

    sim.set_entra_switches(EntraSwitches {
        consent_missing: true,
        ..Default::default()
    });
    let (status, body) = ask(
        &sim,
        Some(&sim.mint(&sim.companion_token_claims("organizer"))),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("consent_required")),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("administrator"),
        "{body}"
    );
}

#[tokio::test]
async fn the_health_endpoint_names_the_tenant() {
    let sim = start_tenant(20).await;
    let body: Value = reqwest::get(format!("{}/health", sim.companion_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["tenant_id"], sim.tenant_id());
}

#[tokio::test]
async fn a_certificate_credential_signs_a_client_assertion_entra_accepts() {
    use tenant_sim::SigningKey;
    use tenant_sim::directory::{COMPANION_CLIENT_ID, DESKTOP_CLIENT_ID};
    use webinar_desk_companion::{Companion, CompanionConfig, Credential};

    let sim = start_tenant(20).await;
    let certificate = SigningKey::generate();
    let thumbprint = "3a7f0c2be41d9e8f5a6b7c8d9e0f1a2b3c4d5e6f";
    sim.register_companion_certificate(thumbprint, &certificate);
    let companion_with = |key: &SigningKey| {
        Companion::new(CompanionConfig::new(
            url::Url::parse(sim.authority_url()).unwrap(),
            sim.tenant_id(),
            COMPANION_CLIENT_ID,
            Credential::Certificate {
                private_key_pem: key.private_pem().to_string(),
                thumbprint_sha1_hex: thumbprint.into(),
            },
            vec![DESKTOP_CLIENT_ID.to_string()],
        ))
    };
    let user_token = sim.mint(&sim.companion_token_claims("organizer"));
    let grant = companion_with(&certificate)
        .graph_token(&user_token)
        .await
        .expect("the certificate is accepted");
    assert!(grant.scope.contains("VirtualEvent.ReadWrite"));

    // A key that is not the registered certificate's: Entra refuses the companion itself.
    let refusal = companion_with(&SigningKey::generate())
        .graph_token(&user_token)
        .await
        .unwrap_err();
    assert_eq!(
        (refusal.status, refusal.error),
        (500, "companion_misconfigured"),
        "{refusal:?}"
    );
    assert!(
        refusal.message.contains("credentials were refused"),
        "{}",
        refusal.message
    );
}
