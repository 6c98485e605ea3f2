/**
 * The feature kernel: the per-pixel and per-sample loops of extraction (the grey picture, resizing, equalisation, the
 * pyramid, box sums, FAST with its ranking, orientation moments, BRIEF sampling, the panel finder's
 * uniform lines) behind one interface,
 * so extract.ts keeps the orchestration and either implementation computes the loops:
 *   - 'native': native/features.c, a Node-API addon built by `npm ci` (the package's install script);
 *     ~4x less CPU per picture (bench/feature-kernel.ts);
 *   - 'js': js-kernel.ts, the reference, byte-identical (test/hashing/features/native-kernel.test.ts).
 * STAYDOWN_FEATURES_KERNEL=js forces the TypeScript; =native refuses to run without the addon; unset,
 * the addon is used when it loads, and a missing one is said once on stderr.
 */
import { JS_KERNEL } from './js-kernel.ts';
import { loadNativeKernel } from './native-kernel.ts';
import type { GreyImage } from './types.ts';

export interface FeatureKernel {
  readonly name: 'js' | 'native';
  /** sharp's `greyscale()` (libvips' B_W) of 8-bit sRGB, 3 or 4 bytes a pixel (alpha ignored), exactly. */
  greyFromSrgb(rgb: Uint8Array, channels: number, width: number, height: number): GreyImage;
  /** libvips' linear-kernel resize by 1 / `shrink` (1 <= shrink < 4), exactly: what sharp gives. */
  reduceLinear(src: GreyImage, shrink: number): GreyImage;
  resizeArea(src: GreyImage, w: number, h: number): GreyImage;
  equalise(img: GreyImage, clip: number): GreyImage;
  /** A pyramid step: bilinear shrink by less than 2x. */
  shrinkBilinear(src: GreyImage, w: number, h: number): GreyImage;
  /** 5x5 box sums of every pixel, zero within 2 px of the edge. */
  boxSums(img: GreyImage): Uint16Array;
  /** FAST-9 corners ranked and spread over the grid: [x0, y0, x1, y1, ...], at most `quota` points. */
  detect(img: GreyImage, t: number, quota: number, fairFirst?: boolean): ArrayLike<number>;
  /** Intensity-centroid moments [m10, m01] at each point (the angle is taken in TypeScript). */
  moments(img: GreyImage, pts: ArrayLike<number>): Int32Array;
  /** Steered BRIEF of each point at its angle on the picture's box sums (boxSums), written to out[o..o + 8 * points). */
  describe(img: GreyImage, pts: ArrayLike<number>, angles: Uint8Array, out: Uint32Array, o: number): void;
  /**
   * For each query descriptor, the nearest of the registered ones (Hamming), kept when it is within
   * `maxDistance` and under `ratio` times the second nearest; `prune`: words 0 and 4 further apart than
   * this skip the rest of the comparison.
   */
  nearestPairs(q: Uint32Array, qCount: number, r: Uint32Array, rCount: number, prune: number, maxDistance: number, ratio: number): NearestPairs;
  /** Per row (or column) of `r`: 1 when at most `outliers` (a share) of it is over `tolerance` off its mean. */
  uniformLines(g: GreyImage, r: { x: number; y: number; w: number; h: number }, rows: boolean, outliers: number, tolerance: number): Uint8Array;
}

/** nearestPairs' result: the first `n` entries are [query keypoint, registered keypoint, distance]. */
export interface NearestPairs {
  n: number;
  qi: Int32Array;
  ri: Int32Array;
  dist: Int32Array;
}

export type FeatureKernelChoice = 'auto' | 'native' | 'js';

/**
 * Read here, not in services/platform/config.ts: hashing runs in the fingerprinting worker threads and
 * in verbs that never load the service's Config, and every one of them must compute the same way.
 */
function choiceFromEnv(): FeatureKernelChoice {
  const v = process.env.STAYDOWN_FEATURES_KERNEL;
  if (v === undefined || v === '' || v === 'auto') return 'auto';
  if (v === 'native' || v === 'js') return v;
  throw new Error(`STAYDOWN_FEATURES_KERNEL must be 'native', 'js' or 'auto' (or unset), not '${v}'.`);
}

let current: FeatureKernel | undefined;

/** The kernel extraction uses (chosen on first use). */
export function featureKernel(): FeatureKernel {
  return (current ??= pick(choiceFromEnv()));
}

/** Uses the given kernel from now on (tests and benchmarks compare the two); returns the previous one. */
export function useFeatureKernel(choice: FeatureKernelChoice): FeatureKernel {
  const previous = featureKernel();
  current = pick(choice);
  return previous;
}

let warned = false;

function pick(choice: FeatureKernelChoice): FeatureKernel {
  if (choice === 'js') return JS_KERNEL;
  const native = loadNativeKernel();
  if (native.kernel) return native.kernel;
  if (choice === 'native') throw new Error(`The native feature kernel is not available (${native.error}). ${BUILD_HINT}`, { cause: native.cause });
  if (!warned) {
    warned = true;
    process.emitWarning(`The native feature kernel is not available (${native.error}); local features are computed in TypeScript, ~4x slower. ${BUILD_HINT}`, { code: 'STAYDOWN_FEATURES_KERNEL' });
  }
  return JS_KERNEL;
}

export const BUILD_HINT = 'Build it with `npm rebuild` or `npm run build:native` (needs g++, make and python3), or set STAYDOWN_FEATURES_KERNEL=js to use the TypeScript on purpose.';
