//! Microsoft Graph: the one request pipeline every call goes through, and the typed operations
//! the app uses on virtual-event webinars.
//!
//! Invariants:
//! - every request carries a fresh `client-request-id`; one log line per attempt names the
//!   operation, both ids, the status, elapsed time, attempt and outcome — never a token or body;
//! - every request waits for the shared [`Pacer`] first, so the documented limits are kept by
//!   pacing rather than by meeting 429s;
//! - a 401 renews the Graph token once and retries once; a second 401, or a claims challenge,
//!   is reported as "sign in again";
//! - reads are retried (429, 5xx, lost answers, unreadable bodies), writes only when Graph
//!   provably did not process them (429, or no connection at all); otherwise a write that may
//!   have happened is [`GraphError::OutcomeUnknown`] and the caller re-reads Teams;
//! - `@odata.nextLink` is followed verbatim, but only on Graph's own origin, so a token is never
//!   sent anywhere else;
//! - errors keep Graph's status, code chain, message and both request ids.

mod error;
pub mod pacing;
pub mod retry;
pub mod types;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime};

use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::auth::{AuthError, GraphTokens, transport_message};
pub use error::{GraphError, Refusal, ServiceError};
pub use pacing::{Class, Limits, Pacer};
pub use retry::RetryPolicy;
use types::{
    AttendanceRecord, AttendanceReport, ErrorBody, LicenceDetail, NewQuestion, NewRegistration,
    NewWebinar, Page, Registration, RegistrationConfiguration, RegistrationQuestion,
    RegistrationSettingsPatch, VirtualEventSession, VirtualEventWebinar, WebinarPatch,
};

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

/// Which Graph endpoint answered a call that can fall back from v1.0 to beta.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    V1,
    Beta,
}

