/**
 * Reminders and escalations. While a URL is not verified removed, a `reminder` goes to the same platform
 * every STAYDOWN_REMIND_AFTER (at most STAYDOWN_MAX_REMINDERS), referencing the original notice and how
 * long it is overdue. After STAYDOWN_ESCALATE_AFTER from the notice, a refusal, or the last reminder, an
 * `escalation` goes to the platform's escalation target (its --escalate-to record; the next one in that
 * chain after another STAYDOWN_ESCALATE_AFTER: the host, then the registrar). Both pass the approval rule
 * of initial notices unless STAYDOWN_AUTO_REMINDERS / STAYDOWN_AUTO_ESCALATIONS lets them go out at once.
 *
 * One pass at a time (an advisory lock), and the counters move in the transaction that drafts the notice:
 * a pass run twice, or by two schedulers, drafts nothing twice.
 */
import {
  lockFollowUps, recordEscalation, recordReminder, selectAwaitingByNotice, selectChainResponses, selectNoticeChain, type TrackedUrlRow,
} from '../../db/queries/monitoring.ts';
import { insertNotice, insertNoticeHistory, insertNoticeItems, selectNoticeById, selectNoticeItems, updateNoticeStatus, type NoticeRow } from '../../db/queries/notices.ts';
import { selectPlatformById, type PlatformRow } from '../../db/queries/platforms.ts';
import type { Sql } from '../../db/sql.ts';
import { channelFor } from '../takedown/index.ts';
import { appendAudit } from '../platform/audit.ts';
import type { MonitoringSettings } from '../platform/config.ts';
import type { ServiceContext } from '../platform/context.ts';
import { escalationPackage } from './escalation-package.ts';
import { MONITOR_ACTOR } from './tracking.ts';

type DueRow = Pick<TrackedUrlRow, 'id' | 'state' | 'notified_at' | 'reminders_sent' | 'last_reminder_at' | 'escalations_sent' | 'last_escalation_at'>;

/** Which URLs of one notice are due a reminder, and which an escalation (pure). */
export function followUpsDue(rows: readonly DueRow[], s: Pick<MonitoringSettings, 'remindAfterMs' | 'escalateAfterMs' | 'maxReminders'>, now: Date): { remind: string[]; escalate: string[] } {
  const remind: string[] = [];
  const escalate: string[] = [];
  const t = now.getTime();
  for (const r of rows) {
    if (r.state === 'removed' || r.state === 'reappeared') continue;
    if (r.escalations_sent === 0) {
      const byTime = t >= r.notified_at.getTime() + s.escalateAfterMs;
      const byReminders = s.maxReminders > 0 && r.reminders_sent >= s.maxReminders && r.last_reminder_at !== null && t >= r.last_reminder_at.getTime() + s.remindAfterMs;
      if (byTime || r.state === 'refused' || byReminders) {
        escalate.push(r.id);
        continue;
      }
    } else if (r.last_escalation_at && t >= r.last_escalation_at.getTime() + s.escalateAfterMs) {
      // The target did not act either: the next one in the chain (host, then registrar).
      escalate.push(r.id);
      continue;
    }
    if (r.state === 'refused' || r.state === 'escalated' || r.escalations_sent > 0) continue;
    if (r.reminders_sent >= s.maxReminders) continue;
    const since = (r.last_reminder_at ?? r.notified_at).getTime();
    if (t >= since + s.remindAfterMs) remind.push(r.id);
  }
  return { remind, escalate };
}

export interface FollowUpResult {
  reminders: number;
  escalations: number;
  /** Notices approved automatically (to be delivered). */
  approved: string[];
  /** Notices waiting for a person's approval. */
  drafted: string[];
  /** Platforms with URLs due an escalation but no target to escalate to: `platform change NAME --escalate-to ...`. */
  noEscalationTarget: string[];
  /** The same platforms with the URLs that are due (staydown proposes a target from their host). */
  missingTargets: Array<{ platformId: string; urls: string[] }>;
}

