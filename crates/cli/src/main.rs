//! `webinar-desk-cli`: Webinar Desk for scripts and support, on the same core as the window.
//!
//! It uses the same settings, keychain entry and per-account cache as the app, so a sign-in in
//! either is a sign-in in both. Exit codes: 0 success, 1 a failure Webinar Desk explains, 2 bad
//! usage.

mod plan_file;

use std::io::Read;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use webinar_desk_core::auth::{OsKeychain, SignInOptions};
use webinar_desk_core::config::{Paths, TenantSettings};
use webinar_desk_core::desk::Connection;
use webinar_desk_core::{Desk, DeskError};

#[derive(Parser)]
#[command(
    name = "webinar-desk-cli",
    version,
    about = "Webinar Desk on the command line"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show or change the organization's tenant settings.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Sign in in the browser ($BROWSER, else the system's), waiting up to 5 minutes.
    SignIn {
        /// Pre-fill the account (Entra's login_hint).
        #[arg(long)]
        login_hint: Option<String>,
    },
    /// Sign out: remove the saved sign-in from the keychain.
    SignOut {
        /// Also delete the local copy of this account's data.
        #[arg(long)]
        remove_cache: bool,
    },
    /// Who is signed in and whether Teams is reachable.
    Status,
    /// Work with my webinars.
    #[command(subcommand)]
    Webinars(WebinarsCommand),
    /// Plan and publish webinar series.
    #[command(subcommand)]
    Series(SeriesCommand),
    /// Sync registrations and attendance of a webinar, or of every session of a series.
    Sync {
        /// A series id (from `series list`) or a webinar id (from `webinars list`).
        id: String,
    },
    /// Show the outcome rules, or change them (every kept session is recomputed, offline).
    Rules {
        /// Present for at least this % of a session counts as attended (default 80).
        #[arg(long)]
        attended: Option<f64>,
        /// Attended at least this % of a series' sessions completes it (default 75).
        #[arg(long)]
        completion: Option<f64>,
    },
    /// Every change sent to Teams, newest first (works offline): tab-separated, or a CSV file.
    Journal {
        /// Only entries whose action, target, who, message or ids contain this.
        #[arg(long, default_value = "")]
        search: String,
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Write every matching entry to this CSV file instead.
        #[arg(long)]
        csv: Option<std::path::PathBuf>,
    },
    /// Check for edits made directly in Teams: every webinar and series session, one series, or
    /// one webinar. Exit code 0 when nothing drifted, 3 when something did, 1 when a check
    /// failed (the previous finding is shown with the failure).
    Drift {
        #[arg(long, conflicts_with = "webinar")]
        series: Option<String>,
        #[arg(long)]
        webinar: Option<String>,
        /// Check even webinars checked in the last 5 minutes.
        #[arg(long)]
        force: bool,
    },
    /// Write a CSV file from the local copy (works offline) for a webinar or a series:
    /// attendance (a row per person per session), intervals (a row per join/leave),
    /// matrix (people × sessions) or registrations; teams, one session in the layout of Teams'
    /// own attendance report (UTF-16, tab-separated); or ics, a calendar file (RFC 5545) with
    /// one event per session. CSV is UTF-8 with a byte-order mark unless --no-bom; the columns
    /// are listed in the README.
    Export {
        #[arg(value_parser = ["attendance", "intervals", "matrix", "registrations", "teams", "ics"])]
        what: String,
        /// A series id or a webinar id.
        id: String,
        /// The file to write; without it, the suggested name in the current folder.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        #[arg(long)]
        no_bom: bool,
    },
    /// Check configuration, the companion, sign-in, permissions, Teams Premium and the clock;
    /// prints the report (no secrets in it). Exit code 0 when nothing failed, 1 otherwise.
    Diagnose,
    /// Print attendance from the local copy (works offline): one row per person for a webinar,
    /// or the people × sessions matrix for a series. Tab-separated, or JSON lines.
    Attendance {
        id: String,
        /// For a webinar: attended, partial, noShow or unregistered.
        #[arg(long)]
        filter: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum SeriesCommand {
    /// Save a series planned in a TOML or JSON file (see the README); prints its id.
    Create {
        #[arg(long)]
        plan: std::path::PathBuf,
    },
    /// Publish a series all or nothing (or finish an interrupted publish or rollback).
    Publish { id: String },
    /// Cancel what a failed publish left in Teams.
    Rollback { id: String },
    /// Finish every publish, rollback or edit a crash cut short.
    Recover,
    /// The series on this computer.
    List,
    /// Print a series as a plan file (with session numbers), ready to edit.
    Show { id: String },
    /// Show what an edited plan file would change in Teams, session by session (sends nothing).
    Preview {
        #[arg(long)]
        plan: std::path::PathBuf,
    },
    /// Push an edited plan file of a published series to Teams (the file names the series' id).
    Edit {
        #[arg(long)]
        plan: std::path::PathBuf,
    },
    /// Cancel every session of a published series in Teams (registrants are notified by Teams).
    Cancel {
        id: String,
        /// Confirm; without it, the registrant count is printed and nothing is canceled.
        #[arg(long)]
        yes: bool,
    },
    /// Delete a series from this computer, canceling its webinars in Teams first (best effort).
    Delete { id: String },
    /// Group webinars made in Teams into a new series (tags them; changes nothing else).
    Group {
        #[arg(long)]
        title: String,
        /// Webinar ids, as `webinars list` prints them.
        #[arg(required = true)]
        webinars: Vec<String>,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print the saved settings (nothing in them is secret).
    Show,
    /// Validate and save settings.
    Set(SettingsArgs),
    /// Save the settings a running `tenant-sim serve` printed (its JSON line on stdin).
    FromTenantSim,
}

#[derive(Args)]
struct SettingsArgs {
    #[arg(long)]
    tenant_id: String,
    #[arg(long)]
    client_id: String,
    #[arg(long)]
    companion_url: String,
    #[arg(long)]
    companion_scope: String,
    #[arg(long)]
    authority_url: Option<String>,
    #[arg(long)]
    graph_url: Option<String>,
}

#[derive(Subcommand)]
enum WebinarsCommand {
    /// List the webinars in the local copy.
    List {
        /// Sync with Teams first.
        #[arg(long)]
        sync: bool,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Sync my webinars from Teams into the local copy.
    Sync,
}

// The app's allocator (see src-tauri/src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    match run(cli.command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("webinar-desk-cli: {e}");
            for (field, message) in e.field_problems() {
                eprintln!("  {field}: {message}");
            }
            if let Some(id) = e.correlation_id() {
                eprintln!("  correlation id: {id}");
            }
            if let Some(id) = e.request_id() {
                eprintln!("  Graph request id: {id}");
            }
            ExitCode::FAILURE
        }
    }
}

