/** `staydown serve` and `staydown db migrate`. */
import { parseCli, usageError } from '../cli/args.ts';
import { printResult, type CliIo } from '../cli/io.ts';
import { runVerb } from '../cli/run-verb.ts';
import { loadConfig, parsePort, parseRoles, type ConfigOverrides } from '../platform/config.ts';

export const SERVE_USAGE = 'staydown serve [--port N] [--roles api,worker,scheduler] [--json]';
export const DB_USAGE = 'staydown db migrate [--json]';

export async function runServe(args: string[], io: CliIo): Promise<number> {
  return runVerb('serve', io, async () => {
    const { values } = parseCli(args, { port: { type: 'string' }, roles: { type: 'string' } }, SERVE_USAGE);
    const overrides: ConfigOverrides = {};
    if (values.port !== undefined) overrides.port = parsePort(String(values.port), '--port');
    if (values.roles !== undefined) overrides.roles = parseRoles(String(values.roles), '--roles');
    const { serve } = await import('./serve.ts');
    return serve(loadConfig(overrides), io, { json: Boolean(values.json) });
  });
}

export async function runDb(args: string[], io: CliIo): Promise<number> {
  return runVerb('db', io, async () => {
    const { values, positionals } = parseCli(args, {}, DB_USAGE);
    if (positionals[0] !== 'migrate' || positionals.length !== 1) throw usageError(`Unknown subcommand '${positionals.join(' ')}'.`, DB_USAGE);
    const config = loadConfig();
    const { openDatabase } = await import('../../db/connect.ts');
    const { migrate, appliedMigrations } = await import('../../db/migrate.ts');
    const { checkMasterKey, loadMasterKey } = await import('../platform/master-key.ts');
    // `db migrate` sets up a data directory (with its master key) like `serve` does.
    const master = loadMasterKey(config, { create: true });
    const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    try {
      const applied = await migrate(db.sql);
      await checkMasterKey(db.sql, master.key);
      const all = await appliedMigrations(db.sql);
      printResult(io, Boolean(values.json), { applied, total: all.length }, applied.length ? `applied ${applied.join(', ')} (${all.length} in total) on ${db.description}` : `${db.description} is up to date (${all.length} migrations)`);
      return 0;
    } finally {
      await db.close();
    }
  });
}
