/**
 * `staydown site` and `staydown crawl`: crawl targets and crawling now. Both go through the same domain
 * functions as the API (sites.ts); `staydown alerts` lives with the review (services/review/verbs.ts).
 */
import { parseCli, UsageError } from '../cli/args.ts';
import type { CliIo } from '../cli/io.ts';
import { CommandFailedError, runVerb, withService } from '../cli/run-verb.ts';
import { createLogger } from '../platform/log.ts';
import {
  addSite, changeSite, disableSite, listSites, queueCrawl, showSite, SiteDefinitionError, startManualRun,
  type SiteChanges,
} from './sites.ts';

const SITE_FLAGS = `[--url URL]... [--engine http|browser] [--follow REGEX]... [--max-pages N] [--max-depth N]
       [--schedule CRON] [--search-url TEMPLATE] [--allow-host HOST]... [--platform NAME] [--rate-ms N] [--concurrency N]
       [--header 'Name: value']... [--ignore-robots REASON]`;
export const SITE_USAGE = `staydown site add NAME --url URL ${SITE_FLAGS} [--json]
       staydown site change NAME ${SITE_FLAGS}
       [--clear schedule|search-url|platform|ignore-robots|headers]... [--enable] [--json]
       staydown site list|show|disable NAME [--json]`;
export const CRAWL_USAGE = 'staydown crawl NAME [--wait] [--json]';

/** The crawl verbs print only their results: the crawler's own log stays quiet on the command line. */
const quietly: typeof withService = (body) => withService(body, { silent: true });

/**
 * A site definition that does not check out is a wrong call (exit status 64). A taken name (a conflict)
 * or an unknown site is the service refusing: exit status 1, like an unknown case (README's exit-status
 * table), so those pass through as the service errors they are.
 */
async function asUsage<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof SiteDefinitionError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
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

const CLEARABLE = ['schedule', 'search-url', 'platform', 'ignore-robots', 'headers'] as const;

export async function runSite(args: string[], io: CliIo): Promise<number> {
  return runVerb('site', io, async () => {
    const { values, positionals } = parseCli(args, {
      url: { type: 'string', multiple: true }, engine: { type: 'string' }, follow: { type: 'string', multiple: true },
      'max-pages': { type: 'string' }, 'max-depth': { type: 'string' }, schedule: { type: 'string' }, 'search-url': { type: 'string' },
      'allow-host': { type: 'string', multiple: true }, platform: { type: 'string' }, 'rate-ms': { type: 'string' }, concurrency: { type: 'string' },
      header: { type: 'string', multiple: true }, 'ignore-robots': { type: 'string' }, clear: { type: 'string', multiple: true }, enable: { type: 'boolean' },
    }, SITE_USAGE);
    const [sub, name] = positionals;
    const json = values.json === true;
    if (sub === 'list') {
      return quietly(async (ctx, actor) => {
        const sites = await listSites(ctx, actor);
        if (json) io.stdout.write(JSON.stringify(sites) + '\n');
        else for (const s of sites) io.stdout.write(`${s.name}\t${s.enabled ? 'enabled' : 'disabled'}\t${s.engine}\t${s.schedule ?? 'on demand'}\t${s.urls.join(' ')}\n`);
        return 0;
      });
    }
    if (!name) throw new UsageError(`The site name is missing.\nusage: ${SITE_USAGE}`);
    const given = {
      engine: values.engine, follow: values.follow, maxPages: values['max-pages'], maxDepth: values['max-depth'], schedule: values.schedule,
      searchUrl: values['search-url'], allowHosts: values['allow-host'], platform: values.platform, rateMs: values['rate-ms'],
      concurrency: values.concurrency, ignoreRobotsReason: values['ignore-robots'],
    };
    const headers = values.header ? parseHeaders(values.header) : undefined;
    if (sub === 'add') {
      if (values.clear || values.enable) throw new UsageError(`--clear and --enable go with 'site change'.\nusage: ${SITE_USAGE}`);
      return quietly((ctx, actor) => asUsage(async () => {
        const row = await addSite(ctx, actor, { name, urls: values.url ?? [], ...given, headers });
        io.stdout.write(json ? JSON.stringify(row) + '\n' : `site '${row.name}' added (${row.engine} engine, ${row.schedule ? `schedule ${row.schedule}` : 'crawled on demand'})\n`);
        return 0;
      }));
    }
    if (sub === 'change') {
      const changes: SiteChanges = { ...given, ...(values.url ? { urls: values.url } : {}), ...(headers ? { headers } : {}), ...(values.enable ? { enabled: true } : {}) };
      for (const c of values.clear ?? []) {
        if (!(CLEARABLE as readonly string[]).includes(c)) throw new UsageError(`--clear takes one of ${CLEARABLE.join(', ')}, not '${c}'.\nusage: ${SITE_USAGE}`);
        const key = ({ schedule: 'schedule', 'search-url': 'searchUrl', platform: 'platform', 'ignore-robots': 'ignoreRobotsReason', headers: 'headers' } as const)[c as (typeof CLEARABLE)[number]];
        (changes as Record<string, unknown>)[key] = null;
      }
      return quietly((ctx, actor) => asUsage(async () => {
        const row = await changeSite(ctx, actor, name, changes);
        io.stdout.write(json ? JSON.stringify(row) + '\n' : `site '${row.name}' changed (${row.enabled ? 'enabled' : 'disabled'}, ${row.engine} engine, ${row.schedule ? `schedule ${row.schedule}` : 'crawled on demand'})\n`);
        return 0;
      }));
    }
    if (sub === 'show' || sub === 'disable') {
      return quietly((ctx, actor) => asUsage(async () => {
        const out = sub === 'show' ? await showSite(ctx, actor, name) : await disableSite(ctx, actor, name);
        if (json) io.stdout.write(JSON.stringify(out) + '\n');
        else if (sub === 'disable') io.stdout.write(`site '${name}' disabled: it is no longer crawled on its schedule\n`);
        else io.stdout.write(Object.entries(out).map(([k, v]) => `${k}: ${typeof v === 'object' && v !== null && !(v instanceof Date) ? JSON.stringify(v) : String(v)}`).join('\n') + '\n');
        return 0;
      }));
    }
    throw new UsageError(`Unknown subcommand '${sub ?? ''}'.\nusage: ${SITE_USAGE}`);
  });
}

