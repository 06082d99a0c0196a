//! The diagnostics report as the window sees it.

use serde::Serialize;
use webinar_desk_core::diagnostics::{Check, Report};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiagnosticsDto {
    pub at: String,
    pub checks: Vec<CheckDto>,
    /// The text "Copy report" puts on the clipboard (no secrets in it).
    pub text: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckDto {
    pub id: &'static str,
    pub title: &'static str,
    /// `pass`, `fail` or `unknown`.
    pub outcome: &'static str,
    pub detail: String,
    pub remedy: Option<String>,
    pub request_id: Option<String>,
    pub client_request_id: Option<String>,
}

impl From<Report> for DiagnosticsDto {
    fn from(r: Report) -> Self {
        Self {
            at: r.at.to_rfc3339(),
            text: r.text(),
            checks: r.checks.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<Check> for CheckDto {
    fn from(c: Check) -> Self {
        Self {
            id: c.id.as_str(),
            title: c.id.title(),
            outcome: c.outcome.as_str(),
            detail: c.detail,
            remedy: c.remedy,
            request_id: c.request_id,
            client_request_id: c.client_request_id,
        }
    }
}
