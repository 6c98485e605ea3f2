-- Review: an operator decides each match alert once, `new` -> `confirmed` | `rejected`, with who and when
-- (the audit log holds the same; these columns make the decision readable without it). A confirmed alert
-- becomes part of a takedown notice (`notice_id`; the notices table and its foreign key come with
-- migration 200). First/last seen are not stored here: crawl_media (site_id, media_url) has them.
ALTER TABLE crawl_alerts DROP CONSTRAINT crawl_alerts_status_check;
ALTER TABLE crawl_alerts
  ADD COLUMN decided_by uuid REFERENCES users (id) ON DELETE SET NULL,
  ADD COLUMN decided_at timestamptz,
  ADD COLUMN reject_reason text,
  ADD COLUMN notice_id uuid;
-- Alerts decided before the review existed had no who, when or why: the alert's own time stands in.
UPDATE crawl_alerts SET status = 'rejected', decided_at = created_at, reject_reason = 'dismissed before the review recorded reasons' WHERE status = 'dismissed';
UPDATE crawl_alerts SET decided_at = created_at WHERE status = 'confirmed';
ALTER TABLE crawl_alerts
  ADD CONSTRAINT crawl_alerts_status_check CHECK (status IN ('new', 'confirmed', 'rejected')),
  -- A decided alert says when; a rejected one says why (decided_by stays NULL for the command line).
  ADD CONSTRAINT crawl_alerts_decision_check CHECK (
    (status = 'new' AND decided_at IS NULL AND reject_reason IS NULL)
    OR (status = 'confirmed' AND decided_at IS NOT NULL AND reject_reason IS NULL)
    OR (status = 'rejected' AND decided_at IS NOT NULL AND reject_reason IS NOT NULL)),
  ADD CONSTRAINT crawl_alerts_notice_check CHECK (notice_id IS NULL OR status = 'confirmed');
CREATE INDEX crawl_alerts_status ON crawl_alerts (status, created_at DESC, id DESC);
-- What the takedown work collects: confirmed alerts not yet in a notice.
CREATE INDEX crawl_alerts_unnoticed ON crawl_alerts (decided_at, id) WHERE status = 'confirmed' AND notice_id IS NULL;

-- Media a reviewer rejected as not being the material, so the same false candidate never alerts again for
-- that material: its exact SHA-256 and its whole-picture PDQ hashes (the image's, or each frame's), which
-- the crawl compares against every PDQ, view and frame of newly matched media (services/review/allowlist.ts).
CREATE TABLE material_allowlist (
  id bigserial PRIMARY KEY,
  material_id uuid NOT NULL REFERENCES material (id) ON DELETE CASCADE,
  sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  pdq text[] NOT NULL DEFAULT '{}',
  alert_id uuid REFERENCES crawl_alerts (id) ON DELETE SET NULL,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (material_id, sha256)
);
