/**
 * A case's timeline for its staff (issue 12): per URL where the material was found, when it was
 * confirmed, every notice sent about it (initial, reminder, escalation), the platform's answers, the
 * verified removal, re-checks, re-appearance, and re-uploads of the same material elsewhere - dated and
 * in order. Access is the case page's: `case.read`, staff only for the cases they are assigned to; the
 * read is audited like the case page (by case code). URLs, platform and site names, references and dates
 * only: nothing of the victim.
 */
import { isStaffAssigned, selectCaseByCode } from '../../db/queries/cases.ts';
import { selectTrackedHistory, selectTrackedUrls } from '../../db/queries/monitoring.ts';
import { selectCaseTimelineAlerts, selectCaseTimelineNotices, selectNoticesTrackedStates } from '../../db/queries/timeline.ts';
import type { Sql } from '../../db/sql.ts';
import { normalizeCaseCode } from '../cases/index.ts';
import { needsAssignment, requirePermission } from '../platform/access.ts';
import { appendAudit, type Actor } from '../platform/audit.ts';
import type { ServiceContext } from '../platform/context.ts';
import { NotFoundError } from '../platform/errors.ts';
import { noticeTrackingState, type NoticeTrackingState, type UrlState } from './url-state.ts';

export const TIMELINE_EVENTS = [
  'found', 'confirmed', 'notified', 'reminded', 'escalated', 'acknowledged', 'removal-claimed', 'refused', 'need-info',
  'deadline-passed', 'removed', 'rechecked', 'still-there', 'check-unknown', 'reappeared', 'reupload',
] as const;
export type TimelineEventKind = (typeof TIMELINE_EVENTS)[number];

export interface TimelineEvent {
  at: string;
  kind: TimelineEventKind;
  /** The notice's reference (notified, reminded, escalated), the platform's name, automatic confirmation. */
  reference?: string;
  platform?: string;
  automatic?: boolean;
  /** For 'reupload': the re-upload's own URL (another entry of this timeline). */
  alertId?: string;
  /** A re-check not yet done is shown as planned. */
  planned?: boolean;
}

export interface TimelineUrl {
  alertId: string;
  /** Short material number (the first 8 characters of its id): which registered file this is. */
  material: string;
  site: string;
  pageUrl: string;
  mediaUrl: string;
  /** The same material was confirmed somewhere before: this is a re-upload. */
  reupload: boolean;
  /** The URL's keep-it-down state; null until a notice about it is sent. */
  state: UrlState | null;
  events: TimelineEvent[];
}

export interface CaseTimeline {
  code: string;
  status: string;
  monitorUntil: string | null;
  urls: TimelineUrl[];
  counts: { urls: number; notified: number; removed: number; reappeared: number; reuploads: number };
}

const NO_USER = '00000000-0000-0000-0000-000000000000';

const HISTORY_KIND: Record<string, TimelineEventKind> = {
  'answer:acknowledged': 'acknowledged', 'answer:removed': 'removal-claimed', 'answer:not-found': 'removal-claimed', 'answer:refused': 'refused',
  'answer:need-info': 'need-info', 'deadline-passed': 'deadline-passed', 'check:unknown': 'check-unknown',
};

/** A history entry as a timeline event (null: shown another way, e.g. the notice itself). */
function historyEvent(h: { at: Date; event: string; from_state: string | null; to_state: string | null }): TimelineEvent | null {
  const at = h.at.toISOString();
  if (h.event === 'check:removed') return { at, kind: h.from_state === 'removed' ? 'rechecked' : 'removed' };
  if (h.event === 'check:present') return { at, kind: h.to_state === 'reappeared' ? 'reappeared' : 'still-there' };
  const kind = HISTORY_KIND[h.event];
  return kind ? { at, kind } : null;
}

export async function caseTimeline(ctx: ServiceContext, actor: Actor, code: string): Promise<CaseTimeline> {
  requirePermission(actor, 'case.read');
  return ctx.sql.transaction(async (tx) => {
    const normalized = normalizeCaseCode(code);
    const c = await selectCaseByCode(tx, normalized);
    if (!c || (needsAssignment(actor, 'case.read') && !(await isStaffAssigned(tx, c.id, actor.userId ?? NO_USER)))) {
      throw new NotFoundError(`There is no case ${normalized} that you can access.`);
    }
    await appendAudit(tx, actor, { action: 'case.read', recordType: 'case', recordId: c.id, caseCode: c.code, detail: { view: 'timeline' } });
    return build(tx, c.id, c.code, c.status, c.monitor_until ?? null);
  });
}

