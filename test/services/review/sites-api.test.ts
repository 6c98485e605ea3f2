/**
 * Crawl targets over HTTP, through the same domain functions as `staydown site`: add (checked the same
 * way, headers sealed and never shown), list, show, change, disable, and crawl now (a job on the queue).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { useTestDatabase } from '../../support/db.ts';
import { useTempDir } from '../../support/tmp.ts';
import { ADMIN, childEnv, runCli, serviceContext } from '../../support/service.ts';
import { buildApi } from '../../../services/http/server.ts';
import { addUser, issueToken } from '../../../services/accounts/accounts.ts';
import { decrypt } from '../../../services/platform/crypto.ts';
import { siteHeadersAad } from '../../../services/crawling/crawl-runtime.ts';
import type { ServiceContext } from '../../../services/platform/context.ts';

const db = useTestDatabase('sites_api');
const tmp = useTempDir('sites');

let ctx: ServiceContext;
let app: FastifyInstance;
let auth: { authorization: string };
let staffAuth: { authorization: string };

beforeAll(async () => {
  const base = await serviceContext(db(), tmp());
  ctx = { ...base, config: { ...base.config, queueSchema: `${db().schema}_boss` } };
  app = await buildApi(ctx);
  for (const role of ['admin', 'staff'] as const) {
    const u = await addUser(ctx.sql, ADMIN, { name: `${role}-s`, role, credential: 'password' });
    const h = { authorization: `Bearer ${(await issueToken(ctx.sql, ADMIN, u.user.id)).token}` };
    if (role === 'admin') auth = h;
    else staffAuth = h;
  }
});

describe('sites API', () => {
  it('adds a site with sealed headers, and refuses bad definitions with the same sentences as the CLI', async () => {
    const res = await app.inject({
      method: 'POST', url: '/api/v1/sites', headers: auth,
      payload: { name: 'board-api', urls: ['https://board.example/'], engine: 'browser', schedule: '0 */6 * * *', headers: { Cookie: 'session=abc' }, maxPages: 50 },
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ name: 'board-api', engine: 'browser', schedule: '0 */6 * * *', maxPages: 50, maxDepth: 3, hasHeaders: true, enabled: true });
    expect(res.body).not.toContain('session=abc');
    const [row] = await ctx.sql.query<{ headers_encrypted: Buffer }>('SELECT headers_encrypted FROM crawl_sites WHERE name = $1', ['board-api']);
    expect(JSON.parse(decrypt(ctx.masterKey, row.headers_encrypted, siteHeadersAad('board-api')).toString('utf8'))).toEqual({ cookie: 'session=abc' });

    const dup = await app.inject({ method: 'POST', url: '/api/v1/sites', headers: auth, payload: { name: 'board-api', urls: ['https://x.example/'] } });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error.message).toMatch(/A site named 'board-api' already exists/);
    const bad = await app.inject({ method: 'POST', url: '/api/v1/sites', headers: auth, payload: { name: 'x', urls: ['ftp://a/'] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/must start with http:\/\/ or https:\/\//);
    const cron = await app.inject({ method: 'POST', url: '/api/v1/sites', headers: auth, payload: { name: 'y', urls: ['https://y.example/'], schedule: 'every day' } });
    expect(cron.json().error.message).toMatch(/is not a valid cron expression/);
    // The CLI says the same, through the same function.
    const cliDup = await runCli(['site', 'add', 'board-api', '--url', 'https://x.example/'], childEnv(ctx));
    // A taken name is a conflict: the service refusing (1), not a wrong call (README's exit statuses).
    expect(cliDup.status).toBe(1);
    expect(cliDup.stderr).toMatch(/A site named 'board-api' already exists/);
    const [audit] = await ctx.sql.query<{ detail: Record<string, unknown> }>(`SELECT detail FROM audit_log WHERE action = 'site.add'`);
    expect(audit.detail).toEqual({ engine: 'browser', scheduled: true, headers: true });
  });

  it('lists, shows, changes (null clears) and disables', async () => {
    const list = await app.inject({ method: 'GET', url: '/api/v1/sites', headers: staffAuth });
    expect(list.json().items.map((s: { name: string }) => s.name)).toEqual(['board-api']);
    const changed = await app.inject({ method: 'PATCH', url: '/api/v1/sites/board-api', headers: auth, payload: { schedule: null, rateMs: 1000, urls: ['https://board.example/new/'], headers: null } });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({ schedule: null, rateMs: 1000, urls: ['https://board.example/new/'], engine: 'browser', maxPages: 50, hasHeaders: false });
    const badChange = await app.inject({ method: 'PATCH', url: '/api/v1/sites/board-api', headers: auth, payload: { concurrency: 500 } });
    expect(badChange.statusCode).toBe(400);
    expect(badChange.json().error.message).toMatch(/must be a whole number from 1 to 64/);
    const cliChange = await runCli(['site', 'change', 'board-api', '--schedule', '*/30 * * * *', '--json'], childEnv(ctx));
    expect(cliChange.stderr).toBe('');
    expect(JSON.parse(cliChange.stdout)).toMatchObject({ schedule: '*/30 * * * *', rateMs: 1000 });
    const disabled = await app.inject({ method: 'POST', url: '/api/v1/sites/board-api/disable', headers: auth });
    expect(disabled.json()).toMatchObject({ enabled: false, runs: [] });
    const crawl = await app.inject({ method: 'POST', url: '/api/v1/sites/board-api/crawl', headers: auth });
    expect(crawl.statusCode).toBe(409);
    expect(crawl.json().error.message).toMatch(/is disabled; enable it first/);
    const enabled = await app.inject({ method: 'PATCH', url: '/api/v1/sites/board-api', headers: auth, payload: { enabled: true } });
    expect(enabled.json().enabled).toBe(true);
    const show = await app.inject({ method: 'GET', url: '/api/v1/sites/nowhere', headers: auth });
    expect(show.statusCode).toBe(404);
    expect(show.json().error.message).toMatch(/There is no site named 'nowhere'/);
  });

  it('crawl now queues one run as a crawl-site job; a second request while it waits is refused', async () => {
    const t0 = performance.now();
    const res = await app.inject({ method: 'POST', url: '/api/v1/sites/board-api/crawl', headers: auth });
    const ms = performance.now() - t0;
    expect(res.statusCode, res.body).toBe(202);
    const { run } = res.json();
    const jobs = await ctx.sql.query<{ data: { runId: string } }>(`SELECT data FROM ${ctx.config.queueSchema}.job WHERE name = 'crawl-site'`);
    expect(jobs.map((j) => j.data.runId)).toEqual([run]);
    const again = await app.inject({ method: 'POST', url: '/api/v1/sites/board-api/crawl', headers: auth });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.message).toContain(run);
    const show = (await app.inject({ method: 'GET', url: '/api/v1/sites/board-api', headers: auth })).json();
    expect(show.runs).toMatchObject([{ id: run, status: 'queued', trigger: 'manual' }]);
    console.log(`crawl-now request (queue opened and stopped per request): ${ms.toFixed(0)} ms`);
  });
});
