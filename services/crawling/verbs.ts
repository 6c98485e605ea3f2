/**
 * `staydown site`, `staydown crawl` and `staydown alerts`: crawl targets, crawling now, and the alerts
 * crawls raised.
 */
import { parseCli, UsageError } from '../cli/args.ts';
import type { CliIo } from '../cli/io.ts';
import { CommandFailedError, runVerb, withService } from '../cli/run-verb.ts';
import { createMatcher } from '../matching/index.ts';
import { crawlDeps, sealSiteHeaders } from './crawl-runtime.ts';
import { sqlState } from '../../db/sql.ts';
import { disableSite, insertSite, selectSiteByName, selectSites, type SiteRow } from '../../db/queries/crawl-sites.ts';
import { createRun, latestRuns } from '../../db/queries/crawl-runs.ts';
import { selectAlerts } from '../../db/queries/crawl-alerts.ts';
import { SiteInputError, validateSiteInput, type SiteInput } from '../../crawler/site-input.ts';
import { executeRun } from '../../crawler/crawl-service.ts';
import { openQueue } from '../runtime/queue.ts';
import { queueSpec } from '../runtime/job.ts';
import { crawlingJobs, queueRun } from './jobs.ts';
import { ConflictError, NotFoundError } from '../platform/errors.ts';

export const SITE_USAGE = `staydown site add NAME --url URL [--url URL]... [--engine http|browser] [--follow REGEX]... [--max-pages N] [--max-depth N]
       [--schedule CRON] [--search-url TEMPLATE] [--allow-host HOST]... [--platform NAME] [--rate-ms N] [--concurrency N]
       [--header 'Name: value']... [--ignore-robots REASON] [--json]
       staydown site list|show|disable NAME [--json]`;
export const CRAWL_USAGE = 'staydown crawl NAME [--wait] [--json]';
export const ALERTS_USAGE = 'staydown alerts list [--site NAME] [--json]';

/** The crawl verbs print only their results: the crawler's own log stays quiet on the command line. */
const quietly: typeof withService = (body) => withService(body, { silent: true });

