//! Driving the real Webinar Desk window end to end: a private X display (Xvfb), a private D-Bus
//! session with an unlocked GNOME Keyring (the real Secret Service the app files its refresh
//! token in), tauri-driver with WebKitWebDriver, and a WebDriver session through fantoccini.
//!
//! The system browser is the one fake, at the process boundary: an `xdg-open` placed first on the
//! app's PATH records the URL it is asked to open, and the test then acts as the user's browser.
//! Everything started here is stopped when [`Desktop`] is dropped (SIGTERM, then kill).

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

/// Every WebDriver step gets at most this long.
pub const STEP: Duration = Duration::from_secs(30);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The built app; `cargo xtask test` builds it before running the tests.
pub fn app_binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::workspace_root().join("target"));
    // WEBINAR_DESK_E2E_PROFILE=release drives a release build (for the benchmark figures).
    let profile = std::env::var("WEBINAR_DESK_E2E_PROFILE").unwrap_or_else(|_| "debug".into());
    target
        .join(profile)
        .join(format!("webinar-desk{}", std::env::consts::EXE_SUFFIX))
}

pub fn cli_binary() -> PathBuf {
    app_binary().with_file_name(format!("webinar-desk-cli{}", std::env::consts::EXE_SUFFIX))
}

/// Starts GNOME Keyring in the current D-Bus session, unlocked, and waits (up to 5 s) until it
/// owns the Secret Service name and its default collection answers as unlocked. `--unlock`
/// returns before the daemon has taken the name: a program asking meanwhile had D-Bus start a
/// second, locked daemon ("unlock prompt was dismissed", seen once under load). The wait asks
/// the bus who owns the name first, which starts nothing.
const UNLOCKED_KEYRING: &str = "printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; \
     i=0; until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
             org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null \
             | grep -q 'boolean true' \
         && dbus-send --session --print-reply --dest=org.freedesktop.secrets \
             /org/freedesktop/secrets/aliases/default org.freedesktop.DBus.Properties.Get \
             string:org.freedesktop.Secret.Collection string:Locked 2>/dev/null \
             | grep -q 'boolean false'; \
     do [ $i -ge 50 ] && break; sleep 0.1; i=$((i+1)); done";

/// Runs `program` inside a private D-Bus session whose GNOME Keyring (kept in `keyring_dir`)
/// is unlocked: the real Secret Service, as on a Linux desktop.
pub fn with_keyring(keyring_dir: &Path, program: &Path, args: &[&str]) -> Command {
    require("dbus-run-session", "apt-get install dbus");
    require("gnome-keyring-daemon", "apt-get install gnome-keyring");
    std::fs::create_dir_all(keyring_dir).unwrap();
    let mut command = grouped("dbus-run-session");
    command
        .args([
            "--",
            "sh",
            "-c",
            &format!("{UNLOCKED_KEYRING}; exec \"$@\""),
            "sh",
        ])
        .arg(program)
        .args(args)
        .env("XDG_DATA_HOME", keyring_dir);
    command
}

pub fn tenant_sim_binary() -> PathBuf {
    app_binary().with_file_name(format!("tenant-sim{}", std::env::consts::EXE_SUFFIX))
}

fn require(tool: &str, hint: &str) -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(tool))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!("end-to-end tests need `{tool}` on PATH: {hint}. `cargo xtask test` installs it.")
    })
}

