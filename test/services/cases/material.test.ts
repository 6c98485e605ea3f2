/**
 * Material registration on PostgreSQL: nothing of the original bytes is kept; registration in one
 * process is matched in another within 5 s, and withdrawal stops it within 5 s.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { useTestDatabase } from '../../support/db.ts';
import { useTempDir, waitFor } from '../../support/tmp.ts';
import { ADMIN, childEnv, runCli, serviceContext } from '../../support/service.ts';
import { rescaledCopy, syntheticPhoto } from '../../support/images.ts';
import { filesUnder, findNeedles, makeVideo, needles, readAll } from '../../support/files.ts';
import { openCase } from '../../../services/cases/cases.ts';
import { purgeExpiredEvidence, registerMaterialFile } from '../../../services/cases/materials.ts';
import { createMatcher } from '../../../services/matching/change-feed.ts';
import { silentLogger } from '../../../services/platform/log.ts';
import { fingerprintBuffer, fingerprintFile } from '../../../hashing/fingerprint.ts';
import { verifyAudit } from '../../../services/platform/audit.ts';

const db = useTestDatabase('material');
const tmp = useTempDir('material');

/** Video fingerprinting lands separately; until then registering a video must fail cleanly. */
async function videoSupported(path: string): Promise<boolean> {
  try {
    await fingerprintFile(path);
    return true;
  } catch (err) {
    if (/not available in this build/.test((err as Error).message)) return false;
    throw err;
  }
}

