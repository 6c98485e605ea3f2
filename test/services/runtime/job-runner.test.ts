/**
 * The job table's runner on a real PostgreSQL: a job runs only in the processes of its role, the
 * scheduler role fires periodic jobs (one waiting at a time), and stopping lets a running job see its
 * signal and finish before `stop` returns - so what the process closes afterwards (its fingerprinting
 * pool) is never closed under a job still using it.
 */
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../support/db.ts';
import { useTempDir, waitFor } from '../../support/tmp.ts';
import { serviceContext } from '../../support/service.ts';
import { startJobs } from '../../../services/runtime/job-runner.ts';
import { JOBS } from '../../../services/runtime/jobs.ts';
import type { JobDef } from '../../../services/runtime/job.ts';
import type { ServiceContext } from '../../../services/platform/context.ts';

const db = useTestDatabase('job_runner');
const tmp = useTempDir('jobs');

async function context(suffix: string): Promise<ServiceContext> {
  const ctx = await serviceContext(db(), tmp());
  return { ...ctx, config: { ...ctx.config, queueSchema: `${db().schema}_${suffix}` } };
}

describe('the job table', () => {
  it('names every job once, with a role that exists and a retry policy', () => {
    const names = JOBS.map((j) => j.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['crawl-site', 'crawl-sweep', 'evidence-purge']));
    for (const j of JOBS) {
      expect(['api', 'worker', 'scheduler']).toContain(j.role);
      expect(j.retry.limit).toBeGreaterThanOrEqual(0);
      expect(j.expireInSeconds).toBeGreaterThan(0);
    }
  });
});

describe('the job runner', () => {
  it('works a job only in its role, fires periodic jobs from the scheduler, and drains before stop returns', async () => {
    const ctx = await context('a');
    const ran: string[] = [];
    let ticks = 0;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let sawStop = false;
    let finished = false;
    const jobs: JobDef[] = [
      {
        name: 'test-long', role: 'worker', retry: { limit: 0, delaySeconds: 0 }, expireInSeconds: 60,
        async run(data, env) {
          ran.push(String(data.n));
          env.signal.addEventListener('abort', () => {
            sawStop = true;
            release();
          });
          await held;
          await new Promise((r) => setTimeout(r, 300)); // the job's own wind-down after it was told to stop
          finished = true;
        },
      },
      {
        name: 'test-tick', role: 'scheduler', everyMs: () => 200, retry: { limit: 0, delaySeconds: 0 }, expireInSeconds: 60,
        async run() {
          ticks++;
        },
      },
    ];
    // A scheduler-only process fires and works the periodic job, and never takes the worker's job.
    const scheduler = await startJobs(ctx, { roles: ['scheduler'], matcher: null, log: ctx.log, jobs });
    const worker = await startJobs(ctx, { roles: ['worker'], matcher: null, log: ctx.log, jobs });
    try {
      await waitFor(() => ticks >= 2, 30_000, 'the periodic job to run twice');
      expect(await scheduler.send('test-long', { n: 1 })).toBeTruthy();
      await waitFor(() => ran.length === 1, 30_000, 'the worker to take the long job');
      expect(ran).toEqual(['1']);
      await scheduler.stop();
      const ticksAfterStop = ticks;
      const stopped = worker.stop(20_000);
      await stopped;
      // stop() returned only after the running job had seen its signal and finished.
      expect(sawStop).toBe(true);
      expect(finished).toBe(true);
      await new Promise((r) => setTimeout(r, 500));
      expect(ticks).toBe(ticksAfterStop);
    } finally {
      release();
      await scheduler.stop().catch(() => undefined);
      await worker.stop().catch(() => undefined);
    }
  });

  it('refuses a job that is not in the table, naming the table', async () => {
    const ctx = await context('b');
    const runner = await startJobs(ctx, { roles: [], matcher: null, log: ctx.log, jobs: [] });
    try {
      await expect(runner.send('no-such-job', {})).rejects.toThrow(/no job named 'no-such-job' in the job table/);
    } finally {
      await runner.stop();
    }
  });

  it('tells a job that needs the match index outside the worker role what is missing', async () => {
    const ctx = await context('c');
    let error = '';
    const jobs: JobDef[] = [{
      name: 'test-needs-index', role: 'scheduler', retry: { limit: 0, delaySeconds: 0 }, expireInSeconds: 60,
      async run(_d, env) {
        try {
          env.matcher();
        } catch (err) {
          error = (err as Error).message;
        }
      },
    }];
    const runner = await startJobs(ctx, { roles: ['scheduler'], matcher: null, log: ctx.log, jobs });
    try {
      await runner.send('test-needs-index', {});
      await waitFor(() => error !== '', 30_000, 'the job to run');
      expect(error).toMatch(/needs the match index, which only the worker role loads/);
    } finally {
      await runner.stop();
    }
  });
});
