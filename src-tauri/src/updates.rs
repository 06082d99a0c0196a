//! Updates through Tauri's updater: look (at most daily unless asked, the decision in core's
//! `updates`), then download with progress, verify the signature against the public key built
//! into the app, install, relaunch. The update found is kept here between the look and the
//! organizer's "Install".
//!
//! Invariant: nothing is installed that the updater did not verify; a failure says in plain
//! words that nothing was installed. Debug builds (tests) may take the public key from
//! `WEBINAR_DESK_UPDATE_PUBKEY`; a release build uses only its own.

use tauri::ipc::Channel;
use tauri::{AppHandle, State};
use tauri_plugin_updater::{Update, UpdaterExt};
use tokio::sync::Mutex;
use webinar_desk_core::updates::explain;

use crate::AppState;
use crate::dto::{DownloadProgressDto, UiError, UpdateCheckDto};

/// The update found by the last look, until it is installed.
#[derive(Default)]
pub struct PendingUpdate(Mutex<Option<Update>>);

impl std::fmt::Debug for PendingUpdate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PendingUpdate")
    }
}

fn built_in_key(app: &AppHandle) -> String {
    app.config()
        .plugins
        .0
        .get("updater")
        .and_then(|u| u.get("pubkey"))
        .and_then(|k| k.as_str())
        .unwrap_or_default()
        .to_string()
}

fn built_in_feeds(app: &AppHandle) -> bool {
    app.config()
        .plugins
        .0
        .get("updater")
        .and_then(|u| u.get("endpoints"))
        .and_then(|e| e.as_array())
        .is_some_and(|e| !e.is_empty())
}

/// Looks for an update: `forced` by "Check for updates…", else only when a day has passed.
#[tauri::command]
pub async fn check_for_update(
    app: AppHandle,
    state: State<'_, AppState>,
    pending: State<'_, PendingUpdate>,
    forced: bool,
) -> Result<UpdateCheckDto, UiError> {
    let desk = state.desk().await;
    let now = chrono::Utc::now();
    if !forced && !desk.update_check_due(now)? {
        return Ok(UpdateCheckDto::NotDue);
    }
    let current = app.package_info().version.to_string();
    let mut key = built_in_key(&app);
    if cfg!(debug_assertions)
        && let Ok(test_key) = std::env::var("WEBINAR_DESK_UPDATE_PUBKEY")
    {
        key = test_key;
    }
    let feed = desk.update_feed()?;
    if key.is_empty() || (feed.is_none() && !built_in_feeds(&app)) {
        return Ok(UpdateCheckDto::NoFeed { current });
    }
    let mut builder = app.updater_builder().pubkey(key);
    if let Some(feed) = feed {
        builder = builder
            .endpoints(vec![feed])
            .map_err(|e| UiError::update(explain(&e.to_string())))?;
    }
    let updater = builder
        .build()
        .map_err(|e| UiError::update(explain(&e.to_string())))?;
    let found = updater.check().await;
    desk.record_update_check(now)?;
    let found = found.map_err(|e| {
        tracing::warn!("update check failed: {e}");
        UiError::update(explain(&e.to_string()))
    })?;
    let answer = match &found {
        Some(update) => {
            tracing::info!(version = update.version, "update available");
            UpdateCheckDto::Available {
                current,
                version: update.version.clone(),
                notes: update.body.clone(),
                published: update.date.map(|d| d.to_string()),
            }
        }
        None => UpdateCheckDto::UpToDate { current },
    };
    *pending.0.lock().await = found;
    Ok(answer)
}

/// Downloads the update found last (progress on `progress`), verifies it, installs it and
/// relaunches the app.
#[tauri::command]
pub async fn install_update(
    app: AppHandle,
    pending: State<'_, PendingUpdate>,
    progress: Channel<DownloadProgressDto>,
) -> Result<(), UiError> {
    let Some(update) = pending.0.lock().await.take() else {
        return Err(UiError::update(
            "There is no update to install: check for updates first.".into(),
        ));
    };
    let mut received = 0u64;
    let bytes = update
        .download(
            |chunk, total| {
                received += chunk as u64;
                let _ = progress.send(DownloadProgressDto { received, total });
            },
            || {},
        )
        .await
        .map_err(|e| {
            tracing::warn!(version = update.version, "update refused: {e}");
            UiError::update(explain(&e.to_string()))
        })?;
    tracing::info!(version = update.version, "update verified; installing");
    update.install(bytes).map_err(|e| {
        tracing::warn!(version = update.version, "update not installed: {e}");
        UiError::update(explain(&format!("install: {e}")))
    })?;
    tracing::info!(version = update.version, "update installed; relaunching");
    app.restart();
}
