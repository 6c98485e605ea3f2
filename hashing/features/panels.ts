/**
 * Query features that still see a picture when it is one panel of what was posted: a collage tile, a
 * picture beside another with a gutter, a picture inside a coloured frame above a text band.
 *
 * Why: the whole-query extraction equalises and ranks corners over the whole post, so a tile that is a
 * ninth of it keeps corners chosen for the post, not for the tile. Measured on 24 photos in 2x2 / 3x3
 * collages (an experiment on 2026-12-01): the whole-query features verified 14 tiles; the tile's own
 * extraction - same pixels, only 170 keypoints - verified 22, with ~10x the inliers. So a query also
 * gets each panel's own features, cut on the post's gutters.
 *
 * Panels are cut like a guillotine on gutters: runs of full-span uniform rows (or columns) of the
 * current region, then the pieces the other way (two rounds: any grid of tiles). A uniform run at a region's edge is
 * a border and is trimmed. Nothing is cut in a photo without such runs (the common case: the query is
 * then the whole-query extraction, at no extra cost beyond a scan of rows and columns). The panel keypoints are added to the
 * whole-query keypoints, in the whole query's pixels, so a match anywhere is still reported as a region
 * of the query and the verifier needs nothing new.
 */
import { preparePicture, QUERY_OPTIONS, workingGrey, type ExtractOptions } from './extract.ts';
import type { Rect } from '../borders.ts';
import { cropGrey, lowContrast, lowerThreshold } from './reference.ts';
import { extractFeatures } from './extract.ts';
import { featureKernel } from './kernel.ts';
import { DESCRIPTOR_WORDS, type GreyImage, type LocalFeatures } from './types.ts';

/** A panel of the query, in its pixels (the same rectangle the border finder uses). */
export type PanelRect = Rect;

/** A row (or column) is uniform when at most this share of its pixels is more than UNIFORM_TOLERANCE off its mean. */
const UNIFORM_OUTLIERS = 0.01;
/** Grey levels: JPEG ringing next to a gutter stays within this; texture does not. */
const UNIFORM_TOLERANCE = 10;
/** A gutter is at least this many uniform lines (a 1-px line is an edge in a photo, not a gutter). */
const MIN_GUTTER = 2;
/** Panels smaller than this (px a side, share of the query's area) hold too few keypoints to matter. */
const MIN_PANEL_SIDE = 64;
const MIN_PANEL_AREA = 0.02;
/** More panels than this is a grid of thumbnails or a striped picture: the whole-query features only. */
const MAX_PANELS = 16;
/** One panel covering more than this share of the query is the query itself (a thin border). */
const WHOLE_SHARE = 0.85;
/** Keypoints a panel gets: its area's share of the query budget, but at least this many. */
const MIN_PANEL_KEYPOINTS = 200;

/** The panels of a post cut on its gutters, in pixels of `g`; [] when it is one picture. */
export function findPanels(g: GreyImage): PanelRect[] {
  const out: PanelRect[] = [];
  const minArea = MIN_PANEL_AREA * g.width * g.height;
  const big = (r: PanelRect) => r.w >= MIN_PANEL_SIDE && r.h >= MIN_PANEL_SIDE && r.w * r.h >= minArea;
  const visit = (r: PanelRect, depth: number, lastCutRows: boolean | null) => {
    if (out.length > MAX_PANELS) return;
    // Try the other axis than the last cut first; a region neither axis cuts is a panel.
    for (const rows of lastCutRows === true ? [false, true] : [true, false]) {
      const pieces = cut(g, r, rows);
      if (pieces.length === 1 && sameRect(pieces[0], r)) continue;
      // Two rounds of cuts make any grid of panels (rows, then each row's columns); deeper cuts would
      // split a tile on its own flat sky.
      if (depth === 1) out.push(...pieces.filter(big));
      else for (const p of pieces) visit(p, depth + 1, rows);
      return;
    }
    if (big(r)) out.push(r);
  };
  visit({ x: 0, y: 0, w: g.width, h: g.height }, 0, null);
  if (out.length > MAX_PANELS || out.length === 0) return [];
  if (out.length === 1 && out[0].w * out[0].h > WHOLE_SHARE * g.width * g.height) return [];
  return out;
}

