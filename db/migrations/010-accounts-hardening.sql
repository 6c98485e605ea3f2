-- Accounts an administrator can manage (issue 14): user names are one name whatever their case, a reset
-- password must be changed at the next sign-in, and an account records when it was disabled.

-- Names that differ only in case were two accounts until now; from now on they are one name. Should a
-- database hold such a pair, the younger account is renamed (the suffix is its id, so it stays unique)
-- and disabled: an administrator decides what to do with it, nobody signs in to the wrong one.
WITH ranked AS (
  SELECT id, row_number() OVER (PARTITION BY lower(name) ORDER BY created_at, id) AS n FROM users
)
UPDATE users u SET name = u.name || '-' || left(u.id::text, 8), disabled = true
  FROM ranked r WHERE r.id = u.id AND r.n > 1;

CREATE UNIQUE INDEX users_name_lower ON users (lower(name));

ALTER TABLE users ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;
ALTER TABLE users ADD COLUMN disabled_at timestamptz;
