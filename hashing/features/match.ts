/**
 * Matching two feature sets with geometric verification: is the registered picture (`ref`) shown,
 * whole or in part, turned, scaled, sheared or mirrored, somewhere in the query?
 *
 * 0. With a FeatureIndex candidate as the hint, the gate: a similarity must explain GATE_MIN of the
 *    index's own voting pairs, or the side is rejected before any of the work below.
 * 1. Tentative pairs: each query descriptor's nearest reference descriptor, kept when it is close
 *    (<= MAX_DISTANCE bits) and clearly closer than the second nearest (Lowe's ratio test).
 * 2. A 2-point similarity RANSAC, where a pair only counts when its keypoints' own orientation and
 *    pyramid level agree with the model (a wrong pair rarely does), then a 3-point affine RANSAC on
 *    its inliers with a tight tolerance, refined by least squares.
 * 3. Acceptance (`judge`): enough inliers, a sane model (scale, shear), and inliers spread over the
 *    part of the registered picture that is in view - most populated cells of a 4x4 grid over it, and
 *    every populated row and column. A shared logo, watermark, caption font or app chrome matches as
 *    a cluster, or as bands with nothing between them; a re-upload of the picture matches all over.
 */
import { type Affine, apply, type Point, clipToBox, fitAffine, insideConvex, invertAffine, linearShape, polygonArea, rectangle, seededRandom, similarityFrom2 } from './geometry.ts';
import { REFERENCE_OPTIONS } from './extract.ts';
import { featureKernel, type NearestPairs } from './kernel.ts';
import { mirrorFeatures } from './mirror.ts';
import { ownFeatures } from './shared.ts';
import { DESCRIPTOR_WORDS, LEVEL_SCALE, type LocalFeatures } from './types.ts';

export const MAX_DISTANCE = 64;
export const RATIO = 0.8;
export const MIN_INLIERS = 12;
/** Largest stretch of one axis against the other (1.3x stretch edits pass; a degenerate fit does not). */
export const MAX_ANISOTROPY = 2.5;
/** Query pixels per reference pixel, both ways. */
export const MIN_SCALE = 1 / 24;
export const MAX_SCALE = 24;
/** Share of the registered picture's area the inliers' box must cover, and of each side. */
export const MIN_COVERAGE = 0.25;
export const MIN_SIDE = 0.35;
/** Keypoints keep ~20 px (more on coarse levels) from the edge: the inliers' box is grown by this share a side. */
const MARGIN = 0.06;
/** coversContent: the rule for pictures whose keypoints sit on one part of them. */
const CONTENT_COVERAGE = 0.5;
const CONTENT_SIDE = 0.65;
const CONTENT_MIN_INLIERS = 18;
/** The keypoints' own box (no margin) must hold this share of the picture: clock_motion's holds 0.11. */
const CONTENT_FLOOR = 0.1;
/** Share of the keypoints in view left out at each end of each axis of the content's box. */
const CONTENT_TRIM = 0.02;
const GRID = 4;
/** A grid cell counts as populated with at least this many reference keypoints in view. */
const POPULATED = 3;
/** Share of populated cells that must hold an inlier. */
const MIN_CELL_SHARE = 0.5;
/** Largest share of the picture's populated cells an inlier-free rectangle may hold (captions, stickers: < 0.25). */
export const MAX_UNMATCHED_SHARE = 0.3;
const FINE = 8;
/** Inliers spread in two dimensions (a picture), not along one line (a caption, a diagonal watermark). */
export const MIN_SPREAD_RATIO = 0.3;
/** ...or this share of the spread of the picture's own keypoints in view, when that is lower. */
const LINE_SHARE = 0.7;
/** Skip a pair when its first 64 bits (words 0 and 4) differ in more than this. */
const QUARTER_PRUNE = 26;
const SIM_ITERATIONS = 600;
const AFFINE_ITERATIONS = 150;
const ANGLE_TOLERANCE = (30 / 360) * 256;
const LEVEL_TOLERANCE = 1.6;

