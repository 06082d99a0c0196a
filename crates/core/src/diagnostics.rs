//! Diagnostics: what stands between this organizer and a working Webinar Desk — configuration,
//! the companion, sign-in, the On-Behalf-Of exchange and its scopes, Graph and each permission
//! the app needs, Teams Premium, the clock — each as pass / fail / unknown with a remedy.
//!
//! This module is pure: it turns what the probes observed ([`Observed`]) into [`Check`]s and a
//! [`Report`]; `diagnostics/probe.rs` does the IO. Invariants: a check that could not run is
//! `Unknown` and says why (never a pass by default); every failure names what to do; the
//! report's text carries request ids for support but never a token, a secret or a refresh
//! token (its inputs are error messages and ids, which never hold one).

pub mod probe;

use chrono::{DateTime, Utc};

use crate::config::{ConfigError, TenantConfig, TenantSettings};
use crate::graph::Endpoint;
use crate::graph::types::LicenceDetail;

/// The checks, in the order they are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckId {
    Configuration,
    Companion,
    SignIn,
    OnBehalfOf,
    Scopes,
    Graph,
    WebinarList,
    Registrations,
    Attendance,
    Premium,
    Clock,
    Versions,
}

impl CheckId {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::Configuration => "configuration",
            CheckId::Companion => "companion",
            CheckId::SignIn => "signIn",
            CheckId::OnBehalfOf => "onBehalfOf",
            CheckId::Scopes => "scopes",
            CheckId::Graph => "graph",
            CheckId::WebinarList => "webinarList",
            CheckId::Registrations => "registrations",
            CheckId::Attendance => "attendance",
            CheckId::Premium => "premium",
            CheckId::Clock => "clock",
            CheckId::Versions => "versions",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            CheckId::Configuration => "Configuration",
            CheckId::Companion => "Companion service",
            CheckId::SignIn => "Sign-in",
            CheckId::OnBehalfOf => "Graph token from the companion (On-Behalf-Of)",
            CheckId::Scopes => "Granted permissions",
            CheckId::Graph => "Microsoft Graph reachable",
            CheckId::WebinarList => "Listing your webinars",
            CheckId::Registrations => "Listing registrations",
            CheckId::Attendance => "Reading attendance reports",
            CheckId::Premium => "Teams Premium",
            CheckId::Clock => "This computer's clock",
            CheckId::Versions => "Versions",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail,
    Unknown,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Unknown => "unknown",
        }
    }
}

/// One check's verdict in plain language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub id: CheckId,
    pub outcome: Outcome,
    /// What was found.
    pub detail: String,
    /// What to do about it (every failure has one).
    pub remedy: Option<String>,
    pub request_id: Option<String>,
    pub client_request_id: Option<String>,
}

impl Check {
    fn new(id: CheckId, outcome: Outcome, detail: impl Into<String>) -> Self {
        Self {
            id,
            outcome,
            detail: detail.into(),
            remedy: None,
            request_id: None,
            client_request_id: None,
        }
    }
    fn pass(id: CheckId, detail: impl Into<String>) -> Self {
        Self::new(id, Outcome::Pass, detail)
    }
    fn unknown(id: CheckId, detail: impl Into<String>) -> Self {
        Self::new(id, Outcome::Unknown, detail)
    }
    fn fail(id: CheckId, detail: impl Into<String>, remedy: impl Into<String>) -> Self {
        Self::new(id, Outcome::Fail, detail).remedy(remedy)
    }
    fn remedy(mut self, remedy: impl Into<String>) -> Self {
        self.remedy = Some(remedy.into());
        self
    }
    fn ids(mut self, failure: &Failure) -> Self {
        self.request_id = failure.request_id.clone();
        self.client_request_id = failure.client_request_id.clone();
        self
    }
}

/// A probe that did not get what it asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Failure {
    /// The error as the app shows it (never holds a token).
    pub message: String,
    /// The service could not be reached at all.
    pub unreachable: bool,
    /// HTTP status, when the service answered.
    pub status: Option<u16>,
    /// The service's error code (`invalid_grant`, `Forbidden`, …) when it gave one.
    pub code: Option<String>,
    /// Both Graph endpoints refused to list registrations.
    pub registrations_refused: bool,
    pub request_id: Option<String>,
    pub client_request_id: Option<String>,
}

/// The companion's `GET /health` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    pub status: String,
    pub version: String,
    pub tenant_id: String,
    pub client_id: String,
}

/// Where sign-in stands before the probes run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInState {
    SignedOut,
    Connecting,
    Offline(String),
    NeedsSignIn(String),
    /// Signed in as this user.
    SignedIn {
        username: String,
    },
}

