/**
 * Local features for partial views and warped re-uploads (see types.ts for the concept).
 *
 *   const f = extractFeatures(grey, REFERENCE_OPTIONS);     // registration (QUERY_OPTIONS for crawled media)
 *   const blob = featuresToBase64(f);                        // ~18 KB of base64 for ~330 keypoints
 *   const m = matchFeatures(queryFeatures, featuresFromBase64(blob));   // verified, or null
 *   const index = new FeatureIndex(); index.add(refId, f);
 *   for (const c of index.query(queryFeatures))                          // agreeing votes, most first
 *     decideFeatureMatch(queryFeatures, index.features(c.refId)!, { ...c, minVotes: DEFAULT_FEATURE_INDEX_OPTIONS.minVotes });
 *   // passing the candidate as the hint lets the verifier reject impostors on the index's own pairs (~0.1 ms)
 * Video keyframes (photos in slideshows, re-uploads of registered videos): hashing/video/keyframes.ts.
 */
export { extractFeatures, QUERY_OPTIONS, REFERENCE_OPTIONS, workingGrey, type ExtractOptions } from './extract.ts';
export { decodeFeatures, encodeFeatures, FeatureCodecError, featuresFromBase64, featuresToBase64 } from './codec.ts';
export { DEFAULT_FEATURE_INDEX_OPTIONS, FeatureIndex, type FeatureCandidate, type FeatureIndexOptions } from './feature-index.ts';
export { matchFeatures, verifyFeatures, type FeatureMatch, type Region, type SideHint, type Verification } from './match.ts';
export { mirrorFeatures } from './mirror.ts';
export { decideFeatureMatch, type FeatureMatchDecision } from './policy.ts';
export { referenceFeatures } from './reference.ts';
export { findPanels, queryFeatures, type PanelRect } from './panels.ts';
export { decideLowQualityMatch, matchStrength, type LowQualityDecision, type MatchStrength } from './low-quality.ts';
export { greyFromRgba } from './pyramid.ts';
export type { GreyImage, LocalFeatures } from './types.ts';
