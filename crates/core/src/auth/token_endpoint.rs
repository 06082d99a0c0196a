//! Talking to Entra's authorize and token endpoints through the `oauth2` crate: building the
//! authorization request (PKCE S256, random `state`), redeeming the code, refreshing.
//!
//! Entra's error JSON carries more than RFC 6749's (`error_codes`, `suberror`, `claims`,
//! `correlation_id`); [`EntraError`] keeps all of it so the app can tell "sign in again" from
//! "ask your admin" and show the correlation id.

use std::fmt;

use chrono::{DateTime, Utc};
use oauth2::basic::{
    BasicRevocationErrorResponse, BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, CsrfToken, EndpointNotSet, EndpointSet,
    ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken,
    RequestTokenError, Scope, StandardRevocableToken, StandardTokenResponse, TokenResponse,
    TokenUrl,
};
use serde::{Deserialize, Serialize};

use super::{AuthError, Secret, SignInOptions};
use crate::config::TenantConfig;

/// Fields Entra adds to a token response.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EntraTokenFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}
impl ExtraTokenFields for EntraTokenFields {}

type EntraTokenResponse = StandardTokenResponse<EntraTokenFields, BasicTokenType>;

/// Entra's token-endpoint error body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntraError {
    pub error: String,
    #[serde(default)]
    pub error_description: Option<String>,
    #[serde(default)]
    pub error_codes: Vec<u64>,
    #[serde(default)]
    pub suberror: Option<String>,
    #[serde(default)]
    pub claims: Option<String>,
    #[serde(default)]
    pub correlation_id: Option<String>,
    #[serde(default)]
    pub trace_id: Option<String>,
}

impl EntraError {
    /// Errors only an interactive sign-in can clear (expired or revoked grants, MFA, consent).
    pub fn needs_interaction(&self) -> bool {
        matches!(
            self.error.as_str(),
            "invalid_grant" | "interaction_required" | "login_required" | "consent_required"
        )
    }
    pub fn aadsts(&self) -> Option<u64> {
        self.error_codes.first().copied()
    }
}

impl fmt::Display for EntraError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The description's first line holds the AADSTS code and its sentence; the rest is
        // trace noise that belongs in details, not in the message.
        let description = self
            .error_description
            .as_deref()
            .and_then(|d| d.lines().next())
            .unwrap_or("no description");
        write!(f, "{} — {}", self.error, description)?;
        if let Some(id) = &self.correlation_id {
            write!(f, " (correlation id {id})")?;
        }
        Ok(())
    }
}
impl oauth2::ErrorResponse for EntraError {}

type EntraClient = oauth2::Client<
    EntraError,
    EntraTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

fn client(config: &TenantConfig, redirect_uri: Option<&str>) -> EntraClient {
    let mut client = oauth2::Client::new(ClientId::new(config.client_id.clone()))
        .set_auth_uri(AuthUrl::from_url(config.authorize_url()))
        .set_token_uri(TokenUrl::from_url(config.token_url()))
        // A public client authenticates with its client_id in the body and no secret.
        .set_auth_type(AuthType::RequestBody);
    if let Some(uri) = redirect_uri {
        client = client
            .set_redirect_uri(RedirectUrl::new(uri.to_string()).expect("loopback URI is valid"));
    }
    client
}

/// Tokens from one token-endpoint answer.
#[derive(Debug)]
pub struct TokenSet {
    pub access_token: Secret,
    pub expires_at: DateTime<Utc>,
    pub refresh_token: Option<Secret>,
    pub id_token: Option<Secret>,
}

pub(super) struct AuthorizationRequest {
    pub url: url::Url,
    pub state: Secret,
    pub pkce_verifier: Secret,
}

pub(super) fn authorization_request(
    config: &TenantConfig,
    redirect_uri: &str,
    options: &SignInOptions,
) -> AuthorizationRequest {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let client = client(config, Some(redirect_uri));
    let mut request = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(config.sign_in_scopes().into_iter().map(Scope::new))
        .set_pkce_challenge(challenge);
    if let Some(hint) = &options.login_hint {
        request = request.add_extra_param("login_hint", hint.clone());
    }
    if let Some(prompt) = &options.prompt {
        request = request.add_extra_param("prompt", prompt.clone());
    }
    if let Some(claims) = &options.claims {
        request = request.add_extra_param("claims", claims.clone());
    }
    let (url, state) = request.url();
    AuthorizationRequest {
        url,
        state: Secret::new(state.secret().clone()),
        pkce_verifier: Secret::new(verifier.secret().clone()),
    }
}

/// Redeems an authorization code (with its PKCE verifier) for tokens.
pub async fn redeem_code(
    config: &TenantConfig,
    http: &reqwest::Client,
    redirect_uri: &str,
    code: &str,
    verifier: &Secret,
) -> Result<TokenSet, AuthError> {
    let response = client(config, Some(redirect_uri))
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier.expose().to_string()))
        .request_async(http)
        .await
        .map_err(|e| token_error(config, e))?;
    Ok(token_set(response))
}

/// Trades a refresh token for fresh tokens (Entra may rotate the refresh token too).
pub async fn refresh(
    config: &TenantConfig,
    http: &reqwest::Client,
    refresh_token: &Secret,
) -> Result<TokenSet, AuthError> {
    let response = client(config, None)
        .exchange_refresh_token(&RefreshToken::new(refresh_token.expose().to_string()))
        .add_scopes(config.sign_in_scopes().into_iter().map(Scope::new))
        .request_async(http)
        .await
        .map_err(|e| token_error(config, e))?;
    Ok(token_set(response))
}

fn token_set(response: EntraTokenResponse) -> TokenSet {
    let lifetime = response
        .expires_in()
        .unwrap_or(std::time::Duration::from_secs(3600));
    TokenSet {
        access_token: Secret::new(response.access_token().secret().clone()),
        expires_at: Utc::now()
            + chrono::Duration::from_std(lifetime).unwrap_or(chrono::Duration::hours(1)),
        refresh_token: response
            .refresh_token()
            .map(|t| Secret::new(t.secret().clone())),
        id_token: response.extra_fields().id_token.clone().map(Secret::new),
    }
}

fn token_error(
    config: &TenantConfig,
    e: RequestTokenError<oauth2::HttpClientError<reqwest::Error>, EntraError>,
) -> AuthError {
    match e {
        RequestTokenError::ServerResponse(entra) => AuthError::Entra(Box::new(entra)),
        RequestTokenError::Request(inner) => AuthError::Unreachable {
            what: "Entra ID",
            url: config.token_url().to_string(),
            // The top-level text is just "client error"; the cause is in the reqwest error.
            message: match &inner {
                oauth2::HttpClientError::Reqwest(e) => super::transport_message(e),
                other => other.to_string(),
            },
        },
        RequestTokenError::Parse(err, _body) => AuthError::Protocol {
            what: "Entra ID's token endpoint",
            message: format!("the answer is not a token response ({err})"),
        },
        RequestTokenError::Other(message) => AuthError::Protocol {
            what: "Entra ID's token endpoint",
            message,
        },
    }
}
