/**
 * Finding the picture inside what a re-uploader wrapped around it.
 *
 * - `trimBorders`: uniform borders, padding and letterbox bars (the "unletterbox" step of ThreatExchange
 *   and Thorn): from each side, drop rows/columns where at most 10% of the pixels differ from that
 *   side's border colour.
 * - `contentRect`: a picture embedded in an app's UI (a phone screenshot): on the UI's background colour,
 *   the picture is the tallest band of rows that are mostly not background (UI text rows are mostly
 *   background between the glyphs), then narrowed to the columns that are mostly not background.
 *
 * Both work on the RGBA working copy and return a rectangle in its pixels, or null when nothing was found.
 */
import type { RgbaImage } from './image-decoder.ts';

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A pixel "differs" from a background colour when the summed RGB difference exceeds this (JPEG-safe). */
const DIFF = 60;
/** A border row may have up to this share of differing pixels (the 10% rule of unletterbox tools). */
const BORDER_MAX_SHARE = 0.1;
/** Trimming less than this share of a side is noise, not a border. */
const MIN_TRIM = 0.02;

type Rgb = [number, number, number];

function pixel(img: RgbaImage, x: number, y: number): Rgb {
  const o = (y * img.width + x) * 4;
  return [img.data[o], img.data[o + 1], img.data[o + 2]];
}

/** Median colour of a line of pixels (robust to a few content pixels touching the edge). */
function medianColour(img: RgbaImage, xs: number[], ys: number[]): Rgb {
  const ch: number[][] = [[], [], []];
  for (let k = 0; k < xs.length; k++) {
    const p = pixel(img, xs[k], ys[k]);
    ch[0].push(p[0]);
    ch[1].push(p[1]);
    ch[2].push(p[2]);
  }
  return ch.map((c) => c.sort((a, b) => a - b)[c.length >> 1]) as Rgb;
}

function differs(d: Uint8Array, o: number, c: Rgb): boolean {
  return Math.abs(d[o] - c[0]) + Math.abs(d[o + 1] - c[1]) + Math.abs(d[o + 2] - c[2]) > DIFF;
}

/** Share of a row's pixels (every `step`-th) that differ from `c`. */
function rowShare(img: RgbaImage, y: number, x0: number, x1: number, c: Rgb, step = 1): number {
  let n = 0;
  let total = 0;
  const d = img.data;
  const [r, g, b] = c;
  for (let o = (y * img.width + x0) * 4, end = (y * img.width + x1) * 4; o < end; o += 4 * step, total++) {
    if (Math.abs(d[o] - r) + Math.abs(d[o + 1] - g) + Math.abs(d[o + 2] - b) > DIFF) n++;
  }
  return n / Math.max(1, total);
}

function colShare(img: RgbaImage, x: number, y0: number, y1: number, c: Rgb): number {
  let n = 0;
  for (let y = y0; y < y1; y++) if (differs(img.data, (y * img.width + x) * 4, c)) n++;
  return n / Math.max(1, y1 - y0);
}

/** Whether a line is nearly one colour: the colour it would be trimmed as must be the line's own. */
function uniformLine(img: RgbaImage, xs: number[], ys: number[], c: Rgb): boolean {
  let n = 0;
  for (let k = 0; k < xs.length; k++) if (differs(img.data, (ys[k] * img.width + xs[k]) * 4, c)) n++;
  return n <= xs.length * BORDER_MAX_SHARE;
}

const range = (a: number, b: number) => Array.from({ length: Math.max(0, b - a) }, (_, i) => a + i);

