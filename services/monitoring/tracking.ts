/**
 * Tracked URLs in the database: tracking starts when an initial notice is sent; platform answers, check
 * results, reminders and escalations are events through the state table (url-state.ts); the next check
 * follows from the schedule (schedule.ts). Every transition is kept in tracked_url_history with who or
 * what caused it ('check', 'platform', 'system') and audited by case code, ids only.
 */
import {
  insertTrackedFromSentNotices, insertTrackedHistory, selectPassedDeadlines, selectRenotified, selectUnrecordedFollowUps, trackedHistoryExists, selectTrackedUrl, selectUnappliedAnswers, stopChecksOfEndedCases,
  updateTracked, type TrackedUrlRow, type TrackedUpdate,
} from '../../db/queries/monitoring.ts';
import type { Sql } from '../../db/sql.ts';
import { appendAudit, type Actor } from '../platform/audit.ts';
import type { MonitoringSettings } from '../platform/config.ts';
import type { ServiceContext } from '../platform/context.ts';
import { nextCheckAt } from './schedule.ts';
import { eventName, transitionUrl, type UrlEvent, type UrlTransition } from './url-state.ts';
import { draftRenotice } from './renotice.ts';

/** The monitoring as a system process (its jobs and `monitor run`), not a person. */
export const MONITOR_ACTOR: Actor = { userId: null, name: 'system', role: 'admin', source: 'monitoring' };

/** Who caused an event, as the history records it. */
export type EventActor = 'check' | 'platform' | 'system';

export interface AppliedEvent {
  transition: UrlTransition;
  /** A new notice drafted for re-appeared content. */
  renoticeId: string | null;
}

function baseUpdate(row: TrackedUrlRow): TrackedUpdate {
  return {
    state: row.state, stateChanged: false, nextCheckAt: row.next_check_at, unknownStreak: row.unknown_streak,
    removedAt: row.removed_at, recheckStep: row.recheck_step,
  };
}

/**
 * Applies one event to a tracked URL inside `tx` (the row locked by the caller): the state, the check
 * schedule, the history and the audit. `extra` carries what the event brings (a check's result and
 * reason, an answer's response id, a re-notice).
 */
export async function applyEvent(
  tx: Sql,
  ctx: ServiceContext,
  row: TrackedUrlRow,
  event: UrlEvent,
  by: EventActor,
  extra: { reason?: string; responseId?: string; noticeId?: string; notifiedAt?: Date; detail?: Record<string, unknown> } = {},
): Promise<AppliedEvent> {
  const settings = ctx.config.monitoring;
  const now = new Date();
  const t = transitionUrl(row.state, event);
  const u = baseUpdate(row);
  u.state = t.to;
  u.stateChanged = t.changed;
  if (event.type === 'check') {
    u.lastCheckAt = now;
    u.lastCheckResult = event.result;
    u.lastCheckReason = extra.reason ?? t.why;
    if (event.result === 'unknown') u.unknownStreak = row.unknown_streak + 1;
    else u.unknownStreak = 0;
    if (event.result === 'removed') {
      if (t.changed) {
        u.removedAt = now;
        u.recheckStep = 0;
      } else if (row.state === 'removed') {
        u.recheckStep = row.recheck_step + 1;
      }
    }
    if (t.to === 'reappeared') {
      u.removedAt = null;
      u.recheckStep = 0;
    }
  }
  if (event.type === 'answer') {
    u.lastResponseId = extra.responseId;
    u.everAnswered = true;
    if (event.answer === 'refused') u.everRefused = true;
  }
  if (event.type === 'notice-sent' && extra.noticeId) {
    u.currentNoticeId = extra.noticeId;
    u.notifiedAt = extra.notifiedAt ?? now;
  }
  if (event.type === 'check' || t.changed) {
    u.nextCheckAt = nextCheckAt(
      { state: u.state, removedAt: u.removedAt, recheckStep: u.recheckStep, lastCheckAt: event.type === 'check' ? now : row.last_check_at, unknownStreak: u.unknownStreak, caseStatus: row.case_status, monitorUntil: row.monitor_until },
      settings,
      now,
    );
  }
  if (t.effects.includes('check-now') && (row.case_status === 'open' || row.case_status === 'monitoring')) u.nextCheckAt = now;
  if (event.type === 'notice-sent') u.nextCheckAt = new Date(now.getTime() + settings.checkEveryMs);
  await updateTracked(tx, row.id, u);
  let renoticeId: string | null = null;
  if (t.effects.includes('draft-notice')) renoticeId = await draftRenotice(tx, row);
  // Checks that change nothing are kept on the row (last_check_*), not in the history.
  if (t.changed || event.type !== 'check') {
    const detail = { why: extra.reason ?? t.why, ...(extra.detail ?? {}), ...(renoticeId ? { renoticeId } : {}), ...(extra.responseId ? { responseId: extra.responseId } : {}) };
    await insertTrackedHistory(tx, { trackedUrlId: row.id, actor: by, event: eventName(event), fromState: row.state, toState: t.to, noticeId: extra.noticeId ?? row.current_notice_id, detail });
    await appendAudit(tx, { ...MONITOR_ACTOR, name: by === 'system' ? 'system' : `system:${by}` }, {
      action: t.changed ? 'monitoring.transition' : 'monitoring.event', recordType: 'tracked-url', recordId: row.id, caseCode: row.case_code,
      detail: { event: eventName(event), from: row.state, to: t.to, noticeId: extra.noticeId ?? row.current_notice_id, ...(renoticeId ? { renoticeId } : {}) },
    });
  }
  return { transition: t, renoticeId };
}

