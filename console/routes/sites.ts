/**
 * Sites (crawl targets): the list, adding and changing a site, disabling and enabling it, "crawl now",
 * and the run's live progress. Each handler calls the crawling functions the API and `staydown site` /
 * `staydown crawl` call (services/crawling): the same checks - the SSRF guard refuses a start URL here as
 * it does there - the same permissions (site.read / site.manage / site.crawl), the same audit entries.
 *
 * Live progress: the site page shows the latest run's counters as they were at load (and a link to load
 * them again); console/static/crawl-progress.js asks GET /sites/:name/runs/:id (JSON) every 1.5 s while
 * the run is queued or running. The counters are the ones the crawl saves at most once a second.
 */
import {
  addSite, changeSite, disableSite, listSites, queueCrawl, showRun, showSite, type RunView, type SiteChanges, type SiteView,
} from '../../services/crawling/index.ts';
import { can } from '../../services/platform/access.ts';
import type { Translate } from '../i18n.ts';
import { formProblem, type FormProblem, type ProblemRule } from '../form-problems.ts';
import { field, lines, type PageDef, type PageInput } from '../page.ts';

const PROBLEMS: ProblemRule[] = [
  { test: /^The start URL (\S+) would never be crawled/, field: 'urls', key: 'sites.problem.refused', vars: ['url'] },
  { test: /start URL/i, field: 'urls', key: 'sites.problem.urls' },
  { test: /site name|already exists/i, field: 'name', key: 'sites.problem.name' },
  { test: /engine/i, field: 'engine', key: 'sites.problem.engine' },
  { test: /follow pattern/i, field: 'follow', key: 'sites.problem.follow' },
  { test: /schedule/i, field: 'schedule', key: 'sites.problem.schedule' },
  { test: /search URL/i, field: 'searchUrl', key: 'sites.problem.searchUrl' },
  { test: /--max-pages/, field: 'maxPages', key: 'sites.problem.number' },
  { test: /--max-depth/, field: 'maxDepth', key: 'sites.problem.number' },
  { test: /--rate-ms/, field: 'rateMs', key: 'sites.problem.number' },
  { test: /--concurrency/, field: 'concurrency', key: 'sites.problem.number' },
  { test: /--allow-host/, field: 'allowHosts', key: 'sites.problem.allowHosts' },
  { test: /robots/i, field: 'ignoreRobotsReason', key: 'sites.problem.robots' },
  { test: /header/i, field: 'headers', key: 'sites.problem.headers' },
];

/** Schedules a counsellor picks from a list; anything else is written as a cron expression. */
export const SCHEDULE_PRESETS = ['', '0 */6 * * *', '0 9 * * *', '0 9 * * 1'] as const;

/** The run states after which nothing changes any more. */
const FINISHED = new Set(['done', 'failed', 'cancelled']);

/** What the site form sent, as the service takes it; empty optional fields are `undefined`. */
function siteForm(input: PageInput) {
  const b = input.body;
  const text = (name: string) => field(b, name).trim() || undefined;
  const headerLines = lines(b, 'headers');
  const headers: Record<string, string> = {};
  for (const l of headerLines) {
    const i = l.indexOf(':');
    // A line without a colon is kept whole as a name, so the service's check names it.
    headers[(i > 0 ? l.slice(0, i) : l).trim()] = i > 0 ? l.slice(i + 1).trim() : '';
  }
  return {
    urls: lines(b, 'urls'), engine: field(b, 'engine') || 'http', follow: lines(b, 'follow'), maxPages: text('maxPages'), maxDepth: text('maxDepth'),
    schedule: (SCHEDULE_PRESETS as readonly string[]).includes(field(b, 'schedulePreset')) ? field(b, 'schedulePreset') || undefined : text('schedule'), searchUrl: text('searchUrl'), allowHosts: lines(b, 'allowHosts'), platform: text('platform'),
    rateMs: text('rateMs'), concurrency: text('concurrency'), ignoreRobotsReason: text('ignoreRobotsReason'),
    headers: headerLines.length ? headers : undefined, clearHeaders: field(b, 'clearHeaders') === 'yes',
  };
}

