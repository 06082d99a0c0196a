//! One session's attendance in the layout of the report Teams itself downloads: a `Summary`,
//! `Participants` and `In-Meeting Activities` section, tab-separated, UTF-16 (little-endian,
//! with a byte-order mark), so scripts and spreadsheets made for Teams' files read ours.
//!
//! Pure: rows in, bytes out. Invariants: the section titles and column names are Teams'; a cell
//! never holds a tab or line break (Teams' format has no quoting, so they become spaces); text
//! a spreadsheet would run as a formula is neutralized as in the CSV exports; times are local
//! to the webinar's zone in Teams' `M/D/YY, h:mm:ss AM` form, durations as `1h 2m 3s`.
//! Where our data differs from Teams': presence is merged across report versions (a restarted
//! meeting does not list anyone twice), and `Participant ID (UPN)` is the e-mail we have.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::neutralize;

/// The meeting as the `Summary` section describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meeting {
    pub title: String,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub tz: Tz,
}

/// One person who was there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    pub name: String,
    pub email: Option<String>,
    /// `Organizer`, `Presenter`, `Attendee`, … as the attendance report said.
    pub role: String,
    /// Join and leave of each stretch present, in order.
    pub spans: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

pub const PARTICIPANT_COLUMNS: &[&str] = &[
    "Name",
    "First Join",
    "Last Leave",
    "In-Meeting Duration",
    "Email",
    "Participant ID (UPN)",
    "Role",
];
pub const ACTIVITY_COLUMNS: &[&str] = &[
    "Name",
    "Join Time",
    "Leave Time",
    "Duration",
    "Email",
    "Role",
];

/// The whole report, encoded as Teams encodes it.
pub fn report(meeting: &Meeting, people: &[Participant]) -> Vec<u8> {
    let tz = meeting.tz;
    let present: Vec<&Participant> = people.iter().filter(|p| !p.spans.is_empty()).collect();
    let seconds = |p: &Participant| -> i64 {
        p.spans
            .iter()
            .map(|(a, b)| (*b - *a).num_seconds().max(0))
            .sum()
    };
    let average = if present.is_empty() {
        0
    } else {
        present.iter().map(|p| seconds(p)).sum::<i64>() / present.len() as i64
    };
    let mut rows: Vec<Vec<String>> = vec![
        vec!["1. Summary".into()],
        vec!["Meeting title".into(), meeting.title.clone()],
        vec!["Attended participants".into(), present.len().to_string()],
        vec!["Start time".into(), time(meeting.start, tz)],
        vec!["End time".into(), time(meeting.end, tz)],
        vec![
            "Meeting duration".into(),
            match (meeting.start, meeting.end) {
                (Some(s), Some(e)) => duration((e - s).num_seconds()),
                _ => String::new(),
            },
        ],
        vec!["Average attendance time".into(), duration(average)],
        vec![],
        vec!["2. Participants".into()],
        PARTICIPANT_COLUMNS.iter().map(|c| c.to_string()).collect(),
    ];
    for p in &present {
        let email = p.email.clone().unwrap_or_default();
        rows.push(vec![
            p.name.clone(),
            time(p.spans.first().map(|s| s.0), tz),
            time(p.spans.last().map(|s| s.1), tz),
            duration(seconds(p)),
            email.clone(),
            email,
            p.role.clone(),
        ]);
    }
    rows.push(vec![]);
    rows.push(vec!["3. In-Meeting Activities".into()]);
    rows.push(ACTIVITY_COLUMNS.iter().map(|c| c.to_string()).collect());
    for p in &present {
        for (join, leave) in &p.spans {
            rows.push(vec![
                p.name.clone(),
                time(Some(*join), tz),
                time(Some(*leave), tz),
                duration((*leave - *join).num_seconds()),
                p.email.clone().unwrap_or_default(),
                p.role.clone(),
            ]);
        }
    }
    let mut text = String::from("\u{feff}");
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
        text.push_str(&cells.join("\t"));
        text.push_str("\r\n");
    }
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn cell(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| {
            if matches!(c, '\t' | '\r' | '\n') {
                ' '
            } else {
                c
            }
        })
        .collect();
    neutralize(&flat).into_owned()
}

