import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractFeatures, QUERY_OPTIONS, REFERENCE_OPTIONS, type ExtractOptions } from '../../../hashing/features/extract.ts';
import { JS_KERNEL } from '../../../hashing/features/js-kernel.ts';
import { BUILD_HINT, featureKernel, useFeatureKernel, type FeatureKernel } from '../../../hashing/features/kernel.ts';
import { ADDON_PATH, loadNativeKernel, nativeSimd } from '../../../hashing/features/native-kernel.ts';
import { queryFeatures } from '../../../hashing/features/panels.ts';
import { referenceFeatures } from '../../../hashing/features/reference.ts';
import type { GreyImage, LocalFeatures } from '../../../hashing/features/types.ts';
import { fingerprintBuffer } from '../../../hashing/fingerprint.ts';
import { decodeGrey } from '../../../hashing/image-decoder.ts';
import { FingerprintPool } from '../../../hashing/pool/fingerprint-pool.ts';
import { syntheticPhoto } from '../../support/images.ts';
import { requireVectors, VECTORS_DIR } from '../../support/vectors.ts';

requireVectors();

/**
 * The native feature kernel (hashing/features/native/features.c) must give the TypeScript reference's
 * bytes exactly: a registration made with one is matched by queries made with the other, and the
 * stored features of existing registrations stay valid.
 */
const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const vectorImages = ['pdq/data', 'blockhash/images'].flatMap((d) => listImages(join(VECTORS_DIR, d)));

function listImages(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listImages(join(dir, e.name)) : /\.(jpe?g|png)$/i.test(e.name) ? [join(dir, e.name)] : []));
}

const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const fields = (f: LocalFeatures) => ({ width: f.width, height: f.height, count: f.count, x: bytes(f.x), y: bytes(f.y), level: bytes(f.level), angle: bytes(f.angle), descriptors: bytes(f.descriptors) });

function withKernel<T>(name: 'js' | 'native', fn: () => T): T {
  const previous = useFeatureKernel(name);
  try {
    return fn();
  } finally {
    useFeatureKernel(previous.name);
  }
}

/** Both kernels' features of `grey`, compared field by field (a failure names the field). */
function expectSame(grey: GreyImage, opts: ExtractOptions, label: string, extract: (g: GreyImage, o: ExtractOptions) => LocalFeatures = extractFeatures): LocalFeatures {
  const ref = withKernel('js', () => extract(grey, opts));
  const nat = withKernel('native', () => extract(grey, opts));
  expect(fields(nat), label).toEqual(fields(ref));
  return ref;
}

