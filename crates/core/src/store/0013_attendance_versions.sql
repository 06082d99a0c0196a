-- How many times each webinar's kept attendance data (registrations, reports, sheet, numbers)
-- was written. A sync computes a webinar's metrics from a snapshot of the local copy before it
-- takes the writer; the writer uses that work only if the version it reads is the snapshot's.
ALTER TABLE attendance_webinars ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
