-- Console sign-in: two-factor (TOTP + recovery codes), first-sign-in password change, language, and
-- the console's sessions (a session credential plus idle tracking). services/accounts/two-factor.ts and
-- services/accounts/console-sessions.ts own these tables.

CREATE TABLE user_sign_in (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  -- The TOTP secret, AES-256-GCM under a key derived from the master key; NULL until set up.
  totp_secret bytea,
  -- NULL while the user is still setting it up (the secret was shown but no code confirmed it yet).
  totp_confirmed_at timestamptz,
  -- The last 30-second time step a code was accepted for: each code is accepted once.
  totp_last_step bigint,
  -- When the user chose their own password. NULL: the password was issued by an administrator (or
  -- the bootstrap) and may be used only to choose a new one.
  password_chosen_at timestamptz,
  -- The console language the user chose; NULL follows the browser.
  locale text CHECK (locale IN ('ko', 'en')),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Ten one-time recovery codes per user, SHA-256 only (each code carries 80 random bits).
CREATE TABLE recovery_codes (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_sha256 text NOT NULL,
  used_at timestamptz,
  PRIMARY KEY (user_id, code_sha256)
);

-- A console session is a 'session' credential plus this row. Until `stage` is 'ready' the credential
-- opens only the next sign-in step; the API refuses console credentials altogether (they live in an
-- HttpOnly cookie and are idle-tracked here).
CREATE TABLE console_sessions (
  credential_id uuid PRIMARY KEY REFERENCES credentials (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  stage text NOT NULL CHECK (stage IN ('second-factor', 'new-password', 'enrol', 'ready')),
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);
