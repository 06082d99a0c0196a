//! The commands the window may invoke. Each is a few lines: get the desk, call one core
//! function, convert at the edge.

use tauri::State;
use tauri_plugin_opener::OpenerExt;
use webinar_desk_core::auth::SignInOptions;

use crate::AppState;
use crate::dto::{
    AttendanceSyncDto, ChangeDto, DriftChoiceDto, DriftScopeDto, DriftStatusDto, EditOutcomeDto,
    ExportedDto, FieldDiffDto, PageDto, PageQueryDto, PersonHistoryDto, PersonRefDto, PlanDto,
    ProgressDto, PublishOutcomeDto, RecurrenceDto, RegistrantCountDto, RegistrationRowDto,
    RemainingDto, ResolutionDto, SavedDto, SeriesAttendanceDto, SeriesDetailDto, SeriesSummaryDto,
    SessionAttendanceDto, SessionDto, SettingsDto, StatusDto, SyncReportDto, UiError,
    WebinarListDto, ZoneDto,
};

type Reply<T> = Result<T, UiError>;

#[tauri::command]
pub async fn status(state: State<'_, AppState>) -> Reply<StatusDto> {
    Ok(state.desk().await.status().await.into())
}

#[tauri::command]
pub async fn resume(state: State<'_, AppState>) -> Reply<StatusDto> {
    Ok(state.desk().await.start().await.into())
}

#[tauri::command]
pub async fn start_demo(state: State<'_, AppState>) -> Reply<StatusDto> {
    let desk = state.enter_demo().await?;
    Ok(desk.resume().await.into())
}

#[tauri::command]
pub async fn leave_demo(state: State<'_, AppState>) -> Reply<StatusDto> {
    let desk = state.leave_demo().await?;
    Ok(desk.resume().await.into())
}

/// Opens the system browser for sign-in and waits for it (cancelable with `cancel_sign_in`).
#[tauri::command]
pub async fn sign_in(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    login_hint: Option<String>,
) -> Reply<StatusDto> {
    let desk = state.desk().await;
    let options = SignInOptions {
        login_hint,
        ..SignInOptions::default()
    };
    let task = tokio::spawn(async move {
        let open = move |url: &str| {
            app.opener()
                .open_url(url, None::<&str>)
                .map_err(|e| e.to_string())
        };
        desk.sign_in(&options, &open).await
    });
    *state.sign_in.lock().await = Some(task.abort_handle());
    match task.await {
        Ok(result) => Ok(result?.into()),
        Err(_) => Err(UiError::canceled()),
    }
}

#[tauri::command]
pub async fn cancel_sign_in(state: State<'_, AppState>) -> Reply<()> {
    if let Some(handle) = state.sign_in.lock().await.take() {
        handle.abort();
    }
    Ok(())
}

#[tauri::command]
pub async fn sign_out(state: State<'_, AppState>, remove_cache: bool) -> Reply<StatusDto> {
    Ok(state.desk().await.sign_out(remove_cache).await?.into())
}

#[tauri::command]
pub async fn webinars(state: State<'_, AppState>) -> Reply<WebinarListDto> {
    Ok(state.desk().await.webinars().await?.into())
}

#[tauri::command]
pub async fn sync_webinars(state: State<'_, AppState>) -> Reply<SyncReportDto> {
    Ok(state
        .desk()
        .await
        .sync_webinars(chrono::Utc::now())
        .await?
        .into())
}

#[tauri::command]
pub async fn get_settings(state: State<'_, AppState>) -> Reply<SettingsDto> {
    let desk = state.desk().await;
    Ok(SettingsDto::new(desk.settings()?, desk.managed_fields()?))
}

#[tauri::command]
pub async fn save_settings(state: State<'_, AppState>, settings: SettingsDto) -> Reply<StatusDto> {
    let desk = state.leave_demo().await?;
    Ok(desk.save_settings(settings.into()).await?.into())
}

// ----- series ----------------------------------------------------------------------------------

#[tauri::command]
pub async fn series_list(state: State<'_, AppState>) -> Reply<Vec<SeriesSummaryDto>> {
    let list = state.desk().await.series_list().await?;
    Ok(list.into_iter().map(Into::into).collect())
}

