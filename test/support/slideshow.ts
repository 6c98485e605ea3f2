/**
 * Slideshow videos made with the real ffmpeg: each photo shown for a few seconds with a slow zoom
 * towards a corner or a point and a pan (the "Ken Burns" effect of slideshow apps), filling a 16:9
 * frame (cropped to fill, or fitted with bars for a photo of another shape). Every parameter is drawn
 * from a seed, so a benchmark samples the effect's family. Cached under the system temp dir by a hash
 * of the command.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureDir } from './video-edits.ts';

export interface SlideshowOptions {
  /** Seconds per photo (3-5 in the issue). */
  seconds: number[];
  /** Output size (default 960x540) and frame rate (25). */
  width?: number;
  height?: number;
  fps?: number;
  rng: () => number;
}

export interface SlideshowPlan {
  path: string;
  /** When each photo is on screen. */
  slots: Array<{ start: number; end: number; zoomTo: number; fit: 'fill' | 'bars' }>;
}

/** `photos`: encoded image files (PNG/JPEG bytes). */
export function kenBurnsSlideshow(photos: Uint8Array[], opts: SlideshowOptions): SlideshowPlan {
  const W = opts.width ?? 960, H = opts.height ?? 540, fps = opts.fps ?? 25;
  const r = opts.rng;
  const inputs: string[] = [];
  const chains: string[] = [];
  const slots: SlideshowPlan['slots'] = [];
  let t = 0;
  const digest = createHash('sha256');
  for (const [k, bytes] of photos.entries()) {
    const h = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
    const file = join(fixtureDir(), `photo-${h}.img`);
    if (!existsSync(file)) writeFileSync(file, bytes);
    inputs.push('-i', file);
    const secs = opts.seconds[k % opts.seconds.length];
    const d = Math.round(secs * fps);
    const zoomTo = 1.15 + 0.35 * r();
    // Towards a corner, or a point inside the picture; a pan comes with it when the end point differs.
    const corner = r() < 0.6;
    const ex = corner ? (r() < 0.5 ? 0 : 1) : 0.2 + 0.6 * r();
    const ey = corner ? (r() < 0.5 ? 0 : 1) : 0.2 + 0.6 * r();
    const sx = 0.5, sy = 0.5;
    const fit: 'fill' | 'bars' = r() < 0.7 ? 'fill' : 'bars';
    // zoompan works on the input's pixels: scale to twice the output first so its whole-pixel
    // steps do not make the zoom judder, then let it scale down to the output.
    const prep = fit === 'fill'
      ? `scale=${2 * W}:${2 * H}:force_original_aspect_ratio=increase,crop=${2 * W}:${2 * H}`
      : `scale=${2 * W}:${2 * H}:force_original_aspect_ratio=decrease,pad=${2 * W}:${2 * H}:(ow-iw)/2:(oh-ih)/2:black`;
    const z = `1+${(zoomTo - 1).toFixed(4)}*on/${d}`;
    const px = `(iw-iw/zoom)*(${sx}+(${(ex - sx).toFixed(3)})*on/${d})`;
    const py = `(ih-ih/zoom)*(${sy}+(${(ey - sy).toFixed(3)})*on/${d})`;
    // A picture with transparency goes onto a white canvas, as staydown's decoder flattens it
    // (image-decoder.ts) and slideshow apps show it; zoompan alone would turn the transparent parts
    // black - a line drawing on a transparent ground became a black frame.
    const flat = `[${k}:v]format=rgba,split[a${k}][b${k}];[a${k}]drawbox=c=white@1:t=fill[w${k}];[w${k}][b${k}]overlay=format=auto,format=rgb24`;
    chains.push(`${flat},${prep},zoompan=z='${z}':x='${px}':y='${py}':d=${d}:s=${W}x${H}:fps=${fps},setsar=1,format=yuv420p[v${k}]`);
    slots.push({ start: t, end: t + d / fps, zoomTo, fit });
    t += d / fps;
    digest.update(h);
  }
  const filter = `${chains.join(';')};${photos.map((_, k) => `[v${k}]`).join('')}concat=n=${photos.length}:v=1:a=0[out]`;
  const args = [...inputs, '-filter_complex', filter, '-map', '[out]', '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '24', '-pix_fmt', 'yuv420p', '-an'];
  const key = digest.update(JSON.stringify(args.filter((a) => !a.startsWith('/')))).digest('hex').slice(0, 16);
  const out = join(fixtureDir(), `slideshow-${key}.mp4`);
  if (!existsSync(out)) {
    const partial = `${out}.part.${process.pid}.mp4`;
    const res = spawnSync('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...args, partial], { encoding: 'utf8', timeout: 300_000 });
    if (res.error && (res.error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('ffmpeg is not installed: run `apt-get install -y ffmpeg` to run the video tests.');
    if (res.status !== 0) throw new Error(`ffmpeg could not make the slideshow: ${res.stderr}`);
    renameSync(partial, out);
  }
  return { path: out, slots };
}
