/**
 * Crawl targets over HTTP: the same domain functions as `staydown site` and `staydown crawl` (sites.ts),
 * so both check the same way and audit the same entries.
 */
import { z } from 'zod';
import type { RouteDef } from '../http/route.ts';
import { addSite, changeSite, disableSite, listSites, queueCrawl, showSite, type NewSiteInput, type SiteChanges } from './sites.ts';

const nameParams = z.object({ name: z.string().min(1).max(63) });
const headers = z.record(z.string().min(1).max(100), z.string().max(4096));
const settings = {
  urls: z.array(z.string().min(1).max(2048)).min(1).max(100),
  engine: z.enum(['http', 'browser']),
  follow: z.array(z.string().min(1).max(500)).max(50),
  maxPages: z.number().int(),
  maxDepth: z.number().int(),
  schedule: z.string().min(1).max(100),
  searchUrl: z.string().min(1).max(2048),
  allowHosts: z.array(z.string().min(1).max(255)).max(50),
  platform: z.string().min(1).max(200),
  rateMs: z.number().int(),
  concurrency: z.number().int(),
  ignoreRobotsReason: z.string().min(1).max(500),
};
const addBody = z.object({
  name: z.string().min(1).max(63),
  urls: settings.urls,
  engine: settings.engine.optional(), follow: settings.follow.optional(), maxPages: settings.maxPages.optional(), maxDepth: settings.maxDepth.optional(),
  schedule: settings.schedule.optional(), searchUrl: settings.searchUrl.optional(), allowHosts: settings.allowHosts.optional(), platform: settings.platform.optional(),
  rateMs: settings.rateMs.optional(), concurrency: settings.concurrency.optional(), ignoreRobotsReason: settings.ignoreRobotsReason.optional(),
  headers: headers.optional(),
}).strict();
const changeBody = z.object({
  urls: settings.urls.optional(), engine: settings.engine.optional(), follow: settings.follow.optional(), maxPages: settings.maxPages.optional(),
  maxDepth: settings.maxDepth.optional(), schedule: settings.schedule.nullable().optional(), searchUrl: settings.searchUrl.nullable().optional(),
  allowHosts: settings.allowHosts.optional(), platform: settings.platform.nullable().optional(), rateMs: settings.rateMs.optional(),
  concurrency: settings.concurrency.optional(), ignoreRobotsReason: settings.ignoreRobotsReason.nullable().optional(),
  headers: headers.nullable().optional(), enabled: z.boolean().optional(),
}).strict();

export const crawlingRoutes: RouteDef[] = [
  {
    method: 'GET', url: '/api/v1/sites', summary: 'List crawl targets', tag: 'crawling', access: 'site.read',
    handler: async ({ env, actor }) => ({ items: await listSites(env.ctx, actor!) }),
  },
  {
    method: 'POST', url: '/api/v1/sites', summary: 'Add a crawl target (headers and cookies are sealed and never shown again)', tag: 'crawling', access: 'site.manage',
    body: addBody, status: 201,
    handler: async ({ env, actor, body }) => addSite(env.ctx, actor!, body as NewSiteInput),
  },
  {
    method: 'GET', url: '/api/v1/sites/:name', summary: 'Read a crawl target and its latest runs', tag: 'crawling', access: 'site.read', params: nameParams,
    handler: async ({ env, actor, params }) => showSite(env.ctx, actor!, params.name),
  },
  {
    method: 'PATCH', url: '/api/v1/sites/:name', summary: 'Change a crawl target (null clears schedule, searchUrl, platform, ignoreRobotsReason, headers)', tag: 'crawling',
    access: 'site.manage', params: nameParams, body: changeBody,
    handler: async ({ env, actor, params, body }) => changeSite(env.ctx, actor!, params.name, body as SiteChanges),
  },
  {
    method: 'POST', url: '/api/v1/sites/:name/disable', summary: 'Disable a crawl target: no more scheduled or manual crawls', tag: 'crawling', access: 'site.manage', params: nameParams,
    handler: async ({ env, actor, params }) => disableSite(env.ctx, actor!, params.name),
  },
  {
    method: 'POST', url: '/api/v1/sites/:name/crawl', summary: 'Crawl now: queue a run for the crawl workers', tag: 'crawling', access: 'site.crawl', params: nameParams, status: 202,
    handler: async ({ env, actor, params }) => queueCrawl(env.ctx, actor!, params.name),
  },
];
