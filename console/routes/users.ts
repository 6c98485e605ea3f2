/**
 * Users, for administrators: the list and creating an account. A new account's one-time password is
 * shown once, on the page that answers the form (no-store); its first sign-in asks for a password of
 * its own and, for roles that need it, sets up two-factor sign-in.
 * Disabling, resetting a password, revoking tokens and changing a role come with the accounts work.
 */
import { addUser, listUsers } from '../../services/accounts/index.ts';
import { BadRequestError } from '../../services/platform/errors.ts';
import { ROLES, isRole } from '../../services/platform/roles.ts';
import { field, type PageDef, type PageInput } from '../page.ts';

async function usersPage(input: PageInput, extra: Record<string, unknown> = {}) {
  const list = await listUsers(input.env.ctx.sql, input.session!.actor, { limit: 500 });
  return input.render('users', { users: list.items, roles: ROLES, require2fa: input.env.ctx.config.require2fa, form: { name: '', role: 'staff' }, ...extra });
}

export const userPages: PageDef[] = [
  { method: 'GET', url: '/users', access: 'user.manage', handler: (input) => usersPage(input) },
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
];