fn open_browser(url: &str) -> Result<(), String> {
    eprintln!("Sign in in your browser. If it does not open, open this address:\n{url}");
    let (program, args): (String, Vec<&str>) = match std::env::var("BROWSER") {
        Ok(b) if !b.is_empty() => (b, vec![url]),
        _ if cfg!(target_os = "macos") => ("open".into(), vec![url]),
        _ if cfg!(windows) => ("rundll32".into(), vec!["url.dll,FileProtocolHandler", url]),
        _ => ("xdg-open".into(), vec![url]),
    };
    // The address is printed above, so a browser that cannot start is not fatal.
    if let Err(e) = std::process::Command::new(&program).args(args).spawn() {
        eprintln!("(could not start {program}: {e})");
    }
    Ok(())
}

async fn run(command: Command) -> Result<(), DeskError> {
    let paths = Paths::discover()?;
    let desk = Desk::configured(paths, Arc::new(OsKeychain))?;
    match command {
        Command::Config(ConfigCommand::Show) => {
            let s = desk.settings()?;
            let managed = desk.managed_fields()?;
            let show = |name: &str, value: &str| {
                let by = if managed.contains(&name) {
                    "   (set by your organization)"
                } else {
                    ""
                };
                println!("{name:<15} = {value}{by}");
            };
            show("tenant_id", &s.tenant_id);
            show("client_id", &s.client_id);
            show("companion_url", &s.companion_url);
            show("companion_scope", &s.companion_scope);
            show(
                "authority_url",
                s.authority_url.as_deref().unwrap_or("(default)"),
            );
            show("graph_url", s.graph_url.as_deref().unwrap_or("(default)"));
            println!(
                "settings file   = {}",
                desk.paths().settings_file().display()
            );
            println!(
                "managed file    = {}",
                desk.paths().managed_settings_file.display()
            );
        }
        Command::Config(ConfigCommand::Set(a)) => {
            let settings = TenantSettings {
                tenant_id: a.tenant_id,
                client_id: a.client_id,
                companion_url: a.companion_url,
                companion_scope: a.companion_scope,
                authority_url: a.authority_url,
                graph_url: a.graph_url,
            };
            desk.save_settings(settings).await?;
            println!("Saved to {}", desk.paths().settings_file().display());
        }
        Command::Config(ConfigCommand::FromTenantSim) => {
            let mut line = String::new();
            std::io::stdin().read_to_string(&mut line).ok();
            let settings: TenantSettings = serde_json::from_str(line.trim()).map_err(|e| {
                DeskError::from(webinar_desk_core::config::ConfigError::Parse {
                    path: "standard input".into(),
                    message: format!("expected the JSON line `tenant-sim serve` prints ({e})"),
                })
            })?;
            desk.save_settings(settings).await?;
            println!(
                "Saved the simulated tenant's settings to {}",
                desk.paths().settings_file().display()
            );
        }
        Command::SignIn { login_hint } => {
            let options = SignInOptions {
                login_hint,
                ..SignInOptions::default()
            };
            let status = desk.sign_in(&options, &open_browser).await?;
            let account = status.account.expect("signed in");
            println!(
                "Signed in as {} <{}>",
                account.display_name, account.username
            );
        }
        Command::SignOut { remove_cache } => {
            desk.sign_out(remove_cache).await?;
            println!(
                "Signed out{}.",
                if remove_cache {
                    " and removed the local copy"
                } else {
                    "; the local copy stays"
                }
            );
        }
        Command::Status => {
            let status = desk.resume().await;
            match &status.account {
                Some(a) => println!("Account:    {} <{}>", a.display_name, a.username),
                None => println!("Account:    not signed in"),
            }
            let connection = match &status.connection {
                Connection::Online => "online".to_string(),
                Connection::Offline { reason } => format!("offline ({reason})"),
                Connection::NeedsSignIn { reason } => format!("needs sign-in ({reason})"),
                Connection::Connecting => "connecting".into(),
                Connection::SignedOut => "signed out".into(),
            };
            println!("Connection: {connection}");
            println!(
                "Configured: {}",
                if status.configured {
                    "yes"
                } else {
                    "no — run `webinar-desk-cli config set`"
                }
            );
        }
        Command::Webinars(WebinarsCommand::Sync) => {
            desk.resume().await;
            let report = desk.sync_webinars(chrono::Utc::now()).await?;
            println!(
                "Synced {} webinars ({} no longer listed).",
                report.webinars, report.unlisted
            );
            for w in report.warnings {
                eprintln!("warning: {w}");
            }
        }
        Command::Webinars(WebinarsCommand::List { sync, json }) => {
            if sync {
                desk.resume().await;
                desk.sync_webinars(chrono::Utc::now()).await?;
            }
            let list = desk.webinars().await?;
            for w in &list.webinars {
                let start = w.start.map(|t| t.to_rfc3339()).unwrap_or_default();
                let end = w.end.map(|t| t.to_rfc3339()).unwrap_or_default();
                if json {
                    println!(
                        "{}",
                        serde_json::json!({
                            "id": w.id, "title": w.title, "role": w.role.as_str(), "status": w.status.as_str(),
                            "start": start, "end": end, "timeZone": w.time_zone, "listed": w.listed,
                        })
                    );
                } else {
                    println!(
                        "{start:25}  {:11}  {:9}  {}",
                        w.role.as_str(),
                        w.status.as_str(),
                        w.title
                    );
                }
            }
            let synced = list
                .sync
                .and_then(|s| s.last_success_at)
                .map(|t| t.to_rfc3339())
                .unwrap_or_else(|| "never".into());
            eprintln!("{} webinars; last synced {synced}", list.webinars.len());
        }
        Command::Series(command) => series(&desk, command).await?,
        Command::Sync { id } => {
            desk.resume().await;
            let now = chrono::Utc::now();
            let is_series = desk.series_list().await?.iter().any(|(p, _)| p.id == id);
            let reports = if is_series {
                desk.sync_series_attendance(&id, now).await?
            } else {
                vec![desk.sync_attendance(&id, now).await?]
            };
            for r in &reports {
                let regs = r
                    .registrations
                    .map_or("not listed".to_string(), |n| n.to_string());
                println!(
                    "{}: {regs} registrations, {} new attendance reports ({} kept){}",
                    r.webinar_id,
                    r.new_reports,
                    r.reports_known,
                    if r.report_pending {
                        ", report pending"
                    } else {
                        ""
                    }
                );
                for w in &r.warnings {
                    eprintln!("warning: {w}");
                }
            }
        }
        Command::Attendance { id, filter, json } => attendance(&desk, &id, filter, json).await?,
        Command::Diagnose => {
            let report = desk
                .diagnose(chrono::Utc::now(), env!("CARGO_PKG_VERSION"))
                .await;
            print!("{}", report.text());
            if report.count(webinar_desk_core::diagnostics::Outcome::Fail) > 0 {
                std::process::exit(1);
            }
        }
        Command::Journal { search, limit, csv } => {
            if let Some(path) = csv {
                let file = desk
                    .export_journal(
                        &search,
                        webinar_desk_core::export::CsvOptions::default(),
                        chrono::Utc::now(),
                    )
                    .await?;
                if let Err(e) = webinar_desk_core::export::save(&path, &file.bytes) {
                    eprintln!("webinar-desk-cli: could not write {}: {e}", path.display());
                    std::process::exit(1);
                }
                eprintln!("Wrote {} entries to {}", file.rows, path.display());
            } else {
                for e in desk.journal(&search, limit).await? {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        e.at.to_rfc3339(),
                        e.actor,
                        e.action,
                        e.target.as_deref().unwrap_or("-"),
                        e.phase.as_str(),
                        e.error_class.as_deref().unwrap_or("-"),
                        e.request_id.as_deref().unwrap_or("-"),
                        e.message.as_deref().unwrap_or(""),
                    );
                }
            }
        }
        Command::Export {
            what,
            id,
            out,
            no_bom,
        } => {
            use webinar_desk_core::desk::ExportKind;
            let kind = match what.as_str() {
                "attendance" => ExportKind::Attendance,
                "intervals" => ExportKind::Intervals,
                "matrix" => ExportKind::Matrix,
                "ics" => ExportKind::Calendar,
                "teams" => ExportKind::TeamsReport,
                _ => ExportKind::Registrations,
            };
            let file = desk
                .export(
                    kind,
                    &id,
                    webinar_desk_core::export::CsvOptions { bom: !no_bom },
                    chrono::Utc::now(),
                )
                .await?;
            let path = out.unwrap_or_else(|| std::path::PathBuf::from(&file.file_name));
            if let Err(e) = webinar_desk_core::export::save(&path, &file.bytes) {
                eprintln!(
                    "webinar-desk-cli: could not write {}: {e}. Check the folder exists and is writable.",
                    path.display()
                );
                std::process::exit(1);
            }
            eprintln!(
                "Wrote {} {} to {}",
                file.rows,
                match what.as_str() {
                    "ics" => "events",
                    "teams" => "participants",
                    _ => "rows",
                },
                path.display()
            );
        }
        Command::Drift {
            series,
            webinar,
            force,
        } => {
            use webinar_desk_core::desk::DriftScope;
            desk.resume().await;
            let scope = match (series, webinar) {
                (Some(s), _) => DriftScope::Series(s),
                (None, Some(w)) => DriftScope::Webinar(w),
                (None, None) => DriftScope::All,
            };
            let statuses = desk.check_drift(&scope, force, chrono::Utc::now()).await?;
            let (mut drifted, mut failed) = (false, false);
            for s in &statuses {
                let title = &s.title;
                let kind = s.finding().map_or("notChecked", |f| f.kind.as_str());
                let when = s
                    .check
                    .checked_at
                    .map_or(String::new(), |t| format!("\tchecked {}", t.to_rfc3339()));
                println!("{}\t{kind}\t{title}{when}", s.webinar_id);
                if let Some(f) = s.finding() {
                    drifted |= f.kind.drifted();
                    for d in &f.fields {
                        println!("  {}", d.plain);
                    }
                }
                if let Some((at, message, request_id)) = &s.check.failure {
                    failed = true;
                    println!(
                        "  check failed at {}: {message}{}",
                        at.to_rfc3339(),
                        request_id
                            .as_deref()
                            .map_or(String::new(), |r| format!(" (Graph request id {r})"))
                    );
                }
            }
            if drifted {
                std::process::exit(3);
            }
            if failed {
                std::process::exit(1);
            }
        }
        Command::Rules {
            attended,
            completion,
        } => {
            let mut rules = desk.attendance_rules().await?;
            if attended.is_some() || completion.is_some() {
                rules.attended_pct = attended.unwrap_or(rules.attended_pct);
                rules.completion_pct = completion.unwrap_or(rules.completion_pct);
                let n = desk.set_attendance_rules(rules, chrono::Utc::now()).await?;
                eprintln!("Recomputed {n} sessions.");
            }
            println!(
                "attended: present for at least {}% of a session\ncomplete: attended at least {}% of a series' sessions",
                rules.attended_pct, rules.completion_pct
            );
        }
    }
    Ok(())
}