/** Pieces of `r` between its uniform runs of rows (`rows`) or columns; edge runs trimmed. */
function cut(g: GreyImage, r: PanelRect, rows: boolean): PanelRect[] {
  const lines = rows ? r.h : r.w;
  const uniform = featureKernel().uniformLines(g, r, rows, UNIFORM_OUTLIERS, UNIFORM_TOLERANCE);
  const pieces: PanelRect[] = [];
  const piece = (a: number, b: number) => pieces.push(rows ? { x: r.x, y: r.y + a, w: r.w, h: b - a } : { x: r.x + a, y: r.y, w: b - a, h: r.h });
  let start = -1;
  for (let k = 0; k < lines;) {
    if (uniform[k] === 0) {
      if (start < 0) start = k;
      k++;
      continue;
    }
    let end = k;
    while (end < lines && uniform[end] === 1) end++;
    // A single uniform line inside a picture is an edge, not a gutter: the piece goes on.
    if (start >= 0 && (end - k >= MIN_GUTTER || end === lines)) { piece(start, k); start = -1; }
    k = end;
  }
  if (start >= 0) piece(start, lines);
  return pieces;
}

const sameRect = (a: PanelRect, b: PanelRect) => a.x === b.x && a.y === b.y && a.w === b.w && a.h === b.h;

/**
 * A query's features: the whole query's, plus each panel's own (findPanels) when the post is cut into
 * panels. Positions are in the whole query's working pixels either way.
 */
export function queryFeatures(grey: GreyImage, opts: ExtractOptions = QUERY_OPTIONS): LocalFeatures {
  const base = workingGrey(grey, opts.maxSide);
  const whole = withLowContrast(base, opts);
  const panels = findPanels(base);
  if (panels.length === 0) return whole;
  const area = base.width * base.height;
  const parts = panels.map((p) => {
    const budget = Math.max(MIN_PANEL_KEYPOINTS, Math.round((opts.maxKeypoints * p.w * p.h) / area));
    return { p, f: withLowContrast(cropGrey(base, p.x, p.y, p.w, p.h), { ...opts, maxKeypoints: budget }) };
  });
  return concatFeatures(whole, parts);
}

/**
 * A query's features with, for a low-contrast picture, the lower threshold's corners ADDED (not
 * swapped in as on registration): the registered copy may have been taken either way (its own
 * contrast decided), and the normal threshold's corners are the ones a normal registration kept.
 * Corners found both ways (same level, same pixel) are kept once.
 */
function withLowContrast(grey: GreyImage, opts: ExtractOptions): LocalFeatures {
  const prep = preparePicture(grey, opts);
  const f = extractFeatures(prep, opts);
  if (!lowContrast(f, opts)) return f;
  const low = lowerThreshold(prep, f, opts);
  if (low === f) return f;
  const seen = new Set<number>();
  const key = (g: LocalFeatures, i: number) => (g.level[i] * 16384 + Math.round(g.y[i])) * 16384 + Math.round(g.x[i]);
  for (let i = 0; i < f.count; i++) seen.add(key(f, i));
  const keep: number[] = [];
  for (let i = 0; i < low.count; i++) if (!seen.has(key(low, i))) keep.push(i);
  return concatFeatures(f, [{ p: { x: 0, y: 0, w: f.width, h: f.height }, f: pickFeatures(low, keep) }]);
}

/** The keypoints of `f` at `indices`, in that order. */
export function pickFeatures(f: LocalFeatures, indices: ArrayLike<number>): LocalFeatures {
  const n = indices.length;
  const descriptors = new Uint32Array(n * DESCRIPTOR_WORDS);
  for (let k = 0; k < n; k++) {
    const i = indices[k];
    descriptors.set(f.descriptors.subarray(i * DESCRIPTOR_WORDS, (i + 1) * DESCRIPTOR_WORDS), k * DESCRIPTOR_WORDS);
  }
  return {
    width: f.width, height: f.height, count: n,
    x: Float32Array.from(indices, (i) => f.x[i]), y: Float32Array.from(indices, (i) => f.y[i]),
    level: Uint8Array.from(indices, (i) => f.level[i]), angle: Uint8Array.from(indices, (i) => f.angle[i]),
    descriptors,
  };
}

export function concatFeatures(whole: LocalFeatures, parts: Array<{ p: PanelRect; f: LocalFeatures }>): LocalFeatures {
  const count = whole.count + parts.reduce((s, x) => s + x.f.count, 0);
  const x = new Float32Array(count), y = new Float32Array(count);
  const level = new Uint8Array(count), angle = new Uint8Array(count);
  const descriptors = new Uint32Array(count * DESCRIPTOR_WORDS);
  x.set(whole.x); y.set(whole.y); level.set(whole.level); angle.set(whole.angle); descriptors.set(whole.descriptors);
  let n = whole.count;
  for (const { p, f } of parts) {
    for (let i = 0; i < f.count; i++) { x[n + i] = f.x[i] + p.x; y[n + i] = f.y[i] + p.y; }
    level.set(f.level, n); angle.set(f.angle, n); descriptors.set(f.descriptors, n * DESCRIPTOR_WORDS);
    n += f.count;
  }
  return { width: whole.width, height: whole.height, count, x, y, level, angle, descriptors };
}
