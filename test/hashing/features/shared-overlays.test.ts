import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { QUERY_OPTIONS, REFERENCE_OPTIONS } from '../../../hashing/features/extract.ts';
import { FeatureIndex } from '../../../hashing/features/feature-index.ts';
import { matchFeatures } from '../../../hashing/features/match.ts';
import { queryFeatures } from '../../../hashing/features/panels.ts';
import { referenceFeatures } from '../../../hashing/features/reference.ts';
import { closePairs, ownFeatures, sharedPlacement } from '../../../hashing/features/shared.ts';
import type { LocalFeatures } from '../../../hashing/features/types.ts';
import { decodeGrey } from '../../../hashing/image-decoder.ts';
import { EDITS, loadSource } from '../../support/image-edits.ts';
import { syntheticPhoto } from '../../support/images.ts';
import { PARTIAL_EDITS, seeded } from '../../support/partial-edits.ts';
import { dimPhoto, markedPhoto } from '../../support/watermarks.ts';

/**
 * Overlays local features invite false matches through: a watermark, a site's name, a logo. Registered
 * on several pictures, the bank's stop list (hashing/features/shared.ts) takes their keypoints out of
 * voting and verification; on one registered picture only, the verifier's spread rules must refuse it.
 */
const SLOW = 300_000;
const register = async (b: Buffer) => referenceFeatures(await decodeGrey(b, REFERENCE_OPTIONS.maxSide));
const query = async (b: Buffer) => queryFeatures(await decodeGrey(b, QUERY_OPTIONS.maxSide));
const crop = PARTIAL_EDITS.find((e) => e.name === 'crop-15-corner-offcentre')!;
const watermark = EDITS.find((e) => e.name === 'watermark')!;
const stopped = (m: Uint8Array | null) => (m ? m.reduce((c, v) => c + (v > 0 ? 1 : 0), 0) : 0);

describe('the stop list of overlays registered pictures share', () => {
  // Three different photos under one diagonal watermark (full contrast, and dim: the mark holds a good part
  // of the corners). Dimmer still (25%), the mark holds so much of each picture that they pass for one
  // picture registered twice (shared.ts DUPLICATE_SHARE) and are left to the matcher's explaining away.
  for (const span of [1, 0.4]) {
    describe(`contrast ${span}`, () => {
      const regs: LocalFeatures[] = [];
      const bytes: Buffer[] = [];
      const index = new FeatureIndex();
      beforeAll(async () => {
        for (const seed of [51, 52, 53]) bytes.push(await watermark.apply(await loadSource(await dimPhoto(seed, span))));
        for (const b of bytes) regs.push(await register(b));
        for (const [i, f] of regs.entries()) index.add(`marked-${i}`, f);
        // The first picture registered again (another case: re-encoded) and as a crop: the same picture, not an overlay.
        index.add('marked-0-again', await register(await sharp(bytes[0]).jpeg({ quality: 70 }).toBuffer()));
        index.add('marked-0-crop', await register(await crop.apply(await loadSource(bytes[0]), [], seeded(1))));
      }, SLOW);

      it('marks the watermark the pictures share, and not a picture registered twice', () => {
        for (let i = 0; i < 3; i++) {
          const partners = index.sharedWith(`marked-${i}`).map((p) => p.refId);
          expect(partners.filter((p) => p.startsWith('marked-') && !p.startsWith(`marked-${i}`)).length, `picture ${i}`).toBeGreaterThanOrEqual(1);
          // Its own picture is never a partner, and most of its keypoints stay its own.
          expect(stopped(index.sharedMask(`marked-${i}`)), `picture ${i}`).toBeLessThan(0.75 * regs[i].count);
        }
        for (const again of ['marked-0-again', 'marked-0-crop']) expect(index.sharedWith(again).map((p) => p.refId)).not.toContain('marked-0');
        expect(index.sharedWith('marked-0').map((p) => p.refId)).not.toContain('marked-0-again');
        expect(index.bytesPerPicture()).toBeLessThanOrEqual(24 * 1024);
      });

      it('lets no other photo under the same watermark, whole or cropped, match through it; finds each picture\'s own crop', async () => {
        const unregistered = await query(await watermark.apply(await loadSource(await dimPhoto(61, span))));
        for (let j = 0; j < 3; j++) {
          const mask = index.sharedMask(`marked-${j}`);
          expect(matchFeatures(unregistered, regs[j], undefined, mask), `unregistered photo ~ picture ${j}`).toBeNull();
          expect(index.query(unregistered).map((c) => c.refId), 'stopped keypoints do not vote').not.toContain(stopped(mask) === regs[j].count ? `marked-${j}` : '-');
          for (let i = 0; i < 3; i++) {
            const q = await query(await crop.apply(await loadSource(bytes[i]), [], seeded(i + 2)));
            if (i === j) expect(matchFeatures(q, regs[j], undefined, mask), `picture ${j}'s own crop`).not.toBeNull();
            else expect(matchFeatures(q, regs[j], undefined, mask), `crop of ${i} ~ picture ${j}`).toBeNull();
          }
        }
      }, SLOW);
    });
  }

  it('takes a removed picture\'s marks off its partners', async () => {
    const index = new FeatureIndex();
    const fs = await Promise.all([71, 72].map(async (s) => register(await watermark.apply(await loadSource(await dimPhoto(s, 0.4))))));
    index.add('a', fs[0]);
    index.add('b', fs[1]);
    expect(stopped(index.sharedMask('a'))).toBeGreaterThan(0);
    expect(index.remove('b')).toBe(true);
    expect(index.sharedMask('a')).toBeNull();
    expect(index.sharedWith('a')).toEqual([]);
    // And back, after a compaction.
    index.add('b', fs[1]);
    index.compact();
    expect(stopped(index.sharedMask('a'))).toBeGreaterThan(0);
    expect(index.sharedWith('b').map((p) => p.refId)).toEqual(['a']);
  }, SLOW);

  it('finds no overlay between different photos without one, and leaves the features whole then', async () => {
    const fs = await Promise.all([81, 82, 83].map(async (s) => register(await syntheticPhoto(s, 640, 480))));
    for (let a = 0; a < 3; a++) for (let b = a + 1; b < 3; b++) expect(sharedPlacement(fs[a], fs[b], closePairs(fs[a], fs[b]))).toBeNull();
    expect(ownFeatures(fs[0], null).features).toBe(fs[0]);
    expect(ownFeatures(fs[0], new Uint8Array(fs[0].count)).features).toBe(fs[0]);
  }, SLOW);
});

