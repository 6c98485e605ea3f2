/**
 * PDQ of one decoded video frame, plus the extra views a re-upload may need:
 * - 'mirror': the frame flipped left-right, hashed from the flipped pixels. Deriving it from the DCT
 *   block (the 'flipy' dihedral) is 30 bits off here: at 128x128 the 64x64 decimation samples odd
 *   pixels, and a mirror turns them into even ones.
 * - 'trim' (and 'trim+mirror'): the frame with uniform bars removed (letterbox, pillarbox, padding),
 *   which otherwise move a PDQ 40-70 bits. The rule is ThreatExchange's and Thorn's "unletterbox":
 *   the background is the corners' colour, and a row or column is content when more than 10% of its
 *   pixels differ from it.
 * Pure: bytes in, hashes out.
 */
import { lumaFromPixels, pdqFromLuma } from '../pdq-hasher.ts';
import type { PdqView, VideoFrameHash } from '../types.ts';

/** A pixel differs from the bar colour when its luminance is further than this (of 255). */
const BAR_TOLERANCE = 24;
/** A row or column is content when more than this share of its pixels differ from the bar colour. */
const CONTENT_SHARE = 0.1;
/** Bars thinner than this share of the side are noise, not bars. */
const MIN_BAR_SHARE = 0.03;
/** What is left after trimming must be at least this share of each side, or the frame is left whole. */
const MIN_CONTENT_SHARE = 0.25;

export interface Box {
  x0: number;
  y0: number;
  /** Exclusive. */
  x1: number;
  y1: number;
}

/**
 * The content box inside uniform bars, or null when there are no bars worth removing (or the frame
 * is uniform, or the corners disagree so there is no single bar colour).
 */
export function barsBox(luma: Float32Array, width: number, height: number): Box | null {
  const corner = (x: number, y: number) => luma[y * width + x];
  const corners = [corner(0, 0), corner(width - 1, 0), corner(0, height - 1), corner(width - 1, height - 1)];
  const lo = Math.min(...corners);
  const hi = Math.max(...corners);
  if (hi - lo > BAR_TOLERANCE) return null;
  const bg = (lo + hi) / 2;
  const rowIsContent = (y: number) => {
    let n = 0;
    const o = y * width;
    for (let x = 0; x < width; x++) if (Math.abs(luma[o + x] - bg) > BAR_TOLERANCE) n++;
    return n > CONTENT_SHARE * width;
  };
  const colIsContent = (x: number, y0: number, y1: number) => {
    let n = 0;
    for (let y = y0; y < y1; y++) if (Math.abs(luma[y * width + x] - bg) > BAR_TOLERANCE) n++;
    return n > CONTENT_SHARE * (y1 - y0);
  };
  let y0 = 0;
  while (y0 < height && !rowIsContent(y0)) y0++;
  if (y0 === height) return null;
  let y1 = height;
  while (y1 > y0 && !rowIsContent(y1 - 1)) y1--;
  let x0 = 0;
  while (x0 < width && !colIsContent(x0, y0, y1)) x0++;
  let x1 = width;
  while (x1 > x0 && !colIsContent(x1 - 1, y0, y1)) x1--;
  const barX = Math.max(x0, width - x1) / width;
  const barY = Math.max(y0, height - y1) / height;
  if (barX < MIN_BAR_SHARE && barY < MIN_BAR_SHARE) return null;
  if (x1 - x0 < MIN_CONTENT_SHARE * width || y1 - y0 < MIN_CONTENT_SHARE * height) return null;
  return { x0, y0, x1, y1 };
}

export function crop(luma: Float32Array, width: number, box: Box): Float32Array {
  const w = box.x1 - box.x0;
  const out = new Float32Array(w * (box.y1 - box.y0));
  for (let y = box.y0; y < box.y1; y++) out.set(luma.subarray(y * width + box.x0, y * width + box.x1), (y - box.y0) * w);
  return out;
}

/** Bilinear resize (pixel centres aligned), for scaling a trimmed crop back to the frame's size. */
export function resizeBilinear(src: Float32Array, w: number, h: number, outW: number, outH: number): Float32Array {
  const out = new Float32Array(outW * outH);
  const sx = w / outW;
  const sy = h / outH;
  for (let y = 0; y < outH; y++) {
    const fy = Math.min(h - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(h - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < outW; x++) {
      const fx = Math.min(w - 1, Math.max(0, (x + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(w - 1, x0 + 1);
      const wx = fx - x0;
      const top = src[y0 * w + x0] * (1 - wx) + src[y0 * w + x1] * wx;
      const bottom = src[y1 * w + x0] * (1 - wx) + src[y1 * w + x1] * wx;
      out[y * outW + x] = top * (1 - wy) + bottom * wy;
    }
  }
  return out;
}

export function mirror(luma: Float32Array, width: number, height: number): Float32Array {
  const out = new Float32Array(luma.length);
  for (let y = 0; y < height; y++) {
    const o = y * width;
    for (let x = 0; x < width; x++) out[o + x] = luma[o + width - 1 - x];
  }
  return out;
}

/** The frame's PDQ and its views; `withViews` false gives the plain hash only (conformance runs). */
export function hashFrame(rgb: Uint8Array, width: number, height: number, t: number, withViews = true): VideoFrameHash {
  const luma = lumaFromPixels(rgb, width, height, 3);
  const plain = pdqFromLuma(luma, width, height);
  const frame: VideoFrameHash = { t, pdq: plain.hash, quality: plain.quality };
  if (!withViews) return frame;
  const views: PdqView[] = [];
  const add = (view: string, l: Float32Array, w: number, h: number) => {
    const r = pdqFromLuma(l, w, h);
    views.push({ view, hash: r.hash, quality: r.quality });
  };
  add('mirror', mirror(luma, width, height), width, height);
  const box = barsBox(luma, width, height);
  let base = luma;
  if (box) {
    // Scaled back up to the frame's size with bilinear interpolation: the reference frame's content
    // filled the whole frame, and nearest-neighbour upsampling of a narrow crop aliases badly.
    base = resizeBilinear(crop(luma, width, box), box.x1 - box.x0, box.y1 - box.y0, width, height);
    add('trim', base, width, height);
    add('trim+mirror', mirror(base, width, height), width, height);
  }
  // Halves of the (trimmed) picture: a logo or caption spoils the whole-frame hash, rarely every half.
  const hw = width >> 1;
  const hh = height >> 1;
  add('half:top', crop(base, width, { x0: 0, y0: 0, x1: width, y1: hh }), width, hh);
  add('half:bottom', crop(base, width, { x0: 0, y0: height - hh, x1: width, y1: height }), width, hh);
  add('half:left', crop(base, width, { x0: 0, y0: 0, x1: hw, y1: height }), hw, height);
  add('half:right', crop(base, width, { x0: width - hw, y0: 0, x1: width, y1: height }), hw, height);
  frame.views = views;
  return frame;
}
