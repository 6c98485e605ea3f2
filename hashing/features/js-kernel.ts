/**
 * The reference implementation of the feature kernel (kernel.ts): the loops of extraction that touch
 * every pixel or every sample, in plain TypeScript on typed arrays. native/features.c computes the same
 * bytes faster; this one is what it is tested against, and what runs when the addon is not built (or
 * STAYDOWN_FEATURES_KERNEL=js).
 */
import { ANGLE_BINS, PATTERN_EXTENT, STEERED_PATTERNS } from './brief-pattern.ts';
import { popcount32 } from '../bits.ts';
import { DESCRIPTOR_WORDS, type GreyImage } from './types.ts';
import type { FeatureKernel, NearestPairs } from './kernel.ts';

/** Orientation patch radius (ORB's 31 px patch) and the margin every keypoint keeps from the edge. */
export const PATCH_RADIUS = 15;
/** Descriptor samples are 5x5 box means (the smoothing BRIEF needs), so the pattern reaches 2 px further. */
export const BOX = 2;
export const BORDER = Math.max(PATCH_RADIUS, PATTERN_EXTENT + BOX) + 2;
/** Grid used to spread keypoints: cells per side. */
export const GRID = 8;

// FAST circle of radius 3, clockwise from 12 o'clock.
const CIRCLE = [[0, -3], [1, -3], [2, -2], [3, -1], [3, 0], [3, 1], [2, 2], [1, 3], [0, 3], [-1, 3], [-2, 2], [-3, 1], [-3, 0], [-3, -1], [-2, -2], [-1, -3]];

export const JS_KERNEL: FeatureKernel = Object.freeze({ name: 'js' as const, greyFromSrgb, reduceLinear, nearestPairs, resizeArea, equalise, shrinkBilinear, boxSums, detect, moments, describe, uniformLines });

// libvips' B_W from 8-bit sRGB (colour/LabQ2sRGB.c, vips_col_scRGB2BW_8), in its single-precision
// arithmetic: each channel to linear light through a 256-entry table, Rec. 709 luminance, back to sRGB
// by interpolating in a 257-entry table, rounded half to even. Built here once and handed to the
// native kernel too, so the one transcendental step (pow) is V8's in both.
const f32 = Math.fround;
/** 8-bit sRGB to linear light (libvips' vips_v2Y_8). */
export const SRGB_TO_LINEAR = new Float32Array(256);
/** Linear light x 255 to 8-bit sRGB at whole steps, the last repeated for interpolation (vips_Y2v_8). */
export const LINEAR_TO_SRGB = new Int32Array(257);
const ONE_055 = f32(1 + f32(0.055));
for (let i = 0; i < 256; i++) {
  const x = f32(i / 255);
  const v = x <= 0.0031308 ? f32(f32(12.92) * x) : f32(f32(ONE_055 * f32(Math.pow(x, f32(1 / f32(2.4))))) - f32(0.055));
  LINEAR_TO_SRGB[i] = roundHalfEven(f32(255 * v));
  SRGB_TO_LINEAR[i] = x <= 0.04045 ? f32(x / f32(12.92)) : f32(Math.pow(f32(f32(x + f32(0.055)) / ONE_055), f32(2.4)));
}
LINEAR_TO_SRGB[256] = LINEAR_TO_SRGB[255];
const LUMA_R = f32(0.2126), LUMA_G = f32(0.7152), LUMA_B = f32(0.0722);

function roundHalfEven(v: number): number {
  const fl = Math.floor(v);
  const d = v - fl;
  return d > 0.5 || (d === 0.5 && fl % 2 !== 0) ? fl + 1 : fl;
}

