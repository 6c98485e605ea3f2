import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeGrey } from '../../hashing/image-decoder.ts';
import { fingerprintBuffer } from '../../hashing/fingerprint.ts';
import { QUERY_OPTIONS, REFERENCE_OPTIONS } from '../../hashing/features/index.ts';
import { FEATURE_SIGNAL } from '../../hashing/signals/registry.ts';
import { NO_FEATURE_MATCH } from '../../hashing/signals/features.ts';
import { readFileSync } from 'node:fs';
import { syntheticPhoto } from '../support/images.ts';
import { skimagePhoto } from '../support/robust-photos.ts';

/**
 * The local-features signal plug-in. No reference implementation publishes vectors for staydown's own
 * features, so it is held to its properties: well-formed values only, a picture matches a crop of
 * itself and not another picture, and a fingerprint stores what the signal computes.
 */
describe('the local-features signal', () => {
  it('refuses malformed stored values and accepts its own', async () => {
    for (const bad of [undefined, null, '', 'zz', 42, {}, 'TEYB', Buffer.from('LF\x01\x00').toString('base64')]) expect(FEATURE_SIGNAL.validate(bad), JSON.stringify(bad)).toBe(false);
    const photo = await syntheticPhoto(41);
    const v = FEATURE_SIGNAL.hash({ grey: await decodeGrey(photo, REFERENCE_OPTIONS.maxSide), role: 'reference' });
    expect(FEATURE_SIGNAL.validate(v)).toBe(true);
    expect(FEATURE_SIGNAL.compare(v, v)).toBe(0);
  });

  // A real photo: the generated ones are too smooth for a crop to keep enough keypoints reliably.
  it('measures a crop of the picture as close and another picture as no match', { timeout: 120_000 }, async () => {
    const photo = await sharp(readFileSync(skimagePhoto('coffee.png'))).resize(800, 600, { fit: 'fill' }).png().toBuffer();
    const ref = FEATURE_SIGNAL.hash({ grey: await decodeGrey(photo, REFERENCE_OPTIONS.maxSide), role: 'reference' });
    const crop = await sharp(photo).extract({ left: 120, top: 60, width: 560, height: 480 }).jpeg({ quality: 80 }).toBuffer();
    const q = FEATURE_SIGNAL.hash({ grey: await decodeGrey(crop, QUERY_OPTIONS.maxSide), role: 'query' });
    expect(FEATURE_SIGNAL.compare(q, ref)).toBeLessThan(NO_FEATURE_MATCH);
    const other = FEATURE_SIGNAL.hash({ grey: await decodeGrey(readFileSync(skimagePhoto('chelsea.png')), QUERY_OPTIONS.maxSide), role: 'query' });
    expect(FEATURE_SIGNAL.compare(other, ref)).toBe(NO_FEATURE_MATCH);
  });

  it('is what a fingerprint asked for features stores under its name, and only when asked', async () => {
    const photo = await syntheticPhoto(44);
    const fp = (await fingerprintBuffer(photo, { features: 'reference' })) as unknown as Record<string, unknown>;
    expect(fp[FEATURE_SIGNAL.name]).toBe(FEATURE_SIGNAL.hash({ grey: await decodeGrey(photo, REFERENCE_OPTIONS.maxSide), role: 'reference', content: null }));
    expect((await fingerprintBuffer(photo)) as unknown as Record<string, unknown>).not.toHaveProperty(FEATURE_SIGNAL.name);
  });
});
