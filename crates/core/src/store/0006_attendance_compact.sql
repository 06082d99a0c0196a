-- Attendance kept compactly, so a 100,000-person webinar is written and recomputed in well under
-- a second: the large tables name their webinar by a small integer instead of its 70-character
-- Graph id, a record carries its intervals (JSON [[join, leave], …] in Unix milliseconds) instead
-- of one row per interval, and times that metrics read are integers. The data is carried over.

CREATE TABLE attendance_webinars (
    n               INTEGER PRIMARY KEY,
    webinar_id      TEXT NOT NULL UNIQUE
) STRICT;
INSERT INTO attendance_webinars (webinar_id)
    SELECT webinar_id FROM registrations
    UNION SELECT webinar_id FROM attendance_reports
    UNION SELECT webinar_id FROM person_sessions;

CREATE TABLE registrations_v2 (
    w               INTEGER NOT NULL REFERENCES attendance_webinars (n),
    id              TEXT NOT NULL,               -- equals attendanceRecord.registrationId
    email           TEXT,
    email_lower     TEXT,                        -- for searching
    first_name      TEXT NOT NULL DEFAULT '',
    last_name       TEXT NOT NULL DEFAULT '',
    name_lower      TEXT NOT NULL DEFAULT '',    -- "first last", for sorting and searching
    status          TEXT NOT NULL,               -- registered, canceled, waitlisted, … (text)
    registered_at   TEXT,
    canceled_at     TEXT,
    user_id         TEXT,
    answers         TEXT NOT NULL DEFAULT '{}',  -- JSON object: question id → answer text
    PRIMARY KEY (w, id)
) STRICT;
INSERT INTO registrations_v2 (w, id, email, email_lower, first_name, last_name, name_lower,
        status, registered_at, canceled_at, user_id, answers)
    SELECT a.n, r.id, r.email, r.email_lower, r.first_name, r.last_name,
           lower(trim(r.first_name || ' ' || r.last_name)), r.status, r.registered_at,
           r.canceled_at, r.user_id, r.answers
    FROM registrations r JOIN attendance_webinars a ON a.webinar_id = r.webinar_id;
DROP TABLE registrations;
ALTER TABLE registrations_v2 RENAME TO registrations;
CREATE INDEX registrations_by_name ON registrations (w, name_lower);
CREATE INDEX registrations_by_status ON registrations (w, status, name_lower);

-- Records of a report are written once, when the report is first seen (reports are never
-- rewritten), so no key beyond the report is needed to keep them unique.
CREATE TABLE attendance_records_v2 (
    w               INTEGER NOT NULL REFERENCES attendance_webinars (n),
    report_id       TEXT NOT NULL,
    id              TEXT NOT NULL,
    email           TEXT,
    name            TEXT,
    identity_id     TEXT,
    registration_id TEXT,
    role            TEXT,
    total_seconds   INTEGER,
    intervals       TEXT NOT NULL                -- JSON [[join, leave], …], Unix milliseconds
) STRICT;
INSERT INTO attendance_records_v2 (w, report_id, id, email, name, identity_id, registration_id,
        role, total_seconds, intervals)
    SELECT a.n, r.report_id, r.id, r.email, r.name, r.identity_id, r.registration_id, r.role,
           r.total_seconds,
           (SELECT json_group_array(json_array(
                       CAST(unixepoch(i.join_at, 'subsec') * 1000 AS INTEGER),
                       CAST(unixepoch(i.leave_at, 'subsec') * 1000 AS INTEGER)))
            FROM (SELECT join_at, leave_at FROM attendance_intervals i
                  WHERE i.webinar_id = r.webinar_id AND i.report_id = r.report_id
                    AND i.record_id = r.id
                  ORDER BY i.seq) i)
    FROM attendance_records r JOIN attendance_webinars a ON a.webinar_id = r.webinar_id;
DROP TABLE attendance_intervals;
DROP TABLE attendance_records;
ALTER TABLE attendance_records_v2 RENAME TO attendance_records;
CREATE INDEX attendance_records_by_report ON attendance_records (w, report_id);

-- Derived, recomputed after each sync: one row per person per session.
CREATE TABLE person_sessions_v2 (
    w               INTEGER NOT NULL REFERENCES attendance_webinars (n),
    person_key      TEXT NOT NULL,
    registration_id TEXT,
    email           TEXT,
    email_lower     TEXT,
    name            TEXT NOT NULL,
    name_lower      TEXT NOT NULL,
    registered      INTEGER NOT NULL,
    seconds_present INTEGER NOT NULL,
    pct             REAL NOT NULL,
    first_join      INTEGER,                     -- Unix milliseconds
    last_leave      INTEGER,
    rejoins         INTEGER NOT NULL,
    late_minutes    INTEGER NOT NULL,
    early_leave_minutes INTEGER NOT NULL,
    outcome         TEXT NOT NULL CHECK (outcome IN ('attended', 'partial', 'noShow')),
    intervals       TEXT NOT NULL                -- JSON [[join, leave], …] merged, Unix ms
) STRICT;
INSERT INTO person_sessions_v2 (w, person_key, registration_id, email, email_lower, name,
        name_lower, registered, seconds_present, pct, first_join, last_leave, rejoins,
        late_minutes, early_leave_minutes, outcome, intervals)
    SELECT a.n, p.person_key, p.registration_id, p.email, lower(p.email), p.name, p.name_lower,
           p.registered, p.seconds_present, p.pct,
           CAST(unixepoch(p.first_join, 'subsec') * 1000 AS INTEGER),
           CAST(unixepoch(p.last_leave, 'subsec') * 1000 AS INTEGER),
           p.rejoins, p.late_minutes, p.early_leave_minutes, p.outcome,
           (SELECT json_group_array(json_array(
                       CAST(unixepoch(j.value ->> 0, 'subsec') * 1000 AS INTEGER),
                       CAST(unixepoch(j.value ->> 1, 'subsec') * 1000 AS INTEGER)))
            FROM json_each(p.intervals) j)
    FROM person_sessions p JOIN attendance_webinars a ON a.webinar_id = p.webinar_id;
DROP TABLE person_sessions;
ALTER TABLE person_sessions_v2 RENAME TO person_sessions;
-- Each index costs every sync of a large webinar about a second per million rows, so only the
-- orders a table is most often read in are indexed (by name, with or without an outcome filter;
-- by time present within an outcome); other orders sort the filtered rows. Ties break by rowid, which every index
-- ends in, so an indexed order needs no sort at all.
CREATE INDEX person_sessions_by_name ON person_sessions (w, name_lower);
CREATE INDEX person_sessions_by_outcome ON person_sessions (w, outcome, name_lower);
CREATE INDEX person_sessions_by_time ON person_sessions (w, outcome, seconds_present);

-- The organizer's rules for outcomes (one row; absent means the defaults).
CREATE TABLE attendance_rules (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    attended_pct    REAL NOT NULL CHECK (attended_pct > 0 AND attended_pct <= 100),
    completion_pct  REAL NOT NULL CHECK (completion_pct > 0 AND completion_pct <= 100)
) STRICT;
