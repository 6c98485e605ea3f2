/**
 * Rough edges of the command line (issue 14, item 6): a closed pipe ends a verb quietly; unknown things
 * are exit status 1 everywhere; `--retention-days` without `--keep-evidence` is refused; a verb run where
 * there is no data directory refuses instead of creating one with a new master key.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../support/db.ts';
import { useTempDir } from '../../support/tmp.ts';
import { childEnv, runCli, serviceContext, type CliResult } from '../../support/service.ts';
import { insertSite } from '../../../db/queries/crawl-sites.ts';
import { describeListen } from '../../../services/runtime/serve.ts';

const db = useTestDatabase('rough_edges');
const tmp = useTempDir('rough');
const BIN = resolve('bin/staydown.js');

/** Runs staydown with its stdout's reading end closed before it writes anything (`| head -0`). */
function runWithClosedStdout(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => done({ status, stdout: '', stderr }));
  });
}

function runIn(cwd: string, args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

describe('staydown on the command line', { timeout: 240_000 }, () => {
  it('`site list | head` with the reader gone: exit 0, no EPIPE stack trace', async () => {
    const ctx = await serviceContext(db(), join(tmp(), 'data'));
    for (let i = 0; i < 50; i++) await insertSite(ctx.sql, { name: `pipe-site-${i}`, startUrls: [`https://s${i}.example/`] });
    const r = await runWithClosedStdout(['site', 'list'], childEnv(ctx));
    expect(r.stderr).not.toMatch(/EPIPE|Error|at /);
    expect(r.status).toBe(0);
  });

  it('unknown things are exit status 1 with a sentence; a wrong call 64', async () => {
    const ctx = await serviceContext(db(), join(tmp(), 'data'));
    const env = childEnv(ctx);
    const site = await runCli(['site', 'show', 'no-such-site'], env);
    expect([site.status, site.stderr]).toEqual([1, expect.stringMatching(/There is no site named 'no-such-site'/)]);
    const crawl = await runCli(['crawl', 'no-such-site'], env);
    expect(crawl.status).toBe(1);
    const kase = await runCli(['case', 'erase', 'C-ZZZZ-9'], env);
    expect([kase.status, kase.stderr]).toEqual([1, expect.stringMatching(/There is no case/)]);
    const retention = await runCli(['case', 'open', '--retention-days', '5'], env);
    expect(retention.status).toBe(64);
    expect(retention.stderr).toMatch(/--retention-days .* needs --keep-evidence/);
    const cases = await ctx.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM cases');
    expect(cases[0].n).toBe(0);
  });

  it('a verb run where there is no data directory refuses (78), says where it looked, and creates nothing', async () => {
    const empty = join(tmp(), 'elsewhere');
    mkdirSync(empty);
    const env = { PATH: process.env.PATH, HOME: process.env.HOME };
    const r = await runIn(empty, ['case', 'list'], env);
    expect(r.status).toBe(78);
    expect(r.stderr).toContain(`There is no staydown data directory at ${join(empty, 'data')}`);
    expect(r.stderr).toMatch(/STAYDOWN_DATA_DIR is unset/);
    expect(r.stdout).not.toMatch(/no cases/);
    expect(existsSync(join(empty, 'data'))).toBe(false);
    const named = await runIn(empty, ['user', 'list'], { ...env, STAYDOWN_DATA_DIR: join(empty, 'nope') });
    expect([named.status, named.stderr]).toEqual([78, expect.stringContaining('from STAYDOWN_DATA_DIR')]);
    expect(existsSync(join(empty, 'nope'))).toBe(false);
  });
});

describe('the start banner', () => {
  it('names a wildcard address as every interface, with the loopback URL and a hint', () => {
    expect(describeListen('0.0.0.0', 8080)).toEqual({
      listening: '0.0.0.0:8080', url: 'http://127.0.0.1:8080',
      banner: expect.stringContaining('listening on 0.0.0.0:8080, every network interface'),
      hint: expect.stringContaining('STAYDOWN_HOST=127.0.0.1'),
    });
    expect(describeListen('::', 80).listening).toBe('[::]:80');
    expect(describeListen('127.0.0.1', 9000)).toEqual({ listening: '127.0.0.1:9000', url: 'http://127.0.0.1:9000', banner: 'staydown listening on http://127.0.0.1:9000' });
  });
});
