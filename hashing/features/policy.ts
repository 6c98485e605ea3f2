/**
 * The local-features rule, in the shape of the matcher's decisions: for a query and a registered
 * picture, a match with its method, strength and where the picture sits in the query - or null.
 * Beside the PDQ index: candidates come from `FeatureIndex.query`, each is decided here.
 */
import { matchFeatures, MIN_INLIERS, type Region, type SideHint } from './match.ts';
import type { LocalFeatures } from './types.ts';

export interface FeatureMatchDecision {
  method: 'local-features';
  /** Verified keypoint pairs. */
  inliers: number;
  /** Where the registered picture is in the query, as fractions of the query (clipped bounding box). */
  region: Region;
  /** Share of the registered picture's area in view. */
  refCoverage: number;
  mirrored: boolean;
  /** 0.5 at the acceptance limit, towards 1 with more inliers spread over more of the picture. */
  confidence: number;
  /** Mean Hamming distance (bits of 256) of the inlier descriptor pairs - not comparable to PDQ's. */
  distance: number;
}

/**
 * `hint`: the candidate's votes from FeatureIndex.query (with its minVotes), to verify only the sides they
 * support. `shared`: the bank's stop list for `ref` (FeatureIndex.sharedMask), left out of the verification.
 */
export function decideFeatureMatch(query: LocalFeatures, ref: LocalFeatures, hint?: SideHint, shared?: Uint8Array | null): FeatureMatchDecision | null {
  const m = matchFeatures(query, ref, hint, shared);
  if (!m) return null;
  const strength = Math.min(1, (m.inliers - MIN_INLIERS) / (4 * MIN_INLIERS));
  const spread = m.cells.populated > 0 ? m.cells.hit / m.cells.populated : 0;
  return {
    method: 'local-features',
    inliers: m.inliers,
    region: m.queryRegion,
    refCoverage: Math.round(m.refCoverage * 1000) / 1000,
    mirrored: m.mirrored,
    confidence: Math.round((0.5 + 0.5 * strength * spread) * 1000) / 1000,
    distance: Math.round(m.meanDistance),
  };
}
