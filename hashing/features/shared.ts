/**
 * The bank's stop list of local features: keypoints two different registered pictures share at one
 * consistent placement - a watermark or a site's logo burnt into both, app chrome around two
 * screenshots, a caption template. Such keypoints say "this site" or "this app", not "this picture":
 * a third photo under the same watermark carries them too. FeatureIndex finds them when a picture is
 * added (`sharedPlacement` on the descriptors the new picture and a registered one have within
 * SHARE_RADIUS bits), and from then on they neither vote nor pair in the verification (`ownFeatures`):
 * a registered picture is found by what is its own.
 *
 * What is NOT a shared overlay: the same picture registered twice (two cases, a version re-encoded,
 * cropped or placed in a collage). There the keypoints in common are all over one of the two, where an
 * overlay covers a band, a corner or a frame and leaves the pictures' own texture without any
 * (DUPLICATE_SHARE, UNSHARED_BLOCK).
 */
import { popcount32 } from '../bits.ts';
import { type Affine, seededRandom, similarityFrom2 } from './geometry.ts';
import { pickFeatures } from './panels.ts';
import { DESCRIPTOR_WORDS, LEVEL_SCALE, type LocalFeatures } from './types.ts';

/**
 * Descriptors this close are candidates for one overlay keypoint, and MIN_SHARED distinct places of
 * each picture must agree on one upright placement. Chosen on 2026-12-01 so that distinct real photos
 * share nothing: of 51 registered pictures (the shared vectors, python3-skimage, lomiri wallpapers),
 * 34 had a "shared overlay" at 48 bits / 8 places, 7 at 40 / 16, 2 at 32 / 16, none at 36 / 20. A
 * false overlay costs recall (the stopped keypoints of a real photo); a missed one costs nothing that
 * was not so before.
 */
export const SHARE_RADIUS = 36;
export const MIN_SHARED = 20;
/** The same picture, not an overlay: this share of the smaller keypoint set in common, all over one of the two. */
export const DUPLICATE_SHARE = 0.15;
/** Largest share of a picture's populated 8x8 cells a block without a shared keypoint may hold, for them to be all over it. */
export const UNSHARED_BLOCK = 0.2;
/** How near a shared keypoint another keypoint is on the overlay too, as a share of the picture's diagonal. */
export const NEIGHBOURHOOD = 0.02;
/** Keypoints closer than this share of the diagonal are one place (one corner at several levels). */
const PLACE = 0.01;
/** The grid `allOver` looks for a block without shared keypoints on (a cell with POPULATED keypoints counts). */
const GRID = 8;
const POPULATED = 2;
/** Pairwise fits tried in each of the PEAKS fullest bins of shifts (SHIFT_BIN of the diagonal wide). */
const ITERATIONS = 100;
const PEAKS = 3;
const SHIFT_BIN = 0.04;
/**
 * An overlay two registered pictures share is upright in both and at most this much smaller in one (a
 * logo at a fixed pixel size on pictures of other sizes); turned placements are left to chance pairs.
 */
const MIN_SCALE = 0.5;
const MAX_TURN = (4 / 180) * Math.PI;
/** Residual allowed, as a share of the second picture's diagonal (an overlay sits where it sits, to a few pixels). */
const TOLERANCE = 0.012;
/** Orientation agreement, 1/256 turns. */
const ANGLE_TOLERANCE = 16;

/**
 * The keypoints of `a` and of `b` that one similarity places on each other, among the candidate pairs
 * [a keypoint, b keypoint, ...] - or null when they are fewer than MIN_SHARED or cover either picture
 * all over (the same picture twice: nothing to stop).
 */
