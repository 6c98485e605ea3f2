/**
 * Re-uploads where the registered picture is only part of what was posted, or warped: off-centre
 * crops, a picture beside another, one tile of a collage, a 9:16 frame over a blurred copy of itself,
 * a coloured frame with a text band, crop + small rotation, shear, opaque stickers, heavy noise,
 * darkened gamma. Made with sharp from the original; every geometric parameter is drawn from a seed
 * per photo (`rng`), so a benchmark run samples the edit's family rather than one fixed instance.
 */
import sharp, { type Sharp } from 'sharp';
import type { Source } from './image-edits.ts';

export interface PartialEdit {
  name: string;
  /** `others`: distinct photos to fill the rest of a collage or the neighbour picture. */
  apply(src: Source, others: Source[], rng: () => number): Promise<Buffer>;
}

export function seeded(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0;
  return () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0) / 2 ** 32);
}

// Helpers for edits, also bench/unseen-edits.ts's.
export const img = (s: Source) => sharp(s.rgb, { raw: { width: s.width, height: s.height, channels: 3 } });
export const jpeg = (p: Sharp, quality = 85) => p.jpeg({ quality }).toBuffer();
export const between = (r: () => number, a: number, b: number) => a + (b - a) * r();

export async function toSource(p: Sharp): Promise<Source> {
  const { data, info } = await p.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { rgb: data, width: info.width, height: info.height };
}

/** `keepX` x `keepY` of the picture, placed at (ax, ay) in [0, 1] of the room left. */
export function cropFrac(s: Source, keepX: number, keepY: number, ax: number, ay: number): Sharp {
  const w = Math.round(s.width * keepX);
  const h = Math.round(s.height * keepY);
  return img(s).extract({ left: Math.round((s.width - w) * ax), top: Math.round((s.height - h) * ay), width: w, height: h });
}

const esc = (t: string) => t.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] as string);
const CAPTIONS = ['omg look who it is', 'found this on her old account', 'share before it gets deleted', 'you know who this is', 'throwback lol'];

function textBand(w: number, h: number, text: string, fill: string, colour: string): Buffer {
  const size = Math.min(h * 0.45, (w / text.length) * 1.8);
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="${w}" height="${h}" fill="${fill}"/>
    <text x="${w / 2}" y="${h / 2}" font-family="DejaVu Sans, sans-serif" font-weight="bold" font-size="${size}" fill="${colour}" text-anchor="middle" dominant-baseline="middle">${esc(text)}</text></svg>`);
}

function captionOver(w: number, h: number, text: string): Buffer {
  const band = Math.round(h * 0.14);
  const size = Math.min(band * 0.55, (w / text.length) * 1.7);
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">
    <rect x="0" y="${h - band}" width="${w}" height="${band}" fill="black" fill-opacity="0.6"/>
    <text x="${w / 2}" y="${h - band / 2}" font-family="DejaVu Sans, sans-serif" font-weight="bold" font-size="${size}" fill="white" text-anchor="middle" dominant-baseline="middle">${esc(text)}</text></svg>`);
}

