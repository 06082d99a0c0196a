//! A simulated Microsoft 365 tenant on 127.0.0.1, for the demo mode, the tests and the
//! benchmarks: Entra ID's sign-in ([`entra`]), the real companion code, and Microsoft Graph's
//! virtual-event webinars ([`graph`]), each on its own loopback port like separate hosts.
//!
//! Invariants: it listens on loopback only; its behaviour follows `shared/reference/graph-api.md`
//! and, where that is marked UNCONFIRMED, the assumptions in this crate's README section; every
//! JSON body it serves validates against the Graph v1.0 schema. Tests steer it through
//! [`SimHandle`] (page size, injected Graph faults, Entra switches, minted tokens).

pub mod directory;
mod entra;
mod graph;
mod keys;
pub mod people;
pub mod webinars;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::http::Method;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use directory::{COMPANION_CLIENT_ID, DESKTOP_CLIENT_ID, DemoAccount, TENANT_ID};
use webinar_desk_companion::{Companion, CompanionConfig, Credential};

pub use keys::SigningKey;

/// How to start the simulated tenant.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Seed of the demo data generator.
    pub seed: u64,
    /// Items per page in Graph collections.
    pub page_size: usize,
    /// Lifetime of issued access tokens, in seconds.
    pub token_lifetime_secs: i64,
    /// Keep the signing key here between runs (demo mode); `None` for a fresh key.
    pub state_dir: Option<PathBuf>,
    /// Ports for Entra, Graph and the companion; 0 lets the OS pick.
    pub ports: [u16; 3],
    /// The moment demo data is generated around.
    pub now: DateTime<Utc>,
    /// Graph's throttling windows run this much faster than real time (1.0: real, 0.1: a 30 s
    /// window lasts 3 s), so tests of the limits take seconds.
    pub time_scale: f64,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            page_size: 20,
            token_lifetime_secs: 3600,
            state_dir: None,
            ports: [0, 0, 0],
            now: Utc::now(),
            time_scale: 1.0,
        }
    }
}

/// A Graph failure to inject: the next `times` requests whose path contains `path_contains`
/// (and whose method matches, if given) meet it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphFault {
    #[serde(default, with = "method_name")]
    pub method: Option<Method>,
    #[serde(default)]
    pub path_contains: String,
    #[serde(default = "one")]
    pub times: u32,
    /// Matching requests to let through before the fault strikes (fail the k-th: `skip` k−1).
    #[serde(default)]
    pub skip: u32,
    pub kind: FaultKind,
}

fn one() -> u32 {
    1
}

/// What an injected fault does to the request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum FaultKind {
    /// Answer with this Graph error (not processed).
    #[serde(rename_all = "camelCase")]
    Status {
        status: u16,
        code: String,
        message: String,
        #[serde(default)]
        retry_after: Option<RetryAfter>,
    },
    /// Wait this long, then process normally.
    #[serde(rename_all = "camelCase")]
    Latency { millis: u64 },
    /// Process at once, then wait this long before answering (a client that dies meanwhile
    /// leaves a change made and never acknowledged).
    #[serde(rename_all = "camelCase")]
    DelayAnswer { millis: u64 },
    /// Process, start the answer, then cut the connection mid-body.
    ResetMidBody,
    /// Process, then send a complete HTTP answer whose JSON is cut short.
    TruncatedJson,
    /// Process, then answer 200 with something that is not JSON (a proxy's HTML page).
    MalformedJson,
    /// Process, then drop the connection before any answer: the client cannot know.
    LostResponse,
    /// Refuse the token as expired (401), as when it expires in the middle of an operation.
    ExpiredToken,
}

/// The two forms of `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RetryAfter {
    /// Delta-seconds: `Retry-After: 5`.
    Seconds(u64),
    /// An HTTP-date this many seconds from now: `Retry-After: Wed, 21 Oct 2026 07:28:00 GMT`.
    HttpDateIn(u64),
}