/** sharp's `greyscale()` of 8-bit sRGB pixels, `channels` bytes a pixel (a 4th, alpha, is ignored). */
function greyFromSrgb(rgb: Uint8Array, channels: number, width: number, height: number): GreyImage {
  const n = width * height;
  if (!(channels === 3 || channels === 4) || rgb.length !== n * channels) throw new RangeError('greyFromSrgb: the data is not width x height pixels of 3 or 4 bytes.');
  const out = new Uint8Array(n);
  const lin = SRGB_TO_LINEAR, enc = LINEAR_TO_SRGB;
  for (let i = 0, j = 0; i < n; i++, j += channels) {
    const y = f32(f32(f32(LUMA_R * lin[rgb[j]]) + f32(LUMA_G * lin[rgb[j + 1]])) + f32(LUMA_B * lin[rgb[j + 2]]));
    const yf = Math.min(255, Math.max(0, f32(y * 255)));
    const yi = yf | 0;
    out[i] = roundHalfEven(f32(enc[yi] + f32(f32(enc[yi + 1] - enc[yi]) * f32(yf - yi))));
  }
  return { width, height, data: out };
}

// libvips' resize with the linear kernel (resample/resize.c: reducev, then reduceh), for a shrink of
// 1 to 4 (below libvips' integer pre-shrink): a triangle filter as wide as the shrink, its 65 sub-pixel
// phases as 12-bit fixed-point masks, edges repeated. What sharp's `resize(..., { kernel: 'linear' })`
// gives a grey picture, byte for byte, so decodeGrey can shrink after taking the grey itself.
export const REDUCE_PHASES = 64;
export const REDUCE_SHIFT = 12;

/** The masks of one axis: `points` taps for each of the 65 phases, Int16 as libvips keeps them. */
export function reduceMasks(shrink: number): { points: number; masks: Int16Array } {
  const points = 2 * roundHalfEven(shrink) + 1;
  const masks = new Int16Array((REDUCE_PHASES + 1) * points);
  const c = new Float64Array(points);
  for (let ph = 0; ph <= REDUCE_PHASES; ph++) {
    const half = f32(ph / REDUCE_PHASES) + points / 2 - 1;
    let sum = 0;
    for (let i = 0; i < points; i++) {
      const x = Math.abs((i - half) / shrink); // libvips 8.18 divides (later versions multiply by 1 / shrink)
      c[i] = x < 1 ? 1 - x : 0;
      sum += c[i];
    }
    for (let i = 0; i < points; i++) masks[ph * points + i] = Math.trunc((c[i] / sum) * (1 << REDUCE_SHIFT));
  }
  return { points, masks };
}

/** Each output line's first input line and mask phase along one axis of `n` pixels shrunk by `shrink`. */
export interface ReducePlan { out: number; first: Int32Array; phase: Int32Array; points: number; masks: Int16Array }

export function reducePlan(n: number, shrink: number): ReducePlan {
  const s = 1 / (1 / shrink);
  const out = Math.max(1, Math.trunc(n / s + 0.5));
  const offset = (1 + (out * s - n)) / 2 - 1;
  const { points, masks } = reduceMasks(s);
  const edge = Math.ceil(points / 2) - 1;
  const first = new Int32Array(out), phase = new Int32Array(out);
  let at = 0.5 * s - 0.5 - offset;
  for (let k = 0; k < out; k++, at += s) {
    first[k] = Math.trunc(at) - edge;
    phase[k] = (((Math.trunc(at * REDUCE_PHASES * 2) | 0) & (REDUCE_PHASES * 2 - 1)) + 1) >> 1;
  }
  return { out, first, phase, points, masks };
}

export function checkReduceShrink(shrink: number): void {
  if (!(shrink >= 1 && shrink < 4)) throw new RangeError(`reduceLinear: the shrink must be from 1 to under 4, not ${shrink}.`);
}

function reduceLinear(src: GreyImage, shrink: number): GreyImage {
  checkReduceShrink(shrink);
  if (shrink === 1) return src;
  const { width: w, height: h, data } = src;
  const round = 1 << (REDUCE_SHIFT - 1);
  const v = reducePlan(h, shrink);
  const mid = new Uint8Array(w * v.out);
  for (let y = 0; y < v.out; y++) {
    const m = v.phase[y] * v.points;
    for (let x = 0; x < w; x++) {
      let sum = round;
      for (let i = 0; i < v.points; i++) sum += v.masks[m + i] * data[Math.min(h - 1, Math.max(0, v.first[y] + i)) * w + x];
      mid[y * w + x] = Math.min(255, Math.max(0, sum >> REDUCE_SHIFT));
    }
  }
  const u = reducePlan(w, shrink);
  const out = new Uint8Array(u.out * v.out);
  for (let y = 0; y < v.out; y++) {
    const row = y * w;
    for (let x = 0; x < u.out; x++) {
      const m = u.phase[x] * u.points;
      let sum = round;
      for (let i = 0; i < u.points; i++) sum += u.masks[m + i] * mid[row + Math.min(w - 1, Math.max(0, u.first[x] + i))];
      out[y * u.out + x] = Math.min(255, Math.max(0, sum >> REDUCE_SHIFT));
    }
  }
  return { width: u.out, height: v.out, data: out };
}