async fn series(desk: &Desk, command: SeriesCommand) -> Result<(), DeskError> {
    use webinar_desk_core::desk::Recovered;
    use webinar_desk_core::series::{EditOutcome, PublishOutcome};
    let report = |id: &str, outcome: &PublishOutcome| match outcome {
        PublishOutcome::Published { webinars } => {
            println!("Series {id} is published:");
            for (n, w) in webinars {
                println!("  session {n}: {w}");
            }
        }
        PublishOutcome::RolledBack { cause } => {
            println!(
                "Series {id} failed and was rolled back; nothing remains in Teams. Cause: {cause}"
            );
        }
        PublishOutcome::PartiallyRolledBack { cause, remaining } => {
            println!("Series {id} failed and was rolled back in part. Cause: {cause}");
            println!("Still in Teams (retry with `webinar-desk-cli series rollback {id}`):");
            for r in remaining {
                let n = r.n.map(|n| n.to_string()).unwrap_or_else(|| "?".into());
                println!("  session {n}: {} — {}", r.webinar_id, r.why);
            }
        }
    };
    let failed = |outcome: &PublishOutcome| !matches!(outcome, PublishOutcome::Published { .. });
    let edit_report = |id: &str, outcome: &EditOutcome| {
        println!("Series {id} is now {}:", outcome.state.as_str());
        for s in &outcome.sessions {
            let w = s.webinar_id.as_deref().unwrap_or("-");
            match &s.error {
                None => println!("  session {}: {} ({w})", s.n, s.what),
                Some(e) => println!("  session {}: NOT {} ({w}) — {e}", s.n, s.what),
            }
        }
    };
    match command {
        SeriesCommand::Create { plan } => {
            let parsed = read_plan(&plan, None)?;
            let problems = desk.save_series(&parsed, chrono::Utc::now()).await?;
            println!("{}", parsed.id);
            for p in &problems {
                eprintln!("problem: {}: {}", p.field, p.message);
            }
            if !problems.is_empty() {
                eprintln!("Saved, but it cannot be published until these are solved.");
            }
        }
        SeriesCommand::Publish { id } => {
            desk.resume().await;
            let outcome = desk.publish_series(&id).await?;
            report(&id, &outcome);
            if failed(&outcome) {
                std::process::exit(1);
            }
        }
        SeriesCommand::Rollback { id } => {
            desk.resume().await;
            let outcome = desk.roll_back_series(&id).await?;
            report(&id, &outcome);
            if matches!(outcome, PublishOutcome::PartiallyRolledBack { .. }) {
                std::process::exit(1);
            }
        }
        SeriesCommand::Recover => {
            // `start` would recover quietly; here the organizer wants to see the outcome.
            desk.resume().await;
            let done = desk.recover_series().await?;
            if done.is_empty() {
                println!("Nothing to recover.");
            }
            for (id, outcome) in &done {
                match outcome {
                    Recovered::Publish(o) => report(id, o),
                    Recovered::Edit(o) => edit_report(id, o),
                }
            }
        }
        SeriesCommand::Show { id } => {
            let detail = desk.series_detail(&id).await?;
            println!("# state: {}", detail.state.as_str());
            for s in &detail.sessions {
                println!(
                    "# session {}: {}{}",
                    s.n,
                    s.webinar_id.as_deref().unwrap_or("not in Teams"),
                    if s.pending_changes {
                        " (local changes not pushed)"
                    } else {
                        ""
                    }
                );
            }
            print!("{}", plan_file::to_toml(&detail.plan));
        }
        SeriesCommand::Preview { plan } => {
            let parsed = read_plan(&plan, Some(()))?;
            desk.resume().await;
            for change in desk.preview_series_edit(&parsed).await? {
                println!("{}", describe(&change));
            }
        }
        SeriesCommand::Edit { plan } => {
            let parsed = read_plan(&plan, Some(()))?;
            desk.resume().await;
            let outcome = desk.edit_series(&parsed).await?;
            edit_report(&parsed.id, &outcome);
            if outcome.failed().next().is_some() {
                std::process::exit(1);
            }
        }
        SeriesCommand::Cancel { id, yes } => {
            desk.resume().await;
            if !yes {
                let count = desk.series_registrants(&id).await?;
                let unknown = if count.sessions_unknown > 0 {
                    format!(
                        " ({} sessions' registrations could not be read)",
                        count.sessions_unknown
                    )
                } else {
                    String::new()
                };
                println!(
                    "Canceling series {id} tells {} registered people{unknown} that its sessions are canceled. Cancel is permanent in Teams. Run again with --yes to cancel.",
                    count.registered
                );
                std::process::exit(2);
            }
            let outcome = desk.cancel_series(&id).await?;
            edit_report(&id, &outcome);
            if outcome.failed().next().is_some() {
                std::process::exit(1);
            }
        }
        SeriesCommand::Delete { id } => {
            desk.resume().await;
            let remaining = desk.delete_series(&id).await?;
            println!("Series {id} is deleted from this computer.");
            if !remaining.is_empty() {
                println!("These webinars could not be canceled and remain in Teams:");
                for r in &remaining {
                    println!("  {} — {}", r.webinar_id, r.why);
                }
                std::process::exit(1);
            }
        }
        SeriesCommand::Group { title, webinars } => {
            desk.resume().await;
            let plan = desk.group_webinars(&title, &webinars).await?;
            println!("{}", plan.id);
        }
        SeriesCommand::List => {
            for (plan, state) in desk.series_list().await? {
                println!(
                    "{}  {:20}  {} sessions  {}",
                    plan.id,
                    state.as_str(),
                    plan.sessions.len(),
                    plan.title
                );
            }
        }
    }
    Ok(())
}

