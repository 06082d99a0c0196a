//! Access-token validation as Entra's documentation prescribes for a web API: RS256 signature
//! via JWKS by `kid`, issuer, tenant, audience, lifetime with small skew, the delegated scope,
//! the calling app, and no app-only tokens.

use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;

use crate::Rejection;
use crate::config::CompanionConfig;
use crate::jwks::KeyCache;

/// Who is calling, as the validated token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub tenant_id: String,
    pub object_id: String,
    pub client_app: String,
    pub scopes: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Claims {
    tid: Option<String>,
    oid: Option<String>,
    scp: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
    azp: Option<String>,
    appid: Option<String>,
    idtyp: Option<String>,
}

pub(crate) async fn validate(
    config: &CompanionConfig,
    keys: &KeyCache,
    http: &reqwest::Client,
    token: &str,
) -> Result<Caller, Rejection> {
    let header = decode_header(token)
        .map_err(|e| Rejection::invalid_token(format!("the token is not a JWT ({e})")))?;
    if header.alg != Algorithm::RS256 {
        return Err(Rejection::invalid_token(format!(
            "the token is signed with {:?}; only RS256 is accepted",
            header.alg
        )));
    }
    let kid = header
        .kid
        .ok_or_else(|| Rejection::invalid_token("the token names no signing key (kid)"))?;
    let jwk = keys.key(http, &kid).await?;
    let key = DecodingKey::from_jwk(&jwk)
        .map_err(|e| Rejection::invalid_token(format!("the signing key is unusable ({e})")))?;

    let mut validation = Validation::new(Algorithm::RS256);
    validation.leeway = config.clock_skew_secs;
    validation.validate_nbf = true;
    validation.set_audience(&config.audiences);
    validation.set_issuer(&[config.issuer()]);
    validation.set_required_spec_claims(&["exp", "iss", "aud"]);
    let data = decode::<Claims>(token, &key, &validation).map_err(|e| {
        use jsonwebtoken::errors::ErrorKind as K;
        Rejection::invalid_token(match e.kind() {
            K::ExpiredSignature => "the token has expired; the app must renew it".to_string(),
            K::ImmatureSignature => {
                "the token is not valid yet; check this computer's clock".to_string()
            }
            K::InvalidAudience => {
                "the token was issued for another API (wrong audience)".to_string()
            }
            K::InvalidIssuer => {
                "the token was issued by another tenant or authority (wrong issuer)".to_string()
            }
            K::InvalidSignature => "the token's signature does not verify".to_string(),
            other => format!("the token is invalid ({other:?})"),
        })
    })?;
    let claims = data.claims;

    if claims.idtyp.as_deref() == Some("app") || (claims.scp.is_none() && !claims.roles.is_empty())
    {
        return Err(Rejection::forbidden(
            "app_only_token",
            "App-only tokens are not accepted: the companion acts only on behalf of a signed-in user.",
        ));
    }
    let tenant_id = claims
        .tid
        .ok_or_else(|| Rejection::invalid_token("the token has no tenant id (tid)"))?;
    if tenant_id != config.tenant_id {
        return Err(Rejection::forbidden(
            "wrong_tenant",
            format!(
                "This companion serves tenant {}, not {tenant_id}.",
                config.tenant_id
            ),
        ));
    }
    let scopes: Vec<String> = claims
        .scp
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    if !scopes.iter().any(|s| s == &config.required_scope) {
        return Err(Rejection::forbidden(
            "missing_scope",
            format!(
                "The token lacks the '{}' scope. Sign in again so Webinar Desk can ask for it.",
                config.required_scope
            ),
        ));
    }
    let client_app = claims.azp.or(claims.appid).unwrap_or_default();
    if !config.allowed_client_apps.iter().any(|a| a == &client_app) {
        return Err(Rejection::forbidden(
            "client_not_allowed",
            format!(
                "The app {client_app} is not allowed to use this companion. Add it to allowed_client_apps."
            ),
        ));
    }
    let object_id = claims
        .oid
        .ok_or_else(|| Rejection::invalid_token("the token has no user object id (oid)"))?;
    Ok(Caller {
        tenant_id,
        object_id,
        client_app,
        scopes,
    })
}
