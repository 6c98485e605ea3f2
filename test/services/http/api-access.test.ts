/**
 * Access is checked on every request: every endpoint with every role (and with no credential), and the
 * exact set of callers allowed. The expectations below are the specification (issue 5), written out
 * independently of services/access.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { useTestDatabase } from '../../support/db.ts';
import { useTempDir } from '../../support/tmp.ts';
import { ADMIN, serviceContext } from '../../support/service.ts';
import { multipartBody } from '../../support/multipart.ts';
import { syntheticPhoto } from '../../support/images.ts';
import { buildApi, routes } from '../../../services/http/server.ts';
import { addUser, issueToken } from '../../../services/accounts/accounts.ts';
import { assignCaseStaff, openCase } from '../../../services/cases/cases.ts';
import type { ServiceContext } from '../../../services/platform/context.ts';
import { mkdirSync } from 'node:fs';
import { uploadDir } from '../../../services/platform/context.ts';
import { addSite } from '../../../services/crawling/sites.ts';
import { seedAlert } from '../review/support.ts';
import { addPlatform, draftNotices } from '../../../services/takedown/index.ts';
import { rdapDomainAnswer, seedConfirmedAlert, startRdapFixture } from '../../support/takedown.ts';
import { seedSentNotice } from '../delivery/support/seed.ts';

const db = useTestDatabase('api_access');
const tmp = useTempDir('api');

type Caller = 'none' | 'admin' | 'staff' | 'operator' | 'platform' | 'auditor';
const CALLERS: Caller[] = ['none', 'admin', 'staff', 'operator', 'platform', 'auditor'];
const EVERYONE: Caller[] = CALLERS;
const SIGNED_IN: Caller[] = ['admin', 'staff', 'operator', 'platform', 'auditor'];
const CASE_WORKERS: Caller[] = ['admin', 'staff'];
const REVIEWERS: Caller[] = ['admin', 'staff', 'operator'];

const EXPECTED: Record<string, Caller[]> = {
  'GET /livez': EVERYONE,
  'GET /readyz': EVERYONE,
  'POST /api/v1/session': EVERYONE,
  'DELETE /api/v1/session': SIGNED_IN,
  'GET /api/v1/me': SIGNED_IN,
  'GET /api/v1/users': ['admin'],
  'POST /api/v1/users': ['admin'],
  'POST /api/v1/users/:id/tokens': ['admin'],
  'POST /api/v1/me/password': SIGNED_IN,
  'POST /api/v1/users/:id/disable': ['admin'],
  'POST /api/v1/users/:id/enable': ['admin'],
  'POST /api/v1/users/:id/password': ['admin'],
  'POST /api/v1/users/:id/role': ['admin'],
  'DELETE /api/v1/users/:id/tokens': ['admin'],
  'GET /api/v1/audit': ['admin', 'auditor'],
  'GET /api/v1/audit/verify': ['admin', 'auditor'],
  'GET /api/v1/cases': ['admin', 'staff', 'operator'],
  'POST /api/v1/cases': CASE_WORKERS,
  'GET /api/v1/cases/:code': CASE_WORKERS,
  'PATCH /api/v1/cases/:code': CASE_WORKERS,
  'POST /api/v1/cases/:code/staff': ['admin'],
  'POST /api/v1/cases/:code/withdraw': CASE_WORKERS,
  'POST /api/v1/cases/:code/erase': CASE_WORKERS,
  'GET /api/v1/cases/:code/material': CASE_WORKERS,
  'GET /api/v1/cases/:code/urls': CASE_WORKERS,
  'POST /api/v1/cases/:code/material': CASE_WORKERS,
  'GET /api/v1/sites': REVIEWERS,
  'POST /api/v1/sites': CASE_WORKERS,
  'GET /api/v1/sites/:name': REVIEWERS,
  'PATCH /api/v1/sites/:name': CASE_WORKERS,
  'POST /api/v1/sites/:name/disable': CASE_WORKERS,
  'POST /api/v1/sites/:name/crawl': REVIEWERS,
  // Staff: only the alerts of cases they are assigned to (each request's alert is of such a case).
  'GET /api/v1/alerts': REVIEWERS,
  'GET /api/v1/alerts/:id': REVIEWERS,
  'GET /api/v1/alerts/:id/evidence': REVIEWERS,
  'GET /api/v1/alerts/:id/evidence/:part': REVIEWERS,
  'POST /api/v1/alerts/:id/confirm': REVIEWERS,
  'POST /api/v1/alerts/:id/reject': REVIEWERS,
  // The response link: the token is the credential, whoever holds it (services/delivery).
  'GET /respond/:token': EVERYONE,
  'POST /respond/:token': EVERYONE,
  'GET /api/v1/platform/notices': ['platform'],
  'POST /api/v1/platform/notices/:id/answer': ['platform'],
  // Counts, times and platform names only (services/stats).
  'GET /api/v1/stats': ['admin', 'staff', 'auditor'],
  'GET /api/v1/platforms': ['admin', 'staff', 'operator'],
  'POST /api/v1/platforms': CASE_WORKERS,
  'POST /api/v1/platforms/propose': CASE_WORKERS,
  'GET /api/v1/platforms/:name': ['admin', 'staff', 'operator'],
  'PATCH /api/v1/platforms/:name': CASE_WORKERS,
  'POST /api/v1/platforms/:name/accept-escalation': CASE_WORKERS,
  'GET /api/v1/notices': ['admin', 'staff', 'operator'],
  'POST /api/v1/notices/draft': CASE_WORKERS,
  'GET /api/v1/notices/unrouted': ['admin', 'staff', 'operator'],
  'GET /api/v1/notices/:id': ['admin', 'staff', 'operator'],
  'POST /api/v1/notices/approve': CASE_WORKERS,
  'POST /api/v1/notices/:id/approve': CASE_WORKERS,
  'POST /api/v1/notices/:id/cancel': CASE_WORKERS,
};

let ctx: ServiceContext;
let app: FastifyInstance;
const users: Record<Exclude<Caller, 'none'>, { id: string; name: string; password?: string; token: string }> = {} as never;
let image: Buffer;
let n = 0;

let rdap: Awaited<ReturnType<typeof startRdapFixture>> | undefined;
afterAll(() => rdap?.close());

beforeAll(async () => {
  const base = await serviceContext(db(), tmp());
  // The crawl-now endpoint queues a job: on this file's own pg-boss schema. Notices need the organisation's
  // address; platform proposals ask a fixture RDAP server on loopback.
  rdap = await startRdapFixture({ 'propose.example': rdapDomainAnswer('propose.example', 'abuse@registrar.example') });
  ctx = { ...base, config: Object.freeze({ ...base.config, queueSchema: `${db().schema}_boss`, orgEmail: 'takedown@centre.example', rdapUrl: rdap.url }) };
  await addPlatform(ctx, ADMIN, { name: 'access-platform', domains: ['access-board.example'], emails: ['abuse@access-board.example'] });
  mkdirSync(uploadDir(ctx.config), { recursive: true });
  app = await buildApi(ctx);
  image = await syntheticPhoto(11);
  for (const role of ['admin', 'staff', 'operator', 'platform', 'auditor'] as const) {
    const r = await addUser(ctx.sql, ADMIN, { name: `${role}-user`, role, credential: role === 'platform' ? 'token' : 'password' });
    const token = r.token ?? (await issueToken(ctx.sql, ADMIN, r.user.id)).token;
    users[role] = { id: r.user.id, name: r.user.name, password: r.password, token };
  }
});

/** A fresh case with the staff user assigned, so each request starts from the same state. */
async function freshCase(): Promise<string> {
  const c = await openCase(ctx, ADMIN, { personal: { label: 'access test' } });
  await assignCaseStaff(ctx, ADMIN, c.code, users.staff.id);
  return c.code;
}

