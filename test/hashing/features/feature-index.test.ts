import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { extractFeatures, QUERY_OPTIONS, REFERENCE_OPTIONS } from '../../../hashing/features/extract.ts';
import { FeatureIndex } from '../../../hashing/features/feature-index.ts';
import { mirrorFeatures } from '../../../hashing/features/mirror.ts';
import { popcount32 } from '../../../hashing/bits.ts';
import { decodeGrey } from '../../../hashing/image-decoder.ts';
import { syntheticPhoto } from '../../support/images.ts';

const feats = async (b: Uint8Array, o = REFERENCE_OPTIONS) => extractFeatures(await decodeGrey(b, o.maxSide), o);

describe('FeatureIndex', () => {
  it('returns the registered picture a cropped copy comes from, with the most votes; removed pictures are gone', async () => {
    const index = new FeatureIndex();
    const photos = await Promise.all([1, 2, 3, 4, 5].map((s) => syntheticPhoto(s, 640, 480)));
    for (const [i, p] of photos.entries()) index.add(`ref-${i}`, await feats(p));
    expect(index.pictures).toBe(5);
    expect(index.bytesPerPicture()).toBeLessThanOrEqual(24 * 1024);
    const crop = await sharp(photos[2]).extract({ left: 120, top: 40, width: 480, height: 400 }).jpeg({ quality: 70 }).toBuffer();
    const q = await feats(crop, QUERY_OPTIONS);
    const hits = index.query(q);
    expect(hits[0]?.refId).toBe('ref-2');
    expect(hits[0].votes).toBeGreaterThanOrEqual(5);
    expect(index.remove('ref-2')).toBe(true);
    expect(index.remove('ref-2')).toBe(false);
    expect(index.query(q).map((h) => h.refId)).not.toContain('ref-2');
    index.compact();
    expect(index.pictures).toBe(4);
    expect(index.query(q).map((h) => h.refId)).not.toContain('ref-2');
  });

  it('finds a mirrored copy through the mirrored descriptors', async () => {
    const index = new FeatureIndex();
    const p = await syntheticPhoto(9, 640, 480);
    index.add('a', await feats(p));
    const q = await feats(await sharp(p).flop().jpeg().toBuffer(), QUERY_OPTIONS);
    expect(index.query(q)[0]?.refId).toBe('a');
  });
});

describe('mirror symmetry of the descriptor', () => {
  it('gives the features of the flopped picture from those of the picture (same keypoints, near-identical bits)', async () => {
    const p = await syntheticPhoto(11, 512, 384);
    const f = mirrorFeatures(await feats(p));
    const g = await feats(await sharp(p).flop().png().toBuffer());
    let same = 0;
    let bits = 0;
    for (let i = 0; i < f.count; i++) {
      for (let j = 0; j < g.count; j++) {
        if (f.level[i] !== g.level[j] || Math.abs(f.x[i] - g.x[j]) > 0.6 || Math.abs(f.y[i] - g.y[j]) > 0.6) continue;
        same++;
        for (let w = 0; w < 8; w++) bits += popcount32(f.descriptors[i * 8 + w] ^ g.descriptors[j * 8 + w]);
        break;
      }
    }
    expect(same).toBeGreaterThan(0.9 * f.count);
    expect(bits / same).toBeLessThan(4);
  });
});