describe('app chrome registered in several screenshots', () => {
  it('marks the chrome the screenshots share, so a screenshot of another photo in the same app matches none of them', async () => {
    // Registered whole (as when the picture inside is not found): the status bar, header, buttons and
    // comment lines are the same around every photo.
    const shot = EDITS.find((e) => e.name === 'screenshot-light')!;
    const index = new FeatureIndex();
    const regs: LocalFeatures[] = [];
    for (const [i, seed] of [101, 102, 103].entries()) {
      regs.push(await register(await shot.apply(await loadSource(await syntheticPhoto(seed, 640, 480)))));
      index.add(`shot-${i}`, regs[i]);
    }
    for (let i = 0; i < 3; i++) expect(stopped(index.sharedMask(`shot-${i}`)), `screenshot ${i}: chrome marked`).toBeGreaterThan(0);
    const other = await query(await shot.apply(await loadSource(await syntheticPhoto(109, 640, 480))));
    for (let i = 0; i < 3; i++) expect(matchFeatures(other, regs[i], undefined, index.sharedMask(`shot-${i}`)), `screenshot ${i}`).toBeNull();
    // A re-upload of a registered screenshot itself is still found, by its picture.
    const again = await query(await sharp(await shot.apply(await loadSource(await syntheticPhoto(102, 640, 480)))).resize(600).jpeg({ quality: 70 }).toBuffer());
    expect(matchFeatures(again, regs[1], undefined, index.sharedMask('shot-1'))).not.toBeNull();
  }, SLOW);
});

describe('a site watermark on one registered picture only', () => {
  it('does not let another photo carrying the mark in the corner match; the picture\'s own crop does', async () => {
    for (const span of [1, 0.4]) {
      const ref = await register(await markedPhoto(91, 'corner', span));
      for (const seed of [92, 93, 94]) expect(matchFeatures(await query(await markedPhoto(seed, 'corner', span)), ref), `contrast ${span}, photo ${seed}`).toBeNull();
      expect(matchFeatures(await query(await crop.apply(await loadSource(await markedPhoto(91, 'corner', span)), [], seeded(3))), ref), `contrast ${span}, own crop`).not.toBeNull();
    }
  }, SLOW);

  // KNOWN GAP: a site name TILED over the whole of a single registered picture. Another photo under the same
  // tiling matches it with 25-80 inliers spread over every cell (the strokes are everywhere): the spread rules
  // cannot tell that from a re-upload, and with one such picture in the bank there is nothing to share it
  // with. Tried and measured on 2026-12-01, none separates: the inliers' ambiguity in the query, repeated
  // descriptors within the picture, periodic placements. Two or more pictures of that site in the bank
  // mark it (above) only where the tiling holds under a fifth of their corners. it.fails keeps it in view.
  // Tried on 2026-12-03: a tone check of the placement (16x16 cell means of the registered picture against
  // the query's through the model, Spearman). The false pairs give -0.46 to 0.35 and the picture's own
  // copies 0.98-0.99, but true matches under occluding edits give as little as 0.39 (caption), 0.43
  // (mirror) and 0.47 (collage tile) of 899, so the margin is too thin to refuse on (low-contrast.test.ts).
  it.fails('does not let another photo under the same tiled site name match', async () => {
    const ref = await register(await markedPhoto(91, 'tiled'));
    for (const seed of [92, 93, 94]) expect(matchFeatures(await query(await markedPhoto(seed, 'tiled')), ref), `photo ${seed}`).toBeNull();
  }, SLOW);
});
