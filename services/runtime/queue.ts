/**
 * The job queue: the only module that imports pg-boss. Jobs are named in the job table (jobs.ts); this
 * module knows nothing of any one job. Many processes on many machines share the queue through the
 * database; on the embedded database everything runs in the one process.
 *
 * Delivery is at least once: a worker killed mid-job leaves the job active until it expires, then pg-boss
 * hands it out again, so every handler must be safe to run twice (the crawl holds a lease on its run;
 * deliveries record what they sent before they send again).
 */
import PgBoss from 'pg-boss';
import type { Sql } from '../../db/sql.ts';

export interface QueueJobSpec {
  name: string;
  /** Retries after a failed attempt, and seconds between them. */
  retryLimit: number;
  retryDelaySeconds: number;
  /** How long one attempt may stay active before it counts as dead and is retried. */
  expireInSeconds: number;
}

export interface QueueOptions {
  /** pg-boss's own schema (default 'pgboss'). */
  schema?: string;
  /** How often expired jobs are looked for. */
  maintenanceIntervalSeconds?: number;
  pollingIntervalSeconds?: number;
}

export interface JobQueue {
  /**
   * Queues one job. With a `singletonKey` at most one job with that key waits at a time (pg-boss's
   * `short` policy): a second send returns null. A dead worker's job still marked active does not block.
   */
  send(name: string, data: object, opts?: { singletonKey?: string }): Promise<string | null>;
  /** Starts `concurrency` workers calling `handler` for each job of `name`; a throw makes pg-boss retry it. */
  work(name: string, concurrency: number, handler: (data: Record<string, unknown>) => Promise<void>): Promise<void>;
  /**
   * Stops taking jobs. `graceful` (the default) waits up to `timeoutMs` for running handlers to return;
   * otherwise they are abandoned where they are (a test's sudden stop).
   */
  stop(opts?: { graceful?: boolean; timeoutMs?: number }): Promise<void>;
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

export async function openQueue(sql: Sql, jobs: readonly QueueJobSpec[], opts: QueueOptions = {}): Promise<JobQueue> {
  const boss = new PgBoss({
    db: adapter(sql),
    ...(opts.schema ? { schema: opts.schema } : {}),
    maintenanceIntervalSeconds: opts.maintenanceIntervalSeconds ?? 60,
    // Periodic jobs are fired by the scheduler role from the job table; pg-boss's own cron is not started.
    schedule: false,
  });
  const errors: Error[] = [];
  boss.on('error', (err) => errors.push(err));
  await boss.start();
  for (const job of jobs) {
    await boss.createQueue(job.name, {
      name: job.name,
      policy: 'short',
      retryLimit: job.retryLimit,
      retryDelay: job.retryDelaySeconds,
      expireInSeconds: job.expireInSeconds,
    }).catch((err) => {
      // Another process created it first.
      if (!/already exists|duplicate/i.test((err as Error).message)) throw err;
    });
  }
  const known = new Set(jobs.map((j) => j.name));
  const check = (name: string) => {
    if (!known.has(name)) throw new Error(`There is no job named '${name}' in the job table (services/runtime/jobs.ts).`);
  };
  return {
    async send(name, data, o = {}) {
      check(name);
      return boss.send(name, data, o.singletonKey ? { singletonKey: o.singletonKey } : {});
    },
    async work(name, concurrency, handler) {
      check(name);
      for (let i = 0; i < concurrency; i++) {
        await boss.work<Record<string, unknown>>(name, { batchSize: 1, pollingIntervalSeconds: opts.pollingIntervalSeconds ?? 2 }, async ([job]) => {
          await handler(job.data);
        });
      }
    },
    async stop(o = {}) {
      const graceful = o.graceful ?? true;
      await boss.stop({ graceful, close: false, wait: true, ...(graceful ? { timeout: o.timeoutMs ?? 30_000 } : {}) } as PgBoss.StopOptions);
    },
  };
}
