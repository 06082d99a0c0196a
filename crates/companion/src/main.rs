//! `webinar-desk-companion [--config FILE]`: serves the companion API. Configured by a TOML file,
//! by environment variables (`config::ENV`), or both; put it behind HTTPS (a reverse proxy or
//! the platform's TLS termination). Logs are JSON lines unless on a terminal
//! (`WEBINAR_DESK_COMPANION_LOG_FORMAT`); SIGTERM or Ctrl+C stops it after the requests in
//! flight are answered.
//!
//! `webinar-desk-companion health-check [URL]` asks a running companion's `/health` and exits 0
//! if it answers: the container image's health check (it has no shell or curl).

use std::sync::Arc;

use webinar_desk_companion::Companion;
use webinar_desk_companion::config::{ConfigFile, DEFAULT_LISTEN};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let first = args.next();
    if first.as_deref() == Some("health-check") {
        std::process::exit(health_check(args.next()).await);
    }
    logging();
    let config_path = match (first.as_deref(), args.next()) {
        (Some("--config"), Some(path)) => Some(path),
        (None, _) => std::env::var("WEBINAR_DESK_COMPANION_CONFIG").ok(),
        _ => {
            eprintln!(
                "usage: webinar-desk-companion [--config FILE]   (or set WEBINAR_DESK_COMPANION_* variables)\n       webinar-desk-companion health-check [URL]"
            );
            std::process::exit(2);
        }
    };
    if let Err(message) = serve(config_path).await {
        tracing::error!("{message}");
        eprintln!("webinar-desk-companion: {message}");
        std::process::exit(2);
    }
}

fn logging() {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let json = match std::env::var("WEBINAR_DESK_COMPANION_LOG_FORMAT").as_deref() {
        Ok("json") => true,
        Ok("text") => false,
        _ => !terminal,
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .init();
    } else {
        builder.with_ansi(terminal).init();
    }
}

async fn serve(config_path: Option<String>) -> Result<(), String> {
    let file = match &config_path {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
            toml::from_str::<ConfigFile>(&text).map_err(|e| format!("{path} is not valid: {e}"))?
        }
        None => ConfigFile::default(),
    };
    let (config, listen) = file
        .with_env(|name| std::env::var(name).ok())
        .into_config()?;
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    tracing::info!(
        %listen,
        tenant = config.tenant_id,
        version = env!("CARGO_PKG_VERSION"),
        "companion listening"
    );
    axum::serve(listener, Arc::new(Companion::new(config)).router())
        .with_graceful_shutdown(stop_signal())
        .await
        .map_err(|e| format!("server stopped: {e}"))?;
    tracing::info!("companion stopped");
    Ok(())
}

/// Ctrl+C, or SIGTERM (what a container platform sends before it stops a replica).
async fn stop_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("a SIGTERM handler");
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("stopping: answering the requests in flight first");
}

/// Exit code 0 if the companion at `url` (default: the configured listen address) is alive.
async fn health_check(url: Option<String>) -> i32 {
    let url = url.unwrap_or_else(|| {
        let listen = std::env::var("WEBINAR_DESK_COMPANION_LISTEN")
            .unwrap_or_else(|_| DEFAULT_LISTEN.into());
        let port = listen.rsplit(':').next().unwrap_or("8787").to_string();
        format!("http://127.0.0.1:{port}/health")
    });
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(3))
        .build();
    match client {
        Ok(client) => match client.get(&url).send().await {
            Ok(r) if r.status().is_success() => 0,
            Ok(r) => {
                eprintln!("{url}: HTTP {}", r.status());
                1
            }
            Err(e) => {
                eprintln!("{url}: {e}");
                1
            }
        },
        Err(e) => {
            eprintln!("{e}");
            1
        }
    }
}
