import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { extractFeatures, QUERY_OPTIONS, REFERENCE_OPTIONS } from '../../../hashing/features/extract.ts';
import { decideLowQualityMatch, matchStrength } from '../../../hashing/features/low-quality.ts';
import { fingerprintImage } from '../../../hashing/fingerprint.ts';
import { decideMatch } from '../../../hashing/match/policy.ts';
import { decodeGrey } from '../../../hashing/image-decoder.ts';
import type { ImageFingerprint } from '../../../hashing/types.ts';
import { syntheticPhoto } from '../../support/images.ts';

/** A smooth dark wallpaper: a few large, heavily blurred blobs on a near-black ground. */
async function wallpaper(seed: number): Promise<Buffer> {
  let s = (seed * 2654435761) >>> 0;
  const rnd = () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0) / 2 ** 32);
  const c = (lo: number, span: number) => Math.floor(lo + rnd() * span);
  const blobs = Array.from({ length: 5 }, () => `<ellipse cx="${rnd() * 1280}" cy="${rnd() * 800}" rx="${150 + rnd() * 300}" ry="${100 + rnd() * 200}" fill="rgb(${c(20, 40)},${c(20, 40)},${c(30, 50)})"/>`).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1280" height="800"><rect width="100%" height="100%" fill="#0c0e16"/>${blobs}</svg>`;
  return sharp(Buffer.from(svg)).blur(40).jpeg({ quality: 92 }).toBuffer();
}

const fp = async (b: Buffer) => (await fingerprintImage(b)) as ImageFingerprint;

describe('low-quality registered files', () => {
  it('are matchable: a re-encoded, resized copy of a smooth dark wallpaper matches it, another wallpaper does not', async () => {
    const walls = await Promise.all([1, 2, 3, 4, 5, 6].map((s) => wallpaper(s)));
    const refs = await Promise.all(walls.map(fp));
    for (const r of refs) expect(r.pdq.quality).toBeLessThan(50);
    for (const [i, w] of walls.entries()) {
      const copy = await fp(await sharp(w).resize(800).jpeg({ quality: 60 }).toBuffer());
      // The default policy leaves such hashes out of matching altogether.
      expect(decideMatch(copy, refs[i])).toBeNull();
      expect(decideLowQualityMatch(copy, refs[i])?.method).toBe('pdq-low-quality+blockhash');
      for (let j = 0; j < refs.length; j++) if (j !== i) expect(decideLowQualityMatch(copy, refs[j]), `wallpaper ${i} vs ${j}`).toBeNull();
    }
  });

  it('leaves pairs of good-quality hashes to the default policy', async () => {
    const p = await fp(await syntheticPhoto(5));
    expect(p.pdq.quality).toBeGreaterThanOrEqual(50);
    expect(decideLowQualityMatch(p, p)).toBeNull();
  });

  it('tells staff at registration when a file is weak for matching, in a sentence', async () => {
    const w = await wallpaper(2);
    const weak = matchStrength(await fp(w), extractFeatures(await decodeGrey(w, 640), REFERENCE_OPTIONS));
    expect(weak.weak).toBe(true);
    expect(weak.sentence).toMatch(/smooth or dark \(PDQ quality \d+ of 100\)/);
    const photo = await syntheticPhoto(7, 800, 600);
    const strong = matchStrength(await fp(photo), extractFeatures(await decodeGrey(photo, 640), REFERENCE_OPTIONS));
    expect(strong.weak).toBe(false);
    expect(strong.sentence).toMatch(/enough detail/);
    void QUERY_OPTIONS;
  });
});
