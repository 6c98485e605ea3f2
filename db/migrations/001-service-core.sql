-- The service's core: accounts, cases, material fingerprints, the audit log, the match-index change feed.
-- Victim personal data only ever appears here encrypted (AES-256-GCM under the case's data key).

CREATE TABLE service_meta (
  key text PRIMARY KEY,
  value text NOT NULL
);

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL UNIQUE,
  role text NOT NULL CHECK (role IN ('admin', 'staff', 'operator', 'platform', 'auditor')),
  -- argon2id PHC string; NULL for token-only accounts (automation, platforms).
  password_hash text,
  disabled boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- API tokens and console sessions: only the SHA-256 of the secret is stored.
CREATE TABLE credentials (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('token', 'session')),
  secret_sha256 text NOT NULL UNIQUE,
  expires_at timestamptz,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX credentials_user ON credentials (user_id);

CREATE TABLE cases (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- The pseudonymous code: the only identifier of a case that ever leaves the service.
  code text NOT NULL UNIQUE,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'monitoring', 'closed', 'withdrawn', 'erased')),
  -- The case's AES-256 data key, wrapped by the master key. Erasing the case destroys it (crypto-shredding).
  wrapped_key bytea,
  -- Encrypted JSON: { label, name, contacts, notes }.
  personal bytea,
  -- Encrypted JSON array of search keywords (the crawler decrypts them through the service).
  keywords bytea,
  consent_at timestamptz,
  monitor_until timestamptz,
  keep_evidence boolean NOT NULL DEFAULT false,
  evidence_retention_days integer CHECK (evidence_retention_days IS NULL OR evidence_retention_days > 0),
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  erased_at timestamptz
);
CREATE INDEX cases_status ON cases (status);

CREATE TABLE case_staff (
  case_id uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  PRIMARY KEY (case_id, user_id)
);
CREATE INDEX case_staff_user ON case_staff (user_id);

-- One registered image or video: its fingerprint (everything the hashing core produced), never its bytes.
CREATE TABLE material (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_id uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('image', 'video')),
  sha256 text NOT NULL,
  md5 text NOT NULL,
  fingerprint jsonb NOT NULL,
  byte_size bigint NOT NULL,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (case_id, sha256)
);
CREATE INDEX material_case ON material (case_id);
CREATE INDEX material_sha256 ON material (sha256);

-- The hashes a reference contributes to the match index (hashing/reference.ts decides which).
CREATE TABLE material_hashes (
  material_id uuid NOT NULL REFERENCES material (id) ON DELETE CASCADE,
  hash text NOT NULL,
  view text NOT NULL,
  t real
);
CREATE INDEX material_hashes_material ON material_hashes (material_id);

-- URLs where the material was already seen (encrypted: they lead to the victim's material).
CREATE TABLE material_urls (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  material_id uuid NOT NULL REFERENCES material (id) ON DELETE CASCADE,
  url_encrypted bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX material_urls_material ON material_urls (material_id);

-- Opt-in encrypted evidence copy of the original bytes, deleted after the case's retention period.
CREATE TABLE evidence (
  material_id uuid PRIMARY KEY REFERENCES material (id) ON DELETE CASCADE,
  ciphertext bytea NOT NULL,
  delete_after timestamptz NOT NULL
);
CREATE INDEX evidence_delete_after ON evidence (delete_after);

-- The match index's change feed: every process polls `seq > last` and applies the changes. Writers take
-- an advisory lock (db/queries/match-changes.ts) so sequence order equals commit order.
CREATE TABLE match_changes (
  seq bigserial PRIMARY KEY,
  op text NOT NULL CHECK (op IN ('add', 'remove', 'case-on', 'case-off')),
  case_id uuid NOT NULL,
  material_id uuid,
  at timestamptz NOT NULL DEFAULT now()
);

-- Append-only, hash-chained audit log: who did what to which record, when, from where. Ids only.
CREATE TABLE audit_log (
  seq bigint PRIMARY KEY,
  at timestamptz NOT NULL,
  actor_id uuid,
  actor text NOT NULL,
  action text NOT NULL,
  record_type text NOT NULL,
  record_id text,
  case_code text,
  source text NOT NULL,
  detail jsonb NOT NULL DEFAULT '{}',
  prev_hash text NOT NULL,
  hash text NOT NULL
);

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only: % is refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
