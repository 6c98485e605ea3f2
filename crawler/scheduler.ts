/**
 * The scheduler role: fires each enabled site's cron schedule (node-cron, the only module importing it)
 * and enqueues a crawl. Several schedulers may run (one per machine): each firing tries to create the
 * site's run, and the database lets at most one active run per site exist, so a firing that finds a crawl
 * still going (or another scheduler's) does nothing. Sites are re-read every `reloadMs`, so schedules
 * added, changed or disabled take effect within that time.
 *
 * It also sweeps for orphaned runs every `sweepMs`: a run whose worker died (its lease lapsed) or whose
 * job was never enqueued is enqueued again, and a worker resumes it from its persisted frontier. The same
 * sweep deletes the frontiers of runs that ended over an hour ago (page and search URLs are not kept).
 */
import cron, { type ScheduledTask } from 'node-cron';
import { createRun, failQueuedRun, purgeFinishedFrontiers, selectOrphanedRuns } from '../db/queries/crawl-runs.ts';
import { selectSites } from '../db/queries/crawl-sites.ts';
import type { Sql } from '../db/sql.ts';
import type { CrawlLog } from './crawl-run.ts';

/** Where runs are queued for the crawl workers (the service's job queue, `crawl-site` jobs). */
export interface RunEnqueuer {
  /** Queues the run's job; null when a job for it is already waiting. */
  enqueue(runId: string): Promise<string | null>;
}

export interface Scheduler {
  /** Re-reads the sites now. */
  reload(): Promise<void>;
  /** Fires a site's schedule now, as cron would (for tests and `staydown crawl`). */
  fire(siteId: string): Promise<string | null>;
  /** Enqueues orphaned runs now; returns their ids. */
  sweep(): Promise<string[]>;
  stop(): Promise<void>;
}

export function isValidSchedule(expr: string): boolean {
  return cron.validate(expr);
}

export interface SweepOptions {
  /** A queued run whose job has not started after this long is queued again (default 600 s). */
  queuedGraceSeconds?: number;
  /** Frontiers of runs that ended longer ago than this are deleted (default 3600 s). */
  frontierRetentionSeconds?: number;
}

/**
 * Queues orphaned runs again (a dead worker's lapsed lease, a job never queued) and deletes old
 * frontiers; returns the runs queued. The service's scheduler role runs it as a periodic job.
 */
export async function sweepOrphanedRuns(sql: Sql, queue: RunEnqueuer, log: CrawlLog, opts: SweepOptions = {}): Promise<string[]> {
  const orphans = await selectOrphanedRuns(sql, opts.queuedGraceSeconds ?? 600);
  for (const r of orphans) {
    await queue.enqueue(r.id);
    log.info({ run: r.id, status: r.status }, 'orphaned crawl run enqueued again');
  }
  const purged = await purgeFinishedFrontiers(sql, opts.frontierRetentionSeconds ?? 3600);
  if (purged > 0) log.info({ rows: purged }, 'frontiers of finished crawl runs deleted');
  return orphans.map((r) => r.id);
}

/**
 * Starts the site schedules. `sweepMs` also runs the orphan sweep on a timer of its own (the service
 * runs it from its job table instead and leaves this out).
 */
export async function startScheduler(sql: Sql, queue: RunEnqueuer, log: CrawlLog & { debug?: (o: object, m: string) => void }, opts: { reloadMs?: number; sweepMs?: number } & SweepOptions = {}): Promise<Scheduler> {
  const tasks = new Map<string, { expr: string; task: ScheduledTask }>();
  const cronLogger = {
    info: (m: string) => log.debug?.({ cron: m }, 'cron'),
    warn: (m: string) => log.warn({ cron: m }, 'cron'),
    error: (m: string | Error) => log.warn({ cron: String(m) }, 'cron error'),
    debug: () => undefined,
  };

  const fire = async (siteId: string): Promise<string | null> => {
    const { run, created } = await createRun(sql, siteId, 'schedule');
    if (!created) {
      log.info({ site: siteId, run: run.id }, 'scheduled crawl skipped: the site is still being crawled');
      return null;
    }
    await enqueueOrFail(sql, queue, run.id);
    log.info({ site: siteId, run: run.id }, 'scheduled crawl enqueued');
    return run.id;
  };

  const sweep = () => sweepOrphanedRuns(sql, queue, log, opts);

  const reload = async () => {
    const sites = (await selectSites(sql, { enabledOnly: true })).filter((s) => s.schedule && cron.validate(s.schedule));
    const wanted = new Map(sites.map((s) => [s.id, s.schedule!]));
    for (const [id, t] of tasks) {
      if (wanted.get(id) !== t.expr) {
        await t.task.destroy();
        tasks.delete(id);
      }
    }
    for (const [id, expr] of wanted) {
      if (tasks.has(id)) continue;
      const task = cron.schedule(expr, () => fire(id).then(() => undefined, (err) => log.warn({ site: id, err: (err as Error).message }, 'scheduled crawl could not be enqueued')), {
        name: `crawl-${id}`,
        noOverlap: true,
        logger: cronLogger,
      });
      tasks.set(id, { expr, task });
    }
  };

  await reload();
  const timer = setInterval(() => reload().catch((err) => log.warn({ err: (err as Error).message }, 'site schedules could not be reloaded')), opts.reloadMs ?? 60_000);
  timer.unref();
  const sweeper = opts.sweepMs
    ? setInterval(() => sweep().catch((err) => log.warn({ err: (err as Error).message }, 'orphaned crawl runs could not be swept')), opts.sweepMs)
    : null;
  sweeper?.unref();
  return {
    reload,
    fire,
    sweep,
    async stop() {
      clearInterval(timer);
      if (sweeper) clearInterval(sweeper);
      for (const t of tasks.values()) await t.task.destroy();
      tasks.clear();
    },
  };
}

/** Enqueues a new run's job; if that fails the run is marked failed so the site is not left blocked. */
export async function enqueueOrFail(sql: Sql, queue: RunEnqueuer, runId: string): Promise<void> {
  try {
    await queue.enqueue(runId);
  } catch (err) {
    await failQueuedRun(sql, runId, `The crawl job could not be queued: ${(err as Error).message}`).catch(() => undefined);
    throw err;
  }
}
