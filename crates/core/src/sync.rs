//! Bringing Teams' state into the local copy, in the Atuin manner: fetch, then compute a plan in
//! pure code ([`plan_listing`]), then apply it in one transaction.
//!
//! Invariants: planning does no IO and takes `now` as a parameter; a webinar that disappears
//! from my lists is marked unlisted, never deleted (the local copy is the long-term record); a
//! failed fetch changes nothing but the sync state's error.

pub mod attendance;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::graph::types::VirtualEventWebinar;
use crate::graph::{GraphClient, GraphError, UserRole};
use crate::store::{Store, StoreError};
use crate::time;
use crate::webinar::{Role, Webinar, WebinarStatus};

/// A webinar to write, with the Graph projection it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct WebinarRecord {
    pub webinar: Webinar,
    pub remote_json: String,
    pub remote_hash: String,
}

/// What a listing sync will change.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListingPlan {
    pub upsert: Vec<WebinarRecord>,
    pub unlist: Vec<String>,
    /// Things Teams sent that we could only partly understand, in plain language.
    pub warnings: Vec<String>,
}

/// Plans the local listing from both role lists. A webinar in both lists counts as organized.
pub fn plan_listing(
    organizer: Vec<VirtualEventWebinar>,
    co_organizer: Vec<VirtualEventWebinar>,
    listed_locally: &[String],
    now: DateTime<Utc>,
) -> ListingPlan {
    let mut plan = ListingPlan::default();
    let mut seen = std::collections::HashSet::new();
    let tagged = organizer
        .into_iter()
        .map(|w| (w, Role::Organizer))
        .chain(co_organizer.into_iter().map(|w| (w, Role::CoOrganizer)));
    for (remote, role) in tagged {
        if !seen.insert(remote.id.clone()) {
            continue;
        }
        let (webinar, mut warnings) = to_webinar(&remote, role, now);
        plan.warnings.append(&mut warnings);
        let remote_json = serde_json::to_string(&remote).expect("Graph types serialize");
        let remote_hash = hex(&Sha256::digest(remote_json.as_bytes()));
        plan.upsert.push(WebinarRecord {
            webinar,
            remote_json,
            remote_hash,
        });
    }
    plan.unlist = listed_locally
        .iter()
        .filter(|id| !seen.contains(*id))
        .cloned()
        .collect();
    plan
}