export interface Region {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface FeatureMatch {
  inliers: number;
  /** Tentative pairs that went into the verification. */
  tentative: number;
  /** The query shows the registered picture mirrored left-right. */
  mirrored: boolean;
  /** Maps reference fractions (0..1 each axis) to query fractions. */
  model: Affine;
  /** Where the registered picture lies in the query (bounding box, fractions of the query, clipped). */
  queryRegion: Region;
  /** Share of the registered picture's area inside the inliers' bounding box (what is shown of it, at least). */
  refCoverage: number;
  /** Grid cells over the part in view: with reference keypoints, and of those with inliers. */
  cells: { populated: number; hit: number };
  /**
   * Share of the populated fine-grid cells in view that lie in the largest inlier-free rectangle: the
   * picture of an app screenshot or a template whose chrome matched.
   */
  unmatchedShare: number;
  /** Minor over major standard deviation of the inliers on the reference: near 0 along a line of text. */
  flatness: number;
  /** Query pixels per reference pixel (geometric mean), turn in degrees, and shear (s1 / s2). */
  scale: number;
  rotation: number;
  anisotropy: number;
  /** Mean Hamming distance of the inlier pairs. */
  meanDistance: number;
  /** The inliers' registered keypoints (indices into the reference's features). */
  refInliers: number[];
  /** Their query keypoints, in the same order. */
  queryInliers: number[];
}

export interface Verification extends Partial<FeatureMatch> {
  accepted: boolean;
  /** Why not, when not accepted. */
  reason?: string;
  inliers: number;
}

/**
 * Which ways round to try: both (default), or only the sides whose FeatureIndex votes alone would
 * have made the picture a candidate. Skipping the other side halves the verification of most
 * impostors; a true mirrored (or direct) copy gathers its votes on its own side.
 */
export interface SideHint {
  votes: number;
  mirroredVotes: number;
  minVotes: number;
  /** FeatureIndex's voting pairs per side ([query keypoint, registered keypoint, ...]): the gate. */
  pairs?: Int32Array;
  mirroredPairs?: Int32Array;
}

/**
 * The gate: a side is verified in full (all pairs, ratio test, RANSAC, spread guards) only when the
 * index's own voting pairs already hold this many that one similarity explains. A copy's votes agree
 * (dozens), an impostor's scatter; the check costs ~0.1 ms against ~5-10 ms for a full verification.
 */
export const GATE_MIN = 6;

/**
 * The verified match of `ref` in `query` (direct or mirrored), or null. `shared`: the bank's stop list
 * for `ref` (FeatureIndex.sharedMask) - its keypoints another registered picture shares (a watermark,
 * a logo, app chrome) are left out, so the picture must be found by what is its own.
 */
export function matchFeatures(query: LocalFeatures, ref: LocalFeatures, hint?: SideHint, shared?: Uint8Array | null): FeatureMatch | null {
  const v = verifyFeatures(query, ref, hint, shared);
  return v.accepted ? (v as FeatureMatch & Verification) : null;
}

/** Like matchFeatures, but also reports the best rejected attempt (benchmarks: how close do distinct photos get). */
export function verifyFeatures(query: LocalFeatures, full: LocalFeatures, hint?: SideHint, shared?: Uint8Array | null): Verification {
  const { features: ref, kept } = ownFeatures(full, shared);
  if (!kept) return verifySides(query, full, hint, full.count);
  const v = verifySides(query, ref, hint && ownHint(hint, kept, full.count), full.count);
  return v.refInliers ? { ...v, refInliers: v.refInliers.map((j) => kept[j]) } : v;
}

/** Both sides of `ref` (direct, then mirrored); `registered`: its keypoints before the stop list took any (judge). */
function verifySides(query: LocalFeatures, ref: LocalFeatures, hint: SideHint | undefined, registered: number): Verification {
  const tryDirect = !hint || hint.votes - hint.mirroredVotes >= hint.minVotes;
  const tryMirrored = !hint || hint.mirroredVotes >= hint.minVotes;
  const direct: Verification = tryDirect ? gated(query, ref, false, hint?.pairs, registered) : { accepted: false, reason: 'no votes for this side', inliers: 0 };
  if (direct.accepted || !tryMirrored) return direct;
  const mirrored = gated(mirrorFeatures(query), ref, true, hint?.mirroredPairs, registered);
  return mirrored.accepted || mirrored.inliers > direct.inliers ? mirrored : direct;
}

/** The index's voting pairs in the numbering of the picture without its shared keypoints. */
function ownHint(hint: SideHint, kept: Int32Array, count: number): SideHint {
  const to = new Int32Array(count).fill(-1);
  for (const [k, j] of kept.entries()) to[j] = k;
  const remap = (p: Int32Array | undefined) => {
    if (!p) return p;
    const out: number[] = [];
    for (let k = 0; k < p.length; k += 2) if (to[p[k + 1]] >= 0) out.push(p[k], to[p[k + 1]]);
    return Int32Array.from(out);
  };
  return { ...hint, pairs: remap(hint.pairs), mirroredPairs: remap(hint.mirroredPairs) };
}

function gated(q: LocalFeatures, r: LocalFeatures, mirrored: boolean, votePairs: Int32Array | undefined, registered: number): Verification {
  if (votePairs) {
    const agree = agreeingVotes(q, r, votePairs);
    if (agree < GATE_MIN) return { accepted: false, reason: 'the index votes do not agree on one placement', inliers: agree, tentative: votePairs.length / 2 };
  }
  return verifyOne(q, r, mirrored, registered);
}

/** The most voting pairs one similarity explains (stage 1 of the verification, on the index's pairs). */
function agreeingVotes(q: LocalFeatures, r: LocalFeatures, vp: Int32Array): number {
  const n = vp.length / 2;
  if (n < GATE_MIN) return n;
  const a = pairArrays(q, r, n, (k) => vp[2 * k], (k) => vp[2 * k + 1]);
  return similarityRansac(a, Math.hypot(r.width, r.height), seededRandom(n * 31 + r.count), 200).count;
}

interface PairArrays { n: number; rx: Float64Array; ry: Float64Array; qx: Float64Array; qy: Float64Array; dAngle: Float64Array; dLevel: Float64Array; qScale: Float64Array }

function pairArrays(q: LocalFeatures, r: LocalFeatures, n: number, qiOf: (k: number) => number, riOf: (k: number) => number): PairArrays {
  const rx = new Float64Array(n), ry = new Float64Array(n), qx = new Float64Array(n), qy = new Float64Array(n);
  const dAngle = new Float64Array(n), dLevel = new Float64Array(n), qScale = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const i = qiOf(k), j = riOf(k);
    rx[k] = r.x[j]; ry[k] = r.y[j]; qx[k] = q.x[i]; qy[k] = q.y[i];
    dAngle[k] = q.angle[i] - r.angle[j];
    dLevel[k] = q.level[i] - r.level[j];
    qScale[k] = LEVEL_SCALE ** q.level[i];
  }
  return { n, rx, ry, qx, qy, dAngle, dLevel, qScale };
}

