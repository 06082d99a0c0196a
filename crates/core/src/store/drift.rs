//! Drift in the local copy: each webinar's baseline and the last check's finding.
//!
//! Invariants: a baseline moves only when we write a webinar, the organizer accepts Teams'
//! version, or a webinar is first seen — never because a sync read it; a failed check records
//! its failure beside the previous finding and never replaces it; a baseline missing the
//! registration part takes it from the first check that read it.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError, parse_time};
use crate::drift::{Finding, WebinarProjection};
use crate::series::Projection;

/// Why a baseline was set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaselineSource {
    FirstSeen,
    Written,
    Accepted,
}

impl BaselineSource {
    fn as_str(self) -> &'static str {
        match self {
            BaselineSource::FirstSeen => "firstSeen",
            BaselineSource::Written => "written",
            BaselineSource::Accepted => "accepted",
        }
    }
}

/// The last check of a webinar.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftCheck {
    pub webinar_id: String,
    /// From the last check that succeeded.
    pub finding: Option<Finding>,
    pub checked_at: Option<DateTime<Utc>>,
    /// When the latest check failed, what failed and Graph's request id.
    pub failure: Option<(DateTime<Utc>, String, Option<String>)>,
}

impl Store {
    pub fn drift_baseline(
        &self,
        webinar_id: &str,
    ) -> Result<Option<(WebinarProjection, DateTime<Utc>)>, StoreError> {
        let row: Option<(String, String)> = self
            .conn()
            .query_row(
                "SELECT projection, set_at FROM drift_baselines WHERE webinar_id = ?1",
                [webinar_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        row.map(|(p, at)| {
            Ok((
                serde_json::from_str(&p)
                    .map_err(|_| StoreError::Corrupt("drift baseline".into()))?,
                parse_time(&at)?,
            ))
        })
        .transpose()
    }

    pub fn set_drift_baseline(
        &self,
        webinar_id: &str,
        projection: &WebinarProjection,
        source: BaselineSource,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        set_baseline(&self.conn(), webinar_id, projection, source, at)
    }

    /// The last checks of these webinars (those never checked are left out).
    pub fn drift_checks(&self, webinar_ids: &[String]) -> Result<Vec<DriftCheck>, StoreError> {
        let conn = self.read();
        let mut stmt = conn.prepare(
            "SELECT finding, checked_at, failed_at, failure, request_id FROM drift_checks
             WHERE webinar_id = ?1",
        )?;
        let mut out = Vec::new();
        for id in webinar_ids {
            type Row = (
                Option<String>,
                Option<String>,
                Option<String>,
                Option<String>,
                Option<String>,
            );
            let row: Option<Row> = stmt
                .query_row([id], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })
                .optional()?;
            let Some((finding, checked, failed, failure, request_id)) = row else {
                continue;
            };
            out.push(DriftCheck {
                webinar_id: id.clone(),
                finding: finding
                    .map(|f| serde_json::from_str(&f))
                    .transpose()
                    .map_err(|_| StoreError::Corrupt("drift finding".into()))?,
                checked_at: checked.as_deref().map(parse_time).transpose()?,
                failure: match (failed, failure) {
                    (Some(at), Some(message)) => Some((parse_time(&at)?, message, request_id)),
                    _ => None,
                },
            });
        }
        Ok(out)
    }

    /// Records a good check: its finding replaces the last, and any failure is cleared.
    pub fn record_drift_finding(
        &self,
        webinar_id: &str,
        finding: &Finding,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(finding).expect("plain data serializes");
        self.conn().execute(
            "INSERT INTO drift_checks (webinar_id, finding, checked_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (webinar_id) DO UPDATE SET finding = ?2, checked_at = ?3,
                 failed_at = NULL, failure = NULL, request_id = NULL",
            params![webinar_id, json, at.to_rfc3339()],
        )?;
        Ok(())
    }

    /// Records a failed check beside the last finding, which stays.
    pub fn record_drift_failure(
        &self,
        webinar_id: &str,
        message: &str,
        request_id: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO drift_checks (webinar_id, failed_at, failure, request_id)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (webinar_id) DO UPDATE SET failed_at = ?2, failure = ?3,
                 request_id = ?4",
            params![webinar_id, at.to_rfc3339(), message, request_id],
        )?;
        Ok(())
    }
}

fn set_baseline(
    conn: &rusqlite::Connection,
    webinar_id: &str,
    projection: &WebinarProjection,
    source: BaselineSource,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let json = serde_json::to_string(projection).expect("plain data serializes");
    conn.execute(
        "INSERT INTO drift_baselines (webinar_id, projection, source, set_at)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (webinar_id) DO UPDATE SET projection = ?2, source = ?3, set_at = ?4",
        params![webinar_id, json, source.as_str(), at.to_rfc3339()],
    )?;
    Ok(())
}

/// After we wrote a series session: the fields we wrote become its baseline's (the others —
/// co-organizers, settings, registration — keep theirs). Nothing is made for a webinar never
/// checked; its first check takes Teams' version, which is then ours.
pub(super) fn baseline_written(
    conn: &rusqlite::Connection,
    webinar_id: &str,
    written: &Projection,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let current: Option<String> = conn
        .query_row(
            "SELECT projection FROM drift_baselines WHERE webinar_id = ?1",
            [webinar_id],
            |r| r.get(0),
        )
        .optional()?;
    let Some(current) = current else {
        return Ok(());
    };
    let mut p: WebinarProjection =
        serde_json::from_str(&current).map_err(|_| StoreError::Corrupt("drift baseline".into()))?;
    p.title = written.title.trim().to_string();
    p.description_html = written.description_html.clone();
    p.start = Some(written.start);
    p.end = Some(written.end);
    if written.canceled {
        p.status = "canceled".into();
    } else if p.status == "canceled" || p.status == "draft" {
        p.status = "published".into();
    }
    set_baseline(conn, webinar_id, &p, BaselineSource::Written, at)
}
