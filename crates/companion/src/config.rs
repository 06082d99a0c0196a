//! The companion's configuration: its own app registration, what it accepts, what it asks
//! Graph for. Read from a TOML file, from environment variables ([`ENV`]), or both — each
//! variable set replaces the file's value — so a container platform can configure it without a
//! file; the secret from a variable or a mounted file.
//!
//! Invariant: [`Credential`]'s `Debug` never shows the secret or the private key.

use std::fmt;

use serde::Deserialize;
use url::Url;

/// How the companion proves itself to Entra.
#[derive(Clone, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Credential {
    ClientSecret(String),
    /// A certificate registered on the companion's app registration: its private key (PEM)
    /// signs the client assertion; the SHA-1 thumbprint, as Entra shows it (hex), names it.
    Certificate {
        private_key_pem: String,
        thumbprint_sha1_hex: String,
    },
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::ClientSecret(_) => f.write_str("ClientSecret(<redacted>)"),
            Credential::Certificate {
                thumbprint_sha1_hex,
                ..
            } => {
                write!(
                    f,
                    "Certificate(thumbprint {thumbprint_sha1_hex}, key <redacted>)"
                )
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct CompanionConfig {
    /// Entra's base URL, e.g. `https://login.microsoftonline.com`.
    pub authority_url: Url,
    /// The organization's tenant id (a GUID: it must equal the tokens' `tid`).
    pub tenant_id: String,
    /// The companion API's own application (client) id.
    pub client_id: String,
    pub credential: Credential,
    /// Accepted `aud` values: the client id (v2 tokens) and the App ID URI (v1 tokens).
    pub audiences: Vec<String>,
    /// Desktop client ids allowed to call (`azp`/`appid`).
    pub allowed_client_apps: Vec<String>,
    /// The delegated scope a caller's token must carry.
    pub required_scope: String,
    /// What to ask Graph for on the user's behalf.
    pub graph_scopes: Vec<String>,
    pub clock_skew_secs: u64,
}

/// The Graph scopes Webinar Desk needs, as resource-qualified names.
pub const DEFAULT_GRAPH_SCOPES: &[&str] = &[
    "https://graph.microsoft.com/VirtualEvent.ReadWrite",
    "https://graph.microsoft.com/OnlineMeetingArtifact.Read.All",
    // Only the diagnostics' licence check (`/me/licenseDetails`) uses it.
    "https://graph.microsoft.com/User.Read",
];

impl CompanionConfig {
    /// Sensible defaults around the four things every deployment must say.
    pub fn new(
        authority_url: Url,
        tenant_id: &str,
        client_id: &str,
        credential: Credential,
        allowed_client_apps: Vec<String>,
    ) -> Self {
        Self {
            authority_url,
            tenant_id: tenant_id.to_string(),
            client_id: client_id.to_string(),
            credential,
            audiences: vec![client_id.to_string(), format!("api://{client_id}")],
            allowed_client_apps,
            required_scope: "access_as_user".into(),
            graph_scopes: DEFAULT_GRAPH_SCOPES.iter().map(|s| s.to_string()).collect(),
            clock_skew_secs: 60,
        }
    }

    fn tenant_url(&self, path: &str) -> Url {
        let base = self.authority_url.as_str().trim_end_matches('/');
        Url::parse(&format!("{base}/{}/{path}", self.tenant_id)).expect("valid authority URL")
    }
    pub fn jwks_url(&self) -> Url {
        self.tenant_url("discovery/v2.0/keys")
    }
    pub fn token_url(&self) -> Url {
        self.tenant_url("oauth2/v2.0/token")
    }
    /// The issuer of v2 access tokens for this tenant.
    pub fn issuer(&self) -> String {
        self.tenant_url("v2.0").to_string()
    }
}

/// The TOML file a deployment writes; every field can also come from [`ENV`].
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub listen: Option<String>,
    pub authority_url: Option<String>,
    pub tenant_id: Option<String>,
    pub client_id: Option<String>,
    /// Better in `WEBINAR_DESK_COMPANION_SECRET` or a mounted file; accepted here too.
    pub client_secret: Option<String>,
    /// A file holding the secret (a mounted Kubernetes or Docker secret).
    pub client_secret_file: Option<std::path::PathBuf>,
    /// Instead of a secret: the certificate's private key (PEM file) and its SHA-1 thumbprint.
    pub certificate_key_file: Option<std::path::PathBuf>,
    pub certificate_thumbprint: Option<String>,
    pub allowed_client_apps: Option<Vec<String>>,
    pub audiences: Option<Vec<String>>,
    pub required_scope: Option<String>,
    pub graph_scopes: Option<Vec<String>>,
}

/// Where the companion listens unless told otherwise (loopback: behind a reverse proxy).
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8787";

