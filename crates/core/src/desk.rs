//! [`Desk`]: the one object every front end drives. It ties configuration, the signed-in
//! session, the account's local store and sync together, and turns every failure into a
//! [`DeskError`] with a [`ErrorKind`] the UI branches on.
//!
//! Invariants: the cache of the last account opens without the network, so the app always
//! shows what it has; a failed silent sign-in never hides cached data, it only changes the
//! [`Connection`]; signing out removes the keychain entry and in-memory tokens and keeps the
//! cache unless asked to remove it.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::Mutex;

use crate::account::Account;
use crate::attendance::{Rules, comparable_email};
use crate::auth::{self, AuthError, Keychain, OpenBrowser, Session, SignInOptions};
use crate::config::{
    self, ConfigError, Paths, Profile, SettingsFile, StateFile, TenantConfig, TenantSettings,
};
use crate::diagnostics;
use crate::graph::{GraphClient, GraphError, Limits, Pacer, Refusal};
use crate::series::{self, PublishOutcome, Publisher, SeriesPlan};
use crate::store::SeriesState;
use crate::store::{
    AttendanceRow, Page, PageQuery, RegistrationListRow, SessionStats, Store, StoreError, SyncState,
};
use crate::sync::attendance::{AttendanceSyncReport, SyncProgress};
use crate::sync::{self, SyncError, SyncReport};
use crate::webinar::Webinar;

/// The error kinds the UI branches on. Stable strings: the UI matches them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    NotConfigured,
    InvalidConfig,
    SignInRequired,
    SignInFailed,
    Offline,
    PermissionDenied,
    NotFound,
    Throttled,
    /// A Teams Premium (or other licence) requirement; retrying cannot help.
    Licensing,
    /// A series plan has problems; nothing was sent.
    InvalidSeries,
    /// A change may or may not have reached Teams; the app re-reads before acting again.
    OutcomeUnknown,
    /// An edit would overwrite changes made in Teams; nothing was sent.
    Drifted,
    Graph,
    Companion,
    Keychain,
    Storage,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotConfigured => "notConfigured",
            ErrorKind::InvalidConfig => "invalidConfig",
            ErrorKind::SignInRequired => "signInRequired",
            ErrorKind::SignInFailed => "signInFailed",
            ErrorKind::Offline => "offline",
            ErrorKind::PermissionDenied => "permissionDenied",
            ErrorKind::NotFound => "notFound",
            ErrorKind::Throttled => "throttled",
            ErrorKind::Licensing => "licensing",
            ErrorKind::OutcomeUnknown => "outcomeUnknown",
            ErrorKind::InvalidSeries => "invalidSeries",
            ErrorKind::Drifted => "drifted",
            ErrorKind::Graph => "graph",
            ErrorKind::Companion => "companion",
            ErrorKind::Keychain => "keychain",
            ErrorKind::Storage => "storage",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error(
        "Webinar Desk is not set up for your organization yet. Open Settings and enter your tenant's details, or try the demo tenant."
    )]
    NotConfigured,
    #[error("You are not signed in. Sign in to sync with Teams; cached data stays available.")]
    NotSignedIn,
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A series problem of its own (not found, invalid); Graph and store failures of a series
    /// operation arrive as `Graph` and `Store`.
    #[error(transparent)]
    Series(crate::series::SeriesError),
    /// Outcome rules out of range; nothing was changed.
    #[error("{0}")]
    InvalidRules(String),
    #[error("Could not write the export: {0}")]
    Export(#[from] csv::Error),
    /// An export with nothing to write: the id is not in the local copy, or has no sessions
    /// with times yet.
    #[error("{0}")]
    NothingToExport(String),
}

impl From<crate::series::SeriesError> for DeskError {
    fn from(e: crate::series::SeriesError) -> Self {
        use crate::series::SeriesError;
        match e {
            SeriesError::Graph(g) => DeskError::Graph(g),
            SeriesError::Store(s) => DeskError::Store(s),
            other => DeskError::Series(other),
        }
    }
}

impl From<SyncError> for DeskError {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::Graph(g) => DeskError::Graph(g),
            SyncError::Store(s) => DeskError::Store(s),
        }
    }
}

fn auth_kind(e: &AuthError) -> ErrorKind {
    match e {
        _ if e.needs_interactive_sign_in() => ErrorKind::SignInRequired,
        AuthError::Unreachable { .. } => ErrorKind::Offline,
        AuthError::Keychain(_) => ErrorKind::Keychain,
        AuthError::Companion { status: 403, .. } => ErrorKind::PermissionDenied,
        AuthError::Companion { .. } | AuthError::Protocol { .. } => ErrorKind::Companion,
        _ => ErrorKind::SignInFailed,
    }
}

