//! Shared fixtures for Webinar Desk's cross-crate and end-to-end tests: a simulated tenant with
//! matching settings, a scripted "system browser", a temporary app home, and a validator that
//! holds JSON to the Graph v1.0 schema in `shared/reference`.
//!
//! Fakes live only at process boundaries: the tenant (tenant-sim), the browser (an HTTP client
//! acting as the user), the keychain (in memory), the disk (temp folders).

pub mod desktop;
pub mod schema;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use webinar_desk_core::Desk;
use webinar_desk_core::auth::{MemoryKeychain, SignInOptions};
use webinar_desk_core::config::{Paths, Profile, TenantSettings};
use webinar_desk_core::graph::{GraphClient, RetryPolicy};

pub use tenant_sim::{SimConfig, SimHandle};

/// Starts a simulated tenant with the given page size and a fresh key.
pub async fn start_tenant(page_size: usize) -> SimHandle {
    tenant_sim::start(SimConfig {
        page_size,
        ..SimConfig::default()
    })
    .await
    .expect("tenant-sim starts")
}

/// The settings an organizer would enter for this tenant.
pub fn settings_for(sim: &SimHandle) -> TenantSettings {
    serde_json::from_value(sim.describe()).expect("describe() carries tenant settings")
}

/// A browser that signs in as `account` at once: it opens the authorize URL with
/// `prompt=none&login_hint=…` (an existing browser session in Entra's terms) and follows the
/// redirect to the app's loopback listener, as a real browser would.
pub fn browser_as(account: &'static str) -> impl Fn(&str) -> Result<(), String> + Send + Sync {
    move |url: &str| {
        let mut url = url::Url::parse(url).map_err(|e| e.to_string())?;
        url.query_pairs_mut().append_pair("login_hint", account);
        let url = with_prompt_none(url);
        tokio::spawn(async move {
            let response = reqwest::Client::new().get(url).send().await;
            if let Err(e) = response {
                eprintln!("scripted browser failed: {e}");
            }
        });
        Ok(())
    }
}

fn with_prompt_none(url: url::Url) -> url::Url {
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "prompt")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut url = url;
    url.query_pairs_mut()
        .clear()
        .extend_pairs(pairs)
        .append_pair("prompt", "none");
    url
}

/// `GET url` with a bearer token, as any Graph client would; the answer must be a success and
/// JSON.
pub async fn graph_get(url: &str, token: &str) -> serde_json::Value {
    let r = reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{url}: {}", r.status());
    r.json()
        .await
        .unwrap_or_else(|e| panic!("{url}: not JSON: {e}"))
}

thread_local! {
    static LOG_SINK: std::cell::RefCell<Option<Arc<std::sync::Mutex<Vec<u8>>>>> =
        const { std::cell::RefCell::new(None) };
}

/// Captures every log line emitted on this thread (at TRACE) until dropped.
///
/// One global subscriber routes each line to the capturing thread's buffer. Scoped subscribers
/// (`set_default`) are not reliable here: callsites first hit by other test threads can keep a
/// cached "not interested" and their lines are lost.
#[derive(Debug)]
pub struct LogCapture {
    buffer: Arc<std::sync::Mutex<Vec<u8>>>,
}

impl LogCapture {
    pub fn start() -> Self {
        static GLOBAL: std::sync::Once = std::sync::Once::new();
        GLOBAL.call_once(|| {
            let subscriber = tracing_subscriber::fmt()
                .with_writer(|| ThreadSink)
                .with_max_level(tracing::Level::TRACE)
                .with_ansi(false)
                .finish();
            tracing::subscriber::set_global_default(subscriber)
                .expect("no other global subscriber in the test binary");
        });
        let buffer = Arc::new(std::sync::Mutex::new(Vec::new()));
        LOG_SINK.with(|s| *s.borrow_mut() = Some(buffer.clone()));
        Self { buffer }
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.buffer.lock().unwrap()).into_owned()
    }
}

impl Drop for LogCapture {
    fn drop(&mut self) {
        LOG_SINK.with(|s| *s.borrow_mut() = None);
    }
}

struct ThreadSink;

impl std::io::Write for ThreadSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOG_SINK.with(|s| {
            if let Some(b) = s.borrow().as_ref() {
                b.lock().unwrap().extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Hands out one fixed Graph token (a demo account's, minted by the tenant) and counts forced
/// renewals: the Graph client's view of a signed-in session, without the sign-in.
#[derive(Debug)]
pub struct FixedTokens {
    token: String,
    pub renewals: std::sync::atomic::AtomicUsize,
}

impl webinar_desk_core::auth::GraphTokens for FixedTokens {
    fn graph_token(
        &self,
        renew: bool,
    ) -> std::pin::Pin<
        Box<
            dyn std::future::Future<
                    Output = Result<
                        webinar_desk_core::auth::Secret,
                        webinar_desk_core::auth::AuthError,
                    >,
                > + Send
                + '_,
        >,
    > {
        if renew {
            self.renewals
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        let token = webinar_desk_core::auth::Secret::new(self.token.clone());
        Box::pin(async move { Ok(token) })
    }
}

/// The core's Graph client for a demo account on the simulated tenant, with quick retries.
pub fn graph_client(sim: &SimHandle, account: &str) -> (GraphClient, Arc<FixedTokens>) {
    let tokens = Arc::new(FixedTokens {
        token: sim.graph_token(account),
        renewals: Default::default(),
    });
    let url = url::Url::parse(sim.graph_url()).expect("graph URL");
    let client = GraphClient::new(webinar_desk_core::auth::http_client(), &url, tokens.clone())
        .with_retry(RetryPolicy {
            max_attempts: 4,
            base_delay: std::time::Duration::from_millis(50),
            max_delay: std::time::Duration::from_millis(400),
            max_wait: std::time::Duration::from_secs(10),
        });
    (client, tokens)
}

/// A temporary app home (config, data, logs) removed when dropped.
#[derive(Debug)]
pub struct Home {
    pub dir: tempfile::TempDir,
}

impl Home {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }
    pub fn paths(&self) -> Paths {
        Paths::under(self.dir.path())
    }
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Default for Home {
    fn default() -> Self {
        Self::new()
    }
}

/// A desk on the simulated tenant, with an in-memory keychain.
pub fn desk(home: &Home, sim: &SimHandle, keychain: Arc<MemoryKeychain>) -> Desk {
    let tenant = settings_for(sim)
        .validate()
        .expect("simulated tenant settings are valid");
    Desk::new(home.paths(), Profile::Configured, Some(tenant), keychain).expect("desk opens")
}

/// Signs `account` in through the real flow.
pub async fn signed_in(
    home: &Home,
    sim: &SimHandle,
    keychain: Arc<MemoryKeychain>,
    account: &'static str,
) -> Desk {
    let desk = desk(home, sim, keychain);
    let browser = browser_as(account);
    desk.sign_in(&SignInOptions::default(), &browser)
        .await
        .expect("sign-in succeeds");
    desk
}

/// Every file below `dir`, recursively.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The workspace's root folder.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}