function consistentWith(p: PairArrays, k: number, rot: number, lvl: number): boolean {
  return angleGap(p.dAngle[k], rot) <= ANGLE_TOLERANCE && Math.abs(p.dLevel[k] - lvl) <= LEVEL_TOLERANCE;
}

/** 2-point similarity RANSAC where a pair only counts when its keypoints' orientation and level agree. */
function similarityRansac(p: PairArrays, refDiag: number, rand: () => number, iterations: number): { model: Affine | null; count: number } {
  const { n, rx, ry, qx, qy, dAngle, qScale } = p;
  let model: Affine | null = null;
  let best = 0;
  for (let it = 0; it < iterations; it++) {
    const a = Math.floor(rand() * n);
    const b = Math.floor(rand() * n);
    if (a === b || angleGap(dAngle[a], dAngle[b]) > 2 * ANGLE_TOLERANCE) continue;
    const m = similarityFrom2(rx[a], ry[a], qx[a], qy[a], rx[b], ry[b], qx[b], qy[b]);
    if (!m) continue;
    const s = Math.hypot(m[0], m[3]);
    if (s < MIN_SCALE || s > MAX_SCALE) continue;
    const rot = (Math.atan2(m[3], m[0]) / (2 * Math.PI)) * 256;
    const lvl = Math.log(s) / Math.log(LEVEL_SCALE);
    if (!consistentWith(p, a, rot, lvl) || !consistentWith(p, b, rot, lvl)) continue;
    const loose = 0.05 * s * refDiag;
    let count = 0;
    for (let k = 0; k < n; k++) {
      const ex = m[0] * rx[k] + m[1] * ry[k] + m[2] - qx[k];
      const ey = m[3] * rx[k] + m[4] * ry[k] + m[5] - qy[k];
      const t = loose + 4 * qScale[k];
      if (ex * ex + ey * ey <= t * t && consistentWith(p, k, rot, lvl)) count++;
    }
    if (count > best) { best = count; model = m; }
  }
  return { model, count: best };
}

