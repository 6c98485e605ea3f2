import { describe, expect, it } from 'vitest';
import { computeStats, quantile, statsCsv, type StatsRows } from '../../../services/stats/compute.ts';

const H = 3_600_000;
const t0 = new Date('2026-05-01T00:00:00Z');
const at = (h: number) => new Date(t0.getTime() + h * H);
const period = { from: new Date('2026-01-01T00:00:00Z'), to: new Date('2027-01-01T00:00:00Z') };
const url = (platform: string, removedAfterH: number | null, o: Partial<StatsRows['urls'][number]> = {}) => ({
  platform, firstNotifiedAt: t0, firstRemovedAt: removedAfterH === null ? null : at(removedAfterH), everRefused: false, everAnswered: true, reupload: false, ...o,
});

const rows: StatsRows = {
  notices: [
    { platform: 'fast', kind: 'initial', sentAt: t0 }, { platform: 'fast', kind: 'initial', sentAt: at(1) },
    { platform: 'slow', kind: 'initial', sentAt: t0 }, { platform: 'slow', kind: 'reminder', sentAt: at(24) }, { platform: 'slow', kind: 'escalation', sentAt: at(72) },
    { platform: 'fast', kind: 'initial', sentAt: new Date('2025-06-01T00:00:00Z') },
  ],
  urls: [
    url('fast', 2), url('fast', 10), url('fast', 30), url('fast', 47), url('fast', 100, { reupload: true }), url('fast', 1100),
    url('slow', null, { everAnswered: false }), url('slow', null, { everRefused: true }), url('slow', 200),
  ],
  cases: [{ createdAt: new Date('2026-04-03T00:00:00Z') }, { createdAt: new Date('2026-05-03T00:00:00Z') }],
  material: [{ createdAt: new Date('2026-04-03T00:00:00Z') }],
  alerts: [
    { createdAt: new Date('2026-04-20T00:00:00Z'), status: 'confirmed', decidedAt: new Date('2026-04-21T00:00:00Z'), reupload: false },
    { createdAt: new Date('2026-05-20T00:00:00Z'), status: 'new', decidedAt: null, reupload: true },
  ],
};

describe('statistics from rows', () => {
  it('quantiles interpolate between ranks', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([5], 0.9)).toBe(5);
    expect(quantile([], 0.5)).toBeNull();
    expect(quantile([10, 0, 20, 30, 40, 50, 60, 70, 80, 90], 0.9)).toBe(81);
  });

  it('per platform: notices, URLs, median and p90 to verified removal, shares, refusals, no answer, re-upload rate', () => {
    const now = at(24 * 60);
    const s = computeStats(rows, period, { now });
    const fast = s.platforms.find((p) => p.platform === 'fast')!;
    expect(fast).toMatchObject({ noticesSent: 2, reminders: 0, urls: 6, removed: 6, medianHoursToRemoval: 38.5, refusals: 0, noAnswer: 0 });
    // p90 of 2, 10, 30, 47, 100, 1100 h: 100 + 0.5 * 1000.
    expect(fast.p90HoursToRemoval).toBe(600);
    expect([fast.removedWithin24h, fast.removedWithin48h, fast.removedWithin7d, fast.over42d, fast.reuploadRate]).toEqual([0.3333, 0.6667, 0.8333, 0.1667, 0.1667]);
    const slow = s.platforms.find((p) => p.platform === 'slow')!;
    expect(slow).toMatchObject({ noticesSent: 1, reminders: 1, escalations: 1, urls: 3, removed: 1, medianHoursToRemoval: 200, refusals: 1, noAnswer: 1 });
    // Two URLs still up 60 days after the notice: over 42 days.
    expect(slow.over42d).toBe(0.6667);
  });

  it('per month: cases, material, alerts, confirmed, notices, removals, re-uploads', () => {
    const s = computeStats(rows, period, { now: at(24 * 60) });
    const april = s.months.find((m) => m.month === '2026-04')!;
    expect(april).toEqual({ month: '2026-04', casesOpened: 1, materialRegistered: 1, alerts: 1, confirmed: 1, notices: 0, removals: 0, reuploads: 0 });
    const may = s.months.find((m) => m.month === '2026-05')!;
    expect(may).toMatchObject({ casesOpened: 1, alerts: 1, reuploads: 1, notices: 3 });
    expect(s.months.some((m) => m.month === '2025-06')).toBe(false);
  });

  it('--public suppresses every cell under 5 and every share or time from fewer than 5 URLs', () => {
    const s = computeStats(rows, period, { now: at(24 * 60), public: true });
    const fast = s.platforms.find((p) => p.platform === 'fast')!;
    expect(fast.urls).toBe(6);
    expect(fast.noticesSent).toBeNull();
    expect(fast.medianHoursToRemoval).toBe(38.5);
    expect(fast.refusals).toBe(0);
    const slow = s.platforms.find((p) => p.platform === 'slow')!;
    expect([slow.urls, slow.medianHoursToRemoval, slow.removedWithin24h, slow.refusals, slow.over42d]).toEqual([null, null, null, null, null]);
    for (const m of s.months) for (const [k, v] of Object.entries(m)) if (k !== 'month') expect(v === null || v === 0 || (v as number) >= 5).toBe(true);
    expect(statsCsv(s)).toContain('slow,<5,<5,<5,<5,<5');
  });

  it('--platform keeps one platform', () => {
    expect(computeStats(rows, period, { platform: 'slow' }).platforms.map((p) => p.platform)).toEqual(['slow']);
  });
});
