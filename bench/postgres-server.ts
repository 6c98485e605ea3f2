/**
 * A throwaway PostgreSQL server for a benchmark, started as the test suite's is (test/global-setup.ts):
 * the installed server binaries, 127.0.0.1 on a free port, as the `postgres` user when run as root, with
 * fsync off (PGlite, the embedded default the benchmarks compare with, runs with fsync off too). Or, with
 * DATABASE_URL set, a fresh database on that server, dropped at the end.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface BenchPostgres {
  url: string;
  /** Where it came from, for the report. */
  what: string;
  close(): Promise<void>;
}

function pgBin(): string {
  const roots = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of roots) if (existsSync(`/usr/lib/postgresql/${v}/bin/pg_ctl`)) return `/usr/lib/postgresql/${v}/bin`;
  throw new Error('The PostgreSQL benchmark needs the server binaries (apt-get install -y postgresql), or DATABASE_URL pointing at a server.');
}

function run(cmd: string, args: string[], asPostgres: boolean): void {
  const [file, argv] = asPostgres ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  const r = spawnSync(file, argv, { encoding: 'utf8', cwd: tmpdir() });
  if (r.status !== 0) throw new Error(`'${cmd} ${args.join(' ')}' failed (exit ${r.status}): ${r.stderr || r.stdout || r.error?.message}`);
}

const freePort = () => new Promise<number>((resolve, reject) => {
  const s = createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => {
    const port = (s.address() as { port: number }).port;
    s.close(() => resolve(port));
  });
});

export async function benchPostgres(): Promise<BenchPostgres> {
  const given = process.env.DATABASE_URL;
  if (given) {
    const name = `staydown_bench_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: given });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const u = new URL(given);
    u.pathname = `/${name}`;
    return {
      url: u.toString(),
      what: `database ${name} on the DATABASE_URL server`,
      async close() {
        const c = new pg.Client({ connectionString: given });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.end();
      },
    };
  }
  const bin = pgBin();
  const asPostgres = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'sd-bench-pg-'));
  chmodSync(dir, 0o755);
  if (asPostgres) {
    const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout);
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout);
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const port = await freePort();
  run(`${bin}/initdb`, ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], asPostgres);
  run(`${bin}/pg_ctl`, ['-D', data, '-l', join(dir, 'server.log'), '-o', `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`, '-w', '-t', '60', 'start'], asPostgres);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    what: `a throwaway PostgreSQL server (${bin.split('/')[4]}, fsync off) on 127.0.0.1:${port}`,
    async close() {
      try {
        run(`${bin}/pg_ctl`, ['-D', data, '-m', 'immediate', '-w', 'stop'], asPostgres);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
