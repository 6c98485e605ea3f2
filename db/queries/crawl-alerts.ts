/** Queries on match alerts and their evidence (db/migrations/100-crawler.sql). */
import type { Sql } from '../sql.ts';

export async function alertExists(sql: Sql, materialId: string, mediaUrl: string): Promise<boolean> {
  const rows = await sql.query('SELECT 1 FROM crawl_alerts WHERE material_id = $1 AND media_url = $2', [materialId, mediaUrl]);
  return rows.length > 0;
}

export interface NewAlert {
  /** The case is the material's own (looked up in the same statement). */
  materialId: string;
  siteId: string;
  runId: string | null;
  pageUrl: string;
  mediaUrl: string;
  mediaSha256: string;
  method: string;
  distance: number;
  /** The matcher's explanation (inliers, region, confidence), or null. */
  detail?: object | null;
}

export interface NewEvidence {
  capturedAt: Date;
  screenshotEncrypted: Buffer | null;
  screenshotError: string | null;
  htmlEncrypted: Buffer | null;
  /** The candidate's sealed thumbnail (db/migrations/320-review-thumbnail.sql). */
  thumbnailEncrypted?: Buffer | null;
  hashes: object;
}

/** Inserts the alert and its evidence in one transaction; null when the alert already existed. */
export async function insertAlertWithEvidence(sql: Sql, a: NewAlert, e: NewEvidence): Promise<string | null> {
  return sql.transaction(async (tx) => {
    const [row] = await tx.query<{ id: string }>(
      `INSERT INTO crawl_alerts (case_id, material_id, site_id, run_id, page_url, media_url, media_sha256, method, distance, match_detail)
       SELECT m.case_id, m.id, $2, $3, $4, $5, $6, $7, $8, $9::jsonb FROM material m WHERE m.id = $1
       ON CONFLICT (material_id, media_url) DO NOTHING RETURNING id`,
      [a.materialId, a.siteId, a.runId, a.pageUrl, a.mediaUrl, a.mediaSha256, a.method, Math.round(a.distance), a.detail ? JSON.stringify(a.detail) : null],
    );
    if (!row) return null;
    await tx.query(
      `INSERT INTO crawl_alert_evidence (alert_id, captured_at, screenshot_encrypted, screenshot_error, html_encrypted, hashes, thumbnail_encrypted)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)`,
      [row.id, e.capturedAt, e.screenshotEncrypted, e.screenshotError, e.htmlEncrypted, JSON.stringify(e.hashes), e.thumbnailEncrypted ?? null],
    );
    return row.id;
  });
}

export interface AlertListRow {
  id: string;
  case_code: string;
  material_id: string;
  site_name: string;
  page_url: string;
  media_url: string;
  media_sha256: string;
  method: string;
  distance: number;
  status: string;
  created_at: Date;
}

export async function selectAlerts(sql: Sql, opts: { limit?: number; siteId?: string } = {}): Promise<AlertListRow[]> {
  return sql.query<AlertListRow>(
    `SELECT a.id, c.code AS case_code, a.material_id, s.name AS site_name, a.page_url, a.media_url, a.media_sha256, a.method, a.distance, a.status, a.created_at
     FROM crawl_alerts a JOIN cases c ON c.id = a.case_id JOIN crawl_sites s ON s.id = a.site_id
     WHERE ($1::uuid IS NULL OR a.site_id = $1)
     ORDER BY a.created_at DESC, a.id LIMIT $2`,
    [opts.siteId ?? null, opts.limit ?? 1000],
  );
}

export interface EvidenceRow {
  alert_id: string;
  case_id: string;
  captured_at: Date;
  screenshot_encrypted: Buffer | null;
  screenshot_error: string | null;
  html_encrypted: Buffer | null;
  thumbnail_encrypted: Buffer | null;
  hashes: Record<string, string>;
}

export async function selectEvidence(sql: Sql, alertId: string): Promise<EvidenceRow | null> {
  const [row] = await sql.query<EvidenceRow>(
    `SELECT e.*, a.case_id FROM crawl_alert_evidence e JOIN crawl_alerts a ON a.id = e.alert_id WHERE e.alert_id = $1`,
    [alertId],
  );
  return row ?? null;
}