/// App, OS and database versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versions {
    pub app: String,
    pub os: String,
    pub sqlite: String,
    /// Migrations applied to the signed-in account's local copy.
    pub schema: Option<u32>,
}

/// Everything the probes saw. `None` means "not probed" (an earlier step failed or there was
/// nothing to try it on); the check then says so.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    pub now: DateTime<Utc>,
    pub demo: bool,
    /// The saved settings, or why they could not be read; they explain a missing `tenant`.
    pub settings: Option<Result<TenantSettings, String>>,
    pub tenant: Option<TenantConfig>,
    pub companion: Option<Result<Health, Failure>>,
    /// Entra's `Date` header, from the token issuer's metadata document.
    pub issuer_time: Option<Result<DateTime<Utc>, Failure>>,
    pub sign_in: SignInState,
    /// When signed in: the companion-API token's expiry, or why it could not be had.
    pub token_expiry: Option<Result<DateTime<Utc>, Failure>>,
    pub grant: Option<Result<crate::auth::GraphGrant, Failure>>,
    /// How many webinars `getByUserRole(organizer)` returned.
    pub webinars: Option<Result<usize, Failure>>,
    pub registrations: Option<Result<Endpoint, Failure>>,
    /// Attendance reports of one past session.
    pub attendance: Option<Result<usize, Failure>>,
    pub licences: Option<Result<Vec<LicenceDetail>, Failure>>,
    pub versions: Versions,
}

/// The outcome of every check, with when it ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub at: DateTime<Utc>,
    pub checks: Vec<Check>,
}

/// Scopes the app cannot work without, and what each is for.
pub const REQUIRED_SCOPES: &[(&str, &str)] = &[
    (
        "VirtualEvent.ReadWrite",
        "create, change and read your webinars",
    ),
    ("OnlineMeetingArtifact.Read.All", "read attendance reports"),
];
/// Scopes only one check needs.
pub const OPTIONAL_SCOPES: &[(&str, &str)] = &[("User.Read", "the Teams Premium licence check")];

/// Clocks further apart than this make sessions look started or ended at the wrong time.
pub const CLOCK_TOLERANCE_SECS: i64 = 120;

/// The remedy for a failure that names no cause of its own.
const TRY_AGAIN: &str =
    "Try again in a minute; if it keeps failing, give your IT department this report.";

impl Report {
    pub fn from_observed(o: &Observed) -> Report {
        let not_configured = "Not checked: the app is not configured yet.";
        let mut checks = vec![configuration(o)];
        checks.push(match (&o.tenant, &o.companion) {
            (Some(t), Some(h)) => companion(t, h),
            _ => Check::unknown(CheckId::Companion, not_configured),
        });
        checks.push(sign_in(&o.sign_in, o.token_expiry.as_ref(), o.now));
        let companion_down = matches!(&o.companion, Some(Err(f)) if f.unreachable);
        checks.push(on_behalf_of(o.grant.as_ref(), companion_down));
        checks.push(scopes(o.grant.as_ref()));
        let (graph, list) = webinar_list(o.webinars.as_ref(), o.tenant.as_ref());
        checks.push(graph);
        checks.push(list);
        checks.push(registrations(o.registrations.as_ref()));
        checks.push(attendance(o.attendance.as_ref()));
        checks.push(premium(o.licences.as_ref()));
        checks.push(clock(o.now, o.issuer_time.as_ref()));
        checks.push(versions(&o.versions));
        Report { at: o.now, checks }
    }

    pub fn count(&self, outcome: Outcome) -> usize {
        self.checks.iter().filter(|c| c.outcome == outcome).count()
    }

    pub fn check(&self, id: CheckId) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// The report as text a support engineer can read (the "Copy report" button).
    pub fn text(&self) -> String {
        let mut out = format!(
            "Webinar Desk diagnostics — {}\n{} passed, {} failed, {} unknown\n\n",
            self.at.format("%Y-%m-%d %H:%M:%S UTC"),
            self.count(Outcome::Pass),
            self.count(Outcome::Fail),
            self.count(Outcome::Unknown),
        );
        for c in &self.checks {
            let tag = match c.outcome {
                Outcome::Pass => "[PASS]   ",
                Outcome::Fail => "[FAIL]   ",
                Outcome::Unknown => "[UNKNOWN]",
            };
            out.push_str(&format!("{tag} {}: {}\n", c.id.title(), c.detail));
            if let Some(r) = &c.remedy {
                out.push_str(&format!("          What to do: {r}\n"));
            }
            if c.request_id.is_some() || c.client_request_id.is_some() {
                out.push_str(&format!(
                    "          request-id {} · client-request-id {}\n",
                    c.request_id.as_deref().unwrap_or("none"),
                    c.client_request_id.as_deref().unwrap_or("none"),
                ));
            }
        }
        out.push_str("\nThis report holds no password, token or secret.\n");
        out
    }
}