async fn attendance(
    desk: &Desk,
    id: &str,
    filter: Option<String>,
    json: bool,
) -> Result<(), DeskError> {
    let is_series = desk.series_list().await?.iter().any(|(p, _)| p.id == id);
    if is_series {
        let m = desk.series_attendance(id).await?;
        let cell = |c: &Option<webinar_desk_core::attendance::Outcome>| {
            c.map_or("-", |o| o.as_str()).to_string()
        };
        if json {
            for r in &m.rows {
                println!(
                    "{}",
                    serde_json::json!({
                        "person": r.person, "name": r.name, "attended": r.attended,
                        "complete": r.complete,
                        "sessions": r.cells.iter().map(cell).collect::<Vec<_>>(),
                    })
                );
            }
        } else {
            let heads: Vec<String> = m.sessions.iter().map(|(n, _, _)| format!("S{n}")).collect();
            println!("person\tname\t{}\tattended\tcomplete", heads.join("\t"));
            for r in &m.rows {
                let cells: Vec<String> = r.cells.iter().map(cell).collect();
                println!(
                    "{}\t{}\t{}\t{} of {}\t{}",
                    r.person,
                    r.name,
                    cells.join("\t"),
                    r.attended,
                    m.sessions.len(),
                    if r.complete { "yes" } else { "no" }
                );
            }
        }
        return Ok(());
    }
    let query = webinar_desk_core::store::PageQuery {
        filter,
        sort: "name".into(),
        limit: usize::MAX / 2,
        ..Default::default()
    };
    let a = desk.session_attendance(id, &query).await?;
    let Some(stats) = &a.stats else {
        eprintln!(
            "No attendance in the local copy for {id} yet: run `webinar-desk-cli sync {id}`."
        );
        std::process::exit(1);
    };
    if !json {
        eprintln!(
            "{} registered, {} attended, {} partial, {} no-shows, {} unregistered; peak {} at once",
            stats.registered,
            stats.attended,
            stats.partial,
            stats.no_shows,
            stats.unregistered,
            stats.peak_concurrent
        );
        println!(
            "name\temail\tregistered\tseconds\tpercent\trejoins\tlate_min\tearly_min\toutcome"
        );
    }
    for r in &a.page.rows {
        if json {
            println!(
                "{}",
                serde_json::json!({
                    "name": r.name, "email": r.email, "registered": r.registered,
                    "seconds": r.seconds_present, "percent": r.pct, "rejoins": r.rejoins,
                    "lateMinutes": r.late_minutes, "earlyLeaveMinutes": r.early_leave_minutes,
                    "outcome": r.outcome,
                    "firstJoin": r.first_join.map(|t| t.to_rfc3339()),
                    "lastLeave": r.last_leave.map(|t| t.to_rfc3339()),
                })
            );
        } else {
            println!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                r.name,
                r.email.as_deref().unwrap_or(""),
                r.registered,
                r.seconds_present,
                r.pct,
                r.rejoins,
                r.late_minutes,
                r.early_leave_minutes,
                r.outcome
            );
        }
    }
    Ok(())
}

