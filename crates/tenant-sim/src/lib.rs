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
        }
    }
}

/// A Graph failure to inject: the next `times` requests whose path contains `path_contains`
/// (and whose method matches, if given) get this error.
#[derive(Debug, Clone)]
pub struct GraphFault {
    pub method: Option<Method>,
    pub path_contains: String,
    pub status: u16,
    pub code: String,
    pub message: String,
    pub retry_after_secs: Option<u64>,
    pub times: u32,
}

/// Entra behaviours tests can switch on.
#[derive(Debug, Clone, Copy, Default)]
pub struct EntraSwitches {
    /// The On-Behalf-Of grant answers `interaction_required` (MFA by Conditional Access).
    pub mfa_required: bool,
    /// The On-Behalf-Of grant answers `invalid_grant` AADSTS65001 (no consent).
    pub consent_missing: bool,
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
}

/// The shared state behind all three servers.
#[derive(Debug)]
pub struct Sim {
    pub(crate) config: SimConfig,
    pub(crate) key: SigningKey,
    pub(crate) companion_secret: String,
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

    pub(crate) fn take_graph_fault(&self, method: &Method, path: &str) -> Option<GraphFault> {
        let mut data = self.data();
        let index = data.faults.iter().position(|f| {
            f.times > 0
                && path.contains(&f.path_contains)
                && f.method.as_ref().is_none_or(|m| m == method)
        })?;
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
        "scp": "VirtualEvent.ReadWrite OnlineMeetingArtifact.Read.All", "appid": COMPANION_CLIENT_ID,
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
    let sim = Arc::new(Sim {
        key,
        companion_secret: format!("demo~{}", random_token()),
        urls: OnceLock::new(),
        data: Mutex::new(Data {
            webinars,
            page_size,
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
        self.sim.data().faults.push(fault);
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

    /// Stops all three servers (also done on drop).
    pub fn stop(self) {}
}
