/**
 * npm run bench:feature-kernel [-- --json]
 * CPU ms of local-feature extraction per picture with each feature kernel (hashing/features/kernel.ts):
 * the TypeScript reference and the native addon, back to back in one process, for a 1 MP and a 12 MP
 * photo-like picture, with registration (REFERENCE_OPTIONS) and query (QUERY_OPTIONS) options:
 *   decoded     the grey picture as the service decodes it (sharp shrinks it to maxSide), then
 *               referenceFeatures / queryFeatures (what registration and a query compute);
 *   full size   extractFeatures on the full-size grey picture (the area resize to maxSide included).
 *   fingerprint the CPU ms local features add to `fingerprintBuffer` (with reference or query features
 *               minus without: the grey decode, extraction and the codec), the two kernels alternating
 *               in this process - bench:hash measures the same at the end of a longer run, where its
 *               few runs at a time move with the machine's load more than this.
 * Medians of BENCH_RUNS runs (default 9); the machine is shared, so CPU time, not wall time.
 */
import { join } from 'node:path';
import sharp from 'sharp';
import { extractFeatures, QUERY_OPTIONS, REFERENCE_OPTIONS } from '../hashing/features/extract.ts';
import { useFeatureKernel } from '../hashing/features/kernel.ts';
import { queryFeatures } from '../hashing/features/panels.ts';
import { referenceFeatures } from '../hashing/features/reference.ts';
import type { GreyImage } from '../hashing/features/types.ts';
import { fingerprintBuffer } from '../hashing/fingerprint.ts';
import { decodeGrey } from '../hashing/image-decoder.ts';
import { JSON_OUT, log, median, report } from './support.ts';

const SKIMAGE = '/usr/lib/python3/dist-packages/skimage/data';
const RUNS = Number(process.env.BENCH_RUNS ?? 9);

async function cpuMs(fn: () => unknown): Promise<number> {
  await fn();
  const xs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const c = process.cpuUsage();
    await fn();
    const d = process.cpuUsage(c);
    xs.push((d.user + d.system) / 1000);
  }
  return Math.round(median(xs) * 10) / 10;
}

async function photo(width: number, height: number): Promise<Buffer> {
  const { data, info } = await sharp(join(SKIMAGE, 'coffee.png')).resize(width, height, { fit: 'fill' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return sharp(data, { raw: info }).jpeg({ quality: 90 }).toBuffer();
}

const rows: Array<{ image: string; role: string; input: string; jsCpuMs: number; nativeCpuMs: number; speedup: number }> = [];
for (const s of [{ name: '1MP', width: 1152, height: 864 }, { name: '12MP', width: 4000, height: 3000 }]) {
  const jpeg = await photo(s.width, s.height);
  const full = await decodeGrey(jpeg, 1 << 16);
  for (const [role, opts] of [['registration', REFERENCE_OPTIONS], ['query', QUERY_OPTIONS]] as const) {
    const decoded = await decodeGrey(jpeg, opts.maxSide);
    const service = (g: GreyImage) => (role === 'query' ? queryFeatures(g, opts) : referenceFeatures(g));
    for (const [input, fn] of [[`decoded ${decoded.width}x${decoded.height}`, () => service(decoded)], [`full size ${full.width}x${full.height}`, () => extractFeatures(full, opts)]] as const) {
      useFeatureKernel('js');
      const js = await cpuMs(fn);
      useFeatureKernel('native');
      const native = await cpuMs(fn);
      rows.push({ image: s.name, role, input, jsCpuMs: js, nativeCpuMs: native, speedup: Math.round((js / native) * 10) / 10 });
      log(`${s.name} ${role} ${input}: ${js} -> ${native} CPU ms`);
    }
    const added: Record<string, number> = {};
    for (const kernel of ['js', 'native', 'js', 'native'] as const) {
      useFeatureKernel(kernel);
      const cost = (await cpuMs(() => fingerprintBuffer(jpeg, { features: role === 'query' ? 'query' : 'reference' }))) - (await cpuMs(() => fingerprintBuffer(jpeg)));
      added[kernel] = Math.min(added[kernel] ?? Infinity, Math.round(cost * 10) / 10);
    }
    rows.push({ image: s.name, role, input: 'fingerprint, added', jsCpuMs: added.js, nativeCpuMs: added.native, speedup: Math.round((added.js / added.native) * 10) / 10 });
    log(`${s.name} ${role} fingerprint: adds ${added.js} -> ${added.native} CPU ms`);
  }
}
const load = (await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
report({ benchmark: 'feature-kernel', runs: RUNS, loadAverage: load, rows }, () =>
  `feature extraction, CPU ms per picture (median of ${RUNS}; load average ${load}):\n` +
  rows.map((r) => `  ${r.image.padEnd(5)} ${r.role.padEnd(12)} ${r.input.padEnd(22)} TypeScript ${String(r.jsCpuMs).padStart(6)}  native ${String(r.nativeCpuMs).padStart(6)}  (${r.speedup}x)`).join('\n') + '\n');
if (!JSON_OUT) process.stderr.write('done\n');
