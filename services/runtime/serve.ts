/**
 * `staydown serve`: opens the service (on the embedded database this process then holds the data
 * directory and runs the gateway for the CLI), starts the roles it is configured for, prints where it
 * listens and how to sign in, and shuts down cleanly on SIGINT/SIGTERM.
 *
 * Roles: `api` serves HTTP; `worker` keeps a match index fresh and works the queued jobs of the job table
 * (jobs.ts); `scheduler` fires the periodic jobs and each site's crawl schedule.
 *
 * Stop order: the API stops taking requests, the scheduler stops firing, the job queue drains (running
 * jobs are told to stop and may finish), and only then are the match index, the fingerprinting pool and
 * the database closed.
 */
import type { CliIo } from '../cli/io.ts';
import type { Config } from '../platform/config.ts';
import { createLogger } from '../platform/log.ts';
import { openService, type ServiceContext } from '../platform/context.ts';
import { bootstrapAdmin } from '../accounts/index.ts';
import { createMatcher, type Matcher } from '../matching/index.ts';
import { startSiteSchedules } from '../crawling/index.ts';
import { buildApi } from '../http/server.ts';
import { startJobs, type JobRunner } from './job-runner.ts';
import { JOBS } from './jobs.ts';

export async function serve(config: Config, io: CliIo, opts: { json?: boolean; signal?: AbortSignal } = {}): Promise<number> {
  const log = createLogger(config.logLevel);
  const opened = await openService(config, log, { serve: true });
  const { ctx } = opened;
  const cleanups: Array<() => Promise<void>> = [];
  const lines: string[] = [...opened.notes];
  let url: string | null = null;
  // The API queues jobs (a notice's delivery on approval) when this process runs the queue.
  let send: JobRunner['send'] | undefined;
  try {
    const firstAdmin = await bootstrapAdmin(ctx.sql);
    const matcher = config.roles.includes('worker') ? await startMatcher(ctx, cleanups, lines) : null;
    if (config.roles.includes('worker') || config.roles.includes('scheduler')) {
      const jobs = await startJobs(ctx, { roles: config.roles, matcher, log: log.child({ component: 'jobs' }), jobs: JOBS });
      cleanups.unshift(() => jobs.stop());
      send = jobs.send;
      if (config.roles.includes('worker')) lines.push(`worker: running ${JOBS.filter((j) => j.role === 'worker').map((j) => j.name).join(', ')} jobs from the queue`);
      if (config.roles.includes('scheduler')) {
        const schedules = await startSiteSchedules(ctx.sql, jobs.send, log.child({ component: 'crawl-scheduler' }));
        cleanups.unshift(() => schedules.stop());
        lines.push('scheduler: crawling each enabled site on its schedule; periodic jobs: ' + JOBS.filter((j) => j.everyMs).map((j) => j.name).join(', '));
      }
    }
    if (config.roles.includes('api')) {
      const app = await buildApi(ctx, { send });
      await app.listen({ port: config.port, host: config.host });
      const addr = app.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : config.port;
      const shownHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
      url = `http://${shownHost}:${port}`;
      cleanups.unshift(() => app.close());
      lines.unshift(`staydown listening on ${url} (roles: ${config.roles.join(', ')}); API description at ${url}/openapi.json`);
      lines.push(`sign in: POST ${url}/api/v1/session with {"name": ..., "password": ...}; create accounts with 'staydown user add --role admin|staff|operator|platform|auditor NAME'`);
    } else {
      lines.unshift(`staydown running (roles: ${config.roles.join(', ')})`);
    }
    if (firstAdmin) lines.push(`created the first administrator '${firstAdmin.name}' with the one-time password ${firstAdmin.password} (shown only now)`);
    io.stdout.write(opts.json ? `${JSON.stringify({ url, roles: config.roles, pid: process.pid, notes: lines, ...(firstAdmin ? { admin: firstAdmin } : {}) })}\n` : `${lines.join('\n')}\n`);

    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      opts.signal?.addEventListener('abort', stop, { once: true });
    });
    log.info('shutting down');
    return 0;
  } finally {
    for (const c of cleanups) await c().catch((err) => log.warn({ err: (err as Error).message }, 'a part of the service did not stop cleanly'));
    await opened.close();
  }
}

async function startMatcher(ctx: ServiceContext, cleanups: Array<() => Promise<void>>, lines: string[]): Promise<Matcher> {
  const matcher = await createMatcher(ctx.sql, ctx.log.child({ component: 'matcher' }));
  cleanups.push(() => matcher.close());
  lines.push(`worker: match index loaded with ${matcher.materials} materials, refreshed every second`);
  return matcher;
}