fn configuration(o: &Observed) -> Check {
    let id = CheckId::Configuration;
    match (&o.tenant, o.demo) {
        (Some(_), true) => {
            return Check::pass(
                id,
                "The built-in demo tenant (simulated on this computer; no real Teams data).",
            );
        }
        (Some(t), false) => {
            return Check::pass(
                id,
                format!(
                    "Tenant {}, desktop app {}, companion {}.",
                    t.tenant_id, t.client_id, t.companion_url
                ),
            );
        }
        (None, _) => {}
    }
    let remedy = "Open Settings and enter the tenant ID, desktop client ID, companion address and \
                  companion scope your IT department gave you.";
    let settings = match &o.settings {
        Some(Err(e)) => return Check::fail(id, e.clone(), remedy),
        Some(Ok(s)) if *s != TenantSettings::default() => s,
        _ => return Check::fail(id, "No tenant is configured.", remedy),
    };
    match settings.validate() {
        Ok(_) => Check::unknown(
            id,
            "The settings are valid but not in use yet; restart the app.",
        ),
        Err(ConfigError::Invalid(problems)) => Check::fail(
            id,
            format!(
                "The settings are incomplete or invalid: {}.",
                problems
                    .iter()
                    .map(|p| format!("{} — {}", p.field, p.message))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            "Correct these fields in Settings.",
        ),
        Err(e) => Check::fail(id, e.to_string(), remedy),
    }
}

fn companion(tenant: &TenantConfig, health: &Result<Health, Failure>) -> Check {
    let id = CheckId::Companion;
    let url = tenant.companion_url.as_str().trim_end_matches('/');
    let ask_it = "Check the companion address in Settings and ask your IT department whether the \
                  companion service is running (its /health page answers when it is). The local \
                  copy stays available meanwhile.";
    match health {
        Err(f) if f.unreachable => Check::fail(
            id,
            format!("The companion at {url} could not be reached: {}", f.message),
            ask_it,
        ),
        Err(f) => Check::fail(
            id,
            format!(
                "The companion at {url} did not answer its health check properly: {}",
                f.message
            ),
            ask_it,
        )
        .ids(f),
        Ok(h) if !h.status.eq_ignore_ascii_case("ok") => Check::fail(
            id,
            format!("The companion at {url} reports status \"{}\".", h.status),
            ask_it,
        ),
        Ok(h)
            if !h.tenant_id.is_empty() && !h.tenant_id.eq_ignore_ascii_case(&tenant.tenant_id) =>
        {
            Check::fail(
                id,
                format!(
                    "The companion at {url} serves tenant {}, but this app is set up for tenant {}.",
                    h.tenant_id, tenant.tenant_id
                ),
                "Use the same tenant ID in the app's Settings and the companion's configuration.",
            )
        }
        Ok(h) if !h.client_id.is_empty() && !tenant.companion_scope.contains(&h.client_id) => {
            Check::fail(
                id,
                format!(
                    "The app asks for a token for {}, but the companion is app {}.",
                    tenant.companion_scope, h.client_id
                ),
                format!(
                    "Set the companion scope in Settings to api://{}/access_as_user.",
                    h.client_id
                ),
            )
        }
        Ok(h) => Check::pass(
            id,
            format!(
                "{url} is healthy (version {}).",
                if h.version.is_empty() {
                    "not given"
                } else {
                    &h.version
                }
            ),
        ),
    }
}

fn sign_in(
    state: &SignInState,
    expiry: Option<&Result<DateTime<Utc>, Failure>>,
    now: DateTime<Utc>,
) -> Check {
    let id = CheckId::SignIn;
    let again = "Sign in again (account menu, top right).";
    match state {
        SignInState::SignedOut => Check::fail(id, "Nobody is signed in.", "Sign in."),
        SignInState::Connecting => Check::unknown(id, "Still signing in; run the checks again."),
        SignInState::Offline(reason) => Check::fail(
            id,
            format!("The saved sign-in could not be renewed: {reason}"),
            "Check the network connection; the local copy stays available.",
        ),
        SignInState::NeedsSignIn(reason) => Check::fail(id, reason.clone(), again),
        SignInState::SignedIn { username } => match expiry {
            None => Check::unknown(
                id,
                format!("Signed in as {username}; the token was not checked."),
            ),
            Some(Ok(at)) => Check::pass(
                id,
                format!(
                    "Signed in as {username}; the access token is valid until {} ({} min from now) and renews itself.",
                    at.format("%H:%M UTC"),
                    (*at - now).num_minutes()
                ),
            ),
            Some(Err(f)) => Check::fail(
                id,
                format!(
                    "Signed in as {username}, but the token could not be renewed: {}",
                    f.message
                ),
                if f.unreachable {
                    "Check the network connection; the local copy stays available."
                } else {
                    again
                },
            )
            .ids(f),
        },
    }
}

fn on_behalf_of(
    grant: Option<&Result<crate::auth::GraphGrant, Failure>>,
    companion_down: bool,
) -> Check {
    let id = CheckId::OnBehalfOf;
    match grant {
        None if companion_down => {
            Check::unknown(id, "Not checked: the companion could not be reached.")
        }
        None => Check::unknown(id, "Not checked: nobody is signed in."),
        Some(Ok(g)) => Check::pass(
            id,
            format!(
                "The companion exchanged your sign-in for a Graph token (valid until {}).",
                g.expires_at.format("%H:%M UTC")
            ),
        ),
        Some(Err(f)) => {
            let code = f.code.as_deref().unwrap_or("");
            let remedy = if f.unreachable {
                "The companion could not be reached; see the companion check above."
            } else if f.message.contains("AADSTS65001") || code == "consent_required" {
                "An administrator grants consent for the companion's Microsoft Graph permissions \
                 (Entra admin center › App registrations › the companion › API permissions › \
                 Grant admin consent)."
            } else if code == "interaction_required" || f.message.contains("AADSTS50076") {
                "Your organization asks for another sign-in step (e.g. multi-factor \
                 authentication): sign in again."
            } else {
                "Give your IT department this report: the companion's log shows why it refused \
                 (look for the request id)."
            };
            Check::fail(id, f.message.clone(), remedy).ids(f)
        }
    }
}

fn scopes(grant: Option<&Result<crate::auth::GraphGrant, Failure>>) -> Check {
    let id = CheckId::Scopes;
    let Some(Ok(g)) = grant else {
        return Check::unknown(id, "Not checked: no Graph token was obtained.");
    };
    if g.scopes.is_empty() {
        return Check::unknown(
            id,
            "The companion did not say which Microsoft Graph permissions were granted.",
        );
    }
    let has = |s: &str| g.scopes.iter().any(|x| x.eq_ignore_ascii_case(s));
    let missing: Vec<_> = REQUIRED_SCOPES.iter().filter(|(s, _)| !has(s)).collect();
    let optional: Vec<_> = OPTIONAL_SCOPES.iter().filter(|(s, _)| !has(s)).collect();
    let granted = format!("Granted: {}.", g.scopes.join(", "));
    if !missing.is_empty() {
        let names: Vec<_> = missing.iter().map(|(s, _)| *s).collect();
        return Check::fail(
            id,
            format!(
                "{granted} Missing: {}.",
                missing
                    .iter()
                    .map(|(s, why)| format!("{s} (to {why})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            format!(
                "An administrator adds the delegated Microsoft Graph permission{} {} to the \
                 companion app and grants admin consent (Entra admin center › App registrations › \
                 the companion › API permissions).",
                if names.len() > 1 { "s" } else { "" },
                names.join(" and ")
            ),
        );
    }
    let mut detail = format!("{granted} Everything Webinar Desk needs is there.");
    for (s, why) in optional {
        detail.push_str(&format!(" {s} is not, so {why} cannot run."));
    }
    Check::pass(id, detail)
}

fn webinar_list(
    webinars: Option<&Result<usize, Failure>>,
    tenant: Option<&TenantConfig>,
) -> (Check, Check) {
    let graph = CheckId::Graph;
    let list = CheckId::WebinarList;
    let url = tenant.map_or("Microsoft Graph".to_string(), |t| t.graph_url.to_string());
    match webinars {
        None => (
            Check::unknown(graph, "Not checked: no Graph token was obtained."),
            Check::unknown(list, "Not checked: no Graph token was obtained."),
        ),
        Some(Ok(n)) => (
            Check::pass(graph, format!("{url} answered.")),
            Check::pass(
                list,
                format!(
                    "You organize {n} webinar{} in Teams.",
                    if *n == 1 { "" } else { "s" }
                ),
            ),
        ),
        Some(Err(f)) if f.unreachable => (
            Check::fail(
                graph,
                format!("{url} could not be reached: {}", f.message),
                "Check the network connection, and ask your IT department whether a proxy or \
                 firewall blocks graph.microsoft.com.",
            ),
            Check::unknown(list, "Not checked: Microsoft Graph could not be reached."),
        ),
        Some(Err(f)) => (
            Check::pass(graph, format!("{url} answered.")),
            Check::fail(
                list,
                format!("Teams refused to list your webinars: {}", f.message),
                if f.status == Some(403) {
                    "Your account needs a Teams licence that allows webinars, and the companion \
                     the VirtualEvent.ReadWrite permission; give your IT department this report."
                } else {
                    TRY_AGAIN
                },
            )
            .ids(f),
        ),
    }
}

fn registrations(found: Option<&Result<Endpoint, Failure>>) -> Check {
    let id = CheckId::Registrations;
    match found {
        None => Check::unknown(
            id,
            "Not checked: there is no webinar of yours to try it on (or Graph was not reached).",
        ),
        Some(Ok(Endpoint::V1)) => Check::pass(id, "Registrations are readable on Graph v1.0."),
        Some(Ok(Endpoint::Beta)) => Check::pass(
            id,
            "Registrations are readable on Graph's beta endpoint (v1.0 refuses delegated \
             access, as Microsoft documents).",
        ),
        Some(Err(f)) if f.registrations_refused => Check::fail(
            id,
            "Teams refused to list registrations on both v1.0 and beta.",
            "Listing registrations needs the companion's application permission \
             VirtualEvent.Read.All; ask your IT department to grant it. Publishing and \
             attendance keep working without it.",
        )
        .ids(f),
        Some(Err(f)) => Check::fail(
            id,
            format!("Registrations could not be read: {}", f.message),
            TRY_AGAIN,
        )
        .ids(f),
    }
}

fn attendance(found: Option<&Result<usize, Failure>>) -> Check {
    let id = CheckId::Attendance;
    match found {
        None => Check::unknown(
            id,
            "Not checked: there is no past webinar of yours to try it on (or Graph was not reached).",
        ),
        Some(Ok(n)) => Check::pass(
            id,
            format!(
                "Attendance reports are readable ({n} report{} for the session tried).",
                if *n == 1 { "" } else { "s" }
            ),
        ),
        Some(Err(f)) if f.status == Some(403) => Check::fail(
            id,
            format!("Teams refused to show attendance reports: {}", f.message),
            "An administrator grants the companion the delegated Microsoft Graph permission \
             OnlineMeetingArtifact.Read.All with admin consent.",
        )
        .ids(f),
        Some(Err(f)) => Check::fail(
            id,
            format!("Attendance reports could not be read: {}", f.message),
            TRY_AGAIN,
        )
        .ids(f),
    }
}

/// Whether a licence list includes Teams Premium. UNCONFIRMED against a real tenant: matched
/// by SKU part number (`Microsoft_Teams_Premium`) or an active `TEAMSPRO_*` service plan, the
/// names Microsoft's licensing table uses.
pub fn has_teams_premium(licences: &[LicenceDetail]) -> Option<String> {
    licences.iter().find_map(|l| {
        let sku = l.sku_part_number.clone().unwrap_or_default();
        let by_sku = sku.to_ascii_uppercase().contains("TEAMS_PREMIUM");
        let by_plan = l.service_plans.iter().any(|p| {
            p.service_plan_name
                .as_deref()
                .is_some_and(|n| n.to_ascii_uppercase().starts_with("TEAMSPRO"))
                && p.provisioning_status
                    .as_deref()
                    .is_none_or(|s| s.eq_ignore_ascii_case("Success"))
        });
        (by_sku || by_plan).then_some(sku)
    })
}

fn premium(licences: Option<&Result<Vec<LicenceDetail>, Failure>>) -> Check {
    let id = CheckId::Premium;
    match licences {
        None => Check::unknown(id, "Not checked: no Graph token was obtained."),
        Some(Ok(list)) => match has_teams_premium(list) {
            Some(sku) => Check::pass(
                id,
                format!(
                    "Teams Premium is assigned to you ({}): manual approval and waitlists are available.",
                    if sku.is_empty() { "service plan" } else { &sku }
                ),
            ),
            None => Check::fail(
                id,
                "No Teams Premium licence is assigned to you: manual approval of registrations \
                 and waitlists cannot be used. Everything else works.",
                "Ask your Microsoft 365 administrator to assign Teams Premium, or leave \"Manual \
                 approval\" and \"Waitlist\" off in your series.",
            ),
        },
        Some(Err(f)) => Check::unknown(
            id,
            format!("Your licences could not be read: {}", f.message),
        )
        .remedy(
            "Add the delegated permission User.Read to the companion app, or ask your \
             administrator whether Teams Premium is assigned to you.",
        )
        .ids(f),
    }
}

fn clock(now: DateTime<Utc>, issuer: Option<&Result<DateTime<Utc>, Failure>>) -> Check {
    let id = CheckId::Clock;
    match issuer {
        None => Check::unknown(id, "Not checked: the app is not configured yet."),
        Some(Err(f)) => Check::unknown(
            id,
            format!("Entra ID's time could not be read: {}", f.message),
        ),
        Some(Ok(theirs)) => {
            let skew = (now - *theirs).num_seconds();
            let amount = if skew.abs() < 120 {
                format!("{} s", skew.abs())
            } else {
                // To the nearest minute: Entra's time is read a moment after ours (and in whole
                // seconds), so a clock 10 minutes off measures 9 min 59 s.
                format!("{} min", (skew.abs() + 30) / 60)
            };
            if skew.abs() <= CLOCK_TOLERANCE_SECS {
                Check::pass(
                    id,
                    format!("Within {amount} of Entra ID's clock (the token issuer)."),
                )
            } else {
                Check::fail(
                    id,
                    format!(
                        "This computer's clock is {amount} {} Entra ID's (the token issuer).",
                        if skew > 0 { "ahead of" } else { "behind" }
                    ),
                    "Turn on \"Set time automatically\" in the system's date and time settings. \
                     A wrong clock makes sessions look started or ended at the wrong time and \
                     can make sign-in fail.",
                )
            }
        }
    }
}

fn versions(v: &Versions) -> Check {
    Check::pass(
        CheckId::Versions,
        format!(
            "Webinar Desk {} on {}; SQLite {}{}.",
            v.app,
            v.os,
            v.sqlite,
            v.schema
                .map(|s| format!(", local copy schema {s}"))
                .unwrap_or_default()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::GraphGrant;
    use crate::graph::types::ServicePlanInfo;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap()
    }

    fn settings() -> TenantSettings {
        TenantSettings {
            tenant_id: "3f2a9c4e-8b1d-4e6f-9a7c-2d5e8f1b6c3a".into(),
            client_id: "5e0c7d41-6a0b-4c3e-9f58-1b2d3c4e5f60".into(),
            companion_url: "https://companion.contoso.example".into(),
            companion_scope: "api://9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d/access_as_user".into(),
            authority_url: None,
            graph_url: None,
        }
    }

    fn licence(sku: &str, plans: &[(&str, &str)]) -> LicenceDetail {
        LicenceDetail {
            sku_part_number: Some(sku.into()),
            service_plans: plans
                .iter()
                .map(|(n, s)| ServicePlanInfo {
                    service_plan_name: Some(n.to_string()),
                    provisioning_status: Some(s.to_string()),
                })
                .collect(),
        }
    }

    /// Everything working, as a healthy tenant would answer.
    fn healthy() -> Observed {
        let s = settings();
        Observed {
            now: now(),
            demo: false,
            tenant: Some(s.validate().unwrap()),
            settings: Some(Ok(s)),
            companion: Some(Ok(Health {
                status: "ok".into(),
                version: "0.1.0".into(),
                tenant_id: "3f2a9c4e-8b1d-4e6f-9a7c-2d5e8f1b6c3a".into(),
                client_id: "9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d".into(),
            })),
            issuer_time: Some(Ok(now() - chrono::Duration::seconds(3))),
            sign_in: SignInState::SignedIn {
                username: "megan.bowen@contoso.example".into(),
            },
            token_expiry: Some(Ok(now() + chrono::Duration::minutes(55))),
            grant: Some(Ok(GraphGrant {
                scopes: vec![
                    "VirtualEvent.ReadWrite".into(),
                    "OnlineMeetingArtifact.Read.All".into(),
                    "User.Read".into(),
                ],
                expires_at: now() + chrono::Duration::minutes(60),
            })),
            webinars: Some(Ok(12)),
            registrations: Some(Ok(Endpoint::Beta)),
            attendance: Some(Ok(2)),
            licences: Some(Ok(vec![
                licence("SPE_E5", &[("TEAMS1", "Success")]),
                licence(
                    "Microsoft_Teams_Premium",
                    &[("TEAMSPRO_WEBINAR", "Success")],
                ),
            ])),
            versions: Versions {
                app: "0.1.0".into(),
                os: "Debian 12".into(),
                sqlite: "3.46.0".into(),
                schema: Some(8),
            },
        }
    }

    fn outcomes(r: &Report) -> Vec<(&'static str, &'static str)> {
        r.checks
            .iter()
            .map(|c| (c.id.as_str(), c.outcome.as_str()))
            .collect()
    }

    #[test]
    fn a_healthy_tenant_passes_every_check_in_order() {
        let r = Report::from_observed(&healthy());
        assert!(
            r.checks.iter().all(|c| c.outcome == Outcome::Pass),
            "{}",
            r.text()
        );
        let order: Vec<_> = r.checks.iter().map(|c| c.id).collect();
        assert_eq!(
            order,
            vec![
                CheckId::Configuration,
                CheckId::Companion,
                CheckId::SignIn,
                CheckId::OnBehalfOf,
                CheckId::Scopes,
                CheckId::Graph,
                CheckId::WebinarList,
                CheckId::Registrations,
                CheckId::Attendance,
                CheckId::Premium,
                CheckId::Clock,
                CheckId::Versions,
            ]
        );
        let text = r.text();
        assert!(text.contains("12 passed, 0 failed, 0 unknown"), "{text}");
        assert!(text.contains("55 min from now"), "{text}");
        assert!(text.contains("beta endpoint"), "{text}");
    }

    #[test]
    fn an_unreachable_companion_fails_and_leaves_what_depends_on_it_unknown() {
        let mut o = healthy();
        o.companion = Some(Err(Failure {
            message: "connection refused".into(),
            unreachable: true,
            ..Failure::default()
        }));
        o.grant = None;
        o.webinars = None;
        o.registrations = None;
        o.attendance = None;
        o.licences = None;
        let r = Report::from_observed(&o);
        let c = r.check(CheckId::Companion).unwrap();
        assert_eq!(c.outcome, Outcome::Fail);
        assert!(
            c.detail
                .contains("https://companion.contoso.example could not be reached")
        );
        assert!(
            c.remedy
                .as_deref()
                .unwrap()
                .contains("companion service is running")
        );
        for id in [
            CheckId::OnBehalfOf,
            CheckId::Scopes,
            CheckId::Graph,
            CheckId::WebinarList,
            CheckId::Registrations,
            CheckId::Attendance,
            CheckId::Premium,
        ] {
            assert_eq!(r.check(id).unwrap().outcome, Outcome::Unknown, "{id:?}");
        }
        assert!(
            r.check(CheckId::OnBehalfOf)
                .unwrap()
                .detail
                .contains("companion could not be reached")
        );
    }

    #[test]
    fn a_companion_for_another_app_or_tenant_is_named() {
        let mut o = healthy();
        if let Some(Ok(h)) = &mut o.companion {
            h.client_id = "00000000-1111-2222-3333-444444444444".into();
        }
        let c = Report::from_observed(&o)
            .check(CheckId::Companion)
            .cloned()
            .unwrap();
        assert_eq!(c.outcome, Outcome::Fail);
        assert_eq!(
            c.remedy.as_deref(),
            Some(
                "Set the companion scope in Settings to api://00000000-1111-2222-3333-444444444444/access_as_user."
            )
        );
        let mut o = healthy();
        if let Some(Ok(h)) = &mut o.companion {
            h.tenant_id = "aaaaaaaa-0000-0000-0000-000000000000".into();
        }
        let c = Report::from_observed(&o)
            .check(CheckId::Companion)
            .cloned()
            .unwrap();
        assert!(c.detail.contains("serves tenant aaaaaaaa-"), "{}", c.detail);
    }

    #[test]
    fn a_missing_required_scope_fails_with_the_consent_to_grant() {
        let mut o = healthy();
        o.grant = Some(Ok(GraphGrant {
            scopes: vec!["VirtualEvent.ReadWrite".into()],
            expires_at: now(),
        }));
        let c = Report::from_observed(&o)
            .check(CheckId::Scopes)
            .cloned()
            .unwrap();
        assert_eq!(c.outcome, Outcome::Fail);
        assert!(
            c.detail
                .contains("Missing: OnlineMeetingArtifact.Read.All (to read attendance reports)"),
            "{}",
            c.detail
        );
        assert!(c.remedy.unwrap().contains(
            "permission OnlineMeetingArtifact.Read.All to the companion app and grants admin consent"
        ));
        // Only the optional one missing: a pass that says what cannot run.
        o.grant = Some(Ok(GraphGrant {
            scopes: vec![
                "VirtualEvent.ReadWrite".into(),
                "OnlineMeetingArtifact.Read.All".into(),
            ],
            expires_at: now(),
        }));
        let c = Report::from_observed(&o)
            .check(CheckId::Scopes)
            .cloned()
            .unwrap();
        assert_eq!(c.outcome, Outcome::Pass);
        assert!(
            c.detail
                .contains("User.Read is not, so the Teams Premium licence check cannot run")
        );
    }

    #[test]
    fn obo_refusals_get_the_remedy_for_their_cause() {
        let refused = |message: &str, code: &str| {
            let mut o = healthy();
            o.grant = Some(Err(Failure {
                message: message.into(),
                status: Some(400),
                code: Some(code.into()),
                request_id: Some("req-1".into()),
                ..Failure::default()
            }));
            Report::from_observed(&o)
                .check(CheckId::OnBehalfOf)
                .cloned()
                .unwrap()
        };
        let consent = refused(
            "AADSTS65001: The user or administrator has not consented",
            "invalid_grant",
        );
        assert!(consent.remedy.unwrap().contains("Grant admin consent"));
        assert_eq!(consent.request_id.as_deref(), Some("req-1"));
        let mfa = refused("AADSTS50076: MFA", "interaction_required");
        assert!(mfa.remedy.unwrap().contains("sign in again"));
    }

    #[test]
    fn premium_is_found_by_sku_or_active_plan_and_its_absence_explained() {
        assert_eq!(
            has_teams_premium(&[licence("Microsoft_Teams_Premium", &[])]),
            Some("Microsoft_Teams_Premium".into())
        );
        assert!(has_teams_premium(&[licence("SPE_E5", &[("TEAMSPRO_CUST", "Success")])]).is_some());
        assert!(
            has_teams_premium(&[licence("SPE_E5", &[("TEAMSPRO_CUST", "Disabled")])]).is_none()
        );
        assert!(has_teams_premium(&[licence("SPE_E5", &[("TEAMS1", "Success")])]).is_none());

        let mut o = healthy();
        o.licences = Some(Ok(vec![licence("SPE_E5", &[("TEAMS1", "Success")])]));
        let c = Report::from_observed(&o)
            .check(CheckId::Premium)
            .cloned()
            .unwrap();
        assert_eq!(c.outcome, Outcome::Fail);
        assert!(
            c.detail
                .contains("manual approval of registrations and waitlists cannot be used")
        );
        o.licences = Some(Err(Failure {
            message: "HTTP 403".into(),
            status: Some(403),
            ..Failure::default()
        }));
        let c = Report::from_observed(&o)
            .check(CheckId::Premium)
            .cloned()
            .unwrap();
        assert_eq!(c.outcome, Outcome::Unknown);
        assert!(c.remedy.unwrap().contains("User.Read"));
    }

    #[test]
    fn a_clock_off_by_more_than_two_minutes_fails_either_way() {
        let at = |skew_secs: i64| {
            let mut o = healthy();
            o.issuer_time = Some(Ok(now() - chrono::Duration::seconds(skew_secs)));
            Report::from_observed(&o)
                .check(CheckId::Clock)
                .cloned()
                .unwrap()
        };
        assert_eq!(at(119).outcome, Outcome::Pass);
        assert_eq!(at(-119).outcome, Outcome::Pass);
        let ahead = at(600);
        assert_eq!(ahead.outcome, Outcome::Fail);
        assert!(ahead.detail.contains("10 min ahead of"), "{}", ahead.detail);
        assert!(ahead.remedy.unwrap().contains("Set time automatically"));
        assert!(at(-601).detail.contains("10 min behind"));
        assert!(
            at(598).detail.contains("10 min ahead of"),
            "rounded, not cut"
        );
        assert!(at(569).detail.contains("9 min ahead of"));
    }

    #[test]
    fn registrations_refused_on_both_endpoints_name_the_application_permission() {
        let mut o = healthy();
        o.registrations = Some(Err(Failure {
            message: "refused".into(),
            status: Some(403),
            registrations_refused: true,
            request_id: Some("r-9".into()),
            client_request_id: Some("c-9".into()),
            ..Failure::default()
        }));
        let r = Report::from_observed(&o);
        let c = r.check(CheckId::Registrations).unwrap();
        assert_eq!(c.outcome, Outcome::Fail);
        assert!(
            c.remedy
                .as_deref()
                .unwrap()
                .contains("application permission VirtualEvent.Read.All")
        );
        assert!(
            r.text().contains("request-id r-9 · client-request-id c-9"),
            "{}",
            r.text()
        );
    }

    #[test]
    fn invalid_or_missing_settings_fail_the_configuration_and_stop_the_rest() {
        let mut o = healthy();
        o.settings = Some(Ok(TenantSettings {
            tenant_id: "not a guid".into(),
            ..settings()
        }));
        o.tenant = None;
        o.companion = None;
        o.issuer_time = None;
        o.sign_in = SignInState::SignedOut;
        o.grant = None;
        o.webinars = None;
        o.registrations = None;
        o.attendance = None;
        o.licences = None;
        let r = Report::from_observed(&o);
        let c = r.check(CheckId::Configuration).unwrap();
        assert_eq!(c.outcome, Outcome::Fail);
        assert!(c.detail.contains("tenant_id"), "{}", c.detail);
        assert_eq!(
            r.check(CheckId::Companion).unwrap().outcome,
            Outcome::Unknown
        );
        assert_eq!(r.check(CheckId::SignIn).unwrap().outcome, Outcome::Fail);
        o.settings = Some(Ok(TenantSettings::default()));
        let r = Report::from_observed(&o);
        assert_eq!(
            r.check(CheckId::Configuration).unwrap().detail,
            "No tenant is configured."
        );
        assert_eq!(outcomes(&r).len(), 12);
    }
}
