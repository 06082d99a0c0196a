-- A first sync writes a webinar's registrations while its attendance is still being read: under
-- a number of their own (`staged` = 1, the webinar id a placeholder unique to that sync) that
-- no reader looks up, until the sync's transaction names the number after the webinar. A
-- staged number left by a sync that failed or was killed is removed when the copy is opened.
ALTER TABLE attendance_webinars ADD COLUMN staged INTEGER NOT NULL DEFAULT 0;
