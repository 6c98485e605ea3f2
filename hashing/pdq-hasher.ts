/**
 * PDQ, Meta's 256-bit perceptual image hash (the format HMA, StopNCII and ThreatExchange exchange),
 * written from the published algorithm (../shared/HASHING-NOTES.md):
 *   luminance -> two passes of a Jarosz box filter -> 64x64 decimation -> 16x16 of a 64-point DCT
 *   -> threshold at the median.
 * The 16x16 DCT block is kept so that the 8 dihedral variants (rotations and mirrors) can be derived
 * without touching the pixels again.
 *
 * This is the algorithm; signals/pdq.ts is PDQ as a signal plug-in (how fingerprints store and compare it).
 */

/** PDQ works on a 64x64 buffer; the DCT keeps the 16x16 lowest non-DC frequencies. */
const SIDE = 64;
const DCT_SIDE = 16;

/** Images smaller than this on either side hash to all zeros with quality 0, as in the reference. */
const MIN_SIDE = 5;

export interface PdqResult {
  /** 64 lowercase hex digits, big-endian, as Meta's reference tools print it. */
  hash: string;
  /** 0..100: how much gradient the 64x64 image has; below 50 the hash is not trusted. */
  quality: number;
  /** The 16x16 DCT block (row-major), for dihedral variants. Absent for too-small images. */
  dct?: Float64Array;
}

// D[i][j] = sqrt(2/64) cos(pi/128 (i+1)(2j+1)): rows 1..16 of the 64-point DCT-II (DC row skipped).
const DCT_MATRIX: Float64Array = (() => {
  const m = new Float64Array(DCT_SIDE * SIDE);
  const scale = Math.sqrt(2 / SIDE);
  for (let i = 0; i < DCT_SIDE; i++) {
    for (let j = 0; j < SIDE; j++) {
      m[i * SIDE + j] = scale * Math.cos((Math.PI / 2 / SIDE) * (i + 1) * (2 * j + 1));
    }
  }
  return m;
})();

/** Luminance of packed 8-bit pixels (RGB, RGBA, grey or grey+alpha), as PDQ defines it. */
export function lumaFromPixels(data: Uint8Array, width: number, height: number, channels: number): Float32Array {
  const n = width * height;
  const out = new Float32Array(n);
  // One loop per layout: a variable stride keeps V8 from optimising the loop (measured 6x slower).
  if (channels === 4) {
    for (let p = 0; p < n; p++) {
      const o = p << 2;
      out[p] = 0.299 * data[o] + 0.587 * data[o + 1] + 0.114 * data[o + 2];
    }
  } else if (channels === 3) {
    for (let p = 0; p < n; p++) {
      const o = p * 3;
      out[p] = 0.299 * data[o] + 0.587 * data[o + 1] + 0.114 * data[o + 2];
    }
  } else if (channels === 1) {
    for (let p = 0; p < n; p++) out[p] = data[p];
  } else {
    for (let p = 0; p < n; p++) out[p] = data[p * channels];
  }
  return out;
}

/** PDQ of packed 8-bit pixels. */
export function pdqFromRgb(data: Uint8Array, width: number, height: number, channels: number): PdqResult {
  return pdqFromLuma(lumaFromPixels(data, width, height, channels), width, height);
}

/** PDQ of a luminance image of any size (values 0..255, row-major). */
export function pdqFromLuma(luma: Float32Array, width: number, height: number): PdqResult {
  if (width < MIN_SIDE || height < MIN_SIDE) return { hash: '0'.repeat(64), quality: 0 };
  const grid = downsample64(luma, width, height);
  const quality = gradientQuality(grid);
  const dct = dct16(grid);
  return { hash: thresholdToHex(dct), quality, dct };
}

/**
 * Jarosz filter: two rounds of box blur along rows then columns, with windows sized so that the
 * following point-sampling at 64x64 sees an (approximately tent-weighted) average of its cell.
 * Only 64x64 outputs are sampled, so the second round is computed only where it is read: along rows at
 * the 64 sample columns, then down those columns at the 64 sample rows. The running sums are the same
 * (same values added in the same order), so the result is bit-identical to blurring every pixel.
 */
