import sharp from 'sharp';
import { loadSource } from './image-edits.ts';
import { syntheticPhoto } from './images.ts';

/**
 * A site's watermark as sites stamp it: its name in bold, semi-opaque white with a thin dark outline,
 * in the bottom-right corner or tiled across the whole picture (turned -20 degrees, rows offset).
 * Rendered from SVG text, so every picture of a "site" carries the very same mark.
 */
export function siteMarkSvg(w: number, h: number, layout: 'corner' | 'tiled', name = 'photoleaks.example', opacity = 0.55): Buffer {
  const size = Math.round(Math.min(w, h) * (layout === 'corner' ? 0.08 : 0.07));
  const text = (x: number, y: number, extra: string) =>
    `<text x="${x}" y="${y}" font-family="DejaVu Sans, sans-serif" font-weight="bold" font-size="${size}" fill="white" fill-opacity="${opacity}" stroke="black" stroke-width="1" stroke-opacity="${opacity * 0.6}" ${extra}>${name}</text>`;
  const parts: string[] = [];
  if (layout === 'corner') parts.push(text(w - 12, h - 14, 'text-anchor="end"'));
  else for (let y = size * 1.5; y < h; y += size * 3.2) for (let x = ((y / size) % 2) * size * 3 - size * 4; x < w; x += size * 11) parts.push(text(x, y, `transform="rotate(-20 ${x} ${y})"`));
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${parts.join('')}</svg>`);
}

/** A generated photo squeezed into a band of grey levels `span` wide around mid-grey (1: full contrast). */
export async function dimPhoto(seed: number, span: number, w = 640, h = 480): Promise<Buffer> {
  const s = await loadSource(await syntheticPhoto(seed, w, h));
  const rgb = Buffer.from(s.rgb.map((v) => Math.round(128 - 128 * span + v * span)));
  return sharp(rgb, { raw: { width: s.width, height: s.height, channels: 3 } }).png().toBuffer();
}

/** A generated photo (contrast `span`) under the site's mark, saved as a site would (JPEG). */
export async function markedPhoto(seed: number, layout: 'corner' | 'tiled', span = 1): Promise<Buffer> {
  return sharp(await dimPhoto(seed, span)).composite([{ input: siteMarkSvg(640, 480, layout) }]).jpeg({ quality: 88 }).toBuffer();
}
