-- Takedown: the platforms that receive notices, the notices themselves (one per case and platform), the
-- alerts each notice lists, and each notice's history. A notice holds URLs and dates only: never the
-- victim's name, contacts, notes, keywords, the case code, or any image.

-- Who answers for content: a site operator removes a post, a host takes a server down, a registrar
-- suspends a domain, a search engine delists.
CREATE TABLE platforms (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  -- Host names it serves: each covers itself and its subdomains; an IP address covers only itself.
  domains text[] NOT NULL DEFAULT '{}',
  kind text NOT NULL DEFAULT 'site' CHECK (kind IN ('site', 'host', 'registrar', 'search-engine')),
  jurisdiction text NOT NULL DEFAULT 'OTHER' CHECK (jurisdiction IN ('KR', 'US', 'EU', 'OTHER')),
  language text NOT NULL DEFAULT 'en' CHECK (language IN ('ko', 'en')),
  emails text[] NOT NULL DEFAULT '{}',
  webhook_url text,
  -- AES-256-GCM under the master key, AAD `platform:<id>:webhook-secret`.
  webhook_secret_encrypted bytea,
  form_url text,
  -- Hours the platform has to act once a notice is sent. NULL on insert takes the jurisdiction's default
  -- (trigger below): US 48 (TAKE IT DOWN Act), KR 24, EU 24, OTHER 48.
  deadline_hours integer NOT NULL CHECK (deadline_hours BETWEEN 1 AND 8760),
  escalate_to uuid REFERENCES platforms (id) ON DELETE SET NULL,
  -- A `platform`-role account that answers for it.
  user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (escalate_to IS NULL OR escalate_to <> id),
  CHECK (webhook_secret_encrypted IS NULL OR webhook_url IS NOT NULL)
);
CREATE UNIQUE INDEX platforms_name_ci ON platforms (lower(name));
CREATE INDEX platforms_domains ON platforms USING gin (domains);

CREATE FUNCTION platforms_default_deadline() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.deadline_hours IS NULL THEN
    NEW.deadline_hours := CASE NEW.jurisdiction WHEN 'US' THEN 48 WHEN 'KR' THEN 24 WHEN 'EU' THEN 24 ELSE 48 END;
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER platforms_default_deadline BEFORE INSERT ON platforms
  FOR EACH ROW EXECUTE FUNCTION platforms_default_deadline();

-- References read SD-<year>-<number>: the number comes from one sequence (never reused), the year is the
-- year the notice was drafted (UTC).
CREATE SEQUENCE notice_reference_seq;
CREATE FUNCTION next_notice_reference() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  n bigint := nextval('notice_reference_seq');
BEGIN
  RETURN 'SD-' || to_char(now() AT TIME ZONE 'UTC', 'YYYY') || '-' || lpad(n::text, greatest(6, length(n::text)), '0');
END;
$$;

CREATE TABLE notices (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  reference text NOT NULL UNIQUE DEFAULT next_notice_reference(),
  case_id uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  platform_id uuid NOT NULL REFERENCES platforms (id) ON DELETE RESTRICT,
  kind text NOT NULL DEFAULT 'initial' CHECK (kind IN ('initial', 'reminder', 'escalation')),
  status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'approved', 'sending', 'sent', 'failed', 'cancelled')),
  language text NOT NULL CHECK (language IN ('ko', 'en')),
  jurisdiction text NOT NULL CHECK (jurisdiction IN ('KR', 'US', 'EU', 'OTHER')),
  channel text NOT NULL CHECK (channel IN ('email', 'webhook', 'form')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  approved_at timestamptz,
  approved_by uuid REFERENCES users (id) ON DELETE SET NULL,
  -- The approver's account name: the US notice's electronic signature (the command line has no user id).
  approved_by_name text,
  sent_at timestamptz,
  -- sent_at + the platform's deadline_hours, set when the notice is sent.
  deadline timestamptz,
  -- Delivery (services/takedown delivery): attempts so far, the last failure, when to try again, the
  -- message id of the sent e-mail or webhook.
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  next_attempt_at timestamptz,
  message_id text,
  -- The platform's response link: only the SHA-256 of its token is stored.
  respond_token_sha256 text UNIQUE,
  respond_expires_at timestamptz,
  -- A reminder or escalation points at the notice it follows up.
  original_notice_id uuid REFERENCES notices (id) ON DELETE SET NULL,
  CHECK (status IN ('draft', 'cancelled') OR approved_at IS NOT NULL),
  CHECK (status <> 'sent' OR (sent_at IS NOT NULL AND deadline IS NOT NULL))
);
-- New confirmed alerts join the open draft: at most one initial draft per case and platform.
CREATE UNIQUE INDEX notices_one_open_draft ON notices (case_id, platform_id) WHERE status = 'draft' AND kind = 'initial';
CREATE INDEX notices_status ON notices (status, created_at);
CREATE INDEX notices_platform ON notices (platform_id, created_at DESC);
CREATE INDEX notices_case ON notices (case_id);
CREATE INDEX notices_next_attempt ON notices (next_attempt_at) WHERE status IN ('approved', 'sending', 'failed');

-- The items a notice asks to remove: one per alert. A page URL that carries personal data (a search
-- results page with the victim's name in its query) is withheld: page_url NULL, page_url_withheld true.
CREATE TABLE notice_items (
  notice_id uuid NOT NULL REFERENCES notices (id) ON DELETE CASCADE,
  alert_id uuid NOT NULL REFERENCES crawl_alerts (id) ON DELETE CASCADE,
  page_url text,
  page_url_withheld boolean NOT NULL DEFAULT false,
  media_url text NOT NULL,
  first_seen timestamptz NOT NULL,
  added_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (notice_id, alert_id)
);
CREATE INDEX notice_items_alert ON notice_items (alert_id);

-- What happened to a notice: drafted, extended, approved, sending, sent, failed, cancelled, answered.
-- `detail` holds ids, counts and statuses only.
CREATE TABLE notice_history (
  id bigserial PRIMARY KEY,
  notice_id uuid NOT NULL REFERENCES notices (id) ON DELETE CASCADE,
  at timestamptz NOT NULL DEFAULT now(),
  -- A user id, or 'system' / 'platform'.
  actor text NOT NULL,
  event text NOT NULL,
  detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX notice_history_notice ON notice_history (notice_id, id);

-- The review work (150-review.sql) adds crawl_alerts.notice_id; whichever branch lands first, the column
-- exists here and gets its foreign key.
ALTER TABLE crawl_alerts ADD COLUMN IF NOT EXISTS notice_id uuid;
ALTER TABLE crawl_alerts ADD CONSTRAINT crawl_alerts_notice_fk FOREIGN KEY (notice_id) REFERENCES notices (id) ON DELETE SET NULL;
CREATE INDEX IF NOT EXISTS crawl_alerts_pending_notice ON crawl_alerts (case_id) WHERE status = 'confirmed' AND notice_id IS NULL;
