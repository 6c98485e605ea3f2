/**
 * Drafting: confirmed alerts become draft notices. The alerts of one case on one platform gather into
 * one draft; new confirmed alerts join the open draft until it is approved. An alert goes to the platform
 * of its page, and also to the platform of its media URL when that is another registered platform (a
 * CDN gets its own notice). An alert no platform covers waits in the "no recipient" list.
 *
 * A page URL carrying the victim's name or a keyword (a search results page) is withheld from the notice;
 * an alert whose media URL carries one is held back from notices altogether and listed with that reason.
 *
 * Runs one at a time (an advisory lock), right after a confirmation and from the periodic `notice-draft`
 * job, so an alert confirmed while a run is under way is taken by the next one.
 */
import { casePrivacyCheck } from '../cases/index.ts';
import {
  insertNotice, insertNoticeHistory, insertNoticeItems, lockDrafting, refreshDraft, selectAlertPlatforms, selectOpenDraft,
  selectPendingAlerts, setAlertsNotice, type NewNoticeItem, type PendingAlertRow,
} from '../../db/queries/notices.ts';
import { selectPlatforms, type PlatformRow } from '../../db/queries/platforms.ts';
import type { Sql } from '../../db/sql.ts';
import { can } from '../platform/access.ts';
import { appendAudit, type Actor } from '../platform/audit.ts';
import type { ServiceContext } from '../platform/context.ts';
import { buildDirectory, routeUrls, urlHost, type PlatformDirectory } from './platform-domains.ts';
import { getDomain } from 'tldts';
import { requirePermission } from '../platform/access.ts';
import { channelFor } from './channel.ts';

/** Drafting as a system process (the periodic job), not a person. */
export const DRAFTING_ACTOR: Actor = { userId: null, name: 'system', role: 'admin', source: 'notice-draft' };

export { channelFor };

export function platformDirectory(platforms: PlatformRow[]): PlatformDirectory<PlatformRow> {
  return buildDirectory(platforms.map((p) => ({ platform: p, domains: p.domains })));
}

export interface DraftResult {
  /** New draft notices. */
  drafted: number;
  /** Open drafts that got new items. */
  extended: number;
  /** Items added over all notices. */
  items: number;
  /** Alerts no platform covers (they wait in the no-recipient list). */
  noRecipient: number;
  /** Alerts held back because their media URL carries personal data. */
  heldBack: number;
  /** Page URLs withheld from notices because they carry personal data. */
  pageUrlsWithheld: number;
  /** The notices drafted or extended. */
  noticeIds: string[];
}

type PrivacyCheck = (text: string) => boolean;

async function privacyChecks(tx: Sql, ctx: ServiceContext, actor: Actor, alerts: PendingAlertRow[], purpose: string): Promise<Map<string, PrivacyCheck>> {
  const checks = new Map<string, PrivacyCheck>();
  for (const a of alerts) {
    if (!checks.has(a.case_id)) checks.set(a.case_id, await casePrivacyCheck(tx, ctx.masterKey, actor, a.case_code, purpose));
  }
  return checks;
}