export function sharedPlacement(a: LocalFeatures, b: LocalFeatures, pairs: Int32Array): { a: number[]; b: number[] } | null {
  const n = pairs.length / 2;
  if (n < MIN_SHARED) return null;
  const tol = TOLERANCE * Math.hypot(b.width, b.height) + 2;
  // Chance pairs outnumber an overlay's by 10-100 to one, too many for a random 2-pair sampler. An
  // overlay is upright in both pictures, so each pair proposes a shift (at the scale its keypoints'
  // pyramid levels give); the overlay's pairs pile up in one bin of shifts, and the pairs of the
  // fullest bins (with their neighbours) are fitted again pairwise with the tight tolerance.
  const rand = seededRandom(n * 131 + a.count);
  const tryModel = (m: Affine, t: number, from: ArrayLike<number>) => {
    const turn = (Math.atan2(m[3], m[0]) / (2 * Math.PI)) * 256;
    const inl: number[] = [];
    for (let u = 0; u < from.length; u++) {
      const k = from[u], i = pairs[2 * k], j = pairs[2 * k + 1];
      const ex = m[0] * a.x[i] + m[1] * a.y[i] + m[2] - b.x[j], ey = m[3] * a.x[i] + m[4] * a.y[i] + m[5] - b.y[j];
      if (ex * ex + ey * ey <= t * t && angleGap(b.angle[j] - a.angle[i], turn) <= ANGLE_TOLERANCE) inl.push(k);
    }
    return inl;
  };
  const all = Int32Array.from({ length: n }, (_, k) => k);
  const H = SHIFT_BIN * Math.hypot(b.width, b.height);
  const bins = new Map<string, number[]>();
  const keyOf = (dl: number, bx: number, by: number) => `${dl},${bx},${by}`;
  for (let k = 0; k < n; k++) {
    const i = pairs[2 * k], j = pairs[2 * k + 1];
    const dl = b.level[j] - a.level[i];
    const sc = LEVEL_SCALE ** dl;
    if (sc < MIN_SCALE || sc > 1 / MIN_SCALE || angleGap(b.angle[j], a.angle[i]) > ANGLE_TOLERANCE) continue;
    const bx = Math.round((b.x[j] - sc * a.x[i]) / H), by = Math.round((b.y[j] - sc * a.y[i]) / H);
    const key = keyOf(dl, bx, by);
    (bins.get(key) ?? bins.set(key, []).get(key)!).push(k);
  }
  const fullest = [...bins].sort((x, y) => y[1].length - x[1].length).slice(0, PEAKS);
  let best: number[] = [];
  for (const [key] of fullest) {
    const [dl, bx, by] = key.split(',').map(Number);
    const pool: number[] = [];
    for (let ddx = -1; ddx <= 1; ddx++) for (let ddy = -1; ddy <= 1; ddy++) for (const k of bins.get(keyOf(dl, bx + ddx, by + ddy)) ?? []) pool.push(k);
    if (pool.length < 2) continue;
    for (let it = 0; it < ITERATIONS; it++) {
      const p = pool[Math.floor(rand() * pool.length)], q = pool[Math.floor(rand() * pool.length)];
      if (p === q) continue;
      const [ap, bp, aq, bq] = [pairs[2 * p], pairs[2 * p + 1], pairs[2 * q], pairs[2 * q + 1]];
      const m = similarityFrom2(a.x[ap], a.y[ap], b.x[bp], b.y[bp], a.x[aq], a.y[aq], b.x[bq], b.y[bq]);
      if (!m) continue;
      const sc = Math.hypot(m[0], m[3]);
      if (sc < MIN_SCALE || sc > 1 / MIN_SCALE || Math.abs(Math.atan2(m[3], m[0])) > MAX_TURN) continue;
      const inl = tryModel(m, tol, all);
      if (inl.length > best.length) best = inl;
    }
  }
  if (best.length < MIN_SHARED) return null;
  // One keypoint counts once on each side.
  const as = [...new Set(best.map((k) => pairs[2 * k]))], bs = [...new Set(best.map((k) => pairs[2 * k + 1]))];
  // ...and one corner once: a corner found at several pyramid levels pairs with each level of a corner in
  // the other picture, so a chance match of two or three corners can make dozens of pairs.
  if (Math.min(places(a, as), places(b, bs)) < MIN_SHARED) return null;
  // The same picture twice: keypoints in common all over one of the two (the whole of a re-encode, of a
  // crop or a collage tile registered beside the picture), and a share of them. An overlay leaves a block
  // of each picture's own texture with nothing in common: the photo between a screenshot's app chrome
  // (72% of its keypoints in common with another screenshot's), the corners a diagonal watermark misses.
  // Measured on generated pictures: a re-encode shares 0.8 of its keypoints, a registered crop 0.5-0.65.
  // A tiled mark that reaches every cell passes for the same picture: the stop list keeps out of it (a
  // missed stop costs nothing that was not so before; stopping a picture's own keypoints would lose it).
  const share = Math.min(as.length, bs.length) / Math.max(1, Math.min(a.count, b.count));
  if (share >= DUPLICATE_SHARE && (allOver(a, as) || allOver(b, bs))) return null;
  return { a: around(a, as), b: around(b, bs) };
}

