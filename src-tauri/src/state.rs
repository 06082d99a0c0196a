//! What the shell keeps between commands: the current [`Desk`] (configured tenant or demo),
//! the demo tenant when it runs, and the sign-in in progress (so it can be canceled).

use std::sync::Arc;

use tokio::sync::{Mutex, RwLock};
use webinar_desk_core::auth::Keychain;
use webinar_desk_core::config::{Paths, Profile, TenantSettings};
use webinar_desk_core::{Desk, DeskError};

pub struct AppState {
    paths: Paths,
    keychain: Arc<dyn Keychain>,
    desk: RwLock<Arc<Desk>>,
    demo_tenant: Mutex<Option<tenant_sim::SimHandle>>,
    pub(crate) sign_in: Mutex<Option<tokio::task::AbortHandle>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("paths", &self.paths)
            .finish_non_exhaustive()
    }
}

impl AppState {
    pub async fn start(
        paths: Paths,
        keychain: Arc<dyn Keychain>,
        demo: bool,
    ) -> Result<Self, DeskError> {
        let desk = Desk::configured(paths.clone(), keychain.clone())?;
        let state = Self {
            paths,
            keychain,
            desk: RwLock::new(Arc::new(desk)),
            demo_tenant: Mutex::new(None),
            sign_in: Mutex::new(None),
        };
        if demo {
            state.enter_demo().await?;
        }
        Ok(state)
    }

    pub async fn desk(&self) -> Arc<Desk> {
        self.desk.read().await.clone()
    }

    /// Starts the built-in demo tenant on free loopback ports (once) and switches to it. Its
    /// signing key is kept in the app-data folder, so a demo sign-in survives a restart.
    pub async fn enter_demo(&self) -> Result<Arc<Desk>, DeskError> {
        let mut tenant = self.demo_tenant.lock().await;
        if tenant.is_none() {
            let config = tenant_sim::SimConfig {
                state_dir: Some(self.paths.demo_tenant_dir()),
                ..Default::default()
            };
            let handle = tenant_sim::start(config).await.map_err(|e| {
                DeskError::from(webinar_desk_core::auth::AuthError::Unreachable {
                    what: "the demo tenant",
                    url: "127.0.0.1".into(),
                    message: format!("it could not start ({e})"),
                })
            })?;
            *tenant = Some(handle);
        }
        let handle = tenant.as_ref().expect("started above");
        let settings: TenantSettings = serde_json::from_value(handle.describe())
            .expect("the demo tenant describes its settings");
        let desk = Arc::new(Desk::new(
            self.paths.clone(),
            Profile::Demo,
            Some(settings.validate()?),
            self.keychain.clone(),
        )?);
        *self.desk.write().await = desk.clone();
        Ok(desk)
    }

    /// Back to the organizer's configured tenant. The demo tenant keeps running (it is cheap)
    /// so switching back is instant.
    pub async fn leave_demo(&self) -> Result<Arc<Desk>, DeskError> {
        let desk = Arc::new(Desk::configured(self.paths.clone(), self.keychain.clone())?);
        *self.desk.write().await = desk.clone();
        Ok(desk)
    }
}
