//! The simulated Entra ID (v2 endpoints): `/authorize` with a page to pick a demo account,
//! `/token` for the authorization-code (PKCE), refresh-token and On-Behalf-Of grants, the JWKS
//! and the OpenID metadata. Errors use Entra's JSON shape and AADSTS codes.
//!
//! Assumptions where Entra's behaviour is not documented are listed in the crate README; the
//! notable ones: PKCE with S256 is required; `prompt=none` with a `login_hint` naming a demo
//! account signs that account in without a page (it stands for an existing browser session);
//! refresh tokens are signed JWTs (opaque to clients, as Entra's are), so they survive a restart
//! when the signing key is kept.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::directory::{
    self, COMPANION_CLIENT_ID, DESKTOP_CLIENT_ID, DemoAccount, GRAPH_APP_ID, TENANT_DOMAIN,
    TENANT_ID,
};
use crate::{PendingAuthorization, Sim};

pub fn router(sim: Arc<Sim>) -> Router {
    Router::new()
        .route("/{tenant}/oauth2/v2.0/authorize", get(authorize))
        .route("/{tenant}/oauth2/v2.0/authorize/approve", post(approve))
        .route("/{tenant}/oauth2/v2.0/token", post(token))
        .route("/{tenant}/discovery/v2.0/keys", get(keys))
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(openid_configuration),
        )
        .with_state(sim)
}

fn tenant_ok(tenant: &str) -> bool {
    tenant == TENANT_ID || tenant.eq_ignore_ascii_case(TENANT_DOMAIN) || tenant == "organizations"
}