fn to_webinar(
    remote: &VirtualEventWebinar,
    role: Role,
    now: DateTime<Utc>,
) -> (Webinar, Vec<String>) {
    let mut warnings = Vec::new();
    let title = remote
        .display_name
        .clone()
        .unwrap_or_else(|| "(untitled webinar)".into());
    let mut instant = |which: &str, v: &Option<crate::graph::types::DateTimeTimeZone>| {
        let v = v.as_ref()?;
        match time::instant(&v.date_time, v.time_zone.as_deref().unwrap_or("UTC")) {
            Ok(t) => Some(t),
            Err(e) => {
                warnings.push(format!(
                    "“{title}”: the {which} time could not be read ({e})."
                ));
                None
            }
        }
    };
    let start = instant("start", &remote.start_date_time);
    let end = instant("end", &remote.end_date_time);
    let webinar = Webinar {
        id: remote.id.clone(),
        description: remote
            .description
            .as_ref()
            .and_then(|d| d.content.clone())
            .unwrap_or_default(),
        start,
        end,
        time_zone: remote
            .start_date_time
            .as_ref()
            .and_then(|d| d.time_zone.clone())
            .unwrap_or_default(),
        status: WebinarStatus::from_graph(remote.status.as_deref()),
        audience: remote.audience.clone(),
        role,
        organizer_name: remote
            .created_by
            .as_ref()
            .and_then(|c| c.user.as_ref())
            .and_then(|u| u.display_name.clone()),
        co_organizers: remote
            .co_organizers
            .iter()
            .filter_map(|c| c.display_name.clone())
            .collect(),
        listed: true,
        last_synced_at: now,
        title,
    };
    (webinar, warnings)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a sync did, for the UI and the CLI.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncReport {
    pub webinars: usize,
    pub unlisted: usize,
    pub warnings: Vec<String>,
    pub finished_at: DateTime<Utc>,
}

/// Fetches both role lists, plans, applies. On failure the cache is untouched and the failure
/// is recorded.
pub async fn sync_my_webinars(
    graph: &GraphClient,
    store: &Store,
    now: DateTime<Utc>,
) -> Result<SyncReport, SyncError> {
    let fetched = async {
        let (organizer, co_organizer) = tokio::try_join!(
            graph.webinars_by_role(UserRole::Organizer),
            graph.webinars_by_role(UserRole::CoOrganizer)
        )?;
        Ok::<_, GraphError>((organizer, co_organizer))
    }
    .await;
    let (organizer, co_organizer) = match fetched {
        Ok(lists) => lists,
        Err(e) => {
            store.record_failed_sync("webinars", now, &e.to_string())?;
            return Err(e.into());
        }
    };
    let plan = plan_listing(organizer, co_organizer, &store.listed_webinar_ids()?, now);
    store.apply_listing(&plan, now)?;
    for warning in &plan.warnings {
        tracing::warn!("sync: {warning}");
    }
    Ok(SyncReport {
        webinars: plan.upsert.len(),
        unlisted: plan.unlist.len(),
        warnings: plan.warnings,
        finished_at: now,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(id: &str, title: &str, start: &str) -> VirtualEventWebinar {
        serde_json::from_value(serde_json::json!({
            "id": id, "displayName": title, "status": "published", "audience": "everyone",
            "startDateTime": {"dateTime": start, "timeZone": "W. Europe Standard Time"},
            "endDateTime": {"dateTime": "2026-06-01T11:00:00", "timeZone": "W. Europe Standard Time"},
            "coOrganizers": [{"id": "u2", "displayName": "Adele Vance", "tenantId": "t"}]
        }))
        .unwrap()
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-05-01T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn both_roles_are_merged_and_organizer_wins() {
        let a = remote("a", "Kick-off", "2026-06-01T10:00:00");
        let b = remote("b", "Office hour", "2026-06-02T10:00:00");
        let plan = plan_listing(vec![a.clone()], vec![a, b], &[], now());
        let roles: Vec<_> = plan
            .upsert
            .iter()
            .map(|r| (r.webinar.id.as_str(), r.webinar.role))
            .collect();
        assert_eq!(roles, [("a", Role::Organizer), ("b", Role::CoOrganizer)]);
        assert_eq!(
            plan.upsert[0].webinar.start.unwrap().to_rfc3339(),
            "2026-06-01T08:00:00+00:00"
        );
        assert_eq!(plan.upsert[0].webinar.co_organizers, ["Adele Vance"]);
    }

    #[test]
    fn webinars_no_longer_listed_are_unlisted_not_deleted() {
        let plan = plan_listing(
            vec![remote("a", "A", "2026-06-01T10:00:00")],
            vec![],
            &["a".into(), "gone".into()],
            now(),
        );
        assert_eq!(plan.unlist, ["gone"]);
    }

    #[test]
    fn unreadable_times_become_warnings_not_failures() {
        let plan = plan_listing(vec![remote("a", "A", "yesterday")], vec![], &[], now());
        assert_eq!(plan.upsert.len(), 1);
        assert_eq!(plan.upsert[0].webinar.start, None);
        assert!(
            plan.warnings[0].contains("start time"),
            "{:?}",
            plan.warnings
        );
    }

    #[test]
    fn the_hash_follows_the_projection() {
        let p1 = plan_listing(
            vec![remote("a", "A", "2026-06-01T10:00:00")],
            vec![],
            &[],
            now(),
        );
        let p2 = plan_listing(
            vec![remote("a", "A!", "2026-06-01T10:00:00")],
            vec![],
            &[],
            now(),
        );
        assert_ne!(p1.upsert[0].remote_hash, p2.upsert[0].remote_hash);
    }
}
