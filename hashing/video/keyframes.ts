/**
 * Local features of a video's keyframes: the same method as for pictures (hashing/features/), run on
 * a few frames of each shot, so that
 *   - a registered PHOTO shown in a crawled video (a slideshow with a slow zoom and pan - "Ken Burns" -
 *     which shows a moving crop of it for a few seconds) is found, and
 *   - a cropped or zoomed re-upload of a registered VIDEO is found (its keyframes against the
 *     registered video's keyframes), where the frame hashes of match-video.ts see a different frame.
 *
 * Pure functions on decoded grey frames (feature-frames.ts decodes them with ffmpeg). Keyframes are
 * the first frame, each scene change, and one every `periodSec` while the picture keeps changing
 * (a slow zoom); a static shot gives one keyframe however long it lasts (deduplicated).
 *
 *   const kx = new KeyframeExtractor('query');            // 'reference' for registered videos
 *   for (const f of frames) kx.push(f);                    // frames in time order, e.g. every 0.5 s
 *   const keyframes = kx.keyframes();                      // [{ timeSec, features }]
 *   findPictureInKeyframes(keyframes, photoFeatures);      // the first verified sighting, or null
 *   matchKeyframes(queryKeyframes, refKeyframes);          // a video's re-upload, or null
 */
import { type ExtractOptions, QUERY_OPTIONS, REFERENCE_OPTIONS } from '../features/extract.ts';
import { DEFAULT_FEATURE_INDEX_OPTIONS, FeatureIndex } from '../features/feature-index.ts';
import { adaptiveFeatures } from '../features/reference.ts';
import { decideFeatureMatch, type FeatureMatchDecision } from '../features/policy.ts';
import type { GreyImage, LocalFeatures } from '../features/types.ts';

export interface VideoFrame {
  timeSec: number;
  grey: GreyImage;
}

export interface KeyframeFeatures {
  timeSec: number;
  features: LocalFeatures;
}

export interface KeyframeOptions {
  /** While the picture changes (zoom, pan, motion), at most this long between keyframes. */
  periodSec: number;
  /** Signature change from the last keyframe that counts as a new shot (a keyframe at once). */
  sceneChange: number;
  /** Below this change from the last keyframe, a frame is the same picture (no keyframe, whatever the time). */
  same: number;
  /**
   * A cap on keyframes per video, chosen over its whole length (see KeyframeExtractor). Each registered
   * keyframe costs ~15 KB of bank line (base64 ~20 KB) and ~38 KB of matcher memory (index + decoded).
   */
  maxKeyframes: number;
  /**
   * Keypoint options. On either side a keyframe is taken as a registered picture is (reference.ts
   * adaptiveFeatures): a low-contrast frame again at the lower FAST threshold, unless its corners sit
   * on one part of it. Why: the plain
   * extraction kept 0-15 corners of a dim photo (labelme q0004, PDQ quality 3) shown in a slideshow,
   * while its registration, taken at the lower threshold, kept 325 - no keyframe could verify. The same
   * rule on both sides makes the same choice for the same content. (Not the picture query's
   * queryFeatures, which ADDS the lower threshold's corners: on a frame of a picture registered at the
   * normal threshold - skimage clock_motion, 78 corners on a flat wall - the added corners on the wall
   * are "a large part of the picture with no inlier" and lost it.)
   */
  extract: ExtractOptions;
}

/** Queries: a keyframe each 1.5 s of a moving shot - a photo shown for 3 s gets at least two. */
export const QUERY_KEYFRAMES: Readonly<KeyframeOptions> = Object.freeze({ periodSec: 1.5, sceneChange: 0.45, same: 0.08, maxKeyframes: 400, extract: QUERY_OPTIONS });
/**
 * Registered videos: sparser (each keyframe is index memory), registered-side extraction, at most 32.
 * The budget: 32 x ~15 KB = ~0.5 MB of features in the bank line and ~1.2 MB of matcher memory per
 * registered video whatever its length (the weight of ~20-50 pictures at 24 KB of index each; 200
 * keyframes made a long video's line several MB). A video of up to ~96 s of continuous motion (one
 * keyframe per 3 s) keeps all of its keyframes; a longer one keeps its 32 most distinct moments, the
 * first and each hard cut before the steps of a slow pan. vPDQ's dense frame hashes still cover every
 * frame for uncropped re-uploads.
 */
export const REFERENCE_KEYFRAMES: Readonly<KeyframeOptions> = Object.freeze({ periodSec: 3, sceneChange: 0.45, same: 0.08, maxKeyframes: 32, extract: REFERENCE_OPTIONS });

const SIG = 16;

/**
 * A 16x16 grey thumbnail, normalised to zero mean and unit deviation: brightness and contrast
 * changes (fades) move it little, a new shot moves it a lot.
 */