function nearestPairs(qd: Uint32Array, qCount: number, rd: Uint32Array, rCount: number, prune: number, maxDistance: number, ratio: number): NearestPairs {
  const qi = new Int32Array(qCount);
  const ri = new Int32Array(qCount);
  const dist = new Int32Array(qCount);
  let n = 0;
  // The pruning words of the reference packed on their own (one cache line holds 16 of them).
  const r0 = new Uint32Array(rCount), r4 = new Uint32Array(rCount);
  for (let j = 0; j < rCount; j++) { r0[j] = rd[j * DESCRIPTOR_WORDS]; r4[j] = rd[j * DESCRIPTOR_WORDS + 4]; }
  for (let i = 0; i < qCount; i++) {
    const o = i * DESCRIPTOR_WORDS;
    const q0 = qd[o], q1 = qd[o + 1], q2 = qd[o + 2], q3 = qd[o + 3], q4 = qd[o + 4], q5 = qd[o + 5], q6 = qd[o + 6], q7 = qd[o + 7];
    let best = 257, second = 257, bj = -1;
    for (let j = 0; j < rCount; j++) {
      // Two words first: a random pair differs in ~32 of 64 bits, a pair within 64 of 256 in ~16; the
      // pruning loses < 0.5% of true pairs and skips ~93% of the work. Popcount of both words at once
      // (SWAR, summed before the byte step: each byte holds at most 16).
      let x = q0 ^ r0[j];
      x -= (x >>> 1) & 0x55555555;
      x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
      let y = q4 ^ r4[j];
      y -= (y >>> 1) & 0x55555555;
      y = (y & 0x33333333) + ((y >>> 2) & 0x33333333);
      let z = x + y;
      z = (z & 0x0f0f0f0f) + ((z >>> 4) & 0x0f0f0f0f);
      const h = Math.imul(z, 0x01010101) >>> 24;
      if (h > prune) continue;
      const p = j * DESCRIPTOR_WORDS;
      const d = h + popcount32(q1 ^ rd[p + 1]) + popcount32(q2 ^ rd[p + 2]) + popcount32(q3 ^ rd[p + 3])
        + popcount32(q5 ^ rd[p + 5]) + popcount32(q6 ^ rd[p + 6]) + popcount32(q7 ^ rd[p + 7]);
      if (d < best) { second = best; best = d; bj = j; }
      else if (d < second) second = d;
    }
    if (bj >= 0 && best <= maxDistance && best < ratio * second) {
      qi[n] = i; ri[n] = bj; dist[n] = best; n++;
    }
  }
  return { n, qi, ri, dist };
}

/** Area-average resize (a box filter with fractional edges): the right filter for shrinking. */
function resizeArea(src: GreyImage, w: number, h: number): GreyImage {
  if (w === src.width && h === src.height) return src;
  const tmp = new Float32Array(w * src.height);
  resample1d(src.data, src.width, src.height, w, tmp);
  const out = new Float32Array(w * h);
  resample1dCols(tmp, w, src.height, h, out);
  const data = new Uint8Array(w * h);
  for (let i = 0; i < data.length; i++) data[i] = out[i] + 0.5;
  return { width: w, height: h, data };
}

/** Rows: src (sw x rows) -> dst (dw x rows), each output the mean of its footprint. */
function resample1d(src: ArrayLike<number>, sw: number, rows: number, dw: number, dst: Float32Array): void {
  const scale = sw / dw;
  const { idx, wt, start } = footprints(sw, dw, scale);
  for (let y = 0; y < rows; y++) {
    const so = y * sw;
    const doff = y * dw;
    for (let x = 0; x < dw; x++) {
      let s = 0;
      for (let k = start[x]; k < start[x + 1]; k++) s += src[so + idx[k]] * wt[k];
      dst[doff + x] = s;
    }
  }
}

