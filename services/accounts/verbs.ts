/** `staydown user`: accounts managed from the command line (as the machine's administrator). */
import { parseCli, usageError } from '../cli/args.ts';
import { printResult, type CliIo } from '../cli/io.ts';
import { runVerb, withService } from '../cli/run-verb.ts';
import { isRole } from '../platform/roles.ts';
import { addUser, listUsers, type UserView } from './accounts.ts';
import { changeRole, disableUser, enableUser, resetPassword, revokeTokens } from './user-admin.ts';

export const USER_USAGE = `staydown user add --role admin|staff|operator|platform|auditor [--token] NAME [--json]
       staydown user list [--json]
       staydown user set-role NAME --role admin|staff|operator|auditor [--json]
       staydown user disable|enable|reset-password|revoke-tokens NAME [--json]`;

function line(u: UserView): string {
  return `${u.name.padEnd(24)} ${u.role.padEnd(9)} ${u.disabled ? 'disabled' : 'enabled '}${u.mustChangePassword ? '  must change password' : ''}  ${u.id}`;
}

export async function runUser(args: string[], io: CliIo): Promise<number> {
  return runVerb('user', io, async () => {
    const { values, positionals } = parseCli(args, { role: { type: 'string' }, token: { type: 'boolean' } }, USER_USAGE);
    const [sub, name, ...extra] = positionals;
    const json = Boolean(values.json);
    if (sub === 'add') {
      if (!name || extra.length || !values.role) throw usageError('Name the account and its role.', USER_USAGE);
      const role = String(values.role);
      if (!isRole(role)) throw usageError(`'${role}' is not a role.`, USER_USAGE);
      return withService(async (ctx, actor) => {
        const r = await addUser(ctx.sql, actor, { name, role, credential: values.token ? 'token' : undefined });
        const secret = r.password ? `one-time password: ${r.password}` : `API token: ${r.token}`;
        printResult(io, json, r, `created ${r.user.role} '${r.user.name}' (${r.user.id})\n${secret}\nIt is shown only now; staydown keeps only its hash.`);
        return 0;
      });
    }
    if (sub === 'set-role') {
      if (!name || extra.length || !values.role || values.token !== undefined) throw usageError('Name the account and its new --role.', USER_USAGE);
      const role = String(values.role);
      if (!isRole(role)) throw usageError(`'${role}' is not a role.`, USER_USAGE);
      return withService(async (ctx, actor) => {
        const r = await changeRole(ctx.sql, actor, { name }, role);
        printResult(io, json, r, `user '${r.name}' now has the ${r.role} role: ${r.revoked.sessions} session(s) ended`);
        return 0;
      });
    }
    if (values.role !== undefined || values.token !== undefined) throw usageError('--role and --token go with \'user add\' and \'user set-role\' only.', USER_USAGE);
    if (sub === 'list' && !name) {
      return withService(async (ctx, actor) => {
        const users: UserView[] = [];
        for (let after: string | null = ''; after !== null; ) {
          const page = await listUsers(ctx.sql, actor, { after, limit: 500 });
          users.push(...page.items);
          after = page.next;
        }
        printResult(io, json, { users }, users.length ? users.map(line).join('\n') : 'no users');
        return 0;
      });
    }
    if (['disable', 'enable', 'reset-password', 'revoke-tokens'].includes(sub ?? '') && name && extra.length === 0) {
      return withService(async (ctx, actor) => {
        if (sub === 'disable') {
          const r = await disableUser(ctx.sql, actor, { name });
          printResult(io, json, r, `user '${r.name}' disabled: ${r.revoked.sessions} session(s) and ${r.revoked.tokens} API token(s) revoked`);
        } else if (sub === 'enable') {
          const r = await enableUser(ctx.sql, actor, { name });
          printResult(io, json, r, `user '${r.name}' enabled: they can sign in with their password again (revoked tokens stay revoked)`);
        } else if (sub === 'reset-password') {
          const r = await resetPassword(ctx.sql, actor, { name });
          printResult(io, json, r, `one-time password for '${r.user.name}': ${r.password}\nIt is shown only now; it must be changed at the next sign-in.`);
        } else {
          const r = await revokeTokens(ctx.sql, actor, { name });
          printResult(io, json, r, `user '${r.name}': ${r.revoked.tokens} API token(s) and ${r.revoked.sessions} session(s) revoked`);
        }
        return 0;
      });
    }
    throw usageError(`Unknown subcommand '${positionals.join(' ')}'.`, USER_USAGE);
  });
}