async function copyItems(tx: Sql, from: NoticeRow, to: string, alertIds: Set<string>): Promise<number> {
  const items = (await selectNoticeItems(tx, [from.id])).filter((i) => alertIds.has(i.alert_id));
  return insertNoticeItems(tx, to, items.map((i) => ({ alertId: i.alert_id, pageUrl: i.page_url, pageUrlWithheld: i.page_url_withheld, mediaUrl: i.media_url, firstSeen: i.first_seen })));
}

async function approveAutomatically(tx: Sql, notice: NoticeRow, original: NoticeRow, policy: string): Promise<void> {
  // The follow-up carries the original's signature: the person who approved the notice it follows up.
  await updateNoticeStatus(tx, notice.id, ['draft'], 'approved', { approvedBy: original.approved_by, approvedByName: original.approved_by_name ?? 'staydown' });
  await insertNoticeHistory(tx, notice.id, 'system', 'approved', { automatic: true, policy });
}

/** The escalation target `level` steps along the platform's escalate_to chain (1: its own target). */
async function escalationTarget(tx: Sql, platform: PlatformRow, level: number): Promise<PlatformRow | null> {
  let p: PlatformRow | null = platform;
  const seen = new Set<string>([platform.id]);
  for (let i = 0; i < level && p; i++) {
    if (!p.escalate_to || seen.has(p.escalate_to)) return null;
    seen.add(p.escalate_to);
    p = await selectPlatformById(tx, p.escalate_to);
  }
  return p;
}

