/**
 * npm run bench:hash [-- --json]
 * Fingerprinting time per image for a 1 MP and a 12 MP JPEG (median of runs, one process), side by
 * side with the naive pipeline (full-resolution decode + blockhash-core + PDQ at full resolution),
 * and peak RSS while hashing a folder of 1,000 images.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { bmvbhash } from 'blockhash-core';
import { spawnSync } from 'node:child_process';
import { fingerprintBuffer } from '../hashing/fingerprint.ts';
import { pdqFromRgb } from '../hashing/pdq-hasher.ts';
import { JSON_OUT, log, median, report, timeRuns } from './support.ts';

const PHOTOS = ['astronaut.png', 'coffee.png', 'chelsea.png', 'rocket.jpg', 'motorcycle_left.png', 'hubble_deep_field.jpg'];
const SKIMAGE = '/usr/lib/python3/dist-packages/skimage/data';
const CACHE = '/tmp/staydown-bench-hash';
const RUNS = Number(process.env.BENCH_RUNS ?? 25);
const FOLDER_SIZE = Number(process.env.BENCH_FOLDER ?? 1000);

/** A photo-like JPEG: a real photo scaled up, with sensor-like noise so the JPEG is as dense as a camera's. */
async function makeJpeg(source: string, width: number, height: number, seed: number): Promise<Buffer> {
  const { data, info } = await sharp(source).resize(width, height, { fit: 'fill' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = Math.max(0, Math.min(255, data[i] + ((s >>> 24) % 13) - 6));
  }
  return sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } }).jpeg({ quality: 90 }).toBuffer();
}

async function naive(bytes: Buffer): Promise<void> {
  const { data, info } = await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  bmvbhash({ width: info.width, height: info.height, data }, 16);
  pdqFromRgb(data, info.width, info.height, 4);
}

async function main(): Promise<void> {
  const source = join(SKIMAGE, 'coffee.png');
  if (!existsSync(source)) {
    throw new Error(`The sample photos of python3-skimage are missing (${SKIMAGE}); install them with: apt-get install -y python3-skimage`);
  }
  const sizes = [
    { name: '1MP', width: 1152, height: 864 },
    { name: '12MP', width: 4000, height: 3000 },
  ];
  const rows: Array<{ image: string; width: number; height: number; bytes: number; staydownMs: number; naiveMs: number; speedup: number }> = [];
  for (const s of sizes) {
    const jpeg = await makeJpeg(source, s.width, s.height, 7);
    await fingerprintBuffer(jpeg); // warm-up: JIT and libvips start-up are not per-image costs
    await naive(jpeg);
    const ours = median(await timeRuns(RUNS, () => fingerprintBuffer(jpeg)));
    const base = median(await timeRuns(Math.max(5, RUNS >> 2), () => naive(jpeg)));
    rows.push({ image: s.name, width: s.width, height: s.height, bytes: jpeg.length, staydownMs: round(ours), naiveMs: round(base), speedup: round(base / ours) });
    log(`${s.name}: staydown ${ours.toFixed(1)} ms, naive ${base.toFixed(1)} ms`);
  }

  // A folder of images, hashed one after another in this process: memory must stay flat.
  mkdirSync(CACHE, { recursive: true });
  const have = readdirSync(CACHE).filter((f) => f.endsWith('.jpg')).length;
  for (let i = have; i < FOLDER_SIZE; i++) {
    const src = join(SKIMAGE, PHOTOS[i % PHOTOS.length]);
    const big = i % 100 === 0; // one in a hundred is a 12 MP camera photo
    const w = big ? 4000 : 800 + ((i * 37) % 800);
    const h = big ? 3000 : 600 + ((i * 53) % 600);
    writeFileSync(join(CACHE, `img-${String(i).padStart(4, '0')}.jpg`), await makeJpeg(src, w, h, i));
  }
  // Started through a small shell (not as a command it could exec in place): a child forked straight from
  // this process would inherit its resident pages (the 12 MP naive decode) into its own peak-RSS figure.
  const child = spawnSync('/bin/sh', ['-c', '"$0" "$@"; exit $?', process.execPath, 'bin/run-ts.js', 'bench/hash-folder.ts', CACHE, String(FOLDER_SIZE)], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`The folder benchmark failed: ${child.stderr}`);
  const f = JSON.parse(child.stdout);
  const folder = { images: f.images, failed: f.failed, seconds: round(f.seconds), imagesPerSecond: round(f.images / f.seconds), peakRssMb: round(f.peakRssMb) };

  const result = { benchmark: 'hash', runs: RUNS, perImage: rows, folder };
  report(result, () => {
    const lines = ['image   size        staydown ms   naive ms   speed-up'];
    for (const r of rows) lines.push(`${r.image.padEnd(7)} ${`${r.width}x${r.height}`.padEnd(11)} ${String(r.staydownMs).padStart(11)} ${String(r.naiveMs).padStart(10)} ${String(r.speedup).padStart(9)}x`);
    lines.push(`folder: ${folder.images} images in ${folder.seconds} s (${folder.imagesPerSecond}/s), peak RSS ${folder.peakRssMb} MB`);
    return lines.join('\n') + '\n';
  });
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

await main();
if (!JSON_OUT) process.stderr.write('done\n');
