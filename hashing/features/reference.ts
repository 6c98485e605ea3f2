/**
 * Features of a file being registered. A registered phone screenshot keeps only the features of the
 * picture inside it: an app's chrome (status bar, buttons, captions in the app's font) is the same
 * around every photo posted in that app, so its keypoints would let a screenshot of any other photo in
 * the same app match. `content` is the picture's rectangle that hashing/borders.ts `contentRect`
 * found on the working copy, as fractions of the picture.
 */
import { extractFeatures, REFERENCE_OPTIONS } from './extract.ts';
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
    if (w >= 32 && h >= 32) return extractFeatures(cropGrey(grey, x, y, w, h), REFERENCE_OPTIONS);
  }
  return extractFeatures(grey, REFERENCE_OPTIONS);
}

export function cropGrey(g: GreyImage, x: number, y: number, w: number, h: number): GreyImage {
  const data = new Uint8Array(w * h);
  for (let r = 0; r < h; r++) data.set(g.data.subarray((y + r) * g.width + x, (y + r) * g.width + x + w), r * w);
  return { width: w, height: h, data };
}