impl GraphFault {
    /// A Graph error status for the next request whose path contains `path_contains`.
    pub fn status(path_contains: &str, status: u16, code: &str, message: &str) -> Self {
        Self::new(
            path_contains,
            FaultKind::Status {
                status,
                code: code.into(),
                message: message.into(),
                retry_after: None,
            },
        )
    }
    pub fn new(path_contains: &str, kind: FaultKind) -> Self {
        Self {
            method: None,
            path_contains: path_contains.into(),
            times: 1,
            skip: 0,
            kind,
        }
    }
    pub fn skip(mut self, skip: u32) -> Self {
        self.skip = skip;
        self
    }
    pub fn times(mut self, times: u32) -> Self {
        self.times = times;
        self
    }
    pub fn on(mut self, method: Method) -> Self {
        self.method = Some(method);
        self
    }
    pub fn retry_after(mut self, value: RetryAfter) -> Self {
        if let FaultKind::Status { retry_after, .. } = &mut self.kind {
            *retry_after = Some(value);
        }
        self
    }
}

mod method_name {
    use axum::http::Method;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(m: &Option<Method>, s: S) -> Result<S::Ok, S::Error> {
        match m {
            Some(m) => s.serialize_some(m.as_str()),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Method>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|m| m.to_uppercase().parse().map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// Graph behaviours that differ between what is documented and what a tenant may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GraphSwitches {
    /// Delegated `GET …/registrations` allowed on v1.0 (Learn 2026-07: not supported; beta is).
    pub v1_registrations_delegated: bool,
    /// Delegated `GET …/registrations` allowed on beta (off: a tenant that refuses both, so only
    /// the companion's application permission could list them).
    pub beta_registrations_delegated: bool,
    /// Enforce the documented throttling windows (750 GET, 15 writes per 30 s per app).
    pub throttling: bool,
}

impl Default for GraphSwitches {
    fn default() -> Self {
        Self {
            v1_registrations_delegated: false,
            beta_registrations_delegated: true,
            throttling: true,
        }
    }
}

/// What the simulated Graph has served so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphStats {
    pub reads: u64,
    pub writes: u64,
    /// 429 answers given because a throttling window was full.
    pub throttled: u64,
}

/// A series of webinars to add with generated people (benchmarks and tests).
#[derive(Debug, Clone)]
pub struct SeriesSpec {
    /// Demo account handle of the organizer.
    pub organizer: &'static str,
    pub title: String,
    pub sessions: usize,
    pub first_start: DateTime<Utc>,
    pub every: chrono::Duration,
    pub length: chrono::Duration,
    pub registrations: usize,
    pub records: usize,
}

/// Entra behaviours tests can switch on.
#[derive(Debug, Clone, Copy, Default)]
pub struct EntraSwitches {
    /// The On-Behalf-Of grant answers `interaction_required` (MFA by Conditional Access).
    pub mfa_required: bool,
    /// The On-Behalf-Of grant answers `invalid_grant` AADSTS65001 (no consent).
    pub consent_missing: bool,
    /// A Graph scope (short name, e.g. `OnlineMeetingArtifact.Read.All`) nobody consented to:
    /// the On-Behalf-Of grant leaves it out and Graph refuses what needs it.
    pub withheld_scope: Option<&'static str>,
}

#[derive(Debug, Clone)]
pub(crate) struct PendingAuthorization {
    pub redirect_uri: String,
    pub state: String,
    pub code_challenge: String,
    pub scopes: Vec<String>,
    pub nonce: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct IssuedCode {
    pub pending: PendingAuthorization,
    pub account: &'static DemoAccount,
    pub issued: Instant,
}

pub(crate) enum CodeProblem {
    Unknown,
    AlreadyRedeemed,
    Expired,
}

pub(crate) enum RefreshProblem {
    Invalid,
    Expired,
    Revoked,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct RefreshClaims {
    pub sub: String,
    pub aud: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub exp: i64,
    pub jti: String,
}

const REFRESH_AUDIENCE: &str = "urn:tenant-sim:refresh-token";
const CODE_LIFETIME: Duration = Duration::from_secs(600);

#[derive(Debug, Default)]
struct Data {
    webinars: Vec<webinars::Webinar>,
    pending: HashMap<String, PendingAuthorization>,
    codes: HashMap<String, IssuedCode>,
    redeemed: HashSet<String>,
    revoked: HashSet<String>,
    faults: Vec<GraphFault>,
    /// Certificates registered on the companion's app: base64url thumbprint (`x5t`) → key.
    companion_certificates: HashMap<String, SigningKey>,
    page_size: usize,
    switches: EntraSwitches,
    graph_switches: GraphSwitches,
    /// Premium licence per user object id.
    premium: HashMap<String, bool>,
    /// Request arrivals per (app id, read?) inside the current throttling window.
    windows: HashMap<(String, bool), std::collections::VecDeque<Instant>>,
    latency: Duration,
    clock_offset: chrono::Duration,
    stats: GraphStats,
    generated: u64,
}

/// The shared state behind all three servers.
#[derive(Debug)]
pub struct Sim {
    pub(crate) config: SimConfig,
    pub(crate) key: SigningKey,
    pub(crate) companion_secret: String,
    /// Graph tokens whose signature and claims were checked, with the caller each names and
    /// its expiry (see `graph::authenticate`).
    pub(crate) verified: Mutex<HashMap<String, (graph::Caller, u64)>>,
    urls: OnceLock<[String; 3]>,
    data: Mutex<Data>,
}

impl Sim {
    fn data(&self) -> std::sync::MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(|p| p.into_inner())
    }
    pub(crate) fn login_url(&self) -> &str {
        &self.urls.get().expect("bound")[0]
    }
    pub(crate) fn graph_url(&self) -> &str {
        &self.urls.get().expect("bound")[1]
    }
    pub(crate) fn issuer(&self) -> String {
        format!("{}/{TENANT_ID}/v2.0", self.login_url())
    }
    pub(crate) fn page_size(&self) -> usize {
        self.data().page_size
    }
    pub(crate) fn switches(&self) -> EntraSwitches {
        self.data().switches
    }
    pub(crate) fn with_webinars<T>(&self, f: impl FnOnce(&[webinars::Webinar]) -> T) -> T {
        f(&self.data().webinars)
    }
    pub(crate) fn with_webinars_mut<T>(
        &self,
        f: impl FnOnce(&mut Vec<webinars::Webinar>) -> T,
    ) -> T {
        f(&mut self.data().webinars)
    }
    /// The tenant's clock (real time, moved on by tests).
    pub(crate) fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.data().clock_offset
    }
    pub(crate) fn graph_switches(&self) -> GraphSwitches {
        self.data().graph_switches
    }
    pub(crate) fn has_premium(&self, user: &str) -> bool {
        self.data().premium.get(user).copied().unwrap_or(true)
    }
    pub(crate) fn latency(&self) -> Duration {
        self.data().latency
    }
    /// Counts a request against its app's window; `Err(wait)` when the window is full.
    /// Refused requests count too: Graph keeps counting while it throttles.
    pub(crate) fn admit(&self, app: &str, read: bool) -> Result<(), Duration> {
        let window = Duration::from_secs(30).mul_f64(self.config.time_scale);
        let limit = if read { 750 } else { 15 };
        let now = Instant::now();
        let mut data = self.data();
        if read {
            data.stats.reads += 1;
        } else {
            data.stats.writes += 1;
        }
        if !data.graph_switches.throttling {
            return Ok(());
        }
        let arrivals = data.windows.entry((app.to_string(), read)).or_default();
        while arrivals
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            arrivals.pop_front();
        }
        let admitted = arrivals.len() < limit;
        arrivals.push_back(now);
        if admitted {
            return Ok(());
        }
        // Free again when enough of the window's arrivals have aged out.
        let excess = arrivals.len() - limit;
        let wait = (arrivals[excess - 1] + window).saturating_duration_since(now);
        data.stats.throttled += 1;
        Err(wait)
    }
    pub(crate) fn store_pending(&self, pending: PendingAuthorization) -> String {
        let id = random_token();
        self.data().pending.insert(id.clone(), pending);
        id
    }
    pub(crate) fn take_pending(&self, id: &str) -> Option<PendingAuthorization> {
        self.data().pending.remove(id)
    }
    pub(crate) fn store_code(
        &self,
        pending: PendingAuthorization,
        account: &'static DemoAccount,
    ) -> String {
        let code = format!("0.demo.{}", random_token());
        self.data().codes.insert(
            code.clone(),
            IssuedCode {
                pending,
                account,
                issued: Instant::now(),
            },
        );
        code
    }
    pub(crate) fn take_code(&self, code: &str) -> Result<IssuedCode, CodeProblem> {
        let mut data = self.data();
        if data.redeemed.contains(code) {
            return Err(CodeProblem::AlreadyRedeemed);
        }
        let issued = data.codes.remove(code).ok_or(CodeProblem::Unknown)?;
        data.redeemed.insert(code.to_string());
        if issued.issued.elapsed() > CODE_LIFETIME {
            return Err(CodeProblem::Expired);
        }
        Ok(issued)
    }
    pub(crate) fn mint_refresh_token(&self, account: &DemoAccount, scopes: &[String]) -> String {
        self.key.sign(&RefreshClaims {
            sub: account.object_id.to_string(),
            aud: REFRESH_AUDIENCE.into(),
            client_id: DESKTOP_CLIENT_ID.into(),
            scopes: scopes.to_vec(),
            exp: Utc::now().timestamp() + 90 * 24 * 3600,
            jti: random_token(),
        })
    }
    pub(crate) fn verify_refresh_token(&self, raw: &str) -> Result<RefreshClaims, RefreshProblem> {
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.set_audience(&[REFRESH_AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "aud"]);
        let claims =
            jsonwebtoken::decode::<RefreshClaims>(raw, &self.key.decoding_key(), &validation)
                .map_err(|e| match e.kind() {
                    jsonwebtoken::errors::ErrorKind::ExpiredSignature => RefreshProblem::Expired,
                    _ => RefreshProblem::Invalid,
                })?
                .claims;
        if self.data().revoked.contains(&claims.jti) || claims.client_id != DESKTOP_CLIENT_ID {
            return Err(RefreshProblem::Revoked);
        }
        Ok(claims)
    }
    /// Checks a companion's client assertion (certificate credential) as Entra does: a
    /// registered `x5t`, a valid RS256 signature, the token endpoint as audience, the app as
    /// issuer and subject, not expired.
    pub(crate) fn client_assertion_ok(&self, assertion: &str) -> bool {
        let Some(x5t) = jsonwebtoken::decode_header(assertion)
            .ok()
            .and_then(|h| h.x5t)
        else {
            return false;
        };
        let Some(key) = self.data().companion_certificates.get(&x5t).cloned() else {
            return false;
        };
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.set_audience(&[format!(
            "{}/{TENANT_ID}/oauth2/v2.0/token",
            self.login_url()
        )]);
        validation.set_issuer(&[COMPANION_CLIENT_ID]);
        validation.sub = Some(COMPANION_CLIENT_ID.to_string());
        jsonwebtoken::decode::<Value>(assertion, &key.decoding_key(), &validation).is_ok()
    }

