//! Cross-crate integration tests and the end-to-end suite: one binary, one module per area.

mod attendance;
mod cli;
mod companion;
mod companion_service;
mod contract;
mod desk;
mod diagnostics;
mod drift;
mod e2e;
mod faults;
mod graph;
mod package;
mod pipeline;
mod secrets;
mod series;
mod series_edit;
mod signin;
mod spreadsheet;
mod updates;
mod window;
mod windows;
