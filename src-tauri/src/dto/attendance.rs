//! Attendance shapes for the window: sync reports and progress, table pages (sorted and
//! filtered by the core, in SQL), session numbers with the presence curve, the series matrix.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use webinar_desk_core::desk::{SeriesAttendance, SessionAttendance};
use webinar_desk_core::store::{
    AttendanceRow, Page, PageQuery, PersonHistory, PersonRef, RegistrationListRow, SessionStats,
    SyncState,
};
use webinar_desk_core::sync::attendance::{AttendanceSyncReport, SyncProgress};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageQueryDto {
    #[serde(default)]
    pub search: String,
    #[serde(default)]
    pub filter: Option<String>,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub descending: bool,
    #[serde(default)]
    pub offset: usize,
    pub limit: usize,
}

impl From<PageQueryDto> for PageQuery {
    fn from(q: PageQueryDto) -> Self {
        Self {
            search: q.search,
            filter: q.filter.filter(|f| !f.is_empty()),
            sort: q.sort,
            descending: q.descending,
            offset: q.offset,
            // A page is for the screen: a few thousand rows at most.
            limit: q.limit.clamp(1, 5_000),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncReportDto {
    pub webinar_id: String,
    pub registrations: Option<usize>,
    pub new_reports: usize,
    pub reports_known: usize,
    pub report_pending: bool,
    pub warnings: Vec<String>,
    pub finished_at: String,
}

impl From<AttendanceSyncReport> for SyncReportDto {
    fn from(r: AttendanceSyncReport) -> Self {
        Self {
            webinar_id: r.webinar_id,
            registrations: r.registrations,
            new_reports: r.new_reports,
            reports_known: r.reports_known,
            report_pending: r.report_pending,
            warnings: r.warnings,
            finished_at: r.finished_at.to_rfc3339(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProgressDto {
    pub step: &'static str,
    pub done: usize,
    pub total: usize,
}

impl From<SyncProgress> for ProgressDto {
    fn from(p: SyncProgress) -> Self {
        Self {
            step: p.step,
            done: p.done,
            total: p.total,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatsDto {
    pub scheduled_start: Option<String>,
    pub scheduled_end: Option<String>,
    pub registered: usize,
    pub attended: usize,
    pub partial: usize,
    pub no_shows: usize,
    pub unregistered: usize,
    pub average_seconds: i64,
    pub peak_concurrent: usize,
    /// [instant, people present].
    pub presence: Vec<(String, usize)>,
    pub report_count: usize,
    pub registrations_source: Option<String>,
    pub computed_at: String,
}

impl From<SessionStats> for StatsDto {
    fn from(s: SessionStats) -> Self {
        Self {
            scheduled_start: s.scheduled_start.map(|t| t.to_rfc3339()),
            scheduled_end: s.scheduled_end.map(|t| t.to_rfc3339()),
            registered: s.registered,
            attended: s.attended,
            partial: s.partial,
            no_shows: s.no_shows,
            unregistered: s.unregistered,
            average_seconds: s.average_seconds,
            peak_concurrent: s.peak_concurrent,
            presence: s
                .presence
                .into_iter()
                .map(|(t, n)| (t.to_rfc3339(), n))
                .collect(),
            report_count: s.report_count,
            registrations_source: s.registrations_source,
            computed_at: s.computed_at.to_rfc3339(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncStateDto {
    pub last_success_at: Option<String>,
    pub last_attempt_at: String,
    pub last_error: Option<String>,
}

impl From<SyncState> for SyncStateDto {
    fn from(s: SyncState) -> Self {
        Self {
            last_success_at: s.last_success_at.map(|t| t.to_rfc3339()),
            last_attempt_at: s.last_attempt_at.to_rfc3339(),
            last_error: s.last_error,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttendanceRowDto {
    pub key: String,
    pub name: String,
    pub email: Option<String>,
    pub registered: bool,
    pub seconds_present: i64,
    pub pct: f64,
    pub first_join: Option<String>,
    pub last_leave: Option<String>,
    pub rejoins: u32,
    pub late_minutes: i64,
    pub early_leave_minutes: i64,
    pub outcome: String,
    pub answers: BTreeMap<String, String>,
}

impl From<AttendanceRow> for AttendanceRowDto {
    fn from(r: AttendanceRow) -> Self {
        Self {
            key: r.person_key,
            name: r.name,
            email: r.email,
            registered: r.registered,
            seconds_present: r.seconds_present,
            pct: r.pct,
            first_join: r.first_join.map(|t| t.to_rfc3339()),
            last_leave: r.last_leave.map(|t| t.to_rfc3339()),
            rejoins: r.rejoins,
            late_minutes: r.late_minutes,
            early_leave_minutes: r.early_leave_minutes,
            outcome: r.outcome,
            answers: r.answers,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageDto<T> {
    pub rows: Vec<T>,
    pub total: usize,
}

impl<A, B: From<A>> From<Page<A>> for PageDto<B> {
    fn from(p: Page<A>) -> Self {
        Self {
            rows: p.rows.into_iter().map(Into::into).collect(),
            total: p.total,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuestionColumnDto {
    pub id: String,
    pub text: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionAttendanceDto {
    pub stats: Option<StatsDto>,
    pub page: PageDto<AttendanceRowDto>,
    pub questions: Vec<QuestionColumnDto>,
    pub sync: Option<SyncStateDto>,
}

impl From<SessionAttendance> for SessionAttendanceDto {
    fn from(a: SessionAttendance) -> Self {
        Self {
            stats: a.stats.map(Into::into),
            page: a.page.into(),
            questions: a
                .questions
                .into_iter()
                .map(|(id, text)| QuestionColumnDto { id, text })
                .collect(),
            sync: a.sync.map(Into::into),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationRowDto {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub status: String,
    pub registered_at: Option<String>,
    pub canceled_at: Option<String>,
    pub answers: BTreeMap<String, String>,
}

impl From<RegistrationListRow> for RegistrationRowDto {
    fn from(r: RegistrationListRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            email: r.email,
            status: r.status,
            registered_at: r.registered_at.map(|t| t.to_rfc3339()),
            canceled_at: r.canceled_at.map(|t| t.to_rfc3339()),
            answers: r.answers,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MatrixSessionDto {
    pub n: u32,
    pub webinar_id: String,
    pub stats: Option<StatsDto>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MatrixRowDto {
    pub person: String,
    pub email: Option<String>,
    pub session_key: Option<String>,
    pub name: String,
    /// One per session: `attended`, `partial`, `noShow`, or null.
    pub cells: Vec<Option<&'static str>>,
    pub attended: usize,
    pub complete: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeriesAttendanceDto {
    pub sessions: Vec<MatrixSessionDto>,
    pub rows: Vec<MatrixRowDto>,
    pub attended_pct: f64,
    pub completion_pct: f64,
}

impl From<SeriesAttendance> for SeriesAttendanceDto {
    fn from(a: SeriesAttendance) -> Self {
        Self {
            sessions: a
                .sessions
                .into_iter()
                .map(|(n, webinar_id, stats)| MatrixSessionDto {
                    n,
                    webinar_id,
                    stats: stats.map(Into::into),
                })
                .collect(),
            rows: a
                .rows
                .into_iter()
                .map(|r| MatrixRowDto {
                    person: r.person,
                    email: r.email,
                    session_key: r.session_key,
                    name: r.name,
                    cells: r.cells.iter().map(|c| c.map(|o| o.as_str())).collect(),
                    attended: r.attended,
                    complete: r.complete,
                })
                .collect(),
            attended_pct: a.rules.attended_pct,
            completion_pct: a.rules.completion_pct,
        }
    }
}

/// Whom the person drawer is about: `{by: "email", email}` or, for a person without an
/// e-mail, `{by: "inSession", webinarId, personKey}`.
#[derive(Debug, Deserialize)]
#[serde(tag = "by", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum PersonRefDto {
    Email {
        email: String,
    },
    InSession {
        webinar_id: String,
        person_key: String,
    },
}

impl From<PersonRefDto> for PersonRef {
    fn from(p: PersonRefDto) -> Self {
        match p {
            PersonRefDto::Email { email } => PersonRef::Email(email),
            PersonRefDto::InSession {
                webinar_id,
                person_key,
            } => PersonRef::InSession {
                webinar_id,
                person_key,
            },
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonHistoryDto {
    pub name: String,
    pub email: Option<String>,
    pub webinars: Vec<PersonInWebinarDto>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonInWebinarDto {
    pub webinar_id: String,
    pub title: Option<String>,
    pub start: Option<String>,
    pub series_id: Option<String>,
    pub series_title: Option<String>,
    pub session: Option<u32>,
    pub registration: Option<RegistrationRowDto>,
    pub attendance: Option<AttendanceRowDto>,
    pub questions: Vec<QuestionColumnDto>,
}

impl From<PersonHistory> for PersonHistoryDto {
    fn from(h: PersonHistory) -> Self {
        Self {
            name: h.name,
            email: h.email,
            webinars: h
                .webinars
                .into_iter()
                .map(|w| {
                    let (series_id, series_title, session) = match w.series {
                        Some((id, title, n)) => (Some(id), Some(title), Some(n)),
                        None => (None, None, None),
                    };
                    PersonInWebinarDto {
                        webinar_id: w.webinar_id,
                        title: w.title,
                        start: w.start.map(|t| t.to_rfc3339()),
                        series_id,
                        series_title,
                        session,
                        registration: w.registration.map(Into::into),
                        attendance: w.attendance.map(Into::into),
                        questions: w
                            .questions
                            .into_iter()
                            .map(|(id, text)| QuestionColumnDto { id, text })
                            .collect(),
                    }
                })
                .collect(),
        }
    }
}