export async function runCrawl(args: string[], io: CliIo): Promise<number> {
  return runVerb('crawl', io, async () => {
    const { values, positionals } = parseCli(args, { wait: { type: 'boolean' }, json: { type: 'boolean' } }, CRAWL_USAGE);
    const [name] = positionals;
    if (!name) throw new UsageError(`The site name is missing.\nusage: ${CRAWL_USAGE}`);
    return quietly(async (ctx, actor) => {
      if (!values.wait) {
        const q = await asUsage(() => queueCrawl(ctx, actor, name));
        io.stdout.write(values.json ? JSON.stringify({ run: q.run, status: 'queued' }) + '\n' : `crawl of '${name}' queued as run ${q.run} for the crawl workers\n`);
        return 0;
      }
      const { sql, masterKey, config, log, fingerprints } = ctx;
      // The crawler, the matcher and the browser are loaded by the one subcommand that crawls here.
      const [{ createMatcher }, { crawlDeps }, { executeRun }] = await Promise.all([
        import('../matching/index.ts'), import('./crawl-runtime.ts'), import('../../crawler/crawl-service.ts'),
      ]);
      const { run } = await asUsage(() => startManualRun(ctx, actor, name));
      const matcher = await createMatcher(sql, log);
      // The crawl logs as a queued crawl does in a worker (structured lines on stderr, ids only).
      const crawlLog = createLogger(config.logLevel).child({ component: 'crawl', run: run.id });
      const runtime = crawlDeps(sql, masterKey, matcher, crawlLog, { leaseSeconds: config.crawlLeaseSeconds, pool: fingerprints, chromiumPath: config.chromiumPath, features: config.crawlFeatures });
      try {
        const result = await executeRun(runtime.deps, run.id);
        if (result.status !== 'done') throw new CommandFailedError(result.status === 'failed' ? result.error : result.reason);
        const s = result.stats;
        io.stdout.write(values.json
          ? JSON.stringify({ run: run.id, site: name, pagesVisited: s.pagesVisited, pagesSkippedByRobots: s.pagesSkippedByRobots, mediaFound: s.mediaFound, mediaFingerprinted: s.mediaFingerprinted, matches: s.matches, alertsRaised: s.alertsRaised, pagesFailed: s.pagesFailed, mediaFailed: s.mediaFailed, blocked: s.requestsBlocked, blockedUrls: s.blockedSamples }) + '\n'
          : `crawled '${name}': pages visited ${s.pagesVisited}, media found ${s.mediaFound}, media fingerprinted ${s.mediaFingerprinted}, matches ${s.matches} (new alerts ${s.alertsRaised}); pages failed ${s.pagesFailed}, media failed ${s.mediaFailed}; refused by the SSRF guard ${s.requestsBlocked}${s.blockedSamples.map((b) => `\n  blocked ${b.url}: ${b.reason}`).join('')}\n`);
        return 0;
      } finally {
        await runtime.close();
        await matcher.close();
      }
    });
  });
}
