/**
 * A crawl worker process killed mid-crawl (SIGKILL: no clean-up of any kind) loses nothing: its run's lease
 * lapses, the scheduler's sweep enqueues the run again, another worker process resumes it from the
 * persisted frontier, and every alert is raised exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { createRun, frontierStates, selectRun } from '../../db/queries/crawl-runs.ts';
import { insertSite } from '../../db/queries/crawl-sites.ts';
import { selectAlerts } from '../../db/queries/crawl-alerts.ts';
import { openQueue } from '../../services/runtime/queue.ts';
import { queueSpec } from '../../services/runtime/job.ts';
import { crawlingJobs, runEnqueuer } from '../../services/crawling/jobs.ts';
import { useTestDatabase } from '../support/db.ts';
import { startServe, type RunningServe } from '../support/service.ts';
import { waitFor } from '../support/tmp.ts';
import { syntheticPhoto } from '../support/images.ts';
import { startBoard, type Board } from './support/fixture-sites.ts';
import { registerMaterial } from './support/registered-material.ts';

const db = useTestDatabase('crawl_kill');
const masterKey = randomBytes(32);
let board: Board;
let materialIds: Record<string, string>;
const children: RunningServe[] = [];

const env = () => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  DATABASE_URL: db().url,
  STAYDOWN_MASTER_KEY: masterKey.toString('hex'),
  STAYDOWN_DATA_DIR: '/nonexistent-not-used',
  STAYDOWN_QUEUE_SCHEMA: `${db().schema}_boss`,
  STAYDOWN_CRAWL_LEASE_SECONDS: '3',
  STAYDOWN_CRAWL_SWEEP_SECONDS: '1',
  STAYDOWN_LOG_LEVEL: 'warn',
});

beforeAll(async () => {
  const originals = { A: await syntheticPhoto(9401, 320, 240), B: await syntheticPhoto(9402, 320, 240) };
  ({ materialIds } = await registerMaterial(db().sql, 'C-KILL-1', originals, masterKey));
  // 3 index pages, 12 threads, 24 post pages; one re-upload early in the crawl, one at the very end.
  board = await startBoard({
    threads: 12, imagesPerThread: 6, threadsPerIndexPage: 4,
    planted: new Map([[2, await sharp(originals.A).resize(260).jpeg({ quality: 75 }).toBuffer()], [70, await sharp(originals.B).flop().toBuffer()]]),
  });
});

afterAll(async () => {
  for (const c of children) c.child.kill('SIGKILL');
  await board?.close();
});

describe('a crawl worker killed mid-crawl', { timeout: 240_000 }, () => {
  it('is resumed by another worker process from the persisted frontier, with every alert raised once', async () => {
    // Slow enough (one request at a time, 120 ms apart) that the kill lands mid-crawl.
    const site = await insertSite(db().sql, { name: 'board-kill', startUrls: [`${board.origin}/`], allowHosts: ['127.0.0.1'], minIntervalMs: 120, concurrency: 1 });
    const queue = await openQueue(db().sql, crawlingJobs.map(queueSpec), { schema: `${db().schema}_boss` });
    const { run } = await createRun(db().sql, site.id, 'manual');
    await runEnqueuer((n, d, o) => queue.send(n, d, o)).enqueue(run.id);
    await queue.stop();

    const first = await startServe(env(), ['--roles', 'worker']);
    children.push(first);
    await waitFor(async () => ((await frontierStates(db().sql, run.id)).done ?? 0) >= 6, 120_000, 'the first worker to crawl a few pages');
    first.child.kill('SIGKILL');
    await first.exited;
    const mid = await frontierStates(db().sql, run.id);
    expect(mid.pending ?? 0, JSON.stringify(mid)).toBeGreaterThan(0);
    expect((await selectRun(db().sql, run.id))?.status).toBe('running');

    // A new worker with the scheduler: the sweep finds the run whose lease lapsed and enqueues it again.
    const second = await startServe(env(), ['--roles', 'worker,scheduler']);
    children.push(second);
    const done = await waitFor(async () => {
      const r = await selectRun(db().sql, run.id);
      return r && r.status !== 'running' ? r : null;
    }, 150_000, 'the second worker to finish the run').catch(async (err: Error) => {
      const jobs = await db().sql.query(`SELECT state, retry_count, singleton_key, started_on, created_on FROM ${db().schema}_boss.job`);
      throw new Error(`${err.message}\n${JSON.stringify({ run: await selectRun(db().sql, run.id), frontier: await frontierStates(db().sql, run.id), jobs, now: new Date() })}\nfirst: ${first.stderr().slice(-3000)}\nsecond: ${second.stderr().slice(-3000)}`);
    });
    expect(done.status, JSON.stringify({ done, stderr: second.stderr() })).toBe('done');
    expect(done.attempts).toBe(2);
    expect(done.lease_owner).toBeNull();
    const end = await frontierStates(db().sql, run.id);
    expect(end.pending ?? 0).toBe(0);
    expect(end.claimed ?? 0).toBe(0);
    // '/', '/?page=1' (the 'prev' link: another URL), two more index pages, 12 threads and 24 post pages.
    expect(end.done).toBe(2 + 2 + 12 + 24);

    const alerts = await selectAlerts(db().sql, { siteId: site.id });
    const keys = alerts.map((a) => `${a.material_id === materialIds.A ? 'A' : 'B'} ${a.media_url.replace(board.origin, '')}`).sort();
    // Image 2 is shown as a CSS-background thumbnail in its thread and in full on its post page: both alert.
    expect(keys).toEqual(['A /full/2.jpg', 'A /thumb/2.jpg', 'B /full/70.jpg']);
    // Each image was downloaded once per content: the resumed worker skipped media the first one recorded.
    const fullHits = board.hits.filter((h) => /^\/full\/\d+\.jpg$/.test(h));
    expect(new Set(fullHits).size).toBe(72);
    await second.stop();
  });
});
