-- Webinars the signed-in user organizes or co-organizes, as last seen in Teams.
CREATE TABLE webinars (
    id              TEXT PRIMARY KEY NOT NULL,  -- Teams id, {guid}@{tenant}
    title           TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    start_utc       TEXT,                       -- RFC 3339, UTC; NULL if Teams sent an unreadable time
    end_utc         TEXT,
    time_zone       TEXT NOT NULL DEFAULT '',   -- as Teams names it (usually a Windows zone name)
    status          TEXT NOT NULL,
    audience        TEXT,
    role            TEXT NOT NULL CHECK (role IN ('organizer', 'coOrganizer')),
    organizer_name  TEXT,
    co_organizers   TEXT NOT NULL DEFAULT '[]', -- JSON array of display names
    listed          INTEGER NOT NULL DEFAULT 1 CHECK (listed IN (0, 1)),
    remote_json     TEXT NOT NULL,              -- the last projection read from Graph
    remote_hash     TEXT NOT NULL,
    first_seen_at   TEXT NOT NULL,
    last_synced_at  TEXT NOT NULL
) STRICT;

CREATE INDEX webinars_by_start ON webinars (start_utc);

-- When each sync scope last ran, and how it ended.
CREATE TABLE sync_state (
    scope           TEXT PRIMARY KEY NOT NULL,
    last_success_at TEXT,
    last_attempt_at TEXT NOT NULL,
    last_error      TEXT
) STRICT;
