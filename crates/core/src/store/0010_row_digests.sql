-- A sync rewrites only the rows whose content changed: each registration and person row carries
-- a 64-bit digest of what was written, compared before writing. A re-sync that brings nothing new
-- then writes nothing, and a new report version touches only the people it changes. Rows kept
-- from before have digest 0 and are rewritten once, by the next sync.
ALTER TABLE registrations ADD COLUMN digest INTEGER NOT NULL DEFAULT 0;
ALTER TABLE person_sessions ADD COLUMN digest INTEGER NOT NULL DEFAULT 0;
