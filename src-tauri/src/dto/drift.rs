//! Drift shapes for the window: each webinar's finding with its field-by-field difference, the
//! last check's time and failure, and how a resolution ended.

use serde::{Deserialize, Serialize};
use webinar_desk_core::drift::check::DriftStatus;
use webinar_desk_core::drift::{FieldDiff, Finding};
use webinar_desk_core::series::{DriftChoice, Resolution};

/// Which webinars to check: a series, one webinar, or (neither) everything.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DriftScopeDto {
    pub series: Option<String>,
    pub webinar: Option<String>,
}

impl From<DriftScopeDto> for webinar_desk_core::desk::DriftScope {
    fn from(s: DriftScopeDto) -> Self {
        use webinar_desk_core::desk::DriftScope;
        match (s.series, s.webinar) {
            (Some(id), _) => DriftScope::Series(id),
            (None, Some(id)) => DriftScope::Webinar(id),
            (None, None) => DriftScope::All,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldDiffDto {
    pub field: String,
    pub baseline: String,
    pub teams: String,
    pub ours: Option<String>,
    pub plain: String,
}

impl From<FieldDiff> for FieldDiffDto {
    fn from(f: FieldDiff) -> Self {
        Self {
            field: f.field,
            baseline: f.baseline,
            teams: f.teams,
            ours: f.ours,
            plain: f.plain,
        }
    }
}

impl From<FieldDiffDto> for FieldDiff {
    fn from(f: FieldDiffDto) -> Self {
        Self {
            field: f.field,
            baseline: f.baseline,
            teams: f.teams,
            ours: f.ours,
            plain: f.plain,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FindingDto {
    /// `inSync`, `changedInTeams`, `canceledInTeams`, `missingInTeams`, `localEdits`.
    pub kind: &'static str,
    pub fields: Vec<FieldDiffDto>,
}

impl From<Finding> for FindingDto {
    fn from(f: Finding) -> Self {
        Self {
            kind: f.kind.as_str(),
            fields: f.fields.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckFailureDto {
    pub at: String,
    pub message: String,
    pub request_id: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DriftStatusDto {
    pub webinar_id: String,
    pub title: String,
    pub series_id: Option<String>,
    /// From the last good check; null when never checked.
    pub finding: Option<FindingDto>,
    pub checked_at: Option<String>,
    /// Set when the latest check failed (the finding above is then the previous one).
    pub failure: Option<CheckFailureDto>,
    pub fresh: bool,
}

impl From<DriftStatus> for DriftStatusDto {
    fn from(s: DriftStatus) -> Self {
        Self {
            webinar_id: s.webinar_id,
            title: s.title,
            series_id: s.series_id,
            finding: s.check.finding.map(Into::into),
            checked_at: s.check.checked_at.map(|t| t.to_rfc3339()),
            failure: s
                .check
                .failure
                .map(|(at, message, request_id)| CheckFailureDto {
                    at: at.to_rfc3339(),
                    message,
                    request_id,
                }),
            fresh: s.fresh,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DriftChoiceDto {
    AcceptTeams,
    ReapplyOurs,
}

impl From<DriftChoiceDto> for DriftChoice {
    fn from(c: DriftChoiceDto) -> Self {
        match c {
            DriftChoiceDto::AcceptTeams => DriftChoice::AcceptTeams,
            DriftChoiceDto::ReapplyOurs => DriftChoice::ReapplyOurs,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolutionDto {
    /// `resolved`, or `changedAgain` (nothing was written; `finding` is the new difference).
    pub outcome: &'static str,
    pub finding: FindingDto,
}

impl From<Resolution> for ResolutionDto {
    fn from(r: Resolution) -> Self {
        match r {
            Resolution::Resolved(f) => Self {
                outcome: "resolved",
                finding: f.into(),
            },
            Resolution::ChangedAgain(f) => Self {
                outcome: "changedAgain",
                finding: f.into(),
            },
        }
    }
}
