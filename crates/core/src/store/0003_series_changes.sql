-- Changing a series after publishing: sessions can be canceled one by one, a whole series can
-- be canceled, an edit can be in flight (crash-safe like a publish), and we keep what we last
-- wrote to (or adopted from) Teams for each session, so an edit made in Teams is noticed
-- before it is overwritten.
--
-- SQLite cannot change a CHECK constraint in place: the two tables are rebuilt. The sessions
-- table goes first so dropping `series` cascades to nothing.
CREATE TABLE series_v3 (
    id                TEXT PRIMARY KEY NOT NULL,
    title             TEXT NOT NULL,
    description_html  TEXT NOT NULL DEFAULT '',
    audience          TEXT NOT NULL CHECK (audience IN ('organization', 'everyone')),
    co_organizers     TEXT NOT NULL DEFAULT '[]',
    time_zone         TEXT NOT NULL,
    attendee_emails   INTEGER NOT NULL CHECK (attendee_emails IN (0, 1)),
    state             TEXT NOT NULL CHECK (state IN ('planned', 'publishing', 'published',
                          'rollingBack', 'rolledBack', 'partiallyRolledBack', 'updating',
                          'canceled')),
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
) STRICT;

INSERT INTO series_v3 SELECT * FROM series;

CREATE TABLE series_sessions_v3 (
    series_id         TEXT NOT NULL REFERENCES series_v3 (id) ON DELETE CASCADE,
    n                 INTEGER NOT NULL CHECK (n > 0),
    title_suffix      TEXT NOT NULL DEFAULT '',
    date              TEXT NOT NULL,
    start             TEXT NOT NULL,
    duration_minutes  INTEGER NOT NULL,
    canceled          INTEGER NOT NULL DEFAULT 0 CHECK (canceled IN (0, 1)),
    PRIMARY KEY (series_id, n)
) STRICT;

INSERT INTO series_sessions_v3 (series_id, n, title_suffix, date, start, duration_minutes)
    SELECT series_id, n, title_suffix, date, start, duration_minutes FROM series_sessions;

DROP TABLE series_sessions;
DROP TABLE series;
ALTER TABLE series_v3 RENAME TO series;
ALTER TABLE series_sessions_v3 RENAME TO series_sessions;

-- What Teams holds for a session as of our last write or read (JSON: title, description,
-- start, end, zone, canceled). Compared with Teams now, it tells an edit made in Teams from
-- one of ours.
CREATE TABLE session_teams (
    series_id         TEXT NOT NULL REFERENCES series (id) ON DELETE CASCADE,
    n                 INTEGER NOT NULL,
    webinar_id        TEXT NOT NULL,
    written           TEXT NOT NULL,
    written_at        TEXT NOT NULL,
    PRIMARY KEY (series_id, n)
) STRICT;
