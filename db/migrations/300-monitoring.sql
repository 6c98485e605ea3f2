-- Keep-it-down (services/monitoring): every notified URL is tracked until staydown itself has verified
-- that it is gone, and re-checked for the case's monitoring period; re-uploads are marked on their alerts.
-- URLs, states, dates and ids only: never the victim's name, contacts, notes, keywords or any image.

-- One row per notified page/media URL pair and platform (an alert sent to a site and to its CDN is
-- tracked once per recipient: each is reminded and escalated on its own).
CREATE TABLE tracked_urls (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_id uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  platform_id uuid NOT NULL REFERENCES platforms (id) ON DELETE CASCADE,
  alert_id uuid NOT NULL REFERENCES crawl_alerts (id) ON DELETE CASCADE,
  material_id uuid NOT NULL REFERENCES material (id) ON DELETE CASCADE,
  site_id uuid NOT NULL REFERENCES crawl_sites (id) ON DELETE CASCADE,
  -- What is checked: the alert's page and media URLs (the page is checked even when a notice withheld it).
  page_url text NOT NULL,
  media_url text NOT NULL,
  -- The first notice that listed it, and the initial notice being followed up now (a re-notice after
  -- the content re-appeared replaces it); reminders and escalations reference the current one.
  first_notice_id uuid NOT NULL REFERENCES notices (id) ON DELETE CASCADE,
  current_notice_id uuid NOT NULL REFERENCES notices (id) ON DELETE CASCADE,
  -- When the current notice was sent: reminders and escalation count from here.
  notified_at timestamptz NOT NULL,
  state text NOT NULL DEFAULT 'notified'
    CHECK (state IN ('notified', 'acknowledged', 'removal-claimed', 'removed', 'refused', 'escalated', 'reappeared')),
  state_since timestamptz NOT NULL DEFAULT now(),
  last_check_at timestamptz,
  last_check_result text CHECK (last_check_result IN ('removed', 'present', 'unknown')),
  last_check_reason text,
  -- NULL: no check is scheduled (the case's monitoring ended, or it is withdrawn, closed or erased).
  next_check_at timestamptz,
  -- A worker checking it holds it until then (at-least-once jobs: a second job for it finds it held).
  check_held_until timestamptz,
  -- Unknown results in a row: retried sooner than the regular schedule, never counted as removed.
  unknown_streak integer NOT NULL DEFAULT 0,
  -- The last verified removal, and the first one ever (statistics: time from first notice to removal).
  removed_at timestamptz,
  first_removed_at timestamptz,
  first_notified_at timestamptz NOT NULL,
  -- Re-checks done since the last removal (STAYDOWN_RECHECKS step).
  recheck_step integer NOT NULL DEFAULT 0,
  reminders_sent integer NOT NULL DEFAULT 0,
  last_reminder_at timestamptz,
  escalations_sent integer NOT NULL DEFAULT 0,
  last_escalation_at timestamptz,
  -- The platform's latest answer applied (notice_responses.id), so each answer is applied once.
  last_response_id bigint NOT NULL DEFAULT 0,
  ever_refused boolean NOT NULL DEFAULT false,
  ever_answered boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (platform_id, alert_id)
);
CREATE INDEX tracked_urls_due ON tracked_urls (next_check_at) WHERE next_check_at IS NOT NULL;
CREATE INDEX tracked_urls_notice ON tracked_urls (current_notice_id);
CREATE INDEX tracked_urls_case ON tracked_urls (case_id);
CREATE INDEX tracked_urls_material ON tracked_urls (material_id);

-- Every transition and every event of a tracked URL, timestamped, with who or what caused it: 'check'
-- (staydown's own verification), 'platform' (its answer), 'system' (reminders, escalations, schedules),
-- or a user id.
CREATE TABLE tracked_url_history (
  id bigserial PRIMARY KEY,
  tracked_url_id uuid NOT NULL REFERENCES tracked_urls (id) ON DELETE CASCADE,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,
  event text NOT NULL,
  from_state text,
  to_state text,
  notice_id uuid REFERENCES notices (id) ON DELETE SET NULL,
  detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX tracked_url_history_url ON tracked_url_history (tracked_url_id, id);

-- Re-uploads: an alert whose material already had a confirmed alert anywhere. NULL: not yet looked at
-- (the crawl's alert hook and the monitoring pass classify new alerts). auto_confirmed: confirmed by the
-- system because its media has exactly the SHA-256 of media already confirmed for that material.
ALTER TABLE crawl_alerts ADD COLUMN reupload boolean;
ALTER TABLE crawl_alerts ADD COLUMN auto_confirmed boolean NOT NULL DEFAULT false;
UPDATE crawl_alerts SET reupload = false;
CREATE INDEX crawl_alerts_unclassified ON crawl_alerts (created_at) WHERE reupload IS NULL;
CREATE INDEX crawl_alerts_material ON crawl_alerts (material_id, status);

-- Notices the monitoring drafted or sent as follow-ups: which reminder or escalation step they are.
ALTER TABLE notices ADD COLUMN follow_up_step integer;
