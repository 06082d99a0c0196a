//! Calendar files (iCalendar, RFC 5545) for a session or a whole series: one event per session
//! with its title, description, join and registration links, in the series' time zone.
//!
//! Pure: events in, bytes out. Invariants: CRLF line ends and lines folded at 75 octets on
//! character boundaries (§3.1); text escaped (§3.3.11); times are local to a `VTIMEZONE` built
//! from the IANA zone's real transitions over the events' span (UTC needs none); each event's
//! `UID` is its Teams webinar id, so importing a newer file updates the same events instead of
//! adding copies; a canceled session is `STATUS:CANCELLED`, never left out silently.

use chrono::{DateTime, Duration, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz};

/// One session as a calendar event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEvent {
    pub webinar_id: String,
    pub title: String,
    /// Plain text (already converted from the webinar's HTML).
    pub description: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub canceled: bool,
    pub join_url: Option<String>,
    pub registration_url: Option<String>,
}

/// A whole calendar: `name` is shown by calendar apps that name imported calendars.
pub fn calendar(name: &str, tz: Tz, events: &[CalendarEvent], now: DateTime<Utc>) -> Vec<u8> {
    let mut out = Lines::default();
    out.line("BEGIN:VCALENDAR");
    out.line("VERSION:2.0");
    out.line(&format!(
        "PRODID:-//Webinar Desk//Webinar Desk {}//EN",
        env!("CARGO_PKG_VERSION")
    ));
    out.line("CALSCALE:GREGORIAN");
    out.line("METHOD:PUBLISH");
    out.line(&format!("X-WR-CALNAME:{}", text(name)));
    let utc = tz == chrono_tz::UTC;
    if !utc {
        let first = events.iter().map(|e| e.start).min();
        let last = events.iter().map(|e| e.end).max();
        if let (Some(first), Some(last)) = (first, last) {
            timezone(&mut out, tz, first, last);
        }
    }
    for e in events {
        let time = |t: DateTime<Utc>| {
            if utc {
                format!(":{}", t.format("%Y%m%dT%H%M%SZ"))
            } else {
                format!(
                    ";TZID={}:{}",
                    tz.name(),
                    t.with_timezone(&tz).format("%Y%m%dT%H%M%S")
                )
            }
        };
        out.line("BEGIN:VEVENT");
        out.line(&format!("UID:{}@webinar-desk", text(&e.webinar_id)));
        out.line(&format!("DTSTAMP:{}", now.format("%Y%m%dT%H%M%SZ")));
        out.line(&format!("DTSTART{}", time(e.start)));
        out.line(&format!("DTEND{}", time(e.end)));
        out.line(&format!("SUMMARY:{}", text(&e.title)));
        let links: Vec<String> = [
            ("Register", &e.registration_url),
            ("Join in Microsoft Teams", &e.join_url),
        ]
        .into_iter()
        .filter_map(|(label, url)| url.as_ref().map(|u| format!("{label}: {u}")))
        .collect();
        let description = [e.description.trim().to_string(), links.join("\n")]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n");
        if !description.is_empty() {
            out.line(&format!("DESCRIPTION:{}", text(&description)));
        }
        out.line("LOCATION:Microsoft Teams");
        if let Some(url) = e.registration_url.as_ref().or(e.join_url.as_ref()) {
            out.line(&format!("URL:{url}"));
        }
        out.line(if e.canceled {
            "STATUS:CANCELLED"
        } else {
            "STATUS:CONFIRMED"
        });
        out.line("END:VEVENT");
    }
    out.line("END:VCALENDAR");
    out.0.into_bytes()
}

