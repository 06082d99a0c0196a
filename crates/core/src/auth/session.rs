//! A signed-in session: the account, the companion-API access token and the Graph token, both in
//! memory only, renewed shortly before they expire.
//!
//! Invariants: the refresh token is read from and written to the keychain only (if the keychain
//! cannot take it, the session keeps it in memory for its own lifetime and says so); a rotated
//! refresh token replaces the old one immediately; concurrent callers share one renewal.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use tokio::sync::Mutex;

use super::{AuthError, Keychain, Secret, TokenSet, refresh, transport_message as without_url};
use crate::account::Account;
use crate::config::TenantConfig;

/// Renew tokens this long before they expire, so a request never leaves with a dying token.
const EARLY_RENEWAL: Duration = Duration::minutes(5);

/// Anything that can hand out Graph access tokens; the Graph client depends only on this.
pub trait GraphTokens: Send + Sync {
    /// A Graph token; `renew` forces a new one (after a 401).
    fn graph_token(
        &self,
        renew: bool,
    ) -> Pin<Box<dyn Future<Output = Result<Secret, AuthError>> + Send + '_>>;
}

#[derive(Debug, Clone)]
struct Cached {
    token: Secret,
    expires_at: DateTime<Utc>,
    /// The delegated scopes granted with it (Graph tokens only; short names).
    scopes: Vec<String>,
}

/// What the companion's last On-Behalf-Of exchange granted (the diagnostics show it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphGrant {
    /// Short scope names (`VirtualEvent.ReadWrite`); empty when the companion did not say.
    pub scopes: Vec<String>,
    pub expires_at: DateTime<Utc>,
}

impl Cached {
    fn fresh(&self, now: DateTime<Utc>) -> bool {
        self.expires_at - EARLY_RENEWAL > now
    }
}

#[derive(Debug)]
pub struct Session {
    config: TenantConfig,
    http: reqwest::Client,
    keychain: Arc<dyn Keychain>,
    account: Account,
    api: Mutex<Option<Cached>>,
    graph: Mutex<Option<Cached>>,
    /// Only when the keychain refused the refresh token: kept for this run, never written.
    unsaved_refresh: Mutex<Option<Secret>>,
    keychain_warning: Option<String>,
}

impl Session {
    /// Builds a session from a fresh interactive sign-in and files the refresh token.
    pub fn from_sign_in(
        config: TenantConfig,
        http: reqwest::Client,
        keychain: Arc<dyn Keychain>,
        tokens: TokenSet,
    ) -> Result<Self, AuthError> {
        let id_token = tokens.id_token.as_ref().ok_or(AuthError::Protocol {
            what: "Entra ID's token endpoint",
            message: "no ID token came back; the 'openid' scope must be granted".into(),
        })?;
        let account =
            Account::from_id_token(id_token.expose()).map_err(|message| AuthError::Protocol {
                what: "Entra ID's ID token",
                message,
            })?;
        let mut unsaved = None;
        let mut keychain_warning = None;
        if let Some(rt) = &tokens.refresh_token
            && let Err(e) = keychain.save(&account.key(), rt)
        {
            tracing::warn!("refresh token not saved: {e}");
            keychain_warning = Some(e.to_string());
            unsaved = Some(rt.clone());
        }
        Ok(Self {
            config,
            http,
            keychain,
            account,
            api: Mutex::new(Some(Cached {
                token: tokens.access_token,
                expires_at: tokens.expires_at,
                scopes: Vec::new(),
            })),
            graph: Mutex::new(None),
            unsaved_refresh: Mutex::new(unsaved),
            keychain_warning,
        })
    }

    /// Signs in silently with the refresh token from the keychain.
    pub async fn resume(
        config: TenantConfig,
        http: reqwest::Client,
        keychain: Arc<dyn Keychain>,
        account: Account,
    ) -> Result<Self, AuthError> {
        let session = Self {
            config,
            http,
            keychain,
            account,
            api: Mutex::new(None),
            graph: Mutex::new(None),
            unsaved_refresh: Mutex::new(None),
            keychain_warning: None,
        };
        session.api_token().await?;
        Ok(session)
    }

    pub fn account(&self) -> &Account {
        &self.account
    }

    pub fn keychain_warning(&self) -> Option<&str> {
        self.keychain_warning.as_deref()
    }