/** The image without its uniform borders, or null when it has none worth removing. */
export function trimBorders(img: RgbaImage): Rect | null {
  const { width: w, height: h } = img;
  if (w < 16 || h < 16) return null;
  let top = 0;
  let bottom = h;
  let left = 0;
  let right = w;
  const xsAll = range(0, w);
  const ysAll = range(0, h);
  // Top and bottom bars first (letterbox), then the sides within what is left (pillarbox, padding).
  const topC = medianColour(img, xsAll, xsAll.map(() => 0));
  if (uniformLine(img, xsAll, xsAll.map(() => 0), topC)) while (top < h - 8 && rowShare(img, top, 0, w, topC) <= BORDER_MAX_SHARE) top++;
  const botC = medianColour(img, xsAll, xsAll.map(() => h - 1));
  if (uniformLine(img, xsAll, xsAll.map(() => h - 1), botC)) while (bottom > top + 8 && rowShare(img, bottom - 1, 0, w, botC) <= BORDER_MAX_SHARE) bottom--;
  const ys = range(top, bottom);
  const leftC = medianColour(img, ys.map(() => 0), ys);
  if (uniformLine(img, ys.map(() => 0), ys, leftC)) while (left < w - 8 && colShare(img, left, top, bottom, leftC) <= BORDER_MAX_SHARE) left++;
  const rightC = medianColour(img, ys.map(() => w - 1), ys);
  if (uniformLine(img, ys.map(() => w - 1), ys, rightC)) while (right > left + 8 && colShare(img, right - 1, top, bottom, rightC) <= BORDER_MAX_SHARE) right--;
  const trimmed = { x: left, y: top, w: right - left, h: bottom - top };
  if (trimmed.w < w * 0.2 || trimmed.h < h * 0.2) return null; // almost all border: nothing to hash
  if (trimmed.w >= w * (1 - MIN_TRIM) && trimmed.h >= h * (1 - MIN_TRIM)) return null;
  return trimmed;
}

/** Share of a row that must differ from the UI background for the row to belong to the picture. */
const CONTENT_ROW_SHARE = 0.5;
/** A row with at most this share of non-background pixels separates the picture from the UI. */
const SEPARATOR_MAX_SHARE = 0.03;
/** Columns of the picture band with at least this share of differing pixels belong to the picture. */
const CONTENT_COL_SHARE = 0.3;

/**
 * The picture inside a screenshot: the tallest band of "content" rows (gaps of up to 1.5% of the height
 * bridged, for rows of the picture that happen to match the background), narrowed to its content columns.
 */
export function contentRect(img: RgbaImage): Rect | null {
  const { width: w, height: h } = img;
  if (w < 32 || h < 32) return null;
  const border: Array<[number, number]> = [];
  for (let x = 0; x < w; x += 4) border.push([x, 0], [x, h - 1]);
  for (let y = 0; y < h; y += 4) border.push([0, y], [w - 1, y]);
  const bg = medianColour(img, border.map((p) => p[0]), border.map((p) => p[1]));
  const share = range(0, h).map((y) => rowShare(img, y, 0, w, bg, 3));
  const gap = Math.max(2, Math.round(h * 0.015));
  let best: [number, number] | null = null;
  let start = -1;
  let lastGood = -1;
  for (let y = 0; y <= h; y++) {
    const good = y < h && share[y] >= CONTENT_ROW_SHARE;
    if (good) {
      if (start < 0 || y - lastGood > gap) start = y;
      lastGood = y;
      if (!best || lastGood + 1 - start > best[1] - best[0]) best = [start, lastGood + 1];
    }
  }
  if (!best || best[1] - best[0] < h * 0.1) return null;
  let [top, bottom] = best;
  let left = 0;
  let right = w;
  while (left < w - 8 && colShare(img, left, top, bottom, bg) < CONTENT_COL_SHARE) left++;
  while (right > left + 8 && colShare(img, right - 1, top, bottom, bg) < CONTENT_COL_SHARE) right--;
  // Dark (or light) parts of the picture can match the UI's background and end the band early; apps
  // leave a strip of pure background around a picture, so grow the band until such a strip.
  while (top > 0 && rowShare(img, top - 1, left, right, bg) > SEPARATOR_MAX_SHARE) top--;
  while (bottom < h && rowShare(img, bottom, left, right, bg) > SEPARATOR_MAX_SHARE) bottom++;
  const r = { x: left, y: top, w: right - left, h: bottom - top };
  if (r.w < w * 0.2) return null;
  if (r.w >= w * (1 - MIN_TRIM) && r.h >= h * (1 - MIN_TRIM)) return null;
  return r;
}

/**
 * Whether the image looks like a picture turned by a few degrees on an enlarged canvas: all four
 * corners filled with one flat colour (the canvas showing in the wedges). Cheap, and false for most
 * photos, which then skip the rotation views.
 */
export function hasCornerWedges(img: RgbaImage): boolean {
  const { width: w, height: h } = img;
  if (w < 16 || h < 16) return false;
  const k = 3;
  const corners: Array<[number, number]> = [[0, 0], [w - k, 0], [0, h - k], [w - k, h - k]];
  const first = pixel(img, 0, 0);
  for (const [cx, cy] of corners) {
    for (let y = cy; y < cy + k; y++) {
      for (let x = cx; x < cx + k; x++) if (differs(img.data, (y * w + x) * 4, first)) return false;
    }
  }
  return true;
}
