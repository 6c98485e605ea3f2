import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { EDITS, loadSource } from '../../support/image-edits.ts';
import { syntheticPhoto } from '../../support/images.ts';
import { PARTIAL_EDITS, seeded } from '../../support/partial-edits.ts';
import { skimagePhoto } from '../../support/robust-photos.ts';
import { useTempDir } from '../../support/tmp.ts';
import { darkWallpaper } from './dark-wallpaper.ts';

/**
 * The command line as an outside evaluation runs it: `staydown hash --json` makes the bank (its lines
 * carry each reference's local features), `staydown match --bank` finds partial views of a reference
 * and nothing else.
 */
const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/staydown.js', ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
const tmp = useTempDir('partial-cli');
const PHOTOS = ['astronaut.png', 'coffee.png', 'chelsea.png'];
const KINDS = ['collage-tile', 'crop-rotate', 'mirror-crop', 'stickers-15', 'vertical-9x16-blurred'];

describe('staydown hash and match with local features', () => {
  let bank: string;
  const refs: string[] = [];
  const queries: Array<{ file: string; expected: string[] }> = [];

  beforeAll(async () => {
    const photos: Buffer[] = PHOTOS.map((f) => readFileSync(skimagePhoto(f)));
    for (let seed = 1; photos.length < 3; seed++) photos.push(await syntheticPhoto(seed, 640, 480));
    photos.push(await darkWallpaper(7));
    for (const [i, b] of photos.entries()) {
      const file = join(tmp(), `ref-${i}.png`);
      writeFileSync(file, await sharp(b).png().toBuffer());
      refs.push(file);
    }
    for (const [i, b] of photos.slice(0, 3).entries()) {
      const src = await loadSource(b);
      const fillers = [await loadSource(await syntheticPhoto(100 + i, 500, 400)), await loadSource(await syntheticPhoto(200 + i, 400, 500))];
      for (const kind of KINDS) {
        const file = join(tmp(), `q-${i}-${kind}.jpg`);
        writeFileSync(file, await PARTIAL_EDITS.find((e) => e.name === kind)!.apply(src, fillers, seeded(i + 11)));
        queries.push({ file, expected: [refs[i]] });
      }
      // Watermarked (every photo under the same mark): its own reference only, never another through the mark.
      const file = join(tmp(), `q-${i}-watermark.jpg`);
      writeFileSync(file, await EDITS.find((e) => e.name === 'watermark')!.apply(src));
      queries.push({ file, expected: [refs[i]] });
    }
    const wall = photos[3];
    for (const [name, b] of [['reencoded', await sharp(wall).resize(900).jpeg({ quality: 60 }).toBuffer()], ['gamma', await sharp(wall).gamma(2.2, 1.5).jpeg({ quality: 85 }).toBuffer()]] as const) {
      const file = join(tmp(), `q-wall-${name}.jpg`);
      writeFileSync(file, b);
      queries.push({ file, expected: [refs[3]] });
    }
    const other = join(tmp(), 'q-other-wall.jpg');
    writeFileSync(other, await sharp(await darkWallpaper(8)).jpeg({ quality: 80 }).toBuffer());
    queries.push({ file: other, expected: [] });

    const r = cli('hash', '--json', ...refs);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    bank = join(tmp(), 'bank.jsonl');
    writeFileSync(bank, r.stdout);
  }, 300_000);

  it('writes bank lines with every documented field and the reference features', () => {
    const lines = readFileSync(bank, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.file)).toEqual(refs);
    for (const l of lines) {
      expect(l).toMatchObject({ kind: 'image', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), md5: expect.any(String), pdq: { hash: expect.any(String), quality: expect.any(Number) }, blockhash: expect.any(String), views: expect.any(Array) });
      expect(Buffer.from(l.features, 'base64').subarray(0, 2).toString()).toBe('LF');
    }
    // The human-readable line stays as it was (no features are computed for it).
    const text = cli('hash', refs[0]);
    expect(text.stdout).toMatch(/\timage \d+x\d+ pdq=[0-9a-f]{64} quality=\d+ blockhash=[0-9a-f]{64} sha256=/);
  });

  it('finds each partial view, the dark picture re-encoded and darkened, and nothing else', () => {
    const r = cli('match', '--bank', bank, '--json', ...queries.map((q) => q.file));
    expect(r.status).toBe(0);
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(out.map((o) => o.file)).toEqual(queries.map((q) => q.file));
    let found = 0;
    let expected = 0;
    for (const [k, o] of out.entries()) {
      const got: string[] = o.matches.map((m: { ref: string }) => m.ref);
      // Never another reference; the right one nearly always.
      expect(got.filter((g) => !queries[k].expected.includes(g)), o.file).toEqual([]);
      expected += queries[k].expected.length;
      found += got.length;
      for (const m of o.matches) if (m.method === 'features') expect(m).toMatchObject({ inliers: expect.any(Number), confidence: expect.any(Number), region: { x: expect.any(Number), y: expect.any(Number), width: expect.any(Number), height: expect.any(Number) } });
    }
    expect(found).toBeGreaterThanOrEqual(expected - 1);
    // The dark wallpaper is found both times (plain PDQ finds it; staydown must too).
    for (const o of out.filter((x) => /q-wall-/.test(x.file))) expect(o.matches.map((m: { ref: string }) => m.ref), o.file).toEqual([refs[3]]);
  }, 300_000);

  it('refuses a bank line whose features are damaged, naming the line', () => {
    const lines = readFileSync(bank, 'utf8').trim().split('\n');
    const bad = JSON.parse(lines[1]);
    bad.features = bad.features.slice(0, 200);
    const damaged = join(tmp(), 'damaged.jsonl');
    writeFileSync(damaged, [lines[0], JSON.stringify(bad)].join('\n') + '\n');
    const r = cli('match', '--bank', damaged, '--json', refs[0]);
    expect(r.status).toBe(64);
    expect(r.stderr).toMatch(/Line 2 of .* is not a fingerprint: its 'features' are not local features this build can read \(hash the file again\)\./);
  });
});
