//! Microsoft Graph: the one request pipeline every call goes through, and the typed operations
//! the app uses.
//!
//! Invariants:
//! - every request carries a fresh `client-request-id`; the log line for it names the operation,
//!   both ids, the status, elapsed time and outcome — never a token or a body;
//! - a 401 renews the Graph token once and retries once; a second 401 is reported;
//! - `@odata.nextLink` is followed verbatim, but only on Graph's own origin, so a token is never
//!   sent anywhere else;
//! - errors keep Graph's status, code chain, message and both request ids.

pub mod types;

use std::sync::Arc;
use std::time::Instant;

use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use url::Url;

use crate::auth::{AuthError, GraphTokens, transport_message};
use types::{ErrorBody, Page, VirtualEventSession, VirtualEventWebinar};

/// The webinar roles `getByUserRole` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserRole {
    Organizer,
    CoOrganizer,
}

impl UserRole {
    pub fn as_graph(self) -> &'static str {
        match self {
            UserRole::Organizer => "organizer",
            UserRole::CoOrganizer => "coOrganizer",
        }
    }
}

/// How Graph refused a request, as the app reacts to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Unauthorized,
    Forbidden,
    NotFound,
    Throttled,
    Transient,
    Invalid,
    Other,
}

/// Graph answered with an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    pub operation: &'static str,
    pub status: u16,
    pub codes: Vec<String>,
    pub message: String,
    pub request_id: Option<String>,
    pub client_request_id: String,
    pub retry_after_secs: Option<u64>,
}

impl ServiceError {
    pub fn refusal(&self) -> Refusal {
        match self.status {
            401 => Refusal::Unauthorized,
            403 => Refusal::Forbidden,
            404 => Refusal::NotFound,
            429 => Refusal::Throttled,
            500 | 502 | 503 | 504 => Refusal::Transient,
            400 | 405 | 409 | 412 | 422 => Refusal::Invalid,
            _ => Refusal::Other,
        }
    }

    fn advice(&self) -> &'static str {
        match self.refusal() {
            Refusal::Unauthorized => "Sign in again.",
            Refusal::Forbidden => {
                "Your account or the app lacks a permission for this; the Diagnostics page shows which."
            }
            Refusal::NotFound => "It may have been deleted or you no longer have access.",
            Refusal::Throttled => "Microsoft Graph asked us to slow down; try again in a moment.",
            Refusal::Transient => "Microsoft Graph had a temporary problem; try again in a moment.",
            Refusal::Invalid => "Graph did not accept the request.",
            Refusal::Other => "Try again; if it keeps happening, give the request id to support.",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error(
        "Could not reach Microsoft Graph for {operation} ({message}). You may be offline; cached data stays available."
    )]
    Unreachable {
        operation: &'static str,
        message: String,
        client_request_id: String,
    },
    #[error("Microsoft Graph refused {} (HTTP {}{}): {} {}", .0.operation, .0.status, codes(&.0.codes), .0.message, .0.advice())]
    Service(Box<ServiceError>),
    #[error("Microsoft Graph's answer to {operation} could not be read: {message}")]
    Malformed {
        operation: &'static str,
        message: String,
        request_id: Option<String>,
        client_request_id: String,
    },
    #[error("Refused to follow a paging link to {0}: it is not Microsoft Graph's address")]
    ForeignLink(String),
    #[error(transparent)]
    Auth(#[from] AuthError),
}

fn codes(codes: &[String]) -> String {
    if codes.is_empty() {
        String::new()
    } else {
        format!(", {}", codes.join(" › "))
    }
}

impl GraphError {
    pub fn client_request_id(&self) -> Option<&str> {
        match self {
            GraphError::Unreachable {
                client_request_id, ..
            }
            | GraphError::Malformed {
                client_request_id, ..
            } => Some(client_request_id),
            GraphError::Service(e) => Some(&e.client_request_id),
            _ => None,
        }
    }
    pub fn request_id(&self) -> Option<&str> {
        match self {
            GraphError::Service(e) => e.request_id.as_deref(),
            GraphError::Malformed { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }
}

/// A Graph client bound to one signed-in user's tokens.
#[derive(Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    /// `https://graph.microsoft.com/v1.0/` or a simulated tenant's equivalent.
    v1: Url,
    tokens: Arc<dyn GraphTokens>,
}

impl std::fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphClient")
            .field("v1", &self.v1.as_str())
            .finish_non_exhaustive()
    }
}

impl GraphClient {
    pub fn new(http: reqwest::Client, graph_url: &Url, tokens: Arc<dyn GraphTokens>) -> Self {
        let base = graph_url.as_str().trim_end_matches('/');
        let v1 = Url::parse(&format!("{base}/v1.0/")).expect("valid base URL");
        Self { http, v1, tokens }
    }

    fn url(&self, path: &str) -> Url {
        self.v1.join(path).expect("relative Graph paths are valid")
    }

