/**
 * Reviewing match alerts: list them, read one (facts first: case code, material id, where, how it matched,
 * when seen - never victim data), and read its sealed evidence only on request, each read audited.
 * Staff reach the alerts of the cases they are assigned to; operators and admins reach all.
 */
import { selectReviewAlert, selectReviewAlerts, isCaseStaff, type ReviewAlertRow } from '../../db/queries/alert-review.ts';
import { selectCaseByCode } from '../../db/queries/cases.ts';
import { selectEvidence } from '../../db/queries/crawl-alerts.ts';
import { selectSiteByName } from '../../db/queries/crawl-sites.ts';
import { selectMaterialCaseKey } from '../../db/queries/material.ts';
import type { Sql } from '../../db/sql.ts';
import { CORROBORATED_PDQ_THRESHOLD, PDQ_THRESHOLD } from '../../hashing/match/image-policy.ts';
import { normalizeCaseCode } from '../cases/index.ts';
import { needsAssignment, requirePermission, type Permission } from '../platform/access.ts';
import { appendAudit, type Actor } from '../platform/audit.ts';
import type { ServiceContext } from '../platform/context.ts';
import { decrypt, unwrapDataKey } from '../platform/crypto.ts';
import { BadRequestError, ConflictError, NotFoundError } from '../platform/errors.ts';
import { isAlertStatus, type AlertStatus } from './transitions.ts';
import { materialHistories, type MaterialHistory } from '../monitoring/index.ts';

export interface AlertSummary {
  id: string;
  case: string;
  material: string;
  site: string;
  pageUrl: string;
  mediaUrl: string;
  mediaSha256: string;
  method: string;
  distance: number;
  status: string;
  /** The takedown notice this confirmed alert is part of; null until one is drafted. */
  noticeId: string | null;
  createdAt: string;
  decidedAt: string | null;
  /** The material already had a confirmed alert somewhere (services/monitoring re-uploads). */
  reupload: boolean;
  /** Confirmed by the system: the same SHA-256 as media already confirmed for the material. */
  autoConfirmed: boolean;
  /** For re-uploads: the material's history (where and when found, notified, removed; how many times). */
  history?: MaterialHistory;
}

