/**
 * ORB-style local features in pure TypeScript (no WebAssembly to load in every worker thread):
 * FAST-9 corners on a scale pyramid of the equalised picture, ranked by the Harris response, spread
 * over a grid so every part of the picture keeps its share (a collage tile or a picture beside another
 * must still own keypoints), oriented by the intensity centroid, described by steered BRIEF (256 bits).
 *
 * References: Rosten & Drummond (FAST, 2006), Calonder et al. (BRIEF, 2010), Rublee et al. (ORB, 2011).
 */
import { ANGLE_BINS, PATTERN_EXTENT, STEERED_PATTERNS } from './brief-pattern.ts';
import { equalise, integral, pyramid, resizeArea } from './pyramid.ts';
import { DESCRIPTOR_WORDS, type GreyImage, LEVEL_SCALE, type LocalFeatures } from './types.ts';

export interface ExtractOptions {
  /** Keypoints kept over all levels. */
  maxKeypoints: number;
  /** The picture is shrunk so its longer side is at most this before detection. */
  maxSide: number;
  /** FAST intensity threshold on the equalised picture. */
  fastThreshold: number;
  /** Pyramid levels at most (each LEVEL_SCALE smaller). */
  levels: number;
}

/** Registered material: fewer, well-spread keypoints (the index budget is per registered image). */
export const REFERENCE_OPTIONS: ExtractOptions = Object.freeze({ maxKeypoints: 400, maxSide: 640, fastThreshold: 16, levels: 6 });
/** Queries: more keypoints, because the registered picture may be only a small part of what was posted. */
export const QUERY_OPTIONS: ExtractOptions = Object.freeze({ maxKeypoints: 4000, maxSide: 1024, fastThreshold: 16, levels: 6 });

/** Orientation patch radius (ORB's 31 px patch) and the margin every keypoint keeps from the edge. */
const PATCH_RADIUS = 15;
/** Descriptor samples are 5x5 box means (the smoothing BRIEF needs), so the pattern reaches 2 px further. */
const BOX = 2;
const BORDER = Math.max(PATCH_RADIUS, PATTERN_EXTENT + BOX) + 2;
const MIN_LEVEL_SIDE = 2 * BORDER + 24;
/** Grid used to spread keypoints: cells per side. */
const GRID = 8;

// FAST circle of radius 3, clockwise from 12 o'clock.
const CIRCLE = [[0, -3], [1, -3], [2, -2], [3, -1], [3, 0], [3, 1], [2, 2], [1, 3], [0, 3], [-1, 3], [-2, 2], [-3, 1], [-3, 0], [-3, -1], [-2, -2], [-1, -3]];

export function extractFeatures(grey: GreyImage, opts: ExtractOptions = QUERY_OPTIONS): LocalFeatures {
  let base = grey;
  const longer = Math.max(grey.width, grey.height);
  if (longer > opts.maxSide) {
    const s = opts.maxSide / longer;
    base = resizeArea(grey, Math.max(1, Math.round(grey.width * s)), Math.max(1, Math.round(grey.height * s)));
  }
  const eq = equalise(base);
  const levels = pyramid(eq, LEVEL_SCALE, opts.levels, MIN_LEVEL_SIDE);
  // Quotas by the square root of level area: ORB gives each level its share of the area, which leaves
  // the coarse levels - the ones that find a picture shown small (a collage tile) - with a handful.
  const areas = levels.map((l) => Math.sqrt(l.width * l.height));
  const total = areas.reduce((a, b) => a + b, 0);
  const kx: number[] = [];
  const ky: number[] = [];
  const kl: number[] = [];
  const ka: number[] = [];
  const desc: number[] = [];
  for (const [li, lv] of levels.entries()) {
    const quota = Math.round((opts.maxKeypoints * areas[li]) / total);
    if (quota < 1) continue;
    const pts = detect(lv, opts.fastThreshold, quota);
    if (pts.length === 0) continue;
    const sat = integral(lv);
    const sx = base.width / lv.width;
    const sy = base.height / lv.height;
    const d = new Uint32Array(DESCRIPTOR_WORDS);
    for (let k = 0; k < pts.length; k += 2) {
      const x = pts[k];
      const y = pts[k + 1];
      const a = orientation(lv, x, y);
      describe(sat, lv.width + 1, x, y, a, d);
      kx.push((x + 0.5) * sx - 0.5);
      ky.push((y + 0.5) * sy - 0.5);
      kl.push(li);
      ka.push(a);
      for (let w = 0; w < DESCRIPTOR_WORDS; w++) desc.push(d[w]);
    }
  }
  return {
    width: base.width,
    height: base.height,
    count: kx.length,
    x: Float32Array.from(kx),
    y: Float32Array.from(ky),
    level: Uint8Array.from(kl),
    angle: Uint8Array.from(ka),
    descriptors: Uint32Array.from(desc),
  };
}

