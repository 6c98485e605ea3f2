/**
 * Registered files whose PDQ has low quality (< 50: smooth, dark or nearly flat pictures) stay
 * matchable, and staff are told at registration how well a file can be matched.
 *
 * Meta's rule leaves such hashes out of matching because two smooth pictures can have close hashes
 * (their few gradients decide every bit). Leaving them out entirely means a registered dark wallpaper
 * is never found, and a darkened copy of a good picture is missed although plain PDQ finds it. So a
 * pair where either side is low quality is compared, but never on PDQ alone:
 *   - plain or dihedral PDQ within LOW_QUALITY_PDQ_RADIUS and the block hashes within
 *     LOW_QUALITY_BLOCKHASH_RADIUS (two independent signals must agree), or
 *   - plain or dihedral PDQ within PDQ's 31 and a verified local-features match (decideFeatureMatch).
 */
import { hammingHex } from '../bits.ts';
import type { ImageFingerprint } from '../types.ts';
import { decideFeatureMatch, type FeatureMatchDecision } from './policy.ts';
import type { LocalFeatures } from './types.ts';

export const MIN_QUALITY = 50;
/**
 * On smooth dark pictures (PDQ quality 6-17) a re-encoded, resized copy stays within 14-30 PDQ bits
 * and 0-46 block-hash bits of its original, distinct ones >= 114 and >= 57 apart (test wallpapers);
 * each signal alone is noisy there, both together are not.
 */
export const LOW_QUALITY_PDQ_RADIUS = 31;
export const LOW_QUALITY_BLOCKHASH_RADIUS = 48;
const PDQ_RADIUS = 31;

export interface LowQualityDecision {
  method: 'pdq-low-quality+blockhash' | 'pdq-low-quality+features';
  distance: number;
  blockhashDistance: number;
  features?: FeatureMatchDecision;
  confidence: number;
}

/** The smallest plain/dihedral PDQ distance between query and reference, from the stored hashes. */
function pdqDistance(query: ImageFingerprint, ref: ImageFingerprint): number {
  let d = hammingHex(query.pdq.hash, ref.pdq.hash);
  for (const v of query.views) if (DIHEDRAL_VIEWS.has(v.view)) d = Math.min(d, hammingHex(v.hash, ref.pdq.hash));
  return d;
}
const DIHEDRAL_VIEWS = new Set(['rot90', 'rot180', 'rot270', 'flipx', 'flipy', 'flipp', 'flipm']);

/**
 * For pairs the default image policy does not compare (either PDQ quality < 50): a match, or null.
 * Pairs where both hashes are of good quality return null (the default policy decides those).
 */
export function decideLowQualityMatch(
  query: ImageFingerprint,
  ref: ImageFingerprint,
  features?: { query: LocalFeatures; ref: LocalFeatures },
): LowQualityDecision | null {
  if (query.pdq.quality >= MIN_QUALITY && ref.pdq.quality >= MIN_QUALITY) return null;
  const d = pdqDistance(query, ref);
  if (d > PDQ_RADIUS) return null;
  const b = hammingHex(query.blockhash, ref.blockhash);
  if (d <= LOW_QUALITY_PDQ_RADIUS && b <= LOW_QUALITY_BLOCKHASH_RADIUS) {
    return { method: 'pdq-low-quality+blockhash', distance: d, blockhashDistance: b, confidence: Math.round((1 - (0.5 * d) / LOW_QUALITY_PDQ_RADIUS) * 100) / 100 };
  }
  if (features) {
    const f = decideFeatureMatch(features.query, features.ref);
    if (f) return { method: 'pdq-low-quality+features', distance: d, blockhashDistance: b, features: f, confidence: f.confidence };
  }
  return null;
}

export interface MatchStrength {
  /** True when staff should know the file will only be found in limited ways. */
  weak: boolean;
  pdqQuality: number;
  /** Local-feature keypoints registered (0 when none were computed). */
  keypoints: number;
  /** Cells of a 4x4 grid over the picture holding at least 3 keypoints. */
  featureCells: number;
  /** One sentence for the registration screen. */
  sentence: string;
}

/** Cells and keypoints below which partial views (crops, collages, screenshots) are unlikely to be found. */
const MIN_KEYPOINTS = 120;
const MIN_CELLS = 6;

/** How well a registered image can be matched, with a sentence for staff. */
export function matchStrength(fp: ImageFingerprint, features?: LocalFeatures): MatchStrength {
  const keypoints = features?.count ?? 0;
  let featureCells = 0;
  if (features) {
    const cells = new Int32Array(16);
    for (let i = 0; i < features.count; i++) cells[Math.min(3, Math.floor((features.y[i] / features.height) * 4)) * 4 + Math.min(3, Math.floor((features.x[i] / features.width) * 4))]++;
    featureCells = cells.filter((c) => c >= 3).length;
  }
  const lowPdq = fp.pdq.quality < MIN_QUALITY;
  const fewFeatures = keypoints < MIN_KEYPOINTS || featureCells < MIN_CELLS;
  let sentence: string;
  if (!lowPdq && !fewFeatures) sentence = 'This file has enough detail to be found in edited, cropped and partial re-uploads.';
  else if (!lowPdq) sentence = `This file has little fine detail (${keypoints} keypoints over ${featureCells} of 16 areas): whole-picture copies and edits will be found, but crops, collages and screenshots of it may be missed.`;
  else if (!fewFeatures) sentence = `This file is smooth or dark (PDQ quality ${fp.pdq.quality} of 100): it is matched with a stricter PDQ distance backed by its block hash or its ${keypoints} keypoints, so heavily edited copies may be missed.`;
  else sentence = `This file is weak for matching: it is smooth or dark (PDQ quality ${fp.pdq.quality} of 100) with little detail (${keypoints} keypoints), so only near-exact copies (same picture, re-encoded or resized) will be found; register a sharper original if there is one.`;
  return { weak: lowPdq || fewFeatures, pdqQuality: fp.pdq.quality, keypoints, featureCells, sentence };
}
