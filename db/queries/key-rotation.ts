/** Queries of a master key rotation (services/keys/rotation.ts; db/migrations/110-master-key-rotation.sql). */
import type { Sql } from '../sql.ts';

export async function setMeta(sql: Sql, key: string, value: string): Promise<void> {
  await sql.query('INSERT INTO service_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value', [key, value]);
}

export async function deleteMeta(sql: Sql, key: string): Promise<void> {
  await sql.query('DELETE FROM service_meta WHERE key = $1', [key]);
}

export async function countCaseKeys(sql: Sql, notCheck: string | null): Promise<number> {
  return (await sql.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM cases WHERE wrapped_key IS NOT NULL AND ($1::text IS NULL OR key_check IS DISTINCT FROM $1::text)', [notCheck],
  ))[0].n;
}

/** The next case keys not yet wrapped under the key with check value `newCheck`, locked for this transaction. */
export async function selectCaseKeysToRewrap(tx: Sql, newCheck: string, limit: number): Promise<Array<{ id: string; wrapped_key: Buffer; key_check: string | null }>> {
  return tx.query(
    `SELECT id::text, wrapped_key, key_check FROM cases
      WHERE wrapped_key IS NOT NULL AND key_check IS DISTINCT FROM $1
      ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`,
    [newCheck, limit],
  );
}

export async function updateCaseWrap(tx: Sql, id: string, wrappedKey: Buffer, keyCheck: string): Promise<void> {
  await tx.query('UPDATE cases SET wrapped_key = $2, key_check = $3 WHERE id = $1 AND wrapped_key IS NOT NULL', [id, wrappedKey, keyCheck]);
}

export async function countSiteHeaders(sql: Sql, notCheck: string | null): Promise<number> {
  return (await sql.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM crawl_sites WHERE headers_encrypted IS NOT NULL AND ($1::text IS NULL OR headers_key_check IS DISTINCT FROM $1::text)', [notCheck],
  ))[0].n;
}

export async function selectSiteHeadersToReseal(tx: Sql, newCheck: string, limit: number): Promise<Array<{ id: string; name: string; headers_encrypted: Buffer; headers_key_check: string | null }>> {
  return tx.query(
    `SELECT id::text, name, headers_encrypted, headers_key_check FROM crawl_sites
      WHERE headers_encrypted IS NOT NULL AND headers_key_check IS DISTINCT FROM $1
      ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`,
    [newCheck, limit],
  );
}

export async function updateSiteHeaders(tx: Sql, id: string, sealed: Buffer, keyCheck: string): Promise<void> {
  await tx.query('UPDATE crawl_sites SET headers_encrypted = $2, headers_key_check = $3 WHERE id = $1', [id, sealed, keyCheck]);
}
