//! The commands the window may invoke. Each is a few lines: get the desk, call one core
//! function, convert at the edge.

use tauri::State;
use tauri_plugin_opener::OpenerExt;
use webinar_desk_core::auth::SignInOptions;

use crate::AppState;
use crate::dto::{SettingsDto, StatusDto, SyncReportDto, UiError, WebinarListDto};

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
    Ok(state.desk().await.settings()?.into())
}

#[tauri::command]
pub async fn save_settings(state: State<'_, AppState>, settings: SettingsDto) -> Reply<StatusDto> {
    let desk = state.leave_demo().await?;
    Ok(desk.save_settings(settings.into()).await?.into())
}
