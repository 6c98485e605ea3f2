/**
 * Opening the database a process should use.
 *
 * - `DATABASE_URL` set: a pool on that PostgreSQL server; any number of processes share it.
 * - Embedded (no URL): PGlite in `<dataDir>/pglite`. PGlite can be open in one process only, so the
 *   data directory has a lock file naming the holder. `staydown serve` holds it for its lifetime and
 *   runs the gateway socket (`<dataDir>/.s.PGSQL.5432`); a CLI verb then connects through the socket.
 *   With no server running, a CLI verb takes the lock itself for the few seconds it needs. A lock left
 *   by a killed process (its pid is gone) is removed.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { openPostgres } from './postgres.ts';
import type { Gateway } from './embedded-gateway.ts';
import type { Sql } from './sql.ts';

export const GATEWAY_PORT = 5432;

export interface DatabaseTarget {
  databaseUrl: string | undefined;
  dataDir: string;
}

export interface OpenedDatabase {
  sql: Sql;
  /** A sentence for people: which database this process uses. */
  description: string;
  close(): Promise<void>;
}

interface LockInfo {
  pid: number;
  mode: 'serve' | 'direct';
}

export function embeddedPaths(dataDir: string) {
  return {
    pglite: join(dataDir, 'pglite'),
    socketDir: dataDir,
    socket: join(dataDir, `.s.PGSQL.${GATEWAY_PORT}`),
    lock: join(dataDir, 'staydown.lock'),
  };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(path: string): LockInfo | null | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const info = JSON.parse(text) as LockInfo;
    return typeof info.pid === 'number' ? info : 'unreadable';
  } catch {
    return 'unreadable'; // being written right now
  }
}

function tryTakeLock(path: string, mode: LockInfo['mode']): boolean {
  try {
    writeFileSync(path, JSON.stringify({ pid: process.pid, mode }), { flag: 'wx', mode: 0o600 });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function openDirect(dataDir: string, mode: LockInfo['mode']): Promise<OpenedDatabase> {
  const paths = embeddedPaths(dataDir);
  // PGlite (~0.3 s to load) and its socket server are loaded only by a process that opens the embedded
  // database itself: not by one on DATABASE_URL, nor by a verb that goes through the running server.
  const { openPglite } = await import('./pglite.ts');
  const embedded = await openPglite(paths.pglite).catch((err) => {
    rmSync(paths.lock, { force: true });
    throw new Error(`The embedded database in ${paths.pglite} could not be opened: ${(err as Error).message}`, { cause: err });
  });
  let gateway: Gateway | null = null;
  if (mode === 'serve') gateway = await (await import('./embedded-gateway.ts')).startGateway(embedded, paths.socket);
  const releaseOnExit = () => rmSync(paths.lock, { force: true });
  process.once('exit', releaseOnExit);
  return {
    sql: embedded.sql,
    description: `the embedded database in ${dataDir}`,
    async close() {
      await gateway?.close();
      await embedded.close();
      rmSync(paths.socket, { force: true });
      rmSync(paths.lock, { force: true });
      process.removeListener('exit', releaseOnExit);
    },
  };
}

/**
 * Opens the database for this process. `serve: true` (only `staydown serve`) holds the embedded data
 * directory and opens the gateway; otherwise the running server is used when there is one.
 */
export async function openDatabase(target: DatabaseTarget, opts: { serve?: boolean; waitMs?: number; onIdleError?: (err: Error) => void } = {}): Promise<OpenedDatabase> {
  if (target.databaseUrl) {
    const sql = openPostgres({ connectionString: target.databaseUrl, ...(opts.onIdleError ? { onIdleError: opts.onIdleError } : {}) });
    const host = safeHost(target.databaseUrl);
    return { sql, description: `PostgreSQL at ${host}`, close: () => sql.close() };
  }
  const paths = embeddedPaths(target.dataDir);
  mkdirSync(target.dataDir, { recursive: true, mode: 0o700 });
  const mode: LockInfo['mode'] = opts.serve ? 'serve' : 'direct';
  const deadline = Date.now() + (opts.waitMs ?? 60_000);
  for (;;) {
    if (tryTakeLock(paths.lock, mode)) return openDirect(target.dataDir, mode);
    const holder = readLock(paths.lock);
    if (holder && holder !== 'unreadable' && !pidAlive(holder.pid)) {
      // Left behind by a process that was killed; its socket is stale too.
      rmSync(paths.lock, { force: true });
      rmSync(paths.socket, { force: true });
      continue;
    }
    if (holder && holder !== 'unreadable' && holder.mode === 'serve') {
      if (opts.serve) {
        throw new Error(`Another 'staydown serve' (pid ${holder.pid}) is already running on the data directory ${target.dataDir}; stop it first or choose another STAYDOWN_DATA_DIR.`);
      }
      if (existsSync(paths.socket)) {
        const sql = openPostgres({ host: paths.socketDir, port: GATEWAY_PORT, user: 'postgres', database: 'postgres', max: 1, kind: 'pglite-gateway' });
        try {
          await sql.query('SELECT 1');
          return { sql, description: `the embedded database in ${target.dataDir}, through the running server (pid ${holder.pid})`, close: () => sql.close() };
        } catch {
          await sql.close().catch(() => {});
        }
      }
    }
    if (Date.now() > deadline) {
      throw new Error(`The data directory ${target.dataDir} is held by another staydown process${holder && holder !== 'unreadable' ? ` (pid ${holder.pid})` : ''}; try again when it has finished.`);
    }
    await sleep(100);
  }
}

function safeHost(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return 'the configured server';
  }
}
