//! Signing in and holding tokens.
//!
//! The desktop is a public client: authorization code + PKCE (S256) in the system browser, the
//! redirect caught by a one-shot loopback listener ([`loopback`]), the code redeemed at Entra's
//! token endpoint with the `oauth2` crate. The refresh token goes to the OS keychain
//! ([`keychain`]); access tokens stay in memory in a [`Session`], which also asks the companion
//! for Graph tokens (On-Behalf-Of).
//!
//! Invariants: no client secret exists on this side; every token is wrapped in [`Secret`], whose
//! `Debug`/`Display` never show the value; the HTTP client used for token calls never follows
//! redirects (a redirect there is an attack or a misconfiguration, not something to chase).

pub mod keychain;
pub mod loopback;
mod session;
mod token_endpoint;

use std::fmt;
use std::time::Duration;

pub use keychain::{Keychain, KeychainError, MemoryKeychain, OsKeychain};
pub use session::{GraphGrant, GraphTokens, Session};
pub use token_endpoint::{EntraError, TokenSet, redeem_code, refresh};

use crate::config::TenantConfig;

/// A token or other secret string. Its only way out is [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// What can go wrong signing in, refreshing, or getting a Graph token from the companion.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("Sign-in did not finish within {} minutes. Start it again when you are ready.", .0.as_secs() / 60)]
    TimedOut(Duration),
    #[error("Sign-in was not completed in the browser ({error}{}). Start it again, or ask your IT department if access was denied.", describe(.description))]
    Denied {
        error: String,
        description: Option<String>,
    },
    #[error(
        "The browser came back with an answer that does not belong to this sign-in (state mismatch), so it was rejected. Start sign-in again."
    )]
    StateMismatch,
    #[error("Could not open the system browser ({0}). Open this address yourself to sign in: {1}")]
    Browser(String, String),
    #[error(
        "Could not listen on this computer for the browser's answer: {0}. Check that local firewalls allow 127.0.0.1."
    )]
    Loopback(std::io::Error),
    #[error("Entra ID refused: {0}")]
    Entra(Box<EntraError>),
    #[error("Sign in again: {0}")]
    SignInRequired(String),
    #[error(
        "Could not reach {what} at {url}: {message}. Check your network connection; your cached data stays available."
    )]
    Unreachable {
        what: &'static str,
        url: String,
        message: String,
    },
    #[error(transparent)]
    Keychain(#[from] KeychainError),
    #[error("The companion refused to get a Graph token ({status} {error}): {message}{}", request_ref(.request_id))]
    Companion {
        status: u16,
        error: String,
        message: String,
        request_id: Option<String>,
    },
    #[error("Unexpected answer from {what}: {message}")]
    Protocol { what: &'static str, message: String },
}

fn describe(description: &Option<String>) -> String {
    description
        .as_ref()
        .map(|d| format!(": {d}"))
        .unwrap_or_default()
}

fn request_ref(id: &Option<String>) -> String {
    id.as_ref()
        .map(|id| format!(" (request id {id})"))
        .unwrap_or_default()
}

impl AuthError {
    /// True when only an interactive sign-in can fix this.
    pub fn needs_interactive_sign_in(&self) -> bool {
        match self {
            AuthError::SignInRequired(_) => true,
            AuthError::Entra(e) => e.needs_interaction(),
            AuthError::Companion { error, .. } => {
                matches!(
                    error.as_str(),
                    "interaction_required"
                        | "consent_required"
                        | "invalid_grant"
                        | "login_required"
                )
            }
            _ => false,
        }
    }
    /// True when the service could not be reached at all (offline, DNS, refused).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, AuthError::Unreachable { .. })
    }
}

/// Options for one interactive sign-in.
#[derive(Debug, Clone)]
pub struct SignInOptions {
    /// Pre-fills the account in Entra's page (`login_hint`).
    pub login_hint: Option<String>,
    /// Entra's `prompt` (`select_account`, `login`, `none`, `consent`).
    pub prompt: Option<String>,
    /// A claims challenge from a Conditional Access failure, passed back to `/authorize`.
    pub claims: Option<String>,
    /// How long to wait for the browser before giving up.
    pub timeout: Duration,
}

impl Default for SignInOptions {
    fn default() -> Self {
        Self {
            login_hint: None,
            prompt: Some("select_account".into()),
            claims: None,
            timeout: Duration::from_secs(300),
        }
    }
}

/// Opens a URL in the user's browser; the shell passes Tauri's opener, the CLI `$BROWSER`.
pub type OpenBrowser<'a> = &'a (dyn Fn(&str) -> Result<(), String> + Send + Sync);

/// The whole interactive flow: loopback listener, browser, code redemption.
pub async fn sign_in(
    config: &TenantConfig,
    http: &reqwest::Client,
    options: &SignInOptions,
    open_browser: OpenBrowser<'_>,
) -> Result<TokenSet, AuthError> {
    let listener = loopback::Loopback::bind()
        .await
        .map_err(AuthError::Loopback)?;
    let redirect_uri = listener.redirect_uri();
    let request = token_endpoint::authorization_request(config, &redirect_uri, options);
    tracing::info!(
        port = listener.port(),
        "sign-in started; waiting for the browser"
    );
    open_browser(request.url.as_str())
        .map_err(|e| AuthError::Browser(e, request.url.to_string()))?;
    let code = listener
        .wait(request.state.expose(), options.timeout)
        .await?;
    redeem_code(config, http, &redirect_uri, &code, &request.pkce_verifier).await
}

/// Describes a transport failure without repeating the URL (the caller names it once) and
/// without any request content.
pub(crate) fn transport_message(e: &reqwest::Error) -> String {
    let kind = if e.is_connect() {
        "connection failed"
    } else if e.is_timeout() {
        "timed out"
    } else if e.is_body() || e.is_decode() {
        "the answer was cut off"
    } else {
        "request failed"
    };
    let mut message = kind.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

/// An HTTP client fit for token and Graph calls: no redirects followed, sane timeouts.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
        .user_agent(concat!("WebinarDesk/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the TLS backend is compiled in")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("eyJ-very-secret");
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        let wrapped = Some(s);
        assert!(!format!("{wrapped:?}").contains("very-secret"));
    }
}
