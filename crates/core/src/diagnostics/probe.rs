//! The diagnostics' IO: each probe asks one question of one service and records what it saw in
//! [`Observed`]; [`Report::from_observed`] judges it.
//!
//! Invariants: probes run in dependency order and a probe whose precondition failed is left
//! `None` (its check says why) rather than sent to fail again; every Graph call goes through
//! the ordinary pipeline (pacing, a fresh client-request-id, logged request ids); probes only
//! read — nothing in Teams or the local copy changes; no token ever enters a [`Failure`].

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{Failure, Health, Observed, Report, SignInState, Versions};
use crate::auth::{AuthError, Session};
use crate::config::{TenantConfig, TenantSettings};
use crate::graph::{GraphClient, GraphError, UserRole, header};

/// How long a probe of a service that may be down waits before calling it unreachable.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// What the desk knows before probing.
#[derive(Debug)]
pub struct Subject {
    pub now: DateTime<Utc>,
    pub demo: bool,
    pub settings: Option<Result<TenantSettings, String>>,
    pub tenant: Option<TenantConfig>,
    pub http: reqwest::Client,
    /// The sign-in state as the desk sees it.
    pub sign_in: SignInState,
    pub session: Option<Arc<Session>>,
    /// A Graph client on the session (when there is one).
    pub graph: Option<GraphClient>,
    pub versions: Versions,
}

/// Runs every probe and judges what they saw.
pub async fn run(subject: Subject) -> Report {
    Report::from_observed(&observe(subject).await)
}

async fn observe(s: Subject) -> Observed {
    let mut o = Observed {
        now: s.now,
        demo: s.demo,
        settings: s.settings,
        tenant: s.tenant.clone(),
        companion: None,
        issuer_time: None,
        sign_in: s.sign_in,
        token_expiry: None,
        grant: None,
        webinars: None,
        registrations: None,
        attendance: None,
        licences: None,
        versions: s.versions,
    };
    let Some(tenant) = s.tenant else {
        return o;
    };
    let (companion, issuer_time) =
        tokio::join!(health(&s.http, &tenant), issuer_time(&s.http, &tenant));
    o.companion = Some(companion);
    o.issuer_time = Some(issuer_time);

    let Some(session) = s.session else {
        return o;
    };
    let expiry = session.api_token_expiry().await.map_err(from_auth);
    let expired = expiry.is_err();
    o.token_expiry = Some(expiry);
    if expired {
        return o;
    }
    let companion_down = matches!(&o.companion, Some(Err(f)) if f.unreachable);
    if companion_down {
        return o;
    }
    let grant = session.renew_graph_grant().await.map_err(from_auth);
    let granted = grant.is_ok();
    o.grant = Some(grant);
    let Some(graph) = s.graph.filter(|_| granted) else {
        return o;
    };

    let (webinars, licences) = tokio::join!(
        graph.webinars_by_role(UserRole::Organizer),
        graph.licence_details()
    );
    o.licences = Some(licences.map_err(from_graph));
    let webinars = match webinars {
        Ok(list) => list,
        Err(e) => {
            o.webinars = Some(Err(from_graph(e)));
            return o;
        }
    };
    o.webinars = Some(Ok(webinars.len()));
    let ended = |w: &&crate::graph::types::VirtualEventWebinar| {
        w.end_date_time
            .as_ref()
            .and_then(|e| {
                crate::time::instant(&e.date_time, e.time_zone.as_deref().unwrap_or("UTC")).ok()
            })
            .is_some_and(|end| end < s.now)
    };
    let registrations = async {
        match webinars.first() {
            Some(w) => Some(graph.registrations_access(&w.id).await.map_err(from_graph)),
            None => None,
        }
    };
    let attendance = async {
        let w = webinars.iter().find(ended)?;
        let sessions = match graph.sessions(&w.id).await {
            Ok(list) => list,
            Err(e) => return Some(Err(from_graph(e))),
        };
        let first = sessions.first()?;
        Some(
            graph
                .attendance_reports(&w.id, &first.id)
                .await
                .map(|reports| reports.len())
                .map_err(from_graph),
        )
    };
    let (registrations, attendance) = tokio::join!(registrations, attendance);
    o.registrations = registrations;
    o.attendance = attendance;
    o
}

/// `GET {companion}/health`.
async fn health(http: &reqwest::Client, tenant: &TenantConfig) -> Result<Health, Failure> {
    let url = format!(
        "{}/health",
        tenant.companion_url.as_str().trim_end_matches('/')
    );
    let response = http
        .get(&url)
        .timeout(PROBE_TIMEOUT)
        .header("client-request-id", uuid::Uuid::new_v4().to_string())
        .send()
        .await
        .map_err(unreachable)?;
    let status = response.status();
    if !status.is_success() {
        return Err(Failure {
            message: format!("HTTP {status}"),
            status: Some(status.as_u16()),
            request_id: header(&response, "request-id"),
            ..Failure::default()
        });
    }
    let body: HealthBody = response.json().await.map_err(|e| Failure {
        message: format!("its answer is not a health report ({e})"),
        ..Failure::default()
    })?;
    Ok(Health {
        status: body.status,
        version: body.version,
        tenant_id: body.tenant_id,
        client_id: body.client_id,
    })
}

/// The companion's `/health` body as sent (the wire shape stays at this edge).
#[derive(serde::Deserialize)]
struct HealthBody {
    status: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    tenant_id: String,
    #[serde(default)]
    client_id: String,
}

/// The time on Entra ID's clock: the `Date` header of the tenant's OpenID metadata document,
/// served by the same service that issues (and time-stamps) the tokens.
async fn issuer_time(
    http: &reqwest::Client,
    tenant: &TenantConfig,
) -> Result<DateTime<Utc>, Failure> {
    let url = format!(
        "{}/{}/v2.0/.well-known/openid-configuration",
        tenant.authority_url.as_str().trim_end_matches('/'),
        tenant.tenant_id
    );
    let response = http
        .get(&url)
        .timeout(PROBE_TIMEOUT)
        .send()
        .await
        .map_err(unreachable)?;
    let date = header(&response, "date").ok_or_else(|| Failure {
        message: "Entra ID's answer had no Date header".into(),
        ..Failure::default()
    })?;
    DateTime::parse_from_rfc2822(&date)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| Failure {
            message: format!("Entra ID's Date header \"{date}\" could not be read ({e})"),
            ..Failure::default()
        })
}

fn unreachable(e: reqwest::Error) -> Failure {
    Failure {
        message: crate::auth::transport_message(&e),
        unreachable: true,
        ..Failure::default()
    }
}

fn from_auth(e: AuthError) -> Failure {
    let (status, code, request_id) = match &e {
        AuthError::Companion {
            status,
            error,
            request_id,
            ..
        } => (Some(*status), Some(error.clone()), request_id.clone()),
        AuthError::Entra(entra) => (None, Some(entra.error.clone()), None),
        _ => (None, None, None),
    };
    Failure {
        message: e.to_string(),
        unreachable: e.is_unreachable(),
        status,
        code,
        request_id,
        ..Failure::default()
    }
}

fn from_graph(e: GraphError) -> Failure {
    Failure {
        message: e.to_string(),
        unreachable: match &e {
            GraphError::Unreachable { .. } => true,
            GraphError::Auth(a) => a.is_unreachable(),
            _ => false,
        },
        status: e.status(),
        code: None,
        registrations_refused: matches!(e, GraphError::RegistrationsRefused { .. }),
        request_id: e.request_id().map(str::to_string),
        client_request_id: e.client_request_id().map(str::to_string),
    }
}
