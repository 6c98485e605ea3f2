/**
 * PDQ-style hashes of parts of an image (a crop, the content inside borders, a slightly rotated
 * rectangle) without re-decoding or re-filtering the pixels for each one.
 *
 * The luminance image is turned once into a summed-area table. Inside each pixel the table is bilinear,
 * so interpolating it at fractional coordinates gives the exact integral of the pixel-constant image:
 * the mean of any axis-aligned box, with fractional edges, costs 4 look-ups. A region's 64x64 grid is
 * then the box mean of each of its 64x64 cells - an area resample that plays the role of PDQ's Jarosz
 * filter - followed by PDQ's own quality, DCT and median threshold. A view costs ~0.1 ms whatever the
 * image size, so a dozen views cost less than one full PDQ.
 *
 * The hashes are not bit-identical to PDQ of the cropped file (the box differs from the Jarosz tent);
 * they land within a few bits of it, which is what matching needs (see test/hashing/robust-views.test.ts).
 */
import { gradientQuality, thresholdToHex } from './pdq-hasher.ts';

const SIDE = 64;
const HALF = SIDE / 2;
const DCT_SIDE = 16;

// Rows 1..16 of the 64-point DCT-II, as PDQ uses them, for the first 32 samples only: row i is
// symmetric (i odd) or antisymmetric (i even) about the middle, so the other half is implied.
const DCT_HALF: Float64Array = (() => {
  const m = new Float64Array(DCT_SIDE * HALF);
  const scale = Math.sqrt(2 / SIDE);
  for (let i = 0; i < DCT_SIDE; i++) {
    for (let k = 0; k < HALF; k++) m[i * HALF + k] = scale * Math.cos((Math.PI / 2 / SIDE) * (i + 1) * (2 * k + 1));
  }
  return m;
})();

export interface LumaImage {
  data: Float32Array;
  width: number;
  height: number;
}

/** A region of the image: centre, size (pixels) and a rotation (radians, counter-clockwise as seen). */
export interface Region {
  cx: number;
  cy: number;
  w: number;
  h: number;
  /** The region's x axis is rotated by this angle from the image's x axis. */
  angle?: number;
}

export interface RegionHash {
  hash: string;
  quality: number;
  dct: Float64Array;
}

/**
 * Luminance shrunk by an integer factor (box average) so that its longest side is at most `maxSide`:
 * region hashes need ~2 pixels per grid cell, not the full working copy, and the table is then 4-16x
 * cheaper to build. Returns the image and the factor (working-copy pixels per shrunk pixel).
 *
 * Transparent pixels are composited over white: sites flatten a transparent PNG when they re-encode it
 * (usually onto white), and the colour hidden under a transparent pixel means nothing.
 */
export function shrunkLuma(data: Uint8Array, width: number, height: number, maxSide: number): { luma: LumaImage; factor: number } {
  const f = Math.max(1, Math.floor(Math.max(width, height) / maxSide));
  const w = Math.floor(width / f);
  const h = Math.floor(height / f);
  const out = new Float32Array(w * h);
  const inv = 1 / (f * f * 255);
  for (let y = 0; y < h; y++) {
    for (let dy = 0; dy < f; dy++) {
      let o = ((y * f + dy) * width) << 2;
      const row = y * w;
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let dx = 0; dx < f; dx++, o += 4) {
          const a = data[o + 3];
          s += a * (0.299 * data[o] + 0.587 * data[o + 1] + 0.114 * data[o + 2]) + (255 - a) * 255;
        }
        out[row + x] += s * inv;
      }
    }
  }
  return { luma: { data: out, width: w, height: h }, factor: f };
}

/** Summed-area table with a zero first row and column: sat[(y)(w+1) + x] = sum of pixels above-left. */
export class SummedArea {
  readonly width: number;
  readonly height: number;
  /** The table itself, (width + 1) x (height + 1), row-major. */
  readonly table: Float64Array;

