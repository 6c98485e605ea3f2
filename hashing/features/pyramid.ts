/**
 * Grey-picture helpers for local features: RGBA to grey, area resizing, a contrast-limited histogram
 * equalisation and the scale pyramid (their loops in the feature kernel, kernel.ts).
 */
import { featureKernel } from './kernel.ts';
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
  return featureKernel().resizeArea(src, w, h);
}

/**
 * Histogram equalisation with each bin clipped at `clip` times the mean bin (the excess spread evenly).
 * Detection then no longer depends on gamma, brightness or contrast changes (any monotonic remapping
 * of grey levels), while the clip keeps flat pictures from having their noise blown up into corners.
 * Binary descriptors compare pixel pairs, so they are unchanged by the monotonic mapping itself.
 */
export function equalise(img: GreyImage, clip = 4): GreyImage {
  return featureKernel().equalise(img, clip);
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

/** Level l is level 0 shrunk by step^l; stops before the shorter side drops under `minSide`. */
export function pyramid(base: GreyImage, step: number, maxLevels: number, minSide: number): GreyImage[] {
  const levels = [base];
  for (let l = 1; l < maxLevels; l++) {
    const s = step ** l;
    const w = Math.round(base.width / s);
    const h = Math.round(base.height / s);
    if (Math.min(w, h) < minSide) break;
    // From the previous level, bilinear like ORB's pyramid: each step is a shrink by less than 2.
    levels.push(featureKernel().shrinkBilinear(levels[l - 1], w, h));
  }
  return levels;
}
