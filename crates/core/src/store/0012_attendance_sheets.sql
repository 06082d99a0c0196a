-- A session's people (one row each, derived from the kept reports and registrations) are kept
-- as one value per session, its attendance sheet, instead of a row and four index entries each:
-- a sheet is only ever recomputed whole and read whole (a page is sorted and filtered in
-- memory), and writing 100,000 rows with their indexes cost a large session's sync well over a
-- second. `people` is the sheet (postcard, see store/sheet.rs); `generation` grows with each
-- write, so a copy read earlier is known to be stale; `emails` lists the sheet's lower-case
-- e-mails one per line between newlines, so the person drawer finds the sessions a person is
-- in without reading any sheet. The rows dropped here are derived data: opening the local copy
-- recomputes each session's sheet from its kept reports and registrations.
CREATE TABLE attendance_sheets (
    w          INTEGER PRIMARY KEY REFERENCES attendance_webinars (n),
    generation INTEGER NOT NULL,
    emails     TEXT NOT NULL,
    people     BLOB NOT NULL
) STRICT;
DROP TABLE person_sessions;