export interface AlertDetail extends AlertSummary {
  /** 0..1: the matcher's own (from `detail`) when the alert stored it, else derived from method and distance. */
  confidence: number;
  /** True when `confidence` was derived from method and distance (alerts without a stored detail). */
  confidenceDerived: boolean;
  /** When the crawler first and last saw the media URL on the site. */
  firstSeen: string | null;
  lastSeen: string | null;
  decision: { status: string; by: string | null; byName: string | null; at: string | null; rejectReason: string | null };
  /**
   * How the match was found, when the matcher said (alerts raised since migration 310): `inliers` of a
   * local-features match, `region` = where in the crawled picture the registered one was found, as
   * fractions {x, y, width, height} of its width and height (the console draws this box), `confidence`.
   */
  detail: Record<string, unknown> | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function alertSummary(r: ReviewAlertRow): AlertSummary {
  return {
    id: r.id, case: r.case_code, material: r.material_id, site: r.site_name, pageUrl: r.page_url, mediaUrl: r.media_url,
    mediaSha256: r.media_sha256, method: r.method, distance: r.distance, status: r.status, noticeId: r.notice_id,
    createdAt: r.created_at.toISOString(), decidedAt: iso(r.decided_at), reupload: r.reupload === true, autoConfirmed: r.auto_confirmed,
  };
}

/** Adds the material's history to the re-uploads among `items`. */
async function withHistories(tx: Sql, items: AlertSummary[]): Promise<AlertSummary[]> {
  const re = items.filter((i) => i.reupload);
  if (re.length === 0) return items;
  const h = await materialHistories(tx, re.map((i) => i.material));
  return items.map((i) => (i.reupload && h.has(i.material) ? { ...i, history: h.get(i.material)! } : i));
}

/**
 * The matcher's confidence, recomputed as hashing/match/image-policy.ts does: 1 for the same bytes, else
 * falling linearly from 1 at distance 0 to 0.5 at the method's threshold.
 */
export function derivedConfidence(method: string, distance: number): number {
  if (method.startsWith('exact')) return 1;
  const threshold = method === 'pdq+blockhash' ? CORROBORATED_PDQ_THRESHOLD : PDQ_THRESHOLD;
  return Math.round(Math.max(0, 1 - (0.5 * distance) / threshold) * 100) / 100;
}

export function alertDetail(r: ReviewAlertRow): AlertDetail {
  return {
    ...alertSummary(r),
    confidence: typeof r.match_detail?.confidence === 'number' ? r.match_detail.confidence : derivedConfidence(r.method, r.distance),
    confidenceDerived: typeof r.match_detail?.confidence !== 'number',
    firstSeen: iso(r.first_seen),
    lastSeen: iso(r.last_seen),
    decision: { status: r.status, by: r.decided_by, byName: r.decided_by_name, at: iso(r.decided_at), rejectReason: r.reject_reason },
    detail: r.match_detail ?? null,
  };
}

/**
 * Loads an alert `actor` may use with `permission`. Staff not assigned to its case get the same answer as
 * for an alert that does not exist, so alert ids cannot be probed.
 */
export async function loadAlertFor(tx: Sql, actor: Actor, id: string, permission: Permission, opts: { forUpdate?: boolean } = {}): Promise<ReviewAlertRow> {
  requirePermission(actor, permission);
  const row = /^[0-9a-f-]{36}$/i.test(id) ? await selectReviewAlert(tx, id, opts) : null;
  if (!row || (needsAssignment(actor, permission) && !(actor.userId && (await isCaseStaff(tx, row.case_id, actor.userId))))) {
    throw new NotFoundError(`There is no alert ${id} that you can access; 'staydown alerts list' or GET /api/v1/alerts lists them.`);
  }
  return row;
}

export interface AlertListOptions {
  status?: string;
  site?: string;
  case?: string;
  after?: string;
  limit?: number;
}

export interface AlertPage {
  items: AlertSummary[];
  /** Pass as `after` for the next page; null on the last page. */
  next: string | null;
}

function encodeCursor(r: ReviewAlertRow): string {
  return Buffer.from(`${r.reupload ? 'r.' : ''}${r.created_us}.${r.id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { reupload: boolean; createdUs: string; id: string } {
  const m = /^(r\.)?(\d{1,19})\.([0-9a-f-]{36})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new BadRequestError(`The cursor '${cursor}' is not one this service gave out; pass the 'next' value of the previous page.`);
  return { reupload: Boolean(m[1]), createdUs: m[2], id: m[3] };
}

export async function listAlerts(ctx: ServiceContext, actor: Actor, opts: AlertListOptions = {}): Promise<AlertPage> {
  requirePermission(actor, 'alert.read');
  if (opts.status !== undefined && !isAlertStatus(opts.status)) throw new BadRequestError(`The status '${opts.status}' is not one of new, confirmed, rejected.`);
  const limit = Math.min(Math.max(opts.limit ?? 100, 1), 1000);
  return ctx.sql.transaction(async (tx) => {
    let siteId: string | undefined;
    if (opts.site !== undefined) {
      const site = await selectSiteByName(tx, opts.site);
      if (!site) throw new NotFoundError(`There is no site named '${opts.site}'; 'staydown site list' shows the sites.`);
      siteId = site.id;
    }
    let caseId: string | undefined;
    if (opts.case !== undefined) {
      const c = await selectCaseByCode(tx, normalizeCaseCode(opts.case));
      if (!c) throw new NotFoundError(`There is no case ${normalizeCaseCode(opts.case)} that you can access.`);
      caseId = c.id;
    }
    const rows = await selectReviewAlerts(tx, {
      status: opts.status as AlertStatus | undefined, siteId, caseId, limit: limit + 1,
      // A staff account without a user id does not exist; the nil uuid matches no assignment.
      assignedTo: needsAssignment(actor, 'alert.read') ? (actor.userId ?? '00000000-0000-0000-0000-000000000000') : undefined,
      before: opts.after ? decodeCursor(opts.after) : undefined,
    });
    const page = rows.slice(0, limit);
    await appendAudit(tx, actor, { action: 'alert.list', recordType: 'alert', detail: { count: page.length, ...(opts.status ? { status: opts.status } : {}) } });
    return { items: await withHistories(tx, page.map(alertSummary)), next: rows.length > limit ? encodeCursor(page[page.length - 1]) : null };
  });
}

export async function getAlert(ctx: ServiceContext, actor: Actor, id: string): Promise<AlertDetail> {
  return ctx.sql.transaction(async (tx) => {
    const row = await loadAlertFor(tx, actor, id, 'alert.read');
    await appendAudit(tx, actor, { action: 'alert.read', recordType: 'alert', recordId: row.id, caseCode: row.case_code });
    const [detail] = await withHistories(tx, [alertDetail(row)]);
    return detail as AlertDetail;
  });
}

export type EvidencePart = 'screenshot' | 'html' | 'thumbnail';

export interface EvidenceSummary {
  alertId: string;
  capturedAt: string;
  /** The media's hashes at capture time (sha256, md5, pdq). */
  hashes: Record<string, string>;
  screenshot: { available: boolean; error: string | null; contentType: 'image/jpeg' };
  html: { available: boolean };
  /** A small JPEG of the candidate media itself (crawls since migration 320; images only). */
  thumbnail: { available: boolean; contentType: 'image/jpeg' };
}

/** What evidence an alert has, and its hashes; the sealed parts are read one by one with `readEvidencePart`. */
export async function getEvidence(ctx: ServiceContext, actor: Actor, id: string): Promise<EvidenceSummary> {
  return ctx.sql.transaction(async (tx) => {
    const alert = await loadAlertFor(tx, actor, id, 'alert.evidence');
    const ev = await selectEvidence(tx, alert.id);
    if (!ev) throw new NotFoundError(`Alert ${alert.id} has no evidence stored.`);
    await appendAudit(tx, actor, { action: 'alert.evidence-read', recordType: 'alert', recordId: alert.id, caseCode: alert.case_code, detail: { part: 'hashes' } });
    return {
      alertId: alert.id, capturedAt: ev.captured_at.toISOString(), hashes: ev.hashes,
      screenshot: { available: ev.screenshot_encrypted !== null, error: ev.screenshot_error, contentType: 'image/jpeg' },
      html: { available: ev.html_encrypted !== null },
      thumbnail: { available: ev.thumbnail_encrypted !== null, contentType: 'image/jpeg' },
    };
  });
}

/** One sealed evidence part, decrypted under the case's data key (AAD as the crawl sealed it); audited. */
export async function readEvidencePart(ctx: ServiceContext, actor: Actor, id: string, part: EvidencePart): Promise<Buffer> {
  return ctx.sql.transaction(async (tx) => {
    const alert = await loadAlertFor(tx, actor, id, 'alert.evidence');
    const ev = await selectEvidence(tx, alert.id);
    const sealed = part === 'screenshot' ? ev?.screenshot_encrypted : part === 'thumbnail' ? ev?.thumbnail_encrypted : ev?.html_encrypted;
    if (!ev || !sealed) {
      const why = part === 'screenshot' && ev?.screenshot_error ? `: ${ev.screenshot_error}` : '.';
      throw new NotFoundError(`Alert ${alert.id} has no evidence ${part === 'html' ? 'page HTML' : part} stored${why}`);
    }
    const key = await selectMaterialCaseKey(tx, alert.material_id);
    if (!key?.wrapped_key) throw new ConflictError(`Case ${alert.case_code} has been erased; its evidence no longer exists.`);
    const bytes = decrypt(unwrapDataKey(ctx.masterKey, key.wrapped_key, key.case_id), sealed, `material:${alert.material_id}:alert-evidence:${part}`);
    await appendAudit(tx, actor, { action: 'alert.evidence-read', recordType: 'alert', recordId: alert.id, caseCode: alert.case_code, detail: { part } });
    return bytes;
  });
}