    /// The companion-API access token, renewed with the refresh token when needed.
    pub async fn api_token(&self) -> Result<Secret, AuthError> {
        let mut cached = self.api.lock().await;
        if let Some(c) = cached.as_ref().filter(|c| c.fresh(Utc::now())) {
            return Ok(c.token.clone());
        }
        let key = self.account.key();
        let stored = match self.unsaved_refresh.lock().await.clone() {
            Some(rt) => Some(rt),
            None => self.keychain.load(&key)?,
        };
        let rt = stored.ok_or_else(|| {
            AuthError::SignInRequired("no saved sign-in was found for this account".into())
        })?;
        let tokens = refresh(&self.config, &self.http, &rt)
            .await
            .map_err(|e| match e {
                AuthError::Entra(entra) if entra.needs_interaction() => AuthError::SignInRequired(
                    format!("your saved sign-in is no longer accepted ({entra})"),
                ),
                other => other,
            })?;
        if let Some(rotated) = &tokens.refresh_token
            && self.keychain.save(&key, rotated).is_err()
        {
            *self.unsaved_refresh.lock().await = Some(rotated.clone());
        }
        *cached = Some(Cached {
            token: tokens.access_token.clone(),
            expires_at: tokens.expires_at,
            scopes: Vec::new(),
        });
        Ok(tokens.access_token)
    }

    /// When the companion-API token in memory expires (renewing it first if it is due).
    pub async fn api_token_expiry(&self) -> Result<DateTime<Utc>, AuthError> {
        self.api_token().await?;
        let cached = self.api.lock().await;
        Ok(cached.as_ref().map_or_else(Utc::now, |c| c.expires_at))
    }

    /// A fresh On-Behalf-Of exchange through the companion: proves it works and tells which
    /// Graph scopes were granted. The new token replaces the one in memory.
    pub async fn renew_graph_grant(&self) -> Result<GraphGrant, AuthError> {
        let mut cached = self.graph.lock().await;
        let fresh = self.fetch_graph_token().await?;
        let grant = GraphGrant {
            scopes: fresh.scopes.clone(),
            expires_at: fresh.expires_at,
        };
        *cached = Some(fresh);
        Ok(grant)
    }

    /// Forgets every token: in memory and in the keychain.
    pub async fn sign_out(&self) -> Result<(), AuthError> {
        *self.api.lock().await = None;
        *self.graph.lock().await = None;
        *self.unsaved_refresh.lock().await = None;
        self.keychain.remove(&self.account.key())?;
        Ok(())
    }

    async fn fetch_graph_token(&self) -> Result<Cached, AuthError> {
        let api_token = self.api_token().await?;
        let url = companion_token_url(&self.config);
        let response = self
            .http
            .post(url.clone())
            .bearer_auth(api_token.expose())
            .header("client-request-id", uuid::Uuid::new_v4().to_string())
            .json(&serde_json::json!({}))
            .send()
            .await
            .map_err(|e| AuthError::Unreachable {
                what: "the companion",
                url: url.to_string(),
                message: without_url(&e),
            })?;
        let status = response.status();
        let request_id = response
            .headers()
            .get("request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = response.bytes().await.map_err(|e| AuthError::Unreachable {
            what: "the companion",
            url: url.to_string(),
            message: without_url(&e),
        })?;
        if status.is_success() {
            #[derive(Deserialize)]
            struct Grant {
                access_token: String,
                expires_in: i64,
                #[serde(default)]
                scope: String,
            }
            let grant: Grant = serde_json::from_slice(&body).map_err(|e| AuthError::Protocol {
                what: "the companion",
                message: format!("its answer is not a token grant ({e})"),
            })?;
            return Ok(Cached {
                token: Secret::new(grant.access_token),
                expires_at: Utc::now() + Duration::seconds(grant.expires_in.max(0)),
                scopes: grant
                    .scope
                    .split_whitespace()
                    // `https://graph.microsoft.com/User.Read` → `User.Read`
                    .map(|s| s.rsplit('/').next().unwrap_or(s).to_string())
                    .collect(),
            });
        }
        #[derive(Deserialize, Default)]
        struct Refusal {
            #[serde(default)]
            error: String,
            #[serde(default)]
            message: String,
        }
        let refusal: Refusal = serde_json::from_slice(&body).unwrap_or_default();
        Err(AuthError::Companion {
            status: status.as_u16(),
            error: if refusal.error.is_empty() {
                "unknown".into()
            } else {
                refusal.error
            },
            message: if refusal.message.is_empty() {
                format!("HTTP {status} without an explanation; check the companion's logs")
            } else {
                refusal.message
            },
            request_id,
        })
    }
}

impl GraphTokens for Session {
    fn graph_token(
        &self,
        renew: bool,
    ) -> Pin<Box<dyn Future<Output = Result<Secret, AuthError>> + Send + '_>> {
        Box::pin(async move {
            let mut cached = self.graph.lock().await;
            if !renew && let Some(c) = cached.as_ref().filter(|c| c.fresh(Utc::now())) {
                return Ok(c.token.clone());
            }
            let fresh = self.fetch_graph_token().await?;
            let token = fresh.token.clone();
            *cached = Some(fresh);
            Ok(token)
        })
    }
}

/// The companion's Graph-token endpoint.
pub fn companion_token_url(config: &TenantConfig) -> url::Url {
    let base = config.companion_url.as_str().trim_end_matches('/');
    url::Url::parse(&format!("{base}/v1/graph-token")).expect("valid base URL")
}
