import sharp, { type Sharp } from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { hammingHex } from '../../hashing/bits.ts';
import { fingerprintBuffer } from '../../hashing/fingerprint.ts';
import type { ImageFingerprint } from '../../hashing/types.ts';
import { syntheticPhoto } from '../support/images.ts';

describe('image formats', () => {
  let png: Buffer;
  let ref: ImageFingerprint;
  beforeAll(async () => {
    png = await sharp(await syntheticPhoto(5)).png().toBuffer();
    ref = (await fingerprintBuffer(png)) as ImageFingerprint;
  });

  const encoders: Array<[string, (s: Sharp) => Sharp]> = [
    ['jpeg', (s) => s.jpeg({ quality: 85 })],
    ['webp', (s) => s.webp({ quality: 80 })],
    ['gif', (s) => s.gif()],
    ['avif', (s) => s.avif({ quality: 60 })],
    ['tiff', (s) => s.tiff()],
  ];

  it.each(encoders)('%s decodes and hashes within a few bits of the PNG', async (format, encode) => {
    const bytes = await encode(sharp(png)).toBuffer();
    const fp = (await fingerprintBuffer(bytes)) as ImageFingerprint;
    expect(fp.kind).toBe('image');
    expect(fp.format).toBe(format === 'avif' ? 'heif' : format);
    expect([fp.width, fp.height]).toEqual([640, 480]);
    expect(fp.sha256).not.toBe(ref.sha256);
    expect(hammingHex(fp.pdq.hash, ref.pdq.hash)).toBeLessThanOrEqual(format === 'gif' ? 24 : 16);
  });

  it('hashes each differing frame of an animated GIF, with its time', async () => {
    const [a, b, c] = await Promise.all([21, 22, 23].map((seed) => syntheticPhoto(seed, 160, 120)));
    // Four frames: A, A again (not a new picture), B, C - each shown for 200 ms.
    const gif = await sharp([a, a, b, c], { join: { animated: true } }).gif({ delay: [200, 200, 200, 200], loop: 0 }).toBuffer();
    const fp = (await fingerprintBuffer(gif)) as ImageFingerprint;
    expect(fp.format).toBe('gif');
    expect(fp.frames?.map((f) => f.t)).toEqual([0, 0.4, 0.6]);
    const still = await Promise.all([a, b, c].map((x) => fingerprintBuffer(x))) as ImageFingerprint[];
    still.forEach((s, i) => expect(hammingHex(fp.frames![i].pdq, s.pdq.hash)).toBeLessThanOrEqual(40));
    expect(hammingHex(fp.frames![0].pdq, fp.frames![1].pdq)).toBeGreaterThan(60);
  });
});
