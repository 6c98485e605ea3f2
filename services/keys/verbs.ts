/**
 * `staydown key rotate`: re-wraps every case key and site header under a new master key (rotation.ts).
 * The old key is the configured one (STAYDOWN_MASTER_KEY, or the data directory's master.key). The new
 * key comes from `--new-key-file PATH` (64 hex digits or base64, mode 0600), or `--generate` makes one
 * in the data directory as master.key.new (kept, so a rerun after a crash uses the same one) and, when
 * the old key was the data directory's master.key, puts it in its place once the rotation is done (the
 * old file is kept as master.key.old-<time>: remove it when the new key is backed up).
 *
 * Stop `staydown serve` first: a rotation is offline, and the service refuses to start until it is done.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCli, usageError } from '../cli/args.ts';
import { printResult, type CliIo } from '../cli/io.ts';
import { cliActor, runVerb } from '../cli/run-verb.ts';
import { ConfigError, loadConfig } from '../platform/config.ts';
import { requireDataDir } from '../platform/context.ts';
import { parseMasterKey } from '../platform/crypto.ts';
import { loadMasterKey, masterKeyPath } from '../platform/master-key.ts';
import { rotateMasterKey } from './rotation.ts';

export const KEY_USAGE = 'staydown key rotate (--new-key-file PATH | --generate) [--batch-size N] [--batch-delay-ms N] [--json]';

function readKeyFile(path: string): Buffer {
  if (!existsSync(path)) throw new ConfigError(`There is no key file at ${path}.`);
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077) throw new ConfigError(`The key file ${path} is readable by other users (mode ${mode.toString(8)}); run 'chmod 600 ${path}'.`);
  return parseMasterKey(readFileSync(path, 'utf8'), `The key file ${path}`);
}

function whole(raw: string | undefined, fallback: number, flag: string, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw usageError(`${flag} must be a whole number from ${min} to ${max}.`, KEY_USAGE);
  return n;
}

export async function runKey(args: string[], io: CliIo): Promise<number> {
  return runVerb('key', io, async () => {
    const { values, positionals } = parseCli(args, {
      'new-key-file': { type: 'string' }, generate: { type: 'boolean' }, 'batch-size': { type: 'string' }, 'batch-delay-ms': { type: 'string' },
    }, KEY_USAGE);
    if (positionals[0] !== 'rotate' || positionals.length !== 1) throw usageError(`Unknown subcommand '${positionals.join(' ')}'.`, KEY_USAGE);
    if (Boolean(values['new-key-file']) === Boolean(values.generate)) throw usageError('Give the new key with --new-key-file PATH, or --generate to make one.', KEY_USAGE);
    const batchSize = whole(values['batch-size'], 100, '--batch-size', 1, 10_000);
    const batchDelayMs = whole(values['batch-delay-ms'], 0, '--batch-delay-ms', 0, 60_000);
    const config = loadConfig();
    requireDataDir(config);
    const old = loadMasterKey(config, { create: false });
    const generatedPath = join(config.dataDir, 'master.key.new');
    let newKey: Buffer;
    if (values.generate) {
      if (!existsSync(generatedPath)) writeFileSync(generatedPath, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
      newKey = readKeyFile(generatedPath);
    } else {
      newKey = readKeyFile(String(values['new-key-file']));
    }
    const { openDatabase } = await import('../../db/connect.ts');
    const { migrate } = await import('../../db/migrate.ts');
    const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    try {
      await migrate(db.sql);
      const result = await rotateMasterKey(db.sql, cliActor(), old.key, newKey, {
        batchSize, batchDelayMs,
        onProgress: (p) => io.stderr.write(`staydown key rotate: ${p.done} of ${p.total} ${p.kind === 'cases' ? 'case keys' : 'site headers'} re-wrapped\n`),
      });
      let keyFile: string | null = null;
      if (values.generate && !config.masterKey) {
        // The data directory's key file now gets the new key; the old one is kept aside, not deleted.
        const current = masterKeyPath(config.dataDir);
        renameSync(current, `${current}.old-${new Date().toISOString().replace(/[:.]/g, '-')}`);
        renameSync(generatedPath, current);
        keyFile = current;
      }
      const next = keyFile ? `the data directory's master.key now holds the new key (the old one is kept beside it as master.key.old-*)`
        : values.generate ? `set STAYDOWN_MASTER_KEY to the key in ${generatedPath} before starting the service`
        : 'set STAYDOWN_MASTER_KEY (or the data directory\'s master.key) to the new key before starting the service';
      const text = result.alreadyDone
        ? `the database already uses the new master key; nothing to do - ${next}`
        : `re-wrapped ${result.cases} case key(s) and ${result.sites} site header set(s) under the new master key${result.resumed ? ' (resuming an interrupted rotation)' : ''}; ${next}`;
      printResult(io, Boolean(values.json), { ...result, keyFile }, text);
      return 0;
    } finally {
      await db.close();
    }
  });
}
