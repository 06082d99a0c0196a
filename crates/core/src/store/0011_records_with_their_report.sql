-- A report's records are kept with the report, as one JSON value, instead of a row each: they
-- are written once (a report version is never rewritten), read whole (a recompute reads every
-- record of a session) and never searched, so a row and an index entry per record only cost a
-- large session's first sync time. Each record is
--     [id, email, name, identityId, registrationId, role, totalSeconds, [[join, leave], …]]
-- with times in Unix milliseconds. The data is carried over.
ALTER TABLE attendance_reports ADD COLUMN records TEXT NOT NULL DEFAULT '[]';
UPDATE attendance_reports SET records = (
    SELECT json_group_array(json_array(r.id, r.email, r.name, r.identity_id, r.registration_id,
                                       r.role, r.total_seconds, json(r.intervals)))
    FROM attendance_records r JOIN attendance_webinars a ON a.n = r.w
    WHERE a.webinar_id = attendance_reports.webinar_id AND r.report_id = attendance_reports.id);
DROP TABLE attendance_records;
