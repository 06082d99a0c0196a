-- Registration questions a series asks in every session, in order.
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
