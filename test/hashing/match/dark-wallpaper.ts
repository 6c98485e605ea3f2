import sharp from 'sharp';
import { seeded } from '../../support/partial-edits.ts';

/**
 * A smooth, dark "wallpaper": a dark gradient with a few soft-edged shapes of low contrast (PDQ
 * quality under 50, like the holdout's dark wallpapers). Each seed places the shapes differently.
 */
export async function darkWallpaper(seed: number, width = 1280, height = 800, edge = 6, contrast = 28): Promise<Buffer> {
  const r = seeded(seed);
  const px = Buffer.alloc(width * height * 3);
  const shapes = Array.from({ length: 5 }, () => ({ x: r() * width, y: r() * height, s: (0.08 + 0.2 * r()) * width, c: [r(), r(), r()].map((v) => contrast * (0.4 + 0.6 * v)) }));
  const tilt = r() * Math.PI * 2;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      const base = 8 + 10 * (0.5 + 0.5 * Math.sin(tilt + (x * Math.cos(tilt) + y * Math.sin(tilt)) / width * 3));
      for (let ch = 0; ch < 3; ch++) {
        let v = base;
        for (const s of shapes) v += s.c[ch] / (1 + Math.exp((Math.hypot(x - s.x, y - s.y) - s.s) / edge));
        px[o + ch] = Math.min(255, Math.round(v));
      }
    }
  }
  return sharp(px, { raw: { width, height, channels: 3 } }).png().toBuffer();
}
