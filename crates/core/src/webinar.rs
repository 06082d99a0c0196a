//! The webinar as the app thinks of it: a Teams webinar the signed-in user organizes or
//! co-organizes, with its times as instants and its status and role as closed sets (plus the
//! text of any value Teams adds later).

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebinarStatus {
    Draft,
    Published,
    Canceled,
    /// A status Graph added after this version was built; shown as Graph names it.
    Other(String),
}

impl WebinarStatus {
    pub fn from_graph(s: Option<&str>) -> Self {
        match s.unwrap_or("unknownFutureValue") {
            "draft" => Self::Draft,
            "published" => Self::Published,
            "canceled" => Self::Canceled,
            other => Self::Other(other.to_string()),
        }
    }
    pub fn as_str(&self) -> &str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
            Self::Canceled => "canceled",
            Self::Other(s) => s,
        }
    }
}

/// The signed-in user's role on a webinar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Organizer,
    CoOrganizer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Organizer => "organizer",
            Role::CoOrganizer => "coOrganizer",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "organizer" => Some(Role::Organizer),
            "coOrganizer" => Some(Role::CoOrganizer),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webinar {
    pub id: String,
    pub title: String,
    pub description: String,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    /// The zone the organizer scheduled in, as Teams names it.
    pub time_zone: String,
    pub status: WebinarStatus,
    pub audience: Option<String>,
    pub role: Role,
    pub organizer_name: Option<String>,
    pub co_organizers: Vec<String>,
    /// False once the webinar stops appearing in my lists in Teams (kept, not deleted).
    pub listed: bool,
    pub last_synced_at: DateTime<Utc>,
}
