-- The crawler: target sites, crawl runs with their persisted frontier, media seen on sites, match alerts
-- with evidence, and per-host politeness shared by every worker.

CREATE TABLE crawl_sites (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
  -- The platform or operator behind the site (who receives takedown notices).
  platform text,
  start_urls text[] NOT NULL CHECK (cardinality(start_urls) > 0),
  -- Search URL with {keyword}, queried with each monitored case's keywords and their spelling variants.
  search_url_template text,
  follow text[] NOT NULL DEFAULT '{}',
  max_depth integer NOT NULL DEFAULT 3 CHECK (max_depth BETWEEN 0 AND 20),
  max_pages integer NOT NULL DEFAULT 500 CHECK (max_pages BETWEEN 1 AND 1000000),
  engine text NOT NULL DEFAULT 'http' CHECK (engine IN ('http', 'browser')),
  -- A node-cron expression; NULL: crawled only on demand.
  schedule text,
  min_interval_ms integer NOT NULL DEFAULT 200 CHECK (min_interval_ms >= 0),
  concurrency integer NOT NULL DEFAULT 2 CHECK (concurrency BETWEEN 1 AND 64),
  allow_hosts text[] NOT NULL DEFAULT '{}',
  robots text NOT NULL DEFAULT 'respect' CHECK (robots IN ('respect', 'ignore')),
  robots_override_reason text,
  -- Headers and cookies for logged-in areas: AES-256-GCM under the master key (services/crypto.ts).
  headers_encrypted bytea,
  enabled boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (robots = 'respect' OR robots_override_reason IS NOT NULL)
);

CREATE TABLE crawl_runs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  site_id uuid NOT NULL REFERENCES crawl_sites (id) ON DELETE CASCADE,
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
  trigger text NOT NULL DEFAULT 'manual' CHECK (trigger IN ('manual', 'schedule')),
  -- How many times a worker started this run (more than one: a killed worker's job was retried).
  attempts integer NOT NULL DEFAULT 0,
  stats jsonb NOT NULL DEFAULT '{}',
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz
);
-- A site never has two crawls at once: at most one queued-or-running run per site.
CREATE UNIQUE INDEX crawl_runs_one_active ON crawl_runs (site_id) WHERE status IN ('queued', 'running');
CREATE INDEX crawl_runs_site ON crawl_runs (site_id, created_at DESC);

CREATE TABLE crawl_frontier (
  run_id uuid NOT NULL REFERENCES crawl_runs (id) ON DELETE CASCADE,
  url text NOT NULL,
  depth integer NOT NULL,
  thumbnail boolean NOT NULL DEFAULT false,
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'claimed', 'done', 'failed', 'skipped')),
  seq bigserial,
  PRIMARY KEY (run_id, url)
);
CREATE INDEX crawl_frontier_pending ON crawl_frontier (run_id, depth, seq) WHERE state = 'pending';

-- Every media URL seen on a site, with what its bytes were: dedupe by URL per site and by SHA-256 everywhere.
CREATE TABLE crawl_media (
  id bigserial PRIMARY KEY,
  site_id uuid NOT NULL REFERENCES crawl_sites (id) ON DELETE CASCADE,
  media_url text NOT NULL,
  first_page_url text NOT NULL,
  last_page_url text NOT NULL,
  kind text CHECK (kind IN ('image', 'video', 'hls')),
  sha256 text,
  byte_size bigint,
  fingerprint jsonb,
  error text,
  first_seen timestamptz NOT NULL DEFAULT now(),
  last_seen timestamptz NOT NULL DEFAULT now(),
  UNIQUE (site_id, media_url)
);
CREATE INDEX crawl_media_sha256 ON crawl_media (sha256) WHERE fingerprint IS NOT NULL;

-- A match between media on a site and a case's material. Raised once per material and media location: the
-- same URL seen again never alerts twice, while a re-upload at a new URL (after a takedown) does.
CREATE TABLE crawl_alerts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_id uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  material_id uuid NOT NULL REFERENCES material (id) ON DELETE CASCADE,
  site_id uuid NOT NULL REFERENCES crawl_sites (id) ON DELETE CASCADE,
  run_id uuid REFERENCES crawl_runs (id) ON DELETE SET NULL,
  page_url text NOT NULL,
  media_url text NOT NULL,
  media_sha256 text NOT NULL,
  method text NOT NULL,
  distance integer NOT NULL,
  status text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'confirmed', 'dismissed')),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (material_id, media_url)
);
CREATE INDEX crawl_alerts_case ON crawl_alerts (case_id, created_at DESC);
CREATE INDEX crawl_alerts_created ON crawl_alerts (created_at DESC);

-- What the page looked like when the match was found. The screenshot and HTML may show the victim's
-- material, so they are encrypted under the case's data key (erasing the case shreds them).
CREATE TABLE crawl_alert_evidence (
  alert_id uuid PRIMARY KEY REFERENCES crawl_alerts (id) ON DELETE CASCADE,
  captured_at timestamptz NOT NULL,
  screenshot_encrypted bytea,
  screenshot_error text,
  html_encrypted bytea,
  hashes jsonb NOT NULL
);

-- Politeness across workers: when a host may next be contacted, and the leases of requests in flight.
CREATE TABLE crawl_hosts (
  host text PRIMARY KEY,
  next_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE crawl_host_leases (
  host text NOT NULL,
  token uuid NOT NULL DEFAULT gen_random_uuid(),
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (host, token)
);

-- One round trip per request: take a lease on the host if its rules allow it now, else say how long to
-- wait. The row lock on crawl_hosts serialises workers on the same host (and only on it).
CREATE FUNCTION crawl_host_acquire(p_host text, p_interval_ms integer, p_concurrency integer, p_lease_ms integer)
RETURNS TABLE (token uuid, wait_ms integer) LANGUAGE plpgsql AS $$
DECLARE
  v_next timestamptz;
  v_active integer;
  v_now timestamptz := clock_timestamp();
BEGIN
  INSERT INTO crawl_hosts (host, next_at) VALUES (p_host, v_now) ON CONFLICT (host) DO NOTHING;
  SELECT h.next_at INTO v_next FROM crawl_hosts h WHERE h.host = p_host FOR UPDATE;
  DELETE FROM crawl_host_leases l WHERE l.host = p_host AND l.expires_at < v_now;
  SELECT count(*) INTO v_active FROM crawl_host_leases l WHERE l.host = p_host;
  IF v_active >= p_concurrency THEN
    RETURN QUERY SELECT NULL::uuid, 25;
  ELSIF v_next > v_now THEN
    RETURN QUERY SELECT NULL::uuid, GREATEST(1, ceil(extract(epoch FROM (v_next - v_now)) * 1000)::integer);
  ELSE
    UPDATE crawl_hosts h SET next_at = v_now + make_interval(secs => p_interval_ms / 1000.0) WHERE h.host = p_host;
    RETURN QUERY INSERT INTO crawl_host_leases (host, expires_at) VALUES (p_host, v_now + make_interval(secs => p_lease_ms / 1000.0)) RETURNING crawl_host_leases.token, 0;
  END IF;
END;
$$;
