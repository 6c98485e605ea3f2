import type { Sql } from '../sql.ts';

export interface UserRow {
  id: string;
  name: string;
  role: string;
  password_hash: string | null;
  disabled: boolean;
  must_change_password: boolean;
  created_at: Date;
}

const USER_COLUMNS = 'id::text, name, role, password_hash, disabled, must_change_password, created_at';

export async function insertUser(sql: Sql, u: { name: string; role: string; passwordHash: string | null }): Promise<UserRow> {
  const rows = await sql.query<UserRow>(
    `INSERT INTO users (name, role, password_hash) VALUES ($1, $2, $3) RETURNING ${USER_COLUMNS}`,
    [u.name, u.role, u.passwordHash],
  );
  return rows[0];
}

/** Names are one name whatever their case (the unique index is on lower(name)). */
export async function selectUserByName(sql: Sql, name: string): Promise<UserRow | undefined> {
  return (await sql.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE lower(name) = lower($1)`, [name]))[0];
}

export async function selectUserById(sql: Sql, id: string): Promise<UserRow | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  return (await sql.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]))[0];
}

export async function selectUserPage(sql: Sql, afterName: string, limit: number): Promise<UserRow[]> {
  return sql.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE name > $1 ORDER BY name LIMIT $2`, [afterName, limit]);
}

export async function insertCredential(sql: Sql, c: { userId: string; kind: 'token' | 'session'; secretSha256: string; expiresAt: Date | null }): Promise<string> {
  const rows = await sql.query<{ id: string }>(
    'INSERT INTO credentials (user_id, kind, secret_sha256, expires_at) VALUES ($1, $2, $3, $4) RETURNING id::text',
    [c.userId, c.kind, c.secretSha256, c.expiresAt?.toISOString() ?? null],
  );
  return rows[0].id;
}

/** The live user holding this credential, or nothing when it is unknown, expired, revoked or disabled. */
export async function selectUserByCredential(sql: Sql, secretSha256: string): Promise<(UserRow & { credential_id: string }) | undefined> {
  const rows = await sql.query<UserRow & { credential_id: string }>(
    `SELECT u.id::text, u.name, u.role, u.password_hash, u.disabled, u.must_change_password, u.created_at, c.id::text AS credential_id
       FROM credentials c JOIN users u ON u.id = c.user_id
      WHERE c.secret_sha256 = $1 AND c.revoked_at IS NULL AND (c.expires_at IS NULL OR c.expires_at > now()) AND NOT u.disabled`,
    [secretSha256],
  );
  return rows[0];
}

export async function revokeCredential(sql: Sql, id: string): Promise<void> {
  await sql.query('UPDATE credentials SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id]);
}

export async function countUsers(sql: Sql): Promise<number> {
  const rows = await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
  return rows[0].n;
}

export async function setUserDisabled(sql: Sql, id: string, disabled: boolean): Promise<void> {
  await sql.query('UPDATE users SET disabled = $2, disabled_at = CASE WHEN $2 THEN now() ELSE NULL END WHERE id = $1', [id, disabled]);
}

export async function setUserPassword(sql: Sql, id: string, passwordHash: string, mustChange: boolean): Promise<void> {
  await sql.query('UPDATE users SET password_hash = $2, must_change_password = $3 WHERE id = $1', [id, passwordHash, mustChange]);
}

/** Revokes a user's live credentials of the given kinds, except one; returns how many per kind. */
export async function revokeUserCredentials(sql: Sql, userId: string, kinds: Array<'token' | 'session'>, exceptId: string | null = null): Promise<{ tokens: number; sessions: number }> {
  const rows = await sql.query<{ kind: string; n: number }>(
    `WITH r AS (
       UPDATE credentials SET revoked_at = now()
        WHERE user_id = $1 AND kind = ANY($2::text[]) AND revoked_at IS NULL AND ($3::uuid IS NULL OR id <> $3::uuid)
        RETURNING kind)
     SELECT kind, count(*)::int AS n FROM r GROUP BY kind`,
    [userId, kinds, exceptId],
  );
  const n = (k: string) => rows.find((r) => r.kind === k)?.n ?? 0;
  return { tokens: n('token'), sessions: n('session') };
}

export async function countEnabledAdmins(sql: Sql): Promise<number> {
  return (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM users WHERE role = 'admin' AND NOT disabled`))[0].n;
}

export async function setUserRole(sql: Sql, id: string, role: string): Promise<void> {
  await sql.query('UPDATE users SET role = $2 WHERE id = $1', [id, role]);
}

export async function clearMustChangePassword(sql: Sql, id: string): Promise<void> {
  await sql.query('UPDATE users SET must_change_password = false WHERE id = $1', [id]);
}