export async function draftNotices(ctx: ServiceContext, actor: Actor = DRAFTING_ACTOR): Promise<DraftResult> {
  requirePermission(actor, 'notice.approve');
  return ctx.sql.transaction(async (tx) => {
    await lockDrafting(tx);
    const result: DraftResult = { drafted: 0, extended: 0, items: 0, noRecipient: 0, heldBack: 0, pageUrlsWithheld: 0, noticeIds: [] };
    const pending = await selectPendingAlerts(tx);
    if (pending.length === 0) return result;
    const dir = platformDirectory(await selectPlatforms(tx));
    const taken = new Map<string, string>();
    for (const t of await selectAlertPlatforms(tx, pending.map((a) => a.id))) taken.set(`${t.alert_id}|${t.platform_id}`, t.notice_id);
    const checks = await privacyChecks(tx, ctx, actor, pending, 'notice-draft');

    interface Group { caseId: string; caseCode: string; platform: PlatformRow; items: NewNoticeItem[]; primary: string[] }
    const groups = new Map<string, Group>();
    const alreadyTaken: Array<{ alertId: string; noticeId: string }> = [];
    const group = (a: PendingAlertRow, p: PlatformRow): Group => {
      const key = `${a.case_id}|${p.id}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { caseId: a.case_id, caseCode: a.case_code, platform: p, items: [], primary: [] }));
      return g;
    };
    for (const a of pending) {
      const carries = checks.get(a.case_id)!;
      if (carries(a.media_url)) {
        result.heldBack++;
        continue;
      }
      const withheld = carries(a.page_url);
      const item: NewNoticeItem = { alertId: a.id, pageUrl: withheld ? null : a.page_url, pageUrlWithheld: withheld, mediaUrl: a.media_url, firstSeen: a.first_seen };
      const { page, media } = routeUrls(dir, a.page_url, a.media_url);
      if (!page) result.noRecipient++;
      for (const [p, primary] of [[page, true], [media, false]] as const) {
        if (!p) continue;
        const existing = taken.get(`${a.id}|${p.id}`);
        if (existing) {
          if (primary) alreadyTaken.push({ alertId: a.id, noticeId: existing });
          continue;
        }
        const g = group(a, p);
        g.items.push(item);
        if (withheld) result.pageUrlsWithheld++;
        if (primary) g.primary.push(a.id);
      }
    }
    for (const t of alreadyTaken) await setAlertsNotice(tx, [t.alertId], t.noticeId);

    for (const g of groups.values()) {
      const refresh = { language: g.platform.language, jurisdiction: g.platform.jurisdiction, channel: channelFor(g.platform) };
      let notice = await selectOpenDraft(tx, g.caseId, g.platform.id);
      const created = !notice;
      if (notice) await refreshDraft(tx, notice.id, refresh);
      else notice = await insertNotice(tx, { caseId: g.caseId, platformId: g.platform.id, kind: 'initial', ...refresh });
      const added = await insertNoticeItems(tx, notice.id, g.items);
      await setAlertsNotice(tx, g.primary, notice.id);
      await insertNoticeHistory(tx, notice.id, actor.userId ?? 'system', created ? 'drafted' : 'extended', { items: added, platformId: g.platform.id });
      await appendAudit(tx, actor, { action: created ? 'notice.draft' : 'notice.extend', recordType: 'notice', recordId: notice.id, caseCode: g.caseCode, detail: { items: added, platformId: g.platform.id } });
      if (created) result.drafted++;
      else result.extended++;
      result.items += added;
      result.noticeIds.push(notice.id);
    }
    return result;
  });
}

export interface UnroutedAlert {
  alertId: string;
  /** null for callers who may not see victim data, when the URL carries personal data. */
  pageUrl: string | null;
  mediaUrl: string | null;
  /** The page's registrable domain: what `platform propose` takes. */
  domain: string | null;
  reason: 'no-platform' | 'personal-data-in-url';
  firstSeen: string;
}

/**
 * Confirmed alerts no notice can take: their page's host has no platform (propose one from RDAP and add
 * it), or their media URL carries personal data (handle by hand).
 */
export async function listUnroutedAlerts(ctx: ServiceContext, actor: Actor): Promise<UnroutedAlert[]> {
  requirePermission(actor, 'notice.read');
  return ctx.sql.transaction(async (tx) => {
    const pending = await selectPendingAlerts(tx, { staffUserId: actor.role === 'staff' ? actor.userId ?? '00000000-0000-0000-0000-000000000000' : undefined });
    const dir = platformDirectory(await selectPlatforms(tx));
    const checks = await privacyChecks(tx, ctx, actor, pending, 'notice-unrouted');
    const seesVictimData = can(actor.role, 'case.read');
    const out: UnroutedAlert[] = [];
    for (const a of pending) {
      const host = urlHost(a.page_url);
      const domain = host ? getDomain(host) ?? host : null;
      if (checks.get(a.case_id)!(a.media_url)) {
        out.push({ alertId: a.id, pageUrl: seesVictimData ? a.page_url : null, mediaUrl: seesVictimData ? a.media_url : null, domain, reason: 'personal-data-in-url', firstSeen: a.first_seen.toISOString() });
      } else if (!routeUrls(dir, a.page_url, a.media_url).page) {
        const withheld = checks.get(a.case_id)!(a.page_url);
        out.push({ alertId: a.id, pageUrl: withheld && !seesVictimData ? null : a.page_url, mediaUrl: a.media_url, domain, reason: 'no-platform', firstSeen: a.first_seen.toISOString() });
      }
    }
    await appendAudit(tx, actor, { action: 'notice.unrouted.list', recordType: 'alert', detail: { count: out.length } });
    return out;
  });
}
