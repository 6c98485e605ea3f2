/**
 * The edits of bench/unseen.ts: kinds and ranges no test or threshold was chosen on (the tests' and
 * bench:features' edits are test/support/partial-edits.ts and image-edits.ts). Only the benchmark
 * imports this file, so it stays a check of generalisation: read its figures, do not tune on them.
 * Every parameter is drawn from the seed of the photo (`r`); `pick` draws another registered photo.
 */
import sharp from 'sharp';
import type { Source } from '../test/support/image-edits.ts';
import { between, cropFrac, img, jpeg, toSource } from '../test/support/partial-edits.ts';

export interface UnseenEdit {
  name: string;
  apply(src: Source, pick: (r: () => number) => Source, r: () => number): Promise<Buffer>;
}

const side = (r: () => number) => (r() < 0.5 ? 0 : 1);
/** `keep` of each side, placed at (ax, ay) in [0, 1] of the room left. */
const crop = (s: Source, keep: number, ax: number, ay: number) => cropFrac(s, keep, keep, ax, ay);

function band(width: number, height: number, text: string): Buffer {
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="${width}" height="${height}" fill="white"/>
    <text x="${width / 2}" y="${height / 2}" font-family="DejaVu Sans, sans-serif" font-weight="bold" font-size="${Math.min(height * 0.42, (width / text.length) * 1.6)}" text-anchor="middle" dominant-baseline="middle">${text}</text></svg>`);
}

/** Deterministic grain of +-`amp` levels on every channel. */
function grain(s: Source, amp: number, seed: number): Source {
  const d = Buffer.from(s.rgb);
  let z = seed >>> 0;
  for (let i = 0; i < d.length; i++) {
    z = (Math.imul(z, 1664525) + 1013904223) >>> 0;
    d[i] = Math.max(0, Math.min(255, d[i] + ((z >>> 8) % (2 * amp + 1)) - amp));
  }
  return { ...s, rgb: d };
}

export const UNSEEN_EDITS: readonly UnseenEdit[] = [
  { name: 'crop-30-corner', apply: (s, _p, r) => jpeg(crop(s, between(r, 0.68, 0.75), side(r), side(r))) },
  { name: 'crop-40-centre', apply: (s, _p, r) => jpeg(crop(s, between(r, 0.58, 0.64), between(r, 0.4, 0.6), between(r, 0.4, 0.6))) },
  {
    name: 'mirror-rotate-crop',
    apply: async (s, _p, r) => {
      const deg = (r() < 0.5 ? -1 : 1) * between(r, 4, 8);
      const turned = await toSource(img(s).flop().rotate(deg, { background: '#000000' }));
      return jpeg(crop(turned, 1 - 2 * Math.sin((Math.abs(deg) * Math.PI) / 180) - 0.08, 0.5, 0.5));
    },
  },
  {
    name: 'portrait-4x5-blurred',
    apply: async (s) => {
      const W = 1080, H = 1350;
      const bg = await img(s).resize(W, H, { fit: 'cover' }).blur(25).png().toBuffer();
      const fh = Math.min(H, Math.round((W * s.height) / s.width));
      const fg = await img(s).resize(W, fh).png().toBuffer();
      return jpeg(sharp(bg).composite([{ input: fg, left: 0, top: Math.round((H - fh) / 2) }]));
    },
  },
  {
    name: 'stacked-on-another',
    apply: async (s, pick, r) => {
      const o = pick(r);
      const W = 700;
      const h1 = Math.round((W * s.height) / s.width), h2 = Math.round((W * o.height) / o.width);
      const above = r() < 0.5;
      const a = await img(s).resize(W, h1).png().toBuffer(), b = await img(o).resize(W, h2).png().toBuffer();
      return jpeg(sharp({ create: { width: W, height: h1 + h2, channels: 3, background: '#ffffff' } }).composite([
        { input: a, left: 0, top: above ? 0 : h2 },
        { input: b, left: 0, top: above ? h1 : 0 },
      ]));
    },
  },
  {
    name: 'meme-bands',
    apply: async (s) => {
      const W = 800, h = Math.round((W * s.height) / s.width), b = Math.round(h * 0.22);
      const photo = await img(s).resize(W, h).png().toBuffer();
      return jpeg(sharp({ create: { width: W, height: h + 2 * b, channels: 3, background: '#ffffff' } }).composite([
        { input: band(W, b, 'WHEN SHE SEES THIS'), left: 0, top: 0 },
        { input: photo, left: 0, top: b },
        { input: band(W, b, 'NOBODY EXPECTED IT'), left: 0, top: b + h },
      ]));
    },
  },
  { name: 'keystone-like', apply: (s, _p, r) => jpeg(img(s).affine([0.95, between(r, 0.06, 0.12), -between(r, 0.05, 0.1), 1.05], { background: '#222222' })) },
  { name: 'noise-crop', apply: async (s, _p, r) => { const c = await toSource(crop(s, 0.85, r(), r())); return jpeg(img(grain(c, 30, 7)), 70); } },
  { name: 'small-q35-crop', apply: (s, _p, r) => jpeg(crop(s, 0.9, r(), r()).resize(320), 35) },
  {
    name: 'inset-in-another-photo',
    apply: async (s, pick, r) => {
      const o = pick(r);
      const W = 1000, H = Math.round((W * o.height) / o.width);
      const pw = Math.round(W * between(r, 0.38, 0.45)), ph = Math.min(H - 40, Math.round((pw * s.height) / s.width));
      const inset = await img(s).resize(pw, ph).png().toBuffer();
      return jpeg(img(o).resize(W, H).composite([{ input: inset, left: side(r) ? W - pw - 20 : 20, top: side(r) ? H - ph - 20 : 20 }]));
    },
  },
  { name: 'dark-crop', apply: (s, _p, r) => jpeg(crop(s, 0.85, r(), r()).gamma(1, 2.2).linear(0.7, 0)) },
  { name: 'quarter-turn-crop', apply: async (s, _p, r) => jpeg(crop(await toSource(img(s).rotate(90)), 0.85, r(), r())) },
];