/// The zone's observances from a year before the first event (so the event's own rule is
/// always defined) to the last event's end, each transition as its own `DTSTART`.
fn timezone(out: &mut Lines, tz: Tz, first: DateTime<Utc>, last: DateTime<Utc>) {
    let from = first - Duration::days(366);
    out.line("BEGIN:VTIMEZONE");
    out.line(&format!("TZID:{}", tz.name()));
    let offset_at = |t: DateTime<Utc>| tz.offset_from_utc_datetime(&t.naive_utc());
    let observance = |out: &mut Lines, onset: DateTime<Utc>, before_secs: i32| {
        let after = offset_at(onset);
        let kind = if after.dst_offset().is_zero() {
            "STANDARD"
        } else {
            "DAYLIGHT"
        };
        let local: NaiveDateTime = onset.naive_utc() + Duration::seconds(before_secs.into());
        out.line(&format!("BEGIN:{kind}"));
        out.line(&format!("DTSTART:{}", local.format("%Y%m%dT%H%M%S")));
        out.line(&format!("TZOFFSETFROM:{}", utc_offset(before_secs)));
        out.line(&format!(
            "TZOFFSETTO:{}",
            utc_offset(after.fix().local_minus_utc())
        ));
        if let Some(name) = after.abbreviation() {
            out.line(&format!("TZNAME:{}", text(name)));
        }
        out.line(&format!("END:{kind}"));
    };
    let start_secs = offset_at(from).fix().local_minus_utc();
    observance(out, from, start_secs);
    // Hour by hour, then to the second where the offset changes.
    let mut t = from;
    let mut current = start_secs;
    while t < last {
        let next = t + Duration::hours(1);
        let there = offset_at(next).fix().local_minus_utc();
        if there != current {
            let (mut lo, mut hi) = (t, next);
            while hi - lo > Duration::seconds(1) {
                let mid = lo + (hi - lo) / 2;
                if offset_at(mid).fix().local_minus_utc() == current {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            observance(out, hi, current);
            current = there;
        }
        t = next;
    }
    out.line("END:VTIMEZONE");
}

fn utc_offset(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let secs = secs.abs();
    format!("{sign}{:02}{:02}", secs / 3600, (secs % 3600) / 60)
}

/// TEXT escaping (§3.3.11): backslash, semicolon, comma and line breaks.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Content lines, CRLF-terminated and folded at 75 octets without splitting a character.
#[derive(Default)]
struct Lines(String);

impl Lines {
    fn line(&mut self, content: &str) {
        let mut width = 0;
        for c in content.chars() {
            let len = c.len_utf8();
            if width + len > 75 {
                self.0.push_str("\r\n ");
                // The leading space of a continuation line counts towards its 75 octets.
                width = 1;
            }
            self.0.push(c);
            width += len;
        }
        self.0.push_str("\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn event(n: u32, start: &str, end: &str) -> CalendarEvent {
        CalendarEvent {
            webinar_id: format!("w{n}@tenant"),
            title: format!("Excel, deep dive; part {n}"),
            description: "Bring a laptop.\nWe start on time, promise \\o/".into(),
            start: t(start),
            end: t(end),
            canceled: false,
            join_url: Some(format!("https://teams.example/join/{n}")),
            registration_url: Some(format!("https://events.example/register/{n}")),
        }
    }

    #[test]
    fn a_series_across_a_dst_change_has_exact_text() {
        // 14:00 Berlin before and after the change on 25 October 2026.
        let events = [
            event(1, "2026-10-20T12:00:00Z", "2026-10-20T13:00:00Z"),
            CalendarEvent {
                canceled: true,
                ..event(2, "2026-10-27T13:00:00Z", "2026-10-27T14:00:00Z")
            },
        ];
        let bytes = calendar(
            "Excel course",
            chrono_tz::Europe::Berlin,
            &events,
            t("2026-10-01T08:00:00Z"),
        );
        let text = String::from_utf8(bytes).unwrap();
        let expected = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            &format!(
                "PRODID:-//Webinar Desk//Webinar Desk {}//EN",
                env!("CARGO_PKG_VERSION")
            ),
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            "X-WR-CALNAME:Excel course",
            "BEGIN:VTIMEZONE",
            "TZID:Europe/Berlin",
            "BEGIN:DAYLIGHT",
            "DTSTART:20251019T140000",
            "TZOFFSETFROM:+0200",
            "TZOFFSETTO:+0200",
            "TZNAME:CEST",
            "END:DAYLIGHT",
            "BEGIN:STANDARD",
            "DTSTART:20251026T030000",
            "TZOFFSETFROM:+0200",
            "TZOFFSETTO:+0100",
            "TZNAME:CET",
            "END:STANDARD",
            "BEGIN:DAYLIGHT",
            "DTSTART:20260329T020000",
            "TZOFFSETFROM:+0100",
            "TZOFFSETTO:+0200",
            "TZNAME:CEST",
            "END:DAYLIGHT",
            "BEGIN:STANDARD",
            "DTSTART:20261025T030000",
            "TZOFFSETFROM:+0200",
            "TZOFFSETTO:+0100",
            "TZNAME:CET",
            "END:STANDARD",
            "END:VTIMEZONE",
            "BEGIN:VEVENT",
            "UID:w1@tenant@webinar-desk",
            "DTSTAMP:20261001T080000Z",
            "DTSTART;TZID=Europe/Berlin:20261020T140000",
            "DTEND;TZID=Europe/Berlin:20261020T150000",
            "SUMMARY:Excel\\, deep dive\\; part 1",
            "DESCRIPTION:Bring a laptop.\\nWe start on time\\, promise \\\\o/\\n\\nRegister: h",
            " ttps://events.example/register/1\\nJoin in Microsoft Teams: https://teams.e",
            " xample/join/1",
            "LOCATION:Microsoft Teams",
            "URL:https://events.example/register/1",
            "STATUS:CONFIRMED",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "UID:w2@tenant@webinar-desk",
            "DTSTAMP:20261001T080000Z",
            "DTSTART;TZID=Europe/Berlin:20261027T140000",
            "DTEND;TZID=Europe/Berlin:20261027T150000",
            "SUMMARY:Excel\\, deep dive\\; part 2",
            "DESCRIPTION:Bring a laptop.\\nWe start on time\\, promise \\\\o/\\n\\nRegister: h",
            " ttps://events.example/register/2\\nJoin in Microsoft Teams: https://teams.e",
            " xample/join/2",
            "LOCATION:Microsoft Teams",
            "URL:https://events.example/register/2",
            "STATUS:CANCELLED",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
        .join("\r\n");
        assert_eq!(text, expected, "\n{text}");
    }

    #[test]
    fn long_non_ascii_lines_fold_on_character_boundaries_within_75_octets() {
        let e = CalendarEvent {
            title: "Überblick für Einsteigerinnen — Ökosysteme, Märkte und Ärger ".repeat(4),
            ..event(1, "2026-06-01T10:00:00Z", "2026-06-01T11:00:00Z")
        };
        let bytes = calendar("Kurs", chrono_tz::UTC, &[e], t("2026-05-01T00:00:00Z"));
        let text = String::from_utf8(bytes).expect("folding never splits a character");
        for line in text.split("\r\n") {
            assert!(line.len() <= 75, "{} octets: {line}", line.len());
        }
        assert!(!text.contains("BEGIN:VTIMEZONE"), "UTC needs no zone");
        assert!(text.contains("DTSTART:20260601T100000Z"));
        let unfolded = text.replace("\r\n ", "");
        assert!(unfolded.contains(&format!(
            "SUMMARY:{}",
            "Überblick für Einsteigerinnen — Ökosysteme\\, Märkte und Ärger ".repeat(4)
        )));
    }

    #[test]
    fn an_event_without_links_or_description_has_neither_line() {
        let e = CalendarEvent {
            description: String::new(),
            join_url: None,
            registration_url: None,
            ..event(1, "2026-06-01T10:00:00Z", "2026-06-01T11:00:00Z")
        };
        let text = String::from_utf8(calendar(
            "K",
            chrono_tz::UTC,
            &[e],
            t("2026-05-01T00:00:00Z"),
        ))
        .unwrap();
        assert!(
            !text.contains("DESCRIPTION") && !text.contains("URL:"),
            "{text}"
        );
    }
}