/// Entra's token-endpoint error JSON.
pub(crate) fn entra_error(
    sim: &Sim,
    status: StatusCode,
    error: &str,
    code: u64,
    text: &str,
) -> Response {
    let body = entra_error_body(sim, error, code, text);
    (status, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

fn entra_error_body(sim: &Sim, error: &str, code: u64, text: &str) -> Value {
    let trace = uuid::Uuid::new_v4();
    let correlation = uuid::Uuid::new_v4();
    let timestamp = Utc::now().format("%Y-%m-%d %H:%M:%SZ");
    let body = json!({
        "error": error,
        "error_description": format!("AADSTS{code}: {text}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {timestamp}"),
        "error_codes": [code],
        "timestamp": timestamp.to_string(),
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": format!("{}/error?code={code}", sim.login_url()),
    });
    body
}

fn error_page(status: StatusCode, title: &str, text: &str) -> Response {
    (
        status,
        Html(page(
            title,
            &format!("<p role=\"alert\">{}</p>", escape(text)),
        )),
    )
        .into_response()
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} – Contoso (demo tenant)</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#1f2328}}\
         button{{display:block;width:100%;text-align:left;padding:.8rem 1rem;margin:.5rem 0;border:1px solid #c8ccd1;border-radius:8px;background:#fff;font:inherit;cursor:pointer}}\
         button:hover,button:focus{{border-color:#4f46e5;outline:2px solid #4f46e5}}small{{color:#57606a}}.banner{{background:#eef2ff;padding:.6rem 1rem;border-radius:8px}}</style></head>\
         <body><p class=\"banner\">Simulated Microsoft 365 tenant for Webinar Desk — no real account is used.</p><h1>{title}</h1>{body}</body></html>"
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn redirect_with(redirect_uri: &str, params: &[(&str, &str)]) -> Response {
    let mut url = url::Url::parse(redirect_uri).expect("validated redirect URI");
    url.query_pairs_mut().extend_pairs(params);
    // Entra answers 302 Found.
    (StatusCode::FOUND, [(header::LOCATION, url.to_string())]).into_response()
}

/// Loopback redirect URIs of the desktop app: `http://localhost[:port]/…` or `http://127.0.0.1…`
/// (Entra ignores the port for these).
fn redirect_uri_ok(uri: &str) -> bool {
    url::Url::parse(uri).is_ok_and(|u| {
        u.scheme() == "http" && matches!(u.host_str(), Some("localhost") | Some("127.0.0.1"))
    })
}

async fn authorize(
    State(sim): State<Arc<Sim>>,
    Path(tenant): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if !tenant_ok(&tenant) {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Sign-in failed",
            &format!("AADSTS90002: Tenant '{tenant}' not found."),
        );
    }
    let client_id = q.get("client_id").map(String::as_str).unwrap_or_default();
    if client_id != DESKTOP_CLIENT_ID {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Sign-in failed",
            &format!(
                "AADSTS700016: Application with identifier '{client_id}' was not found in the directory."
            ),
        );
    }
    let redirect_uri = q.get("redirect_uri").cloned().unwrap_or_default();
    if !redirect_uri_ok(&redirect_uri) {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Sign-in failed",
            &format!(
                "AADSTS50011: The redirect URI '{redirect_uri}' does not match the redirect URIs configured for the application."
            ),
        );
    }
    let state = q.get("state").cloned().unwrap_or_default();
    let fail = |error: &str, description: &str| {
        redirect_with(
            &redirect_uri,
            &[
                ("error", error),
                ("error_description", description),
                ("state", &state),
            ],
        )
    };
    if q.get("response_type").map(String::as_str) != Some("code") {
        return fail(
            "unsupported_response_type",
            "AADSTS700054: response_type 'code' is required.",
        );
    }
    let challenge = q.get("code_challenge").cloned().unwrap_or_default();
    if challenge.is_empty() || q.get("code_challenge_method").map(String::as_str) != Some("S256") {
        return fail(
            "invalid_request",
            "AADSTS9002325: Proof Key for Code Exchange (S256) is required.",
        );
    }
    let scopes: Vec<String> = q
        .get("scope")
        .map(|s| s.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    if !scopes.iter().any(|s| s == &directory::companion_scope()) {
        return fail(
            "invalid_scope",
            "AADSTS70011: The requested scope must include the companion API's access_as_user scope.",
        );
    }
    let pending = PendingAuthorization {
        redirect_uri: redirect_uri.clone(),
        state: state.clone(),
        code_challenge: challenge,
        scopes,
        nonce: q.get("nonce").cloned(),
    };
    let hint = q.get("login_hint").and_then(|h| directory::account(h));
    if q.get("prompt").map(String::as_str) == Some("none") {
        return match hint {
            Some(account) => issue_code(&sim, pending, account),
            None => fail(
                "login_required",
                "AADSTS50058: A silent sign-in request was sent but no user is signed in.",
            ),
        };
    }
    let request_id = sim.store_pending(pending);
    let mut buttons = String::new();
    for a in directory::ACCOUNTS {
        let preselected = if hint.is_some_and(|h| h.handle == a.handle) {
            " autofocus"
        } else {
            ""
        };
        buttons.push_str(&format!(
            "<form method=\"post\" action=\"authorize/approve\"><input type=\"hidden\" name=\"request\" value=\"{request_id}\">\
             <input type=\"hidden\" name=\"account\" value=\"{handle}\"><button type=\"submit\" id=\"account-{handle}\" aria-label=\"Sign in as {name}\"{preselected}>\
             <strong>{name}</strong><br><small>{user} · {job}</small></button></form>",
            handle = a.handle, name = escape(a.display_name), user = escape(a.username), job = escape(a.job)
        ));
    }
    buttons.push_str(&format!(
        "<form method=\"post\" action=\"authorize/approve\"><input type=\"hidden\" name=\"request\" value=\"{request_id}\">\
         <input type=\"hidden\" name=\"account\" value=\"\"><button type=\"submit\" id=\"cancel\">Cancel — don't sign in</button></form>"
    ));
    Html(page(
        "Pick an account",
        &format!("<p>Webinar Desk wants to sign you in and act on your webinars.</p>{buttons}"),
    ))
    .into_response()
}

async fn approve(
    State(sim): State<Arc<Sim>>,
    Path(_tenant): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let Some(pending) = form.get("request").and_then(|r| sim.take_pending(r)) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Sign-in expired",
            "This sign-in page is no longer valid. Start sign-in again from Webinar Desk.",
        );
    };
    match form.get("account").and_then(|a| directory::account(a)) {
        Some(account) => issue_code(&sim, pending, account),
        None => redirect_with(
            &pending.redirect_uri,
            &[
                ("error", "access_denied"),
                (
                    "error_description",
                    "AADSTS65004: User declined to consent to access the app.",
                ),
                ("state", &pending.state),
            ],
        ),
    }
}

fn issue_code(sim: &Sim, pending: PendingAuthorization, account: &'static DemoAccount) -> Response {
    let redirect_uri = pending.redirect_uri.clone();
    let state = pending.state.clone();
    let code = sim.store_code(pending, account);
    redirect_with(
        &redirect_uri,
        &[
            ("code", &code),
            ("state", &state),
            ("session_state", &uuid::Uuid::new_v4().to_string()),
        ],
    )
}

async fn token(
    State(sim): State<Arc<Sim>>,
    Path(tenant): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if !tenant_ok(&tenant)
        || tenant == "organizations"
            && form
                .get("grant_type")
                .is_some_and(|g| g.contains("jwt-bearer"))
    {
        return entra_error(
            &sim,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            &format!("Tenant '{tenant}' not found or not allowed for this grant."),
        );
    }
    match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => redeem_code(&sim, &form),
        Some("refresh_token") => redeem_refresh(&sim, &form),
        Some("urn:ietf:params:oauth:grant-type:jwt-bearer") => on_behalf_of(&sim, &form),
        other => entra_error(
            &sim,
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            &format!(
                "The app requested an unsupported grant type '{}'.",
                other.unwrap_or("")
            ),
        ),
    }
}

/// The refusal for a token request that is not from the desktop public client, if any.
fn public_client_refusal(sim: &Sim, form: &HashMap<String, String>) -> Option<Response> {
    if form.get("client_id").map(String::as_str) != Some(DESKTOP_CLIENT_ID) {
        return Some(entra_error(
            sim,
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            "Application was not found in the directory.",
        ));
    }
    if form.contains_key("client_secret") || form.contains_key("client_assertion") {
        return Some(entra_error(
            sim,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700025,
            "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
        ));
    }
    None
}

fn redeem_code(sim: &Sim, form: &HashMap<String, String>) -> Response {
    if let Some(refusal) = public_client_refusal(sim, form) {
        return refusal;
    }
    let code = form.get("code").cloned().unwrap_or_default();
    let issued = match sim.take_code(&code) {
        Ok(issued) => issued,
        Err(crate::CodeProblem::AlreadyRedeemed) => {
            return entra_error(
                sim,
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                54005,
                "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
            );
        }
        Err(crate::CodeProblem::Expired) => {
            return entra_error(
                sim,
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                70008,
                "The provided authorization code or refresh token has expired due to inactivity.",
            );
        }
        Err(crate::CodeProblem::Unknown) => {
            return entra_error(
                sim,
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                9002313,
                "Invalid request. Request is malformed or invalid (unknown authorization code).",
            );
        }
    };
    if form.get("redirect_uri") != Some(&issued.pending.redirect_uri) {
        return entra_error(
            sim,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            500112,
            "The reply address does not match the reply address provided when requesting the authorization code.",
        );
    }
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    if verifier.len() < 43 || verifier.len() > 128 || computed != issued.pending.code_challenge {
        return entra_error(
            sim,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            501481,
            "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
        );
    }
    let account = issued.account;
    let scopes = issued.pending.scopes.clone();
    token_response(sim, account, &scopes, issued.pending.nonce.as_deref())
}

fn redeem_refresh(sim: &Sim, form: &HashMap<String, String>) -> Response {
    if let Some(refusal) = public_client_refusal(sim, form) {
        return refusal;
    }
    let raw = form.get("refresh_token").cloned().unwrap_or_default();
    let claims = match sim.verify_refresh_token(&raw) {
        Ok(c) => c,
        Err(crate::RefreshProblem::Expired) => {
            return entra_error(
                sim,
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                700082,
                "The refresh token has expired due to inactivity.",
            );
        }
        Err(crate::RefreshProblem::Revoked) => {
            return entra_error(
                sim,
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                50173,
                "The provided grant has expired due to it being revoked, a fresh auth token is needed.",
            );
        }
        Err(crate::RefreshProblem::Invalid) => {
            return entra_error(
                sim,
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                9002313,
                "Invalid request. Request is malformed or invalid (refresh token).",
            );
        }
    };
    let Some(account) = directory::account(&claims.sub) else {
        return entra_error(
            sim,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            50034,
            "The user account does not exist in the directory.",
        );
    };
    token_response(sim, account, &claims.scopes, None)
}

fn token_response(
    sim: &Sim,
    account: &'static DemoAccount,
    scopes: &[String],
    nonce: Option<&str>,
) -> Response {
    let lifetime = sim.config.token_lifetime_secs;
    let now = Utc::now().timestamp();
    let access = sim.key.sign(&json!({
        "aud": COMPANION_CLIENT_ID,
        "iss": sim.issuer(),
        "iat": now, "nbf": now, "exp": now + lifetime,
        "tid": TENANT_ID, "oid": account.object_id, "sub": format!("sub-{}", account.object_id),
        "name": account.display_name, "preferred_username": account.username,
        "scp": "access_as_user", "azp": DESKTOP_CLIENT_ID, "azpacr": "0", "ver": "2.0",
        "uti": uuid::Uuid::new_v4().simple().to_string(),
    }));
    let mut id_claims = json!({
        "aud": DESKTOP_CLIENT_ID, "iss": sim.issuer(), "iat": now, "nbf": now, "exp": now + 3600,
        "tid": TENANT_ID, "oid": account.object_id, "sub": format!("sub-{}", account.object_id),
        "name": account.display_name, "preferred_username": account.username, "ver": "2.0",
    });
    if let Some(n) = nonce {
        id_claims["nonce"] = Value::String(n.to_string());
    }
    let mut body = json!({
        "token_type": "Bearer",
        "scope": scopes.iter().filter(|s| !matches!(s.as_str(), "openid" | "profile" | "offline_access" | "email")).cloned().collect::<Vec<_>>().join(" "),
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": access,
    });
    if scopes.iter().any(|s| s == "openid") {
        body["id_token"] = Value::String(sim.key.sign(&id_claims));
    }
    if scopes.iter().any(|s| s == "offline_access") {
        body["refresh_token"] = Value::String(sim.mint_refresh_token(account, scopes));
    }
    (
        StatusCode::OK,
        [(header::CACHE_CONTROL, "no-store")],
        Json(body),
    )
        .into_response()
}

fn on_behalf_of(sim: &Sim, form: &HashMap<String, String>) -> Response {
    if form.get("client_id").map(String::as_str) != Some(COMPANION_CLIENT_ID) {
        return entra_error(
            sim,
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            "Application was not found in the directory.",
        );
    }
    if let Some(assertion) = form.get("client_assertion") {
        let typed = form.get("client_assertion_type").map(String::as_str)
            == Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
        if !typed || !sim.client_assertion_ok(assertion) {
            return entra_error(
                sim,
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                700027,
                "Client assertion failed signature validation, or names no certificate registered on the application.",
            );
        }
    } else if form.get("client_secret") != Some(&sim.companion_secret) {
        return entra_error(
            sim,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
        );
    }
    if form.get("requested_token_use").map(String::as_str) != Some("on_behalf_of") {
        return entra_error(
            sim,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'requested_token_use'.",
        );
    }
    let assertion = form.get("assertion").cloned().unwrap_or_default();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[COMPANION_CLIENT_ID]);
    validation.set_issuer(&[sim.issuer()]);
    validation.leeway = 0;
    let claims =
        match jsonwebtoken::decode::<Value>(&assertion, &sim.key.decoding_key(), &validation) {
            Ok(d) => d.claims,
            Err(e) if matches!(e.kind(), jsonwebtoken::errors::ErrorKind::ExpiredSignature) => {
                return entra_error(
                    sim,
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    500133,
                    "Assertion is not within its valid time range.",
                );
            }
            Err(_) => {
                return entra_error(
                    sim,
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    50013,
                    "Assertion failed signature validation or is not for this application.",
                );
            }
        };
    let Some(account) = claims
        .get("oid")
        .and_then(Value::as_str)
        .and_then(directory::account)
    else {
        return entra_error(
            sim,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            50034,
            "The user account does not exist in the directory.",
        );
    };
    let switches = sim.switches();
    if switches.mfa_required {
        let mut body = entra_error_body(
            sim,
            "interaction_required",
            50076,
            "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access the resource.",
        );
        // Entra adds a claims challenge the client must pass back to /authorize.
        body["claims"] = Value::String("{\"access_token\":{\"capolids\":{\"essential\":true,\"values\":[\"demo-mfa-policy\"]}}}".into());
        body["suberror"] = Value::String("basic_action".into());
        return (StatusCode::BAD_REQUEST, Json(body)).into_response();
    }
    if switches.consent_missing {
        return entra_error(
            sim,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            65001,
            "The user or administrator has not consented to use the application. Send an interactive authorization request for this user and resource.",
        );
    }
    let requested: Vec<String> = form
        .get("scope")
        .map(|s| s.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    let graph_scopes: Vec<String> = requested
        .iter()
        .filter_map(|s| {
            s.strip_prefix("https://graph.microsoft.com/")
                .map(str::to_string)
        })
        .filter(|s| s != ".default" && s != "offline_access")
        // A scope nobody consented to is left out of the grant, as Entra does for `.default`.
        .filter(|s| Some(s.as_str()) != switches.withheld_scope)
        .collect();
    if graph_scopes.is_empty() {
        return entra_error(
            sim,
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            70011,
            "The provided value for the input parameter 'scope' is not valid: ask for Microsoft Graph scopes.",
        );
    }
    let lifetime = sim.config.token_lifetime_secs;
    let now = Utc::now().timestamp();
    let graph_token = sim.key.sign(&json!({
        "aud": "https://graph.microsoft.com",
        "iss": format!("https://sts.windows.net/{TENANT_ID}/"),
        "iat": now, "nbf": now, "exp": now + lifetime,
        "tid": TENANT_ID, "oid": account.object_id, "upn": account.username, "name": account.display_name,
        "scp": graph_scopes.join(" "), "appid": COMPANION_CLIENT_ID, "app_displayname": "Webinar Desk Companion",
        "idtyp": "user", "ver": "1.0", "resource_app": GRAPH_APP_ID,
    }));
    let body = json!({
        "token_type": "Bearer",
        "scope": graph_scopes.iter().map(|s| format!("https://graph.microsoft.com/{s}")).collect::<Vec<_>>().join(" "),
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": graph_token,
    });
    (
        StatusCode::OK,
        [(header::CACHE_CONTROL, "no-store")],
        Json(body),
    )
        .into_response()
}

async fn keys(State(sim): State<Arc<Sim>>) -> Json<Value> {
    Json(json!({ "keys": [sim.key.jwk()] }))
}

async fn openid_configuration(
    State(sim): State<Arc<Sim>>,
    Path(tenant): Path<String>,
) -> Json<Value> {
    let base = format!("{}/{tenant}", sim.login_url());
    Json(json!({
        "issuer": sim.issuer(),
        "authorization_endpoint": format!("{base}/oauth2/v2.0/authorize"),
        "token_endpoint": format!("{base}/oauth2/v2.0/token"),
        "jwks_uri": format!("{base}/discovery/v2.0/keys"),
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "tenant_region_scope": "EU",
    }))
}
