//! The simulated Microsoft Graph (v1.0 and beta paths) for virtual-event webinars.
//!
//! Every answer carries `request-id` and echoes `client-request-id`; errors use Graph's body
//! (`error.code`, `error.message`, `error.innerError` with date and both ids). Collections page
//! with `@odata.nextLink` (`$skiptoken`), at the simulator's page size or a smaller `$top`.
//! The plain webinar collection answers an empty list to delegated tokens, as documented.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use serde_json::{Value, json};

use crate::Sim;
use crate::directory::{COMPANION_CLIENT_ID, TENANT_ID};

pub fn router(sim: Arc<Sim>) -> Router {
    Router::new().fallback(handle).with_state(sim)
}

/// Per-request correlation ids.
struct Ctx {
    request_id: String,
    client_request_id: String,
}

impl Ctx {
    fn headers(&self, response: &mut Response) {
        let h = response.headers_mut();
        h.insert(
            "request-id",
            HeaderValue::from_str(&self.request_id).expect("uuid"),
        );
        if let Ok(v) = HeaderValue::from_str(&self.client_request_id) {
            h.insert("client-request-id", v);
        }
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }

    fn json(&self, status: StatusCode, body: Value) -> Response {
        let mut r = (status, body.to_string()).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"),
        );
        self.headers(&mut r);
        r
    }

    fn error(&self, status: StatusCode, code: &str, message: &str) -> Response {
        self.json(
            status,
            json!({
                "error": {
                    "code": code,
                    "message": message,
                    "innerError": {
                        "date": Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string(),
                        "request-id": self.request_id,
                        "client-request-id": self.client_request_id,
                    }
                }
            }),
        )
    }
}

async fn handle(
    State(sim): State<Arc<Sim>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let ctx = Ctx {
        request_id: uuid::Uuid::new_v4().to_string(),
        client_request_id: headers
            .get("client-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
    };
    let path = percent_decode(uri.path());
    let (version, rest) = match path
        .strip_prefix("/v1.0/")
        .map(|r| ("v1.0", r))
        .or_else(|| path.strip_prefix("/beta/").map(|r| ("beta", r)))
    {
        Some(x) => x,
        None => {
            return ctx.error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "Invalid version: the path must start with /v1.0 or /beta.",
            );
        }
    };
    let user = match authenticate(&sim, &headers) {
        Ok(user) => user,
        Err(message) => {
            return ctx.error(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                &message,
            );
        }
    };
    if let Some(fault) = sim.take_graph_fault(&method, rest) {
        let mut r = ctx.error(
            StatusCode::from_u16(fault.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            &fault.code,
            &fault.message,
        );
        if let Some(secs) = fault.retry_after_secs {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        return r;
    }
    let query: HashMap<String, String> = uri
        .query()
        .map(|q| serde_urlencoded::from_str(q).unwrap_or_default())
        .unwrap_or_default();
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let base = format!("{}/{version}", sim.graph_url());
    let context = |what: &str| format!("https://graph.microsoft.com/{version}/$metadata#{what}");
    match (&method, segments.as_slice()) {
        (&Method::GET, ["solutions", "virtualEvents", "webinars"]) => {
            // Application-only listing: a delegated caller sees nothing (documented behaviour).
            ctx.json(
                StatusCode::OK,
                json!({"@odata.context": context("solutions/virtualEvents/webinars"), "value": []}),
            )
        }
        (&Method::GET, ["solutions", "virtualEvents", "webinars", function])
            if function.starts_with("getByUserRole(") =>
        {
            let Some(role) = function
                .strip_prefix("getByUserRole(role='")
                .and_then(|r| r.strip_suffix("')"))
            else {
                return ctx.error(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    "getByUserRole expects role='organizer' or role='coOrganizer'.",
                );
            };
            if !matches!(role, "organizer" | "coOrganizer") {
                return ctx.error(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    &format!("'{role}' is not a valid role; use organizer or coOrganizer."),
                );
            }
            let all: Vec<Value> = sim.with_webinars(|ws| {
                let mut mine: Vec<_> = ws.iter().filter(|w| w.has_role(&user, role)).collect();
                mine.sort_by(|a, b| a.start.cmp(&b.start).then(a.id.cmp(&b.id)));
                mine.iter()
                    .map(|w| w.to_json(&user, COMPANION_CLIENT_ID))
                    .collect()
            });
            let link_base =
                format!("{base}/solutions/virtualEvents/webinars/getByUserRole(role='{role}')");
            page(
                &sim,
                &ctx,
                all,
                &query,
                &link_base,
                &context("Collection(microsoft.graph.virtualEventWebinar)"),
            )
        }
        (&Method::GET, ["solutions", "virtualEvents", "webinars", id]) => {
            match sim.with_webinars(|ws| {
                ws.iter()
                    .find(|w| w.id == *id)
                    .map(|w| w.to_json(&user, COMPANION_CLIENT_ID))
            }) {
                Some(mut body) => {
                    body["@odata.context"] =
                        Value::String(context("solutions/virtualEvents/webinars/$entity"));
                    ctx.json(StatusCode::OK, body)
                }
                None => ctx.error(
                    StatusCode::NOT_FOUND,
                    "NotFound",
                    &format!("Webinar '{id}' was not found."),
                ),
            }
        }
        (&Method::GET, ["solutions", "virtualEvents", "webinars", id, "sessions"]) => {
            match sim.with_webinars(|ws| ws.iter().find(|w| w.id == *id).map(|w| w.session_json()))
            {
                Some(session) => {
                    let link_base =
                        format!("{base}/solutions/virtualEvents/webinars/{id}/sessions");
                    page(
                        &sim,
                        &ctx,
                        vec![session],
                        &query,
                        &link_base,
                        &context("solutions/virtualEvents/webinars('id')/sessions"),
                    )
                }
                None => ctx.error(
                    StatusCode::NOT_FOUND,
                    "NotFound",
                    &format!("Webinar '{id}' was not found."),
                ),
            }
        }
        (_, ["solutions", "virtualEvents", "webinars", ..]) => ctx.error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            &format!("The {method} method is not supported on this resource."),
        ),
        _ => ctx.error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            &format!(
                "Resource not found for the segment '{}'.",
                segments.first().unwrap_or(&"")
            ),
        ),
    }
}