    pub(crate) fn data_stats(&self) -> GraphStats {
        self.data().stats
    }
    pub(crate) fn push_fault(&self, fault: GraphFault) {
        self.data().faults.push(fault);
    }
    pub(crate) fn set_switches_graph(&self, switches: GraphSwitches) {
        self.data().graph_switches = switches;
    }
    pub(crate) fn set_latency_ms(&self, millis: u64) {
        self.data().latency = Duration::from_millis(millis);
    }
    pub(crate) fn advance(&self, by: chrono::Duration) {
        self.data().clock_offset += by;
    }
    pub(crate) fn set_premium_for(&self, object_id: &str, premium: bool) {
        self.data().premium.insert(object_id.to_string(), premium);
    }
    pub(crate) fn teams_edit(&self, id: &str, edit: impl FnOnce(&mut webinars::Webinar)) -> bool {
        self.with_webinars_mut(|ws| match ws.iter_mut().find(|w| w.id == id) {
            Some(w) => {
                edit(w);
                true
            }
            None => false,
        })
    }
    pub(crate) fn restart(&self, id: &str) -> bool {
        use rand::SeedableRng;
        let seed = self.config.seed ^ 0xA11;
        self.teams_edit(id, |w| {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed ^ w.reports.len() as u64);
            w.restart_meeting(
                &mut rng,
                chrono::Duration::minutes(12),
                webinars::REPORT_DELAY,
            );
        })
    }

    pub(crate) fn take_graph_fault(&self, method: &Method, path: &str) -> Option<GraphFault> {
        let mut data = self.data();
        let index = data.faults.iter().position(|f| {
            f.times > 0
                && path.contains(&f.path_contains)
                && f.method.as_ref().is_none_or(|m| m == method)
        })?;
        if data.faults[index].skip > 0 {
            data.faults[index].skip -= 1;
            return None;
        }
        data.faults[index].times -= 1;
        let fault = data.faults[index].clone();
        data.faults.retain(|f| f.times > 0);
        Some(fault)
    }
}

