//! The On-Behalf-Of exchange at Entra's token endpoint
//! (`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`, `requested_token_use=on_behalf_of`).

use serde::Deserialize;

use crate::config::{CompanionConfig, Credential};
use crate::{GraphGrant, Rejection};

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: i64,
    #[serde(default)]
    scope: String,
}

#[derive(Deserialize, Default)]
struct EntraError {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
    #[serde(default)]
    error_codes: Vec<u64>,
    #[serde(default)]
    claims: Option<String>,
    #[serde(default)]
    correlation_id: Option<String>,
}

pub(crate) async fn exchange(
    config: &CompanionConfig,
    http: &reqwest::Client,
    assertion: &str,
) -> Result<GraphGrant, Rejection> {
    let scope = config.graph_scopes.join(" ");
    let mut form = vec![
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:jwt-bearer".to_string(),
        ),
        ("client_id", config.client_id.clone()),
        ("assertion", assertion.to_string()),
        ("scope", scope),
        ("requested_token_use", "on_behalf_of".to_string()),
    ];
    match &config.credential {
        Credential::ClientSecret(secret) => form.push(("client_secret", secret.clone())),
        Credential::Certificate {
            private_key_pem,
            thumbprint_sha1_hex,
        } => {
            form.push(("client_assertion_type", CLIENT_ASSERTION_TYPE.to_string()));
            form.push((
                "client_assertion",
                client_assertion(config, private_key_pem, thumbprint_sha1_hex)?,
            ));
        }
    }
    let response = http
        .post(config.token_url())
        .form(&form)
        .send()
        .await
        .map_err(|e| Rejection {
            status: 502,
            error: "entra_unreachable",
            message: format!(
                "The companion could not reach Entra ID ({}). Try again shortly.",
                e.without_url()
            ),
            claims: None,
        })?;
    let status = response.status();
    let body = response.bytes().await.unwrap_or_default();
    if status.is_success() {
        let t: TokenResponse = serde_json::from_slice(&body).map_err(|e| Rejection {
            status: 502,
            error: "entra_bad_answer",
            message: format!("Entra ID's answer was not a token ({e})."),
            claims: None,
        })?;
        return Ok(GraphGrant {
            access_token: t.access_token,
            expires_in: t.expires_in,
            scope: t.scope,
            token_type: "Bearer",
        });
    }
    let e: EntraError = serde_json::from_slice(&body).unwrap_or_default();
    let code = e.error_codes.first().copied();
    let first_line = e.error_description.lines().next().unwrap_or("").to_string();
    let correlation = e
        .correlation_id
        .map(|c| format!(" (correlation id {c})"))
        .unwrap_or_default();
    Err(match (e.error.as_str(), code) {
        ("interaction_required", _) => Rejection {
            status: 401,
            error: "interaction_required",
            message: format!(
                "Your organization requires you to sign in again (for example for multi-factor authentication): {first_line}{correlation}"
            ),
            claims: e.claims,
        },
        ("invalid_grant", Some(65001)) | ("consent_required", _) => Rejection {
            status: 403,
            error: "consent_required",
            message: format!(
                "Consent for the companion's Microsoft Graph permissions is missing; an administrator must grant it: {first_line}{correlation}"
            ),
            claims: None,
        },
        ("invalid_grant", _) => Rejection {
            status: 401,
            error: "invalid_grant",
            message: format!(
                "Entra ID no longer accepts your sign-in for this exchange; sign in again: {first_line}{correlation}"
            ),
            claims: e.claims,
        },
        ("invalid_client", _) | ("unauthorized_client", _) => Rejection {
            status: 500,
            error: "companion_misconfigured",
            message: format!(
                "The companion's own credentials were refused; its administrator must check or renew its secret or certificate: {first_line}{correlation}"
            ),
            claims: None,
        },
        _ => Rejection {
            status: 502,
            error: "obo_failed",
            message: format!(
                "Entra ID refused the exchange ({}): {first_line}{correlation}",
                e.error
            ),
            claims: None,
        },
    })
}

const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The certificate credential: a short-lived JWT for Entra's token endpoint, signed with the
/// certificate's key and naming it by `x5t` (base64url of the SHA-1 thumbprint's bytes).
fn client_assertion(
    config: &CompanionConfig,
    private_key_pem: &str,
    thumbprint_hex: &str,
) -> Result<String, Rejection> {
    let misconfigured = |detail: String| Rejection {
        status: 500,
        error: "companion_misconfigured",
        message: format!(
            "The companion's certificate credential is unusable ({detail}); its administrator must fix the configuration."
        ),
        claims: None,
    };
    let thumbprint: Vec<u8> = (0..thumbprint_hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(thumbprint_hex.get(i..i + 2).unwrap_or("zz"), 16))
        .collect::<Result<_, _>>()
        .map_err(|_| misconfigured("the thumbprint is not hex".into()))?;
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(private_key_pem.as_bytes())
        .map_err(|e| misconfigured(e.to_string()))?;
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.x5t = Some(base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        thumbprint,
    ));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let claims = serde_json::json!({
        "aud": config.token_url().as_str(),
        "iss": config.client_id,
        "sub": config.client_id,
        "jti": uuid::Uuid::new_v4().to_string(),
        "iat": now, "nbf": now, "exp": now + 600,
    });
    jsonwebtoken::encode(&header, &claims, &key).map_err(|e| misconfigured(e.to_string()))
}