/**
 * The shared keypoints and every keypoint of `f` within NEIGHBOURHOOD of one: two registrations of 400
 * keypoints each hold only some of an overlay's corners in common (~25 of a watermark's), while a query
 * with ten times the keypoints finds the rest of its strokes - which lie next to the shared ones.
 */
function around(f: LocalFeatures, idx: number[]): number[] {
  const rho = NEIGHBOURHOOD * Math.hypot(f.width, f.height);
  const out: number[] = [];
  for (let j = 0; j < f.count; j++) for (const k of idx) if (Math.abs(f.x[j] - f.x[k]) <= rho && Math.abs(f.y[j] - f.y[k]) <= rho) { out.push(j); break; }
  return out;
}

/** Distinct places of the keypoints `idx` (cells of PLACE of the picture's diagonal). */
function places(f: LocalFeatures, idx: number[]): number {
  const c = PLACE * Math.hypot(f.width, f.height);
  return new Set(idx.map((j) => `${Math.floor(f.x[j] / c)},${Math.floor(f.y[j] / c)}`)).size;
}

/**
 * Whether the keypoints `idx` are all over `f`: no axis-aligned block of its 8x8 grid holding more than
 * UNSHARED_BLOCK of the populated cells (>= 2 keypoints) is without one.
 */
function allOver(f: LocalFeatures, idx: number[]): boolean {
  const pop = new Int32Array(GRID * GRID), hit = new Uint8Array(GRID * GRID);
  const cell = (j: number) => Math.min(GRID - 1, Math.floor((f.y[j] / f.height) * GRID)) * GRID + Math.min(GRID - 1, Math.floor((f.x[j] / f.width) * GRID));
  for (let j = 0; j < f.count; j++) pop[cell(j)]++;
  for (const j of idx) hit[cell(j)] = 1;
  let populated = 0;
  for (let c = 0; c < GRID * GRID; c++) if (pop[c] >= POPULATED) populated++;
  if (populated === 0) return true;
  let block = 0;
  for (let y0 = 0; y0 < GRID; y0++) for (let y1 = y0; y1 < GRID; y1++) for (let x0 = 0; x0 < GRID; x0++) for (let x1 = x0; x1 < GRID; x1++) {
    let n = 0, shared = false;
    for (let y = y0; y <= y1 && !shared; y++) for (let x = x0; x <= x1; x++) {
      const c = y * GRID + x;
      if (hit[c]) { shared = true; break; }
      if (pop[c] >= POPULATED) n++;
    }
    if (!shared) block = Math.max(block, n);
  }
  return block <= UNSHARED_BLOCK * populated;
}

/** Candidate pairs of `a` against `b` by brute force (~1 ms for 400 x 400 keypoints; FeatureIndex runs it on the pictures its buckets propose). */
export function closePairs(a: LocalFeatures, b: LocalFeatures, radius = SHARE_RADIUS): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < a.count; i++) for (let j = 0; j < b.count; j++) {
    let d = 0;
    for (let w = 0; w < DESCRIPTOR_WORDS && d <= radius; w++) d += popcount32(a.descriptors[i * DESCRIPTOR_WORDS + w] ^ b.descriptors[j * DESCRIPTOR_WORDS + w]);
    if (d <= radius) out.push(i, j);
  }
  return Int32Array.from(out);
}

/**
 * The registered picture without its shared keypoints (`shared[j]` non-zero), and where each kept
 * keypoint came from; `f` itself when none is shared.
 */
export function ownFeatures(f: LocalFeatures, shared: Uint8Array | null | undefined): { features: LocalFeatures; kept: Int32Array | null } {
  if (!shared) return { features: f, kept: null };
  let n = 0;
  for (let j = 0; j < f.count; j++) if (!shared[j]) n++;
  if (n === f.count) return { features: f, kept: null };
  const kept = new Int32Array(n);
  for (let j = 0, k = 0; j < f.count; j++) if (!shared[j]) kept[k++] = j;
  return { features: pickFeatures(f, kept), kept };
}

function angleGap(a: number, b: number): number {
  const d = (((a - b) % 256) + 256) % 256;
  return Math.min(d, 256 - d);
}