/** A site's settings as given, checked; a bad value is a wrong call (exit status 64). */
function checkedSite(input: SiteInput) {
  try {
    return validateSiteInput(input);
  } catch (err) {
    if (err instanceof SiteInputError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
}

function siteJson(s: SiteRow) {
  return {
    id: s.id, name: s.name, platform: s.platform, urls: s.start_urls, engine: s.engine, follow: s.follow, maxDepth: s.max_depth, maxPages: s.max_pages,
    schedule: s.schedule, searchUrl: s.search_url_template, allowHosts: s.allow_hosts, rateMs: s.min_interval_ms, concurrency: s.concurrency,
    robots: s.robots, robotsOverrideReason: s.robots_override_reason, hasHeaders: s.headers_encrypted !== null, enabled: s.enabled, createdAt: s.created_at,
  };
}

function parseHeaders(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of list) {
    const i = h.indexOf(':');
    if (i <= 0) throw new UsageError(`The header '${h.split(':')[0]}' must be written 'Name: value'.`);
    out[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
  }
  return out;
}

export async function runSite(args: string[], io: CliIo): Promise<number> {
  return runVerb('site', io, async () => {
    const { values, positionals } = parseCli(args, {
      url: { type: 'string', multiple: true }, engine: { type: 'string' }, follow: { type: 'string', multiple: true },
      'max-pages': { type: 'string' }, 'max-depth': { type: 'string' }, schedule: { type: 'string' }, 'search-url': { type: 'string' },
      'allow-host': { type: 'string', multiple: true }, platform: { type: 'string' }, 'rate-ms': { type: 'string' }, concurrency: { type: 'string' },
      header: { type: 'string', multiple: true }, 'ignore-robots': { type: 'string' }, json: { type: 'boolean' },
    }, SITE_USAGE);
    const [sub, name] = positionals;
    const json = values.json === true;
    if (sub === 'list') {
      return quietly(async ({ sql }) => {
        const sites = await selectSites(sql);
        if (json) io.stdout.write(JSON.stringify(sites.map(siteJson)) + '\n');
        else for (const s of sites) io.stdout.write(`${s.name}\t${s.enabled ? 'enabled' : 'disabled'}\t${s.engine}\t${s.schedule ?? 'on demand'}\t${s.start_urls.join(' ')}\n`);
        return 0;
      });
    }
    if (!name) throw new UsageError(`The site name is missing.\nusage: ${SITE_USAGE}`);
    if (sub === 'add') {
      const input = checkedSite({
        name, urls: values.url ?? [], engine: values.engine, follow: values.follow, maxPages: values['max-pages'], maxDepth: values['max-depth'],
        schedule: values.schedule, searchUrl: values['search-url'], allowHosts: values['allow-host'], platform: values.platform,
        rateMs: values['rate-ms'], concurrency: values.concurrency, ignoreRobotsReason: values['ignore-robots'],
      });
      return quietly(async ({ sql, masterKey }) => {
        const headers = values.header ? parseHeaders(values.header) : undefined;
        const headersEncrypted = headers ? sealSiteHeaders(masterKey, name, headers) : null;
        let row: SiteRow;
        try {
          row = await insertSite(sql, { ...input, headersEncrypted });
        } catch (err) {
          if (sqlState(err) === '23505') throw new ConflictError(`A site named '${name}' already exists; choose another name or look at it with 'staydown site show ${name}'.`);
          throw err;
        }
        io.stdout.write(json ? JSON.stringify(siteJson(row)) + '\n' : `site '${row.name}' added (${row.engine} engine, ${row.schedule ? `schedule ${row.schedule}` : 'crawled on demand'})\n`);
        return 0;
      });
    }
    if (sub === 'show' || sub === 'disable') {
      return quietly(async ({ sql }) => {
        const row = sub === 'show' ? await selectSiteByName(sql, name) : await disableSite(sql, name);
        if (!row) throw new NotFoundError(`There is no site named '${name}'; 'staydown site list' shows the sites.`);
        const runs = await latestRuns(sql, row.id);
        const out = { ...siteJson(row), runs: runs.map((r) => ({ id: r.id, status: r.status, trigger: r.trigger, attempts: r.attempts, stats: r.stats, error: r.error, createdAt: r.created_at, finishedAt: r.finished_at })) };
        if (json) io.stdout.write(JSON.stringify(out) + '\n');
        else if (sub === 'disable') io.stdout.write(`site '${name}' disabled: it is no longer crawled on its schedule\n`);
        else io.stdout.write(Object.entries(out).map(([k, v]) => `${k}: ${typeof v === 'object' && v !== null && !(v instanceof Date) ? JSON.stringify(v) : String(v)}`).join('\n') + '\n');
        return 0;
      });
    }
    throw new UsageError(`Unknown subcommand '${sub ?? ''}'.\nusage: ${SITE_USAGE}`);
  });
}

export async function runCrawl(args: string[], io: CliIo): Promise<number> {
  return runVerb('crawl', io, async () => {
    const { values, positionals } = parseCli(args, { wait: { type: 'boolean' }, json: { type: 'boolean' } }, CRAWL_USAGE);
    const [name] = positionals;
    if (!name) throw new UsageError(`The site name is missing.\nusage: ${CRAWL_USAGE}`);
    return quietly(async ({ sql, masterKey, config, log, fingerprints }) => {
      const site = await selectSiteByName(sql, name);
      if (!site) throw new NotFoundError(`There is no site named '${name}'; 'staydown site list' shows the sites.`);
      if (!site.enabled) throw new ConflictError(`Site '${name}' is disabled; it is not crawled until it is added again.`);
      const { run, created } = await createRun(sql, site.id, 'manual');
      if (!created) throw new CommandFailedError(`Site '${name}' is being crawled right now (run ${run.id}, ${run.status}); a site is never crawled twice at once.`);
      if (!values.wait) {
        const queue = await openQueue(sql, crawlingJobs.map(queueSpec), { schema: config.queueSchema });
        try {
          await queueRun(sql, (n, d, o) => queue.send(n, d, o), run.id);
        } finally {
          await queue.stop();
        }
        io.stdout.write(values.json ? JSON.stringify({ run: run.id, status: 'queued' }) + '\n' : `crawl of '${name}' queued as run ${run.id} for the crawl workers\n`);
        return 0;
      }
      const matcher = await createMatcher(sql, log);
      const runtime = crawlDeps(sql, masterKey, matcher, undefined, { leaseSeconds: config.crawlLeaseSeconds, pool: fingerprints, chromiumPath: config.chromiumPath });
      try {
        const result = await executeRun(runtime.deps, run.id);
        if (result.status !== 'done') throw new CommandFailedError(result.status === 'failed' ? result.error : result.reason);
        const s = result.stats;
        io.stdout.write(values.json
          ? JSON.stringify({ run: run.id, site: name, pagesVisited: s.pagesVisited, mediaFound: s.mediaFound, mediaFingerprinted: s.mediaFingerprinted, matches: s.matches, alertsRaised: s.alertsRaised, pagesFailed: s.pagesFailed, mediaFailed: s.mediaFailed }) + '\n'
          : `crawled '${name}': pages visited ${s.pagesVisited}, media found ${s.mediaFound}, media fingerprinted ${s.mediaFingerprinted}, matches ${s.matches} (new alerts ${s.alertsRaised}); pages failed ${s.pagesFailed}, media failed ${s.mediaFailed}\n`);
        return 0;
      } finally {
        await runtime.close();
        await matcher.close();
      }
    });
  });
}

export async function runAlerts(args: string[], io: CliIo): Promise<number> {
  return runVerb('alerts', io, async () => {
    const { values, positionals } = parseCli(args, { site: { type: 'string' }, json: { type: 'boolean' } }, ALERTS_USAGE);
    if (positionals[0] !== 'list') throw new UsageError(`Unknown subcommand '${positionals[0] ?? ''}'.\nusage: ${ALERTS_USAGE}`);
    return quietly(async ({ sql }) => {
      let siteId: string | undefined;
      if (values.site) {
        const s = await selectSiteByName(sql, values.site);
        if (!s) throw new NotFoundError(`There is no site named '${values.site}'; 'staydown site list' shows the sites.`);
        siteId = s.id;
      }
      const rows = await selectAlerts(sql, siteId ? { siteId } : {});
      const list = rows.map((a) => ({ id: a.id, case: a.case_code, material: a.material_id, site: a.site_name, pageUrl: a.page_url, mediaUrl: a.media_url, mediaSha256: a.media_sha256, method: a.method, distance: a.distance, status: a.status, createdAt: a.created_at }));
      if (values.json) io.stdout.write(JSON.stringify(list) + '\n');
      else for (const a of list) io.stdout.write(`${a.createdAt.toISOString()}\t${a.case}\t${a.site}\t${a.method}@${a.distance}\t${a.mediaUrl}\t(page ${a.pageUrl})\n`);
      return 0;
    });
  });
}