/**
 * Each query keypoint's nearest registered descriptor when it passes the ratio test (the feature
 * kernel's nearestPairs: native, or js-kernel.ts).
 */
function tentativePairs(q: LocalFeatures, r: LocalFeatures): NearestPairs {
  return featureKernel().nearestPairs(q.descriptors, q.count, r.descriptors, r.count, QUARTER_PRUNE, MAX_DISTANCE, RATIO);
}

function verifyOne(q: LocalFeatures, r: LocalFeatures, mirrored: boolean, registered: number): Verification {
  const pairs = tentativePairs(q, r);
  const n = pairs.n;
  if (n < MIN_INLIERS) return { accepted: false, reason: 'too few tentative pairs', inliers: 0, tentative: n };
  const pa = pairArrays(q, r, n, (k) => pairs.qi[k], (k) => pairs.ri[k]);
  const { rx, ry, qx, qy, dLevel, qScale } = pa;
  const refDiag = Math.hypot(r.width, r.height);
  const rand = seededRandom(n * 7919 + r.count);
  const consistent = (k: number, rot: number, lvl: number) => consistentWith(pa, k, rot, lvl);
  // Stage 1: similarity RANSAC with orientation and level consistency.
  const { model: bestSim, count: bestCount } = similarityRansac(pa, refDiag, rand, SIM_ITERATIONS);
  if (!bestSim || bestCount < MIN_INLIERS) return { accepted: false, reason: 'no consistent similarity', inliers: bestCount, tentative: n };

  // Stage 2: affine RANSAC on the similarity's inliers (tight), then least-squares refinement.
  const s0 = Math.hypot(bestSim[0], bestSim[3]);
  const rot0 = (Math.atan2(bestSim[3], bestSim[0]) / (2 * Math.PI)) * 256;
  const lvl0 = Math.log(s0) / Math.log(LEVEL_SCALE);
  const pool: number[] = [];
  for (let k = 0; k < n; k++) {
    const e = residual(bestSim, rx, ry, qx, qy, k);
    const t = 0.05 * s0 * refDiag + 4 * qScale[k];
    if (e <= t && consistent(k, rot0, lvl0)) pool.push(k);
  }
  const tight = (k: number) => 3 * qScale[k] + 0.006 * s0 * refDiag;
  const inliersOf = (m: Affine) => {
    const out: number[] = [];
    for (let k = 0; k < n; k++) if (residual(m, rx, ry, qx, qy, k) <= tight(k) && Math.abs(dLevel[k] - lvl0) <= LEVEL_TOLERANCE + 0.5) out.push(k);
    return out;
  };
  let model: Affine = bestSim;
  let inl = inliersOf(bestSim);
  for (let it = 0; it < AFFINE_ITERATIONS && pool.length >= 3; it++) {
    const a = pool[Math.floor(rand() * pool.length)], b = pool[Math.floor(rand() * pool.length)], c = pool[Math.floor(rand() * pool.length)];
    if (a === b || b === c || a === c) continue;
    const m = fitAffine(rx, ry, qx, qy, [a, b, c]);
    if (!m || !sane(m)) continue;
    const cand = inliersOf(m);
    if (cand.length > inl.length) { inl = cand; model = m; }
  }
  for (let round = 0; round < 3 && inl.length >= 3; round++) {
    const m = fitAffine(rx, ry, qx, qy, inl);
    if (!m || !sane(m)) break;
    const cand = inliersOf(m);
    if (cand.length < inl.length) break;
    model = m;
    inl = cand;
  }
  // One reference keypoint counts once (several query keypoints may sit on one reference corner).
  const seen = new Set<number>();
  inl = inl.filter((k) => !seen.has(pairs.ri[k]) && (seen.add(pairs.ri[k]), true));
  return judge(q, r, model, inl.map((k) => pairs.ri[k]), inl.map((k) => pairs.qi[k]), inl.map((k) => pairs.dist[k]), n, mirrored, registered);
}

