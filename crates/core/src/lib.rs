//! Webinar Desk's core: everything the app knows and does, with no user interface in it.
//!
//! The Tauri shell, the command-line face and the tests all drive this crate through [`Desk`].
//! Invariants that hold across every module:
//! - No Tauri here; only the shell knows it.
//! - Only the edges serialize: Graph JSON lives in [`graph`], SQLite rows in [`store`]; the
//!   rest of the crate works on plain Rust types.
//! - Refresh tokens live only in the OS keychain ([`auth::keychain`]), access tokens only in
//!   memory ([`auth::Secret`] never prints its content). Nothing secret reaches SQLite, logs,
//!   config files or error messages.
//! - Decisions are pure functions of their inputs (time passed in); IO happens around them.

pub mod account;
pub mod attendance;
pub mod auth;
pub mod config;
pub mod desk;
pub mod diagnostics;
pub mod drift;
pub mod export;
pub mod graph;
pub mod series;
pub mod store;
pub mod sync;
pub mod time;
pub mod updates;
pub mod webinar;

pub use desk::{Desk, DeskError, DeskStatus, ErrorKind};
