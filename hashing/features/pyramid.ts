/**
 * Grey-picture helpers for local features: RGBA to grey, area resizing, a contrast-limited histogram
 * equalisation, a small Gaussian blur and the scale pyramid. Pure TypeScript on typed arrays.
 */
import type { GreyImage } from './types.ts';

/** Rec. 601 luma (PDQ's weights), one byte a pixel. */
export function greyFromRgba(img: { width: number; height: number; data: Uint8Array }, channels = 4): GreyImage {
  const n = img.width * img.height;
  const out = new Uint8Array(n);
  const d = img.data;
  for (let i = 0, j = 0; i < n; i++, j += channels) out[i] = (d[j] * 299 + d[j + 1] * 587 + d[j + 2] * 114 + 500) / 1000;
  return { width: img.width, height: img.height, data: out };
}

/** Area-average resize (a box filter with fractional edges): the right filter for shrinking. */
export function resizeArea(src: GreyImage, w: number, h: number): GreyImage {
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
export function equalise(img: GreyImage, clip = 4): GreyImage {
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

/** Summed-area table, (w + 1) x (h + 1), so any box sum costs four reads. */
export function integral(img: GreyImage): Int32Array {
  const { width: w, height: h, data } = img;
  const W = w + 1;
  const out = new Int32Array(W * (h + 1));
  for (let y = 0; y < h; y++) {
    let row = 0;
    let src = y * w;
    let above = y * W + 1;
    let dst = above + W;
    for (let x = 0; x < w; x++) {
      row += data[src++];
      out[dst++] = out[above++] + row;
    }
  }
  return out;
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

/** Level l is level 0 shrunk by step^l; stops before the shorter side drops under `minSide`. */
export function pyramid(base: GreyImage, step: number, maxLevels: number, minSide: number): GreyImage[] {
  const levels = [base];
  for (let l = 1; l < maxLevels; l++) {
    const s = step ** l;
    const w = Math.round(base.width / s);
    const h = Math.round(base.height / s);
    if (Math.min(w, h) < minSide) break;
    // From the previous level, bilinear like ORB's pyramid: each step is a shrink by less than 2.
    levels.push(shrinkBilinear(levels[l - 1], w, h));
  }
  return levels;
}
