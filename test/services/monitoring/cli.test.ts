/**
 * The command-line contracts, through `bin/staydown.js` in child processes on the same database:
 * `monitor run --json` prints exactly {checked, removed, reappeared, unknown, reminders, escalations}
 * (and more), `notices show --json` gains urls[].state and the URL transitions in `history`, `alerts list
 * --json` gains `reupload`, and `stats` prints JSON, CSV and the public variant.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../support/db.ts';
import { useTempDir } from '../../support/tmp.ts';
import { childEnv, runCli, serviceContext } from '../../support/service.ts';
import { startLocalServer, type LocalServer } from '../../crawler/support/local-server.ts';
import { fixtureImage } from '../../crawler/support/fixture-images.ts';
import type { ServiceContext } from '../../../services/platform/context.ts';
import { MONITOR_RUN_FIELDS } from '../../../services/monitoring/index.ts';
import { seedConfirmed, seedLoopbackSite, seedMonitoredCase, seedPlatformRow, seedSent } from './support.ts';

const db = useTestDatabase('monitor_cli');
const tmp = useTempDir('monitor-cli');
let ctx: ServiceContext;
let server: LocalServer;
let noticeId = '';
let platformName = '';
const cli = (...args: string[]) => runCli(args, childEnv(ctx, { STAYDOWN_ORG_EMAIL: 'takedown@centre.example' }));

beforeAll(async () => {
  ctx = await serviceContext(db(), tmp());
  const material = await fixtureImage(611, 320, 240);
  server = await startLocalServer({
    '/p/1': (_q, res) => { res.setHeader('content-type', 'text/html'); res.end('<img src="/i/1.jpg">'); },
    '/i/1.jpg': (_q, res) => { res.setHeader('content-type', 'image/jpeg'); res.end(material); },
  });
  const c = await seedMonitoredCase(ctx.sql, ctx.masterKey, { m: material });
  const siteId = await seedLoopbackSite(ctx.sql, server.origin);
  const platform = await seedPlatformRow(ctx.sql, { name: 'cli-board' });
  platformName = platform.name;
  const alerts = [];
  for (let i = 0; i < 6; i++) alerts.push(await seedConfirmed(ctx.sql, { caseId: c.caseId, materialId: c.materialIds.m, siteId, pageUrl: `${server.origin}/p/1?n=${i}`, mediaUrl: `${server.origin}/i/1.jpg?n=${i}` }));
  noticeId = (await seedSent(ctx.sql, c.caseId, platform, alerts)).id;
});

afterAll(async () => {
  await server?.close();
});

describe('monitor and stats on the command line', () => {
  it('monitor run --json: one pass, the exact fields', async () => {
    const r = await cli('monitor', 'run', '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    for (const f of MONITOR_RUN_FIELDS) expect(typeof out[f]).toBe('number');
    expect(MONITOR_RUN_FIELDS).toEqual(['checked', 'removed', 'reappeared', 'unknown', 'reminders', 'escalations']);
    expect(out).toMatchObject({ tracked: 6, checked: 0 });
    // Due now: all six are checked (and found present).
    await ctx.sql.query("UPDATE tracked_urls SET next_check_at = now() - interval '1 second'");
    const again = JSON.parse((await cli('monitor', 'run', '--json')).stdout);
    expect(again).toMatchObject({ checked: 6, removed: 0, unknown: 0, present: 6 });
    const text = await cli('monitor', 'run');
    expect(text.stdout).toMatch(/^checked 0: 0 newly removed/);
  });

  it('monitor with a wrong subcommand is a usage error', async () => {
    const r = await cli('monitor', 'go');
    expect(r.status).toBe(64);
    expect(r.stderr).toContain('one subcommand: run');
  });

  it('notices show --json gains urls[].state and the URL transitions in its history', async () => {
    const r = await cli('notices', 'show', noticeId, '--json');
    expect(r.status).toBe(0);
    const n = JSON.parse(r.stdout);
    expect(n.urls).toHaveLength(6);
    expect(n.urls.every((u: { state: string }) => u.state === 'notified')).toBe(true);
    expect(n.history.filter((h: { event: string }) => h.event === 'url:tracking-started')).toHaveLength(6);
    expect(n.tracking.state).toBe('notified');
  });

  it('alerts list --json gains reupload', async () => {
    const r = await cli('alerts', 'list', '--json');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    const items = Array.isArray(out) ? out : out.items;
    expect(items.length).toBe(6);
    expect(items.every((a: { reupload: boolean }) => a.reupload === false)).toBe(true);
  });

  it('stats --json, --csv and --public: the median from first notice to verified removal', async () => {
    // Removals after 2, 4, 6, 8, 10 and 12 hours: the median is 7 h.
    await ctx.sql.query(`UPDATE tracked_urls t SET first_removed_at = t.first_notified_at + (x.h || ' hours')::interval, removed_at = t.first_notified_at + (x.h || ' hours')::interval, state = 'removed'
      FROM (SELECT id, 2 * row_number() OVER (ORDER BY id) AS h FROM tracked_urls) x WHERE x.id = t.id`);
    const json = JSON.parse((await cli('stats', '--json')).stdout);
    const p = json.platforms.find((x: { platform: string }) => x.platform === platformName);
    expect(p).toMatchObject({ noticesSent: 1, urls: 6, removed: 6, medianHoursToRemoval: 7, removedWithin24h: 1, over42d: 0, noAnswer: 6 });
    const pub = JSON.parse((await cli('stats', '--public', '--json')).stdout);
    expect(pub.platforms[0]).toMatchObject({ urls: 6, noticesSent: null, medianHoursToRemoval: 7 });
    const csv = await cli('stats', '--csv', '--platform', platformName);
    expect(csv.stdout.split('\n')[0]).toBe('platform,noticesSent,reminders,escalations,urls,removed,medianHoursToRemoval,p90HoursToRemoval,removedWithin24h,removedWithin48h,removedWithin7d,over42d,refusals,noAnswer,reuploadRate');
    expect(csv.stdout.split('\n')[1]).toMatch(/^cli-board,1,0,0,6,6,7,/);
    const bad = await cli('stats', '--from', 'yesterday');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("is not a date: write it as YYYY-MM-DD");
    const audit = await ctx.sql.query("SELECT 1 FROM audit_log WHERE action = 'stats.read'");
    expect(audit.length).toBeGreaterThanOrEqual(3);
  });
});
