/**
 * Statistics from the database: the rows of a period, computed by compute.ts. Reading them is audited
 * (who asked for which period); they hold no victim data, so admins, staff and auditors may read them.
 */
import { selectStatsAlerts, selectStatsCases, selectStatsMaterial, selectStatsNotices, selectStatsUrls } from '../../db/queries/stats.ts';
import { requirePermission } from '../platform/access.ts';
import { appendAudit, type Actor } from '../platform/audit.ts';
import type { ServiceContext } from '../platform/context.ts';
import { BadRequestError } from '../platform/errors.ts';
import { computeStats, type Stats } from './compute.ts';

export interface StatsQuery {
  from?: string;
  to?: string;
  platform?: string;
  public?: boolean;
}

/** A date (YYYY-MM-DD, UTC) or a full ISO time; `to` dates are inclusive days. */
export function parseStatsDate(raw: string, what: 'from' | 'to'): Date {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(raw);
  const d = new Date(day ? `${raw}T00:00:00Z` : raw);
  if (Number.isNaN(d.getTime())) throw new BadRequestError(`--${what} '${raw}' is not a date: write it as YYYY-MM-DD (UTC) or as an ISO time.`);
  return day && what === 'to' ? new Date(d.getTime() + 86_400_000) : d;
}

export async function getStats(ctx: ServiceContext, actor: Actor, q: StatsQuery = {}, now: Date = new Date()): Promise<Stats> {
  requirePermission(actor, 'stats.read');
  const to = q.to ? parseStatsDate(q.to, 'to') : now;
  const from = q.from ? parseStatsDate(q.from, 'from') : new Date(Date.UTC(to.getUTCFullYear() - 1, to.getUTCMonth(), to.getUTCDate()));
  if (from >= to) throw new BadRequestError(`The period is empty: --from (${from.toISOString()}) must come before --to (${to.toISOString()}).`);
  return ctx.sql.transaction(async (tx) => {
    const [notices, urls, cases, material, alerts] = await Promise.all([
      selectStatsNotices(tx, from, to), selectStatsUrls(tx, from, to), selectStatsCases(tx, from, to), selectStatsMaterial(tx, from, to), selectStatsAlerts(tx, from, to),
    ]);
    await appendAudit(tx, actor, { action: 'stats.read', recordType: 'stats', detail: { from: from.toISOString(), to: to.toISOString(), public: q.public === true, ...(q.platform ? { platform: q.platform } : {}) } });
    return computeStats(
      {
        notices: notices.map((n) => ({ platform: n.platform, kind: n.kind, sentAt: n.sent_at })),
        urls: urls.map((u) => ({ platform: u.platform, firstNotifiedAt: u.first_notified_at, firstRemovedAt: u.first_removed_at, everRefused: u.ever_refused, everAnswered: u.ever_answered, reupload: u.reupload })),
        cases: cases.map((c) => ({ createdAt: c.created_at })),
        material: material.map((m) => ({ createdAt: m.created_at })),
        alerts: alerts.map((a) => ({ createdAt: a.created_at, status: a.status, decidedAt: a.decided_at, reupload: a.reupload })),
      },
      { from, to },
      { public: q.public === true, ...(q.platform ? { platform: q.platform } : {}), now },
    );
  });
}
