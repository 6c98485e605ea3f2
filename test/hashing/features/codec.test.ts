import { describe, expect, it } from 'vitest';
import { decodeFeatures, encodeFeatures, FeatureCodecError, featuresFromBase64, featuresToBase64 } from '../../../hashing/features/codec.ts';
import { extractFeatures, REFERENCE_OPTIONS } from '../../../hashing/features/extract.ts';
import { greyFromRgba } from '../../../hashing/features/pyramid.ts';
import { decodeImage } from '../../../hashing/image-decoder.ts';
import { syntheticPhoto } from '../../support/images.ts';

async function features(seed: number) {
  const { image } = await decodeImage(await syntheticPhoto(seed, 640, 480));
  return extractFeatures(greyFromRgba(image), REFERENCE_OPTIONS);
}

describe('local features codec', () => {
  it('round-trips keypoints to a quarter pixel and descriptors exactly, in 38 bytes a keypoint', async () => {
    const f = await features(3);
    expect(f.count).toBeGreaterThan(100);
    const bytes = encodeFeatures(f);
    expect(bytes.length).toBe(10 + 38 * f.count);
    const g = featuresFromBase64(featuresToBase64(f));
    expect([g.width, g.height, g.count]).toEqual([f.width, f.height, f.count]);
    expect(g.descriptors).toEqual(f.descriptors);
    expect(g.level).toEqual(f.level);
    expect(g.angle).toEqual(f.angle);
    for (let i = 0; i < f.count; i++) {
      expect(Math.abs(g.x[i] - f.x[i])).toBeLessThanOrEqual(0.125);
      expect(Math.abs(g.y[i] - f.y[i])).toBeLessThanOrEqual(0.125);
    }
  });

  it('refuses blobs that are not features, truncated, of another version or out of range, with a sentence', async () => {
    const bytes = encodeFeatures(await features(4));
    expect(() => decodeFeatures(new Uint8Array([1, 2, 3]))).toThrow(/not staydown local features/);
    expect(() => decodeFeatures(bytes.subarray(0, bytes.length - 5))).toThrow(/truncated or corrupt/);
    const v2 = bytes.slice();
    v2[2] = 2;
    expect(() => decodeFeatures(v2)).toThrow(/version 2 cannot be read.*re-register/);
    const far = bytes.slice();
    new DataView(far.buffer).setUint16(10, 65535, true);
    expect(() => decodeFeatures(far)).toThrow(FeatureCodecError);
    expect(() => featuresFromBase64('not base64!')).toThrow(/base64/);
  });
});