function residual(m: Affine, rx: Float64Array, ry: Float64Array, qx: Float64Array, qy: Float64Array, k: number): number {
  return Math.hypot(m[0] * rx[k] + m[1] * ry[k] + m[2] - qx[k], m[3] * rx[k] + m[4] * ry[k] + m[5] - qy[k]);
}

function angleGap(a: number, b: number): number {
  const d = (((a - b) % 256) + 256) % 256;
  return Math.min(d, 256 - d);
}

function sane(m: Affine): boolean {
  const { s1, s2, det } = linearShape(m);
  if (det <= 0 || s2 <= 0) return false;
  const s = Math.sqrt(det);
  return s >= MIN_SCALE && s <= MAX_SCALE && s1 / s2 <= MAX_ANISOTROPY;
}

/** Acceptance: enough inliers, a sane model, and inliers spread over the part of the picture in view. */
function judge(q: LocalFeatures, r: LocalFeatures, m: Affine, refIdx: number[], queryIdx: number[], dists: number[], tentative: number, mirrored: boolean, registered: number): Verification {
  const inliers = refIdx.length;
  const base = { inliers, tentative, mirrored, refInliers: refIdx, queryInliers: queryIdx };
  if (inliers < MIN_INLIERS) return { accepted: false, reason: 'too few inliers', ...base };
  if (!sane(m)) return { accepted: false, reason: 'implausible geometry', ...base };
  const inv = invertAffine(m)!;
  // The part of the registered picture in view: the query's frame taken back into the reference.
  const visible = clipToBox(rectangle(q.width, q.height).map((p) => apply(inv, p.x, p.y)), r.width, r.height);
  const placed = clipToBox(rectangle(r.width, r.height).map((p) => apply(m, p.x, p.y)), q.width, q.height);
  if (polygonArea(visible) < MIN_COVERAGE * r.width * r.height || placed.length < 3) return { accepted: false, reason: 'too little of the picture in view', ...base };
  // The part shown is known only up to the query's frame (a collage tile or a crop inside a larger
  // post shows less than the frame suggests), so the spread checks run over the inliers' bounding
  // box, grown by the keypoints' edge margin and kept inside the view: a shared logo or caption is a
  // small box (too little coverage), app chrome a large box with the picture unmatched inside.
  const vx0 = Math.min(...visible.map((p) => p.x)), vx1 = Math.max(...visible.map((p) => p.x));
  const vy0 = Math.min(...visible.map((p) => p.y)), vy1 = Math.max(...visible.map((p) => p.y));
  const mx = MARGIN * r.width, my = MARGIN * r.height;
  const bx0 = Math.max(vx0, Math.min(...refIdx.map((j) => r.x[j])) - mx), bx1 = Math.min(vx1, Math.max(...refIdx.map((j) => r.x[j])) + mx);
  const by0 = Math.max(vy0, Math.min(...refIdx.map((j) => r.y[j])) - my), by1 = Math.min(vy1, Math.max(...refIdx.map((j) => r.y[j])) + my);
  const refCoverage = ((bx1 - bx0) * (by1 - by0)) / (r.width * r.height);
  const coversPicture = refCoverage >= MIN_COVERAGE && bx1 - bx0 >= MIN_SIDE * r.width && by1 - by0 >= MIN_SIDE * r.height;
  if (!coversPicture && !coversContent(r, visible, bx0, bx1, by0, by1, inliers)) {
    return { accepted: false, reason: 'inliers cover too little of the picture', ...base, refCoverage };
  }
  const cellOf = (x: number, y: number) =>
    Math.min(GRID - 1, Math.max(0, Math.floor(((y - by0) / (by1 - by0)) * GRID))) * GRID + Math.min(GRID - 1, Math.max(0, Math.floor(((x - bx0) / (bx1 - bx0)) * GRID)));
  const kps = new Int32Array(GRID * GRID);
  for (let j = 0; j < r.count; j++) if (r.x[j] >= bx0 && r.x[j] <= bx1 && r.y[j] >= by0 && r.y[j] <= by1 && insideConvex(visible, r.x[j], r.y[j])) kps[cellOf(r.x[j], r.y[j])]++;
  const hits = new Int32Array(GRID * GRID);
  for (const j of refIdx) hits[cellOf(r.x[j], r.y[j])]++;
  let populated = 0, hit = 0;
  // Per row and column band of the grid: populated cells, and whether any inlier fell in it.
  const rowPop = new Int32Array(GRID), rowHit = new Int32Array(GRID), colPop = new Int32Array(GRID), colHit = new Int32Array(GRID);
  for (let c = 0; c < GRID * GRID; c++) {
    const row = Math.floor(c / GRID), col = c % GRID;
    rowHit[row] += hits[c]; colHit[col] += hits[c];
    if (kps[c] >= POPULATED) {
      populated++;
      rowPop[row]++; colPop[col]++;
      if (hits[c] > 0) hit++;
    }
  }
  // App chrome, a shared frame or template matches as bands with the picture between them unmatched:
  // an inner row or column band with reference keypoints but no inlier while both sides have some.
  // (An empty band at the edge of the view is normal: a caption, a sticker, a crop line.)
  const innerGap = (pop: Int32Array, hitBand: Int32Array) => {
    for (let b = 1; b < GRID - 1; b++) {
      if (pop[b] < 2 || hitBand[b] > 0) continue;
      let before = 0, after = 0;
      for (let k = 0; k < b; k++) before += hitBand[k];
      for (let k = b + 1; k < GRID; k++) after += hitBand[k];
      if (before > 0 && after > 0) return true;
    }
    return false;
  };
  const emptyBand = innerGap(rowPop, rowHit) || innerGap(colPop, colHit);
  // The same on the query side, over the box taken into the query: a shared watermark or logo over two
  // different photos matches while the query's own picture inside the box does not.
  const qBox = clipToBox([apply(m, bx0, by0), apply(m, bx1, by0), apply(m, bx1, by1), apply(m, bx0, by1)], q.width, q.height);
  // Where the registration kept every corner it found (fewer than its keypoint budget: a clock on a
  // motion-blurred wall has 78), a cell without any is flat at its scale, and the query's keypoints
  // there (an overlay the re-upload added, detail of a finer query) have nothing to match: only query
  // keypoints landing on the registered picture's populated cells count then. A registration at its
  // budget says nothing by an empty cell (its corners went to stronger ones), so every query keypoint counts.
  const matchable = registered < REFERENCE_OPTIONS.maxKeypoints ? refPopulatedCells(visible, bx0, bx1, by0, by1, r) : null;
  const qShare = qBox.length >= 3
    ? largestUnmatchedShare(qBox, Math.min(...qBox.map((p) => p.x)), Math.max(...qBox.map((p) => p.x)), Math.min(...qBox.map((p) => p.y)), Math.max(...qBox.map((p) => p.y)), q, queryIdx,
      matchable ? (k) => { const p = apply(inv, q.x[k], q.y[k]); return matchable(p.x, p.y); } : undefined)
    : 1;
  const flatness = inlierFlatness(r, refIdx);
  // The line check asks the inliers to spread like a picture; a picture whose own keypoints in view
  // lie along a line (a row of stoplights, a skyline) can only give inliers that do too.
  const inView: number[] = [];
  for (let j = 0; j < r.count; j++) if (insideConvex(visible, r.x[j], r.y[j])) inView.push(j);
  const minSpread = Math.min(MIN_SPREAD_RATIO, LINE_SHARE * inlierFlatness(r, inView));
  const emptyShare = Math.max(qShare, largestUnmatchedShare(visible, bx0, bx1, by0, by1, r, refIdx));
  const { s1, s2, det } = linearShape(m);
  // Report the model in fractions, and undo the mirroring of the query's features.
  let fm: Affine = [(m[0] * r.width) / q.width, (m[1] * r.height) / q.width, m[2] / q.width, (m[3] * r.width) / q.height, (m[4] * r.height) / q.height, m[5] / q.height];
  if (mirrored) fm = [-fm[0], -fm[1], 1 - fm[2] - 1 / q.width, fm[3], fm[4], fm[5]];
  const xs = placed.map((p) => (mirrored ? q.width - p.x : p.x) / q.width), ys = placed.map((p) => p.y / q.height);
  const result: Verification = {
    ...base,
    accepted: false,
    model: fm,
    queryRegion: { x: Math.min(...xs), y: Math.min(...ys), w: Math.max(...xs) - Math.min(...xs), h: Math.max(...ys) - Math.min(...ys) },
    refCoverage,
    cells: { populated, hit },
    unmatchedShare: Math.round(emptyShare * 1000) / 1000,
    flatness: Math.round(flatness * 1000) / 1000,
    scale: Math.sqrt(det),
    rotation: (Math.atan2(m[3], m[0]) * 180) / Math.PI,
    anisotropy: s1 / s2,
    meanDistance: dists.reduce((a, b) => a + b, 0) / inliers,
  };
  if (hit < 4 || hit < MIN_CELL_SHARE * populated) return { ...result, reason: 'inliers clustered on a part of the picture' };
  if (emptyBand) return { ...result, reason: 'an inner band across the picture has no inlier' };
  if (emptyShare > MAX_UNMATCHED_SHARE) return { ...result, reason: 'a large part of the picture in view has no inlier' };
  if (flatness < minSpread) return { ...result, reason: 'the inliers lie along a line (a line of text, a watermark)' };
  return { ...result, accepted: true };
}

