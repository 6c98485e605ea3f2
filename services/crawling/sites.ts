/**
 * Crawl targets as the command line and the API both manage them: the same checks, the same permission
 * (site.read / site.manage / site.crawl), the same audit entries (ids only). Headers and cookies for
 * logged-in areas are sealed under the master key and never shown again (`hasHeaders`).
 */
import { sqlState } from '../../db/sql.ts';
import { createRun, latestRuns, selectRun, type RunRow } from '../../db/queries/crawl-runs.ts';
import { disableSite as disableSiteRow, insertSite, selectSiteByName, selectSites, updateSite, type SiteRow } from '../../db/queries/crawl-sites.ts';
import { startUrlRefusal } from '../../crawler/ssrf.ts';
import { SiteInputError, validateSiteInput, type SiteInput } from '../../crawler/site-input.ts';
import { requirePermission } from '../platform/access.ts';
import { appendAudit, type Actor } from '../platform/audit.ts';
import type { ServiceContext } from '../platform/context.ts';
import { BadRequestError, ConflictError, NotFoundError } from '../platform/errors.ts';
import { openQueue } from '../runtime/queue.ts';
import { queueSpec } from '../runtime/job.ts';
import { sealSiteHeaders } from './crawl-runtime.ts';
import { crawlingJobs, queueRun } from './jobs.ts';

/** A site definition that does not check out; the message says what to change. */
export class SiteDefinitionError extends BadRequestError {}
export class SiteNameTakenError extends ConflictError {}
export class UnknownSiteError extends NotFoundError {}

export interface SiteView {
  id: string;
  name: string;
  platform: string | null;
  urls: string[];
  engine: string;
  follow: string[];
  maxDepth: number;
  maxPages: number;
  schedule: string | null;
  searchUrl: string | null;
  allowHosts: string[];
  rateMs: number;
  concurrency: number;
  robots: string;
  robotsOverrideReason: string | null;
  hasHeaders: boolean;
  enabled: boolean;
  createdAt: Date;
}

export interface RunView {
  id: string;
  status: string;
  startedAt?: Date | null;
  trigger: string;
  attempts: number;
  stats: object;
  error: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}

export function siteView(s: SiteRow): SiteView {
  return {
    id: s.id, name: s.name, platform: s.platform, urls: s.start_urls, engine: s.engine, follow: s.follow, maxDepth: s.max_depth, maxPages: s.max_pages,
    schedule: s.schedule, searchUrl: s.search_url_template, allowHosts: s.allow_hosts, rateMs: s.min_interval_ms, concurrency: s.concurrency,
    robots: s.robots, robotsOverrideReason: s.robots_override_reason, hasHeaders: s.headers_encrypted !== null, enabled: s.enabled, createdAt: s.created_at,
  };
}

const runView = (r: RunRow): RunView => ({ id: r.id, status: r.status, startedAt: r.started_at, trigger: r.trigger, attempts: r.attempts, stats: r.stats, error: r.error, createdAt: r.created_at, finishedAt: r.finished_at });

function checked(input: SiteInput) {
  try {
    return validateSiteInput(input);
  } catch (err) {
    if (err instanceof SiteInputError) throw new SiteDefinitionError(err.message, { cause: err });
    throw err;
  }
}

function checkHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    const name = k.trim().toLowerCase();
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) throw new SiteDefinitionError(`'${k}' is not a valid HTTP header name.`);
    if (/[\r\n]/.test(v)) throw new SiteDefinitionError(`The value of header '${name}' has a line break; give it on one line.`);
    out[name] = v.trim();
  }
  return out;
}

async function siteOrThrow(ctx: ServiceContext, name: string): Promise<SiteRow> {
  const row = await selectSiteByName(ctx.sql, name);
  if (!row) throw new UnknownSiteError(`There is no site named '${name}'; 'staydown site list' shows the sites.`);
  return row;
}

export type NewSiteInput = SiteInput & { headers?: Record<string, string> };

