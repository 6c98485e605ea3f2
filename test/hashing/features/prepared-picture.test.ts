import { describe, expect, it } from 'vitest';
import { extractFeatures, preparePicture, QUERY_OPTIONS, REFERENCE_OPTIONS } from '../../../hashing/features/extract.ts';
import { concatFeatures, pickFeatures } from '../../../hashing/features/panels.ts';
import { lowContrast, lowerThreshold, referenceFeatures } from '../../../hashing/features/reference.ts';
import { queryFeatures } from '../../../hashing/features/panels.ts';
import sharp from 'sharp';
import { loadSource } from '../../support/image-edits.ts';
import type { LocalFeatures } from '../../../hashing/features/types.ts';
import { decodeGrey } from '../../../hashing/image-decoder.ts';
import { syntheticPhoto } from '../../support/images.ts';

/**
 * A picture prepared once (working size, equalised pyramid, box sums) for several corner searches: the
 * low-contrast second pass of a registration or a query reuses the first's. It must change nothing.
 */
const bytesOf = (f: LocalFeatures) => [f.x, f.y, f.level, f.angle, f.descriptors].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64')).join('|');

describe('a picture prepared once for several corner searches', () => {
  it('gives byte-identical features to extracting from the grey picture each time', async () => {
    const grey = await decodeGrey(await syntheticPhoto(11, 900, 600), QUERY_OPTIONS.maxSide);
    const prep = preparePicture(grey, QUERY_OPTIONS);
    for (const t of [16, 8]) {
      const opts = { ...QUERY_OPTIONS, fastThreshold: t };
      expect(bytesOf(extractFeatures(prep, opts))).toBe(bytesOf(extractFeatures(grey, opts)));
    }
    const f = extractFeatures(grey, QUERY_OPTIONS);
    expect(bytesOf(lowerThreshold(prep, f, QUERY_OPTIONS))).toBe(bytesOf(lowerThreshold(grey, f, QUERY_OPTIONS)));
    expect(() => extractFeatures(prep, REFERENCE_OPTIONS)).toThrow(/prepared for other options/);
  });

  it('takes a low-contrast picture again at the lower threshold on the first pass\'s pyramid, as before', async () => {
    // A generated photo squeezed into a tenth of the grey levels (as low-contrast.test.ts's hazy pictures).
    const src = await loadSource(await syntheticPhoto(12, 640, 480));
    const hazy = await sharp(Buffer.from(src.rgb.map((v) => Math.round(100 + v * 0.1))), { raw: { width: src.width, height: src.height, channels: 3 } }).png().toBuffer();
    const grey = await decodeGrey(hazy, REFERENCE_OPTIONS.maxSide);
    const plain = extractFeatures(grey, REFERENCE_OPTIONS);
    expect(lowContrast(plain, REFERENCE_OPTIONS)).toBe(true);
    const low = lowerThreshold(grey, plain, REFERENCE_OPTIONS);
    expect(low.count).toBeGreaterThan(plain.count);
    expect(bytesOf(referenceFeatures(grey))).toBe(bytesOf(low));
    // A query adds the lower threshold's corners to the normal ones: all of the first, then new ones.
    const q = queryFeatures(await decodeGrey(hazy, QUERY_OPTIONS.maxSide));
    const qPlain = extractFeatures(await decodeGrey(hazy, QUERY_OPTIONS.maxSide), QUERY_OPTIONS);
    expect(q.count).toBeGreaterThan(qPlain.count);
    expect(bytesOf(pickFeatures(q, Array.from({ length: qPlain.count }, (_, i) => i)))).toBe(bytesOf(qPlain));
  });

  it('picks keypoints by index, in that order, and concatenates them back', async () => {
    const f = extractFeatures(await decodeGrey(await syntheticPhoto(13), REFERENCE_OPTIONS.maxSide), REFERENCE_OPTIONS);
    expect(f.count).toBeGreaterThan(10);
    const picked = pickFeatures(f, [5, 2]);
    expect(picked.count).toBe(2);
    expect([picked.x[0], picked.y[0], picked.angle[1], picked.level[1]]).toEqual([f.x[5], f.y[5], f.angle[2], f.level[2]]);
    expect(Array.from(picked.descriptors.subarray(8, 16))).toEqual(Array.from(f.descriptors.subarray(16, 24)));
    const all = pickFeatures(f, Array.from({ length: f.count }, (_, i) => i));
    expect(bytesOf(concatFeatures(pickFeatures(f, []), [{ p: { x: 0, y: 0, w: f.width, h: f.height }, f: all }]))).toBe(bytesOf(f));
  });
});
