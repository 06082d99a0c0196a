-- Registrations and attendance of each webinar, kept for good: Teams lists only the 50 newest
-- attendance reports and keeps them a year, so this copy is the long-term record.

CREATE TABLE registrations (
    webinar_id      TEXT NOT NULL,
    id              TEXT NOT NULL,               -- equals attendanceRecord.registrationId
    email           TEXT,
    email_lower     TEXT,                        -- for matching and searching
    first_name      TEXT NOT NULL DEFAULT '',
    last_name       TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL,               -- registered, canceled, waitlisted, … (text)
    registered_at   TEXT,
    canceled_at     TEXT,
    user_id         TEXT,
    answers         TEXT NOT NULL DEFAULT '{}',  -- JSON object: question id → answer text
    synced_at       TEXT NOT NULL,
    PRIMARY KEY (webinar_id, id)
) STRICT;
CREATE INDEX registrations_by_email ON registrations (webinar_id, email_lower);
CREATE INDEX registrations_by_status ON registrations (webinar_id, status);

-- The questions a webinar asks, in order: the answer columns.
CREATE TABLE registration_questions (
    webinar_id      TEXT NOT NULL,
    id              TEXT NOT NULL,
    position        INTEGER NOT NULL,
    display_name    TEXT NOT NULL,
    PRIMARY KEY (webinar_id, id)
) STRICT;

-- Every report version ever seen (a restarted meeting makes several); never deleted.
CREATE TABLE attendance_reports (
    webinar_id      TEXT NOT NULL,
    id              TEXT NOT NULL,
    session_id      TEXT NOT NULL,
    meeting_start   TEXT,
    meeting_end     TEXT,
    total_participants INTEGER,
    first_seen_at   TEXT NOT NULL,
    PRIMARY KEY (webinar_id, id)
) STRICT;

CREATE TABLE attendance_records (
    webinar_id      TEXT NOT NULL,
    report_id       TEXT NOT NULL,
    id              TEXT NOT NULL,
    email           TEXT,
    name            TEXT,
    identity_id     TEXT,
    registration_id TEXT,
    role            TEXT,
    total_seconds   INTEGER,
    PRIMARY KEY (webinar_id, report_id, id),
    FOREIGN KEY (webinar_id, report_id) REFERENCES attendance_reports (webinar_id, id)
) STRICT;

CREATE TABLE attendance_intervals (
    webinar_id      TEXT NOT NULL,
    report_id       TEXT NOT NULL,
    record_id       TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    join_at         TEXT NOT NULL,
    leave_at        TEXT NOT NULL,
    PRIMARY KEY (webinar_id, report_id, record_id, seq),
    FOREIGN KEY (webinar_id, report_id, record_id)
        REFERENCES attendance_records (webinar_id, report_id, id)
) STRICT;

-- Derived, recomputed after each sync: one row per person per session.
CREATE TABLE person_sessions (
    webinar_id      TEXT NOT NULL,
    person_key      TEXT NOT NULL,
    registration_id TEXT,
    email           TEXT,
    name            TEXT NOT NULL,
    name_lower      TEXT NOT NULL,
    registered      INTEGER NOT NULL,
    seconds_present INTEGER NOT NULL,
    pct             REAL NOT NULL,
    first_join      TEXT,
    last_leave      TEXT,
    rejoins         INTEGER NOT NULL,
    late_minutes    INTEGER NOT NULL,
    early_leave_minutes INTEGER NOT NULL,
    outcome         TEXT NOT NULL CHECK (outcome IN ('attended', 'partial', 'noShow')),
    intervals       TEXT NOT NULL,               -- JSON [[join, leave], …], merged
    PRIMARY KEY (webinar_id, person_key)
) STRICT;
CREATE INDEX person_sessions_by_name ON person_sessions (webinar_id, name_lower);
CREATE INDEX person_sessions_by_outcome ON person_sessions (webinar_id, outcome, name_lower);
CREATE INDEX person_sessions_by_time ON person_sessions (webinar_id, seconds_present);
CREATE INDEX person_sessions_by_email ON person_sessions (email);

CREATE TABLE session_stats (
    webinar_id      TEXT PRIMARY KEY NOT NULL,
    scheduled_start TEXT,
    scheduled_end   TEXT,
    registered      INTEGER NOT NULL,
    attended        INTEGER NOT NULL,
    partial         INTEGER NOT NULL,
    no_shows        INTEGER NOT NULL,
    unregistered    INTEGER NOT NULL,
    average_seconds INTEGER NOT NULL,
    peak_concurrent INTEGER NOT NULL,
    presence        TEXT NOT NULL,               -- JSON [[minute, count], …]
    report_count    INTEGER NOT NULL,
    registrations_source TEXT,                   -- v1.0, beta, or NULL when refused
    computed_at     TEXT NOT NULL
) STRICT;