/** A start URL the SSRF guard would refuse is refused now, with the guard's sentence. */
async function refuseGuardedStartUrls(urls: readonly string[], allowHosts: readonly string[]): Promise<void> {
  for (const u of urls) {
    const why = await startUrlRefusal(new URL(u), { allowHosts: [...allowHosts] });
    if (why) throw new SiteDefinitionError(`The start URL ${u} would never be crawled: ${why}`);
  }
}

export async function addSite(ctx: ServiceContext, actor: Actor, input: NewSiteInput): Promise<SiteView> {
  requirePermission(actor, 'site.manage');
  const site = checked(input);
  await refuseGuardedStartUrls(site.startUrls, site.allowHosts ?? []);
  const headers = input.headers ? checkHeaders(input.headers) : undefined;
  const headersEncrypted = headers && Object.keys(headers).length > 0 ? sealSiteHeaders(ctx.masterKey, site.name, headers) : null;
  try {
    return await ctx.sql.transaction(async (tx) => {
      const row = await insertSite(tx, { ...site, headersEncrypted });
      await appendAudit(tx, actor, { action: 'site.add', recordType: 'site', recordId: row.id, detail: { engine: row.engine, scheduled: row.schedule !== null, headers: headersEncrypted !== null } });
      return siteView(row);
    });
  } catch (err) {
    if (sqlState(err) === '23505') throw new SiteNameTakenError(`A site named '${site.name}' already exists; choose another name or look at it with 'staydown site show ${site.name}'.`);
    throw err;
  }
}

export async function listSites(ctx: ServiceContext, actor: Actor): Promise<SiteView[]> {
  requirePermission(actor, 'site.read');
  return (await selectSites(ctx.sql)).map(siteView);
}

export async function showSite(ctx: ServiceContext, actor: Actor, name: string): Promise<SiteView & { runs: RunView[] }> {
  requirePermission(actor, 'site.read');
  const row = await siteOrThrow(ctx, name);
  return { ...siteView(row), runs: (await latestRuns(ctx.sql, row.id)).map(runView) };
}

/**
 * One run of the site, with its counters as the crawl last saved them (at most once a second while it
 * runs, crawler/crawl-service.ts): the console's live progress reads this.
 */
export async function showRun(ctx: ServiceContext, actor: Actor, name: string, runId: string): Promise<RunView> {
  requirePermission(actor, 'site.read');
  const site = await siteOrThrow(ctx, name);
  const run = /^[0-9a-f-]{36}$/i.test(runId) ? await selectRun(ctx.sql, runId) : null;
  if (!run || run.site_id !== site.id) throw new NotFoundError(`Site '${name}' has no crawl run ${runId}.`);
  return runView(run);
}

/**
 * What can be changed (the name cannot: sealed headers are bound to it). Given fields replace the stored
 * ones; `null` clears an optional one (schedule, search URL, platform, the robots override, headers).
 */
export interface SiteChanges {
  urls?: string[];
  engine?: string;
  follow?: string[];
  maxPages?: number | string;
  maxDepth?: number | string;
  schedule?: string | null;
  searchUrl?: string | null;
  allowHosts?: string[];
  platform?: string | null;
  rateMs?: number | string;
  concurrency?: number | string;
  ignoreRobotsReason?: string | null;
  headers?: Record<string, string> | null;
  enabled?: boolean;
}

function storedInput(row: SiteRow): SiteInput {
  return {
    name: row.name, urls: row.start_urls, engine: row.engine, follow: row.follow, maxPages: row.max_pages, maxDepth: row.max_depth,
    schedule: row.schedule ?? undefined, searchUrl: row.search_url_template ?? undefined, allowHosts: row.allow_hosts,
    platform: row.platform ?? undefined, rateMs: row.min_interval_ms, concurrency: row.concurrency,
    ignoreRobotsReason: row.robots === 'ignore' ? (row.robots_override_reason ?? undefined) : undefined,
  };
}

