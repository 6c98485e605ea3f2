/**
 * Child process of bench/hash.ts: fingerprints every .jpg in a folder, one after another, and prints
 * {images, seconds, peakRssMb} as JSON - in its own process so the peak RSS is the hashing's alone.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fingerprintFile } from '../hashing/fingerprint.ts';

const [dir, limit] = process.argv.slice(2);
const files = readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort().slice(0, Number(limit));
const t0 = performance.now();
let failed = 0;
for (const f of files) await fingerprintFile(join(dir, f)).catch(() => failed++);
const seconds = (performance.now() - t0) / 1000;
process.stdout.write(JSON.stringify({ images: files.length, failed, seconds, peakRssMb: process.resourceUsage().maxRSS / 1024 }) + '\n');
