//! How a Graph call fails, as the rest of the app reacts to it.
//!
//! Invariants: every variant that reached the network carries our `client-request-id`; every
//! answer from Graph keeps its `request-id`, status and code chain; messages never contain a
//! token or a request body. Classification branches on status and `error.code`, never on the
//! message text (Microsoft says messages may change).

use crate::auth::AuthError;

/// How Graph refused a request, as the app reacts to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// 401 after a renewed token: only a new sign-in helps.
    Unauthorized,
    /// 403: a missing permission, consent, role or licence.
    Forbidden,
    /// 403/400 naming a Teams Premium (or other licence) requirement; retrying cannot help.
    Licensing,
    NotFound,
    /// 429: Graph asked us to slow down.
    Throttled,
    /// 5xx: temporary.
    Transient,
    /// 400/405/409/412/422: the request itself was not acceptable.
    Invalid,
    Other,
}

/// Graph answered with an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    pub operation: &'static str,
    pub status: u16,
    /// `error.code`, then each nested `innerError.code`, outermost first.
    pub codes: Vec<String>,
    pub message: String,
    pub request_id: Option<String>,
    pub client_request_id: String,
    pub retry_after_secs: Option<u64>,
}

/// Codes the simulated tenant (and, we assume, Teams) uses for licence refusals. The real code
/// is UNCONFIRMED (graph-api.md §2.2); these are matched anywhere in the code chain.
const LICENSING_CODES: &[&str] = &[
    "TeamsPremiumLicenseRequired",
    "LicenseRequired",
    "licenseNotFound",
    "MissingLicense",
];

impl ServiceError {
    pub fn refusal(&self) -> Refusal {
        let licensing = self
            .codes
            .iter()
            .any(|c| LICENSING_CODES.iter().any(|l| l.eq_ignore_ascii_case(c)));
        match self.status {
            401 => Refusal::Unauthorized,
            400 | 403 if licensing => Refusal::Licensing,
            403 => Refusal::Forbidden,
            404 => Refusal::NotFound,
            429 => Refusal::Throttled,
            500 | 502 | 503 | 504 => Refusal::Transient,
            400 | 405 | 409 | 412 | 422 => Refusal::Invalid,
            _ => Refusal::Other,
        }
    }

    /// Whether repeating the same request later could succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self.refusal(), Refusal::Throttled | Refusal::Transient)
    }

    fn advice(&self) -> &'static str {
        match self.refusal() {
            Refusal::Unauthorized => "Sign in again.",
            Refusal::Forbidden => {
                "Your account or the app lacks a permission for this; the Diagnostics page shows which."
            }
            Refusal::Licensing => {
                "This needs a Teams Premium licence for the organizer; ask your IT department, or leave the Premium-only setting off."
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
    /// A change was sent but no answer came back: Teams may or may not have applied it. The
    /// caller must re-read the state before trying again (never repeat the write blindly).
    #[error(
        "Sent {operation} to Microsoft Graph but the answer was lost ({message}); it may or may not have taken effect. Webinar Desk checks Teams before trying again."
    )]
    OutcomeUnknown {
        operation: &'static str,
        message: String,
        request_id: Option<String>,
        client_request_id: String,
    },
    #[error("Microsoft Graph refused {} (HTTP {}{}): {} {}", .0.operation, .0.status, codes(&.0.codes), .0.message, .0.advice())]
    Service(Box<ServiceError>),
    /// Both v1.0 and beta refused to list registrations to this (delegated) account.
    #[error(
        "Teams did not let your account list this webinar's registrations (v1.0: HTTP {} {}; beta: HTTP {} {}). Listing them needs the companion's application permission (VirtualEvent.Read.All); ask your IT department to grant it. Request id {}.",
        .v1.status, .v1.codes.join(" › "), .beta.status, .beta.codes.join(" › "), .beta.request_id.as_deref().unwrap_or("none")
    )]
    RegistrationsRefused {
        v1: Box<ServiceError>,
        beta: Box<ServiceError>,
    },
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
            | GraphError::OutcomeUnknown {
                client_request_id, ..
            }
            | GraphError::Malformed {
                client_request_id, ..
            } => Some(client_request_id),
            GraphError::Service(e) => Some(&e.client_request_id),
            GraphError::RegistrationsRefused { beta, .. } => Some(&beta.client_request_id),
            _ => None,
        }
    }

    pub fn request_id(&self) -> Option<&str> {
        match self {
            GraphError::Service(e) => e.request_id.as_deref(),
            GraphError::RegistrationsRefused { beta, .. } => beta.request_id.as_deref(),
            GraphError::Malformed { request_id, .. }
            | GraphError::OutcomeUnknown { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// The refusal class when Graph answered with an error status.
    pub fn refusal(&self) -> Option<Refusal> {
        match self {
            GraphError::Service(e) => Some(e.refusal()),
            _ => None,
        }
    }

    /// The HTTP status when Graph answered with an error.
    pub fn status(&self) -> Option<u16> {
        match self {
            GraphError::Service(e) => Some(e.status),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(status: u16, codes: &[&str]) -> ServiceError {
        ServiceError {
            operation: "op",
            status,
            codes: codes.iter().map(|c| c.to_string()).collect(),
            message: "m".into(),
            request_id: None,
            client_request_id: "c".into(),
            retry_after_secs: None,
        }
    }

    #[test]
    fn statuses_and_codes_classify() {
        let cases: &[(u16, &[&str], Refusal, bool)] = &[
            (
                401,
                &["InvalidAuthenticationToken"],
                Refusal::Unauthorized,
                false,
            ),
            (403, &["Forbidden"], Refusal::Forbidden, false),
            (
                403,
                &["Forbidden", "TeamsPremiumLicenseRequired"],
                Refusal::Licensing,
                false,
            ),
            (
                400,
                &["BadRequest", "teamspremiumlicenserequired"],
                Refusal::Licensing,
                false,
            ),
            (404, &["NotFound"], Refusal::NotFound, false),
            (429, &["TooManyRequests"], Refusal::Throttled, true),
            (503, &[], Refusal::Transient, true),
            (504, &[], Refusal::Transient, true),
            (500, &["InternalServerError"], Refusal::Transient, true),
            (400, &["BadRequest"], Refusal::Invalid, false),
            (405, &["MethodNotAllowed"], Refusal::Invalid, false),
            (402, &[], Refusal::Other, false),
        ];
        for (status, codes, refusal, retryable) in cases {
            let e = refused(*status, codes);
            assert_eq!(e.refusal(), *refusal, "{status} {codes:?}");
            assert_eq!(e.is_retryable(), *retryable, "{status} {codes:?}");
        }
    }

    #[test]
    fn the_message_names_status_codes_and_advice() {
        let e = GraphError::Service(Box::new(refused(
            403,
            &["Forbidden", "TeamsPremiumLicenseRequired"],
        )));
        let text = e.to_string();
        assert!(
            text.contains("HTTP 403")
                && text.contains("Forbidden › TeamsPremiumLicenseRequired")
                && text.contains("Teams Premium licence"),
            "{text}"
        );
    }
}