/// The environment variables the companion reads, and what each sets. Lists are separated by
/// commas (or spaces).
pub const ENV: &[(&str, &str)] = &[
    (
        "WEBINAR_DESK_COMPANION_CONFIG",
        "a TOML file to read first (optional)",
    ),
    (
        "WEBINAR_DESK_COMPANION_LISTEN",
        "address and port to listen on (listen)",
    ),
    (
        "WEBINAR_DESK_COMPANION_AUTHORITY_URL",
        "Entra's base URL (authority_url)",
    ),
    (
        "WEBINAR_DESK_COMPANION_TENANT_ID",
        "the tenant's GUID (tenant_id)",
    ),
    (
        "WEBINAR_DESK_COMPANION_CLIENT_ID",
        "the companion app registration's GUID (client_id)",
    ),
    (
        "WEBINAR_DESK_COMPANION_ALLOWED_CLIENT_APPS",
        "desktop client ids allowed to call (allowed_client_apps)",
    ),
    (
        "WEBINAR_DESK_COMPANION_AUDIENCES",
        "accepted token audiences (audiences)",
    ),
    (
        "WEBINAR_DESK_COMPANION_REQUIRED_SCOPE",
        "the scope a caller's token must carry (required_scope)",
    ),
    (
        "WEBINAR_DESK_COMPANION_GRAPH_SCOPES",
        "what to ask Graph for (graph_scopes)",
    ),
    ("WEBINAR_DESK_COMPANION_SECRET", "the client secret"),
    (
        "WEBINAR_DESK_COMPANION_SECRET_FILE",
        "a file holding the client secret (client_secret_file)",
    ),
    (
        "WEBINAR_DESK_COMPANION_CERTIFICATE_KEY_FILE",
        "the certificate's private key, PEM (certificate_key_file)",
    ),
    (
        "WEBINAR_DESK_COMPANION_CERTIFICATE_THUMBPRINT",
        "the certificate's SHA-1 thumbprint (certificate_thumbprint)",
    ),
    (
        "WEBINAR_DESK_COMPANION_LOG_FORMAT",
        "json or text (default: json unless on a terminal)",
    ),
];

fn list(value: &str) -> Vec<String> {
    value
        .split([',', ' '])
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(String::from)
        .collect()
}

impl ConfigFile {
    /// Replaces each value whose variable `var` finds set (and not empty).
    pub fn with_env(mut self, var: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let path = |name: &str| get(name).map(std::path::PathBuf::from);
        macro_rules! set {
            ($field:ident, $name:literal) => {
                if let Some(v) = get($name) {
                    self.$field = Some(v.trim().to_string());
                }
            };
        }
        set!(listen, "WEBINAR_DESK_COMPANION_LISTEN");
        set!(authority_url, "WEBINAR_DESK_COMPANION_AUTHORITY_URL");
        set!(tenant_id, "WEBINAR_DESK_COMPANION_TENANT_ID");
        set!(client_id, "WEBINAR_DESK_COMPANION_CLIENT_ID");
        set!(required_scope, "WEBINAR_DESK_COMPANION_REQUIRED_SCOPE");
        set!(
            certificate_thumbprint,
            "WEBINAR_DESK_COMPANION_CERTIFICATE_THUMBPRINT"
        );
        if let Some(v) = get("WEBINAR_DESK_COMPANION_SECRET") {
            // A secret set directly wins over any file naming one.
            self.client_secret = Some(v);
            self.client_secret_file = None;
        } else if let Some(p) = path("WEBINAR_DESK_COMPANION_SECRET_FILE") {
            self.client_secret_file = Some(p);
        }
        if let Some(p) = path("WEBINAR_DESK_COMPANION_CERTIFICATE_KEY_FILE") {
            self.certificate_key_file = Some(p);
        }
        if let Some(v) = get("WEBINAR_DESK_COMPANION_ALLOWED_CLIENT_APPS") {
            self.allowed_client_apps = Some(list(&v));
        }
        if let Some(v) = get("WEBINAR_DESK_COMPANION_AUDIENCES") {
            self.audiences = Some(list(&v));
        }
        if let Some(v) = get("WEBINAR_DESK_COMPANION_GRAPH_SCOPES") {
            self.graph_scopes = Some(list(&v));
        }
        self
    }

