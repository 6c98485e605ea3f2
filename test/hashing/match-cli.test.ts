import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { syntheticPhoto } from '../support/images.ts';

const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/staydown.js', ...args], { encoding: 'utf8' });

describe('staydown match', () => {
  let dir: string;
  let bank: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'staydown-match-'));
    for (const seed of [11, 12, 13, 14]) {
      const photo = await syntheticPhoto(seed);
      writeFileSync(join(dir, `ref-${seed}.jpg`), photo);
      await sharp(photo).flop().jpeg({ quality: 40 }).toFile(join(dir, `q-${seed}-mirror.jpg`));
      await sharp(photo).resize(320).webp({ quality: 50 }).toFile(join(dir, `q-${seed}-small.webp`));
    }
    writeFileSync(join(dir, 'unrelated.jpg'), await syntheticPhoto(99));
    const refs = [11, 12, 13].map((s) => join(dir, `ref-${s}.jpg`));
    const r = cli('hash', '--json', ...refs);
    expect(r.status).toBe(0);
    bank = join(dir, 'bank.jsonl');
    writeFileSync(bank, r.stdout);
  });

  it('lists exactly the references each query matches, in input order, and says how', () => {
    const queries = [11, 12, 13, 14].flatMap((s) => [`q-${s}-mirror.jpg`, `q-${s}-small.webp`]).concat(['unrelated.jpg', 'ref-12.jpg']).map((f) => join(dir, f));
    const r = cli('match', '--bank', bank, '--json', ...queries);
    expect(r.status).toBe(0);
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(out.map((o) => o.file)).toEqual(queries);
    const refsOf = (o: { matches: Array<{ ref: string }> }) => o.matches.map((m) => m.ref.replace(dir + '/', ''));
    expect(out.map(refsOf)).toEqual([
      ['ref-11.jpg'], ['ref-11.jpg'], ['ref-12.jpg'], ['ref-12.jpg'], ['ref-13.jpg'], ['ref-13.jpg'],
      [], [], // seed 14 is not in the bank
      [],
      ['ref-12.jpg'],
    ]);
    // A mirror is found through a dihedral variant of the query.
    expect(out[0].matches[0]).toMatchObject({ method: 'pdq-dihedral', queryView: 'flipy' });
    expect(out[0].matches[0].distance).toBeLessThanOrEqual(31);
    expect(out[9].matches[0]).toMatchObject({ method: 'exact-sha256', distance: 0 });
  });

  it('refuses a bank that is not made of fingerprints, naming the line', () => {
    const bad = join(dir, 'bad-bank.jsonl');
    writeFileSync(bad, '{"file":"x","kind":"image","sha256":"00","md5":"00","pdq":{"hash":"zz","quality":1}}\n');
    const r = cli('match', '--bank', bad, join(dir, 'ref-11.jpg'));
    expect(r.status).toBe(64);
    expect(r.stderr).toMatch(/Line 1 of .* is not a fingerprint/);
  });

  it('requires --bank', () => {
    const r = cli('match', join(dir, 'ref-11.jpg'));
    expect(r.status).toBe(64);
    expect(r.stderr).toMatch(/--bank is required/);
  });
});
