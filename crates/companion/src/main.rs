//! `webinar-desk-companion --config companion.toml`: serves the companion API. Put it behind
//! HTTPS (a reverse proxy or your platform's TLS termination); the secret comes from
//! `WEBINAR_DESK_COMPANION_SECRET`.

use std::sync::Arc;

use webinar_desk_companion::Companion;
use webinar_desk_companion::config::ConfigFile;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
    if let Err(message) = run().await {
        eprintln!("webinar-desk-companion: {message}");
        std::process::exit(2);
    }
}

async fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let path = match (args.next().as_deref(), args.next()) {
        (Some("--config"), Some(path)) => path,
        _ => std::env::var("WEBINAR_DESK_COMPANION_CONFIG").map_err(|_| {
            "usage: webinar-desk-companion --config FILE (or set WEBINAR_DESK_COMPANION_CONFIG)"
                .to_string()
        })?,
    };
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let file: ConfigFile =
        toml::from_str(&text).map_err(|e| format!("{path} is not valid: {e}"))?;
    let (config, listen) = file.into_config(std::env::var("WEBINAR_DESK_COMPANION_SECRET").ok())?;
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    tracing::info!(%listen, tenant = config.tenant_id, "companion listening");
    axum::serve(listener, Arc::new(Companion::new(config)).router())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| format!("server stopped: {e}"))
}
