/**
 * What the matcher tries when the PDQ policy (policy.ts) finds nothing for a pair of images:
 *
 * 1. Low-quality pairs (either PDQ quality < 50: smooth, dark, nearly flat pictures). The PDQ policy
 *    never compares them (Meta's rule), so a registered dark wallpaper was never found and a darkened
 *    copy of a good picture was missed where plain PDQ finds it. hashing/features/low-quality.ts
 *    compares them on PDQ within 31 bits corroborated by the block hash or by a verified local-features
 *    match - never on PDQ alone.
 * 2. Local features with geometric verification (hashing/features/): the registered picture found as a
 *    part of the query (a crop, a collage tile, beside another picture, inside a frame, under stickers,
 *    turned or sheared). Accepted only when enough inliers spread over the registered picture.
 *
 * The decisions say where in the QUERY the registered picture was found (`region`, fractions 0..1 of
 * the query's width and height - the console draws it), with inliers and a confidence.
 */
import { decideFeatureMatch, decideLowQualityMatch, featuresFromBase64, type LocalFeatures, type Region, type SideHint } from '../features/index.ts';
import { ownFeatures } from '../features/shared.ts';
import { DIHEDRALS } from '../pdq-hasher.ts';
import type { Fingerprint, ImageFingerprint } from '../types.ts';
import { MATCH_METHODS as M } from './methods.ts';
import type { MatchDecision } from './policy.ts';

/** A box in the query, as fractions of its width and height. */
export interface QueryRegion {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The whole query: where a whole-picture match (plain, mirrored, turned PDQ) found the registered picture. */
export const WHOLE_QUERY: Readonly<QueryRegion> = Object.freeze({ x: 0, y: 0, width: 1, height: 1 });

/** The verified pair of feature sets, with the index's votes when it proposed the candidate. */
export interface FeaturePair {
  query: LocalFeatures;
  ref: LocalFeatures;
  hint?: SideHint;
  /** The bank's stop list for `ref` (FeatureIndex.sharedMask): keypoints another registered picture shares. */
  shared?: Uint8Array | null;
}

/** A fingerprint's local features, or null when it has none or they do not decode (an old or damaged bank line). */
export function featuresOf(fp: Fingerprint): LocalFeatures | null {
  if (fp.kind !== 'image' || typeof fp.features !== 'string') return null;
  try {
    return featuresFromBase64(fp.features);
  } catch {
    return null;
  }
}

const DIHEDRAL_SET = new Set<string>(DIHEDRALS);

/**
 * The hashes the low-quality rule compares, whatever their quality: the query's plain PDQ and its
 * dihedral variants (the matcher looks them up within 31 bits of every image reference's plain PDQ).
 */
export function lowQualityProbes(q: Fingerprint): string[] {
  if (q.kind !== 'image') return [];
  return [q.pdq.hash, ...q.views.filter((v) => DIHEDRAL_SET.has(v.view)).map((v) => v.hash)];
}

/** The decision for an image pair the PDQ policy refused, or null. */
export function decideBeyondPdq(query: Fingerprint, ref: Fingerprint, pair?: FeaturePair): MatchDecision | null {
  if (query.kind !== 'image' || ref.kind !== 'image') return null;
  // A shared overlay corroborates nothing: the low-quality rule sees the registered picture's own keypoints only.
  const low = decideLowQualityMatch(query as ImageFingerprint, ref as ImageFingerprint, pair ? { query: pair.query, ref: ownFeatures(pair.ref, pair.shared).features } : undefined);
  if (low) {
    const f = low.features;
    return {
      method: M.pdqLowQuality,
      distance: low.distance,
      corroboratedBy: f ? 'features' : 'blockhash',
      blockhashDistance: low.blockhashDistance,
      confidence: low.confidence,
      ...(f ? { inliers: f.inliers, region: toQueryRegion(f.region), mirrored: f.mirrored } : { region: { ...WHOLE_QUERY } }),
    };
  }
  if (!pair) return null;
  const f = decideFeatureMatch(pair.query, pair.ref, pair.hint, pair.shared);
  if (!f) return null;
  return {
    method: M.features,
    // Mean Hamming distance (bits of 256) of the inlier descriptor pairs: not comparable with PDQ's bits.
    distance: f.distance,
    inliers: f.inliers,
    region: toQueryRegion(f.region),
    refCoverage: f.refCoverage,
    mirrored: f.mirrored,
    confidence: f.confidence,
  };
}

const r3 = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 1000) / 1000;

export function toQueryRegion(r: Region): QueryRegion {
  const x = r3(r.x), y = r3(r.y);
  return { x, y, width: r3(Math.min(r.w, 1 - x)), height: r3(Math.min(r.h, 1 - y)) };
}
