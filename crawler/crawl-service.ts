/**
 * Running a crawl run from the database: the bridge between a `crawl-site` job (or `staydown crawl
 * --wait`) and the crawl loop. It turns the site's row into a `CrawlSite` (decrypting headers, expanding
 * the search template with monitored cases' keywords), wires the database stores, and keeps the run's
 * status and counters up to date. A retried job calls it again with the same run id and the loop resumes
 * from the persisted frontier.
 */
import type { Fingerprint } from '../hashing/types.ts';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { finishRun, releaseRunLease, renewRunLease, saveRunStats, startRunAttempt } from '../db/queries/crawl-runs.ts';
import { selectSiteById, type SiteRow } from '../db/queries/crawl-sites.ts';
import type { Sql } from '../db/sql.ts';
import type { BrowserEngine } from './browser.ts';
import { crawlSite, type CrawlLog } from './crawl-run.ts';
import { dbAlerts, dbFrontier, dbHostSlots, dbMediaStore, type EvidenceSealer } from './db-stores.ts';
import { searchUrls } from './keyword-variants.ts';
import type { AlertSink, CrawlSite, CrawlStats, Matcher } from './types.ts';

export interface CrawlServiceDeps {
  sql: Sql;
  matcher: Matcher;
  fingerprint: (bytes: Uint8Array) => Promise<Fingerprint>;
  seal: EvidenceSealer;
  /** Decrypts a site's stored headers/cookies. */
  openHeaders: (site: SiteRow) => Record<string, string> | undefined;
  /** Keywords of the cases being monitored, for search templates. */
  keywords: () => Promise<string[]>;
  browser?: () => Promise<BrowserEngine>;
  log?: CrawlLog;
  /**
   * How long a worker's hold on a run lasts without renewal (renewed every third of it while crawling).
   * A worker that dies frees its run after this long; default 60 s.
   */
  leaseSeconds?: number;
  /** Wraps the run's alert sink (the service classifies each new alert as it is stored). */
  wrapAlerts?: (sink: AlertSink) => AlertSink;
}

export const DEFAULT_LEASE_SECONDS = 60;

export async function siteForRun(row: SiteRow, deps: Pick<CrawlServiceDeps, 'openHeaders' | 'keywords'>): Promise<CrawlSite> {
  const headers = deps.openHeaders(row);
  const search = row.search_url_template ? searchUrls(row.search_url_template, await deps.keywords()) : [];
  return {
    id: row.id,
    name: row.name,
    startUrls: row.start_urls,
    searchUrls: search,
    engine: row.engine,
    follow: row.follow,
    maxDepth: row.max_depth,
    maxPages: row.max_pages,
    allowHosts: row.allow_hosts,
    robots: row.robots,
    minIntervalMs: row.min_interval_ms,
    concurrency: row.concurrency,
    ...(headers ? { headers } : {}),
  };
}

export type RunResult = { status: 'done'; stats: CrawlStats } | { status: 'failed'; error: string } | { status: 'not-runnable'; reason: string };

/**
 * Runs (or resumes) one crawl run to its end. Expected outcomes are results; only a dying process stops it
 * midway. The run's lease makes this safe to call for the same run from any number of jobs and workers:
 * one crawls, the others get `not-runnable`; a worker whose lease is taken over (it stalled past the lease)
 * stops and leaves the run to the new holder.
 */
export async function executeRun(deps: CrawlServiceDeps, runId: string, signal?: AbortSignal): Promise<RunResult> {
  const leaseSeconds = deps.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
  const owner = `${hostname()}:${process.pid}:${randomUUID()}`;
  const attempt = await startRunAttempt(deps.sql, runId, owner, leaseSeconds);
  if (!attempt.started) {
    const existing = attempt.run;
    return {
      status: 'not-runnable',
      reason: !existing ? `There is no crawl run ${runId}.` : existing.status === 'running' ? `The crawl run ${runId} is being crawled by another worker.` : `The crawl run ${runId} is already ${existing.status}.`,
    };
  }
  const run = attempt.run;
  const takenOver: RunResult = { status: 'not-runnable', reason: `The crawl run ${runId} was taken over by another worker.` };
  const stop = new AbortController();
  const onOuterAbort = () => stop.abort(signal?.reason);
  signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (signal?.aborted) onOuterAbort();
  let leaseLost = false;
  const heartbeat = setInterval(() => {
    renewRunLease(deps.sql, runId, owner, leaseSeconds).then((held) => {
      if (!held && !stop.signal.aborted) {
        leaseLost = true;
        deps.log?.warn({ run: runId }, 'crawl run lease lost to another worker: stopping');
        stop.abort(new Error('lease lost'));
      }
    }, (err) => deps.log?.warn({ run: runId, err: (err as Error).message }, 'crawl run lease could not be renewed'));
  }, Math.max(250, (leaseSeconds * 1000) / 3));
  heartbeat.unref();
  let lastSave = 0;
  try {
    const row = await selectSiteById(deps.sql, run.site_id);
    if (!row) {
      await finishRun(deps.sql, runId, owner, 'failed', {}, 'The site of this run no longer exists.');
      return { status: 'not-runnable', reason: `The site of crawl run ${runId} no longer exists.` };
    }
    try {
      const site = await siteForRun(row, deps);
      const stats = await crawlSite(site, {
        frontier: dbFrontier(deps.sql, runId),
        media: dbMediaStore(deps.sql),
        alerts: deps.wrapAlerts ? deps.wrapAlerts(dbAlerts(deps.sql, runId, deps.seal)) : dbAlerts(deps.sql, runId, deps.seal),
        hostSlots: dbHostSlots(deps.sql),
        matcher: deps.matcher,
        fingerprint: deps.fingerprint,
        ...(deps.browser ? { browser: deps.browser } : {}),
        ...(deps.log ? { log: deps.log } : {}),
        signal: stop.signal,
        onPage: (s) => {
          // Progress for `site show` and the console, at most once a second.
          if (Date.now() - lastSave > 1000) {
            lastSave = Date.now();
            saveRunStats(deps.sql, runId, s).catch(() => undefined);
          }
        },
      });
      if (leaseLost) return takenOver;
      if (stop.signal.aborted) return stopped(deps, runId, owner);
      if (!(await finishRun(deps.sql, runId, owner, 'done', stats, null))) return takenOver;
      return { status: 'done', stats };
    } catch (err) {
      if (leaseLost) return takenOver;
      if (signal?.aborted) {
        await releaseRunLease(deps.sql, runId, owner).catch(() => undefined);
        throw err;
      }
      const error = `The crawl of site '${row.name}' failed: ${(err as Error).message}`;
      await finishRun(deps.sql, runId, owner, 'failed', {}, error);
      return { status: 'failed', error };
    }
  } finally {
    clearInterval(heartbeat);
    signal?.removeEventListener('abort', onOuterAbort);
  }
}

async function stopped(deps: CrawlServiceDeps, runId: string, owner: string): Promise<RunResult> {
  // Stopped from outside (shutdown): the lease is given up so another worker resumes without waiting.
  await releaseRunLease(deps.sql, runId, owner).catch(() => undefined);
  return { status: 'failed', error: 'The crawl was stopped before it finished; it resumes from where it stopped when the run is picked up again.' };
}