/**
 * FAST-9 corners, non-maximum suppressed on a cheap score, then the best by Harris response with at
 * most ~2x its fair share per grid cell. Returns [x0, y0, x1, y1, ...].
 */
function detect(img: GreyImage, t: number, quota: number): number[] {
  const { width: w, height: h, data } = img;
  const off = CIRCLE.map(([dx, dy]) => dy * w + dx);
  const score = new Float32Array(w * h);
  const cand: number[] = [];
  for (let y = BORDER; y < h - BORDER; y++) {
    for (let x = BORDER; x < w - BORDER; x++) {
      const i = y * w + x;
      const c = data[i];
      const hi = c + t;
      const lo = c - t;
      // Any arc of 9 contains pixel 0 or 8, and pixel 4 or 12.
      const p0 = data[i + off[0]], p8 = data[i + off[8]];
      if (p0 <= hi && p0 >= lo && p8 <= hi && p8 >= lo) continue;
      const p4 = data[i + off[4]], p12 = data[i + off[12]];
      if (p4 <= hi && p4 >= lo && p12 <= hi && p12 >= lo) continue;
      let bright = 0;
      let dark = 0;
      let s = 0;
      for (let k = 0; k < 16; k++) {
        const p = data[i + off[k]];
        if (p > hi) { bright |= 1 << k; s += p - hi; }
        else if (p < lo) { dark |= 1 << k; s += lo - p; }
      }
      if (!hasArc9(bright) && !hasArc9(dark)) continue;
      score[i] = s;
      cand.push(i);
    }
  }
  // 3x3 non-maximum suppression; per grid cell only the best few by FAST score go on to the (costlier)
  // Harris ranking, so the detector's cost does not grow with texture.
  const cellW = (w - 2 * BORDER) / GRID;
  const cellH = (h - 2 * BORDER) / GRID;
  const cellOf = (i: number) => {
    const x = i % w;
    const y = (i - x) / w;
    return Math.min(GRID - 1, Math.floor((y - BORDER) / cellH)) * GRID + Math.min(GRID - 1, Math.floor((x - BORDER) / cellW));
  };
  const buckets: number[][] = Array.from({ length: GRID * GRID }, () => []);
  for (const i of cand) {
    const s = score[i];
    if (s < score[i - 1] || s <= score[i + 1] || s < score[i - w - 1] || s < score[i - w] || s < score[i - w + 1] || s <= score[i + w - 1] || s <= score[i + w] || s <= score[i + w + 1]) continue;
    buckets[cellOf(i)].push(i);
  }
  const shortlist = Math.max(8, Math.ceil((8 * quota) / (GRID * GRID)));
  const kept: Array<[number, number]> = [];
  for (const b of buckets) {
    if (b.length > shortlist) {
      b.sort((p, q) => score[q] - score[p]);
      b.length = shortlist;
    }
    for (const i of b) kept.push([i, harris(data, w, i)]);
  }
  kept.sort((a, b) => b[1] - a[1]);
  const cap = Math.max(2, Math.ceil((2 * quota) / (GRID * GRID)));
  const perCell = new Int32Array(GRID * GRID);
  const out: number[] = [];
  const skipped: number[] = [];
  for (const [i, r] of kept) {
    if (out.length >= 2 * quota) break;
    if (r <= 0) break;
    const x = i % w;
    const y = (i - x) / w;
    const cell = cellOf(i);
    if (perCell[cell] >= cap) { skipped.push(x, y); continue; }
    perCell[cell]++;
    out.push(x, y);
  }
  for (let k = 0; k < skipped.length && out.length < 2 * quota; k += 2) out.push(skipped[k], skipped[k + 1]);
  return out;
}

