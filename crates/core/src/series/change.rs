//! Changing a series that is already in Teams: what an edit will do to each session, worked out
//! from three versions of it — ours (the plan as the organizer wants it now), what we last
//! wrote to or read from Teams, and Teams now.
//!
//! Pure: versions in, changes out. Invariants: a session whose Teams version differs from both
//! what we wrote and what we want was changed in Teams, and is never overwritten silently (the
//! change is `Drifted`, and an edit touching it is refused); a session Teams already shows as we
//! want it needs no write (a crash after the PATCH, before the journal heard of it); equality is
//! on normalized values, so re-spaced HTML or the same instant in another zone name is no change.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{PlannedSession, SeriesPlan, schedule, session_title, zones};

/// The fields of a session's webinar that a series sets, normalized for comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Projection {
    pub title: String,
    pub description_html: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Windows zone name, as Graph has it.
    pub time_zone: String,
    pub canceled: bool,
}

impl Projection {
    /// What a planned session looks like in Teams.
    pub fn planned(plan: &SeriesPlan, s: &PlannedSession) -> Result<Self, String> {
        let (tz, windows) = zones(&plan.time_zone)?;
        let at = schedule(tz, s)?;
        Ok(Self {
            title: session_title(plan, s),
            description_html: s
                .description_html
                .clone()
                .unwrap_or_else(|| plan.description_html.clone()),
            start: at.start,
            end: at.end,
            time_zone: windows.to_string(),
            canceled: s.canceled,
        })
    }

    /// Same in every field a series sets (the zone's name only matters when the times agree).
    pub fn same_as(&self, other: &Projection) -> bool {
        differences(self, other, chrono_tz::UTC).is_empty()
    }
}

/// One field that differs between two versions of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// `title`, `description`, `start`, `end`, `timeZone` or `status`.
    pub field: &'static str,
    pub from: String,
    pub to: String,
    /// For people: "Start moved from Tue 3 Dec 14:00 to Wed 4 Dec 15:00 (Europe/Berlin)".
    pub plain: String,
}

/// The fields that differ from `a` to `b`, with times shown in `tz`.
pub fn differences(a: &Projection, b: &Projection, tz: Tz) -> Vec<FieldChange> {
    let mut out = Vec::new();
    if a.title.trim() != b.title.trim() {
        out.push(FieldChange {
            field: "title",
            from: a.title.clone(),
            to: b.title.clone(),
            plain: format!("Title changed from “{}” to “{}”", a.title, b.title),
        });
    }
    if normalized_html(&a.description_html) != normalized_html(&b.description_html) {
        out.push(FieldChange {
            field: "description",
            from: a.description_html.clone(),
            to: b.description_html.clone(),
            plain: "Description changed".into(),
        });
    }
    let show = |t: DateTime<Utc>| t.with_timezone(&tz).format("%a %-d %b %H:%M").to_string();
    if a.start != b.start {
        out.push(FieldChange {
            field: "start",
            from: a.start.to_rfc3339(),
            to: b.start.to_rfc3339(),
            plain: format!(
                "Start moved from {} to {} ({tz})",
                show(a.start),
                show(b.start)
            ),
        });
    }
    if a.end != b.end {
        out.push(FieldChange {
            field: "end",
            from: a.end.to_rfc3339(),
            to: b.end.to_rfc3339(),
            plain: format!("End moved from {} to {} ({tz})", show(a.end), show(b.end)),
        });
    }
    if a.start == b.start && a.end == b.end && a.time_zone != b.time_zone {
        out.push(FieldChange {
            field: "timeZone",
            from: a.time_zone.clone(),
            to: b.time_zone.clone(),
            plain: format!(
                "Time zone changed from {} to {} (same times)",
                a.time_zone, b.time_zone
            ),
        });
    }
    if a.canceled != b.canceled {
        let word = |c: bool| if c { "canceled" } else { "scheduled" };
        out.push(FieldChange {
            field: "status",
            from: word(a.canceled).into(),
            to: word(b.canceled).into(),
            plain: if b.canceled {
                "Session canceled".into()
            } else {
                "Session no longer canceled".into()
            },
        });
    }
    out
}

