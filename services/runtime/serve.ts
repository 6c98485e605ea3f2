/**
 * `staydown serve`: opens the service (on the embedded database this process then holds the data
 * directory and runs the gateway for the CLI), starts the roles it is configured for, prints where it
 * listens and how to sign in, and shuts down cleanly on SIGINT/SIGTERM.
 *
 * Roles: `api` serves HTTP; `scheduler` runs periodic upkeep (evidence retention) and fires each site's
 * crawl schedule; `worker` keeps a match index fresh and runs the crawl jobs.
 */
import type { CliIo } from '../cli/main.ts';
import type { Config } from '../platform/config.ts';
import { addUser } from '../accounts/accounts.ts';
import { createLogger } from '../platform/log.ts';
import { openService, type ServiceContext } from '../platform/context.ts';
import { createMatcher, type Matcher } from '../matching/change-feed.ts';
import { purgeExpiredEvidence } from '../cases/materials.ts';
import { buildApi } from '../http/server.ts';
import { startCrawlRoles } from '../crawling/crawl-runtime.ts';

const EVIDENCE_PURGE_MS = 60 * 60_000;

export async function serve(config: Config, io: CliIo, opts: { json?: boolean; signal?: AbortSignal } = {}): Promise<number> {
  const log = createLogger(config.logLevel);
  const opened = await openService(config, log, { serve: true });
  const { ctx } = opened;
  const cleanups: Array<() => Promise<void>> = [];
  const lines: string[] = [...opened.notes];
  let matcher: Matcher | null = null;
  let url: string | null = null;
  try {
    const firstAdmin = await bootstrapAdmin(ctx);
    if (config.roles.includes('worker')) {
      matcher = await createMatcher(ctx.sql, log.child({ component: 'matcher' }));
      const m = matcher;
      cleanups.push(() => m.close());
      lines.push(`worker: match index loaded with ${m.materials} materials, refreshed every second`);
    }
    if (config.roles.includes('scheduler')) {
      const purge = () => purgeExpiredEvidence(ctx.sql).then(
        (n) => n && log.info({ deleted: n }, 'expired evidence copies deleted'),
        (err) => log.warn({ err: (err as Error).message }, 'evidence purge failed; will retry'),
      );
      await purge();
      const t = setInterval(purge, EVIDENCE_PURGE_MS);
      t.unref();
      cleanups.push(async () => clearInterval(t));
    }
    if (config.roles.includes('worker') || config.roles.includes('scheduler')) {
      // Crawl jobs (pg-boss queue): the worker runs them, the scheduler fires each site's cron.
      const crawl = await startCrawlRoles(ctx.sql, ctx.masterKey, matcher, config.roles, log.child({ component: 'crawl' }), {
        concurrency: config.crawlWorkers, leaseSeconds: config.crawlLeaseSeconds, sweepSeconds: config.crawlSweepSeconds, queueSchema: config.queueSchema,
      });
      cleanups.unshift(() => crawl.stop());
      if (config.roles.includes('worker')) lines.push('worker: running crawl jobs from the queue');
      if (config.roles.includes('scheduler')) lines.push('scheduler: crawling each enabled site on its schedule');
    }
    if (config.roles.includes('api')) {
      const app = await buildApi(ctx, {
        ready: async () => (await ctx.sql.query('SELECT 1 AS ok')).length === 1,
      });
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
    for (const c of cleanups) await c().catch(() => {});
    await opened.close();
  }
}

/** On a database with no users, creates 'admin' so that `npm start` can be signed in to at once. */
async function bootstrapAdmin(ctx: ServiceContext): Promise<{ name: string; password: string } | null> {
  const rows = await ctx.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
  if (rows[0].n > 0) return null;
  const r = await addUser(ctx.sql, { userId: null, name: 'bootstrap', role: 'admin', source: 'serve' }, { name: 'admin', role: 'admin' });
  return { name: r.user.name, password: r.password! };
}
