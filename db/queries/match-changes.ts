import type { Sql } from '../sql.ts';

/** Held until commit, so change rows commit in `seq` order and a poller reading `seq > last` misses none. */
export const MATCH_CHANGES_LOCK = 7_340_003;

export type MatchChangeOp = 'add' | 'remove' | 'case-on' | 'case-off';

export interface MatchChange {
  seq: number;
  op: MatchChangeOp;
  case_id: string;
  material_id: string | null;
}

export async function recordMatchChange(tx: Sql, op: MatchChangeOp, caseId: string, materialId: string | null = null): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [MATCH_CHANGES_LOCK]);
  await tx.query('INSERT INTO match_changes (op, case_id, material_id) VALUES ($1, $2, $3)', [op, caseId, materialId]);
}

export async function selectMatchChanges(sql: Sql, afterSeq: number, limit: number): Promise<MatchChange[]> {
  return sql.query<MatchChange>(
    'SELECT seq, op, case_id::text, material_id::text FROM match_changes WHERE seq > $1 ORDER BY seq LIMIT $2',
    [afterSeq, limit],
  );
}

export async function latestMatchChange(sql: Sql): Promise<number> {
  const rows = await sql.query<{ seq: number | null }>('SELECT max(seq) AS seq FROM match_changes');
  return rows[0]?.seq ?? 0;
}