#[tauri::command]
pub async fn series_detail(state: State<'_, AppState>, id: String) -> Reply<SeriesDetailDto> {
    Ok(state.desk().await.series_detail(&id).await?.into())
}

/// Saves a plan not yet in Teams; returns its id and its problems (saved either way).
#[tauri::command]
pub async fn save_series(state: State<'_, AppState>, plan: PlanDto) -> Reply<SavedDto> {
    let plan = plan.into_plan()?;
    let problems = state
        .desk()
        .await
        .save_series(&plan, chrono::Utc::now())
        .await?;
    Ok(SavedDto::new(plan.id, problems))
}

#[tauri::command]
pub async fn publish_series(state: State<'_, AppState>, id: String) -> Reply<PublishOutcomeDto> {
    Ok(state.desk().await.publish_series(&id).await?.into())
}

#[tauri::command]
pub async fn roll_back_series(state: State<'_, AppState>, id: String) -> Reply<PublishOutcomeDto> {
    Ok(state.desk().await.roll_back_series(&id).await?.into())
}

#[tauri::command]
pub async fn preview_series_edit(
    state: State<'_, AppState>,
    plan: PlanDto,
) -> Reply<Vec<ChangeDto>> {
    let changes = state
        .desk()
        .await
        .preview_series_edit(&plan.into_plan()?)
        .await?;
    Ok(changes.into_iter().map(Into::into).collect())
}

#[tauri::command]
pub async fn edit_series(state: State<'_, AppState>, plan: PlanDto) -> Reply<EditOutcomeDto> {
    let plan = plan.into_plan()?;
    Ok(state.desk().await.edit_series(&plan).await?.into())
}

#[tauri::command]
pub async fn series_registrants(
    state: State<'_, AppState>,
    id: String,
) -> Reply<RegistrantCountDto> {
    Ok(state.desk().await.series_registrants(&id).await?.into())
}

#[tauri::command]
pub async fn cancel_series(state: State<'_, AppState>, id: String) -> Reply<EditOutcomeDto> {
    Ok(state.desk().await.cancel_series(&id).await?.into())
}

#[tauri::command]
pub async fn delete_series(state: State<'_, AppState>, id: String) -> Reply<Vec<RemainingDto>> {
    let remaining = state.desk().await.delete_series(&id).await?;
    Ok(remaining.into_iter().map(Into::into).collect())
}

#[tauri::command]
pub async fn group_webinars(
    state: State<'_, AppState>,
    title: String,
    webinar_ids: Vec<String>,
) -> Reply<PlanDto> {
    let plan = state
        .desk()
        .await
        .group_webinars(&title, &webinar_ids)
        .await?;
    Ok(plan.into())
}

#[tauri::command]
pub fn time_zones() -> Vec<ZoneDto> {
    webinar_desk_core::series::time_zones()
        .into_iter()
        .map(|(iana, windows)| ZoneDto { iana, windows })
        .collect()
}

#[tauri::command]
pub async fn generate_sessions(recurrence: RecurrenceDto) -> Reply<Vec<SessionDto>> {
    Ok(recurrence.generate()?)
}

// ----- registrations and attendance -------------------------------------------------------------

#[tauri::command]
pub async fn sync_attendance(
    state: State<'_, AppState>,
    webinar_id: String,
) -> Reply<AttendanceSyncDto> {
    let desk = state.desk().await;
    Ok(desk
        .sync_attendance(&webinar_id, chrono::Utc::now())
        .await?
        .into())
}

#[tauri::command]
pub async fn sync_series_attendance(
    state: State<'_, AppState>,
    series_id: String,
) -> Reply<Vec<AttendanceSyncDto>> {
    let desk = state.desk().await;
    let reports = desk
        .sync_series_attendance(&series_id, chrono::Utc::now())
        .await?;
    Ok(reports.into_iter().map(Into::into).collect())
}

#[tauri::command]
pub async fn sync_progress(
    state: State<'_, AppState>,
    webinar_id: String,
) -> Reply<Option<ProgressDto>> {
    Ok(state
        .desk()
        .await
        .sync_progress(&webinar_id)
        .map(Into::into))
}

