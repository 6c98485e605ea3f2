import type { Sql } from '../sql.ts';

/** Serialises appends so each row's `prev_hash` is the row before it (held until the transaction ends). */
export const AUDIT_LOCK = 7_340_002;

export interface AuditRow {
  seq: number;
  at: Date;
  actor_id: string | null;
  actor: string;
  action: string;
  record_type: string;
  record_id: string | null;
  case_code: string | null;
  source: string;
  detail: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

export async function lockAuditTail(sql: Sql): Promise<{ seq: number; hash: string } | undefined> {
  await sql.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_LOCK]);
  const rows = await sql.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
  return rows[0];
}

/** Several rows in one statement (their hashes already chained by the caller). */
export async function insertAuditRows(sql: Sql, rows: readonly AuditRow[]): Promise<void> {
  if (rows.length === 0) return;
  await sql.query(
    `INSERT INTO audit_log (seq, at, actor_id, actor, action, record_type, record_id, case_code, source, detail, prev_hash, hash)
     SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::jsonb[], $11::text[], $12::text[])`,
    [rows.map((r) => r.seq), rows.map((r) => r.at.toISOString()), rows.map((r) => r.actor_id), rows.map((r) => r.actor), rows.map((r) => r.action),
      rows.map((r) => r.record_type), rows.map((r) => r.record_id), rows.map((r) => r.case_code), rows.map((r) => r.source),
      rows.map((r) => JSON.stringify(r.detail)), rows.map((r) => r.prev_hash), rows.map((r) => r.hash)],
  );
}

export async function insertAuditRow(sql: Sql, row: AuditRow): Promise<void> {
  await sql.query(
    `INSERT INTO audit_log (seq, at, actor_id, actor, action, record_type, record_id, case_code, source, detail, prev_hash, hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12)`,
    [row.seq, row.at.toISOString(), row.actor_id, row.actor, row.action, row.record_type, row.record_id, row.case_code, row.source, JSON.stringify(row.detail), row.prev_hash, row.hash],
  );
}

export async function selectAuditPage(sql: Sql, afterSeq: number, limit: number): Promise<AuditRow[]> {
  return sql.query<AuditRow>(
    `SELECT seq, at, actor_id::text, actor, action, record_type, record_id, case_code, source, detail, prev_hash, hash
       FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2`,
    [afterSeq, limit],
  );
}

export interface AuditFilter {
  action?: string;
  actor?: string;
  caseCode?: string;
  from?: Date;
  to?: Date;
  /** Rows before this sequence number (paging backwards from the newest). */
  beforeSeq?: number;
  limit: number;
}

/** Newest first, narrowed by the filter (action and actor match as prefixes). */
export async function selectAuditFiltered(sql: Sql, f: AuditFilter): Promise<AuditRow[]> {
  const where: string[] = [];
  const values: unknown[] = [];
  const add = (cond: (n: string) => string, v: unknown) => {
    values.push(v);
    where.push(cond(`$${values.length}`));
  };
  if (f.action) add((p) => `starts_with(action, ${p})`, f.action);
  if (f.actor) add((p) => `starts_with(actor, ${p})`, f.actor);
  if (f.caseCode) add((p) => `case_code = ${p}`, f.caseCode);
  if (f.from) add((p) => `at >= ${p}`, f.from.toISOString());
  if (f.to) add((p) => `at <= ${p}`, f.to.toISOString());
  if (f.beforeSeq) add((p) => `seq < ${p}`, f.beforeSeq);
  values.push(f.limit);
  return sql.query<AuditRow>(
    `SELECT seq, at, actor_id::text, actor, action, record_type, record_id, case_code, source, detail, prev_hash, hash
       FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT $${values.length}`,
    values as never,
  );
}
