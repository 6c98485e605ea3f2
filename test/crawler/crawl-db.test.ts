import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { fingerprintBuffer } from '../../hashing/fingerprint.ts';
import { createRun, frontierStates, selectRun } from '../../db/queries/crawl-runs.ts';
import { insertSite, type SiteRow } from '../../db/queries/crawl-sites.ts';
import { selectAlerts, selectEvidence } from '../../db/queries/crawl-alerts.ts';
import { selectSiteMedia } from '../../db/queries/crawl-media.ts';
import { dbHostSlots } from '../../crawler/db-stores.ts';
import { acquireHost } from '../../crawler/politeness.ts';
import { executeRun, type CrawlServiceDeps } from '../../crawler/crawl-service.ts';
import { openQueue, type JobQueue } from '../../services/runtime/queue.ts';
import { queueSpec } from '../../services/runtime/job.ts';
import { CRAWL_JOB, crawlingJobs, runEnqueuer } from '../../services/crawling/jobs.ts';
import { startScheduler } from '../../crawler/scheduler.ts';
import { useTestDatabase } from '../support/db.ts';
import { waitFor } from '../support/tmp.ts';
import { syntheticPhoto } from '../support/images.ts';
import { startBoard, type Board } from './support/fixture-sites.ts';
import { materialMatcher, registerMaterial, testSealer } from './support/registered-material.ts';

const db = useTestDatabase('crawl_db');
let board: Board;
let board2: Board;
let board3: Board;
let board4: Board;
let materialIds: Record<string, string>;
let deps: CrawlServiceDeps;
let site: SiteRow;
const warnings: string[] = [];
const quiet = { info: () => undefined, warn: (o: object, m: string) => void warnings.push(`${m} ${JSON.stringify(o)}`) };

beforeAll(async () => {
  const originals = { A: await syntheticPhoto(9101, 320, 240), B: await syntheticPhoto(9102, 320, 240) };
  ({ materialIds } = await registerMaterial(db().sql, 'C-CRAWL-1', originals));
  const boardOpts = {
    threads: 8, imagesPerThread: 6, threadsPerIndexPage: 8,
    planted: new Map([[7, await sharp(originals.A).resize(280).jpeg({ quality: 70 }).toBuffer()], [19, originals.B]]),
  };
  // Three copies of the site on three origins, so each test sees media URLs of its own.
  [board, board2, board3, board4] = await Promise.all([startBoard(boardOpts), startBoard(boardOpts), startBoard(boardOpts), startBoard(boardOpts)]);
  deps = {
    sql: db().sql, matcher: await materialMatcher(db().sql), fingerprint: (b) => fingerprintBuffer(b), seal: testSealer(),
    openHeaders: () => undefined, keywords: async () => [], log: quiet,
  };
  site = await insertSite(db().sql, { name: 'board-1', startUrls: [`${board.origin}/`], allowHosts: ['127.0.0.1'], minIntervalMs: 0, concurrency: 4 });
});

afterAll(async () => {
  await Promise.all([board?.close(), board2?.close(), board3?.close(), board4?.close()]);
});

const alertKeys = async () => (await selectAlerts(db().sql, { siteId: site.id })).map((a) => `${a.material_id === materialIds.A ? 'A' : 'B'} ${a.media_url.replace(board.origin, '')}`).sort();
const EXPECTED = ['A /full/7.jpg', 'B /full/19.jpg'];