fn time(t: Option<DateTime<Utc>>, tz: Tz) -> String {
    t.map(|t| {
        t.with_timezone(&tz)
            .format("%-m/%-d/%y, %-I:%M:%S %p")
            .to_string()
    })
    .unwrap_or_default()
}

/// Teams' duration form: `1h 2m 3s`, `48m 10s`, `9s`.
fn duration(secs: i64) -> String {
    let secs = secs.max(0);
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if h > 0 {
        format!("{h}h {m}m {s}s")
    } else if m > 0 {
        format!("{m}m {s}s")
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn decode(bytes: &[u8]) -> String {
        assert_eq!(&bytes[..2], &[0xff, 0xfe], "UTF-16LE byte-order mark");
        let units: Vec<u16> = bytes[2..]
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16(&units).unwrap()
    }

    #[test]
    fn a_session_reads_like_the_report_teams_downloads() {
        let meeting = Meeting {
            title: "Excel, deep dive — Session 1".into(),
            start: Some(t("2026-10-20T12:00:00Z")),
            end: Some(t("2026-10-20T13:00:00Z")),
            tz: chrono_tz::Europe::Berlin,
        };
        let people = [
            Participant {
                name: "Zoë\tO'Brien".into(),
                email: Some("zoe@contoso.example".into()),
                role: "Attendee".into(),
                spans: vec![
                    (t("2026-10-20T11:58:00Z"), t("2026-10-20T12:20:30Z")),
                    (t("2026-10-20T12:25:00Z"), t("2026-10-20T13:00:00Z")),
                ],
            },
            Participant {
                name: "=HYPERLINK(\"http://evil\")".into(),
                email: None,
                role: "Attendee".into(),
                spans: vec![(t("2026-10-20T12:10:00Z"), t("2026-10-20T12:10:09Z"))],
            },
            Participant {
                name: "Registered, never came".into(),
                email: Some("gone@contoso.example".into()),
                role: "Attendee".into(),
                spans: vec![],
            },
        ];
        let text = decode(&report(&meeting, &people));
        let expected = [
            "1. Summary",
            "Meeting title\tExcel, deep dive — Session 1",
            "Attended participants\t2",
            "Start time\t10/20/26, 2:00:00 PM",
            "End time\t10/20/26, 3:00:00 PM",
            "Meeting duration\t1h 0m 0s",
            "Average attendance time\t28m 49s",
            "",
            "2. Participants",
            "Name\tFirst Join\tLast Leave\tIn-Meeting Duration\tEmail\tParticipant ID (UPN)\tRole",
            "Zoë O'Brien\t10/20/26, 1:58:00 PM\t10/20/26, 3:00:00 PM\t57m 30s\tzoe@contoso.example\tzoe@contoso.example\tAttendee",
            "'=HYPERLINK(\"http://evil\")\t10/20/26, 2:10:00 PM\t10/20/26, 2:10:09 PM\t9s\t\t\tAttendee",
            "",
            "3. In-Meeting Activities",
            "Name\tJoin Time\tLeave Time\tDuration\tEmail\tRole",
            "Zoë O'Brien\t10/20/26, 1:58:00 PM\t10/20/26, 2:20:30 PM\t22m 30s\tzoe@contoso.example\tAttendee",
            "Zoë O'Brien\t10/20/26, 2:25:00 PM\t10/20/26, 3:00:00 PM\t35m 0s\tzoe@contoso.example\tAttendee",
            "'=HYPERLINK(\"http://evil\")\t10/20/26, 2:10:00 PM\t10/20/26, 2:10:09 PM\t9s\t\tAttendee",
            "",
        ]
        .join("\r\n");
        assert_eq!(text, expected, "\n{text}");
    }

    #[test]
    fn durations_take_teams_form() {
        assert_eq!(duration(0), "0s");
        assert_eq!(duration(59), "59s");
        assert_eq!(duration(60), "1m 0s");
        assert_eq!(duration(3723), "1h 2m 3s");
        assert_eq!(duration(-5), "0s");
    }
}