export async function runFollowUps(ctx: ServiceContext, opts: { reminders?: boolean; escalations?: boolean; now?: Date } = {}): Promise<FollowUpResult> {
  const now = opts.now ?? new Date();
  const doRemind = opts.reminders ?? true;
  const doEscalate = opts.escalations ?? true;
  const s = ctx.config.monitoring;
  const result: FollowUpResult = { reminders: 0, escalations: 0, approved: [], drafted: [], noEscalationTarget: [], missingTargets: [] };
  await ctx.sql.transaction(async (tx) => {
    await lockFollowUps(tx);
    const rows = await selectAwaitingByNotice(tx);
    const byNotice = new Map<string, TrackedUrlRow[]>();
    for (const r of rows) byNotice.set(r.current_notice_id, [...(byNotice.get(r.current_notice_id) ?? []), r]);
    for (const [noticeId, group] of byNotice) {
      const all = followUpsDue(group, s, now);
      const due = { remind: doRemind ? all.remind : [], escalate: doEscalate ? all.escalate : [] };
      if (due.remind.length === 0 && due.escalate.length === 0) continue;
      const original = await selectNoticeById(tx, noticeId);
      if (!original || original.status !== 'sent') continue;
      const platform = (await selectPlatformById(tx, original.platform_id))!;
      const caseCode = group[0].case_code;
      // A follow-up still waiting for approval or delivery holds back the next one of its kind: no pile of drafts.
      const pending = (await selectNoticeChain(tx, original.id)).filter((c) => c.status === 'draft' || c.status === 'approved' || c.status === 'sending');
      if (pending.some((c) => c.kind === 'reminder')) due.remind = [];
      if (pending.some((c) => c.kind === 'escalation')) due.escalate = [];
      if (due.remind.length > 0) {
        const step = Math.max(...group.filter((r) => due.remind.includes(r.id)).map((r) => r.reminders_sent)) + 1;
        const n = await insertNotice(tx, { caseId: original.case_id, platformId: original.platform_id, kind: 'reminder', language: original.language, jurisdiction: original.jurisdiction, channel: original.channel, originalNoticeId: original.id });
        await tx.query('UPDATE notices SET follow_up_step = $2 WHERE id = $1', [n.id, step]);
        const items = await copyItems(tx, original, n.id, new Set(group.filter((r) => due.remind.includes(r.id)).map((r) => r.alert_id)));
        const overdueMs = original.deadline ? Math.max(0, now.getTime() - original.deadline.getTime()) : 0;
        await insertNoticeHistory(tx, n.id, 'system', 'drafted', { items, reminder: step, originalNoticeId: original.id, originalReference: original.reference, overdueSeconds: Math.round(overdueMs / 1000) });
        await recordReminder(tx, due.remind);
        if (s.autoReminders) {
          await approveAutomatically(tx, n, original, 'STAYDOWN_AUTO_REMINDERS');
          result.approved.push(n.id);
        } else result.drafted.push(n.id);
        await appendAudit(tx, MONITOR_ACTOR, { action: 'notice.remind', recordType: 'notice', recordId: n.id, caseCode, detail: { originalNoticeId: original.id, items, step, automatic: s.autoReminders } });
        result.reminders++;
      }
      if (due.escalate.length > 0) {
        const rowsDue = group.filter((r) => due.escalate.includes(r.id));
        const level = Math.max(...rowsDue.map((r) => r.escalations_sent)) + 1;
        const target = await escalationTarget(tx, platform, level);
        if (!target) {
          if (level === 1 && !result.noEscalationTarget.includes(platform.name)) result.noEscalationTarget.push(platform.name);
          if (level === 1) result.missingTargets.push({ platformId: platform.id, urls: rowsDue.flatMap((r) => [r.page_url, r.media_url]) });
          continue;
        }
        const n = await insertNotice(tx, { caseId: original.case_id, platformId: target.id, kind: 'escalation', language: target.language, jurisdiction: target.jurisdiction, channel: channelFor(target), originalNoticeId: original.id });
        await tx.query('UPDATE notices SET follow_up_step = $2 WHERE id = $1', [n.id, level]);
        const items = await copyItems(tx, original, n.id, new Set(rowsDue.map((r) => r.alert_id)));
        const chain = await selectNoticeChain(tx, original.id);
        const refs = new Map(chain.map((c) => [c.id, c.reference]));
        const answers = await selectChainResponses(tx, original.id);
        const itemRows = (await selectNoticeItems(tx, [n.id]));
        const pkg = escalationPackage({
          reference: n.reference,
          site: { name: platform.name, jurisdiction: platform.jurisdiction },
          target: { name: target.name, kind: target.kind, jurisdiction: target.jurisdiction },
          urls: itemRows.map((i) => {
            const r = rowsDue.find((x) => x.alert_id === i.alert_id)!;
            return { pageUrl: i.page_url, mediaUrl: i.media_url, firstSeen: i.first_seen, state: r.state, notifiedAt: r.notified_at };
          }),
          notices: chain.filter((c) => c.id !== n.id).map((c) => ({ reference: c.reference, kind: c.kind, platform: c.platform_name, sentAt: c.sent_at })),
          answers: answers.map((a) => ({ at: a.at, answer: a.answer, noticeReference: refs.get(a.notice_id) ?? '', urls: a.urls.length })),
          generatedAt: now,
        });
        await insertNoticeHistory(tx, n.id, 'system', 'drafted', { items, escalation: level, originalNoticeId: original.id, originalReference: original.reference, target: target.name });
        await insertNoticeHistory(tx, n.id, 'system', 'escalation-package', pkg as unknown as Record<string, unknown>);
        await recordEscalation(tx, due.escalate);
        if (s.autoEscalations) {
          await approveAutomatically(tx, n, original, 'STAYDOWN_AUTO_ESCALATIONS');
          result.approved.push(n.id);
        } else result.drafted.push(n.id);
        await appendAudit(tx, MONITOR_ACTOR, { action: 'notice.escalate', recordType: 'notice', recordId: n.id, caseCode, detail: { originalNoticeId: original.id, targetPlatformId: target.id, items, level, type: pkg.type, automatic: s.autoEscalations } });
        result.escalations++;
      }
    }
  });
  return result;
}