  constructor(img: LumaImage) {
    const { width, height, data } = img;
    this.width = width;
    this.height = height;
    const stride = width + 1;
    const sat = new Float64Array(stride * (height + 1));
    for (let y = 0; y < height; y++) {
      let rowSum = 0;
      const src = y * width;
      const above = y * stride;
      const here = above + stride;
      for (let x = 0; x < width; x++) {
        rowSum += data[src + x];
        sat[here + x + 1] = sat[above + x + 1] + rowSum;
      }
    }
    this.table = sat;
  }

  /** Integral of the image over [0, x] x [0, y] for real x, y (clamped to the image). */
  integral(x: number, y: number): number {
    const w = this.width;
    const h = this.height;
    x = x < 0 ? 0 : x > w ? w : x;
    y = y < 0 ? 0 : y > h ? h : y;
    let x0 = Math.floor(x);
    let y0 = Math.floor(y);
    if (x0 === w) x0 = w - 1;
    if (y0 === h) y0 = h - 1;
    const fx = x - x0;
    const fy = y - y0;
    const stride = w + 1;
    const i = y0 * stride + x0;
    const s = this.table;
    return (
      s[i] * (1 - fx) * (1 - fy) + s[i + 1] * fx * (1 - fy) + s[i + stride] * (1 - fx) * fy + s[i + stride + 1] * fx * fy
    );
  }

  /** Mean of the image over the box [x0, x1] x [y0, y1] (clamped to the image). */
  mean(x0: number, y0: number, x1: number, y1: number): number {
    const cx0 = Math.max(0, x0);
    const cy0 = Math.max(0, y0);
    const cx1 = Math.min(this.width, x1);
    const cy1 = Math.min(this.height, y1);
    const area = (cx1 - cx0) * (cy1 - cy0);
    if (area <= 1e-9) return 0;
    return (this.integral(cx1, cy1) - this.integral(cx0, cy1) - this.integral(cx1, cy0) + this.integral(cx0, cy0)) / area;
  }
}

/** The 64x64 grid of box means over a region (rotated regions: each cell's box is centred on the rotated cell centre). */
export function regionGrid(sa: SummedArea, r: Region): Float32Array {
  if (!r.angle) return alignedGrid(sa, r);
  const grid = new Float32Array(SIDE * SIDE);
  const cw = r.w / SIDE;
  const ch = r.h / SIDE;
  const cos = Math.cos(r.angle);
  const sin = Math.sin(r.angle);
  for (let i = 0; i < SIDE; i++) {
    const v = (i + 0.5) * ch - r.h / 2;
    for (let j = 0; j < SIDE; j++) {
      const u = (j + 0.5) * cw - r.w / 2;
      const x = r.cx + u * cos - v * sin;
      const y = r.cy + u * sin + v * cos;
      grid[i * SIDE + j] = sa.mean(x - cw / 2, y - ch / 2, x + cw / 2, y + ch / 2);
    }
  }
  return grid;
}

/**
 * Axis-aligned regions share cell edges: the table is read once at the 65x65 cell corners (4x fewer
 * reads than four corners per cell). The region must lie inside the image (all of staydown's do).
 */
// Scratch space reused by every call (hashing is synchronous, so calls never overlap): a reference image
// hashes about a hundred regions, and fresh arrays for each made garbage collection a third of the cost.
const CORNERS = new Float64Array((SIDE + 1) * (SIDE + 1));
const DCT_SUM = new Float64Array(HALF * SIDE);
const DCT_DIF = new Float64Array(HALF * SIDE);
const DCT_TMP = new Float64Array(DCT_SIDE * SIDE);