/**
 * The coverage rule for a picture whose keypoints all sit on one part of it (a motion-blurred clock
 * on a flat wall, a face against a dark room): its keypoints' box in view is what can be matched at
 * all, so the inliers must cover most of THAT box (CONTENT_COVERAGE of its area, CONTENT_SIDE of each
 * side) - stricter shares than MIN_COVERAGE / MIN_SIDE of the picture - with more inliers
 * (CONTENT_MIN_INLIERS), and that box must hold CONTENT_FLOOR of the picture: a registered picture that
 * is a small mark on an empty ground would otherwise match every post carrying the mark.
 */
function coversContent(r: LocalFeatures, visible: Point[], bx0: number, bx1: number, by0: number, by1: number, inliers: number): boolean {
  if (inliers < CONTENT_MIN_INLIERS) return false;
  const xs: number[] = [], ys: number[] = [];
  for (let j = 0; j < r.count; j++) if (insideConvex(visible, r.x[j], r.y[j])) { xs.push(r.x[j]); ys.push(r.y[j]); }
  if (xs.length < 2) return false;
  xs.sort((a, b) => a - b); ys.sort((a, b) => a - b);
  if (((xs[xs.length - 1] - xs[0]) * (ys[ys.length - 1] - ys[0])) / (r.width * r.height) < CONTENT_FLOOR) return false;
  // The box the inliers must cover leaves out the CONTENT_TRIM most extreme keypoints at each end of
  // each axis: a stray corner on the flat ground (a lamp housing's edge beside a column of stoplights,
  // 100 inliers on the lights) must not widen it past what the content is.
  const at = (a: number[], p: number) => a[Math.round(p * (a.length - 1))];
  const cx0 = at(xs, CONTENT_TRIM), cx1 = at(xs, 1 - CONTENT_TRIM), cy0 = at(ys, CONTENT_TRIM), cy1 = at(ys, 1 - CONTENT_TRIM);
  const mx = MARGIN * r.width, my = MARGIN * r.height;
  const cw = cx1 - cx0 + 2 * mx, ch = cy1 - cy0 + 2 * my;
  return (bx1 - bx0) * (by1 - by0) >= CONTENT_COVERAGE * cw * ch && bx1 - bx0 >= CONTENT_SIDE * cw && by1 - by0 >= CONTENT_SIDE * ch;
}

