/**
 * Users, for administrators: the list, creating an account, and per account disabling and enabling,
 * resetting the password, ending every session and API token, and changing the role. Each action calls
 * the accounts function the API and `staydown user` call (services/accounts/user-admin.ts), which checks
 * user.manage, refuses what must not happen (an administrator disabling themselves, the last
 * administrator) and audits it.
 *
 * A one-time password (a new account's, a reset's) is shown once, on the page that answers the form
 * (no-store); the first sign-in with it opens only the step that chooses a new one. Actions that lock a
 * person out ask first: the first POST shows what will happen, the confirming POST does it.
 */
import { addUser, changeRole, disableUser, enableUser, listUsers, resetPassword, revokeTokens } from '../../services/accounts/index.ts';
import { BadRequestError } from '../../services/platform/errors.ts';
import { ROLES, isRole } from '../../services/platform/roles.ts';
import { field, type PageDef, type PageInput } from '../page.ts';

async function usersPage(input: PageInput, extra: Record<string, unknown> = {}) {
  const list = await listUsers(input.env.ctx.sql, input.session!.actor, { limit: 500 });
  return input.render('users', {
    users: list.items, roles: ROLES, require2fa: input.env.ctx.config.require2fa, form: { name: '', role: 'staff' }, me: input.session!.actor.userId,
    done: ['disabled', 'enabled', 'revoked', 'role'].find((k) => input.query[k] === '1') ?? '', doneName: '', ...extra,
  });
}

/** The account an action is about, from the list (so the confirmation can name it). */
async function target(input: PageInput) {
  const list = await listUsers(input.env.ctx.sql, input.session!.actor, { limit: 500 });
  const u = list.items.find((x) => x.id === input.params.id);
  if (!u) throw new BadRequestError('That account is not in the list any more; go back to the users page.');
  return u;
}

type Action = 'disable' | 'password' | 'tokens' | 'role';

/** The confirmation step; null when the form came confirmed. */
async function confirmFirst(input: PageInput, action: Action, extra: Record<string, string> = {}) {
  if (field(input.body, 'confirm') === 'yes') return null;
  const u = await target(input);
  return input.render('user-confirm', { u, action, extra, role: extra.role ?? '' });
}

export const userPages: PageDef[] = [
  { method: 'GET', url: '/users', access: 'user.manage', handler: (input) => usersPage(input) },
  // An action's address loaded again (a language switch on its confirmation, a reload): back to the list.
  ...(['disable', 'enable', 'password', 'tokens', 'role'] as const).map((a): PageDef => ({
    method: 'GET', url: `/users/:id/${a}`, access: 'user.manage',
    handler: async (input) => input.reply.redirect('/users', 303),
  })),
  {
    method: 'POST', url: '/users', access: 'user.manage',
    handler: async (input) => {
      const name = field(input.body, 'name').trim();
      const role = field(input.body, 'role');
      if (!isRole(role)) throw new BadRequestError(`Choose one of the roles ${ROLES.join(', ')}.`);
      const made = await addUser(input.env.ctx.sql, input.session!.actor, { name, role });
      return usersPage(input, { created: made });
    },
  },
  {
    method: 'POST', url: '/users/:id/disable', access: 'user.manage',
    handler: async (input) => {
      const ask = await confirmFirst(input, 'disable');
      if (ask) return ask;
      await disableUser(input.env.ctx.sql, input.session!.actor, { id: input.params.id });
      return input.reply.redirect('/users?disabled=1', 303);
    },
  },
  {
    method: 'POST', url: '/users/:id/enable', access: 'user.manage',
    handler: async (input) => {
      await enableUser(input.env.ctx.sql, input.session!.actor, { id: input.params.id });
      return input.reply.redirect('/users?enabled=1', 303);
    },
  },
  {
    method: 'POST', url: '/users/:id/password', access: 'user.manage',
    handler: async (input) => {
      const ask = await confirmFirst(input, 'password');
      if (ask) return ask;
      // The same reset as `staydown user reset-password` and the API: it also clears the console's
      // "password chosen" mark (markPasswordIssued), so the next sign-in asks for a new password.
      const r = await resetPassword(input.env.ctx.sql, input.session!.actor, { id: input.params.id });
      return usersPage(input, { reset: r });
    },
  },
  {
    method: 'POST', url: '/users/:id/tokens', access: 'user.manage',
    handler: async (input) => {
      const ask = await confirmFirst(input, 'tokens');
      if (ask) return ask;
      await revokeTokens(input.env.ctx.sql, input.session!.actor, { id: input.params.id });
      return input.reply.redirect('/users?revoked=1', 303);
    },
  },
  {
    method: 'POST', url: '/users/:id/role', access: 'user.manage',
    handler: async (input) => {
      const role = field(input.body, 'role');
      if (!isRole(role)) throw new BadRequestError(`Choose one of the roles ${ROLES.join(', ')}.`);
      const ask = await confirmFirst(input, 'role', { role });
      if (ask) return ask;
      await changeRole(input.env.ctx.sql, input.session!.actor, { id: input.params.id }, role);
      return input.reply.redirect('/users?role=1', 303);
    },
  },
];
