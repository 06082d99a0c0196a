//! The Tauri shell: windows, plugins, app state and commands — nothing else. Every command is a
//! few lines that call one [`webinar_desk_core`] function and convert the result at the edge
//! ([`dto`]). The shell is the only crate that knows Tauri.

mod commands;
mod dto;
#[cfg(target_os = "linux")]
mod rendering;
mod state;
mod updates;

use std::sync::Arc;

use webinar_desk_core::auth::OsKeychain;
use webinar_desk_core::config::Paths;

pub use state::AppState;

/// How the app was started.
#[derive(Debug, Clone, Copy, Default)]
pub struct Launch {
    /// `--demo`: start on the built-in simulated tenant.
    pub demo: bool,
}

impl Launch {
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Self {
        Self {
            demo: args.into_iter().any(|a| a == "--demo"),
        }
    }
}

/// Stderr plus rotating daily files in `dir`; the guard flushes the file when dropped. Without
/// a writable folder, stderr only (and a line saying so).
fn logging(dir: &std::path::Path) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    use tracing_subscriber::prelude::*;
    let filter = || {
        tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| "info,tao=warn,wry=warn".into())
    };
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(filter());
    let files = std::fs::create_dir_all(dir).ok().and_then(|()| {
        tracing_appender::rolling::RollingFileAppender::builder()
            .rotation(tracing_appender::rolling::Rotation::DAILY)
            .filename_prefix("webinar-desk")
            .filename_suffix("log")
            .max_log_files(14)
            .build(dir)
            .ok()
    });
    match files {
        Some(files) => {
            let (writer, guard) = tracing_appender::non_blocking(files);
            let file = tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(writer)
                .with_filter(filter());
            tracing_subscriber::registry()
                .with(stderr)
                .with(file)
                .init();
            Some(guard)
        }
        None => {
            tracing_subscriber::registry().with(stderr).init();
            tracing::warn!(
                "cannot write logs to {}; logging to stderr only",
                dir.display()
            );
            None
        }
    }
}

/// SIGTERM (a session logging out, a system shutting down) ends the app as closing its window
/// does, so what is kept at exit (the window's size and place) is kept.
fn stop_on_sigterm(app: tauri::AppHandle) {
    #[cfg(unix)]
    tauri::async_runtime::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                if term.recv().await.is_some() {
                    tracing::info!("SIGTERM: closing as if the window were closed");
                    app.exit(0);
                }
            }
            Err(e) => tracing::warn!("no SIGTERM handler: {e}"),
        }
    });
    #[cfg(not(unix))]
    let _ = app;
}

/// Builds and runs the app; returns when the last window closes.
pub fn run(launch: Launch) {
    let paths = match Paths::discover() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("webinar-desk: {e}");
            std::process::exit(2);
        }
    };
    // Logs go to stderr and to daily files in the OS log folder (two weeks kept), which
    // "Open log folder" shows; nothing secret is ever logged (see core's `auth::Secret`).
    let _log_guard = logging(&paths.log_dir);
    // The plugin writes there at exit without making the folder, which a first start in a
    // fresh home has not made yet.
    let window_state = paths.config_dir.join("window-state.json");
    if let Err(e) = std::fs::create_dir_all(&paths.config_dir) {
        tracing::warn!("cannot make {}: {e}", paths.config_dir.display());
    }
    tauri::Builder::default()
        // First, so a second launch hands over before anything else starts.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            tracing::info!("a second launch: showing the running window instead");
            if let Some(window) = tauri::Manager::get_webview_window(app, "main") {
                let _ = window.unminimize();
                let _ = window.show();
                let _ = window.set_focus();
            }
        }))
        // Kept beside the settings (an absolute name replaces the plugin's folder), so
        // `WEBINAR_DESK_HOME` holds it too.
        .plugin(
            tauri_plugin_window_state::Builder::default()
                .with_filename(window_state.to_string_lossy())
                .build(),
        )
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_updater::Builder::new().build())
        .manage(updates::PendingUpdate::default())
        .setup(move |app| {
            let state = tauri::async_runtime::block_on(AppState::start(
                paths,
                Arc::new(OsKeychain),
                launch.demo,
            ))?;
            tauri::Manager::manage(app, state);
            stop_on_sigterm(app.handle().clone());
            #[cfg(target_os = "linux")]
            if let Some(window) = tauri::Manager::get_webview_window(app, "main") {
                rendering::fit_to_display(&window, std::path::Path::new("/dev/dri"));
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::status,
            commands::resume,
            commands::start_demo,
            commands::leave_demo,
            commands::sign_in,
            commands::cancel_sign_in,
            commands::sign_out,
            commands::webinars,
            commands::sync_webinars,
            commands::get_settings,
            commands::save_settings,
            commands::series_list,
            commands::series_detail,
            commands::save_series,
            commands::publish_series,
            commands::roll_back_series,
            commands::preview_series_edit,
            commands::edit_series,
            commands::series_registrants,
            commands::cancel_series,
            commands::delete_series,
            commands::group_webinars,
            commands::time_zones,
            commands::generate_sessions,
            commands::sync_attendance,
            commands::sync_series_attendance,
            commands::set_attendance_rules,
            commands::sync_progress,
            commands::session_attendance,
            commands::session_registrations,
            commands::series_attendance,
            commands::person_history,
            commands::check_drift,
            commands::resolve_drift,
            commands::drift_status,
            commands::export_csv,
            commands::reveal_file,
            commands::journal,
            commands::diagnose,
            commands::open_log_folder,
            commands::about,
            commands::open_notices,
            updates::check_for_update,
            updates::install_update,
        ])
        .run(tauri::generate_context!())
        .expect("the Tauri runtime starts");
}