/** A fresh draft notice on a fresh case the staff user is assigned to. */
async function freshNotice(): Promise<string> {
  const code = await freshCase();
  await seedConfirmedAlert(ctx.sql, code, { pageUrl: `https://access-board.example/p/${n}`, mediaUrl: `https://access-board.example/i/${n++}.jpg` });
  return (await draftNotices(ctx)).noticeIds[0];
}

async function request(method: string, url: string, caller: Caller): Promise<number> {
  let token = caller === 'none' ? null : users[caller].token;
  const key = `${method} ${url}`;
  // Endpoints that change an account act on a throwaway one, so the callers' own accounts keep working.
  const target = /^(POST \/api\/v1\/users\/:id\/(disable|enable|password|role)|DELETE \/api\/v1\/users\/:id\/tokens)$/.test(key)
    ? (await addUser(ctx.sql, ADMIN, { name: `target-${n++}`, role: 'operator' })).user.id
    : users.operator.id;
  let path = url.includes(':code') ? url.replace(':code', await freshCase()) : url;
  if (path.startsWith('/api/v1/notices/:id')) path = path.replace(':id', await freshNotice());
  if (key === 'POST /api/v1/platforms/:name/accept-escalation') {
    // A fresh platform with a proposal to accept (the existing access-platform as its target).
    const p = await addPlatform(ctx, ADMIN, { name: `escalating-${n}`, domains: [`e${n++}.access.example`], emails: ['abuse@access.example'] });
    await ctx.sql.query(`INSERT INTO escalation_proposals (platform_id, status, targets) VALUES ($1, 'proposed', $2::jsonb)`, [p.id, JSON.stringify([{ role: 'host', name: 'access-platform', existing: 'access-platform' }])]);
    path = path.replace(':name', p.name);
  }
  if (path.startsWith('/api/v1/platforms/')) path = path.replace(':name', 'access-platform');
  if (path.includes(':name')) path = path.replace(':name', (await addSite(ctx, ADMIN, { name: `site-${n++}`, urls: ['https://board.example/'] })).name);
  if (path.startsWith('/api/v1/alerts/')) path = path.replace(':id', (await seedAlert(ctx, { staffUserId: users.staff.id })).id).replace(':part', 'html');
  if (url.includes(':token') || url.startsWith('/api/v1/platform/notices/')) {
    // A notice sent to the platform user's platform, with its response link.
    const sent = await seedSentNotice(ctx.sql, ctx.masterKey, { userId: users.platform.id });
    path = url.replace(':token', sent.token).replace(':id', sent.notice.id);
  }
  path = path.replace(':id', target);
  let payload: unknown;
  let headers: Record<string, string> = {};
  if (key === 'POST /api/v1/me/password' && caller !== 'none') {
    // Each caller changes a password of a fresh account of its role, signed in with a session of it.
    const own = await addUser(ctx.sql, ADMIN, { name: `pw-${caller}-${n++}`, role: caller, credential: 'password' });
    token = (await app.inject({ method: 'POST', url: '/api/v1/session', payload: { name: own.user.name, password: own.password }, remoteAddress: `10.9.${n % 250}.1` })).json().token;
    payload = { currentPassword: own.password, newPassword: `a-new-password-${n}` };
  }
  if (key === 'POST /api/v1/session') payload = { name: users.admin.name, password: users.admin.password };
  if (key === 'DELETE /api/v1/session' && caller !== 'none') token = (await issueToken(ctx.sql, ADMIN, users[caller].id)).token;
  if (key === 'POST /api/v1/users/:id/role') payload = { role: 'auditor' };
  if (key === 'POST /api/v1/users') payload = { name: `made-${n++}`, role: 'operator' };
  if (key === 'POST /api/v1/cases') payload = { personal: { label: 'x' } };
  if (key === 'PATCH /api/v1/cases/:code') payload = { status: 'monitoring' };
  if (key === 'POST /api/v1/cases/:code/staff') payload = { userId: users.staff.id };
  if (key === 'POST /api/v1/sites') payload = { name: `new-site-${n++}`, urls: ['https://board.example/'] };
  if (key === 'PATCH /api/v1/sites/:name') payload = { rateMs: 500, schedule: '0 */6 * * *' };
  if (key === 'POST /api/v1/alerts/:id/reject') payload = { reason: 'a different person' };
  if (key === 'POST /api/v1/platforms') payload = { name: `platform-${n}`, domains: [`p${n++}.access.example`], emails: ['abuse@access.example'] };
  if (key === 'PATCH /api/v1/platforms/:name') payload = { deadlineHours: 12 };
  if (key === 'POST /api/v1/notices/approve') payload = { ids: [await freshNotice(), await freshNotice()] };
  if (key === 'POST /api/v1/platforms/propose') payload = { domain: 'www.propose.example' };
  if (key === 'POST /respond/:token' || key === 'POST /api/v1/platform/notices/:id/answer') payload = { answer: 'acknowledged' };
  if (key === 'POST /api/v1/cases/:code/material') {
    const m = multipartBody([{ name: 'file', filename: 'x.jpg', data: image, type: 'image/jpeg' }]);
    payload = m.body;
    headers['content-type'] = m.contentType;
  }
  if (token) headers = { ...headers, authorization: `Bearer ${token}` };
  const res = await app.inject({ method: method as 'GET', url: path, payload: payload as string, headers });
  return res.statusCode;
}

