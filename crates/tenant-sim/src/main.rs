//! `tenant-sim serve`: runs the simulated tenant until interrupted and prints its addresses as
//! one JSON line. `tenant-sim token --account organizer`: prints a Graph token for a demo
//! account, for curl or a Graph SDK pointed at a running `tenant-sim` (same `--state-dir`).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "tenant-sim",
    version,
    about = "A simulated Microsoft 365 tenant for Webinar Desk"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve Entra, Graph and the companion on loopback ports.
    Serve {
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Entra's port; Graph and the companion take the next two (0: any free ports).
        #[arg(long, default_value_t = 0)]
        port: u16,
        #[arg(long, default_value_t = 20)]
        page_size: usize,
        /// Keep the signing key here, so tokens survive restarts.
        #[arg(long)]
        state_dir: Option<PathBuf>,
        /// Run Graph's 30-second throttling windows this much faster (0.1: 3 s windows).
        #[arg(long, default_value_t = 1.0)]
        time_scale: f64,
        /// Also hold one past webinar ("Company town hall") with this many registrations and
        /// as many attendees, for trying the app on large tables.
        #[arg(long)]
        large_webinar: Option<usize>,
    },
    /// Print a Graph access token for a demo account (organizer, coorganizer, nopremium).
    Token {
        #[arg(long, default_value = "organizer")]
        account: String,
        /// The `--state-dir` of the running tenant-sim whose key should sign it.
        #[arg(long)]
        state_dir: PathBuf,
    },
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match Cli::parse().command {
        Command::Serve {
            seed,
            port,
            page_size,
            state_dir,
            time_scale,
            large_webinar,
        } => {
            if !(time_scale > 0.0 && time_scale <= 1.0) {
                eprintln!("tenant-sim: --time-scale must be above 0 and at most 1");
                std::process::exit(2);
            }
            let ports = if port == 0 {
                [0, 0, 0]
            } else {
                [port, port + 1, port + 2]
            };
            let config = tenant_sim::SimConfig {
                seed,
                page_size,
                state_dir,
                ports,
                time_scale,
                ..Default::default()
            };
            let handle = match tenant_sim::start(config).await {
                Ok(h) => h,
                Err(e) => {
                    eprintln!("tenant-sim: cannot start: {e}");
                    std::process::exit(2);
                }
            };
            if let Some(people) = large_webinar {
                handle.add_series(&tenant_sim::SeriesSpec {
                    organizer: "organizer",
                    title: "Company town hall".into(),
                    sessions: 1,
                    first_start: handle.now() - chrono::Duration::days(3),
                    every: chrono::Duration::days(7),
                    length: chrono::Duration::hours(1),
                    registrations: people,
                    records: people,
                });
            }
            println!("{}", handle.describe());
            let _ = tokio::signal::ctrl_c().await;
            handle.stop();
        }
        Command::Token { account, state_dir } => {
            if tenant_sim::directory::account(&account).is_none() {
                eprintln!(
                    "tenant-sim: unknown account '{account}' (organizer, coorganizer, nopremium)"
                );
                std::process::exit(2);
            }
            match tenant_sim::SigningKey::load_or_create(&state_dir) {
                Ok(key) => println!("{}", tenant_sim::graph_access_token(&key, &account, 3600)),
                Err(e) => {
                    eprintln!(
                        "tenant-sim: cannot read the signing key in {}: {e}",
                        state_dir.display()
                    );
                    std::process::exit(2);
                }
            }
        }
    }
}
