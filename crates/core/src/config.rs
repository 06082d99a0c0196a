//! Where things are and which tenant to talk to: the folders the app uses, the tenant settings an
//! organizer (or their IT department) enters, and the small state file that remembers who was
//! signed in last.
//!
//! Invariants: nothing here is secret (client ids and URLs only — the desktop is a public client),
//! settings are validated before they are saved or used, and files are replaced atomically
//! (write to a temporary file, then rename) so a crash never leaves half a file.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use url::Url;

use crate::account::Account;

/// Entra's public cloud sign-in host.
pub const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com";
/// Microsoft Graph's public cloud host.
pub const DEFAULT_GRAPH: &str = "https://graph.microsoft.com";

/// What went wrong reading, checking or writing configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("The tenant settings are not complete or not valid: {}", summarize(.0))]
    Invalid(Vec<FieldProblem>),
    #[error("Could not read {path}: {source}. Check the file's permissions.")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("Could not write {path}: {source}. Check that the folder exists and is writable.")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} is not valid TOML ({message}). Fix or delete the file and enter the settings again."
    )]
    Parse { path: PathBuf, message: String },
    #[error("No folder for app data could be found: set WEBINAR_DESK_HOME to a writable folder.")]
    NoHome,
}

fn summarize(problems: &[FieldProblem]) -> String {
    problems
        .iter()
        .map(|p| format!("{}: {}", p.field, p.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// One field that is wrong, with a sentence saying how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    pub field: &'static str,
    pub message: String,
}

/// Tenant settings as the organizer types them (all strings, possibly wrong).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "snake_case")]
pub struct TenantSettings {
    pub tenant_id: String,
    pub client_id: String,
    pub companion_url: String,
    pub companion_scope: String,
    /// Only set to point the app at a simulated tenant or a sovereign cloud.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authority_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub graph_url: Option<String>,
}

/// Validated tenant configuration: safe to use for sign-in and Graph calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantConfig {
    pub tenant_id: String,
    pub client_id: String,
    pub companion_url: Url,
    pub companion_scope: String,
    pub authority_url: Url,
    pub graph_url: Url,
}

impl TenantConfig {
    pub fn authorize_url(&self) -> Url {
        join(
            &self.authority_url,
            &format!("{}/oauth2/v2.0/authorize", self.tenant_id),
        )
    }
    pub fn token_url(&self) -> Url {
        join(
            &self.authority_url,
            &format!("{}/oauth2/v2.0/token", self.tenant_id),
        )
    }
    /// The scopes the desktop asks for at sign-in: identity, a refresh token, and the
    /// companion API (Graph scopes are the companion's business, via On-Behalf-Of).
    pub fn sign_in_scopes(&self) -> Vec<String> {
        vec![
            "openid".into(),
            "profile".into(),
            "offline_access".into(),
            self.companion_scope.clone(),
        ]
    }
}

fn join(base: &Url, path: &str) -> Url {
    let mut s = base.as_str().trim_end_matches('/').to_string();
    s.push('/');
    s.push_str(path);
    Url::parse(&s).expect("a valid base URL joined with a path is valid")
}

impl TenantSettings {
    /// Checks every field and returns all problems at once, so the form can mark each.
    pub fn validate(&self) -> Result<TenantConfig, ConfigError> {
        let mut problems = Vec::new();
        let mut problem = |field, message: String| problems.push(FieldProblem { field, message });

        let tenant_id = self.tenant_id.trim().to_string();
        if tenant_id.is_empty() {
            problem("tenant_id", "Enter your organization's tenant ID (a GUID) or its domain, e.g. contoso.onmicrosoft.com.".into());
        } else if ["common", "organizations", "consumers"]
            .contains(&tenant_id.to_ascii_lowercase().as_str())
        {
            problem(
                "tenant_id",
                format!(
                    "'{tenant_id}' is not one organization. Webinar Desk signs in to your organization's tenant: use its tenant ID or domain."
                ),
            );
        } else if !is_guid(&tenant_id) && !is_domain(&tenant_id) {
            problem(
                "tenant_id",
                format!(
                    "'{tenant_id}' is neither a GUID nor a domain name. Copy the tenant ID from the Entra admin center (Overview page)."
                ),
            );
        }

        let client_id = self.client_id.trim().to_string();
        if !is_guid(&client_id) {
            problem("client_id", "Enter the desktop app registration's Application (client) ID, a GUID like 00000000-0000-0000-0000-000000000000.".into());
        }

        let companion_url = parse_service_url(
            &self.companion_url,
            "companion_url",
            "the companion's address, e.g. https://webinar-companion.contoso.com",
            &mut problem,
        );

        let companion_scope = self.companion_scope.trim().to_string();
        match companion_scope.rsplit_once('/') {
            Some((resource, scope))
                if (resource.starts_with("api://") || resource.starts_with("https://"))
                    && resource.len() > "api://".len()
                    && !scope.is_empty()
                    && !scope.contains(' ') => {}
            _ => problem(
                "companion_scope",
                "Enter the companion API's scope, e.g. api://<companion client id>/access_as_user."
                    .into(),
            ),
        }

        let authority_url = match &self.authority_url {
            Some(s) if !s.trim().is_empty() => parse_service_url(
                s,
                "authority_url",
                "the sign-in authority, e.g. https://login.microsoftonline.com",
                &mut problem,
            ),
            _ => Url::parse(DEFAULT_AUTHORITY).ok(),
        };
        let graph_url = match &self.graph_url {
            Some(s) if !s.trim().is_empty() => parse_service_url(
                s,
                "graph_url",
                "Microsoft Graph's address, e.g. https://graph.microsoft.com",
                &mut problem,
            ),
            _ => Url::parse(DEFAULT_GRAPH).ok(),
        };

        if !problems.is_empty() {
            return Err(ConfigError::Invalid(problems));
        }
        Ok(TenantConfig {
            tenant_id,
            client_id,
            companion_url: companion_url.expect("checked above"),
            companion_scope,
            authority_url: authority_url.expect("checked above"),
            graph_url: graph_url.expect("checked above"),
        })
    }
}

fn parse_service_url(
    raw: &str,
    field: &'static str,
    example: &str,
    problem: &mut impl FnMut(&'static str, String),
) -> Option<Url> {
    let raw = raw.trim();
    match Url::parse(raw) {
        Ok(url) if url.scheme() == "https" && url.host().is_some() => Some(url),
        // Plain HTTP only to this machine: a simulated tenant or a local companion.
        Ok(url) if url.scheme() == "http" && is_loopback(&url) => Some(url),
        Ok(url) if url.scheme() == "http" => {
            problem(
                field,
                format!(
                    "'{raw}' uses plain http. Use https (plain http is only allowed for 127.0.0.1 or localhost)."
                ),
            );
            None
        }
        _ => {
            problem(
                field,
                format!("'{raw}' is not a web address. Enter {example}."),
            );
            None
        }
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn is_guid(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok() && s.len() == 36
}

fn is_domain(s: &str) -> bool {
    let labels: Vec<&str> = s.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

/// The folders Webinar Desk uses. `WEBINAR_DESK_HOME` puts everything under one folder
/// (tests, portable use); otherwise the OS conventions apply.
#[derive(Debug, Clone)]
pub struct Paths {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
    pub log_dir: PathBuf,
    /// The machine-wide settings an organization's IT writes (installer, MDM, GPO).
    pub managed_settings_file: PathBuf,
}

impl Paths {
    pub fn discover() -> Result<Self, ConfigError> {
        if let Some(home) = std::env::var_os("WEBINAR_DESK_HOME").filter(|h| !h.is_empty()) {
            return Ok(Self::under(Path::new(&home)));
        }
        let dirs = directories::ProjectDirs::from("app", "webinardesk", "Webinar Desk")
            .ok_or(ConfigError::NoHome)?;
        Ok(Self {
            config_dir: dirs.config_dir().to_path_buf(),
            data_dir: dirs.data_local_dir().to_path_buf(),
            log_dir: dirs.data_local_dir().join("logs"),
            managed_settings_file: machine_settings_file(),
        })
    }

    pub fn under(home: &Path) -> Self {
        Self {
            config_dir: home.join("config"),
            data_dir: home.join("data"),
            log_dir: home.join("logs"),
            managed_settings_file: home.join("managed").join("settings.toml"),
        }
    }

    pub fn settings_file(&self) -> PathBuf {
        self.config_dir.join("settings.toml")
    }
    pub fn state_file(&self) -> PathBuf {
        self.config_dir.join("state.toml")
    }
    /// One database per account, so two organizers on one machine never see each other's data.
    pub fn account_db(&self, account: &Account) -> PathBuf {
        self.data_dir
            .join("accounts")
            .join(account.key())
            .join("cache.sqlite3")
    }
    /// Where the built-in demo tenant keeps its signing key between runs.
    pub fn demo_tenant_dir(&self) -> PathBuf {
        self.data_dir.join("demo-tenant")
    }
}

/// Where IT puts the machine-wide settings file on each OS.
fn machine_settings_file() -> PathBuf {
    if cfg!(windows) {
        let data = std::env::var_os("ProgramData").unwrap_or_else(|| r"C:\ProgramData".into());
        Path::new(&data).join("Webinar Desk").join("settings.toml")
    } else if cfg!(target_os = "macos") {
        PathBuf::from("/Library/Application Support/Webinar Desk/settings.toml")
    } else {
        PathBuf::from("/etc/webinar-desk/settings.toml")
    }
}

/// The environment variables IT may set instead of (or over) the machine-wide file, with the
/// field each sets.
pub const MANAGED_ENV: &[(&str, &str)] = &[
    ("WEBINAR_DESK_TENANT_ID", "tenant_id"),
    ("WEBINAR_DESK_CLIENT_ID", "client_id"),
    ("WEBINAR_DESK_COMPANION_URL", "companion_url"),
    ("WEBINAR_DESK_COMPANION_SCOPE", "companion_scope"),
    ("WEBINAR_DESK_AUTHORITY_URL", "authority_url"),
    ("WEBINAR_DESK_GRAPH_URL", "graph_url"),
];

/// Settings an organization's IT pushed: the machine-wide file (same form as the organizer's
/// own), then environment variables over it. A field set here wins over what the organizer
/// typed, and the settings form shows it as set by the organization.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManagedSettings(TenantSettings);

impl ManagedSettings {
    /// Reads the file (absent: nothing managed) and the variables `var` finds set.
    pub fn read(paths: &Paths, var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut managed = read_toml::<SettingsFile>(&paths.managed_settings_file)?.tenant;
        for (name, field) in MANAGED_ENV {
            let Some(value) = var(name).filter(|v| !v.trim().is_empty()) else {
                continue;
            };
            let value = value.trim().to_string();
            match *field {
                "tenant_id" => managed.tenant_id = value,
                "client_id" => managed.client_id = value,
                "companion_url" => managed.companion_url = value,
                "companion_scope" => managed.companion_scope = value,
                "authority_url" => managed.authority_url = Some(value),
                _ => managed.graph_url = Some(value),
            }
        }
        Ok(Self(managed))
    }

    /// The organizer's settings with every managed field in place of theirs.
    pub fn apply(&self, mut own: TenantSettings) -> TenantSettings {
        let m = &self.0;
        let take = |mine: &mut String, theirs: &String| {
            if !theirs.trim().is_empty() {
                mine.clone_from(theirs);
            }
        };
        take(&mut own.tenant_id, &m.tenant_id);
        take(&mut own.client_id, &m.client_id);
        take(&mut own.companion_url, &m.companion_url);
        take(&mut own.companion_scope, &m.companion_scope);
        if m.authority_url.is_some() {
            own.authority_url.clone_from(&m.authority_url);
        }
        if m.graph_url.is_some() {
            own.graph_url.clone_from(&m.graph_url);
        }
        own
    }

    /// The fields IT set, by their settings names.
    pub fn fields(&self) -> Vec<&'static str> {
        let m = &self.0;
        [
            ("tenant_id", !m.tenant_id.trim().is_empty()),
            ("client_id", !m.client_id.trim().is_empty()),
            ("companion_url", !m.companion_url.trim().is_empty()),
            ("companion_scope", !m.companion_scope.trim().is_empty()),
            ("authority_url", m.authority_url.is_some()),
            ("graph_url", m.graph_url.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect()
    }
}

/// The settings file: the tenant an organizer configured.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SettingsFile {
    pub tenant: TenantSettings,
    /// Where updates come from (see `updates::feed`).
    #[serde(skip_serializing_if = "crate::config::is_default")]
    pub updates: crate::updates::UpdateSettings,
}

pub(crate) fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// Which tenant the app talks to: the organizer's configured one, or the built-in demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    Configured,
    Demo,
}

/// Small non-secret state: who was signed in last, per profile, so the next start can open
/// that account's cache at once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StateFile {
    pub configured: Option<Account>,
    pub demo: Option<Account>,
    /// When the app last looked for an update (once a day at most, unless asked).
    pub last_update_check: Option<chrono::DateTime<chrono::Utc>>,
}

impl StateFile {
    pub fn last_account(&self, profile: Profile) -> Option<&Account> {
        match profile {
            Profile::Configured => self.configured.as_ref(),
            Profile::Demo => self.demo.as_ref(),
        }
    }
    pub fn set_last_account(&mut self, profile: Profile, account: Option<Account>) {
        match profile {
            Profile::Configured => self.configured = account,
            Profile::Demo => self.demo = account,
        }
    }
}

/// Reads a TOML file; a missing file is the default value.
pub fn read_toml<T: Default + for<'de> Deserialize<'de>>(path: &Path) -> Result<T, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.message().to_string(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(source) => Err(ConfigError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Writes a TOML file atomically: a crash leaves the old file or the new one, never half.
pub fn write_toml<T: Serialize>(path: &Path, value: &T) -> Result<(), ConfigError> {
    let write_err = |source| ConfigError::Write {
        path: path.to_path_buf(),
        source,
    };
    let text = toml::to_string_pretty(value).expect("config types always serialize");
    let dir = path.parent().expect("config files live in a folder");
    std::fs::create_dir_all(dir).map_err(write_err)?;
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, text).map_err(write_err)?;
    std::fs::rename(&tmp, path).map_err(write_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> TenantSettings {
        TenantSettings {
            tenant_id: "contoso.onmicrosoft.com".into(),
            client_id: "11111111-2222-3333-4444-555555555555".into(),
            companion_url: "https://companion.contoso.com".into(),
            companion_scope: "api://66666666-7777-8888-9999-000000000000/access_as_user".into(),
            authority_url: None,
            graph_url: None,
        }
    }

    #[test]
    fn valid_settings_become_a_config_with_public_cloud_defaults() {
        let cfg = good().validate().unwrap();
        assert_eq!(
            cfg.authority_url.as_str(),
            "https://login.microsoftonline.com/"
        );
        assert_eq!(
            cfg.token_url().as_str(),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
    }

    #[test]
    fn every_bad_field_is_named_with_a_remedy() {
        let bad = TenantSettings {
            tenant_id: "common".into(),
            client_id: "not-a-guid".into(),
            companion_url: "http://companion.contoso.com".into(),
            companion_scope: "access_as_user".into(),
            authority_url: Some("ftp://x".into()),
            graph_url: None,
        };
        let ConfigError::Invalid(problems) = bad.validate().unwrap_err() else {
            panic!()
        };
        let fields: Vec<_> = problems.iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            [
                "tenant_id",
                "client_id",
                "companion_url",
                "companion_scope",
                "authority_url"
            ]
        );
        assert!(problems[2].message.contains("https"), "{:?}", problems[2]);
    }

    #[test]
    fn loopback_http_is_allowed_for_a_simulated_tenant() {
        let mut s = good();
        s.companion_url = "http://127.0.0.1:4000".into();
        s.authority_url = Some("http://localhost:4001".into());
        assert!(s.validate().is_ok());
    }

    #[test]
    fn toml_round_trip_is_atomic_and_missing_files_are_defaults() {
        let dir = std::env::temp_dir().join(format!("wd-config-{}", uuid::Uuid::new_v4()));
        let path = dir.join("settings.toml");
        let empty: SettingsFile = read_toml(&path).unwrap();
        assert_eq!(empty, SettingsFile::default());
        let file = SettingsFile {
            tenant: good(),
            ..SettingsFile::default()
        };
        write_toml(&path, &file).unwrap();
        assert_eq!(read_toml::<SettingsFile>(&path).unwrap(), file);
        assert!(!path.with_extension("toml.tmp").exists());
        std::fs::write(&path, "tenant = [").unwrap();
        assert!(matches!(
            read_toml::<SettingsFile>(&path),
            Err(ConfigError::Parse { .. })
        ));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn it_pushed_settings_win_field_by_field_and_variables_over_the_file() {
        let dir = std::env::temp_dir().join(format!("wd-managed-{}", uuid::Uuid::new_v4()));
        let paths = Paths::under(&dir);
        let none = ManagedSettings::read(&paths, |_| None).unwrap();
        assert!(
            none.fields().is_empty(),
            "no file, no variables: nothing managed"
        );
        assert_eq!(none.apply(good()), good());

        let mut machine = TenantSettings {
            tenant_id: "11111111-1111-1111-1111-111111111111".into(),
            companion_url: "https://from-file.contoso.com".into(),
            ..TenantSettings::default()
        };
        write_toml(
            &paths.managed_settings_file,
            &SettingsFile {
                tenant: machine.clone(),
                ..SettingsFile::default()
            },
        )
        .unwrap();
        let managed = ManagedSettings::read(&paths, |name| {
            (name == "WEBINAR_DESK_COMPANION_URL").then(|| " https://from-env.contoso.com ".into())
        })
        .unwrap();
        assert_eq!(managed.fields(), ["tenant_id", "companion_url"]);
        let effective = managed.apply(good());
        machine.companion_url = "https://from-env.contoso.com".into();
        assert_eq!(
            effective.tenant_id, machine.tenant_id,
            "the file's tenant wins over the organizer's"
        );
        assert_eq!(
            effective.companion_url, machine.companion_url,
            "a variable wins over the file"
        );
        assert_eq!(
            effective.client_id,
            good().client_id,
            "what IT left alone stays the organizer's"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