export async function changeSite(ctx: ServiceContext, actor: Actor, name: string, changes: SiteChanges): Promise<SiteView> {
  requirePermission(actor, 'site.manage');
  const row = await siteOrThrow(ctx, name);
  const { headers, enabled, ...rest } = changes;
  const merged: SiteInput = { ...storedInput(row) };
  for (const [k, v] of Object.entries(rest) as Array<[keyof typeof rest, unknown]>) {
    if (v === undefined) continue;
    (merged as unknown as Record<string, unknown>)[k] = v === null ? undefined : v;
  }
  const { name: _n, ...site } = checked(merged);
  await refuseGuardedStartUrls(site.startUrls, site.allowHosts ?? []);
  let headersEncrypted: Buffer | null | undefined;
  if (headers === null) headersEncrypted = null;
  else if (headers) {
    const h = checkHeaders(headers);
    headersEncrypted = Object.keys(h).length > 0 ? sealSiteHeaders(ctx.masterKey, row.name, h) : null;
  }
  return ctx.sql.transaction(async (tx) => {
    const updated = await updateSite(tx, row.id, { ...site, ...(headersEncrypted !== undefined ? { headersEncrypted } : {}), ...(enabled !== undefined ? { enabled } : {}) });
    if (!updated) throw new UnknownSiteError(`The site '${name}' was removed meanwhile.`);
    const fields = Object.keys(changes).filter((k) => (changes as Record<string, unknown>)[k] !== undefined).sort();
    await appendAudit(tx, actor, { action: 'site.change', recordType: 'site', recordId: row.id, detail: { fields } });
    return siteView(updated);
  });
}

export async function disableSite(ctx: ServiceContext, actor: Actor, name: string): Promise<SiteView & { runs: RunView[] }> {
  requirePermission(actor, 'site.manage');
  return ctx.sql.transaction(async (tx) => {
    const row = await disableSiteRow(tx, name);
    if (!row) throw new UnknownSiteError(`There is no site named '${name}'; 'staydown site list' shows the sites.`);
    await appendAudit(tx, actor, { action: 'site.disable', recordType: 'site', recordId: row.id });
    return { ...siteView(row), runs: (await latestRuns(tx, row.id)).map(runView) };
  });
}

/**
 * Creates a manual crawl run for the site (the caller queues it, or runs it at once with --wait). A site is
 * never crawled twice at once: with a run already active this is a ConflictError naming it.
 */
export async function startManualRun(ctx: ServiceContext, actor: Actor, name: string): Promise<{ site: SiteRow; run: RunRow }> {
  requirePermission(actor, 'site.crawl');
  const site = await siteOrThrow(ctx, name);
  if (!site.enabled) throw new ConflictError(`Site '${name}' is disabled; enable it first (PATCH /api/v1/sites/${name} {"enabled": true}).`);
  // Not in one transaction with the audit entry: createRun settles a race through a unique violation,
  // which would abort a surrounding transaction.
  const { run, created } = await createRun(ctx.sql, site.id, 'manual');
  if (!created) throw new ConflictError(`Site '${name}' is being crawled right now (run ${run.id}, ${run.status}); a site is never crawled twice at once.`);
  await ctx.sql.transaction((tx) => appendAudit(tx, actor, { action: 'site.crawl', recordType: 'site', recordId: site.id, detail: { run: run.id } }));
  return { site, run };
}

/**
 * Crawl now: a manual run queued for the crawl workers (`crawl-site`). The queue is opened for this one
 * send and stopped again: a person asks for this rarely, and a queue held open by the API process would
 * need its own start and stop; opening pg-boss costs tens of milliseconds (test/services/review/sites-api.test.ts).
 */
export async function queueCrawl(ctx: ServiceContext, actor: Actor, name: string): Promise<{ run: string; site: string; status: string }> {
  const { site, run } = await startManualRun(ctx, actor, name);
  const queue = await openQueue(ctx.sql, crawlingJobs.map(queueSpec), { schema: ctx.config.queueSchema });
  try {
    await queueRun(ctx.sql, (n, d, o) => queue.send(n, d, o), run.id);
  } finally {
    await queue.stop();
  }
  return { run: run.id, site: site.name, status: 'queued' };
}
