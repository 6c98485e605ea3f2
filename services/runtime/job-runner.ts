/**
 * Runs the job table in this process: each job whose role this process has is worked from the queue
 * (with its concurrency), and the scheduler role fires the periodic ones. Stopping is graceful: timers
 * stop, running handlers are told through their signal and may finish, and only then does `stop` return -
 * so the process's fingerprinting pool and match index are closed after the queue has drained.
 */
import type { ServiceRole } from '../platform/config.ts';
import type { ServiceContext } from '../platform/context.ts';
import type { Logger } from '../platform/log.ts';
import type { Matcher } from '../matching/index.ts';
import { queueSpec, type JobDef, type JobEnv } from './job.ts';
import { openQueue, type JobQueue } from './queue.ts';

export interface JobRunner {
  send: JobEnv['send'];
  /** Stops firing and taking jobs and waits (up to `timeoutMs`) for the running ones. */
  stop(timeoutMs?: number): Promise<void>;
}

export interface JobRunnerOptions {
  roles: readonly ServiceRole[];
  /** The worker role's match index; jobs that need it fail without it. */
  matcher: Matcher | null;
  log: Logger;
  jobs: readonly JobDef[];
}

export async function startJobs(ctx: ServiceContext, opts: JobRunnerOptions): Promise<JobRunner> {
  const queue: JobQueue = await openQueue(
    ctx.sql,
    opts.jobs.map(queueSpec),
    { schema: ctx.config.queueSchema },
  );
  const stopping = new AbortController();
  const here = new Map<string, { running: Promise<void> | null; next: object | null }>();
  const runHere = (job: JobDef, data: object) => {
    let slot = here.get(job.name);
    if (!slot) here.set(job.name, (slot = { running: null, next: null }));
    if (slot.running) {
      slot.next = data;
      return;
    }
    const s = slot;
    const loop = async (d: object) => {
      for (let cur: object | null = d; cur && !stopping.signal.aborted; cur = s.next, s.next = null) {
        // A failure here is not the job's: the queued copy is retried by the queue.
        await job.run(cur as Record<string, unknown>, envFor(job)).catch((err) => opts.log.warn({ job: job.name, err: (err as Error).message }, 'a job run in the sending process failed; the queued job carries on'));
      }
      s.running = null;
    };
    s.running = loop(data);
  };
  const send: JobEnv['send'] = async (name, data, o) => {
    const job = opts.jobs.find((j) => j.name === name);
    if (job?.runHere && opts.roles.includes(job.role) && !stopping.signal.aborted) runHere(job, data);
    return queue.send(name, data, o);
  };
  const envFor = (job: JobDef): JobEnv => ({
    ctx,
    log: opts.log.child({ job: job.name }),
    signal: stopping.signal,
    matcher: () => {
      if (!opts.matcher) throw new Error(`The '${job.name}' job needs the match index, which only the worker role loads.`);
      return opts.matcher;
    },
    send,
  });

  for (const job of opts.jobs) {
    if (!opts.roles.includes(job.role)) continue;
    const env = envFor(job);
    await queue.work(job.name, job.concurrency?.(ctx.config) ?? 1, (data) => job.run(data, env));
  }

  const timers: NodeJS.Timeout[] = [];
  if (opts.roles.includes('scheduler')) {
    for (const job of opts.jobs) {
      if (!job.everyMs) continue;
      // The job's name is its singleton key: however many schedulers fire it, one waits at a time.
      const fire = () => queue.send(job.name, {}, { singletonKey: job.name }).catch((err) => opts.log.warn({ job: job.name, err: (err as Error).message }, 'periodic job could not be queued'));
      void fire();
      const t = setInterval(fire, job.everyMs(ctx.config));
      t.unref();
      timers.push(t);
    }
  }

  return {
    send,
    async stop(timeoutMs = 30_000) {
      for (const t of timers) clearInterval(t);
      stopping.abort(new Error('the service is stopping'));
      await Promise.all([...here.values()].map((s) => s.running));
      await queue.stop({ graceful: true, timeoutMs });
    },
  };
}