describe('access control', () => {
  it('the route table and the expectations list the same endpoints', () => {
    expect(routes.map((r) => `${r.method} ${r.url}`).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it('every endpoint x every caller: exactly the expected callers get through', async () => {
    const allowed: Record<string, Caller[]> = {};
    const refusals: string[] = [];
    for (const r of routes) {
      const key = `${r.method} ${r.url}`;
      allowed[key] = [];
      for (const caller of CALLERS) {
        const status = await request(r.method, r.url, caller);
        if (status >= 200 && status < 300) allowed[key].push(caller);
        else if (!(caller === 'none' ? status === 401 : status === 403)) refusals.push(`${key} as ${caller}: unexpected ${status}`);
      }
    }
    expect(refusals).toEqual([]);
    expect(allowed).toEqual(EXPECTED);
  });

  it('staff get 404 for a case they are not assigned to, the same as for a missing one', async () => {
    const c = await openCase(ctx, ADMIN, { personal: { label: 'not yours' } });
    const res = await app.inject({ method: 'GET', url: `/api/v1/cases/${c.code}`, headers: { authorization: `Bearer ${users.staff.token}` } });
    expect(res.statusCode, res.body).toBe(404);
    expect(res.json().error.message).not.toContain('not yours');
  });

  it('operators list codes and statuses, never case data', async () => {
    await freshCase();
    const res = await app.inject({ method: 'GET', url: '/api/v1/cases?limit=500', headers: { authorization: `Bearer ${users.operator.token}` } });
    expect(res.statusCode).toBe(200);
    const items = res.json().items as Array<Record<string, unknown>>;
    expect(items.length).toBeGreaterThan(0);
    for (const i of items) expect(Object.keys(i).sort()).toEqual(['code', 'createdAt', 'materialCount', 'status']);
  });
});

describe('API behaviour', () => {
  it('serves an OpenAPI document that describes every endpoint', async () => {
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    for (const r of routes) {
      const path = r.url.replace(/:(\w+)/g, '{$1}');
      expect(doc.paths[path]?.[r.method.toLowerCase()], `${r.method} ${path}`).toBeDefined();
    }
  });

  it('answers bad input with one JSON error shape', async () => {
    const auth = { authorization: `Bearer ${users.admin.token}` };
    const bad = await app.inject({ method: 'POST', url: '/api/v1/cases', payload: { keepEvidence: 'yes' }, headers: auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'bad_request', message: expect.stringMatching(/keepEvidence/) } });
    const big = await app.inject({ method: 'POST', url: '/api/v1/cases', payload: { personal: { notes: 'x'.repeat(400_000) } }, headers: auth });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('payload_too_large');
    const missing = await app.inject({ method: 'GET', url: '/api/v1/nothing', headers: auth });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('not_found');
  });

  it('pages through cases with `next`', async () => {
    for (let i = 0; i < 3; i++) await freshCase();
    const auth = { authorization: `Bearer ${users.admin.token}` };
    const seen: string[] = [];
    let after = '';
    for (let guard = 0; guard < 1000; guard++) {
      const res = await app.inject({ method: 'GET', url: `/api/v1/cases?limit=2&after=${after}`, headers: auth });
      const page = res.json() as { items: Array<{ code: string }>; next: string | null };
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((i) => i.code));
      if (!page.next) break;
      after = page.next;
    }
    const all = await ctx.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM cases');
    expect(seen.length).toBe(all[0].n);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('signs in with a password, and rate-limits repeated failures', async () => {
    const ok = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { name: users.staff.name, password: users.staff.password } });
    expect(ok.statusCode).toBe(201);
    const me = await app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${ok.json().token}` } });
    expect(me.json()).toMatchObject({ name: users.staff.name, role: 'staff' });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const r = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { name: users.auditor.name, password: 'wrong' } });
      statuses.push(r.statusCode);
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    const right = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { name: users.auditor.name, password: users.auditor.password } });
    expect(right.statusCode).toBe(429);
    const stored = await ctx.sql.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE name = $1', [users.staff.name]);
    expect(stored[0].password_hash).toMatch(/^\$argon2id\$/);
    expect(stored[0].password_hash).not.toContain(users.staff.password!);
  });
});
