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
 * - 'box'            the whole image, area-resampled (region hashes compare best with region hashes).
 * - 'trim'           the picture inside uniform borders, padding or letterbox bars.
 * - 'content'        the picture inside an app's UI (phone screenshot).
 * - 'rot:p3_5' ...   the picture inside a copy turned by a few degrees on an enlarged canvas, turned back
 *                    ('p' = the copy was turned clockwise, 'm' = anticlockwise). Query side, and only
 *                    when the four corners show one flat canvas colour.
 * - 'crop:c90' ...   reference-side crops keeping 90/80/70% of each side (and 95% centred), centred ('c') or anchored at a
 *                    corner ('tl', 'tr', 'bl', 'br'), and 'crop:sq', the centred square.
 * - 'qcrop:tl93' ... the query cropped again a little at the same anchors, which reaches the query crops
 *                    that fall between two reference crops (a tl-anchored 75% crop, re-cropped to 93%,
 *                    is the reference's tl 70%).
 * - 'cut:t10' ...    one side cut away (10 or 20% of the top/bottom/left/right), on both sides: a
 *                    reference cut matches a copy with that side cropped off, and the same cut of both
 *                    removes a caption band from the comparison.
 * PDQ moves ~50 bits for a 5% change of framing (its finest basis functions have a period of 1/8 of
 * the picture), so each crop view catches the query crops within ~2-3% of its framing; arbitrary
 * off-centre crops between the anchors are not caught (see bench:robustness).
 */
import { contentRect, hasCornerWedges, type Rect, trimBorders } from './borders.ts';
import type { RgbaImage } from './image-decoder.ts';
import { dihedralBlock, thresholdToHex, type PdqResult } from './pdq-hasher.ts';
import { type Region, regionHash, shrunkLuma, SummedArea } from './region-hash.ts';
import type { PdqView } from './types.ts';

/** Reference side: centred crops (plus 95%, the commonest trim) and corner-anchored crops (share of each side kept). */
const REF_CROPS = [0.9, 0.8, 0.7];
/** Query side: the same anchors cropped again a little, so a query crop between two reference crops lands near one. */
const QUERY_CROPS = [0.93];
/** One side cut away (share of that side removed), on both sides: a caption band removed from both. */
const SIDE_CUTS = [0.1, 0.2];
/** Small rotations undone on the query side, in degrees (PDQ itself tolerates about half a degree each way). */
const ROTATIONS = [-6.5, -5, -3.5, -2, 2, 3.5, 5, 6.5];

const ANCHORS = [['c', 0.5, 0.5], ['tl', 0, 0], ['tr', 1, 0], ['bl', 0, 1], ['br', 1, 1]] as const;
const CUTS = [['t', 0.5, 1, 'y'], ['b', 0.5, 0, 'y'], ['l', 1, 0.5, 'x'], ['r', 0, 0.5, 'x']] as const;

/** Region hashes are taken from the luminance shrunk to at most this many pixels a side (~2+ pixels a cell). */
const BASE_SIDE = 256;

const pct = (x: number) => Math.round(x * 100);

/** Views only a query needs: rotations, mirrored trims, the query's own re-crops ('qcrop:*'). */
export function isQueryOnlyView(view: string): boolean {
  return view.startsWith('rot:') || view.endsWith(':flipy') || view.startsWith('qcrop:');
}

/** Views only a reference needs: crops of the registered picture that a cropped copy lands near. */
export function isReferenceOnlyView(view: string): boolean {
  return view.startsWith('crop:');
}

/**
 * Views a query is probed with (match/image-policy.ts `queryProbeHashes`): all but the reference-side
 * crops and the left/right cuts (captions sit at the top or the bottom).
 */
export function isQueryProbeView(view: string): boolean {
  return !isReferenceOnlyView(view) && !/^cut:[lr]/.test(view);
}

/**
 * Which views to compute: 'all' (a registered picture, or a file whose role is not known yet), or only
 * those a query is probed with ('query': a crawled file is only ever compared as a query, and skipping
 * the reference-side crops makes it ~2x cheaper to hash; the views it keeps are the same hashes), or
 * 'none': a first pass that only asks whether the whole picture (or its mirror/turn, which PDQ's DCT
 * block gives for free) matches - a removal check of a file still up (services/monitoring/verify.ts).
 */
export type ViewSet = 'all' | 'query' | 'none';

export function robustViews(img: RgbaImage, _pdq: PdqResult, which: ViewSet = 'all'): PdqView[] {
  if (which === 'none') return [];
  const { luma, factor } = shrunkLuma(img.data, img.width, img.height, BASE_SIDE);
  const sa = new SummedArea(luma);
  const out: PdqView[] = [];
  const add = (view: string, r: Region, mirrored = false, part?: Rect) => {
    if (which === 'query' && !isQueryProbeView(view)) return;
    const h = regionHash(sa, { cx: r.cx / factor, cy: r.cy / factor, w: r.w / factor, h: r.h / factor, angle: r.angle });
    const region = part ? fractionOf(part, img.width, img.height) : undefined;
    out.push({ view, hash: h.hash, quality: h.quality, ...(region ? { region } : {}) });
    // A mirrored copy is the commonest companion of a border or screenshot; one extra hash covers it.
    if (mirrored) out.push({ view: `${view}:flipy`, hash: thresholdToHex(dihedralBlock(h.dct, 'flipy')), quality: h.quality, ...(region ? { region } : {}) });
  };
  const full: Rect = { x: 0, y: 0, w: img.width, h: img.height };
  add('box', regionOf(full));
  const trim = trimBorders(img);
  if (trim) add('trim', regionOf(trim), true, trim);
  const content = contentRect(img);
  if (content && !(trim && sameRect(trim, content))) add('content', regionOf(content), true, content);
  // The wedges of a turned copy reach the canvas edges only at single points, so trimming would nibble
  // at the canvas; the turned picture is worked out from the whole canvas.
  if (hasCornerWedges(img)) for (const deg of ROTATIONS) add(`rot:${deg < 0 ? 'm' : 'p'}${String(Math.abs(deg)).replace('.', '_')}`, unrotated(full, (deg * Math.PI) / 180));
  const side = Math.min(img.width, img.height);
  if (Math.abs(img.width - img.height) > side * 0.05) add('crop:sq', regionOf(cropRect(full, side / img.width, side / img.height, 0.5, 0.5)));
  for (const [tag, ax, ay] of ANCHORS) {
    for (const keep of tag === 'c' ? [0.95, ...REF_CROPS] : REF_CROPS) add(`crop:${tag}${pct(keep)}`, regionOf(cropRect(full, keep, keep, ax, ay)));
    for (const keep of QUERY_CROPS) {
      const r = cropRect(full, keep, keep, ax, ay);
      add(`qcrop:${tag}${pct(keep)}`, regionOf(r), false, r);
    }
  }
  for (const cut of SIDE_CUTS) {
    for (const [tag, ax, ay, axis] of CUTS) {
      add(`cut:${tag}${pct(cut)}`, regionOf(cropRect(full, axis === 'x' ? 1 - cut : 1, axis === 'y' ? 1 - cut : 1, ax, ay)));
    }
  }
  return out;
}

function sameRect(a: Rect, b: Rect): boolean {
  const tol = Math.max(a.w, a.h) * 0.02;
  return Math.abs(a.x - b.x) <= tol && Math.abs(a.y - b.y) <= tol && Math.abs(a.w - b.w) <= tol && Math.abs(a.h - b.h) <= tol;
}

/** A rectangle of a w x h image as fractions of its sides (4 decimals: a bank line stays short). */
function fractionOf(r: Rect, w: number, h: number): NonNullable<PdqView['region']> {
  const f = (v: number) => Math.round(v * 1e4) / 1e4;
  return { x: f(r.x / w), y: f(r.y / h), width: f(r.w / w), height: f(r.h / h) };
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
