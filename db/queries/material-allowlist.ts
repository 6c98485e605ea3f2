/** Queries on the per-material allowlist of rejected candidates (db/migrations/150-review.sql). */
import type { Sql } from '../sql.ts';

export interface AllowlistRow {
  material_id: string;
  sha256: string;
  pdq: string[];
}

/** Adds the entry; null when the same bytes were already allowlisted for the material (same hashes too). */
export async function insertAllowlistEntry(sql: Sql, e: { materialId: string; sha256: string; pdq: string[]; alertId: string | null; createdBy: string | null }): Promise<number | null> {
  const [row] = await sql.query<{ id: number }>(
    `INSERT INTO material_allowlist (material_id, sha256, pdq, alert_id, created_by) VALUES ($1, $2, $3::text[], $4, $5)
     ON CONFLICT (material_id, sha256) DO NOTHING RETURNING id`,
    [e.materialId, e.sha256, e.pdq, e.alertId, e.createdBy],
  );
  return row?.id ?? null;
}

export async function selectAllowlist(sql: Sql, materialIds: readonly string[]): Promise<AllowlistRow[]> {
  return sql.query<AllowlistRow>('SELECT material_id, sha256, pdq FROM material_allowlist WHERE material_id = ANY($1::uuid[])', [materialIds]);
}

/**
 * A number that grows whenever an entry is added: a cache of entries is current while it is unchanged.
 * (Entries are removed only with their material, which then no longer matches at all.)
 */
export async function allowlistVersion(sql: Sql): Promise<number> {
  const [row] = await sql.query<{ v: number }>('SELECT coalesce(max(id), 0)::int AS v FROM material_allowlist');
  return row.v;
}