#[tauri::command]
pub async fn session_attendance(
    state: State<'_, AppState>,
    webinar_id: String,
    query: PageQueryDto,
) -> Reply<SessionAttendanceDto> {
    let desk = state.desk().await;
    Ok(desk
        .session_attendance(&webinar_id, &query.into())
        .await?
        .into())
}

#[tauri::command]
pub async fn session_registrations(
    state: State<'_, AppState>,
    webinar_id: String,
    query: PageQueryDto,
) -> Reply<PageDto<RegistrationRowDto>> {
    let desk = state.desk().await;
    Ok(desk
        .session_registrations(&webinar_id, &query.into())
        .await?
        .into())
}

#[tauri::command]
pub async fn series_attendance(
    state: State<'_, AppState>,
    series_id: String,
) -> Reply<SeriesAttendanceDto> {
    Ok(state
        .desk()
        .await
        .series_attendance(&series_id)
        .await?
        .into())
}

/// Changes the outcome rules and recomputes every kept session; returns how many.
#[tauri::command]
pub async fn set_attendance_rules(
    state: State<'_, AppState>,
    attended_pct: f64,
    completion_pct: f64,
) -> Reply<usize> {
    let rules = webinar_desk_core::attendance::Rules {
        attended_pct,
        completion_pct,
    };
    Ok(state
        .desk()
        .await
        .set_attendance_rules(rules, chrono::Utc::now())
        .await?)
}

/// One person's registrations and attendance in every webinar of the local copy.
#[tauri::command]
pub async fn person_history(
    state: State<'_, AppState>,
    person: PersonRefDto,
) -> Reply<PersonHistoryDto> {
    Ok(state
        .desk()
        .await
        .person_history(&person.into())
        .await?
        .into())
}

/// Checks webinars for edits made in Teams (at most every 5 minutes each unless `forced`).
#[tauri::command]
pub async fn check_drift(
    state: State<'_, AppState>,
    scope: DriftScopeDto,
    forced: bool,
) -> Reply<Vec<DriftStatusDto>> {
    let statuses = state
        .desk()
        .await
        .check_drift(&scope.into(), forced, chrono::Utc::now())
        .await?;
    Ok(statuses.into_iter().map(Into::into).collect())
}

/// Accepts Teams' version of a webinar, or re-applies ours; `seen` is the difference shown.
#[tauri::command]
pub async fn resolve_drift(
    state: State<'_, AppState>,
    webinar_id: String,
    choice: DriftChoiceDto,
    seen: Vec<FieldDiffDto>,
) -> Reply<ResolutionDto> {
    let seen: Vec<_> = seen.into_iter().map(Into::into).collect();
    Ok(state
        .desk()
        .await
        .resolve_drift(&webinar_id, choice.into(), &seen)
        .await?
        .into())
}

/// The last drift checks from the local copy (works offline).
#[tauri::command]
pub async fn drift_status(
    state: State<'_, AppState>,
    scope: DriftScopeDto,
) -> Reply<Vec<DriftStatusDto>> {
    let statuses = state
        .desk()
        .await
        .drift_status(&scope.into(), chrono::Utc::now())
        .await?;
    Ok(statuses.into_iter().map(Into::into).collect())
}

/// Exports `what` (attendance, intervals, matrix, registrations, calendar) of a series or webinar from
/// the local copy to a file the user picks in the save dialog; `None` when they cancel.
/// `WEBINAR_DESK_EXPORT_DIR` skips the dialog (automation and tests).
#[tauri::command]
pub async fn export_csv(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    what: String,
    id: String,
    bom: bool,
) -> Reply<Option<ExportedDto>> {
    use webinar_desk_core::desk::ExportKind;
    let kind = match what.as_str() {
        "intervals" => ExportKind::Intervals,
        "matrix" => ExportKind::Matrix,
        "registrations" => ExportKind::Registrations,
        "calendar" => ExportKind::Calendar,
        "teams" => ExportKind::TeamsReport,
        _ => ExportKind::Attendance,
    };
    let options = webinar_desk_core::export::CsvOptions { bom };
    let desk = state.desk().await;
    let file = if what == "journal" {
        // `id` is then the journal search.
        desk.export_journal(&id, options, chrono::Utc::now())
            .await?
    } else {
        desk.export(kind, &id, options, chrono::Utc::now()).await?
    };
    let Some(path) = save_path(&app, &file.file_name).await else {
        return Ok(None);
    };
    webinar_desk_core::export::save(&path, &file.bytes)
        .map_err(|e| UiError::not_written(&path, &e))?;
    Ok(Some(ExportedDto {
        path: path.display().to_string(),
        rows: file.rows,
    }))
}

