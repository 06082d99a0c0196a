//! The shapes the window sees: camelCase JSON built from core types at this edge, and the one
//! error shape `{kind, message, correlationId, requestId, retryAfterSecs, fields}` the UI
//! branches on (by `kind`, never by message).

mod attendance;
mod diagnostics;
mod drift;
mod series;

pub use attendance::{
    PageDto, PageQueryDto, PersonHistoryDto, PersonRefDto, ProgressDto, RegistrationRowDto,
    SeriesAttendanceDto, SessionAttendanceDto, SyncReportDto as AttendanceSyncDto,
};
pub use diagnostics::DiagnosticsDto;
pub use drift::{DriftChoiceDto, DriftScopeDto, DriftStatusDto, FieldDiffDto, ResolutionDto};
pub use series::*;

use serde::{Deserialize, Serialize};
use webinar_desk_core::config::{Profile, TenantSettings};
use webinar_desk_core::desk::{Connection, WebinarList};
use webinar_desk_core::sync::SyncReport;
use webinar_desk_core::webinar::Webinar;
use webinar_desk_core::{DeskError, DeskStatus};

/// A saved export.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportedDto {
    pub path: String,
    pub rows: usize,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldDto {
    pub field: String,
    pub message: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UiError {
    pub kind: &'static str,
    pub message: String,
    pub correlation_id: Option<String>,
    pub request_id: Option<String>,
    pub retry_after_secs: Option<u64>,
    pub fields: Vec<FieldDto>,
}

impl UiError {
    /// A file could not be written where the user chose.
    pub fn not_written(path: &std::path::Path, e: &std::io::Error) -> Self {
        Self::local(format!(
            "Could not write {}: {e}. Choose a folder you can write to, with free space.",
            path.display()
        ))
    }

    /// A failure on this computer (files, folders), with what to do in the message.
    pub fn local(message: String) -> Self {
        Self {
            kind: "storage",
            message,
            correlation_id: None,
            request_id: None,
            retry_after_secs: None,
            fields: Vec::new(),
        }
    }

    /// An update could not be found, verified or installed (the message says which, and that
    /// nothing was installed).
    pub fn update(message: String) -> Self {
        Self {
            kind: "update",
            ..Self::local(message)
        }
    }

    pub fn canceled() -> Self {
        Self {
            kind: "signInCanceled",
            message: "Sign-in was canceled.".into(),
            correlation_id: None,
            request_id: None,
            retry_after_secs: None,
            fields: Vec::new(),
        }
    }
}

impl From<DeskError> for UiError {
    fn from(e: DeskError) -> Self {
        tracing::warn!(
            kind = e.kind().as_str(),
            correlation_id = e.correlation_id(),
            "command failed: {e}"
        );
        Self {
            kind: e.kind().as_str(),
            correlation_id: e.correlation_id(),
            request_id: e.request_id(),
            retry_after_secs: e.retry_after_secs(),
            fields: e
                .field_problems()
                .into_iter()
                .map(|(field, message)| FieldDto { field, message })
                .collect(),
            message: e.to_string(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountDto {
    pub display_name: String,
    pub username: String,
    pub tenant_id: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionDto {
    pub state: &'static str,
    pub reason: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusDto {
    pub profile: &'static str,
    pub configured: bool,
    pub account: Option<AccountDto>,
    pub connection: ConnectionDto,
    pub keychain_warning: Option<String>,
}

impl From<DeskStatus> for StatusDto {
    fn from(s: DeskStatus) -> Self {
        let (state, reason) = match s.connection {
            Connection::SignedOut => ("signedOut", None),
            Connection::Connecting => ("connecting", None),
            Connection::Online => ("online", None),
            Connection::Offline { reason } => ("offline", Some(reason)),
            Connection::NeedsSignIn { reason } => ("needsSignIn", Some(reason)),
        };
        Self {
            profile: match s.profile {
                Profile::Demo => "demo",
                Profile::Configured => "configured",
            },
            configured: s.configured,
            account: s.account.map(|a| AccountDto {
                display_name: a.display_name,
                username: a.username,
                tenant_id: a.tenant_id,
            }),
            connection: ConnectionDto { state, reason },
            keychain_warning: s.keychain_warning,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebinarDto {
    pub id: String,
    pub title: String,
    pub description: String,
    pub start: Option<String>,
    pub end: Option<String>,
    pub time_zone: String,
    pub status: String,
    pub audience: Option<String>,
    pub role: &'static str,
    pub organizer_name: Option<String>,
    pub co_organizers: Vec<String>,
    pub listed: bool,
    pub last_synced_at: String,
}

impl From<Webinar> for WebinarDto {
    fn from(w: Webinar) -> Self {
        Self {
            start: w.start.map(|t| t.to_rfc3339()),
            end: w.end.map(|t| t.to_rfc3339()),
            status: w.status.as_str().to_string(),
            role: w.role.as_str(),
            last_synced_at: w.last_synced_at.to_rfc3339(),
            id: w.id,
            title: w.title,
            description: w.description,
            time_zone: w.time_zone,
            audience: w.audience,
            organizer_name: w.organizer_name,
            co_organizers: w.co_organizers,
            listed: w.listed,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebinarListDto {
    pub webinars: Vec<WebinarDto>,
    pub last_success_at: Option<String>,
    pub last_attempt_at: Option<String>,
    pub last_error: Option<String>,
}

impl From<WebinarList> for WebinarListDto {
    fn from(l: WebinarList) -> Self {
        Self {
            webinars: l.webinars.into_iter().map(Into::into).collect(),
            last_success_at: l
                .sync
                .as_ref()
                .and_then(|s| s.last_success_at)
                .map(|t| t.to_rfc3339()),
            last_attempt_at: l.sync.as_ref().map(|s| s.last_attempt_at.to_rfc3339()),
            last_error: l.sync.and_then(|s| s.last_error),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncReportDto {
    pub webinars: usize,
    pub unlisted: usize,
    pub warnings: Vec<String>,
    pub finished_at: String,
}

impl From<SyncReport> for SyncReportDto {
    fn from(r: SyncReport) -> Self {
        Self {
            webinars: r.webinars,
            unlisted: r.unlisted,
            warnings: r.warnings,
            finished_at: r.finished_at.to_rfc3339(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsDto {
    pub tenant_id: String,
    pub client_id: String,
    pub companion_url: String,
    pub companion_scope: String,
    #[serde(default)]
    pub authority_url: Option<String>,
    #[serde(default)]
    pub graph_url: Option<String>,
    /// The fields IT pushed (by their settings names): shown as set by the organization.
    #[serde(default)]
    pub managed: Vec<String>,
}

impl SettingsDto {
    pub fn new(s: TenantSettings, managed: Vec<&'static str>) -> Self {
        Self {
            tenant_id: s.tenant_id,
            client_id: s.client_id,
            companion_url: s.companion_url,
            companion_scope: s.companion_scope,
            authority_url: s.authority_url,
            graph_url: s.graph_url,
            managed: managed.into_iter().map(String::from).collect(),
        }
    }
}

impl From<SettingsDto> for TenantSettings {
    fn from(s: SettingsDto) -> Self {
        Self {
            tenant_id: s.tenant_id,
            client_id: s.client_id,
            companion_url: s.companion_url,
            companion_scope: s.companion_scope,
            authority_url: s.authority_url.filter(|u| !u.trim().is_empty()),
            graph_url: s.graph_url.filter(|u| !u.trim().is_empty()),
        }
    }
}

/// The About box: the app's name and version, the platform, and whether the third-party
/// notices are there to open.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AboutDto {
    pub name: String,
    pub version: String,
    pub os: &'static str,
    pub arch: &'static str,
    pub notices: bool,
}

/// What looking for an update found.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum UpdateCheckDto {
    /// Not looked: the last look was less than a day ago.
    NotDue,
    /// No feed: this build has no update key or feed, and IT set none.
    NoFeed {
        current: String,
    },
    UpToDate {
        current: String,
    },
    #[serde(rename_all = "camelCase")]
    Available {
        current: String,
        version: String,
        notes: Option<String>,
        published: Option<String>,
    },
}

/// Download progress, sent while an update downloads.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DownloadProgressDto {
    pub received: u64,
    pub total: Option<u64>,
}
