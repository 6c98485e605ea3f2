-- Delivery (services/delivery): what the outbox, the response links and the platforms' answers need on
-- top of the takedown model (200-takedown.sql).

-- Hosts a platform's webhook may be reached at although their address is not public (a receiver on the
-- platform's own network, or a test receiver on 127.0.0.1); every other host passes the SSRF guard.
ALTER TABLE platforms ADD COLUMN webhook_allow_hosts text[] NOT NULL DEFAULT '{}';

-- The response token sealed under the master key (AES-256-GCM, AAD `notice:<id>:respond-token`), so that
-- a notice sent again after a crash carries the same link as the copy that may already have arrived.
-- Lookups go by respond_token_sha256 only.
ALTER TABLE notices ADD COLUMN respond_token_sealed bytea;

-- While a notice is `sending`, next_attempt_at is the end of the delivering worker's hold: a notice still
-- sending after it belonged to a killed worker and is sent again (same Message-ID / Idempotency-Key).
-- After a retryable failure the notice is `failed` with next_attempt_at set; a final failure clears it.

-- What the platform said about each item: its latest answer.
ALTER TABLE notice_items ADD COLUMN answer text CHECK (answer IN ('acknowledged', 'removed', 'refused', 'need-info', 'not-found'));
ALTER TABLE notice_items ADD COLUMN answered_at timestamptz;

-- Every answer a platform gave, through its response link or its account. `message` is the platform's
-- own words (at most 2000 characters); it never holds anything staydown wrote about the victim.
CREATE TABLE notice_responses (
  id bigserial PRIMARY KEY,
  notice_id uuid NOT NULL REFERENCES notices (id) ON DELETE CASCADE,
  at timestamptz NOT NULL DEFAULT now(),
  via text NOT NULL CHECK (via IN ('link', 'account')),
  user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  answer text NOT NULL CHECK (answer IN ('acknowledged', 'removed', 'refused', 'need-info', 'not-found')),
  urls text[] NOT NULL,
  message text CHECK (length(message) <= 2000)
);
CREATE INDEX notice_responses_notice ON notice_responses (notice_id, id);
