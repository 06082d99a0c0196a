-- One person across every webinar (the person drawer) is found by e-mail. Only rows that have
-- an e-mail are indexed: anonymous attendees are looked up within their session.
CREATE INDEX registrations_by_email ON registrations (email_lower) WHERE email_lower IS NOT NULL;
CREATE INDEX person_sessions_by_email ON person_sessions (email_lower)
    WHERE email_lower IS NOT NULL;