export function downsample64(luma: Float32Array, width: number, height: number): Float32Array {
  const winAlongRows = Math.floor((width + 2 * SIDE - 1) / (2 * SIDE));
  const winAlongCols = Math.floor((height + 2 * SIDE - 1) / (2 * SIDE));
  const xs = new Int32Array(SIDE);
  const ys = new Int32Array(SIDE);
  for (let i = 0; i < SIDE; i++) {
    xs[i] = Math.floor(((i + 0.5) * width) / SIDE);
    ys[i] = Math.floor(((i + 0.5) * height) / SIDE);
  }
  const a = new Float32Array(luma.length);
  const b = new Float32Array(luma.length);
  boxRows(luma, b, width, height, winAlongRows);
  boxCols(b, a, width, height, winAlongCols);
  // Second round, rows: every row, kept only at the sample columns (height x 64).
  const rows2 = new Float32Array(height * SIDE);
  boxRows(a, rows2, width, height, winAlongRows, xs);
  // Second round, columns: the 64 kept columns, kept only at the sample rows.
  const cols2 = new Float32Array(height * SIDE);
  boxCols(rows2, cols2, SIDE, height, winAlongCols);
  const out = new Float32Array(SIDE * SIDE);
  for (let i = 0; i < SIDE; i++) out.set(cols2.subarray(ys[i] * SIDE, ys[i] * SIDE + SIDE), i * SIDE);
  return out;
}

/**
 * Box filter along each row: output x averages the samples in [x - (w - half), x + half - 1],
 * half = floor((w + 2) / 2), cut at both ends (so edge outputs average fewer samples).
 */
function boxRows(src: Float32Array, dst: Float32Array, width: number, height: number, w: number, keep?: Int32Array): void {
  const half = Math.floor((w + 2) / 2);
  for (let row = 0, y = 0; row < width * height; row += width, y++) {
    let sum = 0;
    let count = 0;
    let right = row;
    let left = row;
    const end = row + width;
    // With `keep`, only the outputs at those columns are written, packed: dst row y holds keep.length values.
    let k = 0;
    let next = keep ? keep[0] : -1;
    const packed = keep ? y * keep.length : 0;
    for (let i = 0; i < half - 1 && right < end; i++, count++) sum += src[right++];
    for (let x = row; x < end; x++) {
      if (right < end) {
        sum += src[right++];
        count++;
      }
      if (x - row + half - w > left - row) {
        sum -= src[left++];
        count--;
      }
      if (!keep) dst[x] = sum / count;
      else {
        // Images narrower than 64 px sample a column more than once.
        while (x - row === next) {
          dst[packed + k] = sum / count;
          next = ++k < keep.length ? keep[k] : -1;
        }
      }
    }
  }
}

/** The same window down each column, done a whole row at a time so memory is read in order. */
function boxCols(src: Float32Array, dst: Float32Array, width: number, height: number, w: number): void {
  const half = Math.floor((w + 2) / 2);
  const sums = new Float64Array(width);
  let count = 0;
  let right = 0;
  let left = 0;
  const addRow = (r: number, sign: number) => {
    const o = r * width;
    for (let x = 0; x < width; x++) sums[x] += sign * src[o + x];
  };
  for (; right < half - 1 && right < height; right++, count++) addRow(right, 1);
  for (let y = 0; y < height; y++) {
    if (right < height) {
      addRow(right++, 1);
      count++;
    }
    if (y + half - w > left) {
      addRow(left++, -1);
      count--;
    }
    const o = y * width;
    const inv = 1 / count;
    for (let x = 0; x < width; x++) dst[o + x] = sums[x] * inv;
  }
}

/** Sum of truncated neighbour differences scaled to 0..100, /90, capped at 100 (the reference's rule). */
export function gradientQuality(grid: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < SIDE; i++) {
    for (let j = 0; j < SIDE - 1; j++) {
      sum += Math.abs(Math.trunc(((grid[i * SIDE + j] - grid[i * SIDE + j + 1]) * 100) / 255));
    }
  }
  for (let i = 0; i < SIDE - 1; i++) {
    for (let j = 0; j < SIDE; j++) {
      sum += Math.abs(Math.trunc(((grid[i * SIDE + j] - grid[(i + 1) * SIDE + j]) * 100) / 255));
    }
  }
  return Math.min(100, Math.trunc(sum / 90));
}