/// Reads a plan file; `needs_id` for edits, which must name the series they change.
fn read_plan(
    path: &std::path::Path,
    needs_id: Option<()>,
) -> Result<webinar_desk_core::series::SeriesPlan, DeskError> {
    let bad = |message: String| {
        DeskError::from(webinar_desk_core::config::ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        })
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let json = path.extension().is_some_and(|e| e == "json");
    let file = plan_file::PlanFile::parse(&text, json).map_err(bad)?;
    if needs_id.is_some() && file.id.is_none() {
        return Err(bad(
            "an edit must name the series: add `id = \"…\"` (as `series show` prints it)".into(),
        ));
    }
    file.into_plan(uuid_v4()).map_err(bad)
}

/// One line per session of an edit preview.
fn describe(change: &webinar_desk_core::series::Change) -> String {
    use webinar_desk_core::series::Change;
    let fields = |f: &[webinar_desk_core::series::FieldChange]| {
        f.iter()
            .map(|f| f.plain.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    };
    match change {
        Change::Add { n } => format!("session {n}: added (created and published in Teams)"),
        Change::Update { n, fields: f, .. } => format!("session {n}: {}", fields(f)),
        Change::Cancel { n, .. } => format!("session {n}: canceled in Teams"),
        Change::Record { n, .. } | Change::Unchanged { n } => format!("session {n}: no change"),
        Change::Drifted {
            n,
            fields: f,
            blocks,
            ..
        } => format!(
            "session {n}: changed in Teams ({}){}",
            fields(f),
            if *blocks {
                " — the edit is refused until this is reviewed"
            } else {
                ""
            }
        ),
        Change::Missing { n, webinar_id } => {
            format!("session {n}: webinar {webinar_id} no longer exists in Teams")
        }
    }
}

fn uuid_v4() -> String {
    webinar_desk_core::series::new_series_id()
}
