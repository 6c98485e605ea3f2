/**
 * ORB-style local features (the per-pixel loops in kernel.ts: a native addon, or the TypeScript reference):
 * FAST-9 corners on a scale pyramid of the equalised picture, ranked by the Harris response, spread
 * over a grid so every part of the picture keeps its share (a collage tile or a picture beside another
 * must still own keypoints), oriented by the intensity centroid, described by steered BRIEF (256 bits).
 *
 * References: Rosten & Drummond (FAST, 2006), Calonder et al. (BRIEF, 2010), Rublee et al. (ORB, 2011).
 */
import { BORDER } from './js-kernel.ts';
import { featureKernel } from './kernel.ts';
import { equalise, pyramid, resizeArea } from './pyramid.ts';
import { DESCRIPTOR_WORDS, type GreyImage, LEVEL_SCALE, type LocalFeatures } from './types.ts';

export interface ExtractOptions {
  /** Keypoints kept over all levels. */
  maxKeypoints: number;
  /** The picture is shrunk so its longer side is at most this before detection. */
  maxSide: number;
  /** FAST intensity threshold on the equalised picture. */
  fastThreshold: number;
  /** Pyramid levels at most (each LEVEL_SCALE smaller). */
  levels: number;
  /**
   * Each grid cell of a level first takes its fair share of the level's keypoints (FeatureKernel.detect),
   * then the rest go by corner strength. For queries: a smooth registered picture posted inside or
   * beside a busy one kept 31 of 1,501 keypoints over ~17% of the post, and 133 with it.
   */
  fairFirst?: boolean;
}

/** Registered material: fewer, well-spread keypoints (the index budget is per registered image). */
export const REFERENCE_OPTIONS: ExtractOptions = Object.freeze({ maxKeypoints: 400, maxSide: 640, fastThreshold: 16, levels: 6 });
/**
 * Queries: more keypoints, because the registered picture may be only a small part of what was posted.
 * 1024 px: 896 and 960 (fewer pixels per pass, and a 12 MP JPEG decodes with the 1/4 DCT shrink) each
 * lost a picture beside another or a collage tile in bench:features --sample 24.
 */
export const QUERY_OPTIONS: ExtractOptions = Object.freeze({ maxKeypoints: 1500, maxSide: 1024, fastThreshold: 16, levels: 6, fairFirst: true });

const MIN_LEVEL_SIDE = 2 * BORDER + 24;

/** The picture features are taken from: `grey` itself, or shrunk (area average) so its longer side is `maxSide`. */
export function workingGrey(grey: GreyImage, maxSide: number): GreyImage {
  const longer = Math.max(grey.width, grey.height);
  if (longer <= maxSide) return grey;
  const s = maxSide / longer;
  return resizeArea(grey, Math.max(1, Math.round(grey.width * s)), Math.max(1, Math.round(grey.height * s)));
}

/**
 * What extraction computes before it looks for corners - the working picture and its equalised
 * pyramid - kept so a second extraction of the same picture at another FAST threshold
 * (reference.ts lowerThreshold) does not compute it again.
 */
export interface PreparedPicture {
  base: GreyImage;
  levels: GreyImage[];
  /** The ExtractOptions fields it was prepared for (maxSide, levels). */
  maxSide: number;
  levelCount: number;
}

export function preparePicture(grey: GreyImage, opts: ExtractOptions): PreparedPicture {
  const base = workingGrey(grey, opts.maxSide);
  const levels = pyramid(equalise(base), LEVEL_SCALE, opts.levels, MIN_LEVEL_SIDE);
  return { base, levels, maxSide: opts.maxSide, levelCount: opts.levels };
}

/** Features of `grey`, or of a picture prepared for the same maxSide and levels (preparePicture). */
export function extractFeatures(grey: GreyImage | PreparedPicture, opts: ExtractOptions = QUERY_OPTIONS): LocalFeatures {
  const prep = 'levels' in grey ? grey : preparePicture(grey, opts);
  if (prep.maxSide !== opts.maxSide || prep.levelCount !== opts.levels) throw new Error('extractFeatures was given a picture prepared for other options (maxSide, levels).');
  const { base, levels } = prep;
  // Quotas by the square root of level area: ORB gives each level its share of the area, which leaves
  // the coarse levels - the ones that find a picture shown small (a collage tile) - with a handful.
  const areas = levels.map((l) => Math.sqrt(l.width * l.height));
  const total = areas.reduce((a, b) => a + b, 0);
  const cap = opts.maxKeypoints + levels.length;
  const x = new Float32Array(cap);
  const y = new Float32Array(cap);
  const level = new Uint8Array(cap);
  const angle = new Uint8Array(cap);
  const descriptors = new Uint32Array(cap * DESCRIPTOR_WORDS);
  let n = 0;
  for (const [li, lv] of levels.entries()) {
    const quota = Math.min(cap - n, Math.round((opts.maxKeypoints * areas[li]) / total));
    if (quota < 1) continue;
    const kernel = featureKernel();
    const pts = kernel.detect(lv, opts.fastThreshold, quota, opts.fairFirst === true);
    if (pts.length === 0) continue;
    const m = kernel.moments(lv, pts);
    const count = pts.length >> 1;
    const angles = new Uint8Array(count);
    const sx = base.width / lv.width;
    const sy = base.height / lv.height;
    for (let k = 0; k < count; k++) {
      // The angle is taken here, not in C: V8's atan2 and the C library's differ in the last ulp.
      angles[k] = Math.round((Math.atan2(m[2 * k + 1], m[2 * k]) / (2 * Math.PI)) * 256) & 255;
      x[n + k] = (pts[2 * k] + 0.5) * sx - 0.5;
      y[n + k] = (pts[2 * k + 1] + 0.5) * sy - 0.5;
      level[n + k] = li;
      angle[n + k] = angles[k];
    }
    kernel.describe(lv, pts, angles, descriptors, n * DESCRIPTOR_WORDS);
    n += count;
  }
  return {
    width: base.width,
    height: base.height,
    count: n,
    x: x.slice(0, n),
    y: y.slice(0, n),
    level: level.slice(0, n),
    angle: angle.slice(0, n),
    descriptors: descriptors.slice(0, n * DESCRIPTOR_WORDS),
  };
}