/** The form's values for a stored site (headers are sealed: never shown back). */
function formValues(s: SiteView) {
  return {
    name: s.name, urls: s.urls.join('\n'), engine: s.engine, follow: s.follow.join('\n'), maxPages: String(s.maxPages), maxDepth: String(s.maxDepth),
    schedule: s.schedule ?? '', schedulePreset: (SCHEDULE_PRESETS as readonly string[]).includes(s.schedule ?? '') ? s.schedule ?? '' : 'custom', searchUrl: s.searchUrl ?? '', allowHosts: s.allowHosts.join('\n'), platform: s.platform ?? '', rateMs: String(s.rateMs),
    concurrency: String(s.concurrency), ignoreRobotsReason: s.robotsOverrideReason ?? '', hasHeaders: s.hasHeaders,
  };
}

/** What the form sent, to show it again after a refusal (never the headers). */
function sentValues(input: PageInput, hasHeaders: boolean) {
  const b = input.body;
  const keys = ['name', 'urls', 'engine', 'follow', 'maxPages', 'maxDepth', 'schedule', 'schedulePreset', 'searchUrl', 'allowHosts', 'platform', 'rateMs', 'concurrency', 'ignoreRobotsReason'];
  return { ...Object.fromEntries(keys.map((k) => [k, field(b, k)])), hasHeaders };
}

/** A run's counters and state for people: the page at load and the JSON the script polls. */
export function runProgress(run: RunView, t: Translate) {
  const s = run.stats as Record<string, number | undefined>;
  return {
    id: run.id,
    status: run.status,
    statusText: t(`sites.run.status.${run.status}`),
    finished: FINISHED.has(run.status),
    pagesVisited: s.pagesVisited ?? 0,
    mediaFound: s.mediaFound ?? 0,
    mediaFingerprinted: s.mediaFingerprinted ?? 0,
    matches: s.matches ?? 0,
    alertsRaised: s.alertsRaised ?? 0,
    pagesFailed: s.pagesFailed ?? 0,
    error: run.error,
  };
}

async function sitePage(input: PageInput, name: string, extra: Record<string, unknown> = {}) {
  const { actor } = input.session!;
  const site = await showSite(input.env.ctx, actor, name);
  const wanted = typeof input.query.run === 'string' ? site.runs.find((r) => r.id === input.query.run) : undefined;
  const run = wanted ?? site.runs[0];
  return input.render('site', {
    site, v: formValues(site), presets: SCHEDULE_PRESETS, runs: site.runs, run: run ? runProgress(run, input.t) : null,
    canManage: can(actor.role, 'site.manage'), canCrawl: can(actor.role, 'site.crawl'),
    notice: ['added', 'saved', 'disabled', 'enabled', 'queued', 'busy'].find((k) => input.query[k] === '1') ?? '', problem: null, ...extra,
  });
}

const sitePath = (name: string, q = '') => `/sites/${encodeURIComponent(name)}${q}`;

