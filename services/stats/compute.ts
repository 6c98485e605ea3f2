/**
 * Takedown statistics from rows (pure): what the ordinance's yearly plan and surveys (Articles 4-5) and a
 * DSA Art. 22(3)-style report ask for. Per platform and period: notices sent, URLs, median and p90 time
 * from the first notice to the verified removal, the share removed within 24 h / 48 h / 7 d, the share
 * not removed within 42 days, refusals, URLs with no answer, the re-upload rate. Per month: cases opened,
 * material registered, alerts, confirmed, notices, removals, re-uploads. Counts, times and platform names
 * only: no case, no victim data. `publicCells` suppresses every cell under 5 (and every share or time
 * computed from fewer than 5 URLs) so a published report cannot single anyone out.
 */

export interface StatsRows {
  notices: Array<{ platform: string; kind: string; sentAt: Date }>;
  urls: Array<{ platform: string; firstNotifiedAt: Date; firstRemovedAt: Date | null; everRefused: boolean; everAnswered: boolean; reupload: boolean }>;
  cases: Array<{ createdAt: Date }>;
  material: Array<{ createdAt: Date }>;
  alerts: Array<{ createdAt: Date; status: string; decidedAt: Date | null; reupload: boolean }>;
}

export interface StatsPeriod {
  /** Inclusive. */
  from: Date;
  /** Exclusive. */
  to: Date;
}

export interface PlatformStats {
  platform: string;
  noticesSent: number | null;
  reminders: number | null;
  escalations: number | null;
  urls: number | null;
  removed: number | null;
  medianHoursToRemoval: number | null;
  p90HoursToRemoval: number | null;
  removedWithin24h: number | null;
  removedWithin48h: number | null;
  removedWithin7d: number | null;
  /** Share of URLs not removed within 42 days of the first notice (removed later, or not yet after 42 days). */
  over42d: number | null;
  refusals: number | null;
  noAnswer: number | null;
  reuploadRate: number | null;
}

export interface MonthStats {
  month: string;
  casesOpened: number | null;
  materialRegistered: number | null;
  alerts: number | null;
  confirmed: number | null;
  notices: number | null;
  removals: number | null;
  reuploads: number | null;
}