function resample1dCols(src: Float32Array, w: number, sh: number, dh: number, dst: Float32Array): void {
  const scale = sh / dh;
  const { idx, wt, start } = footprints(sh, dh, scale);
  for (let y = 0; y < dh; y++) {
    const doff = y * w;
    for (let k = start[y]; k < start[y + 1]; k++) {
      const so = idx[k] * w;
      const f = wt[k];
      for (let x = 0; x < w; x++) dst[doff + x] += src[so + x] * f;
    }
  }
}

/** For each output sample, the input samples it covers and their weights (summing to 1). */
function footprints(n: number, m: number, scale: number): { idx: Int32Array; wt: Float32Array; start: Int32Array } {
  const idx: number[] = [];
  const wt: number[] = [];
  const start = new Int32Array(m + 1);
  for (let i = 0; i < m; i++) {
    start[i] = idx.length;
    const a = i * scale;
    let b = (i + 1) * scale;
    if (scale < 1) {
      // Upscaling (not used by the pyramid, kept correct): linear interpolation.
      const c = (i + 0.5) * scale - 0.5;
      const c0 = Math.max(0, Math.floor(c));
      const c1 = Math.min(n - 1, c0 + 1);
      const f = Math.min(1, Math.max(0, c - c0));
      idx.push(c0, c1);
      wt.push(1 - f, f);
      continue;
    }
    b = Math.min(b, n);
    for (let k = Math.floor(a); k < b; k++) {
      const lo = Math.max(a, k);
      const hi = Math.min(b, k + 1);
      if (hi > lo) {
        idx.push(k);
        wt.push((hi - lo) / (b - a));
      }
    }
  }
  start[m] = idx.length;
  return { idx: Int32Array.from(idx), wt: Float32Array.from(wt), start };
}

/**
 * Histogram equalisation with each bin clipped at `clip` times the mean bin (the excess spread evenly).
 * Detection then no longer depends on gamma, brightness or contrast changes (any monotonic remapping
 * of grey levels), while the clip keeps flat pictures from having their noise blown up into corners.
 * Binary descriptors compare pixel pairs, so they are unchanged by the monotonic mapping itself.
 */
function equalise(img: GreyImage, clip: number): GreyImage {
  const n = img.data.length;
  const hist = new Float64Array(256);
  for (let i = 0; i < n; i++) hist[img.data[i]]++;
  const limit = (clip * n) / 256;
  let excess = 0;
  for (let v = 0; v < 256; v++) if (hist[v] > limit) { excess += hist[v] - limit; hist[v] = limit; }
  const lut = new Uint8Array(256);
  let acc = 0;
  for (let v = 0; v < 256; v++) {
    acc += hist[v] + excess / 256;
    lut[v] = Math.min(255, Math.round((acc / n) * 255));
  }
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i++) data[i] = lut[img.data[i]];
  return { width: img.width, height: img.height, data };
}

/** Bilinear shrink by less than 2x (pyramid steps), in 8-bit fixed point. */
function shrinkBilinear(src: GreyImage, w: number, h: number): GreyImage {
  const { width: sw, height: sh, data: s } = src;
  const fx = sw / w;
  const fy = sh / h;
  const x0 = new Int32Array(w);
  const wx = new Int32Array(w);
  for (let x = 0; x < w; x++) {
    const c = Math.max(0, (x + 0.5) * fx - 0.5);
    x0[x] = Math.min(sw - 2, Math.floor(c));
    wx[x] = Math.min(256, Math.round((c - x0[x]) * 256));
  }
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const c = Math.max(0, (y + 0.5) * fy - 0.5);
    const y0 = Math.min(sh - 2, Math.floor(c));
    const wy = Math.min(256, Math.round((c - y0) * 256));
    const r0 = y0 * sw;
    const r1 = r0 + sw;
    const o = y * w;
    for (let x = 0; x < w; x++) {
      const i = x0[x];
      const a = wx[x];
      const top = s[r0 + i] * (256 - a) + s[r0 + i + 1] * a;
      const bot = s[r1 + i] * (256 - a) + s[r1 + i + 1] * a;
      data[o + x] = (top * (256 - wy) + bot * wy + 32768) >>> 16;
    }
  }
  return { width: w, height: h, data };
}

