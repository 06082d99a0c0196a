-- Registration questions a series asks in every session, in order, and its registration settings.
CREATE TABLE series_questions (
    series_id     TEXT NOT NULL REFERENCES series (id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('custom', 'predefined')),
    text          TEXT NOT NULL,               -- the question, or the predefined label
    answer        TEXT,                        -- custom: text, multilineText, singleChoice, …
    choices       TEXT NOT NULL DEFAULT '[]',  -- JSON array, for the choice kinds
    required      INTEGER NOT NULL CHECK (required IN (0, 1)),
    PRIMARY KEY (series_id, position)
) STRICT;

-- A session's own description (NULL: the series' one).
ALTER TABLE series_sessions ADD COLUMN description_html TEXT;

-- Registration settings every session gets (NULL capacity: Teams' default).
ALTER TABLE series ADD COLUMN capacity INTEGER;
ALTER TABLE series ADD COLUMN manual_approval INTEGER NOT NULL DEFAULT 0
    CHECK (manual_approval IN (0, 1));
ALTER TABLE series ADD COLUMN waitlist INTEGER NOT NULL DEFAULT 0 CHECK (waitlist IN (0, 1));
