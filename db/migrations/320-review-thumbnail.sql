-- A small thumbnail of the candidate media itself (<= 320 px JPEG), made by the crawl from the bytes it
-- downloaded when it raised the alert, so a reviewer need not open the whole page. Sealed under the
-- case's data key like the screenshot (erased with the case); NULL for alerts raised before this, for
-- media matched from a stored fingerprint (no bytes at hand) and for media that could not be shrunk.
ALTER TABLE crawl_alert_evidence ADD COLUMN thumbnail_encrypted bytea;

-- The console counts each reviewer's reveals of unblurred evidence today (services/review/reveal.ts):
-- a partial index keeps that count off the rest of the audit log.
CREATE INDEX audit_log_reveals ON audit_log (actor_id, at) WHERE action IN ('alert.reveal', 'review.break-continue');