/** Opaque emoji-like stickers (discs, stars, hearts), about `share` of the area in all. */
function stickers(w: number, h: number, share: number, r: () => number): Buffer {
  const n = 2 + Math.floor(r() * 3);
  const area = (share * w * h) / n;
  const shapes: string[] = [];
  const colours = ['#ffcc00', '#ff3b6b', '#38c172', '#3490dc', '#ffffff', '#111111'];
  for (let i = 0; i < n; i++) {
    const rad = Math.sqrt(area / Math.PI);
    const x = between(r, rad, w - rad);
    const y = between(r, rad, h - rad);
    const c = colours[Math.floor(r() * colours.length)];
    const kind = Math.floor(r() * 3);
    if (kind === 0) shapes.push(`<circle cx="${x}" cy="${y}" r="${rad}" fill="${c}"/><circle cx="${x - rad / 3}" cy="${y - rad / 4}" r="${rad / 8}" fill="#222"/><circle cx="${x + rad / 3}" cy="${y - rad / 4}" r="${rad / 8}" fill="#222"/>`);
    else if (kind === 1) {
      const pts = Array.from({ length: 10 }, (_, k) => {
        const a = (Math.PI * k) / 5 - Math.PI / 2;
        const rr = k % 2 ? rad * 0.5 : rad * 1.15;
        return `${x + rr * Math.cos(a)},${y + rr * Math.sin(a)}`;
      });
      shapes.push(`<polygon points="${pts.join(' ')}" fill="${c}"/>`);
    } else shapes.push(`<rect x="${x - rad}" y="${y - rad * 0.8}" width="${rad * 2}" height="${rad * 1.6}" rx="${rad / 3}" fill="${c}"/>`);
  }
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${shapes.join('')}</svg>`);
}

function gaussian(r: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
}

function mapPixels(s: Source, f: (v: number) => number): Source {
  const out = Buffer.alloc(s.rgb.length);
  for (let i = 0; i < s.rgb.length; i++) out[i] = Math.max(0, Math.min(255, Math.round(f(s.rgb[i]))));
  return { ...s, rgb: out };
}

async function cover(s: Source, w: number, h: number): Promise<Buffer> {
  return img(s).resize(w, h, { fit: 'cover' }).png().toBuffer();
}

export const PARTIAL_EDITS: readonly PartialEdit[] = [
  {
    name: 'crop-15-corner-offcentre',
    apply: (s, _o, r) => {
      const keep = between(r, 0.82, 0.88);
      return jpeg(cropFrac(s, keep, keep, r() < 0.5 ? between(r, 0, 0.15) : between(r, 0.85, 1), r() < 0.5 ? between(r, 0, 0.15) : between(r, 0.85, 1)));
    },
  },
  {
    name: 'crop-caption-jpeg',
    apply: async (s, _o, r) => {
      const c = await toSource(cropFrac(s, between(r, 0.75, 0.88), between(r, 0.75, 0.88), r(), r()));
      return jpeg(img(c).composite([{ input: captionOver(c.width, c.height, CAPTIONS[Math.floor(r() * CAPTIONS.length)]) }]), 35 + Math.floor(r() * 15));
    },
  },
  {
    name: 'mirror-crop',
    apply: async (s, _o, r) => {
      const c = await toSource(img(s).flop());
      return jpeg(cropFrac(c, between(r, 0.75, 0.9), between(r, 0.75, 0.9), r(), r()));
    },
  },
  {
    name: 'frame-text-band',
    apply: async (s, _o, r) => {
      const W = 900;
      const pw = Math.round(W * between(r, 0.78, 0.88));
      const ph = Math.round((pw * s.height) / s.width);
      const band = Math.round(ph * between(r, 0.18, 0.3));
      const m = Math.round((W - pw) / 2);
      const H = ph + band + 3 * m;
      const frame = ['#f4d03f', '#e74c3c', '#1abc9c', '#8e44ad', '#fdfefe', '#2c3e50'][Math.floor(r() * 6)];
      const bandTop = r() < 0.5;
      const photo = await img(s).resize(pw, ph).png().toBuffer();
      const text = textBand(pw, band, CAPTIONS[Math.floor(r() * CAPTIONS.length)], frame, frame === '#fdfefe' || frame === '#f4d03f' ? '#111' : '#fff');
      return jpeg(sharp({ create: { width: W, height: H, channels: 3, background: frame } }).composite([
        { input: photo, left: m, top: bandTop ? 2 * m + band : m },
        { input: text, left: m, top: bandTop ? m : 2 * m + ph },
      ]));
    },
  },
  {
    name: 'beside-another',
    apply: async (s, others, r) => {
      const o = others[Math.floor(r() * others.length)];
      const H = Math.round(between(r, 420, 720));
      const w1 = Math.round((H * s.width) / s.height);
      const w2 = Math.round((H * o.width) / o.height);
      const gap = Math.floor(r() * 12);
      const left = r() < 0.5;
      const a = await img(s).resize(w1, H).png().toBuffer();
      const b = await img(o).resize(w2, H).png().toBuffer();
      return jpeg(sharp({ create: { width: w1 + w2 + gap, height: H, channels: 3, background: '#ffffff' } }).composite([
        { input: a, left: left ? 0 : w2 + gap, top: 0 },
        { input: b, left: left ? w1 + gap : 0, top: 0 },
      ]));
    },
  },
  {
    name: 'collage-tile',
    apply: async (s, others, r) => {
      const n = r() < 0.5 ? 2 : 3;
      const tile = Math.round(between(r, 1000, 1200) / n);
      const gap = 4 + Math.floor(r() * 6);
      const W = n * tile + (n + 1) * gap;
      const mine = Math.floor(r() * n * n);
      const parts = [];
      for (let k = 0; k < n * n; k++) {
        const src = k === mine ? s : others[(k + Math.floor(r() * others.length)) % others.length];
        parts.push({ input: await cover(src, tile, tile), left: gap + (k % n) * (tile + gap), top: gap + Math.floor(k / n) * (tile + gap) });
      }
      return jpeg(sharp({ create: { width: W, height: W, channels: 3, background: '#ffffff' } }).composite(parts), 80);
    },
  },
  {
    name: 'vertical-9x16-blurred',
    apply: async (s, _o, r) => {
      const W = 720, H = 1280;
      const bg = await img(s).resize(W, H, { fit: 'cover' }).blur(between(r, 18, 30)).modulate({ brightness: 0.8 }).png().toBuffer();
      const fw = Math.round(W * between(r, 0.9, 1));
      const fh = Math.round((fw * s.height) / s.width);
      const fg = await img(s).resize(fw, Math.min(fh, H)).png().toBuffer();
      return jpeg(sharp(bg).composite([{ input: fg, left: Math.round((W - fw) / 2), top: Math.round((H - Math.min(fh, H)) * between(r, 0.35, 0.55)) }]), 80);
    },
  },
  {
    name: 'crop-rotate',
    apply: async (s, _o, r) => {
      const deg = (r() < 0.5 ? -1 : 1) * between(r, 3, 10);
      const rot = await toSource(img(s).rotate(deg, { background: '#000000' }));
      // Then cropped inside the turned picture, as a "straighten" tool does.
      const rad = (Math.abs(deg) * Math.PI) / 180;
      const keep = Math.max(0.55, 1 - 2 * Math.sin(rad) - 0.05) ;
      return jpeg(cropFrac(rot, keep * between(r, 0.85, 1), keep * between(r, 0.85, 1), between(r, 0.3, 0.7), between(r, 0.3, 0.7)));
    },
  },
  {
    name: 'shear',
    apply: (s, _o, r) => {
      const k = (r() < 0.5 ? -1 : 1) * between(r, 0.12, 0.25);
      const m: [number, number, number, number] = r() < 0.5 ? [1, k, 0, 1] : [1, 0, k, 1];
      return jpeg(img(s).affine(m, { background: '#000000' }));
    },
  },
  {
    name: 'stickers-15',
    apply: (s, _o, r) => jpeg(img(s).composite([{ input: stickers(s.width, s.height, between(r, 0.12, 0.18), r) }])),
  },
  {
    name: 'heavy-noise',
    apply: (s, _o, r) => {
      const g = gaussian(r);
      const sigma = between(r, 25, 35);
      return jpeg(img(mapPixels(s, (v) => v + sigma * g())), 80);
    },
  },
  {
    name: 'gamma-dark',
    apply: (s, _o, r) => {
      const gamma = between(r, 1.8, 2.4);
      return jpeg(img(mapPixels(s, (v) => 255 * (v / 255) ** gamma)));
    },
  },
];
