-- The links people use to reach a webinar, as Teams last gave them (calendar files need them
-- offline). A link Teams stops giving is kept: the last one known is better than none.
CREATE TABLE webinar_links (
    webinar_id       TEXT PRIMARY KEY NOT NULL,
    join_url         TEXT,
    registration_url TEXT,
    seen_at          TEXT NOT NULL
) STRICT;
