/** Queries for two-factor sign-in, first-sign-in password changes, console sessions and language. */
import type { Sql } from '../sql.ts';

export interface SignInRow {
  user_id: string;
  totp_secret: Buffer | null;
  totp_confirmed_at: Date | null;
  totp_last_step: number | null;
  password_chosen_at: Date | null;
  locale: string | null;
}

export async function selectSignIn(sql: Sql, userId: string): Promise<SignInRow | undefined> {
  return (await sql.query<SignInRow>(
    'SELECT user_id::text, totp_secret, totp_confirmed_at, totp_last_step::int8 AS totp_last_step, password_chosen_at, locale FROM user_sign_in WHERE user_id = $1',
    [userId],
  ))[0];
}

/** Locks the user's row (creating it) so two codes checked at once cannot both pass. */
export async function lockSignIn(sql: Sql, userId: string): Promise<SignInRow> {
  await sql.query('INSERT INTO user_sign_in (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING', [userId]);
  return (await sql.query<SignInRow>(
    'SELECT user_id::text, totp_secret, totp_confirmed_at, totp_last_step::int8 AS totp_last_step, password_chosen_at, locale FROM user_sign_in WHERE user_id = $1 FOR UPDATE',
    [userId],
  ))[0];
}

export async function updateTotp(sql: Sql, userId: string, v: { secret?: Buffer | null; confirmedAt?: Date | null; lastStep?: number | null }): Promise<void> {
  const sets: string[] = [];
  const values: unknown[] = [userId];
  const add = (col: string, val: unknown) => {
    values.push(val);
    sets.push(`${col} = $${values.length}`);
  };
  if (v.secret !== undefined) add('totp_secret', v.secret);
  if (v.confirmedAt !== undefined) add('totp_confirmed_at', v.confirmedAt?.toISOString() ?? null);
  if (v.lastStep !== undefined) add('totp_last_step', v.lastStep);
  if (sets.length === 0) return;
  await sql.query(`UPDATE user_sign_in SET ${sets.join(', ')}, updated_at = now() WHERE user_id = $1`, values as never);
}

export async function setPasswordChosen(sql: Sql, userId: string, chosenAt: Date | null): Promise<void> {
  await sql.query(
    `INSERT INTO user_sign_in (user_id, password_chosen_at) VALUES ($1, $2)
     ON CONFLICT (user_id) DO UPDATE SET password_chosen_at = EXCLUDED.password_chosen_at, updated_at = now()`,
    [userId, chosenAt?.toISOString() ?? null],
  );
}

export async function setLocale(sql: Sql, userId: string, locale: string | null): Promise<void> {
  await sql.query(
    `INSERT INTO user_sign_in (user_id, locale) VALUES ($1, $2)
     ON CONFLICT (user_id) DO UPDATE SET locale = EXCLUDED.locale, updated_at = now()`,
    [userId, locale],
  );
}

export async function updatePasswordHash(sql: Sql, userId: string, hash: string): Promise<void> {
  await sql.query('UPDATE users SET password_hash = $2 WHERE id = $1', [userId, hash]);
}

export async function replaceRecoveryCodes(sql: Sql, userId: string, sha256s: string[]): Promise<void> {
  await sql.query('DELETE FROM recovery_codes WHERE user_id = $1', [userId]);
  await sql.query('INSERT INTO recovery_codes (user_id, code_sha256) SELECT $1, unnest($2::text[])', [userId, sha256s]);
}

/** Marks an unused recovery code used; true when there was one. */
export async function useRecoveryCode(sql: Sql, userId: string, sha256: string): Promise<boolean> {
  const rows = await sql.query('UPDATE recovery_codes SET used_at = now() WHERE user_id = $1 AND code_sha256 = $2 AND used_at IS NULL RETURNING 1', [userId, sha256]);
  return rows.length > 0;
}

export async function countUnusedRecoveryCodes(sql: Sql, userId: string): Promise<number> {
  return (await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL', [userId]))[0].n;
}

export interface ConsoleSessionRow {
  credential_id: string;
  user_id: string;
  stage: string;
  created_at: Date;
  last_seen_at: Date;
}

export async function insertConsoleSession(sql: Sql, credentialId: string, userId: string, stage: string): Promise<void> {
  await sql.query('INSERT INTO console_sessions (credential_id, user_id, stage) VALUES ($1, $2, $3)', [credentialId, userId, stage]);
}

export async function selectConsoleSession(sql: Sql, credentialId: string): Promise<ConsoleSessionRow | undefined> {
  return (await sql.query<ConsoleSessionRow>(
    'SELECT credential_id::text, user_id::text, stage, created_at, last_seen_at FROM console_sessions WHERE credential_id = $1',
    [credentialId],
  ))[0];
}

/** Records activity on a session still inside both limits; returns its stage, or nothing when it has run out. */
export async function touchConsoleSession(sql: Sql, credentialId: string, idleSeconds: number, absoluteSeconds: number): Promise<string | undefined> {
  const rows = await sql.query<{ stage: string }>(
    `UPDATE console_sessions SET last_seen_at = now()
      WHERE credential_id = $1 AND last_seen_at > now() - make_interval(secs => $2::float8) AND created_at > now() - make_interval(secs => $3::float8)
      RETURNING stage`,
    [credentialId, idleSeconds, absoluteSeconds],
  );
  return rows[0]?.stage;
}

export async function setConsoleStage(sql: Sql, credentialId: string, stage: string): Promise<void> {
  await sql.query('UPDATE console_sessions SET stage = $2 WHERE credential_id = $1', [credentialId, stage]);
}

export async function deleteConsoleSession(sql: Sql, credentialId: string): Promise<void> {
  await sql.query('DELETE FROM console_sessions WHERE credential_id = $1', [credentialId]);
}

export async function selectUserNames(sql: Sql, ids: string[]): Promise<Array<{ id: string; name: string }>> {
  if (ids.length === 0) return [];
  return sql.query<{ id: string; name: string }>('SELECT id::text, name FROM users WHERE id = ANY($1::uuid[]) ORDER BY name', [ids]);
}
