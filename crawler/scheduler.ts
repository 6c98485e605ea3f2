/**
 * The scheduler role: fires each enabled site's cron schedule (node-cron, the only module importing it)
 * and enqueues a crawl. Several schedulers may run (one per machine): each firing tries to create the
 * site's run, and the database lets at most one active run per site exist, so a firing that finds a crawl
 * still going (or another scheduler's) does nothing. Sites are re-read every `reloadMs`, so schedules
 * added, changed or disabled take effect within that time.
 */
import cron, { type ScheduledTask } from 'node-cron';
import { createRun } from '../db/queries/crawl-runs.ts';
import { selectSites } from '../db/queries/crawl-sites.ts';
import type { Sql } from '../db/sql.ts';
import type { CrawlLog } from './crawl-run.ts';
import type { CrawlQueue } from './queue.ts';

export interface Scheduler {
  /** Re-reads the sites now. */
  reload(): Promise<void>;
  /** Fires a site's schedule now, as cron would (for tests and `staydown crawl`). */
  fire(siteId: string): Promise<string | null>;
  stop(): Promise<void>;
}

export function isValidSchedule(expr: string): boolean {
  return cron.validate(expr);
}

export async function startScheduler(sql: Sql, queue: CrawlQueue, log: CrawlLog & { debug?: (o: object, m: string) => void }, opts: { reloadMs?: number } = {}): Promise<Scheduler> {
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
    await queue.enqueue(run.id);
    log.info({ site: siteId, run: run.id }, 'scheduled crawl enqueued');
    return run.id;
  };

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
  return {
    reload,
    fire,
    async stop() {
      clearInterval(timer);
      for (const t of tasks.values()) await t.task.destroy();
      tasks.clear();
    },
  };
}