    /// `GET /solutions/virtualEvents/webinars/getByUserRole(role='…')`, every page.
    pub async fn webinars_by_role(
        &self,
        role: UserRole,
    ) -> Result<Vec<VirtualEventWebinar>, GraphError> {
        let url = self.url(&format!(
            "solutions/virtualEvents/webinars/getByUserRole(role='{}')",
            role.as_graph()
        ));
        self.all_pages("webinars.getByUserRole", url).await
    }

    /// `GET /solutions/virtualEvents/webinars/{id}`.
    pub async fn webinar(&self, id: &str) -> Result<VirtualEventWebinar, GraphError> {
        let url = self.url(&format!("solutions/virtualEvents/webinars/{id}"));
        self.get_json("webinars.get", url).await
    }

    /// `GET /solutions/virtualEvents/webinars/{id}/sessions`, every page.
    pub async fn sessions(&self, webinar_id: &str) -> Result<Vec<VirtualEventSession>, GraphError> {
        let url = self.url(&format!(
            "solutions/virtualEvents/webinars/{webinar_id}/sessions"
        ));
        self.all_pages("webinars.sessions.list", url).await
    }

    /// Follows `@odata.nextLink` until the last page.
    pub async fn all_pages<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        first: Url,
    ) -> Result<Vec<T>, GraphError> {
        let mut items = Vec::new();
        let mut next = Some(first);
        let mut seen = std::collections::HashSet::new();
        while let Some(url) = next.take() {
            if !seen.insert(url.to_string()) {
                return Err(GraphError::Malformed {
                    operation,
                    message: "a paging link pointed back to a page already read".into(),
                    request_id: None,
                    client_request_id: String::new(),
                });
            }
            let page: Page<T> = self.get_json(operation, url).await?;
            items.extend(page.value);
            if let Some(link) = page.next_link {
                let link_url =
                    Url::parse(&link).map_err(|_| GraphError::ForeignLink(link.clone()))?;
                if link_url.origin() != self.v1.origin() {
                    return Err(GraphError::ForeignLink(link));
                }
                next = Some(link_url);
            }
        }
        Ok(items)
    }

    /// One GET through the pipeline.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        url: Url,
    ) -> Result<T, GraphError> {
        let mut renewed = false;
        loop {
            let token = self.tokens.graph_token(renewed).await?;
            let client_request_id = uuid::Uuid::new_v4().to_string();
            let started = Instant::now();
            let sent = self
                .http
                .get(url.clone())
                .bearer_auth(token.expose())
                .header("client-request-id", &client_request_id)
                .header("return-client-request-id", "true")
                .header(reqwest::header::ACCEPT, "application/json")
                .send()
                .await;
            let response = match sent {
                Ok(r) => r,
                Err(e) => {
                    let message = transport_message(&e);
                    tracing::warn!(
                        operation,
                        client_request_id,
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        outcome = "unreachable",
                        "graph {message}"
                    );
                    return Err(GraphError::Unreachable {
                        operation,
                        message,
                        client_request_id,
                    });
                }
            };
            let status = response.status();
            let request_id = header(&response, "request-id");
            let retry_after =
                header(&response, "retry-after").and_then(|v| v.trim().parse::<u64>().ok());
            let body = response.bytes().await;
            let elapsed_ms = started.elapsed().as_millis() as u64;
            let body = match body {
                Ok(b) => b,
                Err(e) => {
                    let message = transport_message(&e);
                    tracing::warn!(
                        operation,
                        client_request_id,
                        request_id,
                        status = status.as_u16(),
                        elapsed_ms,
                        outcome = "cut off",
                        "graph {message}"
                    );
                    return Err(GraphError::Unreachable {
                        operation,
                        message,
                        client_request_id,
                    });
                }
            };
            if status.is_success() {
                tracing::info!(
                    operation,
                    client_request_id,
                    request_id,
                    status = status.as_u16(),
                    elapsed_ms,
                    outcome = "ok",
                    "graph"
                );
                return serde_json::from_slice(&body).map_err(|e| GraphError::Malformed {
                    operation,
                    message: e.to_string(),
                    request_id,
                    client_request_id,
                });
            }
            let detail = serde_json::from_slice::<ErrorBody>(&body)
                .unwrap_or_default()
                .error;
            let error = ServiceError {
                operation,
                status: status.as_u16(),
                codes: detail.code_chain(),
                message: detail
                    .message
                    .clone()
                    .unwrap_or_else(|| status.canonical_reason().unwrap_or("").to_string()),
                request_id: request_id.clone(),
                client_request_id: client_request_id.clone(),
                retry_after_secs: retry_after,
            };
            tracing::warn!(operation, client_request_id, request_id, status = status.as_u16(), elapsed_ms, outcome = "refused", codes = ?error.codes, "graph");
            if status == StatusCode::UNAUTHORIZED && !renewed {
                renewed = true;
                continue;
            }
            if status == StatusCode::UNAUTHORIZED {
                return Err(GraphError::Auth(AuthError::SignInRequired(format!(
                    "Microsoft Graph did not accept a freshly issued token (request id {})",
                    request_id.as_deref().unwrap_or("none")
                ))));
            }
            return Err(GraphError::Service(Box::new(error)));
        }
    }
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}