/** B = D A D^T: the 16x16 low-frequency block of the 2-D DCT of the 64x64 grid. */
export function dct16(grid: Float32Array): Float64Array {
  const tmp = new Float64Array(DCT_SIDE * SIDE); // D * A
  for (let i = 0; i < DCT_SIDE; i++) {
    for (let k = 0; k < SIDE; k++) {
      const d = DCT_MATRIX[i * SIDE + k];
      const rowA = k * SIDE;
      const rowT = i * SIDE;
      for (let j = 0; j < SIDE; j++) tmp[rowT + j] += d * grid[rowA + j];
    }
  }
  const out = new Float64Array(DCT_SIDE * DCT_SIDE);
  for (let i = 0; i < DCT_SIDE; i++) {
    for (let j = 0; j < DCT_SIDE; j++) {
      let s = 0;
      for (let k = 0; k < SIDE; k++) s += tmp[i * SIDE + k] * DCT_MATRIX[j * SIDE + k];
      out[i * DCT_SIDE + j] = s;
    }
  }
  return out;
}

/** Bit k = i*16+j is set when B[i][j] exceeds the median (the 128th smallest of the 256 values). */
export function thresholdToHex(block: Float64Array): string {
  const sorted = Float64Array.from(block).sort();
  const median = sorted[127];
  const nibbles = new Array<string>(64);
  for (let n = 0; n < 64; n++) {
    // Nibble n from the right holds bits 4n..4n+3.
    let v = 0;
    for (let b = 0; b < 4; b++) if (block[4 * n + b] > median) v |= 1 << b;
    nibbles[63 - n] = v.toString(16);
  }
  return nibbles.join('');
}

export type Dihedral = 'orig' | 'rot90' | 'rot180' | 'rot270' | 'flipx' | 'flipy' | 'flipp' | 'flipm';

export const DIHEDRALS: readonly Dihedral[] = ['orig', 'rot90', 'rot180', 'rot270', 'flipx', 'flipy', 'flipp', 'flipm'];

/**
 * The DCT block of a rotated or mirrored image, from the original block: cosine basis functions are
 * even or odd under reflection, so each transform is a transpose and/or sign flips by index parity.
 */
export function dihedralBlock(block: Float64Array, t: Dihedral): Float64Array {
  const out = new Float64Array(DCT_SIDE * DCT_SIDE);
  for (let i = 0; i < DCT_SIDE; i++) {
    for (let j = 0; j < DCT_SIDE; j++) {
      const a = block[i * DCT_SIDE + j];
      switch (t) {
        case 'orig': out[i * DCT_SIDE + j] = a; break;
        case 'rot90': out[j * DCT_SIDE + i] = j & 1 ? a : -a; break;
        case 'rot180': out[i * DCT_SIDE + j] = (i + j) & 1 ? -a : a; break;
        case 'rot270': out[j * DCT_SIDE + i] = i & 1 ? a : -a; break;
        case 'flipx': out[i * DCT_SIDE + j] = i & 1 ? a : -a; break;
        case 'flipy': out[i * DCT_SIDE + j] = j & 1 ? a : -a; break;
        case 'flipp': out[j * DCT_SIDE + i] = a; break;
        case 'flipm': out[j * DCT_SIDE + i] = (i + j) & 1 ? -a : a; break;
      }
    }
  }
  return out;
}

/** The 8 dihedral PDQ hashes (orig first) from a PDQ result's DCT block. */
export function pdqDihedrals(result: PdqResult): Array<{ transform: Dihedral; hash: string }> {
  if (!result.dct) return DIHEDRALS.map((transform) => ({ transform, hash: result.hash }));
  const dct = result.dct;
  return DIHEDRALS.map((transform) => ({ transform, hash: thresholdToHex(dihedralBlock(dct, transform)) }));
}