/// Where screenshots are kept for people to look at.
pub fn artifacts() -> PathBuf {
    let dir = crate::workspace_root().join("test-artifacts").join("e2e");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Stops a child started in its own process group, with everything it started: SIGTERM to the
/// group first (so tauri-driver can end WebKitWebDriver and the app), then SIGKILL.
fn stop(child: &mut Child) {
    let group = format!("-{}", child.id());
    let _ = Command::new("kill")
        .args(["-TERM", "--", &group])
        .stderr(Stdio::null())
        .status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = Command::new("kill")
        .args(["-KILL", "--", &group])
        .stderr(Stdio::null())
        .status();
    let _ = child.wait();
}

/// A command in a process group of its own, so [`stop`] reaches its whole tree.
fn grouped(program: &str) -> Command {
    #[cfg_attr(not(unix), allow(unused_mut))]
    let mut command = Command::new(program);
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    command
}

/// A private display, keyring and tauri-driver, shared by the app launches of one test.
pub struct Desktop {
    xvfb: Child,
    driver: Option<Child>,
    pub display: String,
    pub home: PathBuf,
    keyring_dir: PathBuf,
    browser_log: PathBuf,
    bin_dir: PathBuf,
    driver_port: u16,
    /// More variables for the app (set before a launch).
    env: Vec<(String, String)>,
}

impl std::fmt::Debug for Desktop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desktop")
            .field("display", &self.display)
            .field("home", &self.home)
            .finish()
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        if let Some(mut d) = self.driver.take() {
            stop(&mut d);
        }
        stop(&mut self.xvfb);
    }
}

