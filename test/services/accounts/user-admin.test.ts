/** Accounts an administrator can manage (issue 14, item 4), through the API and `staydown user`. */
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { useTestDatabase } from '../../support/db.ts';
import { useTempDir } from '../../support/tmp.ts';
import { ADMIN, childEnv, serviceContext } from '../../support/service.ts';
import { buildApi } from '../../../services/http/server.ts';
import { addUser, issueToken } from '../../../services/accounts/accounts.ts';
import { main } from '../../../services/cli/main.ts';
import type { ServiceContext } from '../../../services/platform/context.ts';

const db = useTestDatabase('user_admin');
const tmp = useTempDir('useradm');
let ctx: ServiceContext;
let app: FastifyInstance;
let adminToken: string;
let k = 0;

beforeAll(async () => {
  ctx = await serviceContext(db(), tmp());
  app = await buildApi(ctx);
  const admin = await addUser(ctx.sql, ADMIN, { name: 'root-admin', role: 'admin' });
  adminToken = (await issueToken(ctx.sql, ADMIN, admin.user.id)).token;
});

const as = (token: string) => ({ authorization: `Bearer ${token}` });
async function api(method: 'GET' | 'POST' | 'DELETE', url: string, token: string, payload?: object) {
  return app.inject({ method, url, headers: as(token), ...(payload ? { payload } : {}), remoteAddress: `10.1.${k++ % 250}.1` });
}
async function person(role: 'staff' | 'operator' | 'admin' = 'staff') {
  const r = await addUser(ctx.sql, ADMIN, { name: `person-${k++}`, role });
  const session = (await app.inject({ method: 'POST', url: '/api/v1/session', payload: { name: r.user.name, password: r.password }, remoteAddress: `10.2.${k++ % 250}.1` })).json().token as string;
  const token = (await issueToken(ctx.sql, ADMIN, r.user.id)).token;
  return { id: r.user.id, name: r.user.name, password: r.password!, session, token };
}

async function cli(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = { stdout: new Writable({ write(c, _e, cb) { stdout += c; cb(); } }), stderr: new Writable({ write(c, _e, cb) { stderr += c; cb(); } }) };
  const saved = { ...process.env };
  Object.assign(process.env, childEnv(ctx));
  try {
    return { status: await main(args, io), stdout, stderr };
  } finally {
    process.env = saved;
  }
}

describe('disable, enable, revoke', () => {
  it('disabling stops the user\'s sessions and tokens at once; enabling lets them sign in again, tokens stay revoked', async () => {
    const p = await person();
    expect((await api('GET', '/api/v1/me', p.token)).statusCode).toBe(200);
    const off = await api('POST', `/api/v1/users/${p.id}/disable`, adminToken);
    expect(off.statusCode, off.body).toBe(200);
    expect(off.json()).toMatchObject({ disabled: true, revoked: { tokens: 1, sessions: 1 } });
    expect((await api('GET', '/api/v1/me', p.token)).statusCode).toBe(401);
    expect((await api('GET', '/api/v1/me', p.session)).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/api/v1/session', payload: { name: p.name, password: p.password } })).statusCode).toBe(401);
    expect((await api('POST', `/api/v1/users/${p.id}/enable`, adminToken)).json()).toMatchObject({ disabled: false });
    expect((await api('GET', '/api/v1/me', p.token)).statusCode).toBe(401);
    const again = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { name: p.name, password: p.password }, remoteAddress: '10.3.0.1' });
    expect(again.statusCode).toBe(201);
    const actions = await ctx.sql.query<{ action: string }>(`SELECT action FROM audit_log WHERE record_id = $1 AND action LIKE 'user.%' ORDER BY seq`, [p.id]);
    expect(actions.map((a) => a.action)).toEqual(['user.add', 'user.disable', 'user.enable']);
  });

  it('revoking tokens ends every token and session of the user', async () => {
    const p = await person();
    const r = await api('DELETE', `/api/v1/users/${p.id}/tokens`, adminToken);
    expect(r.json()).toMatchObject({ revoked: { tokens: 1, sessions: 1 } });
    expect((await api('GET', '/api/v1/me', p.token)).statusCode).toBe(401);
    expect((await api('GET', '/api/v1/me', p.session)).statusCode).toBe(401);
  });

  it('an administrator cannot disable themselves or the last enabled administrator', async () => {
    const me = await person('admin');
    const self = await api('POST', `/api/v1/users/${me.id}/disable`, me.token);
    expect(self.statusCode).toBe(409);
    expect(self.json().error.message).toMatch(/your own account/);
  });
});