    /// Turns the settings into a checked configuration and the address to listen on.
    pub fn into_config(self) -> Result<(CompanionConfig, String), String> {
        let missing = |field: &str, var: &str| {
            format!("{field} is missing: set it in the configuration file or in {var}")
        };
        let tenant_id = self
            .tenant_id
            .ok_or_else(|| missing("tenant_id", "WEBINAR_DESK_COMPANION_TENANT_ID"))?;
        let client_id = self
            .client_id
            .ok_or_else(|| missing("client_id", "WEBINAR_DESK_COMPANION_CLIENT_ID"))?;
        let allowed_client_apps = self.allowed_client_apps.ok_or_else(|| {
            missing(
                "allowed_client_apps",
                "WEBINAR_DESK_COMPANION_ALLOWED_CLIENT_APPS",
            )
        })?;
        let authority = self
            .authority_url
            .unwrap_or_else(|| "https://login.microsoftonline.com".into());
        let authority_url = Url::parse(&authority)
            .map_err(|e| format!("authority_url '{authority}' is not a URL: {e}"))?;
        if uuid::Uuid::parse_str(&tenant_id).is_err() {
            return Err(format!(
                "tenant_id '{tenant_id}' must be the tenant's GUID (tokens carry it in 'tid')"
            ));
        }
        if uuid::Uuid::parse_str(&client_id).is_err() {
            return Err(format!(
                "client_id '{client_id}' must be the companion app registration's GUID"
            ));
        }
        if allowed_client_apps.is_empty() {
            return Err(
                "allowed_client_apps is empty: list the Webinar Desk desktop app's client id"
                    .into(),
            );
        }
        let credential = match (self.certificate_key_file, self.certificate_thumbprint) {
            (Some(file), Some(thumbprint)) => {
                let thumbprint = thumbprint.replace(':', "").to_ascii_lowercase();
                if thumbprint.len() != 40 || !thumbprint.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err(format!(
                        "certificate_thumbprint '{thumbprint}' must be the 40-digit hex SHA-1 thumbprint shown in Entra"
                    ));
                }
                let pem = std::fs::read_to_string(&file).map_err(|e| {
                    format!("cannot read certificate_key_file {}: {e}", file.display())
                })?;
                jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|e| {
                    format!(
                        "certificate_key_file {} is not an RSA private key in PEM form: {e}",
                        file.display()
                    )
                })?;
                Credential::Certificate {
                    private_key_pem: pem,
                    thumbprint_sha1_hex: thumbprint,
                }
            }
            (Some(_), None) | (None, Some(_)) => {
                return Err(
                    "a certificate needs both certificate_key_file and certificate_thumbprint"
                        .into(),
                );
            }
            (None, None) => {
                let from_file = match &self.client_secret_file {
                    Some(file) => Some(
                        std::fs::read_to_string(file)
                            .map_err(|e| {
                                format!(
                                    "cannot read the client secret file {}: {e}",
                                    file.display()
                                )
                            })?
                            // A file written by `echo` or a secret store ends with a newline.
                            .trim_end_matches(['\r', '\n'])
                            .to_string(),
                    ),
                    None => None,
                };
                Credential::ClientSecret(
                    from_file
                        .or(self.client_secret)
                        .filter(|s| !s.is_empty())
                        .ok_or("no credential: set WEBINAR_DESK_COMPANION_SECRET or WEBINAR_DESK_COMPANION_SECRET_FILE (or client_secret), or certificate_key_file and certificate_thumbprint")?,
                )
            }
        };
        let mut config = CompanionConfig::new(
            authority_url,
            &tenant_id,
            &client_id,
            credential,
            allowed_client_apps,
        );
        if let Some(a) = self.audiences {
            config.audiences = a;
        }
        if let Some(s) = self.required_scope {
            config.required_scope = s;
        }
        if let Some(g) = self.graph_scopes {
            config.graph_scopes = g;
        }
        Ok((config, self.listen.unwrap_or_else(|| DEFAULT_LISTEN.into())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_never_prints() {
        let c = Credential::ClientSecret("s3cr3t".into());
        assert!(!format!("{c:?}").contains("s3cr3t"));
        let c = Credential::Certificate {
            private_key_pem: "-----BEGIN PRIVATE KEY-----k3y".into(),
            thumbprint_sha1_hex: "ab".repeat(20),
        };
        assert!(!format!("{c:?}").contains("k3y"));
    }

    #[test]
    fn config_file_is_checked() {
        let file: ConfigFile = toml::from_str(
            r#"tenant_id = "contoso"
client_id = "11111111-2222-3333-4444-555555555555"
allowed_client_apps = ["x"]"#,
        )
        .unwrap();
        assert!(
            file.with_env(|n| (n == "WEBINAR_DESK_COMPANION_SECRET").then(|| "s".into()))
                .into_config()
                .unwrap_err()
                .contains("tenant_id")
        );
    }

    #[test]
    fn a_certificate_needs_a_readable_rsa_key_and_a_thumbprint() {
        let base = r#"tenant_id = "11111111-2222-3333-4444-555555555555"
client_id = "11111111-2222-3333-4444-555555555555"
allowed_client_apps = ["x"]
"#;
        let only_key: ConfigFile = toml::from_str(&format!(
            "{base}certificate_key_file = \"/nonexistent.pem\""
        ))
        .unwrap();
        assert!(only_key.into_config().unwrap_err().contains("both"));
        let bad_thumb: ConfigFile = toml::from_str(&format!(
            "{base}certificate_key_file = \"/nonexistent.pem\"\ncertificate_thumbprint = \"xyz\""
        ))
        .unwrap();
        assert!(bad_thumb.into_config().unwrap_err().contains("40-digit"));
        let missing: ConfigFile = toml::from_str(&format!(
            "{base}certificate_key_file = \"/nonexistent.pem\"\ncertificate_thumbprint = \"{}\"",
            "AB:".repeat(19) + "AB"
        ))
        .unwrap();
        assert!(
            missing
                .into_config()
                .unwrap_err()
                .contains("cannot read certificate_key_file")
        );
        let none: ConfigFile = toml::from_str(base).unwrap();
        assert!(none.into_config().unwrap_err().contains("no credential"));
    }

    const TENANT: &str = "11111111-2222-3333-4444-555555555555";
    const APP: &str = "66666666-7777-8888-9999-000000000000";

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn the_environment_alone_configures_the_companion() {
        let (config, listen) = ConfigFile::default()
            .with_env(env(&[
                ("WEBINAR_DESK_COMPANION_LISTEN", "0.0.0.0:8080"),
                ("WEBINAR_DESK_COMPANION_TENANT_ID", TENANT),
                ("WEBINAR_DESK_COMPANION_CLIENT_ID", APP),
                ("WEBINAR_DESK_COMPANION_ALLOWED_CLIENT_APPS", "a, b,c"),
                ("WEBINAR_DESK_COMPANION_GRAPH_SCOPES", "x y"),
                ("WEBINAR_DESK_COMPANION_SECRET", "s3cr3t"),
            ]))
            .into_config()
            .unwrap();
        assert_eq!(listen, "0.0.0.0:8080");
        assert_eq!(config.tenant_id, TENANT);
        assert_eq!(config.allowed_client_apps, ["a", "b", "c"]);
        assert_eq!(config.graph_scopes, ["x", "y"]);
        assert!(matches!(config.credential, Credential::ClientSecret(ref s) if s == "s3cr3t"));
    }

    #[test]
    fn a_variable_replaces_the_files_value_and_an_unset_one_keeps_it() {
        let file: ConfigFile = toml::from_str(&format!(
            "tenant_id = \"{TENANT}\"\nclient_id = \"{APP}\"\nallowed_client_apps = [\"from-file\"]\nclient_secret = \"file-secret\"\nlisten = \"127.0.0.1:9\""
        ))
        .unwrap();
        let (config, listen) = file
            .with_env(env(&[
                ("WEBINAR_DESK_COMPANION_ALLOWED_CLIENT_APPS", "from-env"),
                ("WEBINAR_DESK_COMPANION_LISTEN", ""),
            ]))
            .into_config()
            .unwrap();
        assert_eq!(config.allowed_client_apps, ["from-env"]);
        assert_eq!(listen, "127.0.0.1:9", "an empty variable is not a value");
        assert!(matches!(config.credential, Credential::ClientSecret(ref s) if s == "file-secret"));
    }

    #[test]
    fn the_secret_comes_from_a_mounted_file_without_its_newline() {
        let dir = std::env::temp_dir().join(format!("companion-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("secret");
        std::fs::write(&file, "from-file\n").unwrap();
        let (config, _) = ConfigFile::default()
            .with_env(env(&[
                ("WEBINAR_DESK_COMPANION_TENANT_ID", TENANT),
                ("WEBINAR_DESK_COMPANION_CLIENT_ID", APP),
                ("WEBINAR_DESK_COMPANION_ALLOWED_CLIENT_APPS", "a"),
                ("WEBINAR_DESK_COMPANION_SECRET_FILE", file.to_str().unwrap()),
            ]))
            .into_config()
            .unwrap();
        assert!(matches!(config.credential, Credential::ClientSecret(ref s) if s == "from-file"));
        let unreadable = ConfigFile::default()
            .with_env(env(&[
                ("WEBINAR_DESK_COMPANION_TENANT_ID", TENANT),
                ("WEBINAR_DESK_COMPANION_CLIENT_ID", APP),
                ("WEBINAR_DESK_COMPANION_ALLOWED_CLIENT_APPS", "a"),
                ("WEBINAR_DESK_COMPANION_SECRET_FILE", "/nonexistent/secret"),
            ]))
            .into_config()
            .unwrap_err();
        assert!(
            unreadable.contains("cannot read the client secret file /nonexistent/secret"),
            "{unreadable}"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_missing_setting_names_its_variable() {
        let error = ConfigFile::default().into_config().unwrap_err();
        assert!(
            error.contains("WEBINAR_DESK_COMPANION_TENANT_ID"),
            "{error}"
        );
    }
}
