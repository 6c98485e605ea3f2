import type { Sql } from '../sql.ts';

export type CaseStatus = 'open' | 'monitoring' | 'closed' | 'withdrawn' | 'erased';

export interface CaseRow {
  id: string;
  code: string;
  status: CaseStatus;
  wrapped_key: Buffer | null;
  personal: Buffer | null;
  keywords: Buffer | null;
  consent_at: Date | null;
  monitor_until: Date | null;
  keep_evidence: boolean;
  evidence_retention_days: number | null;
  created_at: Date;
  updated_at: Date;
  material_count: number;
}

const CASE_COLUMNS = `c.id::text, c.code, c.status, c.wrapped_key, c.personal, c.keywords, c.consent_at, c.monitor_until,
  c.keep_evidence, c.evidence_retention_days, c.created_at, c.updated_at,
  (SELECT count(*)::int FROM material m WHERE m.case_id = c.id) AS material_count`;

export async function insertCase(
  sql: Sql,
  c: { id: string; code: string; wrappedKey: Buffer; personal: Buffer; keywords: Buffer; consentAt: Date | null; monitorUntil: Date | null; keepEvidence: boolean; evidenceRetentionDays: number | null; createdBy: string | null },
): Promise<void> {
  await sql.query(
    `INSERT INTO cases (id, code, wrapped_key, personal, keywords, consent_at, monitor_until, keep_evidence, evidence_retention_days, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [c.id, c.code, c.wrappedKey, c.personal, c.keywords, c.consentAt?.toISOString() ?? null, c.monitorUntil?.toISOString() ?? null, c.keepEvidence, c.evidenceRetentionDays, c.createdBy],
  );
}

export async function caseCodeExists(sql: Sql, code: string): Promise<boolean> {
  return (await sql.query('SELECT 1 FROM cases WHERE code = $1', [code])).length > 0;
}

export async function selectCaseByCode(sql: Sql, code: string, opts: { forUpdate?: boolean } = {}): Promise<CaseRow | undefined> {
  const rows = await sql.query<CaseRow>(`SELECT ${CASE_COLUMNS} FROM cases c WHERE c.code = $1${opts.forUpdate ? ' FOR UPDATE' : ''}`, [code]);
  return rows[0];
}

/** A page of cases ordered by code; `staffUserId` limits it to the cases that user is assigned to. */
export async function selectCasePage(sql: Sql, opts: { afterCode: string; limit: number; staffUserId?: string; status?: CaseStatus }): Promise<CaseRow[]> {
  return sql.query<CaseRow>(
    `SELECT ${CASE_COLUMNS} FROM cases c
      WHERE c.code > $1
        AND ($3::uuid IS NULL OR EXISTS (SELECT 1 FROM case_staff s WHERE s.case_id = c.id AND s.user_id = $3::uuid))
        AND ($4::text IS NULL OR c.status = $4::text)
      ORDER BY c.code LIMIT $2`,
    [opts.afterCode, opts.limit, opts.staffUserId ?? null, opts.status ?? null],
  );
}

export async function updateCaseFields(
  sql: Sql,
  id: string,
  f: { status?: CaseStatus; personal?: Buffer; keywords?: Buffer; consentAt?: Date | null; monitorUntil?: Date | null; keepEvidence?: boolean; evidenceRetentionDays?: number | null },
): Promise<void> {
  await sql.query(
    `UPDATE cases SET
       status = COALESCE($2, status),
       personal = COALESCE($3, personal),
       keywords = COALESCE($4, keywords),
       consent_at = CASE WHEN $5::boolean THEN $6::timestamptz ELSE consent_at END,
       monitor_until = CASE WHEN $7::boolean THEN $8::timestamptz ELSE monitor_until END,
       keep_evidence = COALESCE($9, keep_evidence),
       evidence_retention_days = CASE WHEN $10::boolean THEN $11::int ELSE evidence_retention_days END,
       updated_at = now()
     WHERE id = $1`,
    [
      id, f.status ?? null, f.personal ?? null, f.keywords ?? null,
      f.consentAt !== undefined, f.consentAt?.toISOString() ?? null,
      f.monitorUntil !== undefined, f.monitorUntil?.toISOString() ?? null,
      f.keepEvidence ?? null,
      f.evidenceRetentionDays !== undefined, f.evidenceRetentionDays ?? null,
    ],
  );
}

/** Crypto-shredding: the key and every ciphertext go, the material with its hashes, URLs and evidence too. */
export async function eraseCaseRows(sql: Sql, id: string): Promise<{ material: number }> {
  const gone = await sql.query<{ n: number }>('WITH d AS (DELETE FROM material WHERE case_id = $1 RETURNING 1) SELECT count(*)::int AS n FROM d', [id]);
  await sql.query('DELETE FROM case_staff WHERE case_id = $1', [id]);
  await sql.query(
    `UPDATE cases SET status = 'erased', wrapped_key = NULL, personal = NULL, keywords = NULL, consent_at = NULL,
       monitor_until = NULL, updated_at = now(), erased_at = now() WHERE id = $1`,
    [id],
  );
  return { material: gone[0]?.n ?? 0 };
}

export async function assignStaff(sql: Sql, caseId: string, userId: string): Promise<void> {
  await sql.query('INSERT INTO case_staff (case_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [caseId, userId]);
}

export async function isStaffAssigned(sql: Sql, caseId: string, userId: string): Promise<boolean> {
  return (await sql.query('SELECT 1 FROM case_staff WHERE case_id = $1 AND user_id = $2', [caseId, userId])).length > 0;
}

export async function selectCaseStaff(sql: Sql, caseId: string): Promise<string[]> {
  return (await sql.query<{ user_id: string }>('SELECT user_id::text FROM case_staff WHERE case_id = $1 ORDER BY user_id', [caseId])).map((r) => r.user_id);
}

export interface MonitoredCaseKeywordsRow {
  id: string;
  code: string;
  wrapped_key: Buffer;
  keywords: Buffer;
}

/**
 * The cases being monitored right now, with their (encrypted) keywords: open or monitoring, not erased
 * (a key to read them with), and either no monitoring period set or one that has not ended yet.
 */
export async function selectMonitoredCaseKeywords(sql: Sql): Promise<MonitoredCaseKeywordsRow[]> {
  return sql.query<MonitoredCaseKeywordsRow>(
    `SELECT id::text, code, wrapped_key, keywords FROM cases
      WHERE status IN ('open', 'monitoring') AND wrapped_key IS NOT NULL AND keywords IS NOT NULL
        AND (monitor_until IS NULL OR monitor_until > now())
      ORDER BY code`,
  );
}
