import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { extractFeatures, QUERY_OPTIONS, REFERENCE_OPTIONS } from '../../../hashing/features/extract.ts';
import { matchFeatures } from '../../../hashing/features/match.ts';
import { queryFeatures } from '../../../hashing/features/panels.ts';
import { referenceFeatures, spreadShare } from '../../../hashing/features/reference.ts';
import { decodeGrey } from '../../../hashing/image-decoder.ts';
import { EDITS, loadSource, type Source } from '../../support/image-edits.ts';
import { syntheticPhoto } from '../../support/images.ts';
import { PARTIAL_EDITS, seeded } from '../../support/partial-edits.ts';

/**
 * Weak pictures: a low-contrast one (corners below the normal FAST threshold) is taken again at a lower
 * threshold on both sides; one whose texture sits on a part of it (a clock on a blank wall) is judged
 * on the part that holds its keypoints. Neither may let a shared mark or watermark match two pictures.
 */
const SLOW = 240_000;

const register = async (b: Buffer) => referenceFeatures(await decodeGrey(b, REFERENCE_OPTIONS.maxSide));
const query = async (b: Buffer) => queryFeatures(await decodeGrey(b, QUERY_OPTIONS.maxSide));

/** A generated photo squeezed into a narrow band of grey levels (a hazy, dim shot). */
async function hazy(seed: number, span = 0.1): Promise<Buffer> {
  const s = await loadSource(await syntheticPhoto(seed, 640, 480));
  const rgb = Buffer.from(s.rgb.map((v) => Math.round(100 + v * span)));
  return sharp(rgb, { raw: { width: s.width, height: s.height, channels: 3 } }).png().toBuffer();
}

/** A generated photo `w` x `h` in the middle of a flat canvas. */
async function onBlank(seed: number, w: number, h: number, W = 640, H = 480, background = '#8a8a84'): Promise<Buffer> {
  const inner = await sharp(await syntheticPhoto(seed, w, h)).png().toBuffer();
  return sharp({ create: { width: W, height: H, channels: 3, background } }).composite([{ input: inner, left: Math.round((W - w) / 2), top: Math.round((H - h) / 2) }]).png().toBuffer();
}

const crop15 = PARTIAL_EDITS.find((e) => e.name === 'crop-15-corner-offcentre')!;
const collage = PARTIAL_EDITS.find((e) => e.name === 'collage-tile')!;

describe('weak pictures', () => {
  const fillers: Source[] = [];
  beforeAll(async () => {
    for (let k = 0; k < 3; k++) fillers.push(await loadSource(await syntheticPhoto(900 + k, 500, 400)));
  }, SLOW);

  it('takes a low-contrast picture at a lower threshold and finds its partial views', async () => {
    let found = 0, foundPlain = 0;
    for (const seed of [11, 12, 13]) {
      const bytes = await hazy(seed);
      const grey = await decodeGrey(bytes, REFERENCE_OPTIONS.maxSide);
      const plain = extractFeatures(grey, REFERENCE_OPTIONS);
      const ref = await register(bytes);
      expect(plain.count, 'the hazy picture is weak at the normal threshold').toBeLessThan(0.5 * REFERENCE_OPTIONS.maxKeypoints);
      expect(ref.count).toBeGreaterThan(plain.count);
      const src = await loadSource(bytes);
      for (const edit of [crop15, collage]) {
        const q = await decodeGrey(await edit.apply(src, fillers, seeded(seed)), QUERY_OPTIONS.maxSide);
        if (matchFeatures(queryFeatures(q), ref)) found++;
        // The same views with the normal threshold on both sides, as before.
        if (matchFeatures(extractFeatures(q, QUERY_OPTIONS), plain)) foundPlain++;
      }
    }
    expect(found).toBeGreaterThan(foundPlain);
    expect(found).toBeGreaterThanOrEqual(2);
  }, SLOW);

  it('finds a picture whose texture sits on one part of it, judged on that part', async () => {
    const bytes = await onBlank(21, 240, 180);
    const ref = await register(bytes);
    // Its corners stay at the normal threshold: a lower one would only add the blank wall's noise.
    expect(spreadShare(ref)).toBeLessThan(0.2);
    const src = await loadSource(bytes);
    let found = 0;
    for (const [k, edit] of [crop15, collage, crop15].entries()) if (matchFeatures(await query(await edit.apply(src, fillers, seeded(k + 1))), ref)) found++;
    expect(found).toBeGreaterThanOrEqual(2);
  }, SLOW);

  it('finds a picture whose keypoints lie along a band (a skyline), though the line check asks for spread', async () => {
    const bytes = await onBlank(25, 640, 110);
    const ref = await register(bytes);
    const src = await loadSource(bytes);
    let found = 0;
    for (const k of [1, 2, 3]) if (matchFeatures(await query(await crop15.apply(src, fillers, seeded(k))), ref)) found++;
    // The third crop's inliers spread 0.26 (under the 0.3 a picture needs), as the band's own keypoints do.
    expect(found).toBe(3);
  }, SLOW);

  it('does not let a small mark on a blank picture match another photo carrying the mark', async () => {
    // The mark is a twentieth of the registered picture: too little to stand for it.
    const mark = await onBlank(31, 150, 100);
    const ref = await register(mark);
    const markPixels = await sharp(await syntheticPhoto(31, 150, 100)).png().toBuffer();
    for (const seed of [41, 42, 43]) {
      const photo = await sharp(await syntheticPhoto(seed, 640, 480)).composite([{ input: markPixels, left: 245, top: 190 }]).jpeg().toBuffer();
      expect(matchFeatures(await query(photo), ref), `photo ${seed} with the mark`).toBeNull();
    }
  }, SLOW);

  // KNOWN GAP of the pairwise verifier: a registered low-contrast photo whose corners are mostly the
  // watermark's matches another photo under the same watermark - 50-190 inliers spread over the
  // diagonal text and the corner line. The matcher explains most such pairs away when the query's own
  // picture is registered too (hashing/match/explained.ts, test/hashing/match/explained.test.ts); the
  // verifier alone still cannot tell the mark from the picture. it.fails keeps the case in view and
  // turns red the day a guard in the verifier fixes it.
  // Tried on 2026-12-03, and not enough: a tone check of the placement (the registered picture's 16x16
  // cell means against the query's, sampled through the verified model, by Spearman rank correlation).
  // These six false pairs give 0.50-0.65 (0.79-0.93 with the worst quarter of cells left out), while
  // 899 true matches of 20 photos under 37 edits go down to 0.39 (a caption over the picture) and 0.47
  // (a collage tile) - and to 0.18 when the query's side is a 48-cell grid, what a query blob could carry.
  it.fails('does not match two different low-contrast photos under the same watermark, registered watermarked', async () => {
    const edit = EDITS.find((e) => e.name === 'watermark')!;
    const marked = await Promise.all([51, 52, 53].map(async (seed) => edit.apply(await loadSource(await hazy(seed, 0.08)))));
    const regs = await Promise.all(marked.map((b) => register(b)));
    const qs = await Promise.all(marked.map((b) => query(b)));
    for (let a = 0; a < marked.length; a++) for (let b = 0; b < marked.length; b++) if (a !== b) expect(matchFeatures(qs[a], regs[b]), `watermarked ${a} vs ${b}`).toBeNull();
  }, SLOW);
});
