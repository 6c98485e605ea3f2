/**
 * Statistics: the per-platform table and the per-month series from services/stats - the numbers
 * `staydown stats` prints for the same period - with charts drawn as inline SVG, date range, platform
 * and "public" (cells under 5 suppressed) filters, and the CSV `staydown stats --csv` writes. Reading is
 * audited by getStats, as for the API and the command line. Dates are whole days in UTC, as on the
 * command line (`--to` inclusive), so the same dates give the same numbers everywhere.
 */
import { listPlatforms } from '../../services/takedown/index.ts';
import { getStats, statsCsv, type Stats, type StatsQuery } from '../../services/stats/index.ts';
import { can } from '../../services/platform/access.ts';
import { groupedColumns, horizontalBars } from '../charts.ts';
import type { Formatters } from '../format.ts';
import type { PageDef, PageInput } from '../page.ts';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

interface Filters {
  from: string;
  to: string;
  platform: string;
  public: boolean;
}

/** The filters from the query; missing dates are the last twelve months up to today (UTC). */
function filters(input: PageInput, now = new Date()): Filters {
  const q = input.query;
  const today = now.toISOString().slice(0, 10);
  const yearAgo = new Date(Date.UTC(now.getUTCFullYear() - 1, now.getUTCMonth(), now.getUTCDate() + 1)).toISOString().slice(0, 10);
  const day = (v: string | undefined, dflt: string) => (typeof v === 'string' && v.trim() ? v.trim() : dflt);
  return { from: day(q.from, yearAgo), to: day(q.to, today), platform: typeof q.platform === 'string' ? q.platform.trim().slice(0, 100) : '', public: q.public === 'yes' };
}

function statsQuery(f: Filters): StatsQuery {
  return { from: f.from, to: f.to, ...(f.platform ? { platform: f.platform } : {}), public: f.public };
}

function queryString(f: Filters): string {
  const p = new URLSearchParams({ from: f.from, to: f.to });
  if (f.platform) p.set('platform', f.platform);
  if (f.public) p.set('public', 'yes');
  return p.toString();
}

/** How a cell reads: counts as numbers, hours with one decimal, shares as percentages; suppressed as "<5". */
function cellText(fmt: Formatters, s: Stats, kind: 'count' | 'hours' | 'share', v: number | null): string {
  if (v === null) return s.public ? '<5' : '—';
  if (kind === 'share') return `${fmt.number(Math.round(v * 1000) / 10)}%`;
  if (kind === 'hours') return fmt.number(Math.round(v * 10) / 10);
  return fmt.number(v);
}

export const PLATFORM_COLUMNS = [
  ['noticesSent', 'count'], ['reminders', 'count'], ['escalations', 'count'], ['urls', 'count'], ['removed', 'count'],
  ['medianHoursToRemoval', 'hours'], ['p90HoursToRemoval', 'hours'], ['removedWithin24h', 'share'], ['removedWithin48h', 'share'],
  ['removedWithin7d', 'share'], ['over42d', 'share'], ['refusals', 'count'], ['noAnswer', 'count'], ['reuploadRate', 'share'],
] as const;
export const MONTH_COLUMNS = ['casesOpened', 'materialRegistered', 'alerts', 'confirmed', 'notices', 'removals', 'reuploads'] as const;
/** The monthly chart's series: what a counsellor's yearly report talks about. */
const MONTH_SERIES = ['notices', 'removals', 'reuploads'] as const;

function charts(s: Stats, fmt: Formatters) {
  const by = (k: 'medianHoursToRemoval' | 'removedWithin48h' | 'reuploadRate') => s.platforms.map((p) => ({ label: p.platform, value: p[k] }));
  return {
    median: horizontalBars(by('medianHoursToRemoval'), (v) => cellText(fmt, s, 'hours', v)),
    within48h: horizontalBars(by('removedWithin48h'), (v) => cellText(fmt, s, 'share', v), 1),
    reuploads: horizontalBars(by('reuploadRate'), (v) => cellText(fmt, s, 'share', v), 1),
    months: groupedColumns(s.months.map((m) => ({ label: m.month, values: MONTH_SERIES.map((k) => m[k]) }))),
  };
}

export const statisticsPages: PageDef[] = [
  {
    method: 'GET', url: '/statistics', access: 'stats.read',
    handler: async (input) => {
      const { actor } = input.session!;
      const f = filters(input);
      let stats: Stats | null = null;
      let problem = '';
      try {
        stats = await getStats(input.env.ctx, actor, statsQuery(f));
      } catch (err) {
        // A date that is not one, or a period that ends before it starts: said next to the filters.
        if ((err as { status?: number }).status !== 400) throw err;
        problem = (err as Error).message;
        void input.reply.status(400);
      }
      // The platform choice: the records (for those who may read them), else the names the numbers carry.
      const names = can(actor.role, 'platform.read')
        ? (await listPlatforms(input.env.ctx, actor)).map((p) => p.name)
        : (stats?.platforms ?? []).map((p) => p.platform);
      if (f.platform && !names.includes(f.platform)) names.push(f.platform);
      const cell = (kind: 'count' | 'hours' | 'share', v: number | null) => (stats ? cellText(input.fmt, stats, kind, v) : '');
      return input.render('statistics', {
        f, stats, problem, platformNames: names.sort(), cell, platformColumns: PLATFORM_COLUMNS, monthColumns: MONTH_COLUMNS, monthSeries: MONTH_SERIES,
        charts: stats ? charts(stats, input.fmt) : null, csvHref: `/statistics.csv?${queryString(f)}`,
      });
    },
  },
  {
    method: 'GET', url: '/statistics.csv', access: 'stats.read',
    handler: async (input) => {
      const f = filters(input);
      const s = await getStats(input.env.ctx, input.session!.actor, statsQuery(f));
      void input.reply
        .type('text/csv; charset=utf-8')
        // The dates checked out in getStats, but only plain days go into the header.
        .header('content-disposition', `attachment; filename="staydown-statistics${[f.from, f.to].filter((d) => DAY.test(d)).map((d) => `-${d}`).join('')}${f.public ? '-public' : ''}.csv"`);
      return statsCsv(s);
    },
  },
];
