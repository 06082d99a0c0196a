//! The one-shot loopback listener that receives the browser's redirect (RFC 8252 §7.3).
//!
//! Invariants: it listens on 127.0.0.1 only, on a port the OS picks; it answers exactly one
//! sign-in and then closes; a response whose `state` differs from ours ends the sign-in with
//! [`AuthError::StateMismatch`]; it gives up after the caller's timeout. Requests for other
//! paths (a browser asking for `/favicon.ico`) get a 404 and do not end the wait.

use std::collections::HashMap;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::AuthError;

const PAGE_STYLE: &str =
    "font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;line-height:1.5";

#[derive(Debug)]
pub struct Loopback {
    listener: TcpListener,
    port: u16,
}

/// What the browser brought back.
enum Answer {
    Code(String),
    Error {
        error: String,
        description: Option<String>,
    },
    WrongState,
    NotOurs,
}

impl Loopback {
    pub async fn bind() -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        Ok(Self { listener, port })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Entra ignores the port of `http://localhost` redirect URIs, so the app registration
    /// needs only `http://localhost` under "Mobile and desktop applications".
    pub fn redirect_uri(&self) -> String {
        format!("http://localhost:{}/", self.port)
    }

    /// Waits for the redirect and returns the authorization code.
    pub async fn wait(self, expected_state: &str, timeout: Duration) -> Result<String, AuthError> {
        let serve = async {
            loop {
                let (stream, _) = self.listener.accept().await.map_err(AuthError::Loopback)?;
                match answer_one(stream, expected_state).await {
                    Ok(Answer::Code(code)) => return Ok(code),
                    Ok(Answer::Error { error, description }) => {
                        return Err(AuthError::Denied { error, description });
                    }
                    Ok(Answer::WrongState) => return Err(AuthError::StateMismatch),
                    Ok(Answer::NotOurs) => continue,
                    // A client that connects and sends garbage must not end the sign-in.
                    Err(e) => tracing::debug!("ignored a malformed loopback request: {e}"),
                }
            }
        };
        match tokio::time::timeout(timeout, serve).await {
            Ok(result) => result,
            Err(_) => Err(AuthError::TimedOut(timeout)),
        }
    }
}

async fn answer_one(mut stream: TcpStream, expected_state: &str) -> std::io::Result<Answer> {
    let head = tokio::time::timeout(Duration::from_secs(10), read_head(&mut stream))
        .await
        .map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::TimedOut, "request head not received")
        })??;
    let target = head
        .lines()
        .next()
        .and_then(|line| {
            let mut parts = line.split_whitespace();
            match (parts.next(), parts.next()) {
                (Some("GET"), Some(target)) => Some(target.to_string()),
                _ => None,
            }
        })
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "not a GET request"))?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    if path != "/" {
        respond(
            &mut stream,
            "404 Not Found",
            "Not found",
            "This address only receives a sign-in.",
        )
        .await?;
        return Ok(Answer::NotOurs);
    }
    let params: HashMap<String, String> = serde_urlencoded::from_str(query).unwrap_or_default();
    let state_ok = params.get("state").is_some_and(|s| s == expected_state);
    if !state_ok {
        respond(&mut stream, "400 Bad Request", "Sign-in rejected",
            "This answer does not belong to the sign-in Webinar Desk started. Close this tab and start sign-in again.").await?;
        return Ok(Answer::WrongState);
    }
    if let Some(error) = params.get("error") {
        let description = params.get("error_description").cloned();
        respond(&mut stream, "200 OK", "Sign-in not completed",
            "Webinar Desk did not get permission to sign you in. You can close this tab and try again from the app.").await?;
        return Ok(Answer::Error {
            error: error.clone(),
            description,
        });
    }
    match params.get("code") {
        Some(code) if !code.is_empty() => {
            respond(&mut stream, "200 OK", "You are signed in",
                "Webinar Desk has received your sign-in. You can close this tab and return to the app.").await?;
            Ok(Answer::Code(code.clone()))
        }
        _ => {
            respond(
                &mut stream,
                "400 Bad Request",
                "Sign-in incomplete",
                "The answer carried no authorization code.",
            )
            .await?;
            Ok(Answer::Error {
                error: "invalid_response".into(),
                description: Some("no authorization code in the redirect".into()),
            })
        }
    }
}

async fn read_head(stream: &mut TcpStream) -> std::io::Result<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.len() > 16 * 1024 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "request head too large",
            ));
        }
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

async fn respond(
    stream: &mut TcpStream,
    status: &str,
    title: &str,
    text: &str,
) -> std::io::Result<()> {
    let body = format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>{title} – Webinar Desk</title>\
         <body style=\"{PAGE_STYLE}\"><h1>{title}</h1><p>{text}</p></body></html>"
    );
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}