/// HTML compared the way a reader sees it: runs of whitespace are one space, none at the ends,
/// none between tags.
pub fn normalized_html(html: &str) -> String {
    let collapsed = html.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed.replace("> <", "><")
}

/// One session as the three versions have it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionVersions {
    pub n: u32,
    /// The webinar in Teams, once created (or adopted); `None` for a session not yet in Teams.
    pub webinar_id: Option<String>,
    /// What we last wrote or read; `None` when we never recorded it (then Teams now stands in).
    pub written: Option<Projection>,
    /// Teams now; `None` when Teams says the webinar does not exist (404).
    pub teams: Option<Projection>,
}

/// What an edit does to one session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Not in Teams yet: create, tag and publish it.
    Add {
        n: u32,
    },
    /// PATCH these fields (ours differ from what Teams has, and Teams has what we wrote).
    Update {
        n: u32,
        webinar_id: String,
        fields: Vec<FieldChange>,
    },
    /// Cancel the session's webinar in Teams.
    Cancel {
        n: u32,
        webinar_id: String,
    },
    /// Teams already has our version: only the record of what Teams holds is brought up to date.
    Record {
        n: u32,
        webinar_id: String,
    },
    Unchanged {
        n: u32,
    },
    /// Someone changed the webinar in Teams since we wrote it. `blocks` when our plan also
    /// changes it: the edit is refused until the drift is resolved.
    Drifted {
        n: u32,
        webinar_id: String,
        fields: Vec<FieldChange>,
        blocks: bool,
    },
    /// The webinar is gone from Teams (404) although we made it.
    Missing {
        n: u32,
        webinar_id: String,
    },
}

impl Change {
    pub fn n(&self) -> u32 {
        match self {
            Change::Add { n }
            | Change::Update { n, .. }
            | Change::Cancel { n, .. }
            | Change::Record { n, .. }
            | Change::Unchanged { n }
            | Change::Drifted { n, .. }
            | Change::Missing { n, .. } => *n,
        }
    }

    /// Whether applying the edit must stop at this session.
    pub fn blocks(&self) -> bool {
        matches!(
            self,
            Change::Drifted { blocks: true, .. } | Change::Missing { .. }
        )
    }
}

