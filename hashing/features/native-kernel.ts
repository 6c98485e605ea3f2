/**
 * The native feature kernel: native/features.c through Node-API (built into native/build by the
 * package's install script). Arguments are checked in C as well; this side only shapes them and sends
 * the few cases the C does not take (a non-integer FAST threshold or quota, pictures under 2 px a side) to the
 * reference implementation, so the two never differ.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ANGLE_BINS, STEERED_PATTERNS } from './brief-pattern.ts';
import { BORDER, BOX, checkReduceShrink, JS_KERNEL, LINEAR_TO_SRGB, reducePlan, SRGB_TO_LINEAR } from './js-kernel.ts';
import type { FeatureKernel, NearestPairs } from './kernel.ts';
import type { GreyImage } from './types.ts';

interface Addon {
  nearestPairs(q: Uint32Array, qCount: number, r: Uint32Array, rCount: number, prune: number, maxDistance: number, ratio: number): Int32Array;
  reduceLinear(
    src: Uint8Array, w: number, h: number,
    vFirst: Int32Array, vPhase: Int32Array, vMasks: Int16Array, vPoints: number,
    hFirst: Int32Array, hPhase: Int32Array, hMasks: Int16Array, hPoints: number,
  ): Uint8Array;
  greyFromSrgb(rgb: Uint8Array, channels: number, w: number, h: number, toLinear: Float32Array, toSrgb: Int32Array): Uint8Array;
  resizeArea(src: Uint8Array, sw: number, sh: number, dw: number, dh: number): Uint8Array;
  equalise(src: Uint8Array, w: number, h: number, clip: number): Uint8Array;
  shrinkBilinear(src: Uint8Array, sw: number, sh: number, w: number, h: number): Uint8Array;
  boxSums(src: Uint8Array, w: number, h: number, box: number): Uint16Array;
  detect(src: Uint8Array, w: number, h: number, t: number, quota: number, border: number, fairFirst: number): Int32Array;
  moments(src: Uint8Array, w: number, h: number, pts: Int32Array): Int32Array;
  describe(src: Uint8Array, w: number, h: number, box: number, pts: Int32Array, angles: Uint8Array, pattern: Int8Array, out: Uint32Array, o: number): void;
  uniformLines(src: Uint8Array, w: number, h: number, x: number, y: number, rw: number, rh: number, rows: boolean, outliers: number, tolerance: number): Uint8Array;
  /** Which vector loops run: AVX2 where the CPU has it (unless STAYDOWN_FEATURES_NO_AVX2=1), else SSE2. */
  simd(): 'avx2' | 'sse2' | 'none';
}

/** Where binding.gyp's Release build puts the addon. */
export const ADDON_PATH = fileURLToPath(new URL('./native/build/Release/staydown_features.node', import.meta.url));

/** The 30 steered patterns end to end, as the C reads them. */
const PATTERN = (() => {
  const out = new Int8Array(ANGLE_BINS * 256 * 4);
  STEERED_PATTERNS.forEach((p, b) => out.set(p, b * 256 * 4));
  return out;
})();

const int32 = (pts: ArrayLike<number>) => (pts instanceof Int32Array ? pts : Int32Array.from(pts));

function wrap(addon: Addon): FeatureKernel {
  return Object.freeze({
    name: 'native' as const,
    greyFromSrgb: (rgb: Uint8Array, channels: number, width: number, height: number): GreyImage =>
      ({ width, height, data: addon.greyFromSrgb(rgb, channels, width, height, SRGB_TO_LINEAR, LINEAR_TO_SRGB) }),
    reduceLinear(src: GreyImage, shrink: number): GreyImage {
      checkReduceShrink(shrink);
      if (shrink === 1) return src;
      const v = reducePlan(src.height, shrink), u = reducePlan(src.width, shrink);
      return { width: u.out, height: v.out, data: addon.reduceLinear(src.data, src.width, src.height, v.first, v.phase, v.masks, v.points, u.first, u.phase, u.masks, u.points) };
    },
    nearestPairs(q: Uint32Array, qCount: number, r: Uint32Array, rCount: number, prune: number, maxDistance: number, ratio: number): NearestPairs {
      const a = addon.nearestPairs(q, qCount, r, rCount, prune, maxDistance, ratio);
      return { n: a[3 * qCount], qi: a.subarray(0, qCount), ri: a.subarray(qCount, 2 * qCount), dist: a.subarray(2 * qCount, 3 * qCount) };
    },
    resizeArea(src: GreyImage, w: number, h: number): GreyImage {
      if (w === src.width && h === src.height) return src;
      return { width: w, height: h, data: addon.resizeArea(src.data, src.width, src.height, w, h) };
    },
    equalise(img: GreyImage, clip: number): GreyImage {
      if (!(clip > 0)) return JS_KERNEL.equalise(img, clip);
      return { width: img.width, height: img.height, data: addon.equalise(img.data, img.width, img.height, clip) };
    },
    shrinkBilinear(src: GreyImage, w: number, h: number): GreyImage {
      if (src.width < 2 || src.height < 2) return JS_KERNEL.shrinkBilinear(src, w, h);
      return { width: w, height: h, data: addon.shrinkBilinear(src.data, src.width, src.height, w, h) };
    },
    boxSums: (img: GreyImage) => addon.boxSums(img.data, img.width, img.height, BOX),
    detect(img: GreyImage, t: number, quota: number, fairFirst = false): ArrayLike<number> {
      // (A 0 x 0 picture asks for a NaN quota.)
      if (!Number.isInteger(t) || t < 0 || t > 255 || !Number.isInteger(quota) || quota < 0 || quota > 1 << 24) return JS_KERNEL.detect(img, t, quota, fairFirst);
      return addon.detect(img.data, img.width, img.height, t, quota, BORDER, fairFirst ? 1 : 0);
    },
    moments: (img: GreyImage, pts: ArrayLike<number>) => addon.moments(img.data, img.width, img.height, int32(pts)),
    describe(img: GreyImage, pts: ArrayLike<number>, angles: Uint8Array, out: Uint32Array, o: number): void {
      addon.describe(img.data, img.width, img.height, BOX, int32(pts), angles, PATTERN, out, o);
    },
    uniformLines: (g: GreyImage, r: { x: number; y: number; w: number; h: number }, rows: boolean, outliers: number, tolerance: number) =>
      addon.uniformLines(g.data, g.width, g.height, r.x, r.y, r.w, r.h, rows, outliers, tolerance),
  });
}

/** Which vector loops the loaded addon runs ("avx2", "sse2" or "none"), or null when it is not loaded. */
export function nativeSimd(): string | null {
  try {
    return (createRequire(import.meta.url)(ADDON_PATH) as Addon).simd();
  } catch {
    return null;
  }
}

export type NativeLoad = { kernel: FeatureKernel; error?: undefined; cause?: undefined } | { kernel?: undefined; error: string; cause: unknown };

let loaded: NativeLoad | undefined;

/** The native kernel, or why it could not be loaded (tried once per thread). */
export function loadNativeKernel(): NativeLoad {
  if (loaded) return loaded;
  try {
    const addon = createRequire(import.meta.url)(ADDON_PATH) as Addon;
    loaded = { kernel: wrap(addon) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    loaded = { error: code === 'MODULE_NOT_FOUND' ? `${ADDON_PATH} is not built` : String((err as Error).message ?? err).split('\n')[0], cause: err };
  }
  return loaded;
}
