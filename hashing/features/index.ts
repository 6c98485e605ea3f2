/**
 * Local features for partial views and warped re-uploads (see types.ts for the concept).
 *
 *   const f = extractFeatures(grey, REFERENCE_OPTIONS);     // registration (QUERY_OPTIONS for crawled media)
 *   const blob = featuresToBase64(f);                        // ~20 KB of base64 for 400 keypoints
 *   const m = matchFeatures(queryFeatures, featuresFromBase64(blob));   // verified, or null
 *   const index = new FeatureIndex(); index.add(refId, f); index.query(queryFeatures);
 */
export { extractFeatures, QUERY_OPTIONS, REFERENCE_OPTIONS, type ExtractOptions } from './extract.ts';
export { decodeFeatures, encodeFeatures, FeatureCodecError, featuresFromBase64, featuresToBase64 } from './codec.ts';
export { DEFAULT_FEATURE_INDEX_OPTIONS, FeatureIndex, type FeatureCandidate, type FeatureIndexOptions } from './feature-index.ts';
export { matchFeatures, verifyFeatures, type FeatureMatch, type Region, type SideHint, type Verification } from './match.ts';
export { mirrorFeatures } from './mirror.ts';
export { decideFeatureMatch, type FeatureMatchDecision } from './policy.ts';
export { referenceFeatures } from './reference.ts';
export { decideLowQualityMatch, matchStrength, type LowQualityDecision, type MatchStrength } from './low-quality.ts';
export { greyFromRgba } from './pyramid.ts';
export type { GreyImage, LocalFeatures } from './types.ts';