function pgDump(schema: string): Buffer {
  const base = new URL(inject('databaseUrl'));
  const bin = ['/usr/lib/postgresql/15/bin/pg_dump', 'pg_dump'].find((b) => spawnSync(b, ['--version']).status === 0);
  if (!bin) throw new Error('pg_dump is needed for this test: install it with `apt-get install -y postgresql-client`.');
  const r = spawnSync(bin, ['-h', base.hostname, '-p', base.port, '-U', base.username || 'postgres', '-n', schema, base.pathname.slice(1) || 'postgres'], { maxBuffer: 512 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`pg_dump failed: ${r.stderr.toString()}`);
  return r.stdout;
}

describe('material registration', () => {
  it('keeps no original bytes: neither a full database dump nor the data directory holds them (evidence copies only encrypted)', async () => {
    const ctx = await serviceContext(db(), join(tmp(), 'data-bytes'));
    mkdirSync(ctx.config.dataDir, { recursive: true });
    const image = await syntheticPhoto(21);
    const imagePath = join(tmp(), 'victim.jpg');
    writeFileSync(imagePath, image);
    const videoPath = join(tmp(), 'victim.mp4');
    makeVideo(videoPath);
    const video = readFileSync(videoPath);

    const plain = await openCase(ctx, ADMIN, { personal: { label: 'no evidence' } });
    const kept = await openCase(ctx, ADMIN, { personal: { label: 'with evidence' }, keepEvidence: true, evidenceRetentionDays: 30 });
    const r1 = await registerMaterialFile(ctx, ADMIN, plain.code, imagePath, { knownUrls: ['https://board.example/t/123'] });
    expect(r1).toMatchObject({ kind: 'image', duplicate: false, evidenceKept: false });
    expect(r1.hashes).toBeGreaterThan(0);
    const r2 = await registerMaterialFile(ctx, ADMIN, kept.code, imagePath);
    expect(r2.evidenceKept).toBe(true);
    if (await videoSupported(videoPath)) {
      const v = await registerMaterialFile(ctx, ADMIN, plain.code, videoPath);
      expect(v).toMatchObject({ kind: 'video', duplicate: false });
    } else {
      await expect(registerMaterialFile(ctx, ADMIN, plain.code, videoPath)).rejects.toThrow(/video fingerprinting is not available/);
    }
    const stored = await ctx.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM evidence');
    expect(stored[0].n).toBe(1);

    const dump = pgDump(db().schema);
    expect(dump.includes(Buffer.from(plain.code))).toBe(true); // the dump is real and complete
    const haystacks = [{ name: 'database dump', data: dump }, ...readAll(filesUnder(ctx.config.dataDir))];
    expect(findNeedles(haystacks, [...needles(image), ...needles(video)])).toEqual([]);
    expect(dump.includes(Buffer.from('board.example'))).toBe(false);
  });

  it('is matched from another process within 5 s of registration, and not within 5 s of withdrawal', { timeout: 240_000 }, async () => {
    const ctx = await serviceContext(db(), join(tmp(), 'data-match'));
    const matcher = await createMatcher(ctx.sql, silentLogger());
    try {
      const c = await openCase(ctx, ADMIN);
      const original = await syntheticPhoto(33, 640, 480);
      const path = join(tmp(), 'match.jpg');
      writeFileSync(path, original);
      // What a crawler would find: the same picture at half size, re-encoded.
      const reupload = await fingerprintBuffer(await rescaledCopy(original, 320, 240));
      expect(matcher.match(reupload)).toEqual([]);

      const env = childEnv(ctx);
      const add = await runCli(['material', 'add', '--case', c.code, path, '--json'], env);
      expect(add.stderr).toBe('');
      expect(add.status).toBe(0);
      const materialId = JSON.parse(add.stdout).results[0].id as string;
      const registeredAt = Date.now();
      const matches = await waitFor(() => { const m = matcher.match(reupload); return m.length > 0 ? m : null; }, 5000, 'the other process\'s registration to match');
      expect(Date.now() - registeredAt).toBeLessThan(5000);
      expect(matches).toEqual([{ caseId: expect.any(String), caseCode: c.code, materialId, method: expect.stringMatching(/^pdq/), distance: expect.any(Number), detail: expect.objectContaining({ confidence: expect.any(Number) }) }]);
      expect(matches[0].distance).toBeLessThanOrEqual(31);

      const withdraw = await runCli(['case', 'withdraw', c.code], env);
      expect(withdraw.status).toBe(0);
      const withdrawnAt = Date.now();
      await waitFor(() => matcher.match(reupload).length === 0, 5000, 'the withdrawn case to stop matching');
      expect(Date.now() - withdrawnAt).toBeLessThan(5000);
      expect(matcher.match(await fingerprintBuffer(original))).toEqual([]);
      expect((await verifyAudit(ctx.sql)).ok).toBe(true);
    } finally {
      await matcher.close();
    }
  });

  it('refuses a file that is not an image or video with a clear error and stores nothing', async () => {
    const ctx = await serviceContext(db(), join(tmp(), 'data-bad'));
    const c = await openCase(ctx, ADMIN);
    const path = join(tmp(), 'notes.txt');
    writeFileSync(path, 'just some text, not a picture');
    await expect(registerMaterialFile(ctx, ADMIN, c.code, path)).rejects.toThrow(/\./);
    const rows = await ctx.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM material m JOIN cases c ON c.id = m.case_id WHERE c.code = $1', [c.code]);
    expect(rows[0].n).toBe(0);
  });

  it('deletes an evidence copy when its retention period has ended, and audits it', async () => {
    const ctx = await serviceContext(db(), join(tmp(), 'data-retention'));
    const c = await openCase(ctx, ADMIN, { keepEvidence: true, evidenceRetentionDays: 1 });
    const path = join(tmp(), 'retained.jpg');
    writeFileSync(path, await syntheticPhoto(66));
    const m = await registerMaterialFile(ctx, ADMIN, c.code, path);
    expect(m.evidenceKept).toBe(true);
    expect(await purgeExpiredEvidence(ctx.sql)).toBe(0);
    // A day later, as far as the database is concerned.
    await ctx.sql.query(`UPDATE evidence SET delete_after = now() - interval '1 second' WHERE material_id = $1`, [m.id]);
    expect(await purgeExpiredEvidence(ctx.sql)).toBe(1);
    expect(await ctx.sql.query('SELECT 1 FROM evidence WHERE material_id = $1', [m.id])).toEqual([]);
    expect(await ctx.sql.query('SELECT 1 FROM material WHERE id = $1', [m.id])).toHaveLength(1);
    const audit = await ctx.sql.query<{ action: string }>(`SELECT action FROM audit_log WHERE action = 'evidence.purge'`);
    expect(audit).toHaveLength(1);
  });
});