async fn save_path(app: &tauri::AppHandle, suggested: &str) -> Option<std::path::PathBuf> {
    use tauri_plugin_dialog::DialogExt;
    if let Some(dir) = std::env::var_os("WEBINAR_DESK_EXPORT_DIR") {
        return Some(std::path::PathBuf::from(dir).join(suggested));
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let (label, extension) = if suggested.ends_with(".ics") {
        ("Calendar (iCalendar)", "ics")
    } else {
        ("CSV", "csv")
    };
    app.dialog()
        .file()
        .set_file_name(suggested)
        .add_filter(label, &[extension])
        .save_file(move |picked| {
            let _ = tx.send(picked);
        });
    rx.await.ok().flatten()?.into_path().ok()
}

/// Shows a saved file in the system's file manager.
#[tauri::command]
pub async fn reveal_file(app: tauri::AppHandle, path: String) -> Reply<()> {
    app.opener().reveal_item_in_dir(&path).map_err(|e| {
        UiError::local(format!(
            "Could not show {path} in the file manager ({e}); open its folder yourself."
        ))
    })
}

/// The journal of changes sent to Teams, newest first, filtered by `search`.
#[tauri::command]
pub async fn journal(
    state: State<'_, AppState>,
    search: String,
    limit: usize,
) -> Reply<Vec<crate::dto::JournalDto>> {
    let entries = state.desk().await.journal(&search, limit).await?;
    Ok(entries.into_iter().map(Into::into).collect())
}

/// Runs every diagnostic check (read-only) and returns the report.
#[tauri::command]
pub async fn diagnose(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> Reply<crate::dto::DiagnosticsDto> {
    let version = app.package_info().version.to_string();
    let report = state
        .desk()
        .await
        .diagnose(chrono::Utc::now(), &version)
        .await;
    Ok(report.into())
}

/// Opens the folder the app writes its log files to.
#[tauri::command]
pub async fn open_log_folder(app: tauri::AppHandle, state: State<'_, AppState>) -> Reply<()> {
    let dir = state.desk().await.paths().log_dir.clone();
    app.opener()
        .open_path(dir.display().to_string(), None::<&str>)
        .map_err(|e| {
            UiError::local(format!(
                "Could not open {} ({e}); the log files are there.",
                dir.display()
            ))
        })
}

/// What the About box shows.
#[tauri::command]
pub fn about(app: tauri::AppHandle) -> crate::dto::AboutDto {
    crate::dto::AboutDto {
        name: app.package_info().name.clone(),
        version: app.package_info().version.to_string(),
        os: std::env::consts::OS,
        arch: std::env::consts::ARCH,
        notices: notices_file(&app).is_some(),
    }
}

/// The third-party notices the installer put beside the app, if it did.
fn notices_file(app: &tauri::AppHandle) -> Option<std::path::PathBuf> {
    use tauri::Manager;
    app.path()
        .resolve(
            "THIRD-PARTY-NOTICES.html",
            tauri::path::BaseDirectory::Resource,
        )
        .ok()
        .filter(|p| p.is_file())
}

/// Opens the third-party notices in the system browser.
#[tauri::command]
pub async fn open_notices(app: tauri::AppHandle) -> Reply<()> {
    let file = notices_file(&app).ok_or_else(|| {
        UiError::local(
            "The third-party notices are not beside this copy of the app; they ship with every installer."
                .into(),
        )
    })?;
    app.opener()
        .open_path(file.display().to_string(), None::<&str>)
        .map_err(|e| UiError::local(format!("Could not open {} ({e}).", file.display())))
}
