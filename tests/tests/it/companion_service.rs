//! The companion as IT deploys it: the real binary configured only by environment variables
//! (a certificate credential in a mounted file), ready once it holds the tenant's keys, logging
//! JSON lines, stateless — two replicas behind a load balancer serve one desktop in turn, and
//! one stopping does not stop the desktop — and stopping cleanly on SIGTERM.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tenant_sim::SigningKey;
use tenant_sim::directory::{COMPANION_CLIENT_ID, DESKTOP_CLIENT_ID};
use webinar_desk_core::Desk;
use webinar_desk_core::auth::{MemoryKeychain, SignInOptions};
use webinar_desk_core::config::Profile;
use webinar_desk_tests::desktop::app_binary;
use webinar_desk_tests::{Home, SimHandle, browser_as, settings_for, start_tenant};

const THUMBPRINT: &str = "5c1e0d2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d";

fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// The simulated tenant's two app registrations, as an administrator sets them.
fn app_registrations(sim: &SimHandle, authority: &str) -> Vec<(&'static str, String)> {
    vec![
        (
            "WEBINAR_DESK_COMPANION_AUTHORITY_URL",
            authority.to_string(),
        ),
        (
            "WEBINAR_DESK_COMPANION_TENANT_ID",
            sim.tenant_id().to_string(),
        ),
        (
            "WEBINAR_DESK_COMPANION_CLIENT_ID",
            COMPANION_CLIENT_ID.to_string(),
        ),
        (
            "WEBINAR_DESK_COMPANION_ALLOWED_CLIENT_APPS",
            DESKTOP_CLIENT_ID.to_string(),
        ),
    ]
}

/// A companion process and the JSON lines it logged so far.
struct Replica {
    child: Child,
    addr: SocketAddr,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Replica {
    fn start(sim: &SimHandle, key_file: &Path) -> Self {
        let mut vars = app_registrations(sim, sim.authority_url());
        vars.push((
            "WEBINAR_DESK_COMPANION_CERTIFICATE_KEY_FILE",
            key_file.display().to_string(),
        ));
        vars.push((
            "WEBINAR_DESK_COMPANION_CERTIFICATE_THUMBPRINT",
            THUMBPRINT.to_string(),
        ));
        Self::start_with(&vars)
    }

    /// The companion binary with only these variables (and a free port to listen on).
    fn start_with(vars: &[(&str, String)]) -> Self {
        let addr = free_addr();
        let binary = app_binary().with_file_name("webinar-desk-companion");
        let mut child = Command::new(&binary)
            .env_clear()
            .env("WEBINAR_DESK_COMPANION_LISTEN", addr.to_string())
            .envs(vars.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("{} does not start: {e}", binary.display()));
        let lines = Arc::new(Mutex::new(Vec::new()));
        let out = child.stdout.take().unwrap();
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Self { child, addr, lines }
    }

    async fn wait_ready(&self) -> serde_json::Value {
        let url = format!("http://{}/ready", self.addr);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = reqwest::get(&url).await
                && r.status().is_success()
            {
                return r.json().await.unwrap();
            }
            assert!(Instant::now() < deadline, "{url} never answered ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// How many Graph tokens this replica issued, from its JSON log.
    fn grants(&self) -> usize {
        self.logged()
            .iter()
            .filter(|l| l["message"] == "graph token issued on behalf of user")
            .count()
    }

    fn logged(&self) -> Vec<serde_json::Value> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("a log line is not JSON ({e}): {l}"))
            })
            .collect()
    }
}

/// A TCP load balancer on loopback: each connection goes to the next replica that accepts one
/// (round robin; a replica that refuses is passed over, as a health-checked balancer would).
async fn balancer(replicas: Vec<SocketAddr>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut next = 0usize;
        while let Ok((mut inbound, _)) = listener.accept().await {
            let mut outbound = None;
            for i in 0..replicas.len() {
                let target = replicas[(next + i) % replicas.len()];
                if let Ok(s) = tokio::net::TcpStream::connect(target).await {
                    next = next + i + 1;
                    outbound = Some(s);
                    break;
                }
            }
            if let Some(mut outbound) = outbound {
                tokio::spawn(async move {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                });
            }
        }
    });
    addr
}

