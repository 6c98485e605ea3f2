import { describe, expect, it } from 'vitest';
import { REFERENCE_OPTIONS } from '../../../hashing/features/extract.ts';
import { seededRandom } from '../../../hashing/features/geometry.ts';
import { verifyFeatures } from '../../../hashing/features/match.ts';
import { DESCRIPTOR_WORDS, type LocalFeatures } from '../../../hashing/features/types.ts';

/**
 * The query side of the "large part in view without an inlier" rule (match.ts judge), on features built
 * by hand so that only the rule decides: a registered picture whose keypoints leave a flat block (a
 * clock on a blurred wall), and a query that is the same keypoints plus keypoints of its own over that
 * block (a watermark the re-upload added, detail of a finer query).
 */
const W = 640, H = 480;
type Kp = { x: number; y: number; d: Uint32Array };

function features(kps: Kp[]): LocalFeatures {
  const n = kps.length;
  const f: LocalFeatures = { width: W, height: H, count: n, x: new Float32Array(n), y: new Float32Array(n), level: new Uint8Array(n), angle: new Uint8Array(n), descriptors: new Uint32Array(n * DESCRIPTOR_WORDS) };
  kps.forEach((k, i) => { f.x[i] = k.x; f.y[i] = k.y; f.level[i] = i % 3; f.angle[i] = (i * 37) % 256; f.descriptors.set(k.d, i * DESCRIPTOR_WORDS); });
  return f;
}

function scatter(rng: () => number, n: number, x0: number, x1: number, y0: number, y1: number, skip?: (x: number, y: number) => boolean): Kp[] {
  const out: Kp[] = [];
  while (out.length < n) {
    const x = x0 + rng() * (x1 - x0), y = y0 + rng() * (y1 - y0);
    if (skip?.(x, y)) continue;
    out.push({ x, y, d: Uint32Array.from({ length: DESCRIPTOR_WORDS }, () => Math.floor(rng() * 2 ** 32)) });
  }
  return out;
}

/** Registered keypoints over the picture but for its lower-right block; the query adds its own there. */
function pair(registered: number) {
  const rng = seededRandom(7);
  const block = (x: number, y: number) => x > 0.3 * W && y > 0.3 * H;
  const own = scatter(rng, registered, 20, W - 20, 20, H - 20, block);
  // The query shows the same keypoints (a little noise in position), 8 of 10 of them found again.
  const seen = own.filter((_, i) => i % 10 < 8).map((k) => ({ ...k, x: k.x + (rng() - 0.5), y: k.y + (rng() - 0.5) }));
  const added = scatter(rng, 160, 0.3 * W + 5, W - 20, 0.3 * H + 5, H - 20);
  return { ref: features(own), query: features([...seen, ...added]) };
}

describe('the query side of the unmatched-block rule', () => {
  it('does not count query keypoints where a registration that kept every corner it found has none', () => {
    const { ref, query } = pair(150);
    expect(ref.count).toBeLessThan(REFERENCE_OPTIONS.maxKeypoints);
    const v = verifyFeatures(query, ref);
    expect(v.reason ?? 'accepted').toBe('accepted');
    expect(v.unmatchedShare!).toBeLessThanOrEqual(0.3);
  });

  it('counts them all when the registration is at its keypoint budget (an empty cell says nothing then)', () => {
    const { ref, query } = pair(REFERENCE_OPTIONS.maxKeypoints);
    const v = verifyFeatures(query, ref);
    expect(v.accepted).toBe(false);
    expect(v.reason).toBe('a large part of the picture in view has no inlier');
    expect(v.unmatchedShare!).toBeGreaterThan(0.3);
  });
});