/** Deterministic pseudo-random bytes (mulberry32). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function generated(kind: string, width: number, height: number, seed = 1): GreyImage {
  const r = rng(seed);
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (kind === 'noise') data[i] = Math.floor(r() * 256);
      else if (kind === 'gradient') data[i] = Math.floor((255 * (x + y)) / Math.max(1, width + height - 2));
      else if (kind === 'flat') data[i] = 128;
      else if (kind === 'checks') data[i] = ((x >> 3) + (y >> 3)) % 2 ? 230 : 20;
      // Blobs of random size and grey on a slow gradient: corners at every scale.
      else data[i] = Math.floor(60 + (120 * x) / width);
    }
  }
  if (kind === 'blobs') {
    for (let k = 0; k < 120; k++) {
      const cx = Math.floor(r() * width), cy = Math.floor(r() * height), s = 2 + Math.floor(r() * 30), v = Math.floor(r() * 256);
      for (let y = Math.max(0, cy - s); y < Math.min(height, cy + s); y++) for (let x = Math.max(0, cx - s); x < Math.min(width, cx + s); x++) data[y * width + x] = v;
    }
  }
  return { width, height, data };
}

let native: FeatureKernel;

beforeAll(() => {
  const load = loadNativeKernel();
  if (!load.kernel) throw new Error(`The native feature kernel did not load from ${ADDON_PATH}: ${load.error}. ${BUILD_HINT}`, { cause: load.cause });
  native = load.kernel;
});

afterAll(() => {
  useFeatureKernel('auto');
});

describe('the native feature kernel', () => {
  it('is built and loaded, and extraction uses it by default', () => {
    expect(native.name).toBe('native');
    expect(featureKernel().name).toBe(process.env.STAYDOWN_FEATURES_KERNEL === 'js' ? 'js' : 'native');
  });

  // As the conformance suites: a clone without ../shared/vectors reports this one skipped, with the reason.
  it(`gives the TypeScript features of every shared vector image, for registration and for queries`, async () => {
    expect(vectorImages.length).toBeGreaterThan(40);
    let keypoints = 0;
    for (const file of vectorImages) {
      const bytesIn = await sharp(file).toBuffer();
      for (const opts of [REFERENCE_OPTIONS, QUERY_OPTIONS]) {
        // As decoded for features (already within maxSide), and at full size (the area resize first).
        const small = await decodeGrey(bytesIn, opts.maxSide);
        keypoints += expectSame(small, opts, `${file} ${opts.maxSide}`).count;
        const full = await decodeGrey(bytesIn, 4096);
        if (full.width > opts.maxSide || full.height > opts.maxSide) expectSame(full, opts, `${file} full size ${opts.maxSide}`);
      }
    }
    // The comparison is of real features, not of empty ones.
    expect(keypoints).toBeGreaterThan(vectorImages.length * 500);
  }, 300_000);

  it('gives the TypeScript features of generated pictures: noise, gradients, flat, tiny and odd-sized', () => {
    const cases: Array<[string, number, number]> = [
      ['noise', 1024, 768], ['noise', 641, 479], ['blobs', 1023, 767], ['blobs', 1500, 997], ['gradient', 800, 600], ['flat', 640, 480],
      ['checks', 333, 777], ['blobs', 67, 67], ['blobs', 66, 200], ['noise', 65, 65], ['noise', 40, 40], ['noise', 5, 5], ['noise', 1, 1],
      ['noise', 0, 0], ['blobs', 3000, 41], ['blobs', 2, 2500], ['noise', 4001, 3001],
    ];
    for (const [kind, w, h] of cases) {
      const g = generated(kind, w, h, w * 7 + h);
      for (const opts of [REFERENCE_OPTIONS, QUERY_OPTIONS, { ...QUERY_OPTIONS, fastThreshold: 8 }, { ...REFERENCE_OPTIONS, fastThreshold: 0, maxKeypoints: 3000 }]) {
        expectSame(g, opts, `${kind} ${w}x${h} t=${opts.fastThreshold} max=${opts.maxKeypoints}`);
      }
    }
  }, 300_000);

  it('gives the TypeScript features on the low-contrast and panel paths (registration and query)', async () => {
    const photo = await decodeGrey(await syntheticPhoto(21, 900, 600), 4096);
    // Squeezed into a tenth of the grey levels: the second, lower-threshold corner search runs.
    const hazy = { ...photo, data: photo.data.map((v) => Math.round(100 + v * 0.1)) };
    // Two pictures side by side with a white gutter: queries add each panel's own features.
    const w = 2 * photo.width + 40;
    const pair = { width: w, height: photo.height, data: new Uint8Array(w * photo.height).fill(255) };
    for (let y = 0; y < photo.height; y++) {
      pair.data.set(photo.data.subarray(y * photo.width, (y + 1) * photo.width), y * w);
      pair.data.set(hazy.data.subarray(y * photo.width, (y + 1) * photo.width), y * w + photo.width + 40);
    }
    for (const g of [photo, hazy, pair]) {
      expectSame(g, REFERENCE_OPTIONS, 'referenceFeatures', (x) => referenceFeatures(x));
      expectSame(g, REFERENCE_OPTIONS, 'referenceFeatures, embedded', (x) => referenceFeatures(x, { x: 0.1, y: 0.2, w: 0.5, h: 0.6 }));
      expectSame(g, QUERY_OPTIONS, 'queryFeatures', (x, o) => queryFeatures(x, o));
    }
  }, 120_000);

  it('loads in the fingerprinting worker threads, two at once, and gives there what the TypeScript gives here', async () => {
    const files = await Promise.all([31, 32, 33, 34].map((seed) => syntheticPhoto(seed, 1000, 700)));
    // Worker threads copy the environment when they start: =native makes a worker without the addon fail.
    const before = process.env.STAYDOWN_FEATURES_KERNEL;
    process.env.STAYDOWN_FEATURES_KERNEL = 'native';
    const pool = new FingerprintPool({ size: 2 });
    try {
      const pooled = await Promise.all(files.map((f) => pool.fingerprint(new Uint8Array(f), { options: { features: 'query' } })));
      for (const [i, f] of files.entries()) {
        const here = await withKernel('js', () => fingerprintBuffer(f, { features: 'query' }));
        const there = pooled[i] as typeof here & { features?: string };
        expect(there.features).toBeTruthy();
        expect(there.features).toBe((here as typeof there).features);
      }
    } finally {
      await pool.close();
      if (before === undefined) delete process.env.STAYDOWN_FEATURES_KERNEL;
      else process.env.STAYDOWN_FEATURES_KERNEL = before;
    }
  }, 120_000);

  it('gives the TypeScript result in each loop on its own, outside what extraction asks for', () => {
    const r = rng(5);
    for (const [w, h] of [[97, 61], [300, 200], [2, 2], [1, 9]]) {
      const g = generated('blobs', w, h, w + h);
      for (const [dw, dh] of [[Math.max(1, w >> 1), Math.max(1, h >> 1)], [w * 2 + 1, h + 3], [1, 1], [w, h - 1 || 1]]) {
        expect(bytes(native.resizeArea(g, dw, dh).data), `resize ${w}x${h} -> ${dw}x${dh}`).toBe(bytes(JS_KERNEL.resizeArea(g, dw, dh).data));
      }
      for (const clip of [1, 4, 100]) expect(bytes(native.equalise(g, clip).data)).toBe(bytes(JS_KERNEL.equalise(g, clip).data));
      if (w >= 2 && h >= 2) expect(bytes(native.shrinkBilinear(g, Math.ceil(w / 1.5), Math.ceil(h / 1.5)).data)).toBe(bytes(JS_KERNEL.shrinkBilinear(g, Math.ceil(w / 1.5), Math.ceil(h / 1.5)).data));
      expect(bytes(native.boxSums(g))).toBe(bytes(JS_KERNEL.boxSums(g)));
    }
    // The panel finder's uniform lines: flat bands with a few outliers, in rows and in columns, with
    // tolerances that leave no grey level in (negative), every level (NaN, 300) or one.
    const bands = generated('blobs', 300, 200, 4);
    for (let y = 50; y < 60; y++) bands.data.fill(200, y * 300, (y + 1) * 300);
    for (let y = 0; y < 200; y++) bands.data.fill(30, y * 300 + 100, y * 300 + 104);
    for (let k = 0; k < 40; k++) bands.data[Math.floor(r() * bands.data.length)] = Math.floor(r() * 256);
    for (const rect of [{ x: 0, y: 0, w: 300, h: 200 }, { x: 17, y: 33, w: 150, h: 101 }, { x: 5, y: 5, w: 0, h: 7 }, { x: 299, y: 199, w: 1, h: 1 }]) {
      for (const rows of [true, false]) for (const [outliers, tolerance] of [[0.01, 10], [0, 0], [0.2, 3.5], [0.05, 9.5], [0.01, -1], [0.01, NaN], [1, 300], [0.01, 1e-9]]) {
        expect(Array.from(native.uniformLines(bands, rect, rows, outliers, tolerance)), `${JSON.stringify(rect)} ${rows}`).toEqual(Array.from(JS_KERNEL.uniformLines(bands, rect, rows, outliers, tolerance)));
      }
    }
    expect(Array.from(JS_KERNEL.uniformLines(bands, { x: 0, y: 0, w: 300, h: 200 }, true, 0.05, 10).slice(49, 61))).toEqual([0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
    const g = generated('noise', 400, 300, 9);
    for (const t of [0, 1, 16, 200, 255]) for (const quota of [0, 1, 7, 500, 5000]) for (const fair of [false, true]) {
      expect(Array.from(native.detect(g, t, quota, fair)), `t ${t} quota ${quota} fair first ${fair}`).toEqual(Array.from(JS_KERNEL.detect(g, t, quota, fair)));
    }
    const pts = Int32Array.from({ length: 400 }, (_, k) => (k % 2 === 0 ? 21 + Math.floor(r() * 358) : 21 + Math.floor(r() * 258)));
    expect(Array.from(native.moments(g, pts))).toEqual(Array.from(JS_KERNEL.moments(g, pts)));
    const angles = Uint8Array.from({ length: 200 }, (_, k) => k);
    const a = new Uint32Array(210 * 8), b = new Uint32Array(210 * 8);
    native.describe(g, pts, angles, a, 16);
    JS_KERNEL.describe(g, pts, angles, b, 16);
    expect(bytes(a)).toBe(bytes(b));
    expect(a.subarray(0, 16).every((v) => v === 0) && a.subarray(16 + 200 * 8).every((v) => v === 0)).toBe(true);
    // The verifier's nearest pairs: near copies among random descriptors, ties, empty sides, other limits.
    const word = () => Math.floor(r() * 2 ** 32) >>> 0;
    const ref = Uint32Array.from({ length: 300 * 8 }, word);
    const qry = Uint32Array.from({ length: 700 * 8 }, word);
    for (let i = 0; i < 250; i++) for (let w = 0; w < 8; w++) qry[i * 8 + w] = ref[(i % 300) * 8 + w] ^ (word() & word() & (i % 3 === 0 ? word() : 0xffffffff));
    qry.copyWithin(600 * 8, 0, 8); // two query descriptors with one registered nearest at the same distance
    const pairs = (k: typeof native, qn: number, rn: number, prune: number, maxd: number, ratio: number) => {
      const p = k.nearestPairs(qry, qn, ref, rn, prune, maxd, ratio);
      return [p.n, Array.from(p.qi.subarray(0, p.n)), Array.from(p.ri.subarray(0, p.n)), Array.from(p.dist.subarray(0, p.n))];
    };
    for (const [qn, rn, prune, maxd, ratio] of [[700, 300, 26, 64, 0.8], [700, 300, 64, 256, 1], [700, 300, 0, 64, 0.8], [0, 300, 26, 64, 0.8], [700, 0, 26, 64, 0.8], [700, 1, 26, 64, 0.8], [650, 299, 40, 100, 0.5]]) {
      const want = pairs(JS_KERNEL, qn, rn, prune, maxd, ratio);
      expect(pairs(native, qn, rn, prune, maxd, ratio), `${qn} x ${rn}, prune ${prune}, max ${maxd}, ratio ${ratio}`).toEqual(want);
      if (qn === 700 && rn === 300 && prune === 26) expect(want[0]).toBeGreaterThan(100);
    }
  });

  it('gives the TypeScript result on the SSE2 loops too, the ones a CPU without AVX2 runs', () => {
    // The loops the addon runs are chosen once, when it loads: each run is a child process.
    const run = (env: NodeJS.ProcessEnv) => {
      const out = spawnSync(process.execPath, ['bin/run-ts.js', 'test/support/kernel-paths.ts'], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 });
      expect(out.status, out.stderr).toBe(0);
      return JSON.parse(out.stdout) as { simd: string; checked: number; differs: string[] };
    };
    const sse2 = run({ STAYDOWN_FEATURES_NO_AVX2: '1' });
    expect(sse2.simd).toBe(process.arch === 'x64' ? 'sse2' : 'none');
    expect(sse2.checked).toBe(120);
    expect(sse2.differs).toEqual([]);
    // And the default: what this process runs (AVX2 on this machine's kind).
    const auto = run({ STAYDOWN_FEATURES_NO_AVX2: '' });
    expect(auto.simd).toBe(nativeSimd());
    expect(auto.differs).toEqual([]);
  }, 240_000);

  it('refuses bad input with an error that says what is wrong, without crashing', () => {
    type Fn = (...a: unknown[]) => unknown;
    const addon = createRequire(import.meta.url)(ADDON_PATH) as Record<string, Fn>;
    const px = new Uint8Array(100 * 100);
    const bad: Array<[string, () => unknown, RegExp]> = [
      ['short data', () => addon.boxSums(new Uint8Array(99), 10, 10, 2), /not width x height bytes/],
      ['long data', () => addon.equalise(new Uint8Array(101), 10, 10, 4), /not width x height bytes/],
      ['not a typed array', () => addon.detect([1, 2, 3], 1, 3, 16, 10, 21, 0), /must be a Uint8Array/],
      ['wrong typed array', () => addon.detect(new Int16Array(100), 10, 10, 16, 10, 21, 0), /must be a Uint8Array/],
      ['fair first not 0 or 1', () => addon.detect(px, 100, 100, 16, 10, 21, 2), /fair first/],
      ['negative size', () => addon.resizeArea(px, -100, -100, 10, 10), /width must be an integer/],
      ['zero target', () => addon.resizeArea(px, 100, 100, 0, 10), /new width must be an integer/],
      ['fractional size', () => addon.shrinkBilinear(px, 100, 100, 50.5, 50), /new width must be an integer/],
      ['too small to shrink', () => addon.shrinkBilinear(new Uint8Array(1), 1, 1, 1, 1), /width must be an integer from 2/],
      ['threshold out of range', () => addon.detect(px, 100, 100, 300, 10, 21, 0), /FAST threshold/],
      ['missing arguments', () => addon.moments(px, 100, 100), /too few arguments/],
      ['point at the edge', () => addon.moments(px, 100, 100, Int32Array.of(3, 50)), /too close to the picture's edge/],
      ['odd points', () => addon.moments(px, 100, 100, Int32Array.of(50)), /x, y pairs/],
      ['short descriptors', () => addon.describe(new Uint8Array(10000), 100, 100, 2, Int32Array.of(50, 50), Uint8Array.of(0), new Int8Array(30 * 1024), new Uint32Array(7), 0), /too short/],
      ['wrong pattern', () => addon.describe(new Uint8Array(10000), 100, 100, 2, Int32Array.of(50, 50), Uint8Array.of(0), new Int8Array(10), new Uint32Array(8), 0), /30 x 256 pairs/],
      ['picture of the wrong size', () => addon.describe(new Uint8Array(9999), 100, 100, 2, Int32Array.of(50, 50), Uint8Array.of(0), new Int8Array(30 * 1024), new Uint32Array(8), 0), /width x height/],
      ['angles per point', () => addon.describe(new Uint8Array(10000), 100, 100, 2, Int32Array.of(50, 50), new Uint8Array(2), new Int8Array(30 * 1024), new Uint32Array(8), 0), /one angle per point/],
      ['huge picture', () => addon.boxSums(px, 65535, 65535, 2), /more than 2\^30 pixels/],
      ['rectangle outside the picture', () => addon.uniformLines(px, 100, 100, 50, 0, 60, 10, true, 0.01, 10), /rectangle's width must be an integer from 0 to 50/],
      ['short query descriptors', () => addon.nearestPairs(new Uint32Array(15), 2, new Uint32Array(8), 1, 26, 64, 0.8), /shorter than their count/],
      ['pairs with a bad ratio', () => addon.nearestPairs(new Uint32Array(16), 2, new Uint32Array(8), 1, 26, 64, 0), /ratio must be a number above 0/],
      ['pairs of the wrong type', () => addon.nearestPairs(new Int32Array(16), 2, new Uint32Array(8), 1, 26, 64, 0.8), /must be a Uint32Array/],
      ['grey of 2 channels', () => addon.greyFromSrgb(new Uint8Array(200), 2, 10, 10, new Float32Array(256), new Int32Array(257)), /channels must be an integer from 3 to 4/],
      ['grey of short pixels', () => addon.greyFromSrgb(new Uint8Array(299), 3, 10, 10, new Float32Array(256), new Int32Array(257)), /not width x height x channels bytes/],
      ['grey with a short table', () => addon.greyFromSrgb(new Uint8Array(300), 3, 10, 10, new Float32Array(255), new Int32Array(257)), /colour tables have the wrong length/],
      ['grey with a wild table', () => addon.greyFromSrgb(new Uint8Array(300), 3, 10, 10, new Float32Array(256), new Int32Array(257).fill(999)), /sRGB table is out of range/],
      ['reduce plan longer than the picture', () => addon.reduceLinear(px, 100, 100, new Int32Array(101), new Int32Array(101), new Int16Array(65 * 3), 3, new Int32Array(50), new Int32Array(50), new Int16Array(65 * 3), 3), /reduce plan does not fit/],
      ['reduce plan with a wild phase', () => addon.reduceLinear(px, 100, 100, new Int32Array(50), new Int32Array(50).fill(65), new Int16Array(65 * 3), 3, new Int32Array(50), new Int32Array(50), new Int16Array(65 * 3), 3), /phase is out of range/],
      ['reduce plan of the wrong type', () => addon.reduceLinear(px, 100, 100, new Float64Array(50), new Int32Array(50), new Int16Array(65 * 3), 3, new Int32Array(50), new Int32Array(50), new Int16Array(65 * 3), 3), /must be a Int32Array/],
    ];
    for (const [label, call, message] of bad) expect(call, label).toThrow(message);
    // Through extraction: a picture whose data does not fit its size is refused, not read past its end.
    expect(() => withKernel('native', () => extractFeatures({ width: 200, height: 200, data: new Uint8Array(100) }, REFERENCE_OPTIONS))).toThrow(/not width x height bytes/);
  });
});