/// What applying `plan` to Teams does to each of its sessions, in session order. Sessions
/// missing from `versions` are treated as not yet in Teams.
pub fn plan_changes(plan: &SeriesPlan, versions: &[SessionVersions]) -> Vec<Change> {
    let tz = zones(&plan.time_zone).map(|(tz, _)| tz).unwrap_or(Tz::UTC);
    let mut sessions: Vec<&PlannedSession> = plan.sessions.iter().collect();
    sessions.sort_by_key(|s| s.n);
    sessions
        .into_iter()
        .filter_map(|s| {
            let v = versions.iter().find(|v| v.n == s.n);
            let Some(webinar_id) = v.and_then(|v| v.webinar_id.clone()) else {
                // Never in Teams: a canceled plan entry needs nothing, any other is new.
                return (!s.canceled).then_some(Change::Add { n: s.n });
            };
            let v = v.expect("a webinar id comes from versions");
            let n = s.n;
            let Some(teams) = &v.teams else {
                return Some(if s.canceled {
                    Change::Unchanged { n }
                } else {
                    Change::Missing { n, webinar_id }
                });
            };
            // A webinar with no readable plan (a DST gap typed in later) is left to validation.
            let ours = Projection::planned(plan, s).ok()?;
            let written = v.written.as_ref().unwrap_or(teams);
            if teams.same_as(&ours) {
                return Some(if written.same_as(&ours) {
                    Change::Unchanged { n }
                } else {
                    Change::Record { n, webinar_id }
                });
            }
            if !teams.same_as(written) {
                return Some(Change::Drifted {
                    n,
                    webinar_id,
                    fields: differences(written, teams, tz),
                    blocks: !written.same_as(&ours),
                });
            }
            if teams.canceled {
                // Canceled is permanent in Teams; ours cannot bring it back.
                return Some(Change::Drifted {
                    n,
                    webinar_id,
                    fields: differences(&ours, teams, tz),
                    blocks: !ours.canceled,
                });
            }
            Some(if ours.canceled {
                Change::Cancel { n, webinar_id }
            } else {
                Change::Update {
                    n,
                    webinar_id,
                    fields: differences(teams, &ours, tz),
                }
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, NaiveTime, TimeZone};

    use super::*;
    use crate::series::Audience;

    fn plan() -> SeriesPlan {
        let session = |n: u32, day: u32| PlannedSession {
            n,
            title_suffix: format!("Session {n}"),
            date: NaiveDate::from_ymd_opt(2027, 3, day).unwrap(),
            start: NaiveTime::from_hms_opt(14, 0, 0).unwrap(),
            duration_minutes: 60,
            canceled: false,
            description_html: None,
        };
        SeriesPlan {
            id: "s".into(),
            title: "Course".into(),
            description_html: "<p>Hello</p>".into(),
            audience: Audience::Organization,
            co_organizers: vec![],
            time_zone: "Europe/Berlin".into(),
            attendee_emails: true,
            sessions: vec![session(1, 2), session(2, 9), session(3, 16)],
            questions: vec![],
            registration: Default::default(),
        }
    }

    fn as_planned(p: &SeriesPlan, n: u32) -> Projection {
        let s = p.sessions.iter().find(|s| s.n == n).unwrap();
        Projection::planned(p, s).unwrap()
    }

    fn in_sync(p: &SeriesPlan) -> Vec<SessionVersions> {
        p.sessions
            .iter()
            .map(|s| SessionVersions {
                n: s.n,
                webinar_id: Some(format!("w{}", s.n)),
                written: Some(as_planned(p, s.n)),
                teams: Some(as_planned(p, s.n)),
            })
            .collect()
    }

    #[test]
    fn nothing_changed_means_no_writes() {
        let p = plan();
        let changes = plan_changes(&p, &in_sync(&p));
        assert!(
            changes
                .iter()
                .all(|c| matches!(c, Change::Unchanged { .. })),
            "{changes:?}"
        );
    }

    #[test]
    fn a_moved_session_is_one_update_with_plain_words() {
        let p = plan();
        let versions = in_sync(&p);
        let mut edited = p.clone();
        edited.sessions[1].date = NaiveDate::from_ymd_opt(2027, 3, 10).unwrap();
        edited.sessions[1].start = NaiveTime::from_hms_opt(15, 0, 0).unwrap();
        let changes = plan_changes(&edited, &versions);
        let Change::Update { n, fields, .. } = &changes[1] else {
            panic!("{changes:?}")
        };
        assert_eq!(*n, 2);
        let plain: Vec<_> = fields.iter().map(|f| f.plain.as_str()).collect();
        assert_eq!(
            plain,
            [
                "Start moved from Tue 9 Mar 14:00 to Wed 10 Mar 15:00 (Europe/Berlin)",
                "End moved from Tue 9 Mar 15:00 to Wed 10 Mar 16:00 (Europe/Berlin)"
            ]
        );
        assert!(matches!(changes[0], Change::Unchanged { n: 1 }));
        assert!(matches!(changes[2], Change::Unchanged { n: 3 }));
    }

    #[test]
    fn a_title_change_touches_every_session() {
        let p = plan();
        let mut edited = p.clone();
        edited.title = "Course (2027)".into();
        let changes = plan_changes(&edited, &in_sync(&p));
        assert_eq!(changes.len(), 3);
        for c in &changes {
            let Change::Update { fields, .. } = c else {
                panic!("{c:?}")
            };
            assert_eq!(fields.len(), 1);
            assert_eq!(fields[0].field, "title");
        }
    }

    #[test]
    fn added_and_canceled_sessions() {
        let p = plan();
        let versions = in_sync(&p);
        let mut edited = p.clone();
        edited.sessions[2].canceled = true;
        edited.sessions.push(PlannedSession {
            n: 4,
            ..edited.sessions[0].clone()
        });
        let changes = plan_changes(&edited, &versions);
        assert_eq!(
            changes[2],
            Change::Cancel {
                n: 3,
                webinar_id: "w3".into()
            }
        );
        assert_eq!(changes[3], Change::Add { n: 4 });
        // A session canceled before it ever reached Teams needs nothing.
        let mut never = edited.clone();
        never.sessions[3].canceled = true;
        assert_eq!(plan_changes(&never, &versions).len(), 3);
    }

    #[test]
    fn an_edit_in_teams_blocks_only_an_edit_of_the_same_session() {
        let p = plan();
        let mut versions = in_sync(&p);
        let teams = versions[0].teams.as_mut().unwrap();
        teams.start += chrono::Duration::hours(1);
        teams.end += chrono::Duration::hours(1);
        // Our plan leaves session 1 alone: the drift is reported, not blocking.
        let changes = plan_changes(&p, &versions);
        let Change::Drifted { fields, blocks, .. } = &changes[0] else {
            panic!("{changes:?}")
        };
        assert!(!blocks);
        assert_eq!(
            fields[0].plain,
            "Start moved from Tue 2 Mar 14:00 to Tue 2 Mar 15:00 (Europe/Berlin)"
        );
        // Our plan changes session 1 too: refused.
        let mut edited = p.clone();
        edited.sessions[0].title_suffix = "Kick-off".into();
        let changes = plan_changes(&edited, &versions);
        assert!(changes[0].blocks(), "{changes:?}");
        assert!(!changes[1].blocks());
    }

    #[test]
    fn teams_already_showing_ours_is_recorded_not_written_again() {
        let p = plan();
        let mut edited = p.clone();
        edited.description_html = "<p>New</p>".into();
        let mut versions = in_sync(&p);
        // A crash after the PATCH: Teams has ours, our record still has the old text.
        versions[0].teams = Some(as_planned(&edited, 1));
        let changes = plan_changes(&edited, &versions);
        assert_eq!(
            changes[0],
            Change::Record {
                n: 1,
                webinar_id: "w1".into()
            }
        );
        assert!(matches!(changes[1], Change::Update { .. }));
    }

    #[test]
    fn normalization_reports_no_false_changes() {
        let p = plan();
        let mut versions = in_sync(&p);
        let teams = versions[0].teams.as_mut().unwrap();
        teams.description_html = "  <p>Hello</p>\n ".into();
        teams.title = "Course — Session 1 ".into();
        assert!(matches!(
            plan_changes(&p, &versions)[0],
            Change::Unchanged { n: 1 }
        ));
        // The same instants under another zone name are not a move.
        let a = as_planned(&p, 1);
        let b = Projection {
            time_zone: "Romance Standard Time".into(),
            ..a.clone()
        };
        let diff = differences(&a, &b, Tz::UTC);
        assert_eq!(diff.len(), 1);
        assert_eq!(diff[0].field, "timeZone");
        assert_eq!(
            a.start,
            Utc.with_ymd_and_hms(2027, 3, 2, 13, 0, 0).unwrap(),
            "14:00 in Berlin"
        );
    }

    #[test]
    fn a_webinar_gone_or_canceled_in_teams() {
        let p = plan();
        let mut versions = in_sync(&p);
        versions[0].teams = None;
        versions[1].teams.as_mut().unwrap().canceled = true;
        let changes = plan_changes(&p, &versions);
        assert!(matches!(&changes[0], Change::Missing { n: 1, .. }));
        assert!(
            matches!(&changes[1], Change::Drifted { n: 2, fields, .. } if fields[0].plain == "Session canceled"),
            "{changes:?}"
        );
    }
}
