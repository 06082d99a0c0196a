//! The companion's configuration: its own app registration, what it accepts, what it asks
//! Graph for. Read from a TOML file; the secret preferably from the environment.
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

/// The TOML file a deployment writes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub listen: Option<String>,
    pub authority_url: Option<String>,
    pub tenant_id: String,
    pub client_id: String,
    /// Better in `WEBINAR_DESK_COMPANION_SECRET`; accepted here for secret-mounted files.
    pub client_secret: Option<String>,
    /// Instead of a secret: the certificate's private key (PEM file) and its SHA-1 thumbprint.
    pub certificate_key_file: Option<std::path::PathBuf>,
    pub certificate_thumbprint: Option<String>,
    pub allowed_client_apps: Vec<String>,
    pub audiences: Option<Vec<String>>,
    pub required_scope: Option<String>,
    pub graph_scopes: Option<Vec<String>>,
}

impl ConfigFile {
    /// Turns the file (plus the secret from the environment) into a checked configuration.
    pub fn into_config(
        self,
        env_secret: Option<String>,
    ) -> Result<(CompanionConfig, String), String> {
        let authority = self
            .authority_url
            .unwrap_or_else(|| "https://login.microsoftonline.com".into());
        let authority_url = Url::parse(&authority)
            .map_err(|e| format!("authority_url '{authority}' is not a URL: {e}"))?;
        if uuid::Uuid::parse_str(&self.tenant_id).is_err() {
            return Err(format!(
                "tenant_id '{}' must be the tenant's GUID (tokens carry it in 'tid')",
                self.tenant_id
            ));
        }
        if uuid::Uuid::parse_str(&self.client_id).is_err() {
            return Err(format!(
                "client_id '{}' must be the companion app registration's GUID",
                self.client_id
            ));
        }
        if self.allowed_client_apps.is_empty() {
            return Err(
                "allowed_client_apps is empty: list the Webinar Desk desktop app's client id"
                    .into(),
            );
        }
        let credential = match (self.certificate_key_file, self.certificate_thumbprint) {
            (Some(file), Some(thumbprint)) => {
                let thumbprint = thumbprint.replace(':', "").to_ascii_lowercase();
                if thumbprint.len() != 40 || !thumbprint.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err(format!("certificate_thumbprint '{thumbprint}' must be the 40-digit hex SHA-1 thumbprint shown in Entra"));
                }
                let pem = std::fs::read_to_string(&file)
                    .map_err(|e| format!("cannot read certificate_key_file {}: {e}", file.display()))?;
                jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|e| {
                    format!("certificate_key_file {} is not an RSA private key in PEM form: {e}", file.display())
                })?;
                Credential::Certificate { private_key_pem: pem, thumbprint_sha1_hex: thumbprint }
            }
            (Some(_), None) | (None, Some(_)) => {
                return Err("a certificate needs both certificate_key_file and certificate_thumbprint".into());
            }
            (None, None) => Credential::ClientSecret(
                env_secret
                    .or(self.client_secret)
                    .filter(|s| !s.is_empty())
                    .ok_or("no credential: set WEBINAR_DESK_COMPANION_SECRET (or client_secret), or certificate_key_file and certificate_thumbprint")?,
            ),
        };
        let mut config = CompanionConfig::new(
            authority_url,
            &self.tenant_id,
            &self.client_id,
            credential,
            self.allowed_client_apps,
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
        Ok((
            config,
            self.listen.unwrap_or_else(|| "127.0.0.1:8787".into()),
        ))
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
            file.into_config(Some("s".into()))
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
        assert!(only_key.into_config(None).unwrap_err().contains("both"));
        let bad_thumb: ConfigFile = toml::from_str(&format!(
            "{base}certificate_key_file = \"/nonexistent.pem\"\ncertificate_thumbprint = \"xyz\""
        ))
        .unwrap();
        assert!(
            bad_thumb
                .into_config(None)
                .unwrap_err()
                .contains("40-digit")
        );
        let missing: ConfigFile = toml::from_str(&format!(
            "{base}certificate_key_file = \"/nonexistent.pem\"\ncertificate_thumbprint = \"{}\"",
            "AB:".repeat(19) + "AB"
        ))
        .unwrap();
        assert!(
            missing
                .into_config(None)
                .unwrap_err()
                .contains("cannot read certificate_key_file")
        );
        let none: ConfigFile = toml::from_str(base).unwrap();
        assert!(
            none.into_config(None)
                .unwrap_err()
                .contains("no credential")
        );
    }
}