/**
 * FAST-9 corners, non-maximum suppressed on a cheap score, then the best by Harris response with at
 * most ~2x its fair share per grid cell. `fairFirst`: every cell first takes its fair share (quota /
 * cells) of its best corners, then the rest go by response up to the cap - so a low-contrast part of
 * the picture (a smooth picture posted beside or inside a busy one) is not crowded out. Returns
 * [x0, y0, x1, y1, ...].
 */
function detect(img: GreyImage, t: number, quota: number, fairFirst = false): number[] {
  const { width: w, height: h, data } = img;
  const off = Int32Array.from(CIRCLE, ([dx, dy]) => dy * w + dx);
  const [o0, o1, o2, o3, o4, o5, o6, o7, o8, o9, o10, o11, o12, o13, o14, o15] = off;
  // Class of a circle pixel by its difference to the centre: 2 brighter by more than t, 1 darker.
  const tab = new Uint8Array(511);
  for (let dv = -255; dv <= 255; dv++) tab[dv + 255] = dv > t ? 2 : dv < -t ? 1 : 0;
  const score = scratchScores(w * h);
  const cand: number[] = [];
  for (let y = BORDER; y < h - BORDER; y++) {
    for (let x = BORDER, i = y * w + BORDER; x < w - BORDER; x++, i++) {
      const c = data[i];
      const hi = c + t;
      const lo = c - t;
      // An arc of 9 holds at least one pixel of every opposite pair (k, k + 8): its complement is
      // only 7 long. So, as OpenCV's FAST does, AND the pairs' classes (1 dark, 2 bright, from a table:
      // no data-dependent branches) and drop the pixel as soon as neither class is left.
      const tb = 255 - c;
      let v = tab[data[i + o0] + tb] | tab[data[i + o8] + tb];
      if (v === 0) continue;
      v &= tab[data[i + o4] + tb] | tab[data[i + o12] + tb];
      v &= tab[data[i + o2] + tb] | tab[data[i + o10] + tb];
      v &= tab[data[i + o6] + tb] | tab[data[i + o14] + tb];
      if (v === 0) continue;
      v &= tab[data[i + o1] + tb] | tab[data[i + o9] + tb];
      v &= tab[data[i + o3] + tb] | tab[data[i + o11] + tb];
      v &= tab[data[i + o5] + tb] | tab[data[i + o13] + tb];
      v &= tab[data[i + o7] + tb] | tab[data[i + o15] + tb];
      if (v === 0) continue;
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
  try {
    return select(img, score, cand, quota, fairFirst);
  } finally {
    // The score buffer is shared between levels and calls: leave it all zero again.
    for (const i of cand) score[i] = 0;
  }
}

let scores = new Float32Array(0);
function scratchScores(n: number): Float32Array {
  if (scores.length < n) scores = new Float32Array(n);
  return scores;
}

function select(img: GreyImage, score: Float32Array, cand: number[], quota: number, fairFirst: boolean): number[] {
  const { width: w, height: h, data } = img;
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
  const shortlist = Math.max(6, Math.ceil((4 * quota) / (GRID * GRID)));
  const kept: Array<[number, number]> = [];
  for (const b of buckets) {
    if (b.length > shortlist) {
      // The shortlist-th best score by selection (a full sort of busy cells cost more than FAST itself).
      const vals = scratchValues(b.length);
      for (let k = 0; k < b.length; k++) vals[k] = score[b[k]];
      const cut = kthLargest(vals, b.length, shortlist);
      let taken = 0;
      for (const i of b) if (score[i] > cut && taken < shortlist) { kept.push([i, harris(data, w, i)]); taken++; }
      for (const i of b) if (score[i] === cut && taken < shortlist) { kept.push([i, harris(data, w, i)]); taken++; }
      continue;
    }
    for (const i of b) kept.push([i, harris(data, w, i)]);
  }
  kept.sort((a, b) => b[1] - a[1]);
  const cap = Math.max(2, Math.ceil((2 * quota) / (GRID * GRID)));
  const perCell = new Int32Array(GRID * GRID);
  const out: number[] = [];
  const skipped: number[] = [];
  const fair = fairFirst ? Math.ceil(quota / (GRID * GRID)) : 0;
  const taken = new Uint8Array(fair > 0 ? kept.length : 0);
  if (fair > 0) {
    for (let k = 0; k < kept.length; k++) {
      const [i, r] = kept[k];
      if (out.length >= 2 * quota || r <= 0) break;
      const cell = cellOf(i);
      if (perCell[cell] >= fair) continue;
      perCell[cell]++;
      taken[k] = 1;
      const x = i % w;
      out.push(x, (i - x) / w);
    }
  }
  for (let k = 0; k < kept.length; k++) {
    const [i, r] = kept[k];
    if (out.length >= 2 * quota) break;
    if (r <= 0) break;
    if (taken.length > 0 && taken[k]) continue;
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

let values = new Float32Array(0);
function scratchValues(n: number): Float32Array {
  if (values.length < n) values = new Float32Array(Math.max(n, 2 * values.length));
  return values;
}

/** The k-th largest value (1-based) of a[0..n), which it reorders (Hoare's selection). */
function kthLargest(a: Float32Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  const target = k - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] > pivot) i++;
      while (a[j] < pivot) j--;
      if (i <= j) {
        const t = a[i]; a[i] = a[j]; a[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break;
  }
  return a[target];
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
const HX = new Int32Array(9 * 7);
const VY = new Int32Array(7 * 9);
function harris(d: Uint8Array, w: number, c: number): number {
  // Sobel is separable: differences along one axis (over the 9x9 pixels the window's gradients read),
  // then [1 2 1] along the other. The sums are integers, so this is exactly the direct 12-read Sobel.
  const o = c - 4 * w - 4;
  for (let r = 0; r < 9; r++) {
    const row = o + r * w;
    for (let k = 0; k < 7; k++) HX[r * 7 + k] = d[row + k + 2] - d[row + k];
  }
  for (let r = 0; r < 7; r++) {
    const row = o + (r + 1) * w;
    for (let k = 0; k < 9; k++) VY[r * 9 + k] = d[row + w + k] - d[row - w + k];
  }
  let a = 0, b = 0, cc = 0;
  for (let r = 0; r < 7; r++) {
    for (let k = 0; k < 7; k++) {
      const gx = HX[r * 7 + k] + 2 * HX[(r + 1) * 7 + k] + HX[(r + 2) * 7 + k];
      const v = r * 9 + k;
      const gy = VY[v] + 2 * VY[v + 1] + VY[v + 2];
      a += gx * gx;
      b += gy * gy;
      cc += gx * gy;
    }
  }
  return a * b - cc * cc - 0.04 * (a + b) * (a + b);
}

// Half-width of the circular orientation patch on each row dy = -R..R.
const SPAN = Int32Array.from({ length: 2 * PATCH_RADIUS + 1 }, (_, k) => Math.floor(Math.sqrt(PATCH_RADIUS * PATCH_RADIUS - (k - PATCH_RADIUS) ** 2)));

/** Intensity-centroid moments [m10, m01] over the disc of radius PATCH_RADIUS at each point of `pts`. */
function moments(img: GreyImage, pts: ArrayLike<number>): Int32Array {
  // Read straight from the ~700 pixels of the disc: cheaper than prefix sums over the whole level
  // when only ~1500 keypoints are described, and the same integer moments.
  const { width: w, data } = img;
  const out = new Int32Array(pts.length);
  for (let p = 0; p < pts.length; p += 2) {
    const cx = pts[p];
    const cy = pts[p + 1];
    let m10 = 0;
    let m01 = 0;
    for (let k = 0; k <= 2 * PATCH_RADIUS; k++) {
      const dy = k - PATCH_RADIUS;
      const span = SPAN[k];
      const o = (cy + dy) * w + cx;
      let s = 0;
      let sx = 0;
      for (let dx = -span; dx <= span; dx++) {
        const v = data[o + dx];
        s += v;
        sx += dx * v;
      }
      m10 += sx;
      m01 += dy * s;
    }
    out[p] = m10;
    out[p + 1] = m01;
  }
  return out;
}

/**
 * 5x5 box sums of every pixel (zero within 2 px of the edge, where no keypoint is described): the
 * smoothing BRIEF needs, in two separable passes, so a descriptor bit costs two reads.
 */
function boxSums(img: GreyImage): Uint16Array {
  const { width: w, height: h, data } = img;
  const out = new Uint16Array(w * h);
  if (h < 2 * BOX + 1 || w < 2 * BOX + 1) return out;
  // Column sums of the 5 rows around y, slid down one row at a time; then a 5-wide sum along x.
  const col = new Uint16Array(w);
  for (let r = 0; r < 2 * BOX + 1; r++) for (let x = 0, o = r * w; x < w; x++) col[x] += data[o + x];
  for (let y = BOX; y < h - BOX; y++) {
    if (y > BOX) {
      const add = (y + BOX) * w;
      const sub = (y - BOX - 1) * w;
      for (let x = 0; x < w; x++) col[x] += data[add + x] - data[sub + x];
    }
    const o = y * w;
    let s = col[0] + col[1] + col[2] + col[3];
    for (let x = BOX; x < w - BOX; x++) {
      s += col[x + BOX];
      out[o + x] = s;
      s -= col[x - BOX];
    }
  }
  return out;
}

/** Per angle bin, the 512 sample offsets of the steered pattern in a picture of row length `w`. */
function patternOffsets(w: number): Int32Array {
  const out = new Int32Array(ANGLE_BINS * 512);
  for (let b = 0; b < ANGLE_BINS; b++) {
    const p = STEERED_PATTERNS[b];
    for (let k = 0; k < 512; k++) out[b * 512 + k] = p[2 * k + 1] * w + p[2 * k];
  }
  return out;
}

/** Steered BRIEF: bit k is 1 when the 5x5 box at the pair's first point is darker than at its second. */
function describe(img: GreyImage, pts: ArrayLike<number>, angles: Uint8Array, out: Uint32Array, o: number): void {
  if (pts.length === 0) return;
  const box = boxSums(img);
  const offsets = patternOffsets(img.width);
  const w = img.width;
  for (let p = 0, d = o; p < pts.length; p += 2, d += DESCRIPTOR_WORDS) describeOne(box, offsets, pts[p + 1] * w + pts[p], angles[p >> 1], out, d);
}

function describeOne(box: Uint16Array, offsets: Int32Array, c: number, angle: number, out: Uint32Array, o: number): void {
  const bin = Math.round((angle * ANGLE_BINS) / 256) % ANGLE_BINS;
  const base = bin * 512;
  for (let w = 0; w < DESCRIPTOR_WORDS; w++) {
    let word = 0;
    for (let bit = 0; bit < 32; bit++) {
      const q = base + (w * 32 + bit) * 2;
      // Branch-free: a coin-flip comparison mispredicts half the time. The sums are uint16, so the
      // difference is negative exactly when the first is smaller.
      word |= ((box[c + offsets[q]] - box[c + offsets[q + 1]]) >>> 31) << bit;
    }
    out[o + w] = word >>> 0;
  }
}

/**
 * For each row (`rows`) or column of rectangle `r`: 1 when at most `outliers` of its pixels (a share)
 * are more than `tolerance` grey levels off its mean (panels.ts cuts on runs of such lines).
 */
function uniformLines(g: GreyImage, r: { x: number; y: number; w: number; h: number }, rows: boolean, outliers: number, tolerance: number): Uint8Array {
  const lines = rows ? r.h : r.w;
  const out = new Uint8Array(lines);
  const { data, width } = g;
  const n = rows ? r.w : r.h;
  const step = rows ? 1 : width;
  const allowed = Math.floor(outliers * n);
  for (let k = 0; k < lines; k++) {
    const o = rows ? (r.y + k) * width + r.x : r.y * width + r.x + k;
    let sum = 0;
    for (let i = 0, p = o; i < n; i++, p += step) sum += data[p];
    const mean = sum / n;
    let off = 0;
    let uniform = 1;
    for (let i = 0, p = o; i < n; i++, p += step) if (Math.abs(data[p] - mean) > tolerance && ++off > allowed) { uniform = 0; break; }
    out[k] = uniform;
  }
  return out;
}
