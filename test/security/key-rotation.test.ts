/**
 * `staydown key rotate` (issue 14, item 7): SIGKILLed in the middle and run again, every case and every
 * site's headers are readable with the new key and none with the old; the half-done state is refused
 * by the service; the whole rotation is in the audit log.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/db.ts';
import { useTempDir } from '../support/tmp.ts';
import { ADMIN, childEnv, runCli, serviceContext } from '../support/service.ts';
import { getCase, openCase } from '../../services/cases/cases.ts';
import { sealSiteHeaders, siteHeadersAad } from '../../services/crawling/crawl-runtime.ts';
import { insertSite } from '../../db/queries/crawl-sites.ts';
import { checkMasterKey } from '../../services/platform/master-key.ts';
import { decrypt, unwrapDataKey } from '../../services/platform/crypto.ts';
import { verifyAudit } from '../../services/platform/audit.ts';

const db = useTestDatabase('sec_keyrot');
const tmp = useTempDir('keyrot');
const CASES = 30;

describe('master key rotation', { timeout: 240_000 }, () => {
  it('survives a SIGKILL mid-rotation: the rerun finishes, every case opens with the new key and none with the old', async () => {
    const ctx = await serviceContext(db(), join(tmp(), 'data'));
    const codes: string[] = [];
    for (let i = 0; i < CASES; i++) codes.push((await openCase(ctx, ADMIN, { personal: { label: `rotation case ${i}`, notes: `notes ${i}` }, keywords: [`kw${i}`] })).code);
    await insertSite(ctx.sql, { name: 'sealed-site', startUrls: ['https://sealed.example/'], headersEncrypted: sealSiteHeaders(ctx.masterKey, 'sealed-site', { cookie: 'session=s3cret' }) });
    const newKey = randomBytes(32);
    const keyFile = join(tmp(), 'new.key');
    writeFileSync(keyFile, newKey.toString('hex'), { mode: 0o600 });
    const env = childEnv(ctx);
    const args = [resolve('bin/staydown.js'), 'key', 'rotate', '--new-key-file', keyFile, '--batch-size', '1', '--batch-delay-ms', '40'];

    // First run: killed after the fifth batch's progress line.
    const first = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let progress = '';
    const killedAt = await new Promise<number>((done, reject) => {
      first.stderr.on('data', (d) => {
        progress += d;
        const m = [...progress.matchAll(/(\d+) of 30 case keys re-wrapped/g)];
        if (m.length >= 5 && !first.killed) {
          first.kill('SIGKILL');
          done(Number(m.at(-1)![1]));
        }
      });
      first.on('exit', (code, signal) => { if (signal !== 'SIGKILL') reject(new Error(`the rotation ended (${code}) before it was killed: ${progress}`)); });
    });
    await new Promise((r) => first.once('close', r));
    const split = await ctx.sql.query<{ done: number; todo: number }>(
      `SELECT count(*) FILTER (WHERE key_check IS NOT NULL)::int AS done, count(*) FILTER (WHERE key_check IS NULL)::int AS todo FROM cases`,
    );
    expect(split[0].done).toBeGreaterThanOrEqual(killedAt);
    expect(split[0].todo).toBeGreaterThan(0);
    // Half done: the service refuses to start with either key.
    await expect(checkMasterKey(ctx.sql, ctx.masterKey)).rejects.toThrow(/rotation is unfinished/);
    await expect(checkMasterKey(ctx.sql, newKey)).rejects.toThrow(/rotation is unfinished/);
    // Every row is wholly under one key or the other, and says which.
    const rows = await ctx.sql.query<{ id: string; wrapped_key: Buffer; key_check: string | null }>('SELECT id::text, wrapped_key, key_check FROM cases');
    for (const r of rows) expect(() => unwrapDataKey(r.key_check ? newKey : ctx.masterKey, r.wrapped_key, r.id)).not.toThrow();

    // A rotation to a third key is refused while this one is unfinished.
    const other = join(tmp(), 'other.key');
    writeFileSync(other, randomBytes(32).toString('hex'), { mode: 0o600 });
    const wrongRerun = await runCli(['key', 'rotate', '--new-key-file', other], env);
    expect(wrongRerun.status).toBe(1);
    expect(wrongRerun.stderr).toMatch(/unfinished/);

    const second = await runCli(['key', 'rotate', '--new-key-file', keyFile, '--json'], env);
    expect(second.status, second.stderr).toBe(0);
    const out = JSON.parse(second.stdout);
    expect(out).toMatchObject({ resumed: true, alreadyDone: false, sites: 1 });
    expect(out.cases).toBe(split[0].todo);

    // With the new key: the service starts, every case reads back; with the old one it does not start.
    await expect(checkMasterKey(ctx.sql, ctx.masterKey)).rejects.toThrow(/does not match/);
    await checkMasterKey(ctx.sql, newKey);
    const rotated = { ...ctx, masterKey: newKey };
    for (let i = 0; i < CASES; i++) {
      const c = await getCase(rotated, ADMIN, codes[i]);
      expect(c.personal).toEqual({ label: `rotation case ${i}`, notes: `notes ${i}` });
      expect(c.keywords).toEqual([`kw${i}`]);
    }
    for (const r of await ctx.sql.query<{ id: string; wrapped_key: Buffer }>('SELECT id::text, wrapped_key FROM cases')) {
      expect(() => unwrapDataKey(ctx.masterKey, r.wrapped_key, r.id)).toThrow();
    }
    const site = (await ctx.sql.query<{ headers_encrypted: Buffer }>(`SELECT headers_encrypted FROM crawl_sites WHERE name = 'sealed-site'`))[0];
    expect(JSON.parse(decrypt(newKey, site.headers_encrypted, siteHeadersAad('sealed-site')).toString())).toEqual({ cookie: 'session=s3cret' });
    expect(() => decrypt(ctx.masterKey, site.headers_encrypted, siteHeadersAad('sealed-site'))).toThrow();

    // Audited: one start, a batch per re-wrap, one end; the chain holds; no key material in it.
    const actions = await ctx.sql.query<{ action: string; n: number; cases: number; sites: number }>(
      `SELECT action, count(*)::int AS n, sum((detail->>'cases')::int)::int AS cases, sum((detail->>'sites')::int)::int AS sites
         FROM audit_log WHERE action LIKE 'key.rotate%' GROUP BY action ORDER BY action`,
    );
    expect(actions).toEqual([
      { action: 'key.rotate.batch', n: expect.any(Number), cases: CASES, sites: 1 },
      { action: 'key.rotate.done', n: 1, cases: CASES, sites: 1 },
      { action: 'key.rotate.start', n: 1, cases: null, sites: null },
    ]);
    expect((await verifyAudit(ctx.sql)).ok).toBe(true);
    const audit = JSON.stringify(await ctx.sql.query('SELECT * FROM audit_log'));
    expect(audit).not.toContain(newKey.toString('hex'));
    expect(audit).not.toContain(ctx.masterKey.toString('hex'));

    // Run once more: nothing to do.
    const third = await runCli(['key', 'rotate', '--new-key-file', keyFile, '--json'], { ...env, STAYDOWN_MASTER_KEY: newKey.toString('hex') });
    expect(third.status, third.stderr).toBe(1);
    expect(third.stderr).toMatch(/same as the current one/);
  });
});
