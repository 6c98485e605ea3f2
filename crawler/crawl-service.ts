/**
 * Running a crawl run from the database: the bridge between a `crawl-site` job (or `staydown crawl
 * --wait`) and the crawl loop. It turns the site's row into a `CrawlSite` (decrypting headers, expanding
 * the search template with monitored cases' keywords), wires the database stores, and keeps the run's
 * status and counters up to date. A retried job calls it again with the same run id and the loop resumes
 * from the persisted frontier.
 */
import type { Fingerprint } from '../hashing/types.ts';
import { finishRun, saveRunStats, selectRun, startRunAttempt } from '../db/queries/crawl-runs.ts';
import { selectSiteById, type SiteRow } from '../db/queries/crawl-sites.ts';
import type { Sql } from '../db/sql.ts';
import type { BrowserEngine } from './browser.ts';
import { runCrawl, type CrawlLog } from './crawl-run.ts';
import { dbAlerts, dbFrontier, dbHostSlots, dbMediaStore, type EvidenceSealer } from './db-stores.ts';
import { searchUrls } from './keyword-variants.ts';
import type { CrawlSite, CrawlStats, Matcher } from './types.ts';

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
}

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

/** Runs (or resumes) one crawl run to its end. Expected outcomes are results; only a dying process stops it midway. */
export async function executeRun(deps: CrawlServiceDeps, runId: string, signal?: AbortSignal): Promise<RunResult> {
  const run = await startRunAttempt(deps.sql, runId);
  if (!run) {
    const existing = await selectRun(deps.sql, runId);
    return { status: 'not-runnable', reason: existing ? `The crawl run ${runId} is already ${existing.status}.` : `There is no crawl run ${runId}.` };
  }
  const row = await selectSiteById(deps.sql, run.site_id);
  if (!row) return { status: 'not-runnable', reason: `The site of crawl run ${runId} no longer exists.` };
  let lastSave = 0;
  try {
    const site = await siteForRun(row, deps);
    const stats = await runCrawl(site, {
      frontier: dbFrontier(deps.sql, runId),
      media: dbMediaStore(deps.sql),
      alerts: dbAlerts(deps.sql, runId, deps.seal),
      hostSlots: dbHostSlots(deps.sql),
      matcher: deps.matcher,
      fingerprint: deps.fingerprint,
      ...(deps.browser ? { browser: deps.browser } : {}),
      ...(deps.log ? { log: deps.log } : {}),
      ...(signal ? { signal } : {}),
      onPage: (s) => {
        // Progress for `site show` and the console, at most once a second.
        if (Date.now() - lastSave > 1000) {
          lastSave = Date.now();
          saveRunStats(deps.sql, runId, s).catch(() => undefined);
        }
      },
    });
    if (signal?.aborted) return { status: 'failed', error: 'The crawl was stopped before it finished; it resumes when its job is retried.' };
    await finishRun(deps.sql, runId, 'done', stats, null);
    return { status: 'done', stats };
  } catch (err) {
    if (signal?.aborted) throw err;
    const error = `The crawl of site '${row.name}' failed: ${(err as Error).message}`;
    await finishRun(deps.sql, runId, 'failed', {}, error);
    return { status: 'failed', error };
  }
}
