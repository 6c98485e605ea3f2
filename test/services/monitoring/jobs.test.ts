/**
 * The monitoring jobs on the real job runner (pg-boss on PostgreSQL): the scheduler's `monitor-checks`
 * starts tracking a sent notice and queues a `url-check` per due URL, workers check them; the
 * `notice-reminders` job drafts and approves a reminder and queues its delivery.
 */
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../support/db.ts';
import { useTempDir, waitFor } from '../../support/tmp.ts';
import { serviceContext } from '../../support/service.ts';
import { startLocalServer, type LocalServer } from '../../crawler/support/local-server.ts';
import { fixtureImage } from '../../crawler/support/fixture-images.ts';
import { startJobs, type JobRunner } from '../../../services/runtime/job-runner.ts';
import { JOBS } from '../../../services/runtime/jobs.ts';
import { monitoringJobs } from '../../../services/monitoring/jobs.ts';
import { deliveryJobs } from '../../../services/delivery/jobs.ts';
import type { ServiceContext } from '../../../services/platform/context.ts';
import { seedConfirmed, seedLoopbackSite, seedMonitoredCase, seedPlatformRow, seedSent } from './support.ts';

const db = useTestDatabase('monitor_jobs');
const tmp = useTempDir('monitor-jobs');
let ctx: ServiceContext;
let server: LocalServer;
const runners: JobRunner[] = [];

beforeAll(async () => {
  const material = await fixtureImage(811, 320, 240);
  const placeholder = await fixtureImage(812, 200, 150);
  const send = (res: ServerResponse, status: number, type: string, body: Buffer | string) => void res.writeHead(status, { 'content-type': type }).end(body);
  server = await startLocalServer({
    '/p/up': (_q, res) => send(res, 200, 'text/html', '<img src="/i/up.jpg">'),
    '/i/up.jpg': (_q, res) => send(res, 200, 'image/jpeg', material),
    '/p/gone': (_q, res) => send(res, 200, 'text/html', '<p>deleted</p><img src="/static/d.jpg">'),
    '/static/d.jpg': (_q, res) => send(res, 200, 'image/jpeg', placeholder),
  });
  const base = await serviceContext(db(), tmp());
  ctx = {
    ...base,
    config: Object.freeze({
      ...base.config, queueSchema: `${db().schema}_boss`, orgEmail: 'takedown@centre.example',
      monitoring: Object.freeze({ ...base.config.monitoring, sweepMs: 500, checkEveryMs: 1000, remindAfterMs: 12_000, escalateAfterMs: 3_600_000 }),
    }),
  };
  const c = await seedMonitoredCase(ctx.sql, ctx.masterKey, { m: material });
  const siteId = await seedLoopbackSite(ctx.sql, server.origin);
  const platform = await seedPlatformRow(ctx.sql);
  const up = await seedConfirmed(ctx.sql, { caseId: c.caseId, materialId: c.materialIds.m, siteId, pageUrl: `${server.origin}/p/up`, mediaUrl: `${server.origin}/i/up.jpg` });
  const gone = await seedConfirmed(ctx.sql, { caseId: c.caseId, materialId: c.materialIds.m, siteId, pageUrl: `${server.origin}/p/gone`, mediaUrl: `${server.origin}/i/gone.jpg` });
  sendNotice = () => seedSent(ctx.sql, c.caseId, platform, [up, gone]).then(() => undefined);
});
let sendNotice: () => Promise<void>;

afterAll(async () => {
  for (const r of runners) await r.stop(10_000);
  await server?.close();
});

describe('monitoring jobs', () => {
  it('are in the job table with their roles', () => {
    const byName = new Map(JOBS.map((j) => [j.name, j.role]));
    expect([byName.get('monitor-checks'), byName.get('url-check'), byName.get('notice-reminders'), byName.get('notice-escalations')]).toEqual(['scheduler', 'worker', 'scheduler', 'scheduler']);
  });

  it('the scheduler queues due checks, workers check them, and a reminder is drafted, approved and queued for delivery', async () => {
    const jobs = [...monitoringJobs, ...deliveryJobs];
    runners.push(await startJobs(ctx, { roles: ['scheduler'], matcher: null, log: ctx.log, jobs }));
    runners.push(await startJobs(ctx, { roles: ['worker'], matcher: null, log: ctx.log, jobs }));
    // The notice goes out once the runners are up, so the clocks start with them.
    await sendNotice();
    const states = await waitFor(async () => {
      const rows = await ctx.sql.query<{ media_url: string; state: string; last_check_result: string | null }>('SELECT media_url, state, last_check_result FROM tracked_urls ORDER BY media_url');
      return rows.length === 2 && rows.every((r) => r.last_check_result) && rows;
    }, 60_000, 'both URLs checked by the workers');
    expect(states.map((s) => [new URL(s.media_url).pathname, s.state])).toEqual([['/i/gone.jpg', 'removed'], ['/i/up.jpg', 'notified']]);
    const reminder = await waitFor(async () => (await ctx.sql.query<{ id: string; status: string; created_at: Date }>("SELECT id::text, status, created_at FROM notices WHERE kind = 'reminder'"))[0], 60_000, 'a reminder notice');
    expect(['approved', 'sending', 'failed']).toContain(reminder.status);
    // The removal was verified before the reminder was due (12 s after the notice)...
    const [removed] = await ctx.sql.query<{ at: Date }>("SELECT h.at FROM tracked_url_history h JOIN tracked_urls t ON t.id = h.tracked_url_id WHERE h.event = 'check:removed' AND t.media_url LIKE '%/i/gone.jpg'");
    expect(removed.at.getTime()).toBeLessThan(reminder.created_at.getTime());
    const items = await ctx.sql.query<{ media_url: string }>('SELECT media_url FROM notice_items WHERE notice_id = $1', [reminder.id]);
    // Only the URL still up is reminded of.
    expect(items.map((i) => new URL(i.media_url).pathname)).toEqual(['/i/up.jpg']);
  });
});
