import { describe, expect, it } from 'vitest';
import { nextCheckAt, recheckOffsetMs, RETRY_BASE_MS, type ScheduleInput } from '../../../services/monitoring/schedule.ts';

const D = 86_400_000;
const settings = { checkEveryMs: 6 * 3_600_000, rechecksMs: [1 * D, 7 * D, 30 * D, 90 * D] };
const removedAt = new Date('2026-01-01T00:00:00Z');
const base: ScheduleInput = { state: 'removed', removedAt, recheckStep: 0, lastCheckAt: removedAt, unknownStreak: 0, caseStatus: 'monitoring', monitorUntil: null };

describe('the re-check schedule', () => {
  it('re-checks a removed URL 1, 7, 30 and 90 days after removal, then every 90 days', () => {
    const days = [0, 1, 2, 3, 4, 5, 6].map((step) => (nextCheckAt({ ...base, recheckStep: step }, settings, removedAt)!.getTime() - removedAt.getTime()) / D);
    expect(days).toEqual([1, 7, 30, 90, 180, 270, 360]);
    expect(recheckOffsetMs([1000], 3)).toBe(4000);
  });

  it('stops at the end of the case\'s monitoring period', () => {
    const monitorUntil = new Date(removedAt.getTime() + 40 * D);
    expect(nextCheckAt({ ...base, recheckStep: 2, monitorUntil }, settings, removedAt)!.getTime() - removedAt.getTime()).toBe(30 * D);
    expect(nextCheckAt({ ...base, recheckStep: 3, monitorUntil }, settings, removedAt)).toBeNull();
  });

  it.each(['withdrawn', 'closed', 'erased'])('a %s case is not checked at all', (caseStatus) => {
    expect(nextCheckAt({ ...base, caseStatus }, settings, removedAt)).toBeNull();
    expect(nextCheckAt({ ...base, state: 'notified', caseStatus }, settings, removedAt)).toBeNull();
  });

  it('checks a URL not yet removed every STAYDOWN_CHECK_EVERY, even past the monitoring period', () => {
    const last = new Date('2026-02-01T00:00:00Z');
    const at = nextCheckAt({ ...base, state: 'acknowledged', lastCheckAt: last, monitorUntil: new Date('2026-01-15T00:00:00Z') }, settings, last);
    expect(at!.getTime() - last.getTime()).toBe(settings.checkEveryMs);
  });

  it('retries unknown results sooner, doubling, never later than the regular interval, and keeps the step', () => {
    const last = new Date('2026-02-01T00:00:00Z');
    const delays = [1, 2, 3, 10].map((streak) => nextCheckAt({ ...base, state: 'notified', lastCheckAt: last, unknownStreak: streak }, settings, last)!.getTime() - last.getTime());
    expect(delays).toEqual([RETRY_BASE_MS, 2 * RETRY_BASE_MS, 4 * RETRY_BASE_MS, settings.checkEveryMs]);
    const removedRetry = nextCheckAt({ ...base, recheckStep: 2, lastCheckAt: last, unknownStreak: 1 }, settings, last);
    expect(removedRetry!.getTime() - last.getTime()).toBe(RETRY_BASE_MS);
  });
});