/// A registration lookup by one of its alternate keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrantKey<'a> {
    Id(&'a str),
    Email(&'a str),
    UserId(&'a str),
}

/// A Graph client bound to one signed-in user's tokens and the app's shared pacer.
#[derive(Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    /// `https://graph.microsoft.com/v1.0/` or a simulated tenant's equivalent.
    v1: Url,
    beta: Url,
    tokens: Arc<dyn GraphTokens>,
    pacer: Arc<Pacer>,
    retry: RetryPolicy,
    /// Seeds each request's backoff jitter (randomness comes from outside: see `with_jitter_seed`).
    jitter: Arc<AtomicU64>,
}

impl std::fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphClient")
            .field("v1", &self.v1.as_str())
            .field("limits", &self.pacer.limits())
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// One request as the pipeline sends it.
struct Call {
    operation: &'static str,
    method: Method,
    url: Url,
    body: Option<Vec<u8>>,
}

impl Call {
    fn class(&self) -> Class {
        if self.method == Method::GET {
            Class::Read
        } else {
            Class::Write
        }
    }
}

/// Graph's successful answer.
struct Answer {
    body: bytes::Bytes,
    request_id: Option<String>,
    client_request_id: String,
}

/// What one attempt came to, before deciding whether to try again.
enum Attempt {
    Done(Answer),
    Failed {
        error: GraphError,
        /// Graph's own wait, when it named one.
        retry_after: Option<std::time::Duration>,
        /// Repeating is safe and may help.
        retryable: bool,
    },
    RenewToken,
}

impl GraphClient {
    /// A client with Graph's documented limits and its own pacer. Prefer [`Self::with_pacer`]
    /// with the app's shared pacer, so all clients of one app share one budget.
    pub fn new(http: reqwest::Client, graph_url: &Url, tokens: Arc<dyn GraphTokens>) -> Self {
        let base = graph_url.as_str().trim_end_matches('/');
        let v1 = Url::parse(&format!("{base}/v1.0/")).expect("valid base URL");
        let beta = Url::parse(&format!("{base}/beta/")).expect("valid base URL");
        Self {
            http,
            v1,
            beta,
            tokens,
            pacer: Pacer::new(Limits::GRAPH),
            retry: RetryPolicy::default(),
            jitter: Arc::new(AtomicU64::new(rand::random())),
        }
    }

    pub fn with_pacer(mut self, pacer: Arc<Pacer>) -> Self {
        self.pacer = pacer;
        self
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Makes the backoff jitter reproducible (tests).
    pub fn with_jitter_seed(mut self, seed: u64) -> Self {
        self.jitter = Arc::new(AtomicU64::new(seed));
        self
    }

    fn url(&self, endpoint: Endpoint, path: &str) -> Url {
        let base = match endpoint {
            Endpoint::V1 => &self.v1,
            Endpoint::Beta => &self.beta,
        };
        base.join(path).expect("relative Graph paths are valid")
    }

    fn webinar_url(&self, endpoint: Endpoint, id: &str, rest: &str) -> Url {
        let id = segment(id);
        self.url(
            endpoint,
            &format!("solutions/virtualEvents/webinars/{id}{rest}"),
        )
    }

    // ----- webinars -------------------------------------------------------------------------

    /// `GET /solutions/virtualEvents/webinars/getByUserRole(role='…')`, every page.
    pub async fn webinars_by_role(
        &self,
        role: UserRole,
    ) -> Result<Vec<VirtualEventWebinar>, GraphError> {
        let url = self.url(
            Endpoint::V1,
            &format!(
                "solutions/virtualEvents/webinars/getByUserRole(role='{}')",
                role.as_graph()
            ),
        );
        self.all_pages("webinars.getByUserRole", url).await
    }

    /// `GET /solutions/virtualEvents/webinars/{id}`.
    pub async fn webinar(&self, id: &str) -> Result<VirtualEventWebinar, GraphError> {
        let url = self.webinar_url(Endpoint::V1, id, "");
        self.get_json("webinars.get", url).await
    }

    /// `POST /solutions/virtualEvents/webinars`: a draft. Never retried after it may have been
    /// processed; on [`GraphError::OutcomeUnknown`] look for it before creating again.
    pub async fn create_webinar(
        &self,
        webinar: &NewWebinar,
    ) -> Result<VirtualEventWebinar, GraphError> {
        let url = self.url(Endpoint::V1, "solutions/virtualEvents/webinars");
        self.send_json("webinars.create", Method::POST, url, Some(webinar))
            .await
    }

    /// `PATCH /solutions/virtualEvents/webinars/{id}` with only the documented fields.
    pub async fn update_webinar(
        &self,
        id: &str,
        patch: &WebinarPatch,
    ) -> Result<VirtualEventWebinar, GraphError> {
        let url = self.webinar_url(Endpoint::V1, id, "");
        self.send_json("webinars.update", Method::PATCH, url, Some(patch))
            .await
    }

    /// `POST …/webinars/{id}/publish` (organizer only).
    pub async fn publish_webinar(&self, id: &str) -> Result<(), GraphError> {
        let url = self.webinar_url(Endpoint::V1, id, "/publish");
        self.send_empty("webinars.publish", Method::POST, url, None::<&()>)
            .await
    }

    /// `POST …/webinars/{id}/cancel` (organizer only; permanent).
    pub async fn cancel_webinar(&self, id: &str) -> Result<(), GraphError> {
        let url = self.webinar_url(Endpoint::V1, id, "/cancel");
        self.send_empty("webinars.cancel", Method::POST, url, None::<&()>)
            .await
    }

    /// `POST …/webinars/{id}/setExternalEventInformation` (our tag, ≤ 256 characters).
    pub async fn set_external_event_id(
        &self,
        id: &str,
        external_event_id: &str,
    ) -> Result<(), GraphError> {
        let url = self.webinar_url(Endpoint::V1, id, "/setExternalEventInformation");
        let body = serde_json::json!({ "externalEventId": external_event_id });
        self.send_empty(
            "webinars.setExternalEventInformation",
            Method::POST,
            url,
            Some(&body),
        )
        .await
    }

    // ----- sessions -------------------------------------------------------------------------

    /// `GET …/webinars/{id}/sessions` (summaries), every page.
    pub async fn sessions(&self, webinar_id: &str) -> Result<Vec<VirtualEventSession>, GraphError> {
        let url = self.webinar_url(Endpoint::V1, webinar_id, "/sessions");
        self.all_pages("webinars.sessions.list", url).await
    }

    /// `GET …/webinars/{id}/sessions/{sessionId}` (all properties).
    pub async fn session(
        &self,
        webinar_id: &str,
        session_id: &str,
    ) -> Result<VirtualEventSession, GraphError> {
        let url = self.webinar_url(
            Endpoint::V1,
            webinar_id,
            &format!("/sessions/{}", segment(session_id)),
        );
        self.get_json("webinars.sessions.get", url).await
    }

    // ----- registration configuration -----------------------------------------------------

    /// `GET …/webinars/{id}/registrationConfiguration`.
    pub async fn registration_configuration(
        &self,
        webinar_id: &str,
    ) -> Result<RegistrationConfiguration, GraphError> {
        let url = self.webinar_url(Endpoint::V1, webinar_id, "/registrationConfiguration");
        self.get_json("webinars.registrationConfiguration.get", url)
            .await
    }

    /// `PATCH …/webinars/{id}/registrationConfiguration` (capacity, approval, waitlist).
    pub async fn update_registration_configuration(
        &self,
        webinar_id: &str,
        patch: &RegistrationSettingsPatch,
    ) -> Result<RegistrationConfiguration, GraphError> {
        let url = self.webinar_url(Endpoint::V1, webinar_id, "/registrationConfiguration");
        self.send_json(
            "webinars.registrationConfiguration.update",
            Method::PATCH,
            url,
            Some(patch),
        )
        .await
    }

    /// `GET …/registrationConfiguration/questions`, every page.
    pub async fn registration_questions(
        &self,
        webinar_id: &str,
    ) -> Result<Vec<RegistrationQuestion>, GraphError> {
        let url = self.webinar_url(
            Endpoint::V1,
            webinar_id,
            "/registrationConfiguration/questions",
        );
        self.all_pages("webinars.registrationQuestions.list", url)
            .await
    }

    /// `POST …/registrationConfiguration/questions` (custom or predefined).
    pub async fn create_registration_question(
        &self,
        webinar_id: &str,
        question: &NewQuestion,
    ) -> Result<RegistrationQuestion, GraphError> {
        let url = self.webinar_url(
            Endpoint::V1,
            webinar_id,
            "/registrationConfiguration/questions",
        );
        self.send_json(
            "webinars.registrationQuestions.create",
            Method::POST,
            url,
            Some(question),
        )
        .await
    }

    /// `DELETE …/registrationConfiguration/questions/{questionId}`.
    pub async fn delete_registration_question(
        &self,
        webinar_id: &str,
        question_id: &str,
    ) -> Result<(), GraphError> {
        let url = self.webinar_url(
            Endpoint::V1,
            webinar_id,
            &format!(
                "/registrationConfiguration/questions/{}",
                segment(question_id)
            ),
        );
        self.send_empty(
            "webinars.registrationQuestions.delete",
            Method::DELETE,
            url,
            None::<&()>,
        )
        .await
    }

    // ----- registrations --------------------------------------------------------------------

    /// Every registration of a webinar: v1.0 first; on 403 beta (v1.0 documents delegated
    /// listing as unsupported); if both refuse, [`GraphError::RegistrationsRefused`].
    pub async fn registrations(
        &self,
        webinar_id: &str,
    ) -> Result<(Vec<Registration>, Endpoint), GraphError> {
        self.v1_or_beta(|endpoint| {
            let url = self.webinar_url(endpoint, webinar_id, "/registrations");
            self.all_pages(registrations_operation(endpoint), url)
        })
        .await
    }

    /// Whether this user may list a webinar's registrations, and on which endpoint: the first
    /// page only, with the same v1.0 → beta fallback as [`GraphClient::registrations`].
    pub async fn registrations_access(&self, webinar_id: &str) -> Result<Endpoint, GraphError> {
        self.v1_or_beta(|endpoint| {
            let url = self.webinar_url(endpoint, webinar_id, "/registrations");
            self.get_json::<Page<Registration>>(registrations_operation(endpoint), url)
        })
        .await
        .map(|(_, endpoint)| endpoint)
    }

    /// Runs `fetch` on v1.0, and on beta when v1.0 answers 403.
    async fn v1_or_beta<T, F, Fut>(&self, fetch: F) -> Result<(T, Endpoint), GraphError>
    where
        F: Fn(Endpoint) -> Fut,
        Fut: std::future::Future<Output = Result<T, GraphError>>,
    {
        let first = match fetch(Endpoint::V1).await {
            Ok(found) => return Ok((found, Endpoint::V1)),
            Err(GraphError::Service(e)) if e.status == 403 => e,
            Err(e) => return Err(e),
        };
        tracing::info!(
            request_id = first.request_id,
            "v1.0 refused the registrations list; trying beta"
        );
        match fetch(Endpoint::Beta).await {
            Ok(found) => Ok((found, Endpoint::Beta)),
            Err(GraphError::Service(second)) if second.status == 403 => {
                Err(GraphError::RegistrationsRefused {
                    v1: first,
                    beta: second,
                })
            }
            Err(e) => Err(e),
        }
    }

    /// One registration by id, e-mail or Entra user id (the alternate keys).
    pub async fn registration(
        &self,
        webinar_id: &str,
        key: RegistrantKey<'_>,
    ) -> Result<Registration, GraphError> {
        let path = match key {
            RegistrantKey::Id(id) => format!("/registrations/{}", segment(id)),
            RegistrantKey::Email(e) => format!("/registrations(email='{}')", odata_literal(e)),
            RegistrantKey::UserId(u) => format!("/registrations(userId='{}')", odata_literal(u)),
        };
        let url = self.webinar_url(Endpoint::V1, webinar_id, &path);
        self.get_json("webinars.registrations.get", url).await
    }

    /// `POST …/webinars/{id}/registrations`: registers the signed-in user.
    pub async fn register_me(
        &self,
        webinar_id: &str,
        registration: &NewRegistration,
    ) -> Result<Registration, GraphError> {
        let url = self.webinar_url(Endpoint::V1, webinar_id, "/registrations");
        self.send_json(
            "webinars.registrations.create",
            Method::POST,
            url,
            Some(registration),
        )
        .await
    }

    /// `POST …/registrations/{id}/cancel`.
    pub async fn cancel_registration(
        &self,
        webinar_id: &str,
        registration_id: &str,
    ) -> Result<(), GraphError> {
        let url = self.webinar_url(
            Endpoint::V1,
            webinar_id,
            &format!("/registrations/{}/cancel", segment(registration_id)),
        );
        self.send_empty(
            "webinars.registrations.cancel",
            Method::POST,
            url,
            None::<&()>,
        )
        .await
    }

    /// `GET …/registrations/{id}/sessions`: the registrant's sessions with a personal join link.
    pub async fn registrant_sessions(
        &self,
        webinar_id: &str,
        registration_id: &str,
    ) -> Result<Vec<VirtualEventSession>, GraphError> {
        let url = self.webinar_url(
            Endpoint::V1,
            webinar_id,
            &format!("/registrations/{}/sessions", segment(registration_id)),
        );
        self.all_pages("webinars.registrations.sessions", url).await
    }

    // ----- attendance -----------------------------------------------------------------------

    /// `GET …/sessions/{sessionId}/attendanceReports` (at most the 50 newest; no records).
    pub async fn attendance_reports(
        &self,
        webinar_id: &str,
        session_id: &str,
    ) -> Result<Vec<AttendanceReport>, GraphError> {
        let url = self.webinar_url(
            Endpoint::V1,
            webinar_id,
            &format!("/sessions/{}/attendanceReports", segment(session_id)),
        );
        self.all_pages("webinars.attendanceReports.list", url).await
    }

    /// `GET …/attendanceReports/{reportId}?$expand=attendanceRecords`.
    pub async fn attendance_report(
        &self,
        webinar_id: &str,
        session_id: &str,
        report_id: &str,
    ) -> Result<AttendanceReport, GraphError> {
        let mut url = self.webinar_url(
            Endpoint::V1,
            webinar_id,
            &format!(
                "/sessions/{}/attendanceReports/{}",
                segment(session_id),
                segment(report_id)
            ),
        );
        url.set_query(Some("$expand=attendanceRecords"));
        self.get_json("webinars.attendanceReports.get", url).await
    }

    /// `GET …/attendanceReports/{reportId}/attendanceRecords`, every page.
    pub async fn attendance_records(
        &self,
        webinar_id: &str,
        session_id: &str,
        report_id: &str,
    ) -> Result<Vec<AttendanceRecord>, GraphError> {
        let mut records = Vec::new();
        self.attendance_records_by_page(webinar_id, session_id, report_id, |page| {
            records.extend(page)
        })
        .await?;
        Ok(records)
    }

    /// [`GraphClient::attendance_records`], each page handed to `page` as it arrives (so the
    /// caller's work on it overlaps the next page's request).
    pub async fn attendance_records_by_page(
        &self,
        webinar_id: &str,
        session_id: &str,
        report_id: &str,
        page: impl FnMut(Vec<AttendanceRecord>),
    ) -> Result<(), GraphError> {
        let url = self.webinar_url(
            Endpoint::V1,
            webinar_id,
            &format!(
                "/sessions/{}/attendanceReports/{}/attendanceRecords",
                segment(session_id),
                segment(report_id)
            ),
        );
        self.each_page("webinars.attendanceRecords.list", url, page)
            .await
    }

    // ----- the signed-in user ---------------------------------------------------------------

    /// `GET /me/licenseDetails` (needs `User.Read`): the licences assigned to the user.
    pub async fn licence_details(&self) -> Result<Vec<LicenceDetail>, GraphError> {
        let url = self.url(Endpoint::V1, "me/licenseDetails");
        self.all_pages("me.licenseDetails.list", url).await
    }

    // ----- the pipeline ---------------------------------------------------------------------

    /// Follows `@odata.nextLink` until the last page.
    pub async fn all_pages<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        first: Url,
    ) -> Result<Vec<T>, GraphError> {
        let mut items = Vec::new();
        self.each_page(operation, first, |page| items.extend(page))
            .await?;
        Ok(items)
    }

    /// Follows `@odata.nextLink` until the last page, handing each page's items to `page`.
    pub async fn each_page<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        first: Url,
        mut page: impl FnMut(Vec<T>),
    ) -> Result<(), GraphError> {
        let mut next = Some(first);
        let mut seen = std::collections::HashSet::new();
        let mut held: Option<Vec<T>> = None;
        while let Some(url) = next.take() {
            if !seen.insert(url.to_string()) {
                return Err(GraphError::Malformed {
                    operation,
                    message: "a paging link pointed back to a page already read".into(),
                    request_id: None,
                    client_request_id: String::new(),
                });
            }
            // The page read before is handed over while this one is on its way, so the
            // caller's work on it is not a step of the chain of pages.
            let fetch = self.get_json::<Page<T>>(operation, url);
            let hand_over = async {
                if let Some(items) = held.take() {
                    page(items);
                }
            };
            let (read, ()) = futures_util::future::join(fetch, hand_over).await;
            let read = read?;
            held = Some(read.value);
            if let Some(link) = read.next_link {
                let link_url =
                    Url::parse(&link).map_err(|_| GraphError::ForeignLink(link.clone()))?;
                if link_url.origin() != self.v1.origin() {
                    return Err(GraphError::ForeignLink(link));
                }
                next = Some(link_url);
            }
        }
        if let Some(items) = held {
            page(items);
        }
        Ok(())
    }

    /// One GET through the pipeline, its body read as `T`.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        url: Url,
    ) -> Result<T, GraphError> {
        let call = Call {
            operation,
            method: Method::GET,
            url,
            body: None,
        };
        self.execute(&call, |answer| {
            serde_json::from_slice(&answer.body).map_err(|e| e.to_string())
        })
        .await
    }

    /// A write whose answer is the changed object.
    async fn send_json<B: Serialize, T: DeserializeOwned>(
        &self,
        operation: &'static str,
        method: Method,
        url: Url,
        body: Option<&B>,
    ) -> Result<T, GraphError> {
        let call = Call {
            operation,
            method,
            url,
            body: body.map(|b| serde_json::to_vec(b).expect("request bodies serialize")),
        };
        self.execute(&call, |answer| {
            serde_json::from_slice(&answer.body).map_err(|e| e.to_string())
        })
        .await
    }

    /// A write answered with 204 (or any success; the body is not needed).
    async fn send_empty<B: Serialize>(
        &self,
        operation: &'static str,
        method: Method,
        url: Url,
        body: Option<&B>,
    ) -> Result<(), GraphError> {
        let call = Call {
            operation,
            method,
            url,
            body: body.map(|b| serde_json::to_vec(b).expect("request bodies serialize")),
        };
        self.execute(&call, |_| Ok(())).await
    }

    /// Sends `call` until it succeeds or should not be repeated, then reads the answer.
    async fn execute<T>(
        &self,
        call: &Call,
        read: impl Fn(&Answer) -> Result<T, String>,
    ) -> Result<T, GraphError> {
        let class = call.class();
        let mut backoff = self.retry.backoff(
            self.jitter
                .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed),
        );
        let mut renewed = false;
        let mut attempt = 0usize;
        loop {
            attempt += 1;
            let outcome = match self.attempt(call, renewed, attempt).await {
                Attempt::Done(answer) => match read(&answer) {
                    Ok(value) => return Ok(value),
                    Err(message) => Attempt::Failed {
                        error: GraphError::Malformed {
                            operation: call.operation,
                            message,
                            request_id: answer.request_id,
                            client_request_id: answer.client_request_id,
                        },
                        retry_after: None,
                        // A garbled read can be read again; a garbled write answer means the
                        // write happened, and the caller reconciles.
                        retryable: class == Class::Read,
                    },
                },
                other => other,
            };
            match outcome {
                Attempt::Done(_) => unreachable!("handled above"),
                Attempt::RenewToken => {
                    renewed = true;
                    attempt -= 1;
                }
                Attempt::Failed {
                    error,
                    retry_after,
                    retryable,
                } => {
                    if let Some(wait) = retry_after {
                        // Graph keeps counting while it throttles: hold everyone, not just us.
                        self.pacer.pause(class, wait).await;
                    }
                    if !retryable || attempt >= self.retry.max_attempts {
                        return Err(error);
                    }
                    let Some(delay) = retry_after.or_else(|| backoff.next()) else {
                        return Err(error);
                    };
                    if delay > self.retry.max_wait {
                        return Err(error);
                    }
                    tracing::info!(
                        operation = call.operation,
                        attempt,
                        wait_ms = delay.as_millis() as u64,
                        "graph retrying"
                    );
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    /// One try: pace, send, read, classify.
    async fn attempt(&self, call: &Call, renew: bool, attempt: usize) -> Attempt {
        let operation = call.operation;
        let class = call.class();
        let token = match self.tokens.graph_token(renew).await {
            Ok(t) => t,
            Err(e) => {
                return Attempt::Failed {
                    error: e.into(),
                    retry_after: None,
                    retryable: false,
                };
            }
        };
        let slot = self.pacer.acquire(class).await;
        let client_request_id = uuid::Uuid::new_v4().to_string();
        let started = Instant::now();
        let mut request = self
            .http
            .request(call.method.clone(), call.url.clone())
            .bearer_auth(token.expose())
            .header("client-request-id", &client_request_id)
            .header("return-client-request-id", "true")
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(body) = &call.body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        } else if call.method == Method::POST {
            request = request.header(reqwest::header::CONTENT_LENGTH, "0");
        }
        let sent = request.send().await;
        let response = match sent {
            Ok(r) => r,
            Err(e) => {
                drop(slot);
                let message = transport_message(&e);
                // Nothing left this machine when the connection could not be made.
                let not_sent = e.is_connect();
                log_attempt(
                    operation,
                    &client_request_id,
                    None,
                    None,
                    started,
                    attempt,
                    "unreachable",
                );
                tracing::debug!(operation, client_request_id, "graph transport: {message}");
                return Attempt::Failed {
                    error: self.lost(call, message, None, client_request_id, not_sent),
                    retry_after: None,
                    retryable: !not_sent && class == Class::Read,
                };
            }
        };
        let status = response.status();
        let request_id = header(&response, "request-id");
        let retry_after = header(&response, "retry-after")
            .and_then(|v| retry::parse_retry_after(&v, SystemTime::now()));
        let challenge = header(&response, "www-authenticate");
        let body = response.bytes().await;
        drop(slot);
        let body = match body {
            Ok(b) => b,
            Err(e) => {
                let message = transport_message(&e);
                log_attempt(
                    operation,
                    &client_request_id,
                    request_id.as_deref(),
                    Some(status),
                    started,
                    attempt,
                    "cut off",
                );
                return Attempt::Failed {
                    error: self.lost(call, message, request_id, client_request_id, false),
                    retry_after: None,
                    retryable: class == Class::Read,
                };
            }
        };
        if status.is_success() {
            log_attempt(
                operation,
                &client_request_id,
                request_id.as_deref(),
                Some(status),
                started,
                attempt,
                "ok",
            );
            return Attempt::Done(Answer {
                body,
                request_id,
                client_request_id,
            });
        }
        let detail = serde_json::from_slice::<ErrorBody>(&body)
            .unwrap_or_default()
            .error;
        let codes = detail.code_chain();
        let error = ServiceError {
            operation,
            status: status.as_u16(),
            codes,
            message: detail
                .message
                .clone()
                .unwrap_or_else(|| status.canonical_reason().unwrap_or("").to_string()),
            request_id: request_id.clone(),
            client_request_id: client_request_id.clone(),
            retry_after_secs: retry_after.map(|d| d.as_secs()),
        };
        log_attempt(
            operation,
            &client_request_id,
            request_id.as_deref(),
            Some(status),
            started,
            attempt,
            "refused",
        );
        let claims_challenge = challenge
            .as_deref()
            .is_some_and(|c| c.contains("insufficient_claims") || c.contains("claims="))
            || error
                .codes
                .iter()
                .any(|c| c.eq_ignore_ascii_case("insufficient_claims"));
        if claims_challenge && matches!(status.as_u16(), 401 | 403) {
            return Attempt::Failed {
                error: GraphError::Auth(AuthError::SignInRequired(format!(
                    "your organization asks you to sign in again before Microsoft Graph allows this (Conditional Access; request id {})",
                    request_id.as_deref().unwrap_or("none")
                ))),
                retry_after: None,
                retryable: false,
            };
        }
        if status == StatusCode::UNAUTHORIZED {
            if !renew {
                return Attempt::RenewToken;
            }
            return Attempt::Failed {
                error: GraphError::Auth(AuthError::SignInRequired(format!(
                    "Microsoft Graph did not accept a freshly issued token (request id {})",
                    request_id.as_deref().unwrap_or("none")
                ))),
                retry_after: None,
                retryable: false,
            };
        }
        let refusal = error.refusal();
        let retryable = match refusal {
            // Throttled requests are refused before they are processed: safe to repeat.
            Refusal::Throttled => true,
            Refusal::Transient => class == Class::Read,
            _ => false,
        };
        let retry_after = match refusal {
            Refusal::Throttled | Refusal::Transient => retry_after,
            _ => None,
        };
        Attempt::Failed {
            error: GraphError::Service(Box::new(error)),
            retry_after,
            retryable,
        }
    }

    /// The error for a request whose answer never (fully) arrived.
    fn lost(
        &self,
        call: &Call,
        message: String,
        request_id: Option<String>,
        client_request_id: String,
        not_sent: bool,
    ) -> GraphError {
        if call.class() == Class::Write && !not_sent {
            GraphError::OutcomeUnknown {
                operation: call.operation,
                message,
                request_id,
                client_request_id,
            }
        } else {
            GraphError::Unreachable {
                operation: call.operation,
                message,
                client_request_id,
            }
        }
    }
}

fn log_attempt(
    operation: &'static str,
    client_request_id: &str,
    request_id: Option<&str>,
    status: Option<StatusCode>,
    started: Instant,
    attempt: usize,
    outcome: &'static str,
) {
    let elapsed_ms = started.elapsed().as_millis() as u64;
    let status = status.map(|s| s.as_u16());
    if outcome == "ok" {
        tracing::info!(
            operation,
            client_request_id,
            request_id,
            status,
            elapsed_ms,
            attempt,
            outcome,
            "graph"
        );
    } else {
        tracing::warn!(
            operation,
            client_request_id,
            request_id,
            status,
            elapsed_ms,
            attempt,
            outcome,
            "graph"
        );
    }
}

/// A response header as text, when it is there and readable.
pub(crate) fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// An id as one path segment: `/`, `?`, `#` and `%` encoded, `@` kept (Graph's webinar ids are
/// `{guid}@{tenant}` and are used raw in the documented paths).
fn segment(id: &str) -> String {
    use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
    const SEGMENT: &AsciiSet = &CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'%')
        .add(b'/')
        .add(b'?')
        .add(b'<')
        .add(b'>')
        .add(b'`')
        .add(b'{')
        .add(b'}');
    utf8_percent_encode(id, SEGMENT).to_string()
}

/// A string inside an OData key literal: quotes doubled, then made path-safe.
fn odata_literal(value: &str) -> String {
    segment(&value.replace('\'', "''"))
}

fn registrations_operation(endpoint: Endpoint) -> &'static str {
    match endpoint {
        Endpoint::V1 => "webinars.registrations.list",
        Endpoint::Beta => "webinars.registrations.list(beta)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_literals_stay_in_their_segment() {
        assert_eq!(segment("a57082a9@4aa05bcc"), "a57082a9@4aa05bcc");
        assert_eq!(segment("a/b?c#d%e"), "a%2Fb%3Fc%23d%25e");
        assert_eq!(odata_literal("o'neil@contoso.com"), "o''neil@contoso.com");
    }
}
