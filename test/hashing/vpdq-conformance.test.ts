import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hammingHex } from '../../hashing/bits.ts';
import { fingerprintVideoFile } from '../../hashing/video/video-fingerprint.ts';
import { vector } from '../support/vectors.ts';

/**
 * vPDQ conformance: staydown's frame hashes against the reference C++ hasher's output for the sample
 * videos. The `-128x128` files are the reference's pre-scaled mode, which staydown's pipeline is; the
 * reference hashes every frame, so each sampled frame is compared with the line of its frame number.
 * The reference's own regression rule: distance < 31 for frames of quality >= 50.
 */
const VIDEOS = vector('vpdq', 'videos');
const EXPECTED = vector('vpdq', 'expected');
const names = readdirSync(VIDEOS).filter((f) => f.endsWith('.mp4')).map((f) => f.slice(0, -4));

describe(`vPDQ conformance`, () => {
  it.each(names)('%s: every sampled frame within 30 bits of the reference', async (name) => {
    const pre = `${EXPECTED}/${name}-128x128.txt`;
    const small = existsSync(pre);
    const file = small ? pre : `${EXPECTED}/${name}.txt`;
    const expected = readFileSync(file, 'utf8').trim().split('\n').map((l) => {
      const [frame, quality, hash, ts] = l.split(',');
      return { frame: Number(frame), quality: Number(quality), hash, t: Number(ts) };
    });
    // Frame rate from the reference's own timestamps (frameNumber / fps, printed to 3 decimals).
    const last = expected[expected.length - 1];
    const fps = Math.round((last.frame / last.t) * 100) / 100;
    const fp = await fingerprintVideoFile(`${VIDEOS}/${name}.mp4`, { views: false, frameSize: small ? 'small' : 'native' });
    expect(fp.frames.length).toBeGreaterThanOrEqual(Math.floor(expected.length / fps));
    let compared = 0;
    const distances: number[] = [];
    for (const f of fp.frames) {
      const ref = expected[Math.round(f.t * fps)];
      expect(ref, `a reference line for t=${f.t}`).toBeDefined();
      expect(Math.abs(ref.t - f.t)).toBeLessThan(0.6 / fps);
      if (ref.quality < 50) continue;
      const d = hammingHex(f.pdq, ref.hash);
      distances.push(d);
      expect(d, `frame ${ref.frame} (t=${f.t})`).toBeLessThan(31);
      expect(Math.abs(f.quality - ref.quality)).toBeLessThanOrEqual(10);
      compared++;
    }
    expect(compared).toBeGreaterThan(0);
    // Beyond the rule: the pipelines agree closely, not just under the bar.
    distances.sort((a, b) => a - b);
    expect(distances[Math.floor(distances.length / 2)]).toBeLessThanOrEqual(12);
  });
});