function hasArc9(mask: number): boolean {
  if (mask === 0) return false;
  let m = mask | (mask << 16);
  // m & m>>1 & ... & m>>8 nonzero means 9 consecutive set bits (with wrap-around).
  m &= m >>> 1;
  m &= m >>> 2;
  m &= m >>> 4;
  m &= m >>> 1;
  return m !== 0;
}

/** Harris response over a 7x7 window of Sobel gradients (k = 0.04), as ORB ranks its corners. */
function harris(d: Uint8Array, w: number, c: number): number {
  let a = 0, b = 0, cc = 0;
  for (let dy = -3; dy <= 3; dy++) {
    for (let dx = -3; dx <= 3; dx++) {
      const i = c + dy * w + dx;
      const gx = d[i - w + 1] + 2 * d[i + 1] + d[i + w + 1] - d[i - w - 1] - 2 * d[i - 1] - d[i + w - 1];
      const gy = d[i + w - 1] + 2 * d[i + w] + d[i + w + 1] - d[i - w - 1] - 2 * d[i - w] - d[i - w + 1];
      a += gx * gx;
      b += gy * gy;
      cc += gx * gy;
    }
  }
  return a * b - cc * cc - 0.04 * (a + b) * (a + b);
}

// Offsets of the circular orientation patch.
const DISC: Array<[number, number]> = [];
for (let dy = -PATCH_RADIUS; dy <= PATCH_RADIUS; dy++) for (let dx = -PATCH_RADIUS; dx <= PATCH_RADIUS; dx++) if (dx * dx + dy * dy <= PATCH_RADIUS * PATCH_RADIUS) DISC.push([dx, dy]);

/** Intensity-centroid orientation in 1/256 of a turn. */
function orientation(img: GreyImage, x: number, y: number): number {
  const { width: w, data } = img;
  let m10 = 0;
  let m01 = 0;
  const c = y * w + x;
  for (const [dx, dy] of DISC) {
    const v = data[c + dy * w + dx];
    m10 += dx * v;
    m01 += dy * v;
  }
  const a = Math.atan2(m01, m10);
  return Math.round((a / (2 * Math.PI)) * 256) & 255;
}

/**
 * Steered BRIEF: bit k is 1 when the 5x5 box mean at the pair's first point is darker than at its
 * second. Box sums come from the summed-area table `sat` (row length W = level width + 1).
 */
function describe(sat: Int32Array, W: number, x: number, y: number, angle: number, out: Uint32Array): void {
  const bin = Math.round((angle * ANGLE_BINS) / 256) % ANGLE_BINS;
  const p = STEERED_PATTERNS[bin];
  // Box [x - 2, x + 2] x [y - 2, y + 2] = sat corners at (x - 2, y - 2) and (x + 3, y + 3).
  const c = (y - BOX) * W + (x - BOX);
  const dx = 2 * BOX + 1;
  const dy = dx * W;
  out.fill(0);
  for (let k = 0; k < 256; k++) {
    const q = k * 4;
    const i = c + p[q + 1] * W + p[q];
    const j = c + p[q + 3] * W + p[q + 2];
    const a = sat[i + dy + dx] - sat[i + dy] - sat[i + dx] + sat[i];
    const b = sat[j + dy + dx] - sat[j + dy] - sat[j + dx] + sat[j];
    if (a < b) out[k >>> 5] |= 1 << (k & 31);
  }
}
