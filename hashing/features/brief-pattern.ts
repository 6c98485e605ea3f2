/**
 * The 256 point pairs of the binary descriptor, and their copies turned to 30 orientations (steered
 * BRIEF, as ORB does). Pairs are drawn once from an isotropic Gaussian (Calonder et al.'s best BRIEF
 * sampling, G II) with a fixed seed, so every build computes the same descriptors.
 *
 * Mirror symmetry by construction: pair i + 128 is pair i reflected across the patch's x axis. A
 * left-right mirrored picture then has, at the mirrored keypoint (angle pi - a), the descriptor of the
 * original with its two 128-bit halves swapped - so a mirrored re-upload is matched without extracting
 * features twice (`mirrorFeatures`).
 */

export const ANGLE_BINS = 30;
/** Pattern coordinates stay within this radius on each axis; turned, within PATTERN_EXTENT. */
const COORD_LIMIT = 12;
export const PATTERN_EXTENT = Math.ceil(COORD_LIMIT * Math.SQRT2);
const SIGMA = 5.2;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function basePairs(): Int8Array {
  const r = rng(0x5d0f);
  const gauss = () => {
    for (;;) {
      const v = Math.round(Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r()) * SIGMA);
      if (Math.abs(v) <= COORD_LIMIT) return v;
    }
  };
  const half: number[][] = [];
  const seen = new Set<string>();
  while (half.length < 128) {
    const p = [gauss(), gauss(), gauss(), gauss()];
    // A pair and its mirror must differ, and both points of a pair must differ.
    if ((p[0] === p[2] && p[1] === p[3]) || (p[1] === 0 && p[3] === 0)) continue;
    const key = p.join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    half.push(p);
  }
  const out = new Int8Array(256 * 4);
  half.forEach((p, i) => {
    out.set(p, i * 4);
    out.set([p[0], -p[1], p[2], -p[3]], (i + 128) * 4);
  });
  return out;
}

/** For each angle bin b (angle 2*pi*b/30), 256 pairs as [dx1, dy1, dx2, dy2] rounded to pixels. */
export const STEERED_PATTERNS: Int8Array[] = (() => {
  const base = basePairs();
  const out: Int8Array[] = [];
  for (let b = 0; b < ANGLE_BINS; b++) {
    const a = (2 * Math.PI * b) / ANGLE_BINS;
    const c = Math.cos(a);
    const s = Math.sin(a);
    const t = new Int8Array(256 * 4);
    for (let i = 0; i < 256 * 2; i++) {
      const x = base[2 * i];
      const y = base[2 * i + 1];
      // Symmetric rounding (round half away from zero) keeps the mirror identity exact.
      t[2 * i] = symRound(c * x - s * y);
      t[2 * i + 1] = symRound(s * x + c * y);
    }
    out.push(t);
  }
  return out;
})();

function symRound(v: number): number {
  return Math.sign(v) * Math.round(Math.abs(v));
}