async function build(tx: Sql, caseId: string, code: string, status: string, monitorUntil: Date | null): Promise<CaseTimeline> {
  const alerts = await selectCaseTimelineAlerts(tx, caseId);
  const notices = await selectCaseTimelineNotices(tx, caseId);
  const tracked = await selectTrackedUrls(tx, { caseId });
  const history = await selectTrackedHistory(tx, tracked.map((t) => t.id));
  const urls: TimelineUrl[] = alerts.map((a) => ({
    alertId: a.alert_id, material: a.material_id.slice(0, 8), site: a.site_name, pageUrl: a.page_url, mediaUrl: a.media_url,
    reupload: a.reupload === true, state: null, events: [],
  }));
  const byAlert = new Map(urls.map((u) => [u.alertId, u]));
  for (const a of alerts) {
    const u = byAlert.get(a.alert_id)!;
    u.events.push({ at: a.found_at.toISOString(), kind: 'found' });
    if (a.status === 'confirmed' && a.decided_at) u.events.push({ at: a.decided_at.toISOString(), kind: 'confirmed', ...(a.auto_confirmed ? { automatic: true } : {}) });
  }
  for (const n of notices) {
    const u = byAlert.get(n.alert_id);
    if (!u || n.status !== 'sent' || !n.sent_at) continue;
    const kind: TimelineEventKind = n.kind === 'reminder' ? 'reminded' : n.kind === 'escalation' ? 'escalated' : 'notified';
    u.events.push({ at: n.sent_at.toISOString(), kind, reference: n.reference, platform: n.platform_name });
  }
  const trackedAlert = new Map(tracked.map((t) => [t.id, t.alert_id]));
  for (const h of history) {
    const u = byAlert.get(trackedAlert.get(h.tracked_url_id) ?? '');
    const e = u ? historyEvent(h) : null;
    if (u && e) u.events.push(e);
  }
  for (const t of tracked) {
    const u = byAlert.get(t.alert_id);
    if (!u) continue;
    u.state = t.state;
    // Re-checks that find it still removed change nothing and are kept on the row, not in the history.
    if (t.state === 'removed' && t.last_check_at && t.removed_at && t.last_check_at > t.removed_at) u.events.push({ at: t.last_check_at.toISOString(), kind: 'rechecked' });
    if (t.state === 'removed' && t.next_check_at) u.events.push({ at: t.next_check_at.toISOString(), kind: 'rechecked', planned: true });
  }
  // A re-upload is linked from the first confirmed sighting of the same material.
  for (const a of alerts) {
    if (a.reupload !== true) continue;
    const first = urls.find((u) => u.alertId !== a.alert_id && alerts.find((x) => x.alert_id === u.alertId)!.material_id === a.material_id);
    first?.events.push({ at: a.found_at.toISOString(), kind: 'reupload', alertId: a.alert_id });
  }
  const order = (e: TimelineEvent) => TIMELINE_EVENTS.indexOf(e.kind);
  for (const u of urls) u.events.sort((x, y) => Number(x.planned ?? false) - Number(y.planned ?? false) || x.at.localeCompare(y.at) || order(x) - order(y));
  const has = (u: TimelineUrl, k: TimelineEventKind) => u.events.some((e) => e.kind === k && !e.planned);
  return {
    code, status, monitorUntil: monitorUntil?.toISOString() ?? null, urls,
    counts: {
      urls: urls.length, notified: urls.filter((u) => has(u, 'notified')).length, removed: urls.filter((u) => has(u, 'removed')).length,
      reappeared: urls.filter((u) => has(u, 'reappeared')).length, reuploads: urls.filter((u) => u.reupload).length,
    },
  };
}

/**
 * The keep-it-down state of several notices at once (the console's notices board); a notice not yet
 * sent has none. Not audited: states only, read with the notice list that is.
 */
export async function noticeTrackingStates(sql: Sql, noticeIds: string[]): Promise<Map<string, NoticeTrackingState>> {
  const rows = await selectNoticesTrackedStates(sql, noticeIds);
  const by = new Map<string, UrlState[]>();
  for (const r of rows) by.set(r.notice_id, [...(by.get(r.notice_id) ?? []), r.state as UrlState]);
  return new Map([...by].map(([id, states]) => [id, noticeTrackingState(states)]));
}
