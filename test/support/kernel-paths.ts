/**
 * Run as a child process by test/hashing/features/native-kernel.test.ts (the environment decides which
 * of the addon's vector loops run, and it is read once, when the addon loads): extracts features of
 * generated pictures with the native kernel and the TypeScript reference and prints, as JSON, which
 * loops ran and every case where the two differ.
 */
import { extractFeatures, QUERY_OPTIONS, REFERENCE_OPTIONS } from '../../hashing/features/extract.ts';
import { JS_KERNEL } from '../../hashing/features/js-kernel.ts';
import { useFeatureKernel } from '../../hashing/features/kernel.ts';
import { loadNativeKernel, nativeSimd } from '../../hashing/features/native-kernel.ts';
import type { GreyImage, LocalFeatures } from '../../hashing/features/types.ts';

const native = loadNativeKernel().kernel;
if (!native) throw new Error('the native feature kernel did not load');

/** Noise over blobs over a gradient (seeded): corners of every strength at every scale. */
function picture(width: number, height: number, seed: number): GreyImage {
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(40 + (150 * (i % width)) / width);
  for (let k = 0; k < 90; k++) {
    const cx = Math.floor(next() * width), cy = Math.floor(next() * height), r = 2 + Math.floor(next() * 25), v = Math.floor(next() * 256);
    for (let y = Math.max(0, cy - r); y < Math.min(height, cy + r); y++) data.fill(v, y * width + Math.max(0, cx - r), y * width + Math.min(width, cx + r));
  }
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, data[i] + Math.floor(next() * 25) - 12));
  return { width, height, data };
}

const b64 = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const same = (a: LocalFeatures, b: LocalFeatures) => a.count === b.count && b64(a.x) === b64(b.x) && b64(a.y) === b64(b.y) && b64(a.angle) === b64(b.angle) && b64(a.descriptors) === b64(b.descriptors);

const differs: string[] = [];
let checked = 0;
// Widths around the 16- and 32-pixel blocks of the FAST prefilter, and the working sizes themselves.
for (const [w, h, seed] of [[1024, 768, 1], [640, 480, 2], [333, 257, 3], [47, 45, 4], [61, 300, 5], [79, 64, 6]]) {
  const g = picture(w, h, seed);
  for (const t of [0, 9, 16, 40]) {
    for (const quota of [5, 500]) for (const fair of [false, true]) {
      checked++;
      if (b64(Int32Array.from(native.detect(g, t, quota, fair))) !== b64(Int32Array.from(JS_KERNEL.detect(g, t, quota, fair)))) differs.push(`detect ${w}x${h} t ${t} quota ${quota} fair first ${fair}`);
    }
  }
  for (const opts of [REFERENCE_OPTIONS, QUERY_OPTIONS]) {
    checked++;
    useFeatureKernel('js');
    const ref = extractFeatures(g, opts);
    useFeatureKernel('native');
    if (!same(extractFeatures(g, opts), ref)) differs.push(`features ${w}x${h} at ${opts.maxSide} px`);
  }
  for (const rows of [true, false]) {
    checked++;
    const r = { x: 0, y: 0, w, h };
    if (b64(native.uniformLines(g, r, rows, 0.01, 10)) !== b64(JS_KERNEL.uniformLines(g, r, rows, 0.01, 10))) differs.push(`uniform lines ${w}x${h} ${rows ? 'rows' : 'columns'}`);
  }
}
process.stdout.write(`${JSON.stringify({ simd: nativeSimd(), checked, differs })}\n`);
