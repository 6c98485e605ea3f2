/**
 * The crawl job queue: the only module that imports pg-boss. The scheduler and `staydown crawl` enqueue a
 * `crawl-site` job per run; worker roles take them with a configurable concurrency; many workers on many
 * machines share the queue through the database. A job's run id is its singleton key under pg-boss's
 * `short` policy (at most one waiting job per run; a dead worker's job still marked active does not block
 * a new one), a site has at most one active run (the database
 * enforces it), and the worker holds a lease on the run while it crawls (crawl-service.ts), so a site never
 * has two crawls at once even if a job is delivered twice. A worker killed mid-crawl stops renewing its
 * lease; the scheduler's sweep then enqueues the run again and it resumes from its persisted frontier.
 */
import PgBoss from 'pg-boss';
import type { Sql } from '../../db/sql.ts';

export const CRAWL_JOB = 'crawl-site';

export interface QueueOptions {
  /** pg-boss's own schema (default 'pgboss'). */
  schema?: string;
  /** How long a job may stay active without finishing before it counts as dead and is retried. */
  expireInSeconds?: number;
  /** How often expired jobs are looked for. */
  maintenanceIntervalSeconds?: number;
  retryLimit?: number;
  pollingIntervalSeconds?: number;
}

export interface CrawlQueue {
  enqueue(runId: string): Promise<string | null>;
  /** Starts `concurrency` workers calling `handler` for each job; a throw makes pg-boss retry the job. */
  work(concurrency: number, handler: (runId: string) => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

/** pg-boss talks to the database through our seam, so it runs on PostgreSQL and on the embedded PGlite. */
function adapter(sql: Sql): PgBoss.Db {
  return {
    async executeSql(text: string, values: unknown[]) {
      if (values && values.length > 0) return { rows: await sql.query(text, values as never) };
      try {
        return { rows: await sql.query(text) };
      } catch (err) {
        // Its install and migration scripts are several statements in one text: run those as a script.
        if (!/multiple commands|cannot insert multiple/i.test((err as Error).message)) throw err;
        await sql.script(text);
        return { rows: [] };
      }
    },
  };
}

export async function openCrawlQueue(sql: Sql, opts: QueueOptions = {}): Promise<CrawlQueue> {
  const boss = new PgBoss({
    db: adapter(sql),
    ...(opts.schema ? { schema: opts.schema } : {}),
    maintenanceIntervalSeconds: opts.maintenanceIntervalSeconds ?? 60,
    // The scheduler role uses node-cron (crawler/scheduler.ts); pg-boss's own cron is not started.
    schedule: false,
  });
  const errors: Error[] = [];
  boss.on('error', (err) => errors.push(err));
  await boss.start();
  await boss.createQueue(CRAWL_JOB, {
    name: CRAWL_JOB,
    policy: 'short',
    retryLimit: opts.retryLimit ?? 5,
    retryDelay: 5,
    expireInSeconds: opts.expireInSeconds ?? 4 * 60 * 60,
  }).catch((err) => {
    // Another process created it first.
    if (!/already exists|duplicate/i.test((err as Error).message)) throw err;
  });
  return {
    enqueue: (runId) => boss.send(CRAWL_JOB, { runId }, { singletonKey: runId }),
    async work(concurrency, handler) {
      for (let i = 0; i < concurrency; i++) {
        await boss.work<{ runId: string }>(CRAWL_JOB, { batchSize: 1, pollingIntervalSeconds: opts.pollingIntervalSeconds ?? 2 }, async ([job]) => {
          await handler(job.data.runId);
        });
      }
    },
    async stop() {
      await boss.stop({ graceful: false, close: false, wait: true } as PgBoss.StopOptions);
    },
  };
}