/// One launch of the desktop app on `home`: its own HTTP connections, the sign-in it finds in
/// the keychain.
fn launch(
    home: &Home,
    sim: &SimHandle,
    companion: SocketAddr,
    keychain: Arc<MemoryKeychain>,
) -> Desk {
    let mut settings = settings_for(sim);
    settings.companion_url = format!("http://{companion}");
    let tenant = settings.validate().expect("settings are valid");
    Desk::new(home.paths(), Profile::Configured, Some(tenant), keychain).expect("desk opens")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_configured_from_the_environment_serve_one_desktop_in_turn() {
    let sim = start_tenant(20).await;
    let certificate = SigningKey::generate();
    sim.register_companion_certificate(THUMBPRINT, &certificate);
    let secrets = tempfile::tempdir().unwrap();
    let key_file = secrets.path().join("companion-key.pem");
    std::fs::write(&key_file, certificate.private_pem()).unwrap();

    let mut a = Replica::start(&sim, &key_file);
    let b = Replica::start(&sim, &key_file);
    for replica in [&a, &b] {
        let ready = replica.wait_ready().await;
        assert_eq!(ready["status"], "ready", "{ready}");
        assert!(ready["signing_keys"].as_u64() >= Some(1), "{ready}");
    }
    let front = balancer(vec![a.addr, b.addr]).await;

    let home = Home::new();
    let keychain = Arc::new(MemoryKeychain::default());
    let first = launch(&home, &sim, front, keychain.clone());
    first
        .sign_in(&SignInOptions::default(), &browser_as("organizer"))
        .await
        .expect("sign-in through the balancer");
    let listed = first
        .sync_webinars(chrono::Utc::now())
        .await
        .expect("sync through replica A");
    drop(first);

    // The app started again: a new connection, so the other replica, which has never seen this
    // user, exchanges the token just the same.
    let second = launch(&home, &sim, front, keychain.clone());
    second.resume().await;
    let again = second
        .sync_webinars(chrono::Utc::now())
        .await
        .expect("sync through replica B");
    assert_eq!(
        listed.webinars, again.webinars,
        "both replicas list the same webinars"
    );
    drop(second);
    assert_eq!(
        (a.grants(), b.grants()),
        (1, 1),
        "each replica issued one Graph token for the one desktop"
    );

    // Replica A stops; the desktop goes on through B.
    let _ = a.child.kill();
    let _ = a.child.wait();
    let third = launch(&home, &sim, front, keychain);
    third.resume().await;
    third
        .sync_webinars(chrono::Utc::now())
        .await
        .expect("sync with one replica left");
    assert_eq!(b.grants(), 2);
}

#[tokio::test]
async fn sigterm_stops_a_replica_cleanly_and_it_says_so_in_json() {
    let sim = start_tenant(20).await;
    let certificate = SigningKey::generate();
    let secrets = tempfile::tempdir().unwrap();
    let key_file = secrets.path().join("companion-key.pem");
    std::fs::write(&key_file, certificate.private_pem()).unwrap();
    let mut replica = Replica::start(&sim, &key_file);
    replica.wait_ready().await;
    let health: serde_json::Value = reqwest::get(format!("http://{}/health", replica.addr))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["tenant_id"], sim.tenant_id());

    let status = Command::new("kill")
        .args(["-TERM", &replica.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = replica.child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "SIGTERM did not stop the companion within 10 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "the companion ended with {exit} on SIGTERM");
    // The reader thread may still be draining the pipe.
    std::thread::sleep(Duration::from_millis(200));
    let messages: Vec<String> = replica
        .logged()
        .iter()
        .map(|l| l["message"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        messages.iter().any(|m| m == "companion listening")
            && messages.iter().any(|m| m == "companion stopped"),
        "{messages:?}"
    );
}

#[tokio::test]
async fn not_ready_while_the_tenants_keys_cannot_be_fetched() {
    let sim = start_tenant(20).await;
    // Entra is somewhere nothing listens.
    let nowhere = free_addr();
    let mut vars = app_registrations(&sim, &format!("http://{nowhere}"));
    vars.push(("WEBINAR_DESK_COMPANION_SECRET", "s".to_string()));
    let replica = Replica::start_with(&vars);
    let addr = replica.addr;
    let deadline = Instant::now() + Duration::from_secs(20);
    let answer = loop {
        match reqwest::get(format!("http://{addr}/ready")).await {
            Ok(r) => break r,
            Err(_) => {
                assert!(Instant::now() < deadline, "the companion never listened");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    assert_eq!(answer.status(), 503);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert!(
        body["reason"]
            .as_str()
            .is_some_and(|r| r.contains("signing keys")),
        "{body}"
    );
    // Alive all the same: the platform restarts nothing, it only holds traffic back.
    let health = reqwest::get(format!("http://{addr}/health")).await.unwrap();
    assert_eq!(health.status(), 200);
}

/// The deployment examples, the admin guide and the README name only variables the companion
/// or the desktop reads (the desktop's pushed settings share the `WEBINAR_DESK_COMPANION_`
/// start for its companion address and scope), and the guide names every one of them.
#[test]
fn the_deployment_files_and_the_guide_name_the_variables_that_are_read() {
    let root = webinar_desk_tests::workspace_root();
    let companion: Vec<&str> = webinar_desk_companion::config::ENV
        .iter()
        .map(|(name, _)| *name)
        .collect();
    let desktop: Vec<&str> = webinar_desk_core::config::MANAGED_ENV
        .iter()
        .map(|(name, _)| *name)
        .chain([webinar_desk_core::updates::FEED_ENV])
        .collect();
    let named_in = |file: &str| -> Vec<String> {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        let mut names: Vec<String> = text
            .match_indices("WEBINAR_DESK_")
            .map(|(at, _)| {
                text[at..]
                    .chars()
                    .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                    .collect()
            })
            .collect();
        names.sort();
        names.dedup();
        names
    };
    // Also read, outside these lists: the folder override and the test-only variables.
    let others = [
        "WEBINAR_DESK_HOME",
        "WEBINAR_DESK_UPDATE_PUBKEY",
        "WEBINAR_DESK_EXPORT_DIR",
        "WEBINAR_DESK_TEST_DEB",
        "WEBINAR_DESK_TEST_RPM",
        "WEBINAR_DESK_E2E_PROFILE",
    ];
    for file in [
        "deploy/companion/Dockerfile",
        "deploy/companion/kubernetes.yaml",
        "docs/admin-guide.md",
        "README.md",
    ] {
        for name in named_in(file) {
            assert!(
                companion.contains(&name.as_str())
                    || desktop.contains(&name.as_str())
                    || others.contains(&name.as_str()),
                "{file} names {name}, which nothing reads (the companion reads {companion:?}, the desktop {desktop:?})"
            );
        }
    }
    let guide = named_in("docs/admin-guide.md");
    for name in companion.iter().chain(&desktop) {
        assert!(
            guide.iter().any(|g| g == name),
            "docs/admin-guide.md does not document {name}"
        );
    }
}
