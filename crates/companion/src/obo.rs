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
    let Credential::ClientSecret(secret) = &config.credential;
    let scope = config.graph_scopes.join(" ");
    let form = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
        ("client_id", config.client_id.as_str()),
        ("client_secret", secret.as_str()),
        ("assertion", assertion),
        ("scope", scope.as_str()),
        ("requested_token_use", "on_behalf_of"),
    ];
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
                "The companion's own credentials were refused; its administrator must renew its secret: {first_line}{correlation}"
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
