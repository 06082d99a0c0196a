//! Converting Graph's `dateTimeTimeZone` (a wall-clock time plus a Windows or IANA zone name)
//! to an instant, using the CLDR Windows↔IANA table from `windows-timezones`.
//!
//! Invariant: a time we cannot place exactly is an error, never silently assumed to be UTC.

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use windows_timezones::WindowsTimezone;

/// Why a date-time from Graph could not be understood.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TimeError {
    #[error(
        "'{0}' is not a date-time Webinar Desk understands (expected e.g. 2026-03-30T10:00:00)"
    )]
    BadDateTime(String),
    #[error("'{0}' is not a known Windows or IANA time zone")]
    UnknownZone(String),
    #[error("{0} does not exist in {1} (it falls into a daylight-saving gap)")]
    Nonexistent(String, String),
}

/// Resolves a zone name as Graph sends it: Windows names ("Pacific Standard Time"), IANA names
/// ("Europe/Berlin") or UTC spellings.
pub fn zone(name: &str) -> Result<Tz, TimeError> {
    let trimmed = name.trim();
    if trimmed.is_empty() || trimmed.eq_ignore_ascii_case("utc") {
        return Ok(Tz::UTC);
    }
    if let Ok(tz) = trimmed.parse::<Tz>() {
        return Ok(tz);
    }
    trimmed
        .parse::<WindowsTimezone>()
        .map(Tz::from)
        .map_err(|_| TimeError::UnknownZone(name.to_string()))
}

/// The instant a Graph `dateTimeTimeZone` names. Accepts fractional seconds and a trailing `Z`
/// or offset (then the offset wins over the zone name, as Graph documents for UTC values).
pub fn instant(date_time: &str, zone_name: &str) -> Result<DateTime<Utc>, TimeError> {
    let raw = date_time.trim();
    if let Ok(with_offset) = DateTime::parse_from_rfc3339(raw) {
        return Ok(with_offset.with_timezone(&Utc));
    }
    let naive = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M"))
        .map_err(|_| TimeError::BadDateTime(date_time.to_string()))?;
    let tz = zone(zone_name)?;
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        // In the repeated hour after a DST change, Teams means the first occurrence.
        LocalResult::Ambiguous(first, _) => Ok(first.with_timezone(&Utc)),
        LocalResult::None => Err(TimeError::Nonexistent(
            date_time.to_string(),
            zone_name.to_string(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_zone_names_map_through_cldr() {
        let t = instant("2024-03-30T10:00:00", "Pacific Standard Time").unwrap();
        assert_eq!(t.to_rfc3339(), "2024-03-30T17:00:00+00:00");
    }

    #[test]
    fn fractional_seconds_and_utc_are_accepted() {
        let t = instant("2024-03-30T10:00:00.0000000", "UTC").unwrap();
        assert_eq!(t.to_rfc3339(), "2024-03-30T10:00:00+00:00");
        let z = instant("2024-03-30T10:00:00Z", "Pacific Standard Time").unwrap();
        assert_eq!(z.to_rfc3339(), "2024-03-30T10:00:00+00:00");
    }

    #[test]
    fn iana_names_work_and_unknown_names_are_errors() {
        let t = instant("2024-07-01T09:00:00", "Europe/Berlin").unwrap();
        assert_eq!(t.to_rfc3339(), "2024-07-01T07:00:00+00:00");
        assert_eq!(
            instant("2024-07-01T09:00:00", "PacificSt"),
            Err(TimeError::UnknownZone("PacificSt".into()))
        );
    }

    #[test]
    fn a_time_in_the_spring_gap_is_reported() {
        let err = instant("2024-03-31T02:30:00", "W. Europe Standard Time").unwrap_err();
        assert!(matches!(err, TimeError::Nonexistent(..)), "{err:?}");
    }
}
