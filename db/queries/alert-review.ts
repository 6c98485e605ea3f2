/** Queries of the alert review (db/migrations/150-review.sql): listing, reading and deciding alerts. */
import type { Sql } from '../sql.ts';

export interface ReviewAlertRow {
  id: string;
  case_id: string;
  case_code: string;
  material_id: string;
  site_id: string;
  site_name: string;
  page_url: string;
  media_url: string;
  media_sha256: string;
  method: string;
  distance: number;
  status: string;
  decided_by: string | null;
  decided_by_name: string | null;
  decided_at: Date | null;
  reject_reason: string | null;
  notice_id: string | null;
  created_at: Date;
  /** created_at in microseconds since the epoch, as text: the exact cursor (a Date keeps milliseconds only). */
  created_us: string;
  first_seen: Date | null;
  last_seen: Date | null;
  /** Keep-it-down (300-monitoring.sql): the material already had a confirmed alert; null: not classified yet. */
  reupload: boolean | null;
  auto_confirmed: boolean;
  /** The matcher's explanation (310-local-features.sql): inliers, region, confidence; null when not stored. */
  match_detail: Record<string, unknown> | null;
}

const SELECT = `SELECT a.id, a.case_id, c.code AS case_code, a.material_id, a.site_id, s.name AS site_name, a.page_url, a.media_url,
    a.media_sha256, a.method, a.distance, a.status, a.decided_by, u.name AS decided_by_name, a.decided_at, a.reject_reason,
    a.notice_id, a.created_at, (extract(epoch FROM a.created_at) * 1000000)::bigint::text AS created_us, m.first_seen, m.last_seen,
    a.reupload, a.auto_confirmed, a.match_detail
  FROM crawl_alerts a
  JOIN cases c ON c.id = a.case_id
  JOIN crawl_sites s ON s.id = a.site_id
  LEFT JOIN users u ON u.id = a.decided_by
  LEFT JOIN crawl_media m ON m.site_id = a.site_id AND m.media_url = a.media_url`;

export interface AlertFilter {
  status?: string;
  siteId?: string;
  caseId?: string;
  /** Only alerts of cases this staff user is assigned to. */
  assignedTo?: string;
  /** Keyset cursor: alerts strictly after this (re-upload first, created_at in microseconds, id) in list order. */
  before?: { reupload?: boolean; createdUs: string; id: string };
  limit: number;
}

/**
 * Re-uploads first (they go to the top of the review queue), then newest first, ties broken by id, so a
 * cursor never skips or repeats an alert.
 */
export async function selectReviewAlerts(sql: Sql, f: AlertFilter): Promise<ReviewAlertRow[]> {
  return sql.query<ReviewAlertRow>(
    `${SELECT}
     WHERE ($1::text IS NULL OR a.status = $1)
       AND ($2::uuid IS NULL OR a.site_id = $2)
       AND ($3::uuid IS NULL OR a.case_id = $3)
       AND ($4::uuid IS NULL OR EXISTS (SELECT 1 FROM case_staff cs WHERE cs.case_id = a.case_id AND cs.user_id = $4))
       AND ($5::bigint IS NULL OR (CASE WHEN a.reupload IS TRUE THEN 1 ELSE 0 END, a.created_at, a.id) < ($8::int, timestamptz 'epoch' + $5::bigint * interval '1 microsecond', $6::uuid))
     ORDER BY CASE WHEN a.reupload IS TRUE THEN 1 ELSE 0 END DESC, a.created_at DESC, a.id DESC LIMIT $7`,
    [f.status ?? null, f.siteId ?? null, f.caseId ?? null, f.assignedTo ?? null, f.before?.createdUs ?? null, f.before?.id ?? null, f.limit, f.before?.reupload ? 1 : 0],
  );
}

export async function selectReviewAlert(sql: Sql, id: string, opts: { forUpdate?: boolean } = {}): Promise<ReviewAlertRow | null> {
  const [row] = await sql.query<ReviewAlertRow>(`${SELECT} WHERE a.id = $1${opts.forUpdate ? ' FOR UPDATE OF a' : ''}`, [id]);
  return row ?? null;
}

export async function isCaseStaff(sql: Sql, caseId: string, userId: string): Promise<boolean> {
  const rows = await sql.query('SELECT 1 FROM case_staff WHERE case_id = $1 AND user_id = $2', [caseId, userId]);
  return rows.length > 0;
}

export interface AlertDecision {
  id: string;
  status: 'confirmed' | 'rejected';
  decidedBy: string | null;
  rejectReason: string | null;
}

/** Records a decision; only an alert still `new` changes (false: it was decided meanwhile). */
export async function updateAlertDecision(sql: Sql, d: AlertDecision): Promise<boolean> {
  const rows = await sql.query(
    `UPDATE crawl_alerts SET status = $2, decided_by = $3, decided_at = now(), reject_reason = $4
     WHERE id = $1 AND status = 'new' RETURNING id`,
    [d.id, d.status, d.decidedBy, d.rejectReason],
  );
  return rows.length > 0;
}

/** Confirmed alerts that no takedown notice covers yet, oldest decision first. */
export async function selectConfirmedWithoutNotice(sql: Sql, limit: number): Promise<ReviewAlertRow[]> {
  return sql.query<ReviewAlertRow>(
    `${SELECT} WHERE a.status = 'confirmed' AND a.notice_id IS NULL ORDER BY a.decided_at, a.id LIMIT $1`,
    [limit],
  );
}
