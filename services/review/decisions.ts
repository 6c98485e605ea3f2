/**
 * Deciding alerts: confirm (it is the material) or reject (it is not, with a reason; optionally the media
 * goes on the material's allowlist so the same false candidate never alerts again). A batch is one
 * transaction: every alert in it is decided, or - when one cannot be - none is. Every decision is audited
 * with who and when, ids only (the reason text stays in crawl_alerts, never in the audit log).
 *
 * Takedown collects its work with `confirmedAlertsWithoutNotice` (confirmed, notice_id NULL) rather than
 * through a callback: a callback after commit is lost if the process dies in between, a query is not.
 */
import { selectConfirmedWithoutNotice, selectReviewAlert, updateAlertDecision, type ReviewAlertRow } from '../../db/queries/alert-review.ts';
import { fingerprintBySha256 } from '../../db/queries/crawl-media.ts';
import { insertAllowlistEntry } from '../../db/queries/material-allowlist.ts';
import type { Sql } from '../../db/sql.ts';
import { appendAudit, type Actor } from '../platform/audit.ts';
import type { ServiceContext } from '../platform/context.ts';
import { BadRequestError, ConflictError } from '../platform/errors.ts';
import { alertSummary, loadAlertFor, type AlertSummary } from './alerts.ts';
import { allowlistHashes } from './allowlist.ts';
import { transition, type Decision } from './transitions.ts';

export interface RejectOptions {
  reason: string;
  /** Put the media on the material's allowlist (exact SHA-256 and its PDQ hashes). */
  allowlist?: boolean;
}

export interface RejectedAlert extends AlertSummary {
  /** What was allowlisted for the material, when asked: the SHA-256 and this many PDQ hashes. */
  allowlisted: { sha256: string; pdqHashes: number } | null;
}

function checkIds(ids: readonly string[]): string[] {
  if (ids.length === 0) throw new BadRequestError('Name at least one alert id to decide.');
  if (ids.length > 500) throw new BadRequestError(`At most 500 alerts are decided at once, not ${ids.length}; split the list.`);
  return [...new Set(ids)];
}

async function decide(tx: Sql, actor: Actor, id: string, decision: Decision): Promise<ReviewAlertRow> {
  const row = await loadAlertFor(tx, actor, id, 'alert.decide', { forUpdate: true });
  const t = transition(row.id, row.status, decision);
  if (!t.ok) throw new ConflictError(t.why);
  return row;
}

/** Confirms alerts (all or none); returns them as confirmed. */
export async function confirmAlerts(ctx: ServiceContext, actor: Actor, ids: readonly string[]): Promise<AlertSummary[]> {
  const unique = checkIds(ids);
  return ctx.sql.transaction(async (tx) => {
    const out: AlertSummary[] = [];
    for (const id of unique) {
      const row = await decide(tx, actor, id, 'confirm');
      if (!(await updateAlertDecision(tx, { id: row.id, status: 'confirmed', decidedBy: actor.userId, rejectReason: null }))) {
        throw new ConflictError(`Alert ${row.id} was decided by someone else just now; list it again.`);
      }
      await appendAudit(tx, actor, { action: 'alert.confirm', recordType: 'alert', recordId: row.id, caseCode: row.case_code, detail: { material: row.material_id, site: row.site_id } });
      out.push(alertSummary((await selectReviewAlert(tx, row.id))!));
    }
    return out;
  });
}

/** Rejects alerts (all or none) with a reason, optionally allowlisting each one's media for its material. */
export async function rejectAlerts(ctx: ServiceContext, actor: Actor, ids: readonly string[], opts: RejectOptions): Promise<RejectedAlert[]> {
  const unique = checkIds(ids);
  const reason = opts.reason?.trim() ?? '';
  if (!reason) throw new BadRequestError('A rejection needs a reason that is recorded (for example "a different person" or "a stock photo").');
  if (reason.length > 2000) throw new BadRequestError(`The reason is ${reason.length} characters long; keep it under 2000.`);
  return ctx.sql.transaction(async (tx) => {
    const out: RejectedAlert[] = [];
    for (const id of unique) {
      const row = await decide(tx, actor, id, 'reject');
      let allowlisted: RejectedAlert['allowlisted'] = null;
      if (opts.allowlist) {
        if (row.method.startsWith('exact')) {
          throw new ConflictError(
            `Alert ${row.id} matched the registered file byte for byte (${row.method}), so its media cannot be allowlisted: that would hide the material itself. Reject it without --allowlist, and if the registered file is wrong, have case staff remove it.`,
          );
        }
        // The crawler keeps each downloaded file's fingerprint by SHA-256; without it only the bytes are allowlisted.
        const fp = await fingerprintBySha256(tx, row.media_sha256);
        const pdq = fp ? allowlistHashes(fp) : [];
        await insertAllowlistEntry(tx, { materialId: row.material_id, sha256: row.media_sha256, pdq, alertId: row.id, createdBy: actor.userId });
        allowlisted = { sha256: row.media_sha256, pdqHashes: pdq.length };
      }
      if (!(await updateAlertDecision(tx, { id: row.id, status: 'rejected', decidedBy: actor.userId, rejectReason: reason }))) {
        throw new ConflictError(`Alert ${row.id} was decided by someone else just now; list it again.`);
      }
      await appendAudit(tx, actor, {
        action: 'alert.reject', recordType: 'alert', recordId: row.id, caseCode: row.case_code,
        detail: { material: row.material_id, site: row.site_id, allowlisted: allowlisted !== null, ...(allowlisted ? { pdqHashes: allowlisted.pdqHashes } : {}) },
      });
      out.push({ ...alertSummary((await selectReviewAlert(tx, row.id))!), allowlisted });
    }
    return out;
  });
}

/** A confirmed alert as takedown needs it: where the material is, how it matched, when it was seen. */
export interface ConfirmedAlert {
  id: string;
  caseId: string;
  caseCode: string;
  materialId: string;
  siteId: string;
  site: string;
  pageUrl: string;
  mediaUrl: string;
  mediaSha256: string;
  method: string;
  distance: number;
  decidedAt: Date;
  decidedBy: string | null;
  firstSeen: Date | null;
  lastSeen: Date | null;
}

/** Confirmed alerts no takedown notice covers yet (notice_id NULL), oldest decision first. Not audited: ids only. */
export async function confirmedAlertsWithoutNotice(sql: Sql, limit = 500): Promise<ConfirmedAlert[]> {
  const rows = await selectConfirmedWithoutNotice(sql, limit);
  return rows.map((r) => ({
    id: r.id, caseId: r.case_id, caseCode: r.case_code, materialId: r.material_id, siteId: r.site_id, site: r.site_name,
    pageUrl: r.page_url, mediaUrl: r.media_url, mediaSha256: r.media_sha256, method: r.method, distance: r.distance,
    decidedAt: r.decided_at!, decidedBy: r.decided_by, firstSeen: r.first_seen, lastSeen: r.last_seen,
  }));
}
