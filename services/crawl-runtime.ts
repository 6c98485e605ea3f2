/**
 * The crawler inside the service: the dependencies a crawl run needs built from the service's context
 * (the shared match index, evidence sealed under case keys, site headers sealed under the master key,
 * monitored cases' keywords for search templates),
 * and the crawl roles - `worker` takes `crawl-site` jobs, `scheduler` fires site schedules.
 * `staydown serve` starts them with `startCrawlRoles` (hook it next to the service's own roles).
 */
import type { Logger } from './log.ts';
import { decrypt, encrypt } from './crypto.ts';
import { createEvidenceSealer } from './evidence-sealer.ts';
import type { Matcher } from './matching.ts';
import { monitoredKeywords } from './monitored-keywords.ts';
import type { ServiceRole } from './config.ts';
import type { Sql } from '../db/sql.ts';
import type { SiteRow } from '../db/queries/crawl-sites.ts';
import { FingerprintPool } from '../hashing/pool/fingerprint-pool.ts';
import { BrowserEngine } from '../crawler/browser.ts';
import { executeRun, type CrawlServiceDeps } from '../crawler/crawl-service.ts';
import { openCrawlQueue, type CrawlQueue } from '../crawler/queue.ts';
import { startScheduler, type Scheduler } from '../crawler/scheduler.ts';

/** A site's headers and cookies, sealed under the master key and bound to the site's name. */
export const siteHeadersAad = (site: string) => `crawl-site:${site}:headers`;

export function sealSiteHeaders(masterKey: Buffer, site: string, headers: Record<string, string>): Buffer {
  return encrypt(masterKey, Buffer.from(JSON.stringify(headers), 'utf8'), siteHeadersAad(site));
}

/**
 * How a crawl fingerprints what it downloads: in worker threads, one per core, so that hashing does not
 * hold up fetching and parsing; and only the views a query is probed with (a crawled file is never a
 * reference), which halves the hashing work without changing any match. Videos: one ffmpeg run each
 * (the inline probe) with one decoder thread, since a crawl decodes several at once and CPU, not one
 * video's latency, is what limits it.
 */
export function crawlFingerprintPool(): FingerprintPool {
  return new FingerprintPool({ fingerprint: { views: 'query', video: { probe: 'inline', decodeThreads: 1 } } });
}

/**
 * What executeRun needs. `browser` and the fingerprinting workers are started on first use and must be
 * closed by the caller through the returned `close`.
 */
export function crawlDeps(sql: Sql, masterKey: Buffer, matcher: Matcher, log?: Logger, opts: { leaseSeconds?: number } = {}): { deps: CrawlServiceDeps; close(): Promise<void> } {
  let browser: Promise<BrowserEngine> | null = null;
  const pool = crawlFingerprintPool();
  const deps: CrawlServiceDeps = {
    sql,
    // The service's matches are the crawl's hits (a MaterialMatch has every MatchHit field); the crawl's
    // port is async so that it does not care where the matcher runs.
    matcher: { match: async (fp) => matcher.match(fp) },
    fingerprint: (b) => pool.fingerprint(b),
    seal: createEvidenceSealer(sql, masterKey),
    openHeaders: (row: SiteRow) => (row.headers_encrypted ? (JSON.parse(decrypt(masterKey, row.headers_encrypted, siteHeadersAad(row.name)).toString('utf8')) as Record<string, string>) : undefined),
    // Read (and audited) at the start of each run, so a withdrawn or erased case is never searched again.
    keywords: () => monitoredKeywords(sql, masterKey, log ? { log } : {}),
    browser: () => (browser ??= BrowserEngine.launch()),
    ...(log ? { log } : {}),
    ...(opts.leaseSeconds ? { leaseSeconds: opts.leaseSeconds } : {}),
  };
  return {
    deps,
    async close() {
      await pool.close();
      if (browser) await (await browser.catch(() => null))?.close();
      browser = null;
    },
  };
}

export interface CrawlRoles {
  queue: CrawlQueue;
  scheduler: Scheduler | null;
  stop(): Promise<void>;
}

export interface CrawlRoleOptions {
  /** Crawl runs worked on at once by this process. */
  concurrency?: number;
  leaseSeconds?: number;
  sweepSeconds?: number;
  /** pg-boss's schema (default 'pgboss'). */
  queueSchema?: string;
}

/** Starts the crawl worker (`worker` role) and the site scheduler with its orphaned-run sweep (`scheduler` role). */
export async function startCrawlRoles(sql: Sql, masterKey: Buffer, matcher: Matcher | null, roles: readonly ServiceRole[], log: Logger, opts: CrawlRoleOptions = {}): Promise<CrawlRoles> {
  const queue = await openCrawlQueue(sql, opts.queueSchema ? { schema: opts.queueSchema } : {});
  if (roles.includes('worker')) {
    if (!matcher) throw new Error('The crawl worker needs the match index: start the worker role with it.');
    await queue.work(opts.concurrency ?? 1, async (runId) => {
      const runtime = crawlDeps(sql, masterKey, matcher, log.child({ component: 'crawl', run: runId }), { leaseSeconds: opts.leaseSeconds });
      try {
        const r = await executeRun(runtime.deps, runId);
        log.info({ run: runId, status: r.status }, 'crawl job finished');
      } finally {
        await runtime.close();
      }
    });
  }
  const scheduler = roles.includes('scheduler') ? await startScheduler(sql, queue, log.child({ component: 'crawl-scheduler' }), { sweepMs: (opts.sweepSeconds ?? 30) * 1000 }) : null;
  return {
    queue,
    scheduler,
    async stop() {
      await scheduler?.stop();
      await queue.stop();
    },
  };
}
