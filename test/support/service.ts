/**
 * A service context on this file's test schema, and a way to run `staydown` verbs as child processes
 * against the same database (another process, as in production).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../services/platform/config.ts';
import { createLogger, silentLogger } from '../../services/platform/log.ts';
import { checkMasterKey } from '../../services/platform/master-key.ts';
import { withTimeout } from '../../services/platform/timeout.ts';
import type { ServiceContext } from '../../services/platform/context.ts';
import { FingerprintPool } from '../../hashing/pool/fingerprint-pool.ts';
import type { Actor } from '../../services/platform/audit.ts';
import type { TestDatabase } from './db.ts';

export const ADMIN: Actor = { userId: null, name: 'test-admin', role: 'admin', source: 'test' };

const keys = new Map<string, Buffer>();

let pool: FingerprintPool | null = null;
/** One fingerprinting pool per test file, as a process has one; idle, it does not keep the file's process alive. */
function testPool(): FingerprintPool {
  return (pool ??= new FingerprintPool());
}

/** One master key per test schema, as a deployment has one. */
export async function serviceContext(db: TestDatabase, dataDir: string): Promise<ServiceContext> {
  let masterKey = keys.get(db.schema);
  if (!masterKey) keys.set(db.schema, (masterKey = randomBytes(32)));
  const config = loadConfig({ dataDir }, { DATABASE_URL: db.url, STAYDOWN_MASTER_KEY: masterKey.toString('hex') });
  await checkMasterKey(db.sql, masterKey);
  return { sql: db.sql, masterKey, log: process.env.STAYDOWN_TEST_LOG ? createLogger(process.env.STAYDOWN_TEST_LOG) : silentLogger(), config, fingerprints: testPool() };
}

/** The environment for a child `staydown` on the same database, key and data directory. */
export function childEnv(ctx: ServiceContext, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...(ctx.config.databaseUrl ? { DATABASE_URL: ctx.config.databaseUrl } : {}),
    STAYDOWN_MASTER_KEY: ctx.masterKey.toString('hex'),
    STAYDOWN_DATA_DIR: ctx.config.dataDir,
    ...extra,
  };
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/staydown.js', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

export interface ServeInfo {
  url: string | null;
  pid: number;
  admin?: { name: string; password: string };
}

export interface RunningServe {
  child: import('node:child_process').ChildProcess;
  info: ServeInfo;
  stderr: () => string;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<number | string | null>;
  /**
   * Asks the serve to stop (SIGTERM, as an operator's `systemctl stop` does) and waits until it has; after
   * `graceMs` it says so on stderr, with the serve's last output, and kills it (as systemd would), so a
   * hung shutdown is reported instead of hanging the test's teardown.
   */
  stop: (graceMs?: number) => Promise<number | string | null>;
}

/** Starts `staydown serve --json` as a child and waits (up to `timeoutMs`) for its start-up line. */
export function startServe(env: NodeJS.ProcessEnv, args: string[] = [], timeoutMs = 180_000): Promise<RunningServe> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/staydown.js', 'serve', '--port', '0', '--json', ...args], { env: { STAYDOWN_HOST: '127.0.0.1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const exited = new Promise<number | string | null>((r) => child.on('exit', (code, signal) => r(code ?? signal)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`staydown serve did not start within ${timeoutMs} ms: ${err}`));
    }, timeoutMs);
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      try {
        const stop = async (graceMs = 60_000) => {
          if (child.exitCode !== null || child.signalCode !== null) return exited;
          child.kill('SIGTERM');
          await withTimeout(exited, graceMs, `staydown serve (pid ${child.pid}) had not stopped ${graceMs} ms after SIGTERM; killing it.`).catch((e: Error) => {
            process.stderr.write(`${e.message} Its last output:\n${err.slice(-3000)}\n`);
            child.kill('SIGKILL');
          });
          return exited;
        };
        resolve({ child, info: JSON.parse(out.slice(0, nl)) as ServeInfo, stderr: () => err, exited, stop });
      } catch (e) {
        reject(new Error(`staydown serve printed an unexpected first line: ${out.slice(0, nl)}`, { cause: e }));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`staydown serve exited (${code}) before starting: ${err}`));
    });
  });
}
