-- Sheets are kept in a smaller form (see StoredSheet in store/sheet.rs): what a row can work
-- out from its other fields is no longer kept, and times are kept as differences. The sheets
-- dropped here are derived data: opening the local copy recomputes each session's sheet from
-- its kept reports and registrations, in the new form.
DELETE FROM attendance_sheets;
