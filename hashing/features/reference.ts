/**
 * Features of a file being registered. A registered phone screenshot keeps only the features of the
 * picture inside it: an app's chrome (status bar, buttons, captions in the app's font) is the same
 * around every photo posted in that app, so its keypoints would let a screenshot of any other photo in
 * the same app match. `content` is the picture's rectangle that hashing/borders.ts `contentRect`
 * found on the working copy, as fractions of the picture.
 */
import { extractFeatures, preparePicture, REFERENCE_OPTIONS, type ExtractOptions, type PreparedPicture } from './extract.ts';
import type { GreyImage, LocalFeatures } from './types.ts';

export interface FractionRect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A content rectangle covering more than this share of the picture is the picture itself. */
const EMBEDDED_MAX_SHARE = 0.85;

export function referenceFeatures(grey: GreyImage, content?: FractionRect | null): LocalFeatures {
  if (content && content.w * content.h <= EMBEDDED_MAX_SHARE) {
    const x = Math.max(0, Math.floor(content.x * grey.width));
    const y = Math.max(0, Math.floor(content.y * grey.height));
    const w = Math.min(grey.width - x, Math.round(content.w * grey.width));
    const h = Math.min(grey.height - y, Math.round(content.h * grey.height));
    if (w >= 32 && h >= 32) return adaptiveFeatures(cropGrey(grey, x, y, w, h), REFERENCE_OPTIONS);
  }
  return adaptiveFeatures(grey, REFERENCE_OPTIONS);
}

/** Fewer keypoints than this share of the budget: a low-contrast picture, taken again at LOW_CONTRAST_THRESHOLD. */
const LOW_CONTRAST_SHARE = 0.5;
const LOW_CONTRAST_THRESHOLD = 8;
/** Keypoints whose 5-95% box is under this share of the picture sit on one part of it. */
const CONCENTRATED_SHARE = 0.2;

/**
 * Features with the FAST threshold lowered for a low-contrast picture (a flat sky, a dim room): at 16
 * grey levels such a picture keeps a few dozen corners - labelme q0003 119, q0004 6 of 400 - and is
 * found in hardly any partial view; at 8 it keeps 300-370 and is found in most (an experiment on
 * 2026-12-01). Registration swaps the lower threshold's corners in; queries and their panels add them
 * (panels.ts), so a query meets a registration made either way. Costs a second corner search only
 * for such pictures (the pyramid and box sums of the first are reused).
 */
export function adaptiveFeatures(grey: GreyImage, opts: ExtractOptions): LocalFeatures {
  const prep = preparePicture(grey, opts);
  const f = extractFeatures(prep, opts);
  return lowContrast(f, opts) ? lowerThreshold(prep, f, opts) : f;
}

/** Whether a picture's features are worth taking again at the lower threshold. */
export function lowContrast(f: LocalFeatures, opts: ExtractOptions): boolean {
  return f.count < LOW_CONTRAST_SHARE * opts.maxKeypoints && opts.fastThreshold > LOW_CONTRAST_THRESHOLD;
}

/** The features at LOW_CONTRAST_THRESHOLD, unless the picture's corners are packed on one part of it. */
export function lowerThreshold(grey: GreyImage | PreparedPicture, f: LocalFeatures, opts: ExtractOptions): LocalFeatures {
  // Corners packed on one part of the picture (a clock on a blank wall) are its content: a lower
  // threshold would add only unrepeatable corners on the flat rest, and widen the box the inliers
  // must cover (match.ts coversContent).
  // (With under ~24 corners there is no content to speak of: any threshold is better.)
  if (f.count >= 24 && spreadShare(f) < CONCENTRATED_SHARE) return f;
  const low = extractFeatures(grey, { ...opts, fastThreshold: LOW_CONTRAST_THRESHOLD });
  return low.count > f.count ? low : f;
}

/** The keypoints' box between their 5th and 95th percentiles on each axis, as a share of the picture. */
export function spreadShare(f: LocalFeatures): number {
  if (f.count === 0) return 0;
  const xs = Array.from(f.x).sort((a, b) => a - b), ys = Array.from(f.y).sort((a, b) => a - b);
  const q = (a: number[], p: number) => a[Math.round(p * (a.length - 1))];
  return ((q(xs, 0.95) - q(xs, 0.05)) * (q(ys, 0.95) - q(ys, 0.05))) / (f.width * f.height);
}

export function cropGrey(g: GreyImage, x: number, y: number, w: number, h: number): GreyImage {
  const data = new Uint8Array(w * h);
  for (let r = 0; r < h; r++) data.set(g.data.subarray((y + r) * g.width + x, (y + r) * g.width + x + w), r * w);
  return { width: w, height: h, data };
}