export const sitePages: PageDef[] = [
  {
    method: 'GET', url: '/sites', access: 'site.read',
    handler: async (input) => {
      const sites = await listSites(input.env.ctx, input.session!.actor);
      return input.render('sites', { sites, canManage: can(input.session!.actor.role, 'site.manage') });
    },
  },
  {
    method: 'GET', url: '/sites/new', access: 'site.manage',
    handler: async (input) => input.render('site-new', { presets: SCHEDULE_PRESETS, v: { schedulePreset: '', engine: 'http', maxPages: '500', maxDepth: '3', rateMs: '1000', concurrency: '2' }, problem: null }),
  },
  {
    method: 'POST', url: '/sites/new', access: 'site.manage',
    handler: async (input) => {
      const { clearHeaders: _c, ...f } = siteForm(input);
      try {
        const site = await addSite(input.env.ctx, input.session!.actor, { name: field(input.body, 'name').trim(), ...f });
        return input.reply.redirect(sitePath(site.name, '?added=1'), 303);
      } catch (err) {
        const problem: FormProblem | null = formProblem(err, PROBLEMS, { field: 'name', key: 'sites.problem.other' });
        if (!problem) throw err;
        void input.reply.status(400);
        return input.render('site-new', { presets: SCHEDULE_PRESETS, v: sentValues(input, false), problem });
      }
    },
  },
  {
    method: 'GET', url: '/sites/:name', access: 'site.read',
    handler: async (input) => sitePage(input, input.params.name),
  },
  {
    method: 'POST', url: '/sites/:name', access: 'site.manage',
    handler: async (input) => {
      const { clearHeaders, headers, ...f } = siteForm(input);
      // Every field of the form is sent: an emptied optional field clears it.
      const changes: SiteChanges = {
        ...f, schedule: f.schedule ?? null, searchUrl: f.searchUrl ?? null, platform: f.platform ?? null, ignoreRobotsReason: f.ignoreRobotsReason ?? null,
        ...(clearHeaders ? { headers: null } : headers ? { headers } : {}),
      };
      try {
        const site = await changeSite(input.env.ctx, input.session!.actor, input.params.name, changes);
        return input.reply.redirect(sitePath(site.name, '?saved=1'), 303);
      } catch (err) {
        const problem = formProblem(err, PROBLEMS, { field: 'urls', key: 'sites.problem.other' });
        if (!problem) throw err;
        void input.reply.status(400);
        const site = await showSite(input.env.ctx, input.session!.actor, input.params.name);
        return sitePage(input, input.params.name, { v: { ...sentValues(input, site.hasHeaders), name: site.name }, problem });
      }
    },
  },
  {
    method: 'POST', url: '/sites/:name/disable', access: 'site.manage',
    handler: async (input) => {
      const site = await disableSite(input.env.ctx, input.session!.actor, input.params.name);
      return input.reply.redirect(sitePath(site.name, '?disabled=1'), 303);
    },
  },
  {
    method: 'POST', url: '/sites/:name/enable', access: 'site.manage',
    handler: async (input) => {
      const site = await changeSite(input.env.ctx, input.session!.actor, input.params.name, { enabled: true });
      return input.reply.redirect(sitePath(site.name, '?enabled=1'), 303);
    },
  },
  {
    method: 'POST', url: '/sites/:name/crawl', access: 'site.crawl',
    handler: async (input) => {
      try {
        const q = await queueCrawl(input.env.ctx, input.session!.actor, input.params.name);
        return input.reply.redirect(sitePath(q.site, `?queued=1&run=${encodeURIComponent(q.run)}#progress`), 303);
      } catch (err) {
        // Already being searched (a site is never crawled twice at once): show that run's progress instead.
        if ((err as { status?: number }).status !== 409) throw err;
        const site = await showSite(input.env.ctx, input.session!.actor, input.params.name);
        const active = site.runs.find((r) => !FINISHED.has(r.status));
        if (!active) throw err;
        return input.reply.redirect(sitePath(site.name, `?busy=1&run=${encodeURIComponent(active.id)}#progress`), 303);
      }
    },
  },
  // The address of a POST answer, loaded again (a language switch, a reload): back to the site's page.
  ...(['crawl', 'disable', 'enable'] as const).map((a): PageDef => ({
    method: 'GET', url: `/sites/:name/${a}`, access: 'site.read',
    handler: async (input) => input.reply.redirect(sitePath(input.params.name), 303),
  })),
  {
    // The live progress: JSON for console/static/crawl-progress.js.
    method: 'GET', url: '/sites/:name/runs/:run', access: 'site.read',
    handler: async (input) => runProgress(await showRun(input.env.ctx, input.session!.actor, input.params.name, input.params.run), input.t),
  },
];
