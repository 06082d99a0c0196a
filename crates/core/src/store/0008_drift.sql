-- Drift: the version of each webinar its changes are judged against (what we last wrote,
-- accepted or first saw — a sync of the webinar list does not move it), and the last check.
CREATE TABLE drift_baselines (
    webinar_id      TEXT PRIMARY KEY NOT NULL,
    projection      TEXT NOT NULL,               -- JSON drift::WebinarProjection
    source          TEXT NOT NULL CHECK (source IN ('firstSeen', 'written', 'accepted')),
    set_at          TEXT NOT NULL
) STRICT;

-- A failed check keeps the last finding: the failure is recorded beside it, never in its place.
CREATE TABLE drift_checks (
    webinar_id      TEXT PRIMARY KEY NOT NULL,
    finding         TEXT,                        -- JSON drift::Finding of the last good check
    checked_at      TEXT,
    failed_at       TEXT,                        -- set when the latest check failed
    failure         TEXT,
    request_id      TEXT
) STRICT;
