//! Who is signed in: the account identity taken from the ID token Entra returned with the
//! tokens. It keys the keychain entry and the per-account database.
//!
//! Invariant: an [`Account`] holds no secret; it is safe to log, store and show.

use base64::Engine;
use serde::{Deserialize, Serialize};

/// A signed-in work account, identified the way Entra does: tenant id plus object id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub tenant_id: String,
    pub object_id: String,
    pub username: String,
    pub display_name: String,
}

impl Account {
    /// Stable key for files and keychain entries; only characters safe in a file name.
    pub fn key(&self) -> String {
        let clean = |s: &str| -> String {
            s.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect()
        };
        format!("{}.{}", clean(&self.tenant_id), clean(&self.object_id))
    }

    /// Reads the account from an ID token's claims. The token came straight from the token
    /// endpoint over TLS, which OpenID Connect Core §3.1.3.7 accepts in place of a signature
    /// check; we still require the claims that identify the user.
    pub fn from_id_token(id_token: &str) -> Result<Self, String> {
        let payload = id_token
            .split('.')
            .nth(1)
            .ok_or_else(|| "the ID token is not a JWT".to_string())?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .map_err(|e| format!("the ID token payload is not base64url: {e}"))?;
        #[derive(Deserialize)]
        struct Claims {
            tid: Option<String>,
            oid: Option<String>,
            preferred_username: Option<String>,
            name: Option<String>,
        }
        let claims: Claims = serde_json::from_slice(&bytes)
            .map_err(|e| format!("the ID token payload is not JSON: {e}"))?;
        let tenant_id = claims.tid.ok_or("the ID token has no tenant id (tid)")?;
        let object_id = claims.oid.ok_or("the ID token has no object id (oid)")?;
        let username = claims.preferred_username.unwrap_or_default();
        let display_name = claims.name.unwrap_or_else(|| username.clone());
        Ok(Self {
            tenant_id,
            object_id,
            username,
            display_name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: serde_json::Value) -> String {
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.sig",
            e.encode(b"{\"alg\":\"RS256\"}"),
            e.encode(payload.to_string())
        )
    }

    #[test]
    fn account_comes_from_id_token_claims() {
        let token = jwt(serde_json::json!({
            "tid": "t-1", "oid": "o/2", "preferred_username": "megan@contoso.com", "name": "Megan"
        }));
        let account = Account::from_id_token(&token).unwrap();
        assert_eq!(account.display_name, "Megan");
        assert_eq!(account.key(), "t-1.o_2");
    }

    #[test]
    fn missing_identity_claims_are_an_error() {
        let token = jwt(serde_json::json!({"tid": "t"}));
        assert!(Account::from_id_token(&token).unwrap_err().contains("oid"));
        assert!(Account::from_id_token("garbage").is_err());
    }
}
