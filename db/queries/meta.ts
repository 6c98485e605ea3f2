import type { Sql } from '../sql.ts';

export async function getMeta(sql: Sql, key: string): Promise<string | undefined> {
  const rows = await sql.query<{ value: string }>('SELECT value FROM service_meta WHERE key = $1', [key]);
  return rows[0]?.value;
}

export async function insertMetaIfAbsent(sql: Sql, key: string, value: string): Promise<void> {
  await sql.query('INSERT INTO service_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, value]);
}

/** The database answers (the readiness check). */
export async function ping(sql: Sql): Promise<boolean> {
  return (await sql.query('SELECT 1 AS ok')).length === 1;
}
