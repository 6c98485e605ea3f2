/**
 * Hostile JSON to the API (issue 14, "must show"): deep nesting, prototype keys, huge numbers, very long
 * strings. Each is answered 400 with a sentence and a request id, nothing is polluted or stored, and the
 * process keeps serving.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { useTestDatabase } from '../support/db.ts';
import { useTempDir } from '../support/tmp.ts';
import { ADMIN, serviceContext } from '../support/service.ts';
import { multipartBody } from '../support/multipart.ts';
import { buildApi } from '../../services/http/server.ts';
import { addUser, issueToken } from '../../services/accounts/accounts.ts';
import { openCase } from '../../services/cases/cases.ts';
import type { ServiceContext } from '../../services/platform/context.ts';

const db = useTestDatabase('sec_json');
const tmp = useTempDir('secjson');
let ctx: ServiceContext;
let app: FastifyInstance;
let auth: Record<string, string>;

beforeAll(async () => {
  ctx = await serviceContext(db(), tmp());
  app = await buildApi(ctx);
  const a = await addUser(ctx.sql, ADMIN, { name: 'json-admin', role: 'admin' });
  auth = { authorization: `Bearer ${(await issueToken(ctx.sql, ADMIN, a.user.id)).token}`, 'content-type': 'application/json' };
});

const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
const deepObject = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);

const HOSTILE: Array<[string, string, string]> = [
  ['deeply nested arrays as the body', 'POST /api/v1/cases', deep(100_000)],
  ['deeply nested arrays in a field', 'POST /api/v1/cases', `{"personal":{"contacts":${deep(50_000)}}}`],
  ['deeply nested objects', 'POST /api/v1/cases', `{"personal":${deepObject(30_000)}}`],
  ['a __proto__ key', 'POST /api/v1/cases', '{"__proto__":{"polluted":"yes"},"personal":{}}'],
  ['a nested __proto__ key', 'POST /api/v1/cases', '{"personal":{"__proto__":{"polluted":"yes"}}}'],
  ['constructor.prototype', 'POST /api/v1/cases', '{"constructor":{"prototype":{"polluted":"yes"}}}'],
  ['__proto__ on sign-in', 'POST /api/v1/session', '{"name":"x","password":"y","__proto__":{"polluted":"yes"}}'],
  ['a number beyond double range', 'POST /api/v1/cases', '{"evidenceRetentionDays":1e400,"keepEvidence":true}'],
  ['a 30-digit integer', 'POST /api/v1/cases', '{"evidenceRetentionDays":123456789012345678901234567890,"keepEvidence":true}'],
  ['a negative zero and a fraction', 'POST /api/v1/cases', '{"evidenceRetentionDays":0.5,"keepEvidence":true}'],
  ['a very long string', 'POST /api/v1/cases', JSON.stringify({ personal: { notes: 'x'.repeat(200_000) } })],
  ['a very long key', 'POST /api/v1/cases', `{"${'k'.repeat(200_000)}":1}`],
  ['a very long user name', 'POST /api/v1/session', JSON.stringify({ name: 'n'.repeat(100_000), password: 'p' })],
  ['not JSON at all', 'POST /api/v1/cases', '{"personal": {'],
  ['a JSON string instead of an object', 'POST /api/v1/cases', '"just a string"'],
];

describe('hostile JSON', () => {
  it.each(HOSTILE)('%s: 400 with a sentence, nothing stored, still serving', async (_what, route, payload) => {
    const [method, url] = route.split(' ');
    const before = (await ctx.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM cases'))[0].n;
    const res = await app.inject({ method: method as 'POST', url, payload, headers: auth });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(400);
    const error = res.json().error;
    expect(error.code).toBe('bad_request');
    expect(error.message).toMatch(/^[A-Z].{10,400}\.$/s);
    expect(error.requestId).toEqual(expect.any(String));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
    expect((await ctx.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM cases'))[0].n).toBe(before);
    expect((await app.inject({ method: 'GET', url: '/livez' })).statusCode).toBe(200);
  });

  it('prototype keys in a query string or a form field pollute nothing', async () => {
    const q = await app.inject({ method: 'GET', url: '/api/v1/cases?__proto__[polluted]=yes&constructor[prototype][polluted]=yes', headers: auth });
    expect([200, 400]).toContain(q.statusCode);
    const c = await openCase(ctx, ADMIN);
    const m = multipartBody([{ name: '__proto__', value: 'yes' }]);
    const f = await app.inject({ method: 'POST', url: `/api/v1/cases/${c.code}/material`, payload: m.body, headers: { authorization: auth.authorization, 'content-type': m.contentType } });
    expect(f.statusCode).toBe(400);
    expect(f.json().error.message).toMatch(/\.$/);
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  });
});
