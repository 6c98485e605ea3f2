import { decideFeatureMatch, FeatureCodecError, featuresFromBase64, featuresToBase64, QUERY_OPTIONS, queryFeatures, referenceFeatures, type GreyImage, type LocalFeatures } from '../features/index.ts';
import type { SignalType } from './signal.ts';

/** The picture's grey copy for local features and, for a registered file, the picture inside a screenshot (fractions). */
export interface FeatureInput {
  grey: GreyImage;
  /** 'reference': 400 keypoints of the registered picture (a screenshot's picture only); 'query': 1,500 of the whole query, plus each panel's own (panels.ts). */
  role: 'reference' | 'query';
  content?: { x: number; y: number; w: number; h: number } | null;
}

/** Distance `compare` gives two feature sets that do not verify: beyond any verified pair's mean descriptor distance. */
export const NO_FEATURE_MATCH = 256;

// Decoded blobs by their text: a bank line's or a query's features are compared many times each.
const decoded = new Map<string, LocalFeatures>();
const DECODED_KEEP = 64;

/** The features a `features` value holds (cached for the last few distinct values), or a FeatureCodecError. */
export function decodeFeatureSignal(value: string): LocalFeatures {
  let f = decoded.get(value);
  if (!f) {
    f = featuresFromBase64(value);
    if (decoded.size >= DECODED_KEEP) decoded.delete(decoded.keys().next().value!);
    decoded.set(value, f);
  }
  return f;
}

/**
 * Local features as a signal: keypoints with 256-bit binary descriptors (hashing/features/), carried as
 * base64 of the compact codec (hashing/features/codec.ts, 38 bytes a keypoint). Unlike PDQ it is not a
 * distance between two whole pictures: `compare` verifies the pair geometrically (the query is `a`) and
 * gives the inliers' mean descriptor distance, or NO_FEATURE_MATCH when no placement of `b` inside `a`
 * is verified. The input is its own grey decode (more pixels than PDQ's 512 px working copy: a collage
 * tile needs them), so it is not one of the registry's IMAGE_SIGNALS but FEATURE_SIGNAL beside them.
 *
 * No reference implementation publishes vectors for staydown's own features, so `examples` holds none;
 * test/hashing/features-signal.test.ts holds the signal to its properties instead (a generated picture
 * matches its partial views and not another picture).
 */
export const featuresSignal: SignalType<FeatureInput, string> & { readonly name: 'features' } = {
  name: 'features',
  validate(v): v is string {
    if (typeof v !== 'string' || v.length === 0) return false;
    try {
      decodeFeatureSignal(v);
      return true;
    } catch (err) {
      if (err instanceof FeatureCodecError) return false;
      throw err;
    }
  },
  hash(input) {
    const f = input.role === 'reference' ? referenceFeatures(input.grey, input.content) : queryFeatures(input.grey, QUERY_OPTIONS);
    return featuresToBase64(f);
  },
  compare(a, b) {
    if (a === b) return 0;
    const m = decideFeatureMatch(decodeFeatureSignal(a), decodeFeatureSignal(b));
    return m ? m.distance : NO_FEATURE_MATCH;
  },
  examples: [],
};
