import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { fingerprintBuffer } from '../../../hashing/fingerprint.ts';
import { ReferenceBank, ReferenceMatcher } from '../../../hashing/match/matcher.ts';
import { MATCH_METHODS } from '../../../hashing/match/methods.ts';
import type { Fingerprint, ImageFingerprint } from '../../../hashing/types.ts';
import { EDITS, loadSource, type Source } from '../../support/image-edits.ts';
import { syntheticPhoto } from '../../support/images.ts';
import { PARTIAL_EDITS, seeded } from '../../support/partial-edits.ts';
import { skimagePhoto } from '../../support/robust-photos.ts';
import { darkWallpaper } from './dark-wallpaper.ts';

/**
 * The matcher (the one behind `staydown match` and the service) finds a registered picture that is
 * only part of what was posted, through local features, says where in the query it is, and keeps
 * refusing different photos that share app chrome or a watermark. Real photos from python3-skimage
 * when installed, seeded synthetic pictures otherwise.
 */
const PHOTOS = ['astronaut.png', 'coffee.png', 'chelsea.png'];
const SLOW = 300_000;

const reference = (b: Uint8Array) => fingerprintBuffer(b, { features: 'reference' });
const query = (b: Uint8Array) => fingerprintBuffer(b, { views: 'query', features: 'query' });

describe('the matcher with local features', () => {
  const bytes: Buffer[] = [];
  const sources: Source[] = [];
  const bank = new ReferenceBank();

  beforeAll(async () => {
    for (const f of PHOTOS) bytes.push(readFileSync(skimagePhoto(f)));
    for (let seed = 1; bytes.length < 3; seed++) bytes.push(await syntheticPhoto(seed, 640, 480));
    for (const [i, b] of bytes.entries()) {
      sources.push(await loadSource(b));
      bank.add({ ref: `photo-${i}`, fp: await reference(b) });
    }
    expect(bank.hasFeatures).toBe(true);
  }, SLOW);

  it.each(PARTIAL_EDITS.map((e) => e.name))('finds the photo in a %s re-upload, and no other photo', async (name) => {
    const edit = PARTIAL_EDITS.find((e) => e.name === name)!;
    let found = 0;
    for (let i = 0; i < sources.length; i++) {
      const fillers = [await loadSource(await syntheticPhoto(100 + i, 500, 400)), await loadSource(await syntheticPhoto(200 + i, 400, 500))];
      const matches = bank.match(await query(await edit.apply(sources[i], fillers, seeded(i + 1))));
      expect(matches.filter((m) => m.ref !== `photo-${i}`).map((m) => `${m.ref} by ${m.method}`), `${name} of photo ${i}`).toEqual([]);
      const own = matches.find((m) => m.ref === `photo-${i}`);
      if (!own) continue;
      found++;
      const region = own.region as { x: number; y: number; width: number; height: number } | undefined;
      // Local features always say where; a PDQ method does when it compared the whole query.
      const knows = own.method === MATCH_METHODS.features || own.method === MATCH_METHODS.pdqLowQuality || ['orig', 'flipx', 'flipy', 'blockhash'].includes(String(own.queryView));
      if (!knows) continue;
      expect(region, `${name}: ${own.method} says where`).toBeDefined();
      for (const v of [region!.x, region!.y, region!.width, region!.height]) expect(v).toBeGreaterThanOrEqual(0);
      expect(region!.x + region!.width).toBeLessThanOrEqual(1.0001);
      expect(region!.y + region!.height).toBeLessThanOrEqual(1.0001);
      if (own.method === MATCH_METHODS.features) {
        expect(own.inliers as number).toBeGreaterThanOrEqual(12);
        expect(own.confidence as number).toBeGreaterThanOrEqual(0.5);
      }
    }
    expect(found, `${name}: photos found of ${sources.length}`).toBeGreaterThanOrEqual(sources.length - 1);
  }, SLOW);

  it('gives the region of one collage tile in the query', async () => {
    const tile = 340;
    const parts = [];
    for (let k = 0; k < 9; k++) {
      const input = k === 5 ? bytes[0] : await syntheticPhoto(300 + k, 480, 480);
      parts.push({ input: await sharp(input).resize(tile, tile, { fit: 'cover' }).png().toBuffer(), left: (k % 3) * tile, top: Math.floor(k / 3) * tile });
    }
    const collage = await sharp({ create: { width: 3 * tile, height: 3 * tile, channels: 3, background: '#fff' } }).composite(parts).jpeg({ quality: 80 }).toBuffer();
    const [m, ...rest] = bank.match(await query(collage));
    expect(rest).toEqual([]);
    expect(m.ref).toBe('photo-0');
    expect(m.method).toBe(MATCH_METHODS.features);
    const r = m.region as { x: number; y: number; width: number; height: number };
    expect(r.x).toBeGreaterThan(0.6);
    expect(r.y).toBeGreaterThan(0.3);
    expect(r.y + r.height).toBeLessThan(0.7);
  }, SLOW);

  it('finds the picture by the PDQ policy first and gives the whole query as its region', async () => {
    const [m] = bank.match(await query(await sharp(bytes[1]).resize(400).jpeg({ quality: 60 }).toBuffer()));
    expect(m.ref).toBe('photo-1');
    expect(m.method).toBe(MATCH_METHODS.pdq);
    expect(m.region).toEqual({ x: 0, y: 0, width: 1, height: 1 });
  }, SLOW);

  it('does not match two different photos shown in the same app chrome or under the same watermark', async () => {
    for (const kind of ['screenshot-light', 'watermark']) {
      const edit = EDITS.find((e) => e.name === kind)!;
      const edited = await Promise.all(sources.map((s) => edit.apply(s)));
      const marked = new ReferenceMatcher();
      for (const [i, b] of edited.entries()) marked.add(`marked-${i}`, await reference(b));
      for (const [i, b] of edited.entries()) {
        const refs = marked.match(await query(b)).map((m) => m.ref);
        expect(refs, `${kind} ${i}`).toEqual([`marked-${i}`]);
      }
    }
  }, SLOW);
});

describe('a smooth dark registered picture (PDQ quality under 50)', () => {
  it('is matched by a re-encode and a gamma-darkened copy, and a different dark picture is not', async () => {
    const wall = await darkWallpaper(1);
    const other = await darkWallpaper(2);
    const fp = (await reference(wall)) as ImageFingerprint;
    expect(fp.pdq.quality).toBeLessThan(50);
    const m = new ReferenceMatcher();
    m.add('wall', fp);
    m.add('other', await reference(other));
    const reencoded = await sharp(wall).resize(800).jpeg({ quality: 70 }).toBuffer();
    const gamma = await sharp(wall).gamma(2.2, 1.4).jpeg({ quality: 85 }).toBuffer();
    for (const [what, b] of [['re-encoded', reencoded], ['gamma', gamma]] as const) {
      const got = m.match((await query(b)) as Fingerprint);
      expect(got.map((g) => g.ref), what).toEqual(['wall']);
      expect([MATCH_METHODS.pdqLowQuality, MATCH_METHODS.features, MATCH_METHODS.pdq], what).toContain(got[0].decision.method);
    }
    expect(m.match(await query(await sharp(other).jpeg({ quality: 70 }).toBuffer())).map((g) => g.ref)).toEqual(['other']);
  }, SLOW);
});
