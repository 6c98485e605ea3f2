/**
 * What a service function needs, passed explicitly: the database, the master key, a logger, the
 * configuration and the process's fingerprinting pool. `openService` opens the database (embedded or
 * PostgreSQL), applies migrations and checks the master key.
 */
import { existsSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, type Config } from './config.ts';
import type { Logger } from './log.ts';
import { openDatabase } from '../../db/connect.ts';
import { migrate } from '../../db/migrate.ts';
import type { Sql } from '../../db/sql.ts';
import { checkMasterKey, loadMasterKey } from './master-key.ts';
import { FingerprintPool } from '../../hashing/pool/fingerprint-pool.ts';
import { configureFfmpeg } from '../../hashing/video/ffmpeg.ts';

export interface ServiceContext {
  sql: Sql;
  masterKey: Buffer;
  log: Logger;
  config: Config;
  /**
   * The process's one fingerprinting pool: uploads being registered and crawled files are hashed in its
   * worker threads and video host, so a hostile file fails alone and never takes the process down. Its
   * workers start on first use; `OpenedService.close` closes it once the process's jobs have drained.
   */
  fingerprints: FingerprintPool;
}

export interface OpenedService {
  ctx: ServiceContext;
  /** Sentences for the start-up message: which database, where the master key came from, migrations. */
  notes: string[];
  close(): Promise<void>;
}

/** Where uploads are streamed while being fingerprinted; emptied at every start (a crash may leave one). */
export function uploadDir(config: Config): string {
  return join(config.dataDir, 'uploads');
}

/**
 * Refuses to run on a data directory that does not exist: only `serve` and `db migrate` set one up
 * (`create`). Without DATABASE_URL the data directory holds the database itself.
 */
export function requireDataDir(config: Config): void {
  if (!config.databaseUrl && !existsSync(config.dataDir)) {
    throw new ConfigError(`There is no staydown data directory at ${config.dataDir} (${config.dataDirFrom}). Run the command where the data directory is, set STAYDOWN_DATA_DIR to it (or DATABASE_URL), or set up a new one with 'staydown serve' or 'staydown db migrate'.`);
  }
}

export async function openService(config: Config, log: Logger, opts: { serve?: boolean; create?: boolean } = {}): Promise<OpenedService> {
  // Tools are located once per process, from the configuration (the video host is handed it per job).
  configureFfmpeg(config.ffmpeg);
  const create = opts.create ?? opts.serve ?? false;
  if (!create) requireDataDir(config);
  const master = loadMasterKey(config, { create });
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }, {
    serve: opts.serve,
    onIdleError: (err) => log.warn({ err: err.message }, 'an idle database connection failed; the next query reconnects'),
  });
  try {
    const applied = await migrate(db.sql);
    await checkMasterKey(db.sql, master.key);
    if (opts.serve) {
      rmSync(uploadDir(config), { recursive: true, force: true });
      mkdirSync(uploadDir(config), { recursive: true, mode: 0o700 });
    }
    const notes = [`database: ${db.description}`, master.source];
    if (applied.length > 0) notes.push(`applied migrations: ${applied.join(', ')}`);
    const fingerprints = new FingerprintPool();
    return {
      ctx: { sql: db.sql, masterKey: master.key, log, config, fingerprints },
      notes,
      async close() {
        await fingerprints.close();
        await db.close();
      },
    };
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
}
