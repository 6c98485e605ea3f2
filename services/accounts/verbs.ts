/** `staydown user`: accounts made from the command line. */
import { parseCli, usageError } from '../cli/args.ts';
import { printResult, type CliIo } from '../cli/io.ts';
import { runVerb, withService } from '../cli/run-verb.ts';
import { isRole } from '../platform/roles.ts';
import { addUser } from './accounts.ts';

export const USER_USAGE = 'staydown user add --role admin|staff|operator|platform|auditor [--token] NAME [--json]';

export async function runUser(args: string[], io: CliIo): Promise<number> {
  return runVerb('user', io, async () => {
    const { values, positionals } = parseCli(args, { role: { type: 'string' }, token: { type: 'boolean' } }, USER_USAGE);
    if (positionals[0] !== 'add' || positionals.length !== 2 || !values.role) throw usageError('Name the account and its role.', USER_USAGE);
    const role = String(values.role);
    if (!isRole(role)) throw usageError(`'${role}' is not a role.`, USER_USAGE);
    return withService(async (ctx, actor) => {
      const r = await addUser(ctx.sql, actor, { name: positionals[1], role, credential: values.token ? 'token' : undefined });
      const secret = r.password ? `one-time password: ${r.password}` : `API token: ${r.token}`;
      printResult(io, Boolean(values.json), r, `created ${r.user.role} '${r.user.name}' (${r.user.id})\n${secret}\nIt is shown only now; staydown keeps only its hash.`);
      return 0;
    });
  });
}
