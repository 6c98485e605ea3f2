import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { fingerprintBuffer } from '../../../hashing/fingerprint.ts';
import { ReferenceMatcher } from '../../../hashing/match/matcher.ts';
import type { QueryRegion } from '../../../hashing/match/features-policy.ts';
import type { ImageFingerprint } from '../../../hashing/types.ts';
import { EDITS, loadSource } from '../../support/image-edits.ts';
import { syntheticPhoto } from '../../support/images.ts';

/**
 * A PDQ match on a view that is only a part of the query (its borders trimmed, the picture of a phone
 * screenshot) says where in the query the registered picture is, as a local-features match does: the
 * console draws that region over the query's thumbnail.
 */
describe('the region of a PDQ match on a partial view', () => {
  let photo: Buffer;
  const matcher = new ReferenceMatcher<string>();

  beforeAll(async () => {
    photo = await syntheticPhoto(7, 640, 480);
    matcher.add('photo', await fingerprintBuffer(photo), { meta: 'photo' });
  });

  it('a picture on a wide white margin is found by its trimmed view, in the rectangle it fills', async () => {
    // 160 px left, 40 px right, 120 px top, 0 below: the picture fills x 0.1905..0.9524, y 0.2..1 of 840 x 600.
    const padded = await sharp(photo).extend({ left: 160, right: 40, top: 120, bottom: 0, background: '#ffffff' }).jpeg({ quality: 90 }).toBuffer();
    const [m] = matcher.match(await fingerprintBuffer(padded));
    expect(m?.ref).toBe('photo');
    expect(m.decision.method).toBe('pdq-trim');
    const r = m.decision.region as QueryRegion;
    expect(r.x).toBeCloseTo(160 / 840, 1);
    expect(r.y).toBeCloseTo(120 / 600, 1);
    expect(r.x + r.width).toBeCloseTo(800 / 840, 1);
    expect(r.y + r.height).toBeCloseTo(1, 1);
    expect(r.width).toBeLessThan(0.9);
  });

  it('a phone screenshot of the picture is found inside its UI, not over the whole screenshot', async () => {
    const shot = await EDITS.find((e) => e.name === 'screenshot-light')!.apply(await loadSource(photo));
    const q = (await fingerprintBuffer(shot)) as ImageFingerprint;
    const [m] = matcher.match(q);
    expect(m?.ref).toBe('photo');
    const r = m.decision.region as QueryRegion;
    expect(r, `method ${m.decision.method}`).toBeDefined();
    // The UI's bars above and below take part of the screen: the picture's region is a band inside it.
    expect(r.height).toBeLessThan(0.9);
    expect(r.y).toBeGreaterThan(0);
    expect(r.y + r.height).toBeLessThanOrEqual(1.0001);
  });

  it('a whole-picture match still covers the whole query', async () => {
    const [m] = matcher.match(await fingerprintBuffer(await sharp(photo).jpeg({ quality: 60 }).toBuffer()));
    expect(m.decision.method).toBe('pdq');
    expect(m.decision.region).toEqual({ x: 0, y: 0, width: 1, height: 1 });
  });
});