/// Serves one page of `items`, with a `@odata.nextLink` when more remain.
fn page(
    sim: &Sim,
    ctx: &Ctx,
    items: Vec<Value>,
    query: &HashMap<String, String>,
    link_base: &str,
    context: &str,
) -> Response {
    let offset = match query.get("$skiptoken") {
        None => 0,
        Some(token) => match decode_skiptoken(token) {
            Some(o) => o,
            None => {
                return ctx.error(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    "The $skiptoken is not valid.",
                );
            }
        },
    };
    let mut size = sim.page_size();
    if let Some(top) = query.get("$top") {
        match top.parse::<usize>() {
            Ok(t) if t > 0 => size = size.min(t),
            _ => {
                return ctx.error(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    "$top must be a positive number.",
                );
            }
        }
    }
    let end = (offset + size).min(items.len());
    let value: Vec<Value> = items
        .get(offset..end)
        .map(<[Value]>::to_vec)
        .unwrap_or_default();
    let mut body = json!({"@odata.context": context, "value": value});
    if end < items.len() {
        // Graph carries the caller's $top into the next link.
        let top = query
            .get("$top")
            .map(|t| format!("&$top={t}"))
            .unwrap_or_default();
        body["@odata.nextLink"] = Value::String(format!(
            "{link_base}?$skiptoken={}{top}",
            encode_skiptoken(end)
        ));
    }
    ctx.json(StatusCode::OK, body)
}

fn encode_skiptoken(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("{TENANT_ID}:{offset}"))
}

fn decode_skiptoken(token: &str) -> Option<usize> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(token).ok()?).ok()?;
    raw.strip_prefix(&format!("{TENANT_ID}:"))?.parse().ok()
}

fn authenticate(sim: &Sim, headers: &HeaderMap) -> Result<String, String> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or("Access token is empty.")?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[
        "https://graph.microsoft.com",
        crate::directory::GRAPH_APP_ID,
    ]);
    validation.set_issuer(&[format!("https://sts.windows.net/{TENANT_ID}/")]);
    validation.leeway = 0;
    let data = jsonwebtoken::decode::<Value>(token, &sim.key.decoding_key(), &validation).map_err(
        |e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                "Lifetime validation failed, the token is expired.".to_string()
            }
            jsonwebtoken::errors::ErrorKind::InvalidAudience => "Invalid audience.".to_string(),
            _ => "Access token validation failure. Invalid audience or signature.".to_string(),
        },
    )?;
    data.claims
        .get("oid")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| "The token has no user.".to_string())
}

fn percent_decode(path: &str) -> String {
    percent_encoding::percent_decode_str(path)
        .decode_utf8_lossy()
        .into_owned()
}