/**
 * The largest axis-aligned block of an 8x8 grid over the part in view that holds no inlier, measured
 * as its share of the grid's populated cells (>= 2 reference keypoints). Occlusions of a true re-upload
 * (a caption band, stickers) leave small blocks; a registered screenshot matched only through its app
 * chrome leaves the whole picture inside it unmatched.
 */
function largestUnmatchedShare(visible: Point[], x0: number, x1: number, y0: number, y1: number, r: LocalFeatures, refIdx: number[], counted?: (j: number) => boolean): number {
  const pop = new Int32Array(FINE * FINE);
  const hit = new Int32Array(FINE * FINE);
  const cell = fineCell(x0, x1, y0, y1);
  for (let j = 0; j < r.count; j++) if (r.x[j] >= x0 && r.x[j] <= x1 && r.y[j] >= y0 && r.y[j] <= y1 && insideConvex(visible, r.x[j], r.y[j]) && (!counted || counted(j))) pop[cell(r.x[j], r.y[j])]++;
  for (const j of refIdx) hit[cell(r.x[j], r.y[j])]++;
  // Prefix sums of populated-and-unmatched cells and of hit cells.
  const P = FINE + 1;
  const emp = new Int32Array(P * P);
  const hs = new Int32Array(P * P);
  let populated = 0;
  for (let y = 0; y < FINE; y++) for (let x = 0; x < FINE; x++) {
    const c = y * FINE + x;
    const e = pop[c] >= 2 && hit[c] === 0 ? 1 : 0;
    if (pop[c] >= 2) populated++;
    emp[(y + 1) * P + x + 1] = e + emp[y * P + x + 1] + emp[(y + 1) * P + x] - emp[y * P + x];
    hs[(y + 1) * P + x + 1] = (hit[c] > 0 ? 1 : 0) + hs[y * P + x + 1] + hs[(y + 1) * P + x] - hs[y * P + x];
  }
  if (populated === 0) return 0;
  const sum = (a: Int32Array, ya: number, xa: number, yb: number, xb: number) => a[yb * P + xb] - a[ya * P + xb] - a[yb * P + xa] + a[ya * P + xa];
  let best = 0;
  for (let ya = 0; ya < FINE; ya++) for (let yb = ya + 1; yb <= FINE; yb++) for (let xa = 0; xa < FINE; xa++) for (let xb = xa + 1; xb <= FINE; xb++) {
    if (sum(hs, ya, xa, yb, xb) > 0) break;
    const e = sum(emp, ya, xa, yb, xb);
    if (e > best) best = e;
  }
  return best / populated;
}