fn random_token() -> String {
    use rand::Rng;
    let bytes: [u8; 24] = rand::thread_rng().r#gen();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A Graph access token for a demo account signed with `key`, as the On-Behalf-Of grant issues
/// them (`tenant-sim token` uses the key a running tenant keeps in its state folder).
pub fn graph_access_token(key: &SigningKey, account: &str, lifetime_secs: i64) -> String {
    let a = directory::account(account).expect("a demo account");
    let now = Utc::now().timestamp();
    key.sign(&json!({
        "aud": "https://graph.microsoft.com", "iss": format!("https://sts.windows.net/{TENANT_ID}/"),
        "iat": now, "nbf": now, "exp": now + lifetime_secs,
        "tid": TENANT_ID, "oid": a.object_id, "upn": a.username, "name": a.display_name,
        "scp": "VirtualEvent.ReadWrite OnlineMeetingArtifact.Read.All User.Read", "appid": COMPANION_CLIENT_ID,
        "idtyp": "user", "ver": "1.0",
    }))
}

/// A running simulated tenant. Dropping it stops the servers.
#[derive(Debug)]
pub struct SimHandle {
    sim: Arc<Sim>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Starts the tenant on loopback: Entra, Graph and the companion on their own ports.
pub async fn start(config: SimConfig) -> std::io::Result<SimHandle> {
    let key = match &config.state_dir {
        Some(dir) => SigningKey::load_or_create(dir)?,
        None => SigningKey::generate(),
    };
    let mut listeners = Vec::new();
    for port in config.ports {
        listeners.push(TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?);
    }
    let url = |l: &TcpListener| -> std::io::Result<String> {
        Ok(format!("http://127.0.0.1:{}", l.local_addr()?.port()))
    };
    let urls = [
        url(&listeners[0])?,
        url(&listeners[1])?,
        url(&listeners[2])?,
    ];
    let webinars = webinars::seed(config.seed, config.now);
    let page_size = config.page_size.max(1);
    let premium = directory::ACCOUNTS
        .iter()
        .map(|a| (a.object_id.to_string(), a.teams_premium))
        .collect();
    let sim = Arc::new(Sim {
        key,
        companion_secret: format!("demo~{}", random_token()),
        verified: Mutex::default(),
        urls: OnceLock::new(),
        data: Mutex::new(Data {
            webinars,
            page_size,
            premium,
            graph_switches: GraphSwitches::default(),
            ..Data::default()
        }),
        config,
    });
    sim.urls.set(urls.clone()).expect("set once");

    let companion = Companion::new(CompanionConfig::new(
        url::Url::parse(&urls[0]).expect("loopback URL"),
        TENANT_ID,
        COMPANION_CLIENT_ID,
        Credential::ClientSecret(sim.companion_secret.clone()),
        vec![DESKTOP_CLIENT_ID.to_string()],
    ));
    let routers = [
        entra::router(sim.clone()),
        graph::router(sim.clone()),
        Arc::new(companion).router(),
    ];
    let tasks = listeners
        .into_iter()
        .zip(routers)
        .map(|(listener, router)| {
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, router).await {
                    tracing::error!("simulated tenant server stopped: {e}");
                }
            })
        })
        .collect();
    tracing::info!(
        entra = urls[0],
        graph = urls[1],
        companion = urls[2],
        "simulated tenant started"
    );
    Ok(SimHandle { sim, tasks })
}

