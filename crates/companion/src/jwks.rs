//! The tenant's signing keys (JWKS), cached for a day and fetched again when a token names a
//! key we have not seen (Entra rolls keys), at most once a minute.

use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use tokio::sync::Mutex;
use url::Url;

use crate::Rejection;

const MAX_AGE: Duration = Duration::from_secs(24 * 3600);
const MIN_REFETCH: Duration = Duration::from_secs(60);

#[derive(Debug)]
pub(crate) struct KeyCache {
    url: Url,
    cached: Mutex<Option<(Instant, JwkSet)>>,
}

impl KeyCache {
    pub(crate) fn new(url: Url) -> Self {
        Self {
            url,
            cached: Mutex::new(None),
        }
    }

    /// The key with this `kid`, fetching the set if it is stale or lacks the key.
    pub(crate) async fn key(
        &self,
        http: &reqwest::Client,
        kid: &str,
    ) -> Result<jsonwebtoken::jwk::Jwk, Rejection> {
        let mut cached = self.cached.lock().await;
        if let Some((at, set)) = cached.as_ref() {
            if let Some(k) = set.find(kid) {
                if at.elapsed() < MAX_AGE {
                    return Ok(k.clone());
                }
            } else if at.elapsed() < MIN_REFETCH {
                return Err(Rejection::invalid_token(format!(
                    "the token is signed with an unknown key ({kid})"
                )));
            }
        }
        let set = fetch(http, &self.url).await?;
        let key = set.find(kid).cloned();
        *cached = Some((Instant::now(), set));
        key.ok_or_else(|| {
            Rejection::invalid_token(format!("the token is signed with an unknown key ({kid})"))
        })
    }
}

impl KeyCache {
    /// Ready to check tokens: keys younger than a day are held, else fetched now.
    pub(crate) async fn ready(&self, http: &reqwest::Client) -> Result<usize, Rejection> {
        let mut cached = self.cached.lock().await;
        if let Some((at, set)) = cached.as_ref()
            && at.elapsed() < MAX_AGE
        {
            return Ok(set.keys.len());
        }
        let set = fetch(http, &self.url).await?;
        let count = set.keys.len();
        *cached = Some((Instant::now(), set));
        Ok(count)
    }
}

async fn fetch(http: &reqwest::Client, url: &Url) -> Result<JwkSet, Rejection> {
    let unavailable = |detail: String| Rejection {
        status: 503,
        error: "keys_unavailable",
        message: format!(
            "The companion could not load the tenant's signing keys from {url} ({detail}). Try again shortly."
        ),
        claims: None,
    };
    let response = http
        .get(url.clone())
        .send()
        .await
        .map_err(|e| unavailable(e.to_string()))?;
    if !response.status().is_success() {
        return Err(unavailable(format!("HTTP {}", response.status())));
    }
    response
        .json::<JwkSet>()
        .await
        .map_err(|e| unavailable(e.to_string()))
}
