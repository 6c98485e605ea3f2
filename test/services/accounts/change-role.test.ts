/**
 * Changing a user's role (the console's users page, POST /api/v1/users/:id/role, `staydown user
 * set-role`): audited, the user's sessions end, refused for one's own account, into or out of the
 * platform role, and for the last enabled administrator. A password reset also makes the console ask
 * for a new password (markPasswordIssued), whoever reset it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { useTestDatabase } from '../../support/db.ts';
import { useTempDir } from '../../support/tmp.ts';
import { ADMIN, serviceContext } from '../../support/service.ts';
import { buildApi } from '../../../services/http/server.ts';
import { addUser, issueToken } from '../../../services/accounts/accounts.ts';
import { changeRole, resetPassword } from '../../../services/accounts/user-admin.ts';
import { chooseOwnPassword, signInState } from '../../../services/accounts/two-factor.ts';
import type { ServiceContext } from '../../../services/platform/context.ts';

const db = useTestDatabase('change_role');
const tmp = useTempDir('chrole');
let ctx: ServiceContext;
let app: FastifyInstance;
let adminToken: string;
let adminId: string;
let k = 0;

beforeAll(async () => {
  ctx = await serviceContext(db(), tmp());
  app = await buildApi(ctx);
  const admin = await addUser(ctx.sql, ADMIN, { name: 'only-admin', role: 'admin' });
  adminId = admin.user.id;
  adminToken = (await issueToken(ctx.sql, ADMIN, admin.user.id)).token;
});

const roleOf = async (id: string) => (await ctx.sql.query<{ role: string }>('SELECT role FROM users WHERE id = $1', [id]))[0].role;
const setRole = (id: string, role: string, token = adminToken) =>
  app.inject({ method: 'POST', url: `/api/v1/users/${id}/role`, headers: { authorization: `Bearer ${token}` }, payload: { role }, remoteAddress: `10.3.${k++ % 250}.1` });

describe('changing a role', () => {
  it('gives the user the new role, ends their sessions (tokens carry the new role) and audits from and to', async () => {
    const u = await addUser(ctx.sql, ADMIN, { name: 'moving-person', role: 'operator' });
    const session = (await app.inject({ method: 'POST', url: '/api/v1/session', payload: { name: u.user.name, password: u.password }, remoteAddress: '10.4.0.1' })).json().token as string;
    const token = (await issueToken(ctx.sql, ADMIN, u.user.id)).token;
    const res = await setRole(u.user.id, 'auditor');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ role: 'auditor', revoked: { sessions: 1, tokens: 0 } });
    expect(await roleOf(u.user.id)).toBe('auditor');
    expect((await app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${session}` } })).statusCode).toBe(401);
    const me = await app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
    expect(me.json().role).toBe('auditor');
    const [audit] = await ctx.sql.query<{ detail: Record<string, unknown> }>("SELECT detail FROM audit_log WHERE action = 'user.role-change' AND record_id = $1", [u.user.id]);
    expect(audit.detail).toMatchObject({ from: 'operator', to: 'auditor' });
  });

  it('refuses one\'s own role, the platform role either way, and the last enabled administrator, with sentences', async () => {
    const own = await setRole(adminId, 'staff');
    expect(own.statusCode).toBe(409);
    expect(own.json().error.message).toContain('your own role');
    const p = await addUser(ctx.sql, ADMIN, { name: 'board-account', role: 'platform', credential: 'token' });
    expect((await setRole(p.user.id, 'staff')).json().error.message).toMatch(/platform accounts answer for a platform record/);
    const s = await addUser(ctx.sql, ADMIN, { name: 'not-a-platform', role: 'staff' });
    expect((await setRole(s.user.id, 'platform')).statusCode).toBe(400);
    // The service itself, for an actor who is not that administrator: the last one stays an administrator.
    const last = await changeRole(ctx.sql, ADMIN, { id: adminId }, 'staff').catch((e: Error) => e);
    expect((last as Error).message).toContain('last enabled administrator');
    expect(await roleOf(adminId)).toBe('admin');
    expect((await setRole(s.user.id, 'auditor', (await issueToken(ctx.sql, ADMIN, s.user.id)).token)).statusCode).toBe(403);
  });

  it('a reset password makes the console ask for a new one; choosing it clears the API\'s mark too', async () => {
    const u = await addUser(ctx.sql, ADMIN, { name: 'forgetful', role: 'staff' });
    const actor = { userId: u.user.id, name: u.user.name, role: 'staff' as const, source: 'test' };
    await chooseOwnPassword(ctx, actor, { next: 'a password of my own choosing' });
    expect((await signInState(ctx.sql, u.user.id)).passwordChosen).toBe(true);
    await resetPassword(ctx.sql, ADMIN, { id: u.user.id });
    expect((await signInState(ctx.sql, u.user.id)).passwordChosen).toBe(false);
    await chooseOwnPassword(ctx, actor, { next: 'another password of mine' });
    const [row] = await ctx.sql.query<{ must_change_password: boolean }>('SELECT must_change_password FROM users WHERE id = $1', [u.user.id]);
    expect(row.must_change_password).toBe(false);
    expect((await signInState(ctx.sql, u.user.id)).passwordChosen).toBe(true);
  });
});
