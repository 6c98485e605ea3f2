/**
 * The master key: from STAYDOWN_MASTER_KEY, or else a key file in the data directory created on first
 * use with mode 0600. Its check value in the database catches a wrong key at start rather than at the
 * first decryption.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, type Config } from './config.ts';
import { masterKeyCheck, parseMasterKey } from './crypto.ts';
import type { Sql } from '../../db/sql.ts';
import { getMeta, insertMetaIfAbsent } from '../../db/queries/meta.ts';

export interface MasterKey {
  key: Buffer;
  /** A sentence for the start-up message (never the key itself). */
  source: string;
}

export function masterKeyPath(dataDir: string): string {
  return join(dataDir, 'master.key');
}

/**
 * The configured master key. Only `create` (serve, db migrate) may make a new data directory and key:
 * any other verb run where there is none would otherwise answer from an empty new database with a key
 * that opens nothing ("no cases") instead of saying it is in the wrong place.
 */
export function loadMasterKey(config: Config, opts: { create?: boolean } = {}): MasterKey {
  if (config.masterKey) {
    return { key: parseMasterKey(config.masterKey, 'STAYDOWN_MASTER_KEY'), source: 'master key from STAYDOWN_MASTER_KEY' };
  }
  const path = masterKeyPath(config.dataDir);
  if (existsSync(path)) {
    const mode = statSync(path).mode & 0o777;
    if (mode & 0o077) {
      throw new Error(`The master key file ${path} is readable by other users (mode ${mode.toString(8)}); run 'chmod 600 ${path}'.`);
    }
    return { key: parseMasterKey(readFileSync(path, 'utf8'), `The master key file ${path}`), source: `master key from ${path}` };
  }
  if (opts.create === false) {
    throw new ConfigError(`There is no master key at ${path} (${config.dataDirFrom}). Run the command where the data directory is, set STAYDOWN_DATA_DIR to it (or STAYDOWN_MASTER_KEY), or set up a new one with 'staydown serve' or 'staydown db migrate'.`);
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  try {
    writeFileSync(path, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another process created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadMasterKey(config, opts);
    throw err;
  }
  return { key, source: `created a new master key in ${path} (mode 0600): back it up, without it encrypted case data cannot be read` };
}

/** The service_meta row of an unfinished master key rotation (services/keys/rotation.ts). */
export const ROTATION_META = 'master_key_rotation';

export async function checkMasterKey(sql: Sql, key: Buffer): Promise<void> {
  if (await getMeta(sql, ROTATION_META)) {
    throw new ConfigError('A master key rotation is unfinished: run \'staydown key rotate\' again with the same keys to finish it; the service does not start until then.');
  }
  const check = masterKeyCheck(key);
  await insertMetaIfAbsent(sql, 'master_key_check', check);
  const stored = await getMeta(sql, 'master_key_check');
  if (stored !== check) {
    throw new Error('The master key does not match the one this database was set up with: set STAYDOWN_MASTER_KEY (or the data directory\'s master.key) to the original key.');
  }
}