export interface SyncResult {
  tracked: number;
  answers: number;
  renotified: number;
  /** Reminders and escalations recorded as sent on their URLs. */
  followUpsSent: number;
  deadlinesPassed: number;
  stopped: number;
}

/**
 * Brings tracking up to date with the notices: starts tracking what sent notices list, applies the
 * platforms' answers not yet applied (a `removed` answer asks for a check at once), marks re-appeared
 * URLs notified once their new notice is sent, and stops the checks of cases no longer monitored.
 * Idempotent: every step looks at what is not done yet, so two schedulers at once do no harm.
 */
export async function syncTracking(ctx: ServiceContext): Promise<SyncResult> {
  const settings: MonitoringSettings = ctx.config.monitoring;
  const result: SyncResult = { tracked: 0, answers: 0, renotified: 0, followUpsSent: 0, deadlinesPassed: 0, stopped: 0 };
  await ctx.sql.transaction(async (tx) => {
    const ids = await insertTrackedFromSentNotices(tx, settings.checkEveryMs);
    for (const id of ids) {
      const row = (await selectTrackedUrl(tx, id))!;
      await insertTrackedHistory(tx, { trackedUrlId: id, actor: 'system', event: 'tracking-started', fromState: null, toState: 'notified', noticeId: row.current_notice_id, detail: { notifiedAt: row.notified_at.toISOString() } });
      await appendAudit(tx, MONITOR_ACTOR, { action: 'monitoring.track', recordType: 'tracked-url', recordId: id, caseCode: row.case_code, detail: { noticeId: row.current_notice_id, alertId: row.alert_id } });
    }
    result.tracked = ids.length;
  });
  for (const a of await selectUnappliedAnswers(ctx.sql)) {
    await ctx.sql.transaction(async (tx) => {
      const row = await selectTrackedUrl(tx, a.tracked_id, { forUpdate: true });
      if (!row || BigInt(row.last_response_id) >= BigInt(a.response_id)) return;
      await applyEvent(tx, ctx, row, { type: 'answer', answer: a.answer as 'acknowledged' }, 'platform', { responseId: a.response_id, noticeId: a.notice_id, detail: { answeredAt: a.at.toISOString() } });
      result.answers++;
    });
  }
  for (const r of await selectRenotified(ctx.sql)) {
    await ctx.sql.transaction(async (tx) => {
      const row = await selectTrackedUrl(tx, r.tracked_id, { forUpdate: true });
      if (!row || row.state !== 'reappeared') return;
      await applyEvent(tx, ctx, row, { type: 'notice-sent' }, 'system', { noticeId: r.notice_id, notifiedAt: r.sent_at });
      result.renotified++;
    });
  }
  for (const f of await selectUnrecordedFollowUps(ctx.sql)) {
    await ctx.sql.transaction(async (tx) => {
      const row = await selectTrackedUrl(tx, f.tracked_id, { forUpdate: true });
      // Locked now: another pass may have recorded it since the query above.
      if (!row || (await trackedHistoryExists(tx, row.id, f.notice_id, ['reminder-sent', 'escalation-sent']))) return;
      await applyEvent(tx, ctx, row, { type: f.kind === 'reminder' ? 'reminder-sent' : 'escalation-sent' }, 'system', { noticeId: f.notice_id, detail: { sentAt: f.sent_at.toISOString() } });
      result.followUpsSent++;
    });
  }
  for (const d of await selectPassedDeadlines(ctx.sql)) {
    await ctx.sql.transaction(async (tx) => {
      const row = await selectTrackedUrl(tx, d.tracked_id, { forUpdate: true });
      if (!row || (await trackedHistoryExists(tx, row.id, d.notice_id, ['deadline-passed']))) return;
      await applyEvent(tx, ctx, row, { type: 'deadline-passed' }, 'system', { noticeId: d.notice_id });
      result.deadlinesPassed++;
    });
  }
  result.stopped = await stopChecksOfEndedCases(ctx.sql);
  return result;
}
