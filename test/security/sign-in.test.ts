/**
 * Sign-in must not be a lever against users (issue 14, finding 2): failures slow down the (name,
 * address) pair and the address, never the name everywhere; names are one name whatever their case;
 * a success does not wipe an address's failures; failed sign-ins and refused requests are audited by id
 * and logged at a bounded rate.
 */
import { Writable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { useTestDatabase } from '../support/db.ts';
import { useTempDir } from '../support/tmp.ts';
import { ADMIN, serviceContext } from '../support/service.ts';
import { buildApi } from '../../services/http/server.ts';
import { addUser, issueToken } from '../../services/accounts/accounts.ts';
import { LoginLimiter } from '../../services/accounts/login-limiter.ts';
import { RefusalRecorder } from '../../services/accounts/refusals.ts';
import { createLogger } from '../../services/platform/log.ts';
import type { ServiceContext } from '../../services/platform/context.ts';

const db = useTestDatabase('sec_signin');
const tmp = useTempDir('signin');
let ctx: ServiceContext;
let app: FastifyInstance;
let clock = Date.parse('2026-05-01T10:00:00Z');
const logLines: Array<Record<string, unknown>> = [];
const people: Record<string, { id: string; name: string; password: string }> = {};

beforeAll(async () => {
  ctx = await serviceContext(db(), tmp());
  const sink = new Writable({ write(chunk, _enc, cb) { for (const l of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(l)); cb(); } });
  const log = createLogger('info', 'test', sink);
  app = await buildApi(ctx, { limiter: new LoginLimiter(() => clock), refusals: new RefusalRecorder(ctx.sql, log, 10, () => clock) });
  for (const name of ['victim', 'admin', 'mallory', 'carol']) {
    const r = await addUser(ctx.sql, ADMIN, { name, role: name === 'admin' ? 'admin' : 'staff' });
    people[name] = { id: r.user.id, name, password: r.password! };
  }
});

function signIn(name: string, password: string, from: string) {
  return app.inject({ method: 'POST', url: '/api/v1/session', payload: { name, password }, remoteAddress: from });
}

describe('sign-in slow-down', () => {
  it('failures for a name from one address do not keep its owner out from another, and slow down rather than lock', async () => {
    const statuses: number[] = [];
    let retry = '';
    for (let i = 0; i < 8; i++) {
      const r = await signIn('victim', `guess-${i}`, '192.0.2.10');
      statuses.push(r.statusCode);
      if (r.statusCode === 429) retry = String(r.headers['retry-after']);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    expect(Number(retry)).toBeGreaterThan(0);
    // The owner, from their own address, signs in at once.
    const owner = await signIn('victim', people.victim.password, '198.51.100.7');
    expect(owner.statusCode, owner.body).toBe(201);
    // From the guessing address: after the wait, one more attempt is allowed, and the next wait is longer.
    clock += Number(retry) * 1000;
    expect((await signIn('victim', 'guess-again', '192.0.2.10')).statusCode).toBe(401);
    const slower = await signIn('victim', 'guess-again', '192.0.2.10');
    expect(slower.statusCode).toBe(429);
    expect(Number(slower.headers['retry-after'])).toBeGreaterThan(Number(retry));
    expect(slower.json().error.message).toMatch(/wait \d+ seconds? before trying again/);
  });

  it('names are one name whatever their case: one account, one count', async () => {
    const dup = await addUser(ctx.sql, ADMIN, { name: 'Carol', role: 'staff' }).catch((e: Error) => e);
    expect(dup).toBeInstanceOf(Error);
    expect((dup as Error).message).toMatch(/already exists.*whatever their case/);
    const upper = await signIn('CAROL', people.carol.password, '203.0.113.1');
    expect(upper.statusCode, upper.body).toBe(201);
    expect(upper.json().user.name).toBe('carol');
    for (let i = 0; i < 5; i++) expect((await signIn('Carol', `x${i}`, '203.0.113.2')).statusCode).toBe(401);
    // The failures for "Carol" count for "carol" from that address ...
    expect((await signIn('carol', people.carol.password, '203.0.113.2')).statusCode).toBe(429);
    // ... and only from that address.
    expect((await signIn('carol', people.carol.password, '203.0.113.3')).statusCode).toBe(201);
    const byLower = await ctx.sql.query<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'users_name_lower'`);
    expect(byLower[0].indexdef).toMatch(/UNIQUE INDEX .* \(lower\(name\)\)/);
  });

  it('four failures and one success, repeated, slow down: a success does not wipe the address count', async () => {
    const from = '192.0.2.77';
    const seen: number[] = [];
    for (let round = 0; round < 6 && !seen.includes(429); round++) {
      // Each round guesses at another name, so the (name, address) allowance never runs out: only the
      // address count can catch it.
      for (let i = 0; i < 4; i++) seen.push((await signIn(`someone-${round}`, `g${round}-${i}`, from)).statusCode);
      seen.push((await signIn('mallory', people.mallory.password, from)).statusCode);
    }
    // 20 failures are free per address, successes in between or not; the attempt after the 20th must
    // wait - Mallory's own sign-in included: the address is what guessed.
    expect(seen).toEqual([401, 401, 401, 401, 201, 401, 401, 401, 401, 201, 401, 401, 401, 401, 201, 401, 401, 401, 401, 201, 401, 401, 401, 401, 429]);
    // Another address is not affected.
    expect((await signIn('mallory', people.mallory.password, '192.0.2.78')).statusCode).toBe(201);
  });
});

describe('refusals are audited by id, and logged at a bounded rate', () => {
  it('a failed sign-in is audited with the user id and the reason; an unknown name as anonymous; never the typed secrets', async () => {
    await signIn('admin', 'typed-secret-123', '192.0.2.200');
    await signIn('nobody-by-that-name', 'typed-secret-456', '192.0.2.200');
    const rows = await ctx.sql.query<{ actor_id: string | null; actor: string; record_id: string | null; detail: { reason: string }; source: string }>(
      `SELECT actor_id::text, actor, record_id, detail, source FROM audit_log WHERE action = 'session.login.failed' AND source = '192.0.2.200' ORDER BY seq`,
    );
    expect(rows).toEqual([
      expect.objectContaining({ actor_id: people.admin.id, record_id: people.admin.id, detail: { reason: 'wrong-password' } }),
      expect.objectContaining({ actor_id: null, actor: 'anonymous', record_id: null, detail: { reason: 'unknown-name' } }),
    ]);
    const all = JSON.stringify(await ctx.sql.query('SELECT * FROM audit_log'));
    expect(all).not.toContain('typed-secret');
    expect(all).not.toContain('nobody-by-that-name');
    expect(JSON.stringify(logLines)).not.toContain('typed-secret');
  });

  it('a 403 is audited with the caller\'s id; 401s from one address are logged and audited at most 10 a minute', async () => {
    const staffToken = (await issueToken(ctx.sql, ADMIN, people.carol.id)).token;
    const forbidden = await app.inject({ method: 'GET', url: '/api/v1/users', headers: { authorization: `Bearer ${staffToken}` }, remoteAddress: '192.0.2.50' });
    expect(forbidden.statusCode).toBe(403);
    const refused = await ctx.sql.query<{ actor_id: string; record_id: string; detail: { status: number; requestId: string } }>(
      `SELECT actor_id::text, record_id, detail FROM audit_log WHERE action = 'request.refused' AND source = '192.0.2.50'`,
    );
    expect(refused).toEqual([{ actor_id: people.carol.id, record_id: 'GET /api/v1/users', detail: { status: 403, requestId: forbidden.json().error.requestId } }]);

    const before = logLines.length;
    for (let i = 0; i < 30; i++) {
      const r = await app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: 'Bearer sdt_not-a-real-token-at-all-xxxxxx' }, remoteAddress: '192.0.2.51' });
      expect(r.statusCode).toBe(401);
    }
    const lines = logLines.slice(before).filter((l) => l.source === '192.0.2.51');
    expect(lines).toHaveLength(10);
    const audited = await ctx.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'request.refused' AND source = '192.0.2.51'`);
    expect(audited[0].n).toBe(10);
    // A minute later the next line says how many were left out.
    clock += 60_000;
    await app.inject({ method: 'GET', url: '/api/v1/me', remoteAddress: '192.0.2.51' });
    const next = logLines.filter((l) => l.source === '192.0.2.51').at(-1)!;
    expect(next).toMatchObject({ status: 401, route: 'GET /api/v1/me', suppressedBefore: 20 });
    expect(JSON.stringify(logLines)).not.toContain('not-a-real-token');
  });
});