export interface Stats {
  from: string;
  to: string;
  public: boolean;
  platforms: PlatformStats[];
  months: MonthStats[];
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The q-quantile (0..1) by linear interpolation between closest ranks; null for no values. */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

const round = (n: number | null, digits = 2) => (n === null ? null : Math.round(n * 10 ** digits) / 10 ** digits);
const within = (d: Date, p: StatsPeriod) => d >= p.from && d < p.to;
const monthOf = (d: Date) => d.toISOString().slice(0, 7);

export function platformStats(rows: StatsRows, period: StatsPeriod, now: Date): PlatformStats[] {
  const names = new Set<string>();
  const notices = rows.notices.filter((n) => within(n.sentAt, period));
  const urls = rows.urls.filter((u) => within(u.firstNotifiedAt, period));
  for (const n of notices) names.add(n.platform);
  for (const u of urls) names.add(u.platform);
  return [...names].sort().map((platform) => {
    const ns = notices.filter((n) => n.platform === platform);
    const us = urls.filter((u) => u.platform === platform);
    const times = us.filter((u) => u.firstRemovedAt).map((u) => u.firstRemovedAt!.getTime() - u.firstNotifiedAt.getTime());
    const share = (pred: (u: (typeof us)[number]) => boolean) => (us.length ? us.filter(pred).length / us.length : null);
    const removedWithin = (ms: number) => share((u) => u.firstRemovedAt !== null && u.firstRemovedAt.getTime() - u.firstNotifiedAt.getTime() <= ms);
    return {
      platform,
      noticesSent: ns.filter((n) => n.kind === 'initial').length,
      reminders: ns.filter((n) => n.kind === 'reminder').length,
      escalations: ns.filter((n) => n.kind === 'escalation').length,
      urls: us.length,
      removed: times.length,
      medianHoursToRemoval: round(quantile(times, 0.5) === null ? null : quantile(times, 0.5)! / HOUR, 3),
      p90HoursToRemoval: round(quantile(times, 0.9) === null ? null : quantile(times, 0.9)! / HOUR, 3),
      removedWithin24h: round(removedWithin(DAY), 4),
      removedWithin48h: round(removedWithin(2 * DAY), 4),
      removedWithin7d: round(removedWithin(7 * DAY), 4),
      over42d: round(share((u) => (u.firstRemovedAt ? u.firstRemovedAt.getTime() - u.firstNotifiedAt.getTime() > 42 * DAY : now.getTime() - u.firstNotifiedAt.getTime() > 42 * DAY)), 4),
      refusals: us.filter((u) => u.everRefused).length,
      noAnswer: us.filter((u) => !u.everAnswered).length,
      reuploadRate: round(share((u) => u.reupload), 4),
    };
  });
}

export function monthStats(rows: StatsRows, period: StatsPeriod): MonthStats[] {
  const months = new Map<string, MonthStats>();
  const get = (d: Date) => {
    const k = monthOf(d);
    let m = months.get(k);
    if (!m) months.set(k, (m = { month: k, casesOpened: 0, materialRegistered: 0, alerts: 0, confirmed: 0, notices: 0, removals: 0, reuploads: 0 }));
    return m;
  };
  const add = (d: Date | null, field: Exclude<keyof MonthStats, 'month'>) => {
    if (d && within(d, period)) (get(d)[field] as number)++;
  };
  for (const c of rows.cases) add(c.createdAt, 'casesOpened');
  for (const m of rows.material) add(m.createdAt, 'materialRegistered');
  for (const a of rows.alerts) {
    add(a.createdAt, 'alerts');
    if (a.status === 'confirmed') add(a.decidedAt ?? a.createdAt, 'confirmed');
    if (a.reupload) add(a.createdAt, 'reuploads');
  }
  for (const n of rows.notices) if (n.kind === 'initial') add(n.sentAt, 'notices');
  for (const u of rows.urls) add(u.firstRemovedAt, 'removals');
  return [...months.values()].sort((a, b) => a.month.localeCompare(b.month));
}

/** Cells under 5 become null; shares and times computed from fewer than 5 URLs too (pure). */
export function publicCells(s: Stats): Stats {
  const count = (n: number | null) => (n !== null && n > 0 && n < 5 ? null : n);
  return {
    ...s,
    public: true,
    platforms: s.platforms.map((p) => {
      const few = (p.urls ?? 0) < 5;
      const fewRemoved = (p.removed ?? 0) < 5;
      return {
        ...p,
        noticesSent: count(p.noticesSent), reminders: count(p.reminders), escalations: count(p.escalations), urls: count(p.urls), removed: count(p.removed),
        medianHoursToRemoval: fewRemoved ? null : p.medianHoursToRemoval, p90HoursToRemoval: fewRemoved ? null : p.p90HoursToRemoval,
        removedWithin24h: few ? null : p.removedWithin24h, removedWithin48h: few ? null : p.removedWithin48h, removedWithin7d: few ? null : p.removedWithin7d,
        over42d: few ? null : p.over42d, refusals: count(p.refusals), noAnswer: count(p.noAnswer), reuploadRate: few ? null : p.reuploadRate,
      };
    }),
    months: s.months.map((m) => ({
      month: m.month, casesOpened: count(m.casesOpened), materialRegistered: count(m.materialRegistered), alerts: count(m.alerts),
      confirmed: count(m.confirmed), notices: count(m.notices), removals: count(m.removals), reuploads: count(m.reuploads),
    })),
  };
}

export function computeStats(rows: StatsRows, period: StatsPeriod, opts: { public?: boolean; platform?: string; now?: Date } = {}): Stats {
  const filtered: StatsRows = opts.platform
    ? { ...rows, notices: rows.notices.filter((n) => n.platform === opts.platform), urls: rows.urls.filter((u) => u.platform === opts.platform) }
    : rows;
  const s: Stats = {
    from: period.from.toISOString(), to: period.to.toISOString(), public: false,
    platforms: platformStats(filtered, period, opts.now ?? new Date()),
    months: monthStats(filtered, period),
  };
  return opts.public ? publicCells(s) : s;
}

const PLATFORM_COLUMNS: Array<keyof PlatformStats> = ['platform', 'noticesSent', 'reminders', 'escalations', 'urls', 'removed', 'medianHoursToRemoval', 'p90HoursToRemoval', 'removedWithin24h', 'removedWithin48h', 'removedWithin7d', 'over42d', 'refusals', 'noAnswer', 'reuploadRate'];
const MONTH_COLUMNS: Array<keyof MonthStats> = ['month', 'casesOpened', 'materialRegistered', 'alerts', 'confirmed', 'notices', 'removals', 'reuploads'];

function csvCell(v: unknown, suppressed: string): string {
  if (v === null || v === undefined) return suppressed;
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Two CSV tables, platforms then months, separated by an empty line; suppressed cells read `<5` in public output. */
export function statsCsv(s: Stats): string {
  const empty = s.public ? '<5' : '';
  const table = <T>(cols: Array<keyof T>, rows: T[]) => [cols.join(','), ...rows.map((r) => cols.map((c) => csvCell(r[c], empty)).join(','))].join('\n');
  return `${table(PLATFORM_COLUMNS, s.platforms)}\n\n${table(MONTH_COLUMNS, s.months)}\n`;
}
