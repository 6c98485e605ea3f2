/** `staydown stats [--from DATE] [--to DATE] [--platform NAME] [--public] [--json | --csv]`. */
import { parseCli, usageError } from '../cli/args.ts';
import { printResult, type CliIo } from '../cli/io.ts';
import { runVerb, withService } from '../cli/run-verb.ts';
import { statsCsv, type Stats } from './compute.ts';
import { getStats } from './stats.ts';

export const STATS_USAGE = `staydown stats [--from DATE] [--to DATE] [--platform NAME] [--public] [--json | --csv]
       per platform: notices, URLs, median/p90 hours to verified removal, share removed within 24h/48h/7d, over 42 days,
       refusals, no answer, re-upload rate; per month: cases, material, alerts, confirmed, notices, removals, re-uploads.
       DATE is YYYY-MM-DD (UTC; --to inclusive); default the last 12 months. --public suppresses cells under 5.`;

function text(s: Stats): string {
  const v = (x: number | null | string) => (x === null ? (s.public ? '<5' : '-') : String(x));
  const pct = (x: number | null) => (x === null ? v(x) : `${Math.round(x * 1000) / 10}%`);
  const lines = [`statistics ${s.from.slice(0, 10)} .. ${s.to.slice(0, 10)}${s.public ? ' (public: cells under 5 suppressed)' : ''}`, ''];
  if (s.platforms.length === 0) lines.push('no notices in this period');
  for (const p of s.platforms) {
    lines.push(`${p.platform}: ${v(p.noticesSent)} notices, ${v(p.urls)} URLs, ${v(p.removed)} removed; median ${v(p.medianHoursToRemoval)} h, p90 ${v(p.p90HoursToRemoval)} h;`
      + ` within 24h ${pct(p.removedWithin24h)}, 48h ${pct(p.removedWithin48h)}, 7d ${pct(p.removedWithin7d)}, over 42d ${pct(p.over42d)};`
      + ` refusals ${v(p.refusals)}, no answer ${v(p.noAnswer)}, re-uploads ${pct(p.reuploadRate)}`);
  }
  lines.push('', 'month    cases material alerts confirmed notices removals re-uploads');
  for (const m of s.months) lines.push([m.month, v(m.casesOpened), v(m.materialRegistered), v(m.alerts), v(m.confirmed), v(m.notices), v(m.removals), v(m.reuploads)].join(' '));
  return lines.join('\n');
}

export async function runStats(args: string[], io: CliIo): Promise<number> {
  return runVerb('stats', io, async () => {
    const { values, positionals } = parseCli(args, { from: { type: 'string' }, to: { type: 'string' }, platform: { type: 'string' }, public: { type: 'boolean' }, csv: { type: 'boolean' } }, STATS_USAGE);
    if (positionals.length > 0) throw usageError(`The stats verb takes no arguments, only options (got '${positionals[0]}').`, STATS_USAGE);
    if (values.csv && values.json) throw usageError('Choose one output: --json or --csv.', STATS_USAGE);
    return withService(async (ctx, actor) => {
      const s = await getStats(ctx, actor, { from: values.from, to: values.to, platform: values.platform, public: values.public === true });
      if (values.csv) io.stdout.write(statsCsv(s));
      else printResult(io, values.json === true, s, text(s));
      return 0;
    }, { silent: true });
  });
}