describe('passwords', () => {
  it('a reset password is one-time: the next sign-in may only change it, then everything works', async () => {
    const p = await person();
    const reset = await api('POST', `/api/v1/users/${p.id}/password`, adminToken);
    expect(reset.statusCode).toBe(200);
    const oneTime = reset.json().password as string;
    expect(oneTime).toMatch(/^[A-Za-z0-9]{20}$/);
    expect((await api('GET', '/api/v1/me', p.session)).statusCode).toBe(401);
    const s = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { name: p.name, password: oneTime }, remoteAddress: '10.4.0.1' });
    expect(s.json()).toMatchObject({ mustChangePassword: true });
    const session = s.json().token as string;
    const blocked = await api('GET', '/api/v1/cases', session);
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json().error.message).toMatch(/change it first/);
    expect((await api('POST', '/api/v1/me/password', session, { currentPassword: oneTime, newPassword: 'short' })).statusCode).toBe(400);
    const changed = await api('POST', '/api/v1/me/password', session, { currentPassword: oneTime, newPassword: 'a much longer passphrase' });
    expect(changed.statusCode, changed.body).toBe(200);
    expect((await api('GET', '/api/v1/cases', session)).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/api/v1/session', payload: { name: p.name, password: oneTime }, remoteAddress: '10.4.0.2' })).statusCode).toBe(401);
  });

  it('changing one\'s own password asks for the current one and ends the other sessions', async () => {
    const p = await person();
    const wrong = await api('POST', '/api/v1/me/password', p.session, { currentPassword: 'not it', newPassword: 'another long passphrase' });
    expect(wrong.statusCode).toBe(403);
    const other = (await app.inject({ method: 'POST', url: '/api/v1/session', payload: { name: p.name, password: p.password }, remoteAddress: '10.5.0.1' })).json().token as string;
    const ok = await api('POST', '/api/v1/me/password', p.session, { currentPassword: p.password, newPassword: 'another long passphrase' });
    expect(ok.json()).toMatchObject({ ok: true, sessionsRevoked: 1 });
    expect((await api('GET', '/api/v1/me', other)).statusCode).toBe(401);
    expect((await api('GET', '/api/v1/me', p.session)).statusCode).toBe(200);
  });
});

describe('reserved names', () => {
  it.each(['crawler', 'System', 'scheduler', 'bootstrap', 'cli:root', 'CLI:x'])('refuses %s', async (name) => {
    const r = await api('POST', '/api/v1/users', adminToken, { name, role: 'staff' });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.message).toMatch(/reserved/);
  });
});

describe('the case-insensitive names migration', () => {
  it('renames and disables the younger of two accounts whose names differ only in case', async () => {
    const file = readFileSync(new URL('../../../db/migrations/010-accounts-hardening.sql', import.meta.url), 'utf8');
    const rename = file.slice(file.indexOf('WITH ranked'), file.indexOf(';', file.indexOf('WITH ranked')) + 1);
    const admin = db().admin;
    await admin.query('DROP INDEX users_name_lower');
    try {
      await admin.query(`INSERT INTO users (name, role, created_at) VALUES ('Twin', 'staff', now() - interval '1 day'), ('twin', 'staff', now())`);
      await admin.query(rename);
      const rows = await admin.query<{ name: string; disabled: boolean; id: string }>(`SELECT name, disabled, id::text FROM users WHERE lower(name) LIKE 'twin%' ORDER BY created_at`);
      expect(rows[0]).toMatchObject({ name: 'Twin', disabled: false });
      expect(rows[1]).toMatchObject({ name: `twin-${rows[1].id.slice(0, 8)}`, disabled: true });
    } finally {
      await admin.query('CREATE UNIQUE INDEX users_name_lower ON users (lower(name))');
    }
  });
});

describe('staydown user', () => {
  it('list, disable, enable, reset-password and revoke-tokens by NAME, with --json; an unknown name is exit 1', async () => {
    const p = await person();
    const list = await cli(['user', 'list', '--json']);
    expect(list.status, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout).users).toEqual(expect.arrayContaining([expect.objectContaining({ name: p.name, role: 'staff', disabled: false })]));
    const text = await cli(['user', 'list']);
    expect(text.stdout).toMatch(new RegExp(`${p.name}\\s+staff\\s+enabled`));
    const off = await cli(['user', 'disable', p.name.toUpperCase(), '--json']);
    expect(off.status, off.stderr).toBe(0);
    expect(JSON.parse(off.stdout)).toMatchObject({ name: p.name, disabled: true, revoked: { tokens: 1, sessions: 1 } });
    expect((await api('GET', '/api/v1/me', p.token)).statusCode).toBe(401);
    expect(JSON.parse((await cli(['user', 'enable', p.name, '--json'])).stdout)).toMatchObject({ disabled: false });
    const reset = await cli(['user', 'reset-password', p.name, '--json']);
    expect(JSON.parse(reset.stdout)).toMatchObject({ user: { name: p.name, mustChangePassword: true }, password: expect.any(String) });
    const t2 = (await issueToken(ctx.sql, ADMIN, p.id)).token;
    expect(JSON.parse((await cli(['user', 'revoke-tokens', p.name, '--json'])).stdout)).toMatchObject({ revoked: { tokens: 1 } });
    expect((await api('GET', '/api/v1/me', t2)).statusCode).toBe(401);
    const missing = await cli(['user', 'disable', 'no-such-person']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/There is no user named 'no-such-person'/);
    expect((await cli(['user', 'frobnicate', 'x'])).status).toBe(64);
    const audit = await ctx.sql.query<{ actor: string; action: string }>(`SELECT actor, action FROM audit_log WHERE record_id = $1 AND actor LIKE 'cli:%' ORDER BY seq`, [p.id]);
    expect(audit.map((a) => a.action)).toEqual(['user.disable', 'user.enable', 'user.reset-password', 'user.revoke-tokens']);
  });
});