export function frameSignature(g: GreyImage): Float32Array {
  const out = new Float32Array(SIG * SIG);
  const cnt = new Float32Array(SIG * SIG);
  for (let y = 0; y < g.height; y++) {
    const sy = Math.min(SIG - 1, Math.floor((y * SIG) / g.height));
    for (let x = 0; x < g.width; x++) {
      const c = sy * SIG + Math.min(SIG - 1, Math.floor((x * SIG) / g.width));
      out[c] += g.data[y * g.width + x];
      cnt[c]++;
    }
  }
  let mean = 0;
  for (let i = 0; i < out.length; i++) { out[i] /= Math.max(1, cnt[i]); mean += out[i]; }
  mean /= out.length;
  let v = 0;
  for (let i = 0; i < out.length; i++) v += (out[i] - mean) ** 2;
  const sd = Math.sqrt(v / out.length) || 1;
  for (let i = 0; i < out.length; i++) out[i] = (out[i] - mean) / sd;
  return out;
}

/** Mean absolute difference of two signatures, in standard deviations (0 same picture, ~1.1 unrelated). */
export function signatureChange(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += Math.abs(a[i] - b[i]);
  return d / a.length;
}

/** A keyframe's features (see KeyframeOptions.extract). */
export function keyframeFeatures(grey: GreyImage, opts: KeyframeOptions): LocalFeatures {
  return adaptiveFeatures(grey, opts.extract);
}

/**
 * Streams frames in time order and keeps the features of the keyframes only. At most `maxKeyframes`
 * are kept, chosen over the WHOLE video: past the cap, the keyframe that differs least from the one
 * before it goes (a step of a slow zoom before a cut to a new shot), so a long video keeps a keyframe
 * of each of its most distinct shots rather than its first minutes only.
 */
export class KeyframeExtractor {
  private readonly opts: KeyframeOptions;
  /** Kept keyframes with their signature and how much they differ from the kept one before (Infinity for the first). */
  private readonly out: Array<KeyframeFeatures & { sig: Float32Array; novelty: number }> = [];
  private last: { timeSec: number; sig: Float32Array } | null = null;

  constructor(side: 'query' | 'reference' | KeyframeOptions = 'query') {
    this.opts = side === 'query' ? QUERY_KEYFRAMES : side === 'reference' ? REFERENCE_KEYFRAMES : side;
  }

  /**
   * Whether the frame became a keyframe (it may still be thinned out later, see the class). The frame's
   * pixels are not kept (the buffer may be reused).
   */
  push(frame: VideoFrame): boolean {
    const max = Math.max(1, this.opts.maxKeyframes);
    const sig = frameSignature(frame.grey);
    let novelty = Infinity;
    if (this.last) {
      const change = signatureChange(sig, this.last.sig);
      const due = frame.timeSec - this.last.timeSec >= this.opts.periodSec - 1e-6;
      if (change < this.opts.same) return false;
      if (change < this.opts.sceneChange && !due) return false;
      novelty = signatureChange(sig, this.out[this.out.length - 1].sig);
    }
    this.last = { timeSec: frame.timeSec, sig };
    // Full: a keyframe that would be the first to go is not worth its extraction.
    if (this.out.length >= max && novelty <= this.leastNovel().novelty) return false;
    this.out.push({ timeSec: frame.timeSec, features: keyframeFeatures(frame.grey, this.opts), sig, novelty });
    if (this.out.length > max) this.drop(this.leastNovel().at);
    return true;
  }

  keyframes(): KeyframeFeatures[] {
    return this.out.map(({ timeSec, features }) => ({ timeSec, features }));
  }

  private leastNovel(): { at: number; novelty: number } {
    let at = -1, novelty = Infinity;
    // The first keyframe (novelty Infinity) always stays.
    for (let k = 1; k < this.out.length; k++) if (this.out[k].novelty < novelty) { at = k; novelty = this.out[k].novelty; }
    return { at, novelty };
  }

  private drop(at: number): void {
    if (at < 1) return;
    this.out.splice(at, 1);
    // The next one now follows the one before the dropped keyframe.
    if (at < this.out.length) this.out[at].novelty = signatureChange(this.out[at].sig, this.out[at - 1].sig);
  }
}

/** The keyframes of frames in time order (see KeyframeExtractor). */
export function videoKeyframeFeatures(frames: Iterable<VideoFrame>, side: 'query' | 'reference' | KeyframeOptions = 'query'): KeyframeFeatures[] {
  const kx = new KeyframeExtractor(side);
  for (const f of frames) kx.push(f);
  return kx.keyframes();
}

