/**
 * When a tracked URL is checked next (pure). A URL not yet removed is checked every STAYDOWN_CHECK_EVERY;
 * a removed one on the widening re-check schedule after its removal (STAYDOWN_RECHECKS, 1d, 7d, 30d, 90d,
 * then every last step) until the case's monitoring period ends; an `unknown` result is retried sooner,
 * backing off, never later than the regular schedule. Cases that are withdrawn, closed or erased are not
 * checked at all.
 */
import type { UrlState } from './url-state.ts';

export interface ScheduleSettings {
  checkEveryMs: number;
  rechecksMs: readonly number[];
}

export interface ScheduleInput {
  state: UrlState;
  /** When the URL was last verified removed (for the re-check schedule). */
  removedAt: Date | null;
  /** Re-checks already done since that removal. */
  recheckStep: number;
  /** The last check, if any, and how many `unknown` results in a row it ended. */
  lastCheckAt: Date | null;
  unknownStreak: number;
  caseStatus: string;
  /** The case's monitoring period's end; null: monitored with no end set. */
  monitorUntil: Date | null;
}

/** The first unknown result is retried after this, doubling, capped by the regular interval. */
export const RETRY_BASE_MS = 60_000;

/** The offset after removal of re-check number `step` (0-based): the listed steps, then every last one. */
export function recheckOffsetMs(rechecksMs: readonly number[], step: number): number {
  if (rechecksMs.length === 0) throw new Error('The re-check schedule lists no steps.');
  if (step < rechecksMs.length) return rechecksMs[step];
  const last = rechecksMs[rechecksMs.length - 1];
  return last * (step - rechecksMs.length + 2);
}

function retryDelayMs(settings: ScheduleSettings, streak: number): number {
  return Math.min(settings.checkEveryMs, RETRY_BASE_MS * 2 ** Math.min(Math.max(streak - 1, 0), 20));
}

export function nextCheckAt(s: ScheduleInput, settings: ScheduleSettings, now: Date): Date | null {
  if (s.caseStatus !== 'open' && s.caseStatus !== 'monitoring') return null;
  const from = s.lastCheckAt ?? now;
  if (s.state === 'removed') {
    if (s.unknownStreak > 0) {
      const retry = new Date(from.getTime() + retryDelayMs(settings, s.unknownStreak));
      return s.monitorUntil && retry > s.monitorUntil ? null : retry;
    }
    const at = new Date((s.removedAt ?? from).getTime() + recheckOffsetMs(settings.rechecksMs, s.recheckStep));
    // The end of the case's monitoring period stops its re-checks.
    if (s.monitorUntil && at > s.monitorUntil) return null;
    return at;
  }
  // Not removed (or back): checked until staydown sees it gone, whatever the monitoring period says.
  const delay = s.unknownStreak > 0 ? retryDelayMs(settings, s.unknownStreak) : settings.checkEveryMs;
  return new Date(from.getTime() + delay);
}
