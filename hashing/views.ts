/**
 * Extra views of an image, hashed so that staydown catches what re-uploaders do to a picture. The
 * dihedral variants (rotations by 90 degrees, mirrors) are added by the caller from the DCT block; this
 * module adds the views that need the pixels. All of them are PDQ-style region hashes over one summed-area
 * table (see region-hash.ts), ~0.1 ms each.
 *
 * Every image gets the same views whichever side it is on (a bank entry or a crawled copy); which of them
 * go into the match index (`referenceHashes`) and which are probed with (`queryProbeHashes`) is decided
 * by reference.ts and match/image-policy.ts.
 *
 * Labels (stable, stored with each hash):
 * - 'box'           the whole image, area-resampled (region hashes compare best with region hashes).
 * - 'trim'          the picture inside uniform borders, padding or letterbox bars.
 * - 'content'       the picture inside an app's UI (phone screenshot).
 * - 'rot:p4' ...    the picture inside a copy rotated by a few degrees on an enlarged canvas, turned back
 *                   ('p' = the copy was turned clockwise, 'm' = anticlockwise).
 * - 'crop:c90' ...  reference-side crops: centred ('c'), anchored at a corner ('tl', 'tr', 'bl', 'br')
 *                   keeping that share of each side, or cut from one side ('cut:t15' = top 15% removed).
 *                   PDQ moves ~50 bits for a 5% change of framing, so each crop view catches the query
 *                   crops within ~2-3% of its own framing; the set covers the crops re-uploaders make
 *                   most (a centred trim, a corner or one side cut away).
 */
import { contentRect, type Rect, trimBorders } from './borders.ts';
import type { RgbaImage } from './image-decoder.ts';
import { dihedralBlock, thresholdToHex, type PdqResult } from './pdq.ts';
import { type Region, regionHash, shrunkLuma, SummedArea } from './region-hash.ts';
import type { PdqView } from './types.ts';

/** Centred crops kept on the reference side (share of each side kept). */
const CENTRE_CROPS = [0.95, 0.9, 0.85, 0.8, 0.75];
/** Corner-anchored crops (share of each side kept). */
const CORNER_CROPS = [0.9, 0.8];
/** One side cut away (share of that side removed). */
const SIDE_CUTS = [0.1, 0.2];
/** Small rotations undone on the query side, in degrees (PDQ itself tolerates ~1-2 degrees). */
const ROTATIONS = [-5, -3, 3, 5];

/** Region hashes are taken from the luminance shrunk to at most this many pixels a side (~2+ pixels a cell). */
const BASE_SIDE = 256;

const pct = (x: number) => Math.round(x * 100);

/** Views only a query needs: a reference is never rotated by a few degrees or mirrored inside borders. */
export function isQueryOnlyView(view: string): boolean {
  return view.startsWith('rot:') || view.endsWith(':flipy');
}

/** Views only a reference needs: crops of the registered picture that a cropped copy lands near. */
export function isReferenceOnlyView(view: string): boolean {
  return view.startsWith('crop:') || view.startsWith('cut:');
}

export function robustViews(img: RgbaImage, _pdq: PdqResult): PdqView[] {
  const { luma, factor } = shrunkLuma(img.data, img.width, img.height, BASE_SIDE);
  const sa = new SummedArea(luma);
  const out: PdqView[] = [];
  const add = (view: string, r: Region, mirrored = false) => {
    const h = regionHash(sa, { cx: r.cx / factor, cy: r.cy / factor, w: r.w / factor, h: r.h / factor, angle: r.angle });
    out.push({ view, hash: h.hash, quality: h.quality });
    // A mirrored copy is the commonest companion of a border or screenshot; one extra hash covers it.
    if (mirrored) out.push({ view: `${view}:flipy`, hash: thresholdToHex(dihedralBlock(h.dct, 'flipy')), quality: h.quality });
  };
  const full: Rect = { x: 0, y: 0, w: img.width, h: img.height };
  add('box', regionOf(full));
  const trim = trimBorders(img);
  if (trim) add('trim', regionOf(trim), true);
  const content = contentRect(img);
  if (content && !(trim && sameRect(trim, content))) add('content', regionOf(content), true);
  const base = trim ?? full;
  for (const deg of ROTATIONS) add(`rot:${deg < 0 ? 'm' : 'p'}${Math.abs(deg)}`, unrotated(base, (deg * Math.PI) / 180));
  for (const keep of CENTRE_CROPS) add(`crop:c${pct(keep)}`, regionOf(cropRect(full, keep, keep, 0.5, 0.5)));
  for (const keep of CORNER_CROPS) {
    for (const [tag, ax, ay] of [['tl', 0, 0], ['tr', 1, 0], ['bl', 0, 1], ['br', 1, 1]] as const) {
      add(`crop:${tag}${pct(keep)}`, regionOf(cropRect(full, keep, keep, ax, ay)));
    }
  }
  for (const cut of SIDE_CUTS) {
    const k = 1 - cut;
    for (const [tag, kx, ky, ax, ay] of [['t', 1, k, 0.5, 1], ['b', 1, k, 0.5, 0], ['l', k, 1, 1, 0.5], ['r', k, 1, 0, 0.5]] as const) {
      add(`cut:${tag}${pct(cut)}`, regionOf(cropRect(full, kx, ky, ax, ay)));
    }
  }
  return out;
}

function sameRect(a: Rect, b: Rect): boolean {
  const tol = Math.max(a.w, a.h) * 0.02;
  return Math.abs(a.x - b.x) <= tol && Math.abs(a.y - b.y) <= tol && Math.abs(a.w - b.w) <= tol && Math.abs(a.h - b.h) <= tol;
}

function regionOf(r: Rect): Region {
  return { cx: r.x + r.w / 2, cy: r.y + r.h / 2, w: r.w, h: r.h };
}

/** A sub-rectangle keeping `kx`, `ky` of each side, its top-left at `ax`, `ay` of the removed margin. */
function cropRect(r: Rect, kx: number, ky: number, ax: number, ay: number): Rect {
  const w = r.w * kx;
  const h = r.h * ky;
  return { x: r.x + (r.w - w) * ax, y: r.y + (r.h - h) * ay, w, h };
}

/**
 * The original picture inside a copy rotated by `angle` on an enlarged canvas: a canvas W x H around a
 * w x h picture turned by t has W = w cos t + h sin t and H = w sin t + h cos t; solved for w and h.
 */
function unrotated(r: Rect, angle: number): Region {
  const c = Math.cos(Math.abs(angle));
  const s = Math.sin(Math.abs(angle));
  const det = c * c - s * s;
  const w = Math.max(8, (r.w * c - r.h * s) / det);
  const h = Math.max(8, (r.h * c - r.w * s) / det);
  return { cx: r.x + r.w / 2, cy: r.y + r.h / 2, w, h, angle };
}
