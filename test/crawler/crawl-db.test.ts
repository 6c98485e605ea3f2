import { AsyncLocalStorage } from 'node:async_hooks';
import { createDecipheriv, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { fingerprintBuffer } from '../../hashing/fingerprint.ts';
import { createRun, frontierStates, selectRun, type RunRow } from '../../db/queries/crawl-runs.ts';
import { insertSite, type SiteRow } from '../../db/queries/crawl-sites.ts';
import { selectAlerts, selectEvidence } from '../../db/queries/crawl-alerts.ts';
import { selectSiteMedia } from '../../db/queries/crawl-media.ts';
import { dbHostSlots } from '../../crawler/db-stores.ts';
import { acquireHost } from '../../crawler/politeness.ts';
import { executeRun, type CrawlServiceDeps, type RunResult } from '../../crawler/crawl-service.ts';
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
// The sealing key of these tests, so a test can open the evidence it stored.
const sealKey = randomBytes(32);
const unseal = (sealed: Buffer) => {
  const d = createDecipheriv('aes-256-gcm', sealKey, sealed.subarray(0, 12));
  d.setAuthTag(sealed.subarray(12, 28));
  return Buffer.concat([d.update(sealed.subarray(28)), d.final()]);
};
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
    sql: db().sql, matcher: await materialMatcher(db().sql), fingerprint: (b) => fingerprintBuffer(b), seal: testSealer(sealKey),
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
    const alerts = await selectAlerts(db().sql, { siteId: site.id });
    expect(alerts).toHaveLength(2);
    for (const alert of alerts) {
      const ev = (await selectEvidence(db().sql, alert.id))!;
      expect(ev.hashes.sha256).toBe(alert.media_sha256);
      expect(ev.hashes.pdq).toMatch(/^[0-9a-f]{64}$/);
      // Sealed: the stored bytes are not the page, and open under the key to the page that showed the media.
      expect(ev.html_encrypted!.toString('latin1')).not.toContain('<html');
      const html = unseal(ev.html_encrypted!).toString('utf8');
      expect(html).toContain('<html');
      expect(html).toContain(new URL(alert.media_url).pathname);
      // These deps give the crawl no browser, so there is no screenshot: the evidence says why instead
      // (crawl-run.ts captureEvidence: the browser() promise rejects, its message becomes screenshotError).
      expect(ev.screenshot_encrypted).toBeNull();
      expect(ev.screenshot_error).toBe('No browser is available to this crawl.');
      // Captured while the first run crawled (the same clock: the test database runs on this machine).
      const run = await db().sql.query<{ started_at: Date; finished_at: Date }>('SELECT r.started_at, r.finished_at FROM crawl_alerts a JOIN crawl_runs r ON r.id = a.run_id WHERE a.id = $1', [alert.id]);
      expect(ev.captured_at.getTime()).toBeGreaterThanOrEqual(run[0].started_at.getTime());
      expect(ev.captured_at.getTime()).toBeLessThanOrEqual(run[0].finished_at.getTime());
    }
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
  // What the queue's workers did, seen from inside them. A job's executeRun is "crawling" from the moment
  // it has the run's lease and reads the site (openHeaders, called once per started attempt) until it
  // returns; the async context tells which job a call to openHeaders belongs to.
  const job = new AsyncLocalStorage<{ siteId: string | null }>();
  const crawling = new Map<string, number>(); // site id -> executeRun calls crawling it now
  const mostAtOnce = new Map<string, number>();
  const results: Array<{ runId: string; crawled: boolean; result: RunResult }> = [];
  let jobsInFlight = 0;

  beforeAll(async () => {
    queue = await openQueue(db().sql, crawlingJobs.map(queueSpec), { schema: `${db().schema}_boss`, pollingIntervalSeconds: 0.5 });
    const jobDeps: CrawlServiceDeps = {
      ...deps,
      openHeaders: (row) => {
        job.getStore()!.siteId = row.id;
        const n = (crawling.get(row.id) ?? 0) + 1;
        crawling.set(row.id, n);
        mostAtOnce.set(row.id, Math.max(mostAtOnce.get(row.id) ?? 0, n));
        return undefined;
      },
    };
    await queue.work(CRAWL_JOB, 2, async (data) => {
      const runId = String(data.runId);
      const j: { siteId: string | null } = { siteId: null };
      jobsInFlight++;
      try {
        const result = await job.run(j, () => executeRun(jobDeps, runId));
        results.push({ runId, crawled: j.siteId !== null, result });
      } finally {
        if (j.siteId !== null) crawling.set(j.siteId, crawling.get(j.siteId)! - 1);
        jobsInFlight--;
      }
    });
  });

  afterAll(async () => {
    await queue?.stop({ graceful: false });
  });

  it('a scheduled site is crawled by a worker through the queue, never twice at once', async () => {
    const s3 = await insertSite(db().sql, { name: 'board-3', startUrls: [`${board3.origin}/`], allowHosts: ['127.0.0.1'], minIntervalMs: 0, concurrency: 4, schedule: '* * * * * *' });
    const enqueuer = runEnqueuer((n, d, o) => queue.send(n, d, o));
    const sched = await startScheduler(db().sql, enqueuer, quiet, { reloadMs: 60_000 });
    // The run's job delivered a second time while the run is being crawled, as pg-boss may after a
    // worker stalls: the queue's other worker takes it, and must leave the run to the first.
    let redelivered: string | null = null;
    let done: RunRow;
    try {
      done = await waitFor(async () => {
        const rows = await db().sql.query<RunRow>('SELECT * FROM crawl_runs WHERE site_id = $1 ORDER BY created_at', [s3.id]);
        expect(rows.filter((r) => r.status === 'queued' || r.status === 'running').length).toBeLessThanOrEqual(1);
        const running = rows.find((r) => r.status === 'running');
        if (running && !redelivered) {
          redelivered = running.id;
          expect(await enqueuer.enqueue(running.id), 'a second job for the running run').not.toBeNull();
        }
        return rows.find((r) => r.status === 'done' && r.trigger === 'schedule');
      }, 60_000, 'a scheduled crawl to finish');
    } finally {
      await sched.stop();
    }
    // A next run the schedule created before it stopped is crawled to its end too: nothing is left
    // crawling when the database closes after this file, and the checks below cover that run as well.
    await waitFor(async () => {
      const active = await db().sql.query(`SELECT 1 FROM crawl_runs WHERE site_id = $1 AND status IN ('queued', 'running')`, [s3.id]);
      return active.length === 0 && jobsInFlight === 0;
    }, 60_000, 'the site\'s last scheduled run to end');
    // The second delivery reached a worker (which found the run leased, or already done) and crawled nothing.
    const forRedelivered = await waitFor(() => {
      const r = results.filter((x) => x.runId === redelivered);
      return r.length >= 2 ? r : null;
    }, 30_000, 'the second delivery of the run to reach a worker');
    expect(forRedelivered.filter((x) => x.crawled).map((x) => x.result.status)).toEqual(['done']);
    expect(forRedelivered.filter((x) => !x.crawled).map((x) => x.result)).toEqual([
      { status: 'not-runnable', reason: expect.stringMatching(new RegExp(`^The crawl run ${redelivered} (is being crawled by another worker|is already done)\\.$`)) },
    ]);
    expect(mostAtOnce.get(s3.id)).toBe(1);

    const alerts = await selectAlerts(db().sql, { siteId: s3.id });
    const runs = await db().sql.query<RunRow>('SELECT * FROM crawl_runs WHERE site_id = $1 ORDER BY created_at', [s3.id]);
    expect(alerts.map((a) => a.media_url.replace(board3.origin, '')).sort(), JSON.stringify({ runs, warnings })).toEqual(['/full/19.jpg', '/full/7.jpg']);
    // The schedule fires every second, so a next run may have been created before the scheduler stopped;
    // the first one is the one that finished, crawled once, and raised both alerts.
    expect(runs[0]).toMatchObject({ id: done.id, status: 'done', trigger: 'schedule', attempts: 1 });
    expect(done.id).toBe(redelivered);
    expect(done.stats).toMatchObject({ alertsRaised: 2 });
    // No two of the site's runs were ever active at once: each started after the one before finished.
    expect(runs.map((r) => r.status)).toEqual(runs.map(() => 'done'));
    for (let i = 1; i < runs.length; i++) expect(runs[i].started_at!.getTime()).toBeGreaterThanOrEqual(runs[i - 1].finished_at!.getTime());
    const frontier = await frontierStates(db().sql, runs[0].id);
    expect(frontier.pending ?? 0).toBe(0);
  });
});