describe('crawl runs on the database', () => {
  it('allows one active run per site', async () => {
    const a = await createRun(db().sql, site.id, 'manual');
    const b = await createRun(db().sql, site.id, 'schedule');
    expect(a.created).toBe(true);
    expect(b).toMatchObject({ created: false, run: { id: a.run.id } });
    const r = await executeRun(deps, a.run.id);
    expect(r.status).toBe('done');
    expect(await alertKeys()).toEqual(EXPECTED);
    expect((await selectRun(db().sql, a.run.id))?.status).toBe('done');
  });

  it('stores evidence encrypted, with hashes and the capture time', async () => {
    const [alert] = await selectAlerts(db().sql, { siteId: site.id });
    const ev = await selectEvidence(db().sql, alert.id);
    expect(ev?.hashes.sha256).toBe(alert.media_sha256);
    expect(ev?.html_encrypted?.length).toBeGreaterThan(100);
    expect(ev?.html_encrypted?.toString('latin1')).not.toContain('<html');
    expect(ev?.screenshot_encrypted === null ? ev?.screenshot_error : 'shot').toBeTruthy();
  });

  it('a second run raises nothing twice and updates last-seen times', async () => {
    const before = await selectSiteMedia(db().sql, site.id);
    const { run } = await createRun(db().sql, site.id, 'manual');
    const r = await executeRun(deps, run.id);
    expect(r.status === 'done' && r.stats, JSON.stringify({ r, warnings })).toMatchObject({ alertsRaised: 0, matches: 2, mediaDownloaded: 0 });
    expect(await alertKeys()).toEqual(EXPECTED);
    const after = await selectSiteMedia(db().sql, site.id);
    expect(after.length).toBe(before.length);
    expect(after.every((m) => m.last_seen.getTime() > m.first_seen.getTime())).toBe(true);
  });

  it('resumes a run whose worker stopped mid-crawl from the persisted frontier', async () => {
    const s2 = await insertSite(db().sql, { name: 'board-2', startUrls: [`${board2.origin}/`], allowHosts: ['127.0.0.1'], minIntervalMs: 0, concurrency: 2 });
    const { run } = await createRun(db().sql, s2.id, 'manual');
    const stop = new AbortController();
    const first = executeRun(deps, run.id, stop.signal);
    const watcher = setInterval(() => { if (board2.hits.length > 15) stop.abort(); }, 10);
    await first.catch(() => undefined);
    clearInterval(watcher);
    const mid = await frontierStates(db().sql, run.id);
    expect(mid.pending ?? 0).toBeGreaterThan(0);
    expect((await selectRun(db().sql, run.id))?.status).toBe('running');
    const second = await executeRun(deps, run.id);
    expect(second.status).toBe('done');
    const end = await frontierStates(db().sql, run.id);
    expect(end.pending ?? 0, JSON.stringify({ second, end, warnings })).toBe(0);
    expect(end.claimed ?? 0).toBe(0);
    expect((await selectRun(db().sql, run.id))?.attempts).toBe(2);
    const alerts = await selectAlerts(db().sql, { siteId: s2.id });
    expect(alerts.map((a) => a.media_url.replace(board2.origin, '')).sort()).toEqual(['/full/19.jpg', '/full/7.jpg']);
  });

  it('lets one worker crawl a run at a time: a second delivery of its job finds it leased and leaves it', async () => {
    const s4 = await insertSite(db().sql, { name: 'board-4', startUrls: [`${board4.origin}/`], allowHosts: ['127.0.0.1'], minIntervalMs: 0, concurrency: 2 });
    const { run } = await createRun(db().sql, s4.id, 'manual');
    const first = executeRun(deps, run.id);
    await waitFor(async () => (await selectRun(db().sql, run.id))?.status === 'running', 10_000, 'the first worker to start');
    const second = await executeRun(deps, run.id);
    expect(second).toEqual({ status: 'not-runnable', reason: `The crawl run ${run.id} is being crawled by another worker.` });
    expect((await first).status).toBe('done');
    const after = await selectRun(db().sql, run.id);
    expect(after).toMatchObject({ status: 'done', attempts: 1, lease_owner: null });
    expect((await selectAlerts(db().sql, { siteId: s4.id })).map((a) => a.media_url.replace(board4.origin, '')).sort()).toEqual(['/full/19.jpg', '/full/7.jpg']);
    // Once it is done, a late duplicate does nothing either.
    expect(await executeRun(deps, run.id)).toEqual({ status: 'not-runnable', reason: `The crawl run ${run.id} is already done.` });
  });

  it('enforces per-host politeness across workers through the database', async () => {
    const rule = { minIntervalMs: 80, concurrency: 1 };
    const grants: Array<[number, number]> = [];
    const worker = async () => {
      const slots = dbHostSlots(db().sql);
      for (let i = 0; i < 4; i++) {
        const release = await acquireHost(slots, 'polite.example:80', rule);
        const t0 = Date.now();
        await new Promise((r) => setImmediate(r));
        grants.push([t0, Date.now()]);
        await release();
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    grants.sort((a, b) => a[0] - b[0]);
    expect(grants).toHaveLength(12);
    // Never two at once (concurrency 1), and spaced by the interval: the database clock decides, so the
    // span seen here may differ from 11 x 80 ms only by the round-trip jitter of the first and last grant.
    for (let i = 1; i < grants.length; i++) expect(grants[i][0]).toBeGreaterThanOrEqual(grants[i - 1][1]);
    expect(grants[11][0] - grants[0][0]).toBeGreaterThanOrEqual(11 * 80 - 40);
  });
});

describe('the scheduler sweep', () => {
  it('enqueues runs whose worker died, and deletes the frontiers of runs that ended over the retention time', async () => {
    const s5 = await insertSite(db().sql, { name: 'sweep-5', startUrls: ['http://sweep.example/'] });
    const s6 = await insertSite(db().sql, { name: 'sweep-6', startUrls: ['http://sweep6.example/'] });
    const old = (await createRun(db().sql, s5.id, 'manual')).run;
    await db().sql.query(`INSERT INTO crawl_frontier (run_id, url, depth, state) VALUES ($1, 'http://sweep.example/?q=secret', 0, 'done')`, [old.id]);
    await db().sql.query(`UPDATE crawl_runs SET status = 'done', finished_at = now() - interval '2 hours' WHERE id = $1`, [old.id]);
    // A run whose worker died: running, its lease lapsed.
    const dead = (await createRun(db().sql, s6.id, 'manual')).run;
    await db().sql.query(`INSERT INTO crawl_frontier (run_id, url, depth, state) VALUES ($1, 'http://sweep6.example/', 0, 'claimed')`, [dead.id]);
    await db().sql.query(`UPDATE crawl_runs SET status = 'running', lease_owner = 'gone', lease_expires_at = now() - interval '1 second' WHERE id = $1`, [dead.id]);
    const enqueued: string[] = [];
    const fakeQueue = { enqueue: async (id: string) => { enqueued.push(id); return id; }, work: async () => undefined, stop: async () => undefined };
    const sched = await startScheduler(db().sql, fakeQueue, quiet, { reloadMs: 60_000, sweepMs: 60_000 });
    try {
      expect(await sched.sweep()).toContain(dead.id);
    } finally {
      await sched.stop();
    }
    expect(enqueued).toContain(dead.id);
    expect(enqueued).not.toContain(old.id);
    expect(await frontierStates(db().sql, old.id)).toEqual({});
    // The dead run's frontier stays: it is how the run resumes.
    expect(await frontierStates(db().sql, dead.id)).toEqual({ claimed: 1 });
    await db().sql.query(`UPDATE crawl_runs SET status = 'failed', finished_at = now(), lease_owner = NULL WHERE id = $1`, [dead.id]);
  });
});

describe('the crawl-site job and the scheduler', () => {
  let queue: JobQueue;

  beforeAll(async () => {
    queue = await openQueue(db().sql, crawlingJobs.map(queueSpec), { schema: `${db().schema}_boss`, pollingIntervalSeconds: 0.5 });
    await queue.work(CRAWL_JOB, 2, async (data) => {
      await executeRun(deps, String(data.runId));
    });
  });

  afterAll(async () => {
    await queue?.stop({ graceful: false });
  });

  it('a scheduled site is crawled by a worker through the queue, never twice at once', async () => {
    const s3 = await insertSite(db().sql, { name: 'board-3', startUrls: [`${board3.origin}/`], allowHosts: ['127.0.0.1'], minIntervalMs: 0, concurrency: 4, schedule: '* * * * * *' });
    const sched = await startScheduler(db().sql, runEnqueuer((n, d, o) => queue.send(n, d, o)), quiet, { reloadMs: 60_000 });
    try {
      const done = await waitFor(async () => {
        const rows = await db().sql.query<{ status: string; trigger: string }>('SELECT status, trigger FROM crawl_runs WHERE site_id = $1', [s3.id]);
        const active = rows.filter((r) => r.status === 'queued' || r.status === 'running');
        expect(active.length).toBeLessThanOrEqual(1);
        return rows.find((r) => r.status === 'done' && r.trigger === 'schedule');
      }, 60_000, 'a scheduled crawl to finish');
      expect(done).toBeTruthy();
    } finally {
      await sched.stop();
    }
    const alerts = await selectAlerts(db().sql, { siteId: s3.id });
    const runs = await db().sql.query('SELECT id, status, trigger, attempts, stats, error FROM crawl_runs WHERE site_id = $1 ORDER BY created_at', [s3.id]);
    expect(alerts.map((a) => a.media_url.replace(board3.origin, '')).sort(), JSON.stringify({ runs, warnings })).toEqual(['/full/19.jpg', '/full/7.jpg']);
    // The schedule fires every second, so a next run may have been created before the scheduler stopped.
    expect(runs[0]).toMatchObject({ status: 'done', trigger: 'schedule', attempts: 1 });
    const frontier = await frontierStates(db().sql, (runs[0] as { id: string }).id);
    expect(frontier.pending ?? 0).toBe(0);
  });
});
