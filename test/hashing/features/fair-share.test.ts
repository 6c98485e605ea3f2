import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { QUERY_OPTIONS, extractFeatures, matchFeatures, queryFeatures, referenceFeatures, type LocalFeatures } from '../../../hashing/features/index.ts';
import { decodeGrey } from '../../../hashing/image-decoder.ts';
import { skimagePhoto } from '../../support/robust-photos.ts';

/**
 * A query's keypoints are shared out over its parts before the strongest corners take the rest
 * (ExtractOptions.fairFirst): a smooth registered picture posted inside a busy photo is not crowded
 * out of the query by the photo's texture.
 */
const SLOW = 120_000;
const insideShare = (f: LocalFeatures, x0: number, y0: number) => {
  let n = 0;
  for (let i = 0; i < f.count; i++) if (f.x[i] / f.width >= x0 && f.y[i] / f.height >= y0) n++;
  return n / f.count;
};

describe('the query keypoints\' fair share', () => {
  it('gives a smooth picture inset over a busy photo its share of the query, and finds it', async () => {
    const busy = await sharp(skimagePhoto('gravel.png')).resize(1000, 1000).toBuffer();
    const smooth = await sharp(skimagePhoto('moon.png')).toBuffer();
    const post = await sharp(busy).composite([{ input: await sharp(smooth).resize(400, 400).toBuffer(), left: 590, top: 590 }]).jpeg({ quality: 85 }).toBuffer();
    const grey = await decodeGrey(post, QUERY_OPTIONS.maxSide);
    const fair = extractFeatures(grey, QUERY_OPTIONS);
    const byStrength = extractFeatures(grey, { ...QUERY_OPTIONS, fairFirst: false });
    // The inset is 16% of the post: ~10% of the keypoints land on it (the moon's black sky has none),
    // against 1 in 1,500 when the gravel's corners go first.
    expect(insideShare(fair, 0.6, 0.6)).toBeGreaterThan(0.07);
    expect(insideShare(fair, 0.6, 0.6)).toBeGreaterThan(10 * insideShare(byStrength, 0.6, 0.6));
    expect(fair.count).toBe(byStrength.count);
    const ref = referenceFeatures(await decodeGrey(smooth, 640));
    expect(matchFeatures(byStrength, ref), 'by strength alone the inset is not found').toBeNull();
    const m = matchFeatures(queryFeatures(grey), ref);
    expect(m, 'the inset is found').not.toBeNull();
    expect(m!.queryRegion.x).toBeGreaterThan(0.55);
    expect(m!.queryRegion.y).toBeGreaterThan(0.55);
  }, SLOW);
});
