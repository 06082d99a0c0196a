//! When and where Webinar Desk looks for a newer version of itself. The shell's updater
//! downloads, verifies the signature (against the public key built into the app) and installs;
//! what is decided here is pure: whether a check is due (at most once a day unless the
//! organizer asks), which feed to read (the one IT set, else the one built into the app), and
//! the plain words for an updater's failure.
//!
//! Invariants: a feed is HTTPS (plain HTTP only on loopback, for a local test server); nothing
//! here downloads or installs.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::config::{ConfigError, FieldProblem, Paths, SettingsFile, read_toml};

/// How often the app looks on its own.
pub const CHECK_EVERY: Duration = Duration::hours(24);

/// The environment variable IT may set to choose the feed.
pub const FEED_ENV: &str = "WEBINAR_DESK_UPDATE_FEED";

/// The `[updates]` section of a settings file (the machine-wide one or the organizer's).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UpdateSettings {
    /// The URL of the feed's `latest.json` (Tauri's updater format).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feed: Option<String>,
}

/// A check is due when none was made, the last is a day old, or the clock went back.
pub fn due(last_check: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    match last_check {
        None => true,
        Some(last) => now - last >= CHECK_EVERY || last > now,
    }
}

/// The feed IT chose, if any: the variable, else the machine-wide file, else the organizer's
/// own settings file. `None`: the feed built into the app.
pub fn feed(
    paths: &Paths,
    var: impl Fn(&str) -> Option<String>,
) -> Result<Option<Url>, ConfigError> {
    let chosen = var(FEED_ENV)
        .filter(|v| !v.trim().is_empty())
        .or(read_toml::<SettingsFile>(&paths.managed_settings_file)?
            .updates
            .feed)
        .or(read_toml::<SettingsFile>(&paths.settings_file())?
            .updates
            .feed);
    chosen.map(|f| parse_feed(f.trim())).transpose()
}

fn parse_feed(text: &str) -> Result<Url, ConfigError> {
    let problem = |message: String| {
        ConfigError::Invalid(vec![FieldProblem {
            field: "update_feed",
            message,
        }])
    };
    let url = Url::parse(text).map_err(|e| {
        problem(format!(
            "The update feed '{text}' is not a web address ({e})."
        ))
    })?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        _ => Err(problem(format!(
            "The update feed '{text}' must be an https:// address (updates are verified by signature, but their feed is private)."
        ))),
    }
}

/// What an updater failure means for the organizer, from the updater's own message: plain
/// words first, what to do, and the details kept for support.
pub fn explain(details: &str) -> String {
    let lower = details.to_ascii_lowercase();
    let plain = if lower.contains("signature")
        || lower.contains("minisign")
        || lower.contains("public key")
    {
        "The update was refused: its signature does not match Webinar Desk's publisher. Nothing was installed. Tell your IT department; the update feed may have been tampered with."
    } else if lower.contains("release not found")
        || lower.contains("status code")
        || lower.contains("404")
    {
        "The update feed did not answer with an update description. Nothing was installed. Try again later, or ask your IT department whether the update feed address is right."
    } else if lower.contains("connect")
        || lower.contains("dns")
        || lower.contains("timed out")
        || lower.contains("network")
    {
        "The update feed could not be reached. Nothing was installed. Check the network connection and try again."
    } else if lower.contains("install") || lower.contains("permission") || lower.contains("pkexec")
    {
        "The update was downloaded and verified but could not be installed. Nothing was changed. Install the new version from your IT department's installer, or try again."
    } else {
        "Looking for an update failed. Nothing was installed. Try again later."
    };
    format!("{plain} (Details: {details})")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_check_is_due_once_a_day_and_after_the_clock_went_back() {
        let now = at("2026-12-08T10:00:00Z");
        assert!(due(None, now));
        assert!(!due(Some(at("2026-12-07T10:00:01Z")), now));
        assert!(due(Some(at("2026-12-07T10:00:00Z")), now));
        assert!(
            due(Some(at("2026-12-09T10:00:00Z")), now),
            "a check in the future"
        );
    }

    #[test]
    fn the_feed_it_chose_wins_in_order_variable_machine_file_own_file() {
        let dir = std::env::temp_dir().join(format!("wd-feed-{}", uuid::Uuid::new_v4()));
        let paths = Paths::under(&dir);
        assert_eq!(feed(&paths, |_| None).unwrap(), None, "the built-in feed");
        let own = SettingsFile {
            updates: UpdateSettings {
                feed: Some("https://own.example/latest.json".into()),
            },
            ..SettingsFile::default()
        };
        crate::config::write_toml(&paths.settings_file(), &own).unwrap();
        assert_eq!(
            feed(&paths, |_| None).unwrap().unwrap().as_str(),
            "https://own.example/latest.json"
        );
        let machine = SettingsFile {
            updates: UpdateSettings {
                feed: Some("https://it.example/latest.json".into()),
            },
            ..SettingsFile::default()
        };
        crate::config::write_toml(&paths.managed_settings_file, &machine).unwrap();
        assert_eq!(
            feed(&paths, |_| None).unwrap().unwrap().host_str(),
            Some("it.example")
        );
        let env = |n: &str| (n == FEED_ENV).then(|| "http://127.0.0.1:9/latest.json".to_string());
        assert_eq!(feed(&paths, env).unwrap().unwrap().port(), Some(9));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_feed_over_plain_http_is_refused_unless_on_this_computer() {
        let ConfigError::Invalid(problems) =
            parse_feed("http://updates.example/latest.json").unwrap_err()
        else {
            panic!("not an invalid-setting error")
        };
        assert_eq!(problems[0].field, "update_feed");
        assert!(
            problems[0].message.contains("https://"),
            "{}",
            problems[0].message
        );
        assert!(parse_feed("http://localhost:8080/latest.json").is_ok());
    }

    #[test]
    fn a_bad_signature_is_explained_before_its_details() {
        let text =
            explain("the signature of the update could not be verified: Verification failed");
        assert!(
            text.starts_with("The update was refused: its signature does not match"),
            "{text}"
        );
        assert!(text.contains("Nothing was installed"));
        assert!(text.ends_with(
            "(Details: the signature of the update could not be verified: Verification failed)"
        ));
    }
}