impl DeskError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            DeskError::NotConfigured => ErrorKind::NotConfigured,
            DeskError::NotSignedIn => ErrorKind::SignInRequired,
            DeskError::Config(ConfigError::Invalid(_)) => ErrorKind::InvalidConfig,
            DeskError::InvalidRules(_) => ErrorKind::InvalidConfig,
            DeskError::Config(_) => ErrorKind::Storage,
            DeskError::Auth(e) | DeskError::Graph(GraphError::Auth(e)) => auth_kind(e),
            DeskError::Graph(GraphError::Unreachable { .. }) => ErrorKind::Offline,
            DeskError::Graph(GraphError::Service(s)) => match s.refusal() {
                Refusal::Forbidden => ErrorKind::PermissionDenied,
                Refusal::NotFound => ErrorKind::NotFound,
                Refusal::Throttled => ErrorKind::Throttled,
                Refusal::Unauthorized => ErrorKind::SignInRequired,
                Refusal::Licensing => ErrorKind::Licensing,
                _ => ErrorKind::Graph,
            },
            DeskError::Graph(GraphError::RegistrationsRefused { .. }) => {
                ErrorKind::PermissionDenied
            }
            DeskError::Graph(GraphError::OutcomeUnknown { .. }) => ErrorKind::OutcomeUnknown,
            DeskError::Graph(_) => ErrorKind::Graph,
            DeskError::Store(_) | DeskError::Export(_) => ErrorKind::Storage,
            DeskError::NothingToExport(_) => ErrorKind::NotFound,
            DeskError::Series(crate::series::SeriesError::NotFound(_)) => ErrorKind::NotFound,
            DeskError::Series(crate::series::SeriesError::Drifted(_)) => ErrorKind::Drifted,
            DeskError::Series(_) => ErrorKind::InvalidSeries,
        }
    }

    /// The id support uses to trace the failing call: Graph's client-request-id, or Entra's
    /// correlation id, or the companion's request id.
    pub fn correlation_id(&self) -> Option<String> {
        match self {
            DeskError::Graph(GraphError::Auth(a)) | DeskError::Auth(a) => match a {
                AuthError::Entra(e) => e.correlation_id.clone(),
                AuthError::Companion { request_id, .. } => request_id.clone(),
                _ => None,
            },
            DeskError::Graph(g) => g.client_request_id().map(str::to_string),
            _ => None,
        }
    }

    /// Graph's own request id, when Graph answered.
    pub fn request_id(&self) -> Option<String> {
        match self {
            DeskError::Graph(g) => g.request_id().map(str::to_string),
            _ => None,
        }
    }

    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            DeskError::Graph(GraphError::Service(s)) => s.retry_after_secs,
            _ => None,
        }
    }

    /// Per-field problems of invalid settings or an invalid series plan, for the form:
    /// (field, message).
    pub fn field_problems(&self) -> Vec<(String, String)> {
        match self {
            DeskError::Config(ConfigError::Invalid(p)) => p
                .iter()
                .map(|p| (p.field.to_string(), p.message.clone()))
                .collect(),
            DeskError::Series(crate::series::SeriesError::Invalid(p)) => p
                .iter()
                .map(|p| (p.field.clone(), p.message.clone()))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// How the app stands with Teams right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    /// Nobody signed in.
    SignedOut,
    /// Cached data is shown; silent sign-in has not finished yet.
    Connecting,
    Online,
    /// Signed in earlier, but the tenant cannot be reached; cached data is shown.
    Offline {
        reason: String,
    },
    /// The saved sign-in no longer works; cached data is shown.
    NeedsSignIn {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskStatus {
    pub profile: Profile,
    pub configured: bool,
    pub account: Option<Account>,
    pub connection: Connection,
    pub keychain_warning: Option<String>,
}

/// Cached webinars and how old they are.
#[derive(Debug, Clone, PartialEq)]
pub struct WebinarList {
    pub webinars: Vec<Webinar>,
    pub sync: Option<SyncState>,
}

#[derive(Debug)]
struct Inner {
    tenant: Option<TenantConfig>,
    account: Option<Account>,
    store: Option<Arc<Store>>,
    session: Option<Arc<Session>>,
    connection: Connection,
}

#[derive(Debug)]
pub struct Desk {
    paths: Paths,
    profile: Profile,
    keychain: Arc<dyn Keychain>,
    http: reqwest::Client,
    /// One budget for every Graph call this app instance makes (Graph limits per app).
    pacer: Arc<Pacer>,
    inner: Mutex<Inner>,
    /// Where each running attendance sync stands, by webinar id (for progress bars).
    syncing: Arc<std::sync::Mutex<HashMap<String, SyncProgress>>>,
}

impl Desk {
    /// A desk for the given tenant (`None`: not configured yet). Opens the last account's cache
    /// at once; call [`Desk::resume`] to sign in silently.
    pub fn new(
        paths: Paths,
        profile: Profile,
        tenant: Option<TenantConfig>,
        keychain: Arc<dyn Keychain>,
    ) -> Result<Self, DeskError> {
        let state: StateFile = config::read_toml(&paths.state_file())?;
        let account = state.last_account(profile).cloned();
        let store = match &account {
            Some(a) => Some(Arc::new(Store::open(&paths.account_db(a))?)),
            None => None,
        };
        let connection = if account.is_some() && tenant.is_some() {
            Connection::Connecting
        } else {
            Connection::SignedOut
        };
        Ok(Self {
            paths,
            profile,
            keychain,
            http: auth::http_client(),
            pacer: Pacer::new(Limits::GRAPH),
            syncing: Default::default(),
            inner: Mutex::new(Inner {
                tenant,
                account,
                store,
                session: None,
                connection,
            }),
        })
    }

    /// A desk on the tenant configured in the settings file (or none yet).
    pub fn configured(paths: Paths, keychain: Arc<dyn Keychain>) -> Result<Self, DeskError> {
        let settings: SettingsFile = config::read_toml(&paths.settings_file())?;
        let settings = managed(&paths)?.apply(settings.tenant);
        let tenant = if settings == TenantSettings::default() {
            None
        } else {
            settings.validate().ok()
        };
        Self::new(paths, Profile::Configured, tenant, keychain)
    }

    /// Paces Graph calls for other limits (a time-scaled simulated tenant).
    pub fn with_graph_limits(mut self, limits: Limits) -> Self {
        self.pacer = Pacer::new(limits);
        self
    }

    /// A Graph client for the signed-in session, sharing this desk's pacer.
    fn graph(
        &self,
        tenant: &TenantConfig,
        session: Arc<dyn crate::auth::GraphTokens>,
    ) -> GraphClient {
        GraphClient::new(self.http.clone(), &tenant.graph_url, session)
            .with_pacer(self.pacer.clone())
    }

    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    pub async fn status(&self) -> DeskStatus {
        let inner = self.inner.lock().await;
        DeskStatus {
            profile: self.profile,
            configured: inner.tenant.is_some(),
            account: inner.account.clone(),
            connection: inner.connection.clone(),
            keychain_warning: inner
                .session
                .as_ref()
                .and_then(|s| s.keychain_warning().map(str::to_string)),
        }
    }

    /// Signs the last account in silently from the keychain. Never fails: the outcome is the
    /// connection state (online, offline, or needs sign-in), and cached data stays available.
    pub async fn resume(&self) -> DeskStatus {
        let (tenant, account) = {
            let inner = self.inner.lock().await;
            (inner.tenant.clone(), inner.account.clone())
        };
        if let (Some(tenant), Some(account)) = (tenant, account) {
            let result =
                Session::resume(tenant, self.http.clone(), self.keychain.clone(), account).await;
            let mut inner = self.inner.lock().await;
            inner.connection = match result {
                Ok(session) => {
                    inner.session = Some(Arc::new(session));
                    Connection::Online
                }
                Err(e) if e.is_unreachable() => Connection::Offline {
                    reason: e.to_string(),
                },
                Err(e) => Connection::NeedsSignIn {
                    reason: e.to_string(),
                },
            };
        }
        self.status().await
    }

    /// Interactive sign-in in the system browser.
    pub async fn sign_in(
        &self,
        options: &SignInOptions,
        open_browser: OpenBrowser<'_>,
    ) -> Result<DeskStatus, DeskError> {
        let tenant = self
            .inner
            .lock()
            .await
            .tenant
            .clone()
            .ok_or(DeskError::NotConfigured)?;
        let tokens = auth::sign_in(&tenant, &self.http, options, open_browser).await?;
        let session =
            Session::from_sign_in(tenant, self.http.clone(), self.keychain.clone(), tokens)?;
        let account = session.account().clone();
        let store = Arc::new(Store::open(&self.paths.account_db(&account))?);
        self.remember_account(Some(account.clone()))?;
        {
            let mut inner = self.inner.lock().await;
            inner.account = Some(account);
            inner.store = Some(store);
            inner.session = Some(Arc::new(session));
            inner.connection = Connection::Online;
        }
        Ok(self.status().await)
    }

    /// Signs out: keychain entry and in-memory tokens go; the cache goes only if asked.
    pub async fn sign_out(&self, remove_cache: bool) -> Result<DeskStatus, DeskError> {
        let (session, account, store) = {
            let mut inner = self.inner.lock().await;
            inner.connection = Connection::SignedOut;
            (
                inner.session.take(),
                inner.account.take(),
                inner.store.take(),
            )
        };
        match (&session, &account) {
            (Some(s), _) => s.sign_out().await?,
            (None, Some(a)) => self.keychain.remove(&a.key()).map_err(AuthError::from)?,
            (None, None) => {}
        }
        self.remember_account(None)?;
        if let (true, Some(a)) = (remove_cache, &account) {
            drop(store);
            let db = self.paths.account_db(a);
            if let Some(dir) = db.parent() {
                std::fs::remove_dir_all(dir)
                    .or_else(|e| {
                        if e.kind() == std::io::ErrorKind::NotFound {
                            Ok(())
                        } else {
                            Err(e)
                        }
                    })
                    .map_err(|source| StoreError::Folder {
                        path: dir.to_path_buf(),
                        source,
                    })?;
            }
        }
        Ok(self.status().await)
    }

    /// The cached webinars, without the network.
    pub async fn webinars(&self) -> Result<WebinarList, DeskError> {
        let store = self
            .inner
            .lock()
            .await
            .store
            .clone()
            .ok_or(DeskError::NotSignedIn)?;
        Ok(WebinarList {
            webinars: store.webinars()?,
            sync: store.sync_state("webinars")?,
        })
    }

    /// Syncs my webinars from Teams into the cache.
    pub async fn sync_webinars(&self, now: DateTime<Utc>) -> Result<SyncReport, DeskError> {
        if self.inner.lock().await.tenant.is_none() {
            return Err(DeskError::NotConfigured);
        }
        let store = self.local_store().await?;
        let graph = match self.connected().await {
            Ok((graph, _, _)) => graph,
            Err(e) => {
                // Offline: the failed attempt is recorded beside the data it leaves untouched.
                if let DeskError::Auth(AuthError::Unreachable { message, .. }) = &e {
                    store.record_failed_sync("webinars", now, message)?;
                }
                return Err(e);
            }
        };
        let result = sync::sync_my_webinars(&graph, &store, now).await;
        let mut inner = self.inner.lock().await;
        match &result {
            Ok(_) => inner.connection = Connection::Online,
            Err(SyncError::Graph(GraphError::Unreachable { message, .. })) => {
                inner.connection = Connection::Offline {
                    reason: message.clone(),
                }
            }
            Err(SyncError::Graph(GraphError::Auth(e))) if e.is_unreachable() => {
                inner.connection = Connection::Offline {
                    reason: e.to_string(),
                }
            }
            Err(SyncError::Graph(GraphError::Auth(e))) if e.needs_interactive_sign_in() => {
                inner.connection = Connection::NeedsSignIn {
                    reason: e.to_string(),
                };
                inner.session = None;
            }
            Err(_) => {}
        }
        Ok(result?)
    }

    /// The Graph client, store and account of the signed-in session, signing in silently first
    /// if needed.
    async fn connected(&self) -> Result<(GraphClient, Arc<Store>, Account), DeskError> {
        let (tenant, store, session) = {
            let inner = self.inner.lock().await;
            (
                inner.tenant.clone(),
                inner.store.clone(),
                inner.session.clone(),
            )
        };
        let tenant = tenant.ok_or(DeskError::NotConfigured)?;
        let store = store.ok_or(DeskError::NotSignedIn)?;
        let session = match session {
            Some(s) => s,
            None => match self.resume().await.connection {
                Connection::Online => self
                    .inner
                    .lock()
                    .await
                    .session
                    .clone()
                    .ok_or(DeskError::NotSignedIn)?,
                Connection::Offline { reason } => {
                    return Err(AuthError::Unreachable {
                        what: "your tenant",
                        url: tenant.authority_url.to_string(),
                        message: reason,
                    }
                    .into());
                }
                Connection::NeedsSignIn { reason } => {
                    return Err(AuthError::SignInRequired(reason).into());
                }
                _ => return Err(DeskError::NotSignedIn),
            },
        };
        let account = session.account().clone();
        Ok((self.graph(&tenant, session), store, account))
    }

    async fn local_store(&self) -> Result<Arc<Store>, DeskError> {
        self.inner
            .lock()
            .await
            .store
            .clone()
            .ok_or(DeskError::NotSignedIn)
    }

    /// Saves a planned series on this computer and returns its problems (a plan with problems
    /// is kept, but cannot be published until they are solved).
    pub async fn save_series(
        &self,
        plan: &SeriesPlan,
        now: DateTime<Utc>,
    ) -> Result<Vec<series::Problem>, DeskError> {
        let store = self.local_store().await?;
        if let Some((_, state)) = store.series(&plan.id)?
            && state != SeriesState::Planned
        {
            return Err(DeskError::Series(series::SeriesError::Invalid(vec![
                series::Problem {
                    field: "state".into(),
                    message: "This series is already in Teams; edit it from its page instead."
                        .into(),
                },
            ])));
        }
        store.save_series(plan, now)?;
        Ok(series::validate(plan, now))
    }

    /// Every series on this computer with where it stands, newest first.
    pub async fn series_list(&self) -> Result<Vec<(SeriesPlan, SeriesState)>, DeskError> {
        let store = self.local_store().await?;
        let mut out = Vec::new();
        for (id, _) in store.series_states()? {
            if let Some(s) = store.series(&id)? {
                out.push(s);
            }
        }
        Ok(out)
    }

    /// One series with where each session stands, from the local copy (no network).
    pub async fn series_detail(&self, id: &str) -> Result<SeriesDetail, DeskError> {
        let store = self.local_store().await?;
        let (plan, state) = store
            .series(id)?
            .ok_or_else(|| series::SeriesError::NotFound(id.to_string()))?;
        let journal = store.journal_of_series(id)?;
        let done = series::progress(&journal);
        let records = store.session_teams(id)?;
        let sessions = plan
            .sessions
            .iter()
            .map(|s| {
                let p = done.iter().find(|p| p.n == s.n);
                let record = records.iter().find(|r| r.n == s.n);
                let pending = match (record, series::Projection::planned(&plan, s)) {
                    (Some(r), Ok(ours)) => !r.written.same_as(&ours),
                    _ => false,
                };
                SessionDetail {
                    n: s.n,
                    // A canceled session's webinar is still worth showing: the last one the
                    // journal canceled for it.
                    webinar_id: p
                        .and_then(|p| p.webinar_id.clone())
                        .or_else(|| record.map(|r| r.webinar_id.clone()))
                        .or_else(|| {
                            journal
                                .iter()
                                .rev()
                                .find(|e| {
                                    e.n == Some(s.n)
                                        && e.action == "cancel"
                                        && e.phase == crate::store::Phase::Done
                                })
                                .and_then(|e| e.target.clone())
                        }),
                    created: p.is_some_and(|p| p.webinar_id.is_some()),
                    tagged: p.is_some_and(|p| p.tagged),
                    published: p.is_some_and(|p| p.published),
                    canceled_in_teams: p.is_some_and(|p| p.canceled)
                        || record.is_some_and(|r| r.written.canceled),
                    pending_changes: pending,
                }
            })
            .collect();
        // After a partial rollback, what the journal says is still in Teams.
        let remaining = if state == SeriesState::PartiallyRolledBack {
            done.iter()
                .filter(|p| !p.canceled)
                .filter_map(|p| {
                    let id = p.webinar_id.clone()?;
                    let why = journal
                        .iter()
                        .rev()
                        .find(|e| {
                            e.action == "cancel"
                                && e.target.as_deref() == Some(id.as_str())
                                && e.phase != crate::store::Phase::Intent
                        })
                        .and_then(|e| e.message.clone())
                        .unwrap_or_default();
                    Some(series::Remaining {
                        n: Some(p.n),
                        webinar_id: id,
                        why,
                    })
                })
                .collect()
        } else {
            Vec::new()
        };
        Ok(SeriesDetail {
            plan,
            state,
            sessions,
            remaining,
            journal,
        })
    }

    /// Publishes a series all or nothing (or finishes an interrupted publish or rollback).
    pub async fn publish_series(&self, id: &str) -> Result<PublishOutcome, DeskError> {
        let (graph, store, account) = self.connected().await?;
        Ok(publisher(&graph, &store, &account).publish(id).await?)
    }

    /// Cancels what a failed publish left in Teams ("retry rollback").
    pub async fn roll_back_series(&self, id: &str) -> Result<PublishOutcome, DeskError> {
        let (graph, store, account) = self.connected().await?;
        Ok(publisher(&graph, &store, &account).roll_back(id).await?)
    }

    /// What pushing an edited plan would change in each session (reads Teams, writes nothing).
    pub async fn preview_series_edit(
        &self,
        plan: &SeriesPlan,
    ) -> Result<Vec<series::Change>, DeskError> {
        let (graph, store, account) = self.connected().await?;
        Ok(publisher(&graph, &store, &account).preview(plan).await?)
    }

    /// Edits a published series (times, titles, description; sessions added or canceled).
    pub async fn edit_series(&self, plan: &SeriesPlan) -> Result<series::EditOutcome, DeskError> {
        let (graph, store, account) = self.connected().await?;
        Ok(publisher(&graph, &store, &account).edit(plan).await?)
    }

    /// Cancels every session of a series in Teams.
    pub async fn cancel_series(&self, id: &str) -> Result<series::EditOutcome, DeskError> {
        let (graph, store, account) = self.connected().await?;
        Ok(publisher(&graph, &store, &account)
            .cancel_series(id)
            .await?)
    }

    /// How many people are registered for the series' sessions in Teams (canceled
    /// registrations not counted), for the confirmation before canceling it.
    pub async fn series_registrants(&self, id: &str) -> Result<RegistrantCount, DeskError> {
        let detail = self.series_detail(id).await?;
        let (graph, _, _) = self.connected().await?;
        let mut count = RegistrantCount::default();
        for s in detail.sessions.iter().filter(|s| !s.canceled_in_teams) {
            let Some(webinar) = &s.webinar_id else {
                continue;
            };
            match graph.registrations(webinar).await {
                Ok((list, _)) => {
                    count.registered += list
                        .iter()
                        .filter(|r| r.status.as_deref() != Some("canceled"))
                        .count();
                    count.sessions_counted += 1;
                }
                Err(GraphError::RegistrationsRefused { .. }) => count.sessions_unknown += 1,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(count)
    }

    /// Deletes a series from this computer; its webinars in Teams are canceled first, best
    /// effort, and those that could not be are returned.
    pub async fn delete_series(&self, id: &str) -> Result<Vec<series::Remaining>, DeskError> {
        let store = self.local_store().await?;
        let (_, state) = store
            .series(id)?
            .ok_or_else(|| series::SeriesError::NotFound(id.to_string()))?;
        if matches!(
            state,
            SeriesState::Planned | SeriesState::RolledBack | SeriesState::Canceled
        ) {
            // Nothing of it is in Teams: no sign-in needed.
            store.delete_series(id)?;
            return Ok(Vec::new());
        }
        let (graph, store, account) = self.connected().await?;
        Ok(publisher(&graph, &store, &account).delete(id).await?)
    }

    /// Groups webinars made in Teams into a new series; returns it.
    pub async fn group_webinars(
        &self,
        title: &str,
        webinar_ids: &[String],
    ) -> Result<SeriesPlan, DeskError> {
        let (graph, store, account) = self.connected().await?;
        let id = series::new_series_id();
        Ok(publisher(&graph, &store, &account)
            .group(&id, title, webinar_ids)
            .await?)
    }

    /// What the app does when it opens: sign in silently, then finish any publish or rollback a
    /// crash cut short. A recovery that cannot run now (offline) waits for the next start; its
    /// failure never hides the status.
    pub async fn start(&self) -> DeskStatus {
        let status = self.resume().await;
        if status.connection == Connection::Online {
            match self.recover_series().await {
                Ok(done) => {
                    for (id, outcome) in done {
                        tracing::info!(
                            series = id,
                            ?outcome,
                            "finished an interrupted series operation"
                        );
                    }
                }
                Err(e) => tracing::warn!("could not finish an interrupted series operation: {e}"),
            }
        }
        status
    }

    /// On start: finishes every publish, rollback or edit a crash cut short, as the journal says.
    pub async fn recover_series(&self) -> Result<Vec<(String, Recovered)>, DeskError> {
        let store = self.local_store().await?;
        let mut out = Vec::new();
        for (id, state) in store.series_states()? {
            match state {
                SeriesState::Publishing | SeriesState::RollingBack => {
                    let outcome = self.publish_series(&id).await?;
                    out.push((id, Recovered::Publish(outcome)));
                }
                SeriesState::Updating => {
                    let (graph, store, account) = self.connected().await?;
                    let outcome = publisher(&graph, &store, &account).finish_edit(&id).await?;
                    out.push((id, Recovered::Edit(outcome)));
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// Syncs one webinar's registrations and attendance (progress readable meanwhile through
    /// [`Desk::sync_progress`]). A failure leaves the previous data as it was.
    pub async fn sync_attendance(
        &self,
        webinar_id: &str,
        now: DateTime<Utc>,
    ) -> Result<AttendanceSyncReport, DeskError> {
        let store = self.local_store().await?;
        let graph = match self.connected().await {
            Ok((graph, _, _)) => graph,
            Err(e) => {
                if let DeskError::Auth(AuthError::Unreachable { message, .. }) = &e {
                    store.record_failed_sync(&format!("webinar:{webinar_id}"), now, message)?;
                }
                return Err(e);
            }
        };
        let results = self
            .sync_attendance_of(&graph, &store, &[webinar_id.to_string()], now)
            .await?;
        Ok(results
            .into_iter()
            .next()
            .expect("one result per webinar")?)
    }

    /// Syncs every published session of a series at once (see [`sync::attendance::sync_webinars`]);
    /// the first failure is returned after every session has finished.
    pub async fn sync_series_attendance(
        &self,
        series_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<AttendanceSyncReport>, DeskError> {
        let detail = self.series_detail(series_id).await?;
        let (graph, store, _) = self.connected().await?;
        let ids: Vec<String> = detail
            .sessions
            .iter()
            .filter(|s| s.published)
            .filter_map(|s| s.webinar_id.clone())
            .collect();
        let results = self.sync_attendance_of(&graph, &store, &ids, now).await?;
        Ok(results.into_iter().collect::<Result<Vec<_>, _>>()?)
    }

    /// Syncs webinars at once with the organizer's rules, reporting progress in `syncing`.
    async fn sync_attendance_of(
        &self,
        graph: &GraphClient,
        store: &Arc<Store>,
        ids: &[String],
        now: DateTime<Utc>,
    ) -> Result<Vec<Result<AttendanceSyncReport, SyncError>>, DeskError> {
        let rules = store.attendance_rules()?;
        let syncing = self.syncing.clone();
        let progress = Arc::new(move |id: &str, p: Option<SyncProgress>| {
            let mut map = syncing.lock().unwrap_or_else(|e| e.into_inner());
            match p {
                Some(p) => map.insert(id.to_string(), p),
                None => map.remove(id),
            };
        });
        Ok(sync::attendance::sync_webinars(graph, store, ids, rules, now, progress).await)
    }

    /// Where a running sync of a webinar stands (`None` when none is running).
    pub fn sync_progress(&self, webinar_id: &str) -> Option<SyncProgress> {
        self.syncing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(webinar_id)
            .cloned()
    }

    /// A session's attendance from the local copy (no network): numbers, a page of people, the
    /// question columns and the data's age.
    pub async fn session_attendance(
        &self,
        webinar_id: &str,
        query: &PageQuery,
    ) -> Result<SessionAttendance, DeskError> {
        let store = self.local_store().await?;
        Ok(SessionAttendance {
            stats: store.session_stats(webinar_id)?,
            page: store.attendance_page(webinar_id, query)?,
            questions: store.registration_questions(webinar_id)?,
            sync: store.sync_state(&format!("webinar:{webinar_id}"))?,
        })
    }

    /// A page of a session's registrations from the local copy.
    pub async fn session_registrations(
        &self,
        webinar_id: &str,
        query: &PageQuery,
    ) -> Result<Page<RegistrationListRow>, DeskError> {
        Ok(self
            .local_store()
            .await?
            .registrations_page(webinar_id, query)?)
    }

    /// Checks webinars for edits made directly in Teams (at most once per 5 minutes each unless
    /// `forced`; the others are answered from their last check). Series sessions are compared
    /// with the plan too, and upcoming ones have their registration settings read.
    pub async fn check_drift(
        &self,
        scope: &DriftScope,
        forced: bool,
        now: DateTime<Utc>,
    ) -> Result<Vec<crate::drift::check::DriftStatus>, DeskError> {
        let (graph, store, _) = self.connected().await?;
        let targets = drift_targets(&store, scope, now)?;
        Ok(crate::drift::check::check(&graph, &store, &targets, forced, now).await?)
    }

    /// Resolves one webinar's drift: accept Teams' version, or re-apply ours (series sessions
    /// only). Teams is re-read first; if it no longer holds what `seen` showed, nothing is
    /// written and the new difference comes back as [`series::Resolution::ChangedAgain`].
    pub async fn resolve_drift(
        &self,
        webinar_id: &str,
        choice: series::DriftChoice,
        seen: &[crate::drift::FieldDiff],
    ) -> Result<series::Resolution, DeskError> {
        let (graph, store, account) = self.connected().await?;
        let now = Utc::now();
        let target = drift_targets(&store, &DriftScope::Webinar(webinar_id.to_string()), now)?
            .pop()
            .expect("a webinar scope has its webinar");
        // The target names its series; the session's number is in the series' record.
        let series = match &target.series_id {
            Some(id) => {
                let n = store
                    .session_teams(id)?
                    .into_iter()
                    .find(|w| w.webinar_id == webinar_id)
                    .map(|w| w.n);
                store.series(id)?.zip(n).map(|((plan, _), n)| (plan, n))
            }
            None => None,
        };
        Ok(publisher(&graph, &store, &account)
            .resolve_drift(&target, series.as_ref().map(|(p, n)| (p, *n)), choice, seen)
            .await?)
    }

    /// The last drift checks from the local copy (no network), as a check would show them.
    pub async fn drift_status(
        &self,
        scope: &DriftScope,
        now: DateTime<Utc>,
    ) -> Result<Vec<crate::drift::check::DriftStatus>, DeskError> {
        let store = self.local_store().await?;
        let targets = drift_targets(&store, scope, now)?;
        let ids: Vec<String> = targets.iter().map(|t| t.webinar_id.clone()).collect();
        let mut checks: HashMap<String, crate::store::DriftCheck> = store
            .drift_checks(&ids)?
            .into_iter()
            .map(|c| (c.webinar_id.clone(), c))
            .collect();
        Ok(targets
            .into_iter()
            .filter_map(|t| {
                Some(crate::drift::check::DriftStatus {
                    check: checks.remove(&t.webinar_id)?,
                    webinar_id: t.webinar_id,
                    title: t.title,
                    series_id: t.series_id,
                    fresh: false,
                })
            })
            .collect())
    }

    /// The journal of every change sent to Teams, newest first (works offline): at most
    /// `limit` entries matching `search` (action, target, who, message, ids; any case).
    pub async fn journal(
        &self,
        search: &str,
        limit: usize,
    ) -> Result<Vec<crate::store::JournalEntry>, DeskError> {
        Ok(self.local_store().await?.journal_search(search, limit)?)
    }

    /// The journal entries matching `search` as a CSV file (all of them, newest first).
    pub async fn export_journal(
        &self,
        search: &str,
        options: crate::export::CsvOptions,
        now: DateTime<Utc>,
    ) -> Result<ExportFile, DeskError> {
        let entries = self
            .local_store()
            .await?
            .journal_search(search, usize::MAX)?;
        Ok(ExportFile {
            file_name: format!("Webinar Desk journal - {}.csv", now.format("%Y-%m-%d")),
            bytes: crate::export::journal(&entries, options)?,
            rows: entries.len(),
        })
    }

    /// A CSV file of a webinar's or a series' data from the local copy (works offline): its
    /// suggested file name and bytes. `id` is a series id or a webinar id.
    pub async fn export(
        &self,
        kind: ExportKind,
        id: &str,
        options: crate::export::CsvOptions,
        now: DateTime<Utc>,
    ) -> Result<ExportFile, DeskError> {
        use crate::export::{self, SessionInfo};
        if kind == ExportKind::Calendar {
            return self.export_calendar(id, now).await;
        }
        if kind == ExportKind::TeamsReport {
            return self.export_teams_report(id, now).await;
        }
        let store = self.local_store().await?;
        let webinars: HashMap<String, Webinar> = store
            .webinars()?
            .into_iter()
            .map(|w| (w.id.clone(), w))
            .collect();
        let series = store.series(id)?;
        // The sessions (in order) and the zone local times are shown in.
        let (name, tz, sessions): (String, chrono_tz::Tz, Vec<SessionInfo>) = match &series {
            Some((plan, _)) => {
                let tz = series::zones(&plan.time_zone).map_or(chrono_tz::UTC, |(tz, _)| tz);
                let written = store.session_teams(&plan.id)?;
                let mut sessions: Vec<SessionInfo> = plan
                    .sessions
                    .iter()
                    .filter_map(|s| {
                        let w = written.iter().find(|w| w.n == s.n)?;
                        Some(SessionInfo {
                            webinar_id: w.webinar_id.clone(),
                            title: series::session_title(plan, s),
                            series: Some((plan.title.clone(), s.n)),
                            start: Some(w.written.start),
                            questions: Vec::new(),
                        })
                    })
                    .collect();
                sessions.sort_by_key(|s| s.series.as_ref().map(|(_, n)| *n));
                (plan.title.clone(), tz, sessions)
            }
            None => {
                let w = webinars.get(id);
                let tz = w
                    .and_then(|w| crate::time::zone(&w.time_zone).ok())
                    .unwrap_or(chrono_tz::UTC);
                let title = w.map_or_else(|| id.to_string(), |w| w.title.clone());
                (
                    title.clone(),
                    tz,
                    vec![SessionInfo {
                        webinar_id: id.to_string(),
                        title,
                        series: None,
                        start: w.and_then(|w| w.start),
                        questions: Vec::new(),
                    }],
                )
            }
        };
        let sessions: Vec<SessionInfo> = sessions
            .into_iter()
            .map(|mut s| {
                s.questions = store.registration_questions(&s.webinar_id)?;
                Ok(s)
            })
            .collect::<Result<_, StoreError>>()?;
        let everyone = PageQuery {
            sort: "name".into(),
            limit: i64::MAX as usize,
            ..Default::default()
        };
        let (bytes, rows) = match kind {
            ExportKind::Attendance => attendance_csv(&store, &sessions, tz, options)?,
            ExportKind::Intervals => {
                let data = sessions
                    .into_iter()
                    .map(|s| {
                        let people = store.presence(&s.webinar_id)?;
                        Ok((s, people))
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                let n = data
                    .iter()
                    .flat_map(|(_, p)| p)
                    .map(|(_, _, spans)| spans.len())
                    .sum();
                (export::intervals(&data, tz, options)?, n)
            }
            ExportKind::Registrations => {
                let data = sessions
                    .into_iter()
                    .map(|s| {
                        let rows = store.registrations_page(&s.webinar_id, &everyone)?.rows;
                        Ok((s, rows))
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                let n = data.iter().map(|(_, r)| r.len()).sum();
                (export::registrations(&data, options)?, n)
            }
            ExportKind::Calendar | ExportKind::TeamsReport => {
                unreachable!("calendars and Teams reports are written above")
            }
            ExportKind::Matrix => {
                let ids: Vec<String> = sessions.iter().map(|s| s.webinar_id.clone()).collect();
                let numbers: Vec<u32> = sessions
                    .iter()
                    .enumerate()
                    .map(|(i, s)| s.series.as_ref().map_or(i as u32 + 1, |(_, n)| *n))
                    .collect();
                let rows = crate::attendance::series_matrix(
                    &store.people_of_sessions(&ids)?,
                    store.attendance_rules()?,
                );
                (export::matrix(&numbers, &rows, options)?, rows.len())
            }
        };
        Ok(ExportFile {
            file_name: export_file_name(&name, kind, now),
            bytes,
            rows,
        })
    }

    /// One person's registrations and attendance in every webinar of the local copy (no
    /// network), newest first: what the person drawer shows.
    /// One session's attendance in the layout of Teams' own download (offline, from the
    /// local copy). A series has no such report: Teams' layout is one meeting's.
    async fn export_teams_report(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<ExportFile, DeskError> {
        use crate::export::teams::{Meeting, Participant, report};
        let store = self.local_store().await?;
        if store.series(id)?.is_some() {
            return Err(DeskError::NothingToExport(
                "Teams' attendance report layout describes one meeting: export it from a session's page (or give a webinar id)."
                    .into(),
            ));
        }
        let w = webinar_in_copy(&store, id, "webinar", "`webinars list`")?;
        let facts = store.meeting_facts(id)?;
        let people: Vec<Participant> = store
            .presence(id)?
            .into_iter()
            .map(|(name, email, spans)| {
                let key = email
                    .as_deref()
                    .map_or_else(|| name.clone(), comparable_email);
                Participant {
                    role: facts
                        .roles
                        .get(&key)
                        .cloned()
                        .unwrap_or_else(|| "Attendee".into()),
                    name,
                    email,
                    spans,
                }
            })
            .collect();
        let meeting = Meeting {
            title: w.title.clone(),
            start: facts.start.or(w.start),
            end: facts.end.or(w.end),
            tz: crate::time::zone(&w.time_zone).unwrap_or(chrono_tz::UTC),
        };
        Ok(ExportFile {
            file_name: export_file_name(&w.title, ExportKind::TeamsReport, now),
            rows: people.len(),
            bytes: report(&meeting, &people),
        })
    }

    /// A calendar file (RFC 5545) for a webinar, or for every session of a series that is in
    /// Teams — from the local copy, so it works offline. Join and registration links are the
    /// ones the last sync saw.
    async fn export_calendar(&self, id: &str, now: DateTime<Utc>) -> Result<ExportFile, DeskError> {
        use crate::export::ics::{CalendarEvent, calendar};
        let store = self.local_store().await?;
        let links = |webinar_id: &str| store.webinar_links(webinar_id);
        let (name, tz, events) = match store.series(id)? {
            Some((plan, _)) => {
                let tz = series::zones(&plan.time_zone).map_or(chrono_tz::UTC, |(tz, _)| tz);
                let mut written = store.session_teams(&plan.id)?;
                written.sort_by_key(|w| w.n);
                let events = written
                    .into_iter()
                    .map(|w| {
                        let l = links(&w.webinar_id)?;
                        Ok(CalendarEvent {
                            title: w.written.title,
                            description: crate::drift::readable(&w.written.description_html),
                            start: w.written.start,
                            end: w.written.end,
                            canceled: w.written.canceled,
                            join_url: l.join_url,
                            registration_url: l.registration_url,
                            webinar_id: w.webinar_id,
                        })
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                (plan.title, tz, events)
            }
            None => {
                let w = webinar_in_copy(
                    &store,
                    id,
                    "series or webinar",
                    "`series list`, `webinars list`",
                )?;
                let tz = crate::time::zone(&w.time_zone).unwrap_or(chrono_tz::UTC);
                let l = links(&w.id)?;
                let events = match (w.start, w.end) {
                    (Some(start), Some(end)) => vec![CalendarEvent {
                        webinar_id: w.id.clone(),
                        title: w.title.clone(),
                        description: crate::drift::readable(&w.description),
                        start,
                        end,
                        canceled: w.status == crate::webinar::WebinarStatus::Canceled,
                        join_url: l.join_url,
                        registration_url: l.registration_url,
                    }],
                    _ => Vec::new(),
                };
                (w.title, tz, events)
            }
        };
        if events.is_empty() {
            return Err(DeskError::NothingToExport(format!(
                "\"{name}\" has no session in Teams with a start and end time yet, so there is nothing to put in a calendar. Publish it (or sync) first."
            )));
        }
        Ok(ExportFile {
            file_name: export_file_name(&name, ExportKind::Calendar, now),
            rows: events.len(),
            bytes: calendar(&name, tz, &events, now),
        })
    }

    pub async fn person_history(
        &self,
        who: &crate::store::PersonRef,
    ) -> Result<crate::store::PersonHistory, DeskError> {
        Ok(self.local_store().await?.person_history(who)?)
    }

    /// The people × sessions matrix of a series, from the local copy: the sessions in order
    /// (number, webinar id, per-session numbers) and one row per person.
    pub async fn series_attendance(&self, series_id: &str) -> Result<SeriesAttendance, DeskError> {
        let detail = self.series_detail(series_id).await?;
        let store = self.local_store().await?;
        let sessions: Vec<(u32, String)> = detail
            .sessions
            .iter()
            .filter(|s| s.published)
            .filter_map(|s| s.webinar_id.clone().map(|w| (s.n, w)))
            .collect();
        let ids: Vec<String> = sessions.iter().map(|(_, w)| w.clone()).collect();
        let people = store.people_of_sessions(&ids)?;
        let stats = ids
            .iter()
            .map(|w| store.session_stats(w))
            .collect::<Result<Vec<_>, _>>()?;
        let rules = store.attendance_rules()?;
        Ok(SeriesAttendance {
            rows: crate::attendance::series_matrix(&people, rules),
            sessions: sessions
                .into_iter()
                .zip(stats)
                .map(|((n, w), s)| (n, w, s))
                .collect(),
            rules,
        })
    }

    /// The organizer's outcome rules.
    pub async fn attendance_rules(&self) -> Result<Rules, DeskError> {
        Ok(self.local_store().await?.attendance_rules()?)
    }

    /// Changes the outcome rules and recomputes every kept webinar with them (offline: only the
    /// local copy is involved). Returns how many webinars were recomputed.
    pub async fn set_attendance_rules(
        &self,
        rules: Rules,
        now: DateTime<Utc>,
    ) -> Result<usize, DeskError> {
        for (what, pct) in [
            (
                "The share of a session to count as attended",
                rules.attended_pct,
            ),
            (
                "The share of sessions to complete a series",
                rules.completion_pct,
            ),
        ] {
            if !(pct > 0.0 && pct <= 100.0) {
                return Err(DeskError::InvalidRules(format!(
                    "{what} must be a percentage above 0 and at most 100 (got {pct})."
                )));
            }
        }
        let store = self.local_store().await?;
        Ok(
            tokio::task::spawn_blocking(move || store.set_attendance_rules(rules, now))
                .await
                .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))?,
        )
    }

    /// Runs every diagnostic check (read-only: nothing in Teams or the local copy changes).
    /// `app_version` is the front end's own version.
    pub async fn diagnose(&self, now: DateTime<Utc>, app_version: &str) -> diagnostics::Report {
        let needs_resume = {
            let inner = self.inner.lock().await;
            inner.session.is_none() && inner.account.is_some() && inner.tenant.is_some()
        };
        if needs_resume {
            self.resume().await;
        }
        let (tenant, account, session, connection, store) = {
            let inner = self.inner.lock().await;
            (
                inner.tenant.clone(),
                inner.account.clone(),
                inner.session.clone(),
                inner.connection.clone(),
                inner.store.clone(),
            )
        };
        let sign_in = match (&session, &account, connection) {
            (Some(_), Some(a), _) => diagnostics::SignInState::SignedIn {
                username: a.username.clone(),
            },
            (_, _, Connection::Connecting) => diagnostics::SignInState::Connecting,
            (_, _, Connection::Offline { reason }) => diagnostics::SignInState::Offline(reason),
            (_, _, Connection::NeedsSignIn { reason }) => {
                diagnostics::SignInState::NeedsSignIn(reason)
            }
            _ => diagnostics::SignInState::SignedOut,
        };
        let graph = match (&tenant, &session) {
            (Some(t), Some(s)) => Some(self.graph(t, s.clone())),
            _ => None,
        };
        let subject = diagnostics::probe::Subject {
            now,
            demo: self.profile == Profile::Demo,
            settings: tenant
                .is_none()
                .then(|| self.settings().map_err(|e| e.to_string())),
            tenant,
            http: self.http.clone(),
            sign_in,
            session,
            graph,
            versions: diagnostics::Versions {
                app: app_version.to_string(),
                os: os_info::get().to_string(),
                sqlite: rusqlite::version().to_string(),
                schema: store.and_then(|s| s.schema_version().ok()),
            },
        };
        diagnostics::probe::run(subject).await
    }

    /// The settings in force (possibly incomplete), for the settings form: the organizer's as
    /// saved, with what IT pushed in place of theirs.
    pub fn settings(&self) -> Result<TenantSettings, DeskError> {
        let own = config::read_toml::<SettingsFile>(&self.paths.settings_file())?.tenant;
        Ok(managed(&self.paths)?.apply(own))
    }

    /// The settings fields IT pushed (machine-wide file or environment): the form shows them
    /// as set by the organization, and a save cannot change them.
    pub fn managed_fields(&self) -> Result<Vec<&'static str>, DeskError> {
        Ok(managed(&self.paths)?.fields())
    }

    /// Validates and saves tenant settings. A field IT pushed keeps IT's value. A changed
    /// tenant signs the current account out (its tokens belong to the old tenant); the cache
    /// stays.
    pub async fn save_settings(&self, settings: TenantSettings) -> Result<DeskStatus, DeskError> {
        let settings = managed(&self.paths)?.apply(settings);
        let tenant = settings.validate()?;
        // The rest of the file (where updates come from) stays as it was.
        let mut file: SettingsFile = config::read_toml(&self.paths.settings_file())?;
        file.tenant = settings;
        config::write_toml(&self.paths.settings_file(), &file)?;
        if self.profile == Profile::Configured {
            let changed = self.inner.lock().await.tenant.as_ref() != Some(&tenant);
            if changed {
                let signed_in = self.inner.lock().await.account.is_some();
                if signed_in {
                    self.sign_out(false).await?;
                }
                self.inner.lock().await.tenant = Some(tenant);
            }
        }
        Ok(self.status().await)
    }

    /// Whether the app should look for an update on its own now (once a day).
    pub fn update_check_due(&self, now: DateTime<Utc>) -> Result<bool, DeskError> {
        let state: StateFile = config::read_toml(&self.paths.state_file())?;
        Ok(crate::updates::due(state.last_update_check, now))
    }

    /// Remembers that the app looked for an update at `now`.
    pub fn record_update_check(&self, now: DateTime<Utc>) -> Result<(), DeskError> {
        let path = self.paths.state_file();
        let mut state: StateFile = config::read_toml(&path)?;
        state.last_update_check = Some(now);
        Ok(config::write_toml(&path, &state)?)
    }

    /// The update feed IT chose, if any (else the app's own).
    pub fn update_feed(&self) -> Result<Option<url::Url>, DeskError> {
        Ok(crate::updates::feed(&self.paths, |name| {
            std::env::var(name).ok()
        })?)
    }

    fn remember_account(&self, account: Option<Account>) -> Result<(), ConfigError> {
        let path = self.paths.state_file();
        let mut state: StateFile = config::read_toml(&path)?;
        state.set_last_account(self.profile, account);
        config::write_toml(&path, &state)
    }
}

/// What IT pushed for this machine and user (the edge that reads the environment).
fn managed(paths: &Paths) -> Result<config::ManagedSettings, ConfigError> {
    config::ManagedSettings::read(paths, |name| std::env::var(name).ok())
}

fn publisher<'a>(graph: &'a GraphClient, store: &'a Store, account: &'a Account) -> Publisher<'a> {
    Publisher {
        graph,
        store,
        actor: &account.username,
        operation_id: uuid::Uuid::new_v4().to_string(),
        clock: &Utc::now,
    }
}

/// What the start-up recovery finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovered {
    Publish(PublishOutcome),
    Edit(series::EditOutcome),
}

/// Registrations across a series' sessions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistrantCount {
    pub registered: usize,
    pub sessions_counted: usize,
    /// Sessions whose registrations Teams would not list (the companion's permission).
    pub sessions_unknown: usize,
}

/// A series as its page shows it.
#[derive(Debug, Clone)]
pub struct SeriesDetail {
    pub plan: SeriesPlan,
    pub state: SeriesState,
    pub sessions: Vec<SessionDetail>,
    /// After a partial rollback: the webinars still in Teams.
    pub remaining: Vec<series::Remaining>,
    pub journal: Vec<crate::store::JournalEntry>,
}

/// Where one session stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDetail {
    pub n: u32,
    pub webinar_id: Option<String>,
    pub created: bool,
    pub tagged: bool,
    pub published: bool,
    pub canceled_in_teams: bool,
    /// Our plan differs from what we last wrote to Teams (an edit not pushed yet).
    pub pending_changes: bool,
}

/// A session's attendance as its page shows it.
#[derive(Debug, Clone)]
pub struct SessionAttendance {
    /// `None` until the first sync.
    pub stats: Option<SessionStats>,
    pub page: Page<AttendanceRow>,
    /// The answer columns: (question id, text).
    pub questions: Vec<(String, String)>,
    pub sync: Option<SyncState>,
}

/// A series' attendance: its sessions (number, webinar id, numbers) and the matrix.
#[derive(Debug, Clone)]
pub struct SeriesAttendance {
    pub sessions: Vec<(u32, String, Option<SessionStats>)>,
    pub rows: Vec<crate::attendance::MatrixRow>,
    pub rules: Rules,
}

/// Which webinars a drift check covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriftScope {
    /// Every webinar in my lists and every session of my series.
    All,
    Series(String),
    Webinar(String),
}

/// The webinars of a scope, with ours for series sessions. Sessions that have not ended read
/// their registration settings too (for a past one they no longer matter).
fn drift_targets(
    store: &Store,
    scope: &DriftScope,
    now: DateTime<Utc>,
) -> Result<Vec<crate::drift::check::Target>, DeskError> {
    use crate::drift::{WebinarProjection, check::Target};
    let mut sessions: HashMap<String, Target> = HashMap::new();
    let series_ids: Vec<String> = match scope {
        DriftScope::Series(id) => vec![id.clone()],
        _ => store
            .series_states()?
            .into_iter()
            .map(|(id, _)| id)
            .collect(),
    };
    for series_id in &series_ids {
        let Some((plan, _)) = store.series(series_id)? else {
            if matches!(scope, DriftScope::Series(_)) {
                return Err(series::SeriesError::NotFound(series_id.clone()).into());
            }
            continue;
        };
        let tz = series::zones(&plan.time_zone).map_or(chrono_tz::UTC, |(tz, _)| tz);
        for written in store.session_teams(series_id)? {
            let planned = plan.sessions.iter().find(|s| s.n == written.n);
            let ours = planned.and_then(|s| WebinarProjection::planned(&plan, s));
            sessions.insert(
                written.webinar_id.clone(),
                Target {
                    title: planned.map_or_else(
                        || written.written.title.clone(),
                        |s| series::session_title(&plan, s),
                    ),
                    series_id: Some(series_id.clone()),
                    registration: written.written.end > now,
                    webinar_id: written.webinar_id,
                    ours,
                    tz,
                },
            );
        }
    }
    let zone_of = |w: &Webinar| crate::time::zone(&w.time_zone).unwrap_or(chrono_tz::UTC);
    let mut targets: Vec<Target> = match scope {
        DriftScope::Series(_) => Vec::new(),
        DriftScope::Webinar(id) => {
            if let Some(t) = sessions.remove(id) {
                vec![t]
            } else {
                let w = store.webinars()?.into_iter().find(|w| &w.id == id);
                vec![Target {
                    webinar_id: id.clone(),
                    title: w.as_ref().map(|w| w.title.clone()).unwrap_or_default(),
                    series_id: None,
                    ours: None,
                    tz: w.as_ref().map_or(chrono_tz::UTC, zone_of),
                    registration: w.is_some_and(|w| w.end.is_some_and(|e| e > now)),
                }]
            }
        }
        DriftScope::All => store
            .webinars()?
            .into_iter()
            .filter(|w| w.listed && !sessions.contains_key(&w.id))
            .map(|w| Target {
                webinar_id: w.id.clone(),
                title: w.title.clone(),
                series_id: None,
                ours: None,
                tz: zone_of(&w),
                // Registration settings only for series sessions in a check of everything:
                // two GETs per webinar would not fit the read budget for a long list.
                registration: false,
            })
            .collect(),
    };
    if !matches!(scope, DriftScope::Webinar(_)) {
        let mut mine: Vec<Target> = sessions.into_values().collect();
        mine.sort_by(|a, b| a.webinar_id.cmp(&b.webinar_id));
        targets.extend(mine);
    }
    Ok(targets)
}

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    /// One row per person per session.
    Attendance,
    /// One row per join/leave interval.
    Intervals,
    /// People × sessions.
    Matrix,
    Registrations,
    /// An iCalendar file: one event per session.
    Calendar,
    /// One session in the layout of Teams' own attendance report download.
    TeamsReport,
}

impl ExportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportKind::Attendance => "attendance",
            ExportKind::Intervals => "intervals",
            ExportKind::Matrix => "matrix",
            ExportKind::Registrations => "registrations",
            ExportKind::Calendar => "calendar",
            ExportKind::TeamsReport => "teams-report",
        }
    }
}

/// An export ready to save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFile {
    /// A suggested name: "<title> – <kind> – <date>.csv", safe on every OS.
    pub file_name: String,
    pub bytes: Vec<u8>,
    /// Data rows written (intervals for the interval export).
    pub rows: usize,
}

/// A file name any OS accepts: characters Windows forbids become '-', trimmed, short.
/// The attendance CSV of `sessions` and its row count. The store is read on one thread while
/// the file is written on this one (a 100,000-person session costs the longer of the two, not
/// their sum); batches arrive in order, so the file is the same as reading everything first.
pub fn attendance_csv(
    store: &Store,
    sessions: &[crate::export::SessionInfo],
    tz: chrono_tz::Tz,
    options: crate::export::CsvOptions,
) -> Result<(Vec<u8>, usize), DeskError> {
    let mut csv = crate::export::AttendanceCsv::new(sessions.iter(), tz, options)?;
    let (tx, rx) = std::sync::mpsc::sync_channel(4);
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || -> Result<(), StoreError> {
            for (i, s) in sessions.iter().enumerate() {
                store
                    .attendance_batches(&s.webinar_id, 2048, |batch| tx.send((i, batch)).is_ok())?;
            }
            Ok(())
        });
        let (mut rows, mut written) = (0, Ok(()));
        for (i, batch) in rx {
            rows += batch.len();
            // After a write error the reader is still drained, so it can finish and be joined.
            if written.is_ok() {
                written = csv.rows(&sessions[i], &batch);
            }
        }
        reader.join().expect("the store reader does not panic")?;
        written?;
        Ok((csv.finish()?, rows))
    })
}

/// A webinar of the local copy, for an export; `what` and `listing` shape the message when it is
/// not there.
fn webinar_in_copy(
    store: &Store,
    id: &str,
    what: &str,
    listing: &str,
) -> Result<Webinar, DeskError> {
    store
        .webinars()?
        .into_iter()
        .find(|w| w.id == id)
        .ok_or_else(|| {
            DeskError::NothingToExport(format!(
                "No {what} with id {id} is in the local copy. Sync, or check the id ({listing})."
            ))
        })
}

fn export_file_name(title: &str, kind: ExportKind, now: DateTime<Utc>) -> String {
    let safe: String = title
        .chars()
        .map(|c| {
            if matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') || c.is_control() {
                '-'
            } else {
                c
            }
        })
        .collect();
    let safe: String = safe.trim().trim_matches('.').chars().take(80).collect();
    let safe = if safe.is_empty() {
        "Webinar".to_string()
    } else {
        safe
    };
    format!(
        "{safe} - {} - {}.{}",
        kind.as_str(),
        now.format("%Y-%m-%d"),
        if kind == ExportKind::Calendar {
            "ics"
        } else {
            "csv"
        }
    )
}
