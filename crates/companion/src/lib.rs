//! The companion: a small web API an organization deploys next to Webinar Desk. The desktop
//! sends it an access token issued for this API; the companion checks that token for real and
//! trades it for a Microsoft Graph token with Entra's On-Behalf-Of grant, so the desktop never
//! holds a client secret.
//!
//! Invariants:
//! - a token is accepted only if its RS256 signature verifies against the tenant's JWKS and its
//!   issuer, tenant, audience, expiry (with small skew), `scp` and calling app all check out;
//!   app-only tokens are refused;
//! - the client secret is never logged, echoed or put in an error;
//! - refusals carry a machine-readable `error` and a sentence for people, and Entra's
//!   interaction-required answers travel back as 401 so the desktop signs in again.

pub mod config;
mod jwks;
mod obo;
mod validate;

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;

pub use config::{CompanionConfig, Credential};
pub use validate::Caller;

/// Why the companion refused a request. `error` is the stable code the desktop branches on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Rejection {
    pub status: u16,
    pub error: &'static str,
    pub message: String,
    /// A Conditional Access claims challenge to pass back to `/authorize`.
    pub claims: Option<String>,
}

impl Rejection {
    pub fn invalid_token(message: impl Into<String>) -> Self {
        Self {
            status: 401,
            error: "invalid_token",
            message: message.into(),
            claims: None,
        }
    }
    pub fn forbidden(error: &'static str, message: impl Into<String>) -> Self {
        Self {
            status: 403,
            error,
            message: message.into(),
            claims: None,
        }
    }
}

#[derive(Serialize)]
struct RejectionBody<'a> {
    error: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    claims: Option<&'a str>,
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = Json(RejectionBody {
            error: self.error,
            message: &self.message,
            claims: self.claims.as_deref(),
        });
        let mut response = (status, body).into_response();
        if status == StatusCode::UNAUTHORIZED {
            let challenge = format!(
                "Bearer error=\"{}\", error_description=\"{}\"",
                self.error,
                self.message.replace('"', "'")
            );
            if let Ok(v) = HeaderValue::from_str(&challenge) {
                response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
            }
        }
        response
    }
}

/// The Graph token handed back to the desktop.
#[derive(Debug, Clone, Serialize)]
pub struct GraphGrant {
    pub access_token: String,
    pub expires_in: i64,
    pub scope: String,
    pub token_type: &'static str,
}

/// The companion service: configuration, an HTTP client, and the JWKS cache.
#[derive(Debug)]
pub struct Companion {
    config: CompanionConfig,
    http: reqwest::Client,
    keys: jwks::KeyCache,
}

impl Companion {
    pub fn new(config: CompanionConfig) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("TLS backend compiled in");
        let keys = jwks::KeyCache::new(config.jwks_url());
        Self { config, http, keys }
    }

    pub fn config(&self) -> &CompanionConfig {
        &self.config
    }

    /// Checks an incoming access token; see the module invariants.
    pub async fn validate(&self, token: &str) -> Result<Caller, Rejection> {
        validate::validate(&self.config, &self.keys, &self.http, token).await
    }

    /// Validates the caller's token and exchanges it for a Graph token.
    pub async fn graph_token(&self, bearer: &str) -> Result<GraphGrant, Rejection> {
        let caller = self.validate(bearer).await?;
        let grant = obo::exchange(&self.config, &self.http, bearer).await;
        match &grant {
            Ok(_) => tracing::info!(
                tid = caller.tenant_id,
                oid = caller.object_id,
                app = caller.client_app,
                "graph token issued on behalf of user"
            ),
            Err(r) => tracing::warn!(
                tid = caller.tenant_id,
                oid = caller.object_id,
                error = r.error,
                "on-behalf-of refused: {}",
                r.message
            ),
        }
        grant
    }

    /// `POST /v1/graph-token`, `GET /health` (alive) and `GET /ready` (can check tokens).
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/v1/graph-token", post(graph_token))
            .route("/health", get(health))
            .route("/ready", get(ready))
            .with_state(self)
    }
}

async fn graph_token(State(companion): State<Arc<Companion>>, headers: HeaderMap) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        });
    let Some(bearer) = bearer else {
        return Rejection::invalid_token(
            "No bearer token was sent. Sign in to Webinar Desk first.",
        )
        .into_response();
    };
    match companion.graph_token(bearer.trim()).await {
        Ok(grant) => (
            StatusCode::OK,
            [(header::CACHE_CONTROL, "no-store")],
            Json(grant),
        )
            .into_response(),
        Err(rejection) => rejection.into_response(),
    }
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
    tenant_id: String,
    client_id: String,
}

async fn health(State(companion): State<Arc<Companion>>) -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        tenant_id: companion.config.tenant_id.clone(),
        client_id: companion.config.client_id.clone(),
    })
}

/// Ready when the configuration is valid (it is, or the companion would not have started) and
/// the tenant's signing keys are at hand; a load balancer sends callers only then.
async fn ready(State(companion): State<Arc<Companion>>) -> Response {
    match companion.keys.ready(&companion.http).await {
        Ok(keys) => {
            Json(serde_json::json!({"status": "ready", "signing_keys": keys})).into_response()
        }
        Err(rejection) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"status": "not ready", "reason": rejection.message})),
        )
            .into_response(),
    }
}