export interface PictureSighting {
  /** The keyframe where the registered picture was verified (the first, or the strongest with `best`). */
  timeSec: number;
  decision: FeatureMatchDecision;
  /** Keyframes where it was verified, of those tried. */
  keyframesMatched: number;
}

/**
 * Is the registered picture (`picture`: its registered features) shown in the video? Each keyframe
 * is a query of its own (one verified keyframe suffices: a photo shown for a few seconds is as much
 * evidence as a posted photo). Returns the strongest sighting, or null. Candidates come from a
 * FeatureIndex as for pictures, so most keyframes cost a lookup, not a verification.
 */
export function findPictureInKeyframes(keyframes: readonly KeyframeFeatures[], picture: LocalFeatures): PictureSighting | null {
  const index = new FeatureIndex({ keyBits: 12 });
  index.add('picture', picture);
  let best: PictureSighting | null = null;
  let matched = 0;
  for (const k of keyframes) {
    const cand = index.query(k.features)[0];
    if (!cand) continue;
    const d = decideFeatureMatch(k.features, picture, { ...cand, minVotes: DEFAULT_FEATURE_INDEX_OPTIONS.minVotes });
    if (!d) continue;
    matched++;
    if (!best || d.inliers > best.decision.inliers) best = { timeSec: k.timeSec, decision: d, keyframesMatched: 0 };
  }
  return best && { ...best, keyframesMatched: matched };
}

export interface KeyframeVideoMatch {
  method: 'local-features-keyframes';
  /** Verified keyframe pairs (query time, registered time, inliers), in query time order. */
  pairs: Array<{ queryTimeSec: number; refTimeSec: number; inliers: number; region: FeatureMatchDecision['region'] }>;
  /** Share of the query's keyframes that found a registered keyframe. */
  queryShare: number;
  /** Of the matched pairs, the share that keep time order (a re-upload plays the same way). */
  ordered: number;
}

/** Distinct keyframes that must match, and the share of the query's keyframes, for a video match. */
export const MIN_KEYFRAME_PAIRS = 2;
export const MIN_QUERY_SHARE = 0.2;

/**
 * A crawled video (`query` keyframes) against a registered video (`ref` keyframes, registered side):
 * a cropped, zoomed, reframed or mirrored re-upload, or a clip of it. Each query keyframe is looked up
 * in a FeatureIndex of the registered keyframes and verified against its candidates; the matcher does
 * the same with its bank-wide index (refId = material id + keyframe time) and `judgeKeyframePairs`.
 */
export function matchKeyframes(query: readonly KeyframeFeatures[], ref: readonly KeyframeFeatures[]): KeyframeVideoMatch | null {
  const index = new FeatureIndex({ keyBits: 14 });
  for (const [j, r] of ref.entries()) index.add(String(j), r.features);
  const pairs: KeyframeVideoMatch['pairs'] = [];
  const usedRef = new Set<number>();
  for (const q of query) {
    let best: { j: number; d: FeatureMatchDecision } | null = null;
    for (const cand of index.query(q.features).slice(0, 4)) {
      const j = Number(cand.refId);
      const d = decideFeatureMatch(q.features, ref[j].features, { ...cand, minVotes: DEFAULT_FEATURE_INDEX_OPTIONS.minVotes });
      if (d && (!best || d.inliers > best.d.inliers)) best = { j, d };
    }
    if (!best) continue;
    usedRef.add(best.j);
    pairs.push({ queryTimeSec: q.timeSec, refTimeSec: ref[best.j].timeSec, inliers: best.d.inliers, region: best.d.region });
  }
  return judgeKeyframePairs(pairs, query.length, usedRef.size);
}

/** The video-level rule over verified keyframe pairs (also for callers that verified through an index). */
export function judgeKeyframePairs(pairs: KeyframeVideoMatch['pairs'], queryKeyframes: number, distinctRefKeyframes: number): KeyframeVideoMatch | null {
  const queryShare = queryKeyframes > 0 ? pairs.length / queryKeyframes : 0;
  // A single keyframe pair is enough when the query has a single keyframe (a static clip).
  const need = Math.min(MIN_KEYFRAME_PAIRS, queryKeyframes);
  if (pairs.length < need || distinctRefKeyframes < Math.min(need, 2) || queryShare < MIN_QUERY_SHARE) return null;
  let ordered = 0;
  for (let k = 1; k < pairs.length; k++) if (pairs[k].refTimeSec >= pairs[k - 1].refTimeSec) ordered++;
  return {
    method: 'local-features-keyframes',
    pairs,
    queryShare: Math.round(queryShare * 1000) / 1000,
    ordered: pairs.length > 1 ? Math.round((ordered / (pairs.length - 1)) * 1000) / 1000 : 1,
  };
}