function alignedGrid(sa: SummedArea, r: Region): Float32Array {
  const n = SIDE + 1;
  const xs = edges(r.cx - r.w / 2, r.w / SIDE, sa.width);
  const ys = edges(r.cy - r.h / 2, r.h / SIDE, sa.height);
  const corners = CORNERS;
  const stride = sa.width + 1;
  const t = sa.table;
  for (let i = 0; i < n; i++) {
    const y0 = ys.index[i];
    const fy = ys.frac[i];
    for (let j = 0; j < n; j++) {
      const k = y0 * stride + xs.index[j];
      const fx = xs.frac[j];
      const top = t[k] + (t[k + 1] - t[k]) * fx;
      const bot = t[k + stride] + (t[k + stride + 1] - t[k + stride]) * fx;
      corners[i * n + j] = top + (bot - top) * fy;
    }
  }
  const grid = new Float32Array(SIDE * SIDE);
  const inv = 1 / ((r.w / SIDE) * (r.h / SIDE));
  for (let i = 0; i < SIDE; i++) {
    for (let j = 0; j < SIDE; j++) {
      const a = i * n + j;
      grid[i * SIDE + j] = (corners[a + n + 1] - corners[a + n] - corners[a + 1] + corners[a]) * inv;
    }
  }
  return grid;
}

/** The 65 cell edges along one axis as table index + fraction (clamped to the image). */
function edges(start: number, step: number, size: number): { index: Int32Array; frac: Float64Array } {
  const index = new Int32Array(SIDE + 1);
  const frac = new Float64Array(SIDE + 1);
  for (let k = 0; k <= SIDE; k++) {
    const v = Math.min(size, Math.max(0, start + k * step));
    const i = Math.min(size - 1, Math.floor(v));
    index[k] = i;
    frac[k] = v - i;
  }
  return { index, frac };
}

/**
 * PDQ's 16x16 DCT block (B = D A D^T) of a 64x64 grid, using the (anti)symmetry of D's rows to halve
 * the work: sum_k D[i][k] a[k] = sum_{k<32} D[i][k] (a[k] + s_i a[63-k]), s_i = +1 for odd i (the
 * basis of frequency i+1 is even about the middle), -1 for even i.
 */
export function fastDct16(grid: Float32Array): Float64Array {
  // Pass 1 along columns: tmp[i][j] = sum_k D[i][k] grid[k][j].
  const sum = DCT_SUM;
  const dif = DCT_DIF;
  for (let k = 0; k < HALF; k++) {
    const top = k * SIDE;
    const bot = (SIDE - 1 - k) * SIDE;
    for (let j = 0; j < SIDE; j++) {
      sum[top + j] = grid[top + j] + grid[bot + j];
      dif[top + j] = grid[top + j] - grid[bot + j];
    }
  }
  const tmp = DCT_TMP.fill(0);
  for (let i = 0; i < DCT_SIDE; i++) {
    const src = i & 1 ? sum : dif;
    const row = i * SIDE;
    for (let k = 0; k < HALF; k++) {
      const d = DCT_HALF[i * HALF + k];
      const o = k * SIDE;
      for (let j = 0; j < SIDE; j++) tmp[row + j] += d * src[o + j];
    }
  }
  // Pass 2 along rows: out[i][j] = sum_k tmp[i][k] D[j][k].
  const out = new Float64Array(DCT_SIDE * DCT_SIDE);
  for (let i = 0; i < DCT_SIDE; i++) {
    const row = i * SIDE;
    for (let j = 0; j < DCT_SIDE; j++) {
      const sign = j & 1 ? 1 : -1;
      let s = 0;
      for (let k = 0; k < HALF; k++) s += DCT_HALF[j * HALF + k] * (tmp[row + k] + sign * tmp[row + SIDE - 1 - k]);
      out[i * DCT_SIDE + j] = s;
    }
  }
  return out;
}

/** PDQ-style hash of a region. */
export function regionHash(sa: SummedArea, r: Region): RegionHash {
  const grid = regionGrid(sa, r);
  const dct = fastDct16(grid);
  return { hash: thresholdToHex(dct), quality: gradientQuality(grid), dct };
}