impl Desktop {
    /// Starts Xvfb and prepares a home, keyring folder and fake browser under `scratch`.
    pub fn start(scratch: &Path) -> Self {
        let app = app_binary();
        assert!(
            app.is_file(),
            "the app is not built at {}: run `cargo xtask test`, which builds it first",
            app.display()
        );
        require(
            "tauri-driver",
            "cargo install tauri-driver --version '^2' --locked",
        );
        require("WebKitWebDriver", "apt-get install webkit2gtk-driver");
        require("Xvfb", "apt-get install xvfb");
        require("dbus-run-session", "apt-get install dbus");
        require("gnome-keyring-daemon", "apt-get install gnome-keyring");

        let mut xvfb = grouped("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1280x820x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb starts");
        let mut line = String::new();
        BufReader::new(xvfb.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("Xvfb reports its display");
        let display = format!(":{}", line.trim());

        let home = scratch.join("home");
        let keyring_dir = scratch.join("keyring");
        let bin_dir = scratch.join("bin");
        let browser_log = scratch.join("browser.log");
        for d in [&home, &keyring_dir, &bin_dir] {
            std::fs::create_dir_all(d).unwrap();
        }
        let opener = bin_dir.join("xdg-open");
        std::fs::write(
            &opener,
            "#!/bin/sh\nprintf '%s\\n' \"$1\" >> \"$WD_E2E_BROWSER_LOG\"\n",
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        Self {
            xvfb,
            driver: None,
            display,
            home,
            keyring_dir,
            browser_log,
            bin_dir,
            driver_port: 0,
            env: Vec::new(),
        }
    }

    fn start_driver(&mut self) {
        if let Some(mut d) = self.driver.take() {
            stop(&mut d);
        }
        let port = free_port();
        let native = free_port();
        let path = format!(
            "{}:{}",
            self.bin_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        // One D-Bus session per driver: its keyring lives in XDG_DATA_HOME, which persists
        // across launches, so the next session finds the refresh token the last one filed.
        // The session's address is kept for launches the test makes itself (a second
        // instance must meet the first on the same bus).
        let bus_file = self.bus_file();
        let script = format!(
            "{UNLOCKED_KEYRING}; printf '%s' \"$DBUS_SESSION_BUS_ADDRESS\" > '{}'; \
             exec tauri-driver --port {port} --native-port {native}",
            bus_file.display()
        );
        let driver = grouped("dbus-run-session")
            .args(["--", "sh", "-c", &script])
            .env("DISPLAY", &self.display)
            .env("PATH", path)
            .env("WEBINAR_DESK_HOME", &self.home)
            // Exports skip the native save dialog (WebDriver cannot drive it) and land here.
            .env("WEBINAR_DESK_EXPORT_DIR", self.exports())
            .env("XDG_DATA_HOME", &self.keyring_dir)
            .env("WD_E2E_BROWSER_LOG", &self.browser_log)
            .env("RUST_LOG", "info")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(if std::env::var_os("WD_E2E_VERBOSE").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .expect("tauri-driver starts");
        self.driver = Some(driver);
        self.driver_port = port;
        let deadline = Instant::now() + STEP;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "tauri-driver did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Launches the app with `args` and opens a WebDriver session on its window.
    pub async fn launch(&mut self, args: &[&str]) -> Client {
        self.launch_binary(&app_binary(), args).await
    }

    /// Launches `binary` (the app as built, or as a package installed it) with `args` and opens
    /// a WebDriver session on its window.
    pub async fn launch_binary(&mut self, binary: &Path, args: &[&str]) -> Client {
        self.start_driver();
        let _ = std::fs::remove_file(&self.browser_log);
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "wry".into());
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({"application": binary, "args": args}),
        );
        let url = format!("http://127.0.0.1:{}", self.driver_port);
        // tauri-driver accepts connections before WebKitWebDriver behind it is ready; a
        // session request in that gap is dropped, so retry transport failures for a while.
        let deadline = Instant::now() + STEP;
        loop {
            let mut builder =
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
            builder.capabilities(caps.clone());
            let attempt = builder.connect(&url);
            match tokio::time::timeout(STEP, attempt).await {
                Ok(Ok(client)) => return client,
                Ok(Err(fantoccini::error::NewSessionError::FailedC(e)))
                    if Instant::now() < deadline =>
                {
                    eprintln!("WebDriver not ready yet ({e}); retrying");
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Ok(Err(e)) => panic!("WebDriver session does not open: {e}"),
                Err(_) => panic!("WebDriver session did not open within {STEP:?}"),
            }
        }
    }

    /// Waits until the app asked the system browser to open a URL, and returns it.
    /// Where the app saves exports under test (the save dialog is skipped).
    pub fn exports(&self) -> PathBuf {
        let dir = self.home.join("exports");
        std::fs::create_dir_all(&dir).expect("the exports folder");
        dir
    }

    /// Sets a variable for the app's next launches.
    pub fn set_env(&mut self, name: &str, value: &str) {
        self.env.retain(|(k, _)| k != name);
        self.env.push((name.into(), value.into()));
    }

    /// Puts a program (a shell script) first on the app's PATH: a fake at a process boundary,
    /// as `xdg-open` is the fake browser.
    pub fn add_program(&self, name: &str, script: &str) {
        let path = self.bin_dir.join(name);
        std::fs::write(&path, script).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }

    fn bus_file(&self) -> PathBuf {
        self.bin_dir.with_file_name("dbus-address")
    }

    /// Starts `binary` with `args` as the user would from a launcher: on this desktop's display
    /// and D-Bus session, with the same home, but outside WebDriver.
    pub fn spawn_beside(&self, binary: &Path, args: &[&str]) -> Child {
        let bus = std::fs::read_to_string(self.bus_file())
            .expect("a launch through WebDriver first (it starts the D-Bus session)");
        Command::new(binary)
            .args(args)
            .env("DISPLAY", &self.display)
            .env("DBUS_SESSION_BUS_ADDRESS", bus.trim())
            .env("WEBINAR_DESK_HOME", &self.home)
            .env("XDG_DATA_HOME", &self.keyring_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the app starts")
    }

    pub async fn browser_url(&self) -> String {
        let deadline = Instant::now() + STEP;
        loop {
            if let Ok(text) = std::fs::read_to_string(&self.browser_log)
                && let Some(line) = text.lines().last()
            {
                return line.to_string();
            }
            assert!(
                Instant::now() < deadline,
                "the app never opened the browser"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Acts as the user in the browser: signs in as `account` at the authorize URL (an existing
/// Entra session, `prompt=none`) and follows the redirect back to the app.
pub async fn complete_sign_in(authorize_url: &str, account: &str) {
    let mut url = url::Url::parse(authorize_url).expect("the app opened a URL");
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "prompt")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(pairs)
        .append_pair("prompt", "none")
        .append_pair("login_hint", account);
    let page = reqwest::get(url)
        .await
        .expect("the browser reaches Entra and the app")
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("You are signed in"),
        "the app's loopback page: {page}"
    );
}

pub async fn wait_for(client: &Client, css: &str) -> fantoccini::elements::Element {
    tokio::time::timeout(
        STEP,
        client.wait().at_most(STEP).for_element(Locator::Css(css)),
    )
    .await
    .unwrap_or_else(|_| panic!("timed out waiting for {css}"))
    .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
}

/// Waits until `css` holds text satisfying `check`, and returns that text.
pub async fn wait_for_text(client: &Client, css: &str, check: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + STEP;
    loop {
        let text = match client.find(Locator::Css(css)).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if check(&text) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "{css} never showed the expected text; last: {text:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The visible text of the first element matching `css`.
pub async fn text_of(client: &Client, css: &str) -> String {
    let element = client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"));
    element
        .text()
        .await
        .unwrap_or_else(|e| panic!("text of {css}: {e}"))
}

/// Waits until the webinar table counts a non-empty list, and returns the count text.
pub async fn wait_for_webinars(client: &Client) -> String {
    wait_for_text(client, ".count", |t| {
        t.ends_with("webinars") && !t.starts_with("0 ")
    })
    .await
}

/// Saves a screenshot (after two animation frames, so it shows the current frame).
///
/// WebKit's driver takes the picture at the page's next paint. A page painted without
/// hardware acceleration (the app's choice on a machine without a GPU, see the shell's
/// `rendering`) paints only when something changes, so a still page never gave one and the
/// screenshot waited forever. A pixel in a corner, one step from transparent, changes for the
/// screenshot's sake until it is taken.
pub async fn screenshot(client: &Client, name: &str) -> PathBuf {
    let _ = client
        .execute_async(
            "requestAnimationFrame(() => requestAnimationFrame(() => arguments[0]()))",
            vec![],
        )
        .await;
    let _ = client
        .execute(
            "const p = document.createElement('div');
             p.style.cssText = 'position:fixed;right:0;bottom:0;width:1px;height:1px;pointer-events:none';
             document.body.append(p);
             let odd = false;
             const tick = setInterval(() => {
                 odd = !odd;
                 p.style.background = odd ? 'rgba(0,0,0,0.004)' : 'transparent';
             }, 16);
             window.__screenshotTaken = () => { clearInterval(tick); p.remove(); };",
            vec![],
        )
        .await;
    let png = tokio::time::timeout(STEP, client.screenshot())
        .await
        .expect("screenshot in time")
        .expect("screenshot");
    let _ = client.execute("window.__screenshotTaken?.()", vec![]).await;
    let path = artifacts().join(format!("{name}.png"));
    std::fs::write(&path, png).unwrap();
    path
}

/// Ends the WebDriver session, which closes the app.
pub async fn quit(client: Client) {
    let _ = tokio::time::timeout(STEP, client.close()).await;
}

/// A `tenant-sim serve` process; killed on drop.
pub struct TenantProcess {
    child: Child,
    pub describe: serde_json::Value,
}

impl std::fmt::Debug for TenantProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantProcess")
            .field("describe", &self.describe)
            .finish()
    }
}

impl TenantProcess {
    /// The tenant with small pages (7 items), so paging is exercised everywhere.
    pub fn start(state_dir: &Path) -> Self {
        Self::start_with(state_dir, &["--page-size", "7"])
    }

    /// The tenant with these `serve` arguments (besides `--state-dir`).
    pub fn start_with(state_dir: &Path, args: &[&str]) -> Self {
        let bin = tenant_sim_binary();
        assert!(
            bin.is_file(),
            "tenant-sim is not built at {}: run `cargo xtask test`",
            bin.display()
        );
        let mut child = grouped(bin.to_str().expect("UTF-8 path"))
            .arg("serve")
            .args(args)
            .arg("--state-dir")
            .arg(state_dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("tenant-sim starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("tenant-sim prints its addresses");
        let describe = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("tenant-sim's first line is JSON ({e}): {line}"));
        Self { child, describe }
    }
}

impl Drop for TenantProcess {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// Sets a form field as typing would (the `input` and `change` events the UI listens to);
/// WebKit's WebDriver cannot type into date and time pickers.
pub async fn set_value(client: &Client, css: &str, value: &str) {
    wait_for(client, css).await;
    client
        .execute(
            "const el = document.querySelector(arguments[0]);
             el.value = arguments[1];
             el.dispatchEvent(new Event('input', { bubbles: true }));
             el.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![serde_json::json!(css), serde_json::json!(value)],
        )
        .await
        .unwrap_or_else(|e| panic!("set {css}: {e}"));
}

/// Presses a key in the element, as the keyboard would.
pub async fn press(client: &Client, css: &str, key: &str) {
    client
        .execute(
            "document.querySelector(arguments[0]).dispatchEvent(
                 new KeyboardEvent('keydown', { key: arguments[1], bubbles: true }));",
            vec![serde_json::json!(css), serde_json::json!(key)],
        )
        .await
        .unwrap_or_else(|e| panic!("press {key} in {css}: {e}"));
}

/// Clicks the first element matching `css` whose text is `text` (buttons have no link text).
pub async fn click_text(client: &Client, css: &str, text: &str) {
    let deadline = Instant::now() + STEP;
    loop {
        let clicked = client
            .execute(
                "const el = [...document.querySelectorAll(arguments[0])]
                     .find((e) => e.textContent.trim() === arguments[1]);
                 if (el) { el.scrollIntoView(); el.click(); return true; }
                 return false;",
                vec![serde_json::json!(css), serde_json::json!(text)],
            )
            .await
            .unwrap_or_else(|e| panic!("click {text}: {e}"));
        if clicked == serde_json::Value::Bool(true) {
            return;
        }
        assert!(Instant::now() < deadline, "no {css} reading {text:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Like [`wait_for_text`], but reads the DOM's `textContent`: WebKit's WebDriver reports no
/// text for the absolutely positioned rows of a virtualized table.
pub async fn wait_for_content(client: &Client, css: &str, check: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + STEP;
    loop {
        let text = client
            .execute(
                "return document.querySelector(arguments[0])?.textContent ?? ''",
                vec![serde_json::json!(css)],
            )
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        if check(&text) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "{css} never held the expected text; last: {text:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until nothing matches `css` (a closed dialog, a finished banner).
pub async fn wait_gone(client: &Client, css: &str) {
    let deadline = Instant::now() + STEP;
    loop {
        let present = client
            .execute(
                "return document.querySelector(arguments[0]) !== null",
                vec![serde_json::json!(css)],
            )
            .await
            .unwrap_or_else(|e| panic!("look for {css}: {e}"));
        if present == serde_json::Value::Bool(false) {
            return;
        }
        assert!(Instant::now() < deadline, "{css} is still there");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The processes running `binary` with `home` as their `WEBINAR_DESK_HOME` (Linux: read from
/// `/proc`), oldest first.
pub fn app_processes(binary: &Path, home: &Path) -> Vec<u32> {
    let Ok(binary) = binary.canonicalize() else {
        return Vec::new();
    };
    let marker = format!("WEBINAR_DESK_HOME={}", home.display());
    let mut found: Vec<u32> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .filter(|pid: &u32| {
            std::fs::read_link(format!("/proc/{pid}/exe"))
                .ok()
                .as_deref()
                == Some(binary.as_path())
                && std::fs::read(format!("/proc/{pid}/environ"))
                    .map(|env| env.split(|b| *b == 0).any(|var| var == marker.as_bytes()))
                    .unwrap_or(false)
        })
        .collect();
    found.sort();
    found
}
