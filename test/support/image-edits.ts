/**
 * What re-uploaders do to an image, made with sharp: re-encoding, resizing, colour changes, crops,
 * borders, letterboxing, small rotations, captions, mosaics, a phone screenshot inside an app's UI, and
 * combinations. Shared by the robustness tests and `npm run bench:robustness`; every edit is generated
 * here from the original file, nothing is downloaded.
 */
import sharp, { type Sharp } from 'sharp';

export type EditFamily = 'mild' | 'hard';

export interface Edit {
  name: string;
  family: EditFamily;
  apply(src: Source): Promise<Buffer>;
}

/** An original, decoded once: RGB pixels plus the bytes it came from. */
export interface Source {
  rgb: Buffer;
  width: number;
  height: number;
}

export async function loadSource(bytes: Uint8Array): Promise<Source> {
  const { data, info } = await sharp(bytes).flatten({ background: '#ffffff' }).toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { rgb: data, width: info.width, height: info.height };
}

const img = (s: Source) => sharp(s.rgb, { raw: { width: s.width, height: s.height, channels: 3 } });
const jpeg = (p: Sharp, quality = 85) => p.jpeg({ quality }).toBuffer();

async function toSource(p: Sharp): Promise<Source> {
  const { data, info } = await p.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { rgb: data, width: info.width, height: info.height };
}

function mapPixels(s: Source, f: (v: number, i: number) => number): Source {
  const out = Buffer.alloc(s.rgb.length);
  for (let i = 0; i < s.rgb.length; i++) out[i] = Math.max(0, Math.min(255, Math.round(f(s.rgb[i], i))));
  return { ...s, rgb: out };
}

/** Keeps a fraction `keep` of each side, its top-left corner at `ax`, `ay` of the removed margin (0.5 = centred). */
function crop(s: Source, keep: number, ax: number, ay: number, keepY = keep): Sharp {
  const w = Math.round(s.width * keep);
  const h = Math.round(s.height * keepY);
  return img(s).extract({ left: Math.round((s.width - w) * ax), top: Math.round((s.height - h) * ay), width: w, height: h });
}

function pad(s: Source, frac: number, colour: string): Sharp {
  const x = Math.round((s.width * frac) / 2);
  const y = Math.round((s.height * frac) / 2);
  return img(s).extend({ top: y, bottom: y, left: x, right: x, background: colour });
}

async function letterbox(s: Source, aspect: number, colour: string): Promise<Buffer> {
  // The canvas keeps the image's longer side's pixels, as phone editors do.
  const w = s.width / s.height > aspect ? s.width : Math.round(s.height * aspect);
  const h = Math.round(w / aspect);
  return jpeg(img(s).resize(w, h, { fit: 'contain', background: colour }));
}

function escapeXml(t: string): string {
  return t.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] as string);
}

/** A caption band over the bottom ~13% of the image, white text on a dark translucent bar. */
function captionSvg(w: number, h: number, text = 'when she thought nobody would ever see this lol'): Buffer {
  const band = Math.round(h * 0.13);
  const size = Math.min(band * 0.55, (w / text.length) * 1.7);
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">
    <rect x="0" y="${h - band}" width="${w}" height="${band}" fill="black" fill-opacity="0.65"/>
    <text x="${w / 2}" y="${h - band / 2}" font-family="DejaVu Sans, sans-serif" font-weight="bold" font-size="${size}" fill="white" text-anchor="middle" dominant-baseline="middle">${escapeXml(text)}</text></svg>`);
}

/** A diagonal semi-opaque watermark across the middle (~12% of the area) plus a corner handle. */
function watermarkSvg(w: number, h: number): Buffer {
  const size = Math.round(Math.min(w, h) * 0.11);
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">
    <text x="${w / 2}" y="${h / 2}" font-family="DejaVu Sans, sans-serif" font-weight="bold" font-size="${size}" fill="white" fill-opacity="0.6" stroke="black" stroke-opacity="0.4" text-anchor="middle" dominant-baseline="middle" transform="rotate(-25 ${w / 2} ${h / 2})">@leaked_pics_4u</text>
    <text x="${w - 8}" y="${h - 10}" font-family="DejaVu Sans, sans-serif" font-size="${size * 0.45}" fill="white" fill-opacity="0.8" text-anchor="end">reposted.example</text></svg>`);
}

