import { z } from 'zod';
import { ROLES } from '../platform/access.ts';
import { addUser, issueToken, listUsers, login, logout } from './accounts.ts';
import { requireApiSecondFactor } from './two-factor.ts';
import { changeOwnPassword, changeRole, disableUser, enableUser, resetPassword, revokeTokens } from './user-admin.ts';
import { listAudit, verifyAudit } from '../platform/audit.ts';
import type { RouteDef } from '../http/route.ts';

const pageQuery = z.object({
  after: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

export const accountRoutes: RouteDef[] = [
  {
    method: 'GET', url: '/livez', summary: 'The process is alive', tag: 'health', access: 'public',
    handler: async () => ({ ok: true }),
  },
  {
    method: 'GET', url: '/readyz', summary: 'The service can take requests (database reachable, index loaded)', tag: 'health', access: 'public',
    handler: async ({ env, reply }) => {
      const ok = await env.ready().catch(() => false);
      if (!ok) reply.status(503);
      return { ok };
    },
  },
  {
    method: 'POST', url: '/api/v1/session', summary: 'Sign in with a user name and password (and `code` once two-factor sign-in is set up); returns a session token', tag: 'accounts', access: 'public',
    body: z.object({ name: z.string().min(1).max(64), password: z.string().min(1).max(200), code: z.string().max(40).optional() }),
    status: 201, errors: [429],
    handler: async ({ env, body, req }) => {
      const b = body as { name: string; password: string; code?: string };
      const session = await login(env.ctx.sql, env.limiter, { name: b.name, password: b.password, source: req.ip });
      // Accounts with two-factor set up (in the console) send the app's code (or a recovery code) too.
      await requireApiSecondFactor(env.ctx, env.limiter, session, b.code, req.ip);
      return session;
    },
  },
  {
    method: 'DELETE', url: '/api/v1/session', summary: 'Sign out (revokes the credential used)', tag: 'accounts', access: 'signed-in',
    handler: async ({ env, actor, credentialId }) => {
      await logout(env.ctx.sql, actor!, credentialId!);
      return { ok: true };
    },
  },
  {
    method: 'GET', url: '/api/v1/me', summary: 'Who the caller is', tag: 'accounts', access: 'signed-in',
    handler: async ({ actor }) => ({ id: actor!.userId, name: actor!.name, role: actor!.role }),
  },
  {
    method: 'GET', url: '/api/v1/users', summary: 'List users', tag: 'accounts', access: 'user.manage', query: pageQuery,
    handler: async ({ env, actor, query }) => listUsers(env.ctx.sql, actor!, query as z.infer<typeof pageQuery>),
  },
  {
    method: 'POST', url: '/api/v1/users', summary: 'Create a user; returns its one-time password or API token', tag: 'accounts', access: 'user.manage',
    body: z.object({ name: z.string().min(2).max(64), role: z.enum(ROLES), credential: z.enum(['password', 'token']).optional() }),
    status: 201, errors: [409],
    handler: async ({ env, actor, body }) => addUser(env.ctx.sql, actor!, body as Parameters<typeof addUser>[2]),
  },
  {
    method: 'POST', url: '/api/v1/users/:id/tokens', summary: 'Issue a new API token for a user', tag: 'accounts', access: 'user.manage',
    params: z.object({ id: z.uuid() }),
    status: 201,
    handler: async ({ env, actor, params }) => issueToken(env.ctx.sql, actor!, params.id),
  },
  {
    method: 'POST', url: '/api/v1/me/password', summary: 'Change your own password (the current one is asked again); your other sessions end', tag: 'accounts', access: 'signed-in',
    body: z.object({ currentPassword: z.string().min(1).max(200), newPassword: z.string().min(1).max(200) }).strict(),
    errors: [429],
    handler: async ({ env, actor, credentialId, body }) => changeOwnPassword(env.ctx.sql, env.limiter, actor!, credentialId, body as { currentPassword: string; newPassword: string }),
  },
  {
    method: 'POST', url: '/api/v1/users/:id/disable', summary: 'Disable a user: their sessions and API tokens stop working at once', tag: 'accounts', access: 'user.manage',
    params: z.object({ id: z.uuid() }), errors: [409],
    handler: async ({ env, actor, params }) => disableUser(env.ctx.sql, actor!, { id: params.id }),
  },
  {
    method: 'POST', url: '/api/v1/users/:id/enable', summary: 'Enable a disabled user (revoked tokens stay revoked)', tag: 'accounts', access: 'user.manage',
    params: z.object({ id: z.uuid() }),
    handler: async ({ env, actor, params }) => enableUser(env.ctx.sql, actor!, { id: params.id }),
  },
  {
    method: 'POST', url: '/api/v1/users/:id/password', summary: 'Reset a user\'s password: returns a one-time password that must be changed at the next sign-in', tag: 'accounts', access: 'user.manage',
    params: z.object({ id: z.uuid() }),
    handler: async ({ env, actor, params }) => resetPassword(env.ctx.sql, actor!, { id: params.id }),
  },
  {
    method: 'POST', url: '/api/v1/users/:id/role', summary: 'Give a user another role; their sessions end (not into or out of the platform role)', tag: 'accounts', access: 'user.manage',
    params: z.object({ id: z.uuid() }), body: z.object({ role: z.enum(ROLES) }).strict(), errors: [409],
    handler: async ({ env, actor, params, body }) => changeRole(env.ctx.sql, actor!, { id: params.id }, (body as { role: (typeof ROLES)[number] }).role),
  },
  {
    method: 'DELETE', url: '/api/v1/users/:id/tokens', summary: 'Revoke every API token and session of a user', tag: 'accounts', access: 'user.manage',
    params: z.object({ id: z.uuid() }),
    handler: async ({ env, actor, params }) => revokeTokens(env.ctx.sql, actor!, { id: params.id }),
  },
  {
    method: 'GET', url: '/api/v1/audit', summary: 'Read the audit log in order', tag: 'audit', access: 'audit.read',
    query: z.object({ after: z.coerce.number().int().min(0).optional(), limit: z.coerce.number().int().min(1).max(1000).optional() }),
    handler: async ({ env, query }) => {
      const q = query as { after?: number; limit?: number };
      const limit = q.limit ?? 100;
      const items = await listAudit(env.ctx.sql, q.after ?? 0, limit);
      return { items, next: items.length === limit ? String(items[items.length - 1].seq) : null };
    },
  },
  {
    method: 'GET', url: '/api/v1/audit/verify', summary: 'Check the audit log\'s hash chain', tag: 'audit', access: 'audit.read',
    handler: async ({ env }) => verifyAudit(env.ctx.sql),
  },
];