function fineCell(x0: number, x1: number, y0: number, y1: number): (x: number, y: number) => number {
  return (x, y) => Math.min(FINE - 1, Math.max(0, Math.floor(((y - y0) / (y1 - y0)) * FINE))) * FINE + Math.min(FINE - 1, Math.max(0, Math.floor(((x - x0) / (x1 - x0)) * FINE)));
}

/** Whether a point of the box falls in a cell of its FINE grid that holds >= 2 of the picture's keypoints in view. */
function refPopulatedCells(visible: Point[], x0: number, x1: number, y0: number, y1: number, r: LocalFeatures): (x: number, y: number) => boolean {
  const pop = new Int32Array(FINE * FINE);
  const cell = fineCell(x0, x1, y0, y1);
  for (let j = 0; j < r.count; j++) if (r.x[j] >= x0 && r.x[j] <= x1 && r.y[j] >= y0 && r.y[j] <= y1 && insideConvex(visible, r.x[j], r.y[j])) pop[cell(r.x[j], r.y[j])]++;
  return (x, y) => x >= x0 && x <= x1 && y >= y0 && y <= y1 && pop[cell(x, y)] >= 2;
}

/** sqrt(minor / major eigenvalue) of the inliers' covariance on the reference, 0..1. */
function inlierFlatness(r: LocalFeatures, refIdx: number[]): number {
  const n = refIdx.length;
  let mx = 0, my = 0;
  for (const j of refIdx) { mx += r.x[j]; my += r.y[j]; }
  mx /= n; my /= n;
  let sxx = 0, syy = 0, sxy = 0;
  for (const j of refIdx) {
    const dx = r.x[j] - mx, dy = r.y[j] - my;
    sxx += dx * dx; syy += dy * dy; sxy += dx * dy;
  }
  const tr = sxx + syy;
  const disc = Math.sqrt(Math.max(0, (sxx - syy) ** 2 + 4 * sxy * sxy));
  const major = (tr + disc) / 2;
  const minor = (tr - disc) / 2;
  return major > 0 ? Math.sqrt(Math.max(0, minor) / major) : 0;
}
