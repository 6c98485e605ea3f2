/**
 * Vitest global setup: a throwaway PostgreSQL server for the whole run, unless
 * STAYDOWN_TEST_DATABASE_URL points at one. Test files get their own schema on it (test/support/db.ts).
 *
 * As root (CI, containers) initdb and pg_ctl refuse to run, so they run as the `postgres` user through
 * runuser, on a data directory that user owns. The server listens on 127.0.0.1 on a free port, with its
 * unix socket inside the temporary directory, and is stopped and removed at the end.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

function findPgBin(): string {
  const roots = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of roots) {
    const dir = `/usr/lib/postgresql/${v}/bin`;
    if (existsSync(`${dir}/initdb`) && existsSync(`${dir}/pg_ctl`)) return dir;
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return which.stdout.trim().replace(/\/initdb$/, '');
  throw new Error(
    'The tests need PostgreSQL server binaries (initdb, pg_ctl) and found none: install them with `apt-get install -y postgresql`, ' +
      'or set STAYDOWN_TEST_DATABASE_URL to a PostgreSQL server the tests may create schemas on.',
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function run(cmd: string, args: string[], asPostgres: boolean): void {
  const [file, argv] = asPostgres ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  const r = spawnSync(file, argv, { encoding: 'utf8', cwd: tmpdir() });
  if (r.status !== 0) {
    throw new Error(`'${cmd} ${args.join(' ')}' failed (exit ${r.status}): ${r.stderr || r.stdout || r.error?.message}`);
  }
}

export default async function setup(project: TestProject): Promise<(() => void) | undefined> {
  const given = process.env.STAYDOWN_TEST_DATABASE_URL;
  if (given) {
    project.provide('databaseUrl', given);
    return undefined;
  }
  const bin = findPgBin();
  const asPostgres = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'staydown-pg-'));
  chmodSync(dir, 0o755);
  const dataDir = join(dir, 'data');
  if (asPostgres) {
    const ids = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gids = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (ids.status !== 0) throw new Error('Running as root, the tests need the `postgres` system user to run PostgreSQL: install it with `apt-get install -y postgresql`.');
    chownSync(dir, Number(ids.stdout), Number(gids.stdout));
  }
  const port = await freePort();
  run(`${bin}/initdb`, ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], asPostgres);
  const opts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  run(`${bin}/pg_ctl`, ['-D', dataDir, '-l', join(dir, 'server.log'), '-o', opts, '-w', '-t', '60', 'start'], asPostgres);
  project.provide('databaseUrl', `postgres://postgres@127.0.0.1:${port}/postgres`);
  return () => {
    try {
      run(`${bin}/pg_ctl`, ['-D', dataDir, '-m', 'immediate', '-w', 'stop'], asPostgres);
    } finally {
      if (!process.env.STAYDOWN_KEEP_TEST_DB) rmSync(dir, { recursive: true, force: true });
    }
  };
}
