-- Series planned in Webinar Desk: one template, N sessions, each a Teams webinar once published.
CREATE TABLE series (
    id                TEXT PRIMARY KEY NOT NULL,   -- ours (UUID); part of every Teams tag
    title             TEXT NOT NULL,
    description_html  TEXT NOT NULL DEFAULT '',
    audience          TEXT NOT NULL CHECK (audience IN ('organization', 'everyone')),
    co_organizers     TEXT NOT NULL DEFAULT '[]',  -- JSON array of Entra object ids
    time_zone         TEXT NOT NULL,               -- IANA name
    attendee_emails   INTEGER NOT NULL CHECK (attendee_emails IN (0, 1)),
    state             TEXT NOT NULL CHECK (state IN ('planned', 'publishing', 'published',
                          'rollingBack', 'rolledBack', 'partiallyRolledBack')),
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
) STRICT;

CREATE TABLE series_sessions (
    series_id         TEXT NOT NULL REFERENCES series (id) ON DELETE CASCADE,
    n                 INTEGER NOT NULL CHECK (n > 0),
    title_suffix      TEXT NOT NULL DEFAULT '',
    date              TEXT NOT NULL,               -- YYYY-MM-DD in the series' zone
    start             TEXT NOT NULL,               -- HH:MM in the series' zone
    duration_minutes  INTEGER NOT NULL,
    PRIMARY KEY (series_id, n)
) STRICT;

-- Every change sent to Teams: the intent before the call, the outcome after. Append-only: it
-- makes publishing crash-safe (the next start reads where an operation stood) and is the audit
-- log. Rows are never updated or deleted; triggers refuse it.
CREATE TABLE journal (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    operation_id      TEXT NOT NULL,               -- one publish or rollback run
    series_id         TEXT,                        -- no foreign key: the log outlives a series
    n                 INTEGER,
    action            TEXT NOT NULL,               -- create, adopt, tag, publish, cancel, ...
    target            TEXT,                        -- the Teams webinar id, once known
    phase             TEXT NOT NULL CHECK (phase IN ('intent', 'done', 'failed', 'unknown')),
    at                TEXT NOT NULL,
    actor             TEXT NOT NULL,               -- who was signed in
    client_request_id TEXT,
    request_id        TEXT,
    status            INTEGER,
    error_class       TEXT,
    message           TEXT
) STRICT;

CREATE INDEX journal_by_series ON journal (series_id, seq);

CREATE TRIGGER journal_is_append_only_update BEFORE UPDATE ON journal
BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only');
END;

CREATE TRIGGER journal_is_append_only_delete BEFORE DELETE ON journal
BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only');
END;
