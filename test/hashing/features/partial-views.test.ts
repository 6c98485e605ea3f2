import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { extractFeatures, QUERY_OPTIONS } from '../../../hashing/features/extract.ts';
import { matchFeatures } from '../../../hashing/features/match.ts';
import { decideFeatureMatch } from '../../../hashing/features/policy.ts';
import { referenceFeatures } from '../../../hashing/features/reference.ts';
import type { LocalFeatures } from '../../../hashing/features/types.ts';
import { contentRect } from '../../../hashing/borders.ts';
import { decodeGrey, decodeImage } from '../../../hashing/image-decoder.ts';
import { EDITS, loadSource, type Source } from '../../support/image-edits.ts';
import { syntheticPhoto } from '../../support/images.ts';
import { PARTIAL_EDITS, seeded } from '../../support/partial-edits.ts';
import { skimagePhoto } from '../../support/robust-photos.ts';

/**
 * Local features find a registered picture that is only part of what was posted, or warped, and do
 * not let two different photos match through what they share (app chrome, a watermark).
 * Real photos from python3-skimage when installed; seeded synthetic pictures otherwise (never skips).
 */
const PHOTOS = ['astronaut.png', 'coffee.png', 'chelsea.png'];
/** Verification without an index hint is brute force over ~1500 x 400 descriptors: seconds a test on a busy machine. */
const SLOW = 240_000;

async function query(bytes: Uint8Array): Promise<LocalFeatures> {
  return extractFeatures(await decodeGrey(bytes, QUERY_OPTIONS.maxSide), QUERY_OPTIONS);
}

async function register(bytes: Uint8Array): Promise<LocalFeatures> {
  const { image } = await decodeImage(bytes);
  const c = contentRect(image);
  return referenceFeatures(await decodeGrey(bytes, 640), c && { x: c.x / image.width, y: c.y / image.height, w: c.w / image.width, h: c.h / image.height });
}

const raw = (s: Source) => sharp(s.rgb, { raw: { width: s.width, height: s.height, channels: 3 } });

describe('local features on partial and warped views', () => {
  const bytes: Buffer[] = [];
  const sources: Source[] = [];
  const refs: LocalFeatures[] = [];

  beforeAll(async () => {
    for (const f of PHOTOS) bytes.push(readFileSync(skimagePhoto(f)));
    for (let seed = 1; bytes.length < 3; seed++) bytes.push(await syntheticPhoto(seed, 640, 480));
    for (const b of bytes) {
      sources.push(await loadSource(b));
      refs.push(await register(b));
    }
  }, SLOW);

  it.each(PARTIAL_EDITS.map((e) => e.name))('finds the registered picture in a %s re-upload, and only that one', async (name) => {
    const edit = PARTIAL_EDITS.find((e) => e.name === name)!;
    let found = 0;
    for (let i = 0; i < sources.length; i++) {
      // Fillers for collages and neighbours are generated pictures, not registered ones.
      const fillers = [await loadSource(await syntheticPhoto(100 + i, 500, 400)), await loadSource(await syntheticPhoto(200 + i, 400, 500))];
      const q = await query(await edit.apply(sources[i], fillers, seeded(i + 1)));
      if (matchFeatures(q, refs[i])) found++;
      for (let j = 0; j < refs.length; j++) if (j !== i) expect(matchFeatures(q, refs[j]), `${name} of photo ${i} matched photo ${j}`).toBeNull();
    }
    expect(found).toBeGreaterThanOrEqual(sources.length - 1);
  }, SLOW);

  it('says where the picture is: one tile of a 3x3 collage, and the left of two pictures side by side', async () => {
    const tile = 340;
    const parts = [];
    for (let k = 0; k < 9; k++) {
      const input = k === 5 ? bytes[0] : await syntheticPhoto(300 + k, 480, 480);
      parts.push({ input: await sharp(input).resize(tile, tile, { fit: 'cover' }).png().toBuffer(), left: (k % 3) * tile, top: Math.floor(k / 3) * tile });
    }
    const collage = await sharp({ create: { width: 3 * tile, height: 3 * tile, channels: 3, background: '#fff' } }).composite(parts).jpeg({ quality: 80 }).toBuffer();
    const m = decideFeatureMatch(await query(collage), refs[0]);
    expect(m).not.toBeNull();
    // Tile 5 is column 2, row 1: x in [2/3, 1], y in [1/3, 2/3] (the cover crop hides part of the picture's sides).
    expect(m!.region.x).toBeGreaterThan(0.6);
    expect(m!.region.y).toBeGreaterThan(0.3);
    expect(m!.region.y + m!.region.h).toBeLessThan(0.7);
    expect(m!.confidence).toBeGreaterThanOrEqual(0.5);

    const other = await sharp(await syntheticPhoto(400, 600, 600)).resize({ height: sources[1].height }).png().toBuffer();
    const side = await sharp({ create: { width: sources[1].width + 600, height: sources[1].height, channels: 3, background: '#fff' } })
      .composite([{ input: await raw(sources[1]).png().toBuffer(), left: 0, top: 0 }, { input: other, left: sources[1].width, top: 0 }]).jpeg().toBuffer();
    const s = matchFeatures(await query(side), refs[1]);
    expect(s).not.toBeNull();
    expect(s!.queryRegion.x).toBeLessThan(0.05);
    expect(s!.queryRegion.x + s!.queryRegion.w).toBeLessThan(sources[1].width / (sources[1].width + 600) + 0.05);
    expect(s!.mirrored).toBe(false);
  }, SLOW);

  it('reports a mirrored re-upload as mirrored', async () => {
    const m = matchFeatures(await query(await raw(sources[2]).flop().jpeg().toBuffer()), refs[2]);
    expect(m?.mirrored).toBe(true);
  });

  it('does not match two different photos shown in the same app chrome, registered as screenshots', async () => {
    const edit = EDITS.find((e) => e.name === 'screenshot-light')!;
    const shots = await Promise.all(sources.map((s) => edit.apply(s)));
    const regs = await Promise.all(shots.map((b) => register(b)));
    const qs = await Promise.all(shots.map((b) => query(b)));
    for (let a = 0; a < shots.length; a++) {
      expect(matchFeatures(qs[a], regs[a]), `screenshot ${a} against itself`).not.toBeNull();
      for (let b = 0; b < shots.length; b++) if (a !== b) expect(matchFeatures(qs[a], regs[b]), `screenshot ${a} vs ${b}`).toBeNull();
    }
  }, SLOW);

  it('does not match two different photos under the same watermark, registered watermarked', async () => {
    const edit = EDITS.find((e) => e.name === 'watermark')!;
    const marked = await Promise.all(sources.map((s) => edit.apply(s)));
    const regs = await Promise.all(marked.map((b) => register(b)));
    const qs = await Promise.all(marked.map((b) => query(b)));
    for (let a = 0; a < marked.length; a++) for (let b = 0; b < marked.length; b++) if (a !== b) expect(matchFeatures(qs[a], regs[b]), `watermarked ${a} vs ${b}`).toBeNull();
  }, SLOW);
});
