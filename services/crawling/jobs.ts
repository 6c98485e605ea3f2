/**
 * The crawl's background work: `crawl-site` runs one crawl run (worker role); `crawl-sweep` queues
 * orphaned runs again and deletes old frontiers (scheduler role, every STAYDOWN_CRAWL_SWEEP_SECONDS).
 * Each site's own cron schedule is started by `startSiteSchedules` in the scheduler role.
 */
import { executeRun } from '../../crawler/crawl-service.ts';
import { enqueueOrFail, startScheduler, sweepOrphanedRuns, type RunEnqueuer, type Scheduler } from '../../crawler/scheduler.ts';
import type { Sql } from '../../db/sql.ts';
import type { Logger } from '../platform/log.ts';
import type { JobDef, JobEnv } from '../runtime/job.ts';
import { crawlDeps } from './crawl-runtime.ts';

export const CRAWL_JOB = 'crawl-site';
export const CRAWL_SWEEP_JOB = 'crawl-sweep';

/** Runs are queued under their id as the singleton key: at most one waiting job per run. */
export function runEnqueuer(send: JobEnv['send']): RunEnqueuer {
  return { enqueue: (runId) => send(CRAWL_JOB, { runId }, { singletonKey: runId }) };
}

export const crawlingJobs: JobDef[] = [
  {
    name: CRAWL_JOB,
    role: 'worker',
    concurrency: (config) => config.crawlWorkers,
    retry: { limit: 5, delaySeconds: 5 },
    expireInSeconds: 4 * 60 * 60,
    async run(data, env) {
      const runId = String(data.runId);
      const log = env.log.child({ run: runId });
      const runtime = crawlDeps(env.ctx.sql, env.ctx.masterKey, env.matcher(), log, { leaseSeconds: env.ctx.config.crawlLeaseSeconds, pool: env.ctx.fingerprints, chromiumPath: env.ctx.config.chromiumPath, features: env.ctx.config.crawlFeatures });
      try {
        const r = await executeRun(runtime.deps, runId, env.signal);
        env.log.info({ run: runId, status: r.status }, 'crawl job finished');
      } finally {
        await runtime.close();
      }
    },
  },
  {
    name: CRAWL_SWEEP_JOB,
    role: 'scheduler',
    everyMs: (config) => config.crawlSweepSeconds * 1000,
    retry: { limit: 0, delaySeconds: 0 },
    expireInSeconds: 15 * 60,
    async run(_data, env) {
      await sweepOrphanedRuns(env.ctx.sql, runEnqueuer(env.send), env.log);
    },
  },
];

/** The scheduler role's site schedules: each enabled site's cron queues a crawl run. */
export function startSiteSchedules(sql: Sql, send: JobEnv['send'], log: Logger): Promise<Scheduler> {
  return startScheduler(sql, runEnqueuer(send), log);
}

/** Queues a new run's job (`staydown crawl` without --wait); a run that cannot be queued is marked failed. */
export function queueRun(sql: Sql, send: JobEnv['send'], runId: string): Promise<void> {
  return enqueueOrFail(sql, runEnqueuer(send), runId);
}