impl SimHandle {
    /// Entra's base URL (the "authority").
    pub fn authority_url(&self) -> &str {
        self.sim.login_url()
    }
    /// Graph's base URL (without `/v1.0`).
    pub fn graph_url(&self) -> &str {
        self.sim.graph_url()
    }
    pub fn companion_url(&self) -> &str {
        &self.sim.urls.get().expect("bound")[2]
    }
    pub fn tenant_id(&self) -> &'static str {
        TENANT_ID
    }
    pub fn desktop_client_id(&self) -> &'static str {
        DESKTOP_CLIENT_ID
    }
    pub fn companion_scope(&self) -> String {
        directory::companion_scope()
    }
    /// The issuer of v2 access tokens.
    pub fn issuer(&self) -> String {
        self.sim.issuer()
    }
    /// The signing key's id (`kid`).
    pub fn key_id(&self) -> &str {
        &self.sim.key.kid
    }
    /// Everything a client needs, as one JSON object (what `tenant-sim serve` prints).
    pub fn describe(&self) -> Value {
        json!({
            "authority_url": self.authority_url(),
            "graph_url": self.graph_url(),
            "companion_url": self.companion_url(),
            "tenant_id": TENANT_ID,
            "client_id": DESKTOP_CLIENT_ID,
            "companion_scope": self.companion_scope(),
            "accounts": directory::ACCOUNTS.iter().map(|a| json!({"handle": a.handle, "username": a.username, "name": a.display_name})).collect::<Vec<_>>(),
        })
    }

    pub fn set_page_size(&self, size: usize) {
        self.sim.data().page_size = size.max(1);
    }
    pub fn inject_graph_fault(&self, fault: GraphFault) {
        self.sim.push_fault(fault);
    }
    /// Registers a certificate on the companion's app registration, by its SHA-1 thumbprint
    /// (hex, as Entra shows it); its public key verifies the companion's client assertions.
    pub fn register_companion_certificate(&self, thumbprint_sha1_hex: &str, key: &SigningKey) {
        use base64::Engine;
        let bytes: Vec<u8> = (0..thumbprint_sha1_hex.len())
            .step_by(2)
            .filter_map(|i| u8::from_str_radix(thumbprint_sha1_hex.get(i..i + 2)?, 16).ok())
            .collect();
        let x5t = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        self.sim
            .data()
            .companion_certificates
            .insert(x5t, key.clone());
    }

    pub fn set_entra_switches(&self, switches: EntraSwitches) {
        self.sim.data().switches = switches;
    }
    /// Revokes every refresh token issued so far (an admin "revoke sessions").
    pub fn revoke_refresh_token(&self, raw: &str) {
        if let Ok(claims) = self.sim.verify_refresh_token(raw) {
            self.sim.data().revoked.insert(claims.jti);
        }
    }
    /// A snapshot of the tenant's webinars.
    pub fn webinars(&self) -> Vec<webinars::Webinar> {
        self.sim.with_webinars(<[_]>::to_vec)
    }

    /// Signs arbitrary claims with the tenant's key (tokens for tests and for other clients).
    pub fn mint(&self, claims: &Value) -> String {
        self.sim.key.sign(claims)
    }
    /// Signs claims with a different key while naming the tenant's `kid`: a forged token.
    pub fn mint_forged(&self, claims: &Value) -> String {
        SigningKey::generate().sign_as(&self.sim.key.kid, claims)
    }

    /// Claims of a valid companion-API access token for a demo account, to alter in tests.
    pub fn companion_token_claims(&self, account: &str) -> Value {
        let a = directory::account(account).expect("a demo account");
        let now = Utc::now().timestamp();
        json!({
            "aud": COMPANION_CLIENT_ID, "iss": self.issuer(), "iat": now, "nbf": now, "exp": now + 3600,
            "tid": TENANT_ID, "oid": a.object_id, "name": a.display_name, "preferred_username": a.username,
            "scp": "access_as_user", "azp": DESKTOP_CLIENT_ID, "ver": "2.0",
        })
    }

    /// A Graph access token for a demo account, as the On-Behalf-Of grant issues them.
    pub fn graph_token(&self, account: &str) -> String {
        graph_access_token(&self.sim.key, account, self.sim.config.token_lifetime_secs)
    }

    /// Switches documented-versus-observed Graph behaviours.
    pub fn set_graph_switches(&self, switches: GraphSwitches) {
        self.sim.set_switches_graph(switches);
    }
    pub fn graph_switches(&self) -> GraphSwitches {
        self.sim.graph_switches()
    }
    /// Gives or takes an account's Teams Premium licence.
    pub fn set_premium(&self, account: &str, premium: bool) {
        let a = directory::account(account).expect("a demo account");
        self.sim.set_premium_for(a.object_id, premium);
    }
    /// Delays every Graph answer by this much (a slow or distant service).
    pub fn set_latency(&self, latency: Duration) {
        self.sim.data().latency = latency;
    }
    /// Moves the tenant's clock on (attendance reports appear minutes after a meeting ends).
    pub fn advance_clock(&self, by: chrono::Duration) {
        self.sim.advance(by);
    }
    /// The tenant's current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.sim.now()
    }
    pub fn graph_stats(&self) -> GraphStats {
        self.sim.data().stats
    }
    /// Someone edits a webinar directly in Teams.
    pub fn edit_in_teams(&self, id: &str, edit: impl FnOnce(&mut webinars::Webinar)) -> bool {
        self.sim.teams_edit(id, edit)
    }
    /// The webinar disappears from Teams (Graph answers 404 for it from now on).
    pub fn delete_in_teams(&self, id: &str) -> bool {
        self.sim.with_webinars_mut(|ws| {
            let before = ws.len();
            ws.retain(|w| w.id != id);
            ws.len() < before
        })
    }
    /// Someone cancels a webinar directly in Teams.
    pub fn cancel_in_teams(&self, id: &str) -> bool {
        self.edit_in_teams(id, |w| w.status = "canceled".into())
    }
    /// The meeting of a webinar is started again after it ended: a second attendance report
    /// follows, a report delay after the restarted meeting ends.
    pub fn restart_meeting(&self, id: &str) -> bool {
        self.sim.restart(id)
    }
    /// Adds a published series with generated registrations and attendance; returns the
    /// webinar ids in session order.
    pub fn add_series(&self, spec: &SeriesSpec) -> Vec<String> {
        use rand::SeedableRng;
        let organizer = directory::account(spec.organizer).expect("a demo account");
        let now = self.sim.now();
        let mut data = self.sim.data();
        data.generated += 1;
        let mut rng = rand::rngs::StdRng::seed_from_u64(
            self.sim
                .config
                .seed
                .wrapping_mul(31)
                .wrapping_add(data.generated),
        );
        let audience = people::audience(&mut rng, spec.registrations * 2);
        let mut ids = Vec::new();
        for n in 0..spec.sessions {
            let start = spec.first_start + spec.every * n as i32;
            let mut w = webinars::Webinar::draft(
                &mut rng,
                organizer.object_id,
                &format!("{} — Session {}", spec.title, n + 1),
                start,
                spec.length,
            );
            w.status = "published".into();
            w.populate(
                &mut rng,
                people::Crowd {
                    registrations: spec.registrations,
                    records: spec.records,
                },
                Some(&audience),
                now,
                webinars::REPORT_DELAY,
            );
            ids.push(w.id.clone());
            data.webinars.push(w);
        }
        ids
    }

    /// Stops all three servers (also done on drop).
    pub fn stop(self) {}
}