/** A phone screenshot of the image inside a social app (status bar, header, actions, text, nav bar). */
async function screenshot(s: Source, dark: boolean): Promise<Buffer> {
  const W = 1080;
  const H = 2340;
  const bg = dark ? '#121212' : '#ffffff';
  const fg = dark ? '#f0f0f0' : '#111111';
  const grey = dark ? '#9a9a9a' : '#777777';
  const margin = dark ? 0 : 36; // light theme: a card with margins; dark: full-bleed
  const imgW = W - 2 * margin;
  const imgH = Math.min(Math.round((imgW * s.height) / s.width), 1350);
  const top = 330;
  const below = top + imgH + 30;
  const photo = await img(s).resize(imgW, imgH, { fit: 'cover' }).png().toBuffer();
  const lines = ['so this is going around again, thoughts?', 'seen it on three other boards already #repost', 'View all 214 comments'];
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">
    <rect width="${W}" height="${H}" fill="${bg}"/>
    <text x="60" y="70" font-family="DejaVu Sans, sans-serif" font-size="40" font-weight="bold" fill="${fg}">9:41</text>
    <rect x="880" y="42" width="70" height="32" rx="6" fill="none" stroke="${fg}" stroke-width="4"/><rect x="886" y="48" width="48" height="20" fill="${fg}"/>
    <circle cx="830" cy="58" r="14" fill="${fg}"/><rect x="760" y="50" width="40" height="20" fill="${fg}"/>
    <circle cx="110" cy="230" r="55" fill="#e1306c"/><circle cx="110" cy="230" r="46" fill="${dark ? '#444' : '#ccc'}"/>
    <text x="190" y="220" font-family="DejaVu Sans, sans-serif" font-size="40" font-weight="bold" fill="${fg}">anon_uploader_2291</text>
    <text x="190" y="270" font-family="DejaVu Sans, sans-serif" font-size="32" fill="${grey}">Sponsored · 2h</text>
    <rect x="820" y="190" width="200" height="80" rx="16" fill="#0095f6"/><text x="920" y="242" font-family="DejaVu Sans, sans-serif" font-size="36" fill="white" text-anchor="middle">Follow</text>
    <path d="M80 ${below + 40} l30 -30 a20 20 0 0 1 30 30 l-30 35 l-30 -35 a20 20 0 0 1 0 0 z" fill="none" stroke="${fg}" stroke-width="6"/>
    <circle cx="230" cy="${below + 40}" r="32" fill="none" stroke="${fg}" stroke-width="6"/>
    <path d="M330 ${below + 15} l70 25 l-70 25 z" fill="none" stroke="${fg}" stroke-width="6"/>
    <text x="60" y="${below + 140}" font-family="DejaVu Sans, sans-serif" font-size="38" font-weight="bold" fill="${fg}">12,408 likes</text>
    ${lines.map((t, i) => `<text x="60" y="${below + 210 + i * 60}" font-family="DejaVu Sans, sans-serif" font-size="36" fill="${i === 2 ? grey : fg}">${escapeXml(t)}</text>`).join('')}
    <rect x="0" y="${H - 170}" width="${W}" height="170" fill="${dark ? '#1c1c1c' : '#fafafa'}"/>
    ${[0, 1, 2, 3, 4].map((k) => `<rect x="${90 + k * 210}" y="${H - 120}" width="60" height="60" rx="12" fill="none" stroke="${fg}" stroke-width="6"/>`).join('')}
  </svg>`;
  const shot = await sharp(Buffer.from(svg)).composite([{ input: photo, left: margin, top }]).png().toBuffer();
  // Phones save screenshots as PNG; sites re-encode them, often smaller.
  return sharp(shot).resize(720).jpeg({ quality: 80 }).toBuffer();
}

async function mosaic(s: Source): Promise<Buffer> {
  const w = Math.round(s.width * 0.4);
  const h = Math.round(s.height * 0.4);
  const left = Math.round(s.width * 0.35);
  const top = Math.round(s.height * 0.2);
  const block = Math.max(6, Math.round(Math.max(s.width, s.height) / 40));
  const small = await img(s).extract({ left, top, width: w, height: h }).resize(Math.ceil(w / block), Math.ceil(h / block), { kernel: 'cubic' }).png().toBuffer();
  const patch = await sharp(small).resize(w, h, { kernel: 'nearest' }).png().toBuffer();
  return jpeg(img(s).composite([{ input: patch, left, top }]));
}

function gaussian(seed: number): () => number {
  let x = seed >>> 0;
  const u = () => ((x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0) + 0.5) / 2 ** 32;
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

export const EDITS: readonly Edit[] = [
  { name: 'jpeg-q15', family: 'mild', apply: (s) => jpeg(img(s), 15) },
  { name: 'webp-q40', family: 'mild', apply: (s) => img(s).webp({ quality: 40 }).toBuffer() },
  { name: 'resize-320', family: 'mild', apply: (s) => jpeg(img(s).resize(320, 320, { fit: 'inside' }), 75) },
  { name: 'upscale-1.7x', family: 'mild', apply: (s) => jpeg(img(s).resize(Math.round(s.width * 1.7))) },
  { name: 'colour-shift', family: 'mild', apply: (s) => jpeg(img(s).modulate({ brightness: 1.15, saturation: 1.6, hue: 25 })) },
  { name: 'gamma-0.6', family: 'mild', apply: (s) => jpeg(img(mapPixels(s, (v) => 255 * (v / 255) ** 0.6))) },
  { name: 'contrast', family: 'mild', apply: (s) => jpeg(img(s).linear(1.4, -45)) },
  { name: 'greyscale', family: 'mild', apply: (s) => jpeg(img(s).greyscale()) },
  { name: 'blur', family: 'mild', apply: (s) => jpeg(img(s).blur(Math.max(1.5, Math.max(s.width, s.height) / 300))) },
  { name: 'noise', family: 'mild', apply: (s) => { const g = gaussian(s.width * 7 + s.height); return jpeg(img(mapPixels(s, (v) => v + 14 * g()))); } },
  { name: 'mirror', family: 'mild', apply: (s) => jpeg(img(s).flop()) },
  { name: 'rotate-90', family: 'mild', apply: (s) => jpeg(img(s).rotate(90)) },
  { name: 'caption', family: 'mild', apply: (s) => jpeg(img(s).composite([{ input: captionSvg(s.width, s.height) }])) },
  { name: 'watermark', family: 'mild', apply: (s) => jpeg(img(s).composite([{ input: watermarkSvg(s.width, s.height) }])) },
  { name: 'stretch-1.3x', family: 'mild', apply: (s) => jpeg(img(s).resize(Math.round(s.width * 1.3), s.height, { fit: 'fill' })) },
  { name: 'squash-0.75y', family: 'mild', apply: (s) => jpeg(img(s).resize(s.width, Math.round(s.height * 0.75), { fit: 'fill' })) },

  { name: 'crop-5-centre', family: 'hard', apply: (s) => jpeg(crop(s, 0.95, 0.5, 0.5)) },
  { name: 'crop-15-centre', family: 'hard', apply: (s) => jpeg(crop(s, 0.85, 0.5, 0.5)) },
  { name: 'crop-25-centre', family: 'hard', apply: (s) => jpeg(crop(s, 0.75, 0.5, 0.5)) },
  { name: 'crop-10-corner', family: 'hard', apply: (s) => jpeg(crop(s, 0.9, 0, 0)) },
  { name: 'crop-20-offcentre', family: 'hard', apply: (s) => jpeg(crop(s, 0.8, 0.85, 0.3)) },
  { name: 'crop-25-corner', family: 'hard', apply: (s) => jpeg(crop(s, 0.75, 1, 1)) },
  { name: 'crop-20-top-only', family: 'hard', apply: (s) => jpeg(crop(s, 1, 0.5, 1, 0.8)) },
  { name: 'pad-black-20', family: 'hard', apply: (s) => jpeg(pad(s, 0.2, '#000000')) },
  { name: 'pad-white-20', family: 'hard', apply: (s) => jpeg(pad(s, 0.2, '#ffffff')) },
  { name: 'letterbox-16x9', family: 'hard', apply: (s) => letterbox(s, 16 / 9, '#000000') },
  { name: 'letterbox-9x16', family: 'hard', apply: (s) => letterbox(s, 9 / 16, '#000000') },
  { name: 'rotate-5', family: 'hard', apply: (s) => jpeg(img(s).rotate(5, { background: '#000000' })) },
  { name: 'rotate-minus-4-white', family: 'hard', apply: (s) => jpeg(img(s).rotate(-4, { background: '#ffffff' })) },
  { name: 'mosaic-patch', family: 'hard', apply: (s) => mosaic(s) },
  { name: 'screenshot-light', family: 'hard', apply: (s) => screenshot(s, false) },
  { name: 'screenshot-dark', family: 'hard', apply: (s) => screenshot(s, true) },
  {
    name: 'combo-crop-caption-jpeg',
    family: 'hard',
    apply: async (s) => {
      const c = await toSource(crop(s, 0.85, 0.2, 0.6));
      return jpeg(img(c).composite([{ input: captionSvg(c.width, c.height, 'omg look who it is') }]), 40);
    },
  },
  {
    name: 'combo-mirror-pad-resize',
    family: 'hard',
    apply: async (s) => {
      const c = await toSource(img(s).flop().extend({ top: Math.round(s.height * 0.15), bottom: Math.round(s.height * 0.15), background: '#ffffff' }));
      return img(c).resize(400, 400, { fit: 'inside' }).webp({ quality: 60 }).toBuffer();
    },
  },
];
