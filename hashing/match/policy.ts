/**
 * staydown's default alert policy, for any pair of fingerprints: which hashes of a query to look up in
 * the index (`probeHashes`, within `CANDIDATE_RADIUS` of the references' `referenceHashes`), and for a
 * candidate pair whether to alert, by which method and how strongly (`decideMatch`).
 *
 * Invariant the index relies on: if `decideMatch(q, r)` is not null, some probe of q lies within
 * CANDIDATE_RADIUS of some reference hash of r - so an exact index never hides a match.
 */
import type { Fingerprint } from '../types.ts';
import type { MatchMethod } from './methods.ts';
import { matchVideo } from '../video/match-video.ts';
import { CANDIDATE_RADIUS as IMAGE_CANDIDATE_RADIUS, matchImages, queryProbeHashes } from './image-policy.ts';

export interface MatchDecision {
  /** Which technique matched: 'exact-sha256', 'exact-md5', 'pdq', 'pdq-dihedral', ... (the table in methods.ts). */
  method: MatchMethod;
  /** Hamming distance in bits of the deciding comparison (0 for exact matches). */
  distance: number;
  [detail: string]: unknown;
}

/** Hashes below this PDQ quality carry too little structure to be trusted (Meta's guidance). */
export const MIN_QUALITY = 50;
/** HMA's and StopNCII's PDQ threshold. */
export const PDQ_RADIUS = 31;
/** Radius of the index look-up that finds candidates for `decideMatch` (video frames use PDQ's 31). */
export const CANDIDATE_RADIUS = Math.max(IMAGE_CANDIDATE_RADIUS, PDQ_RADIUS);

export function probeHashes(q: Fingerprint): Array<{ hash: string; view: string }> {
  if (q.kind === 'video') {
    // Frames and their mirrored, bar-trimmed and half views (hashing/video/frame-hash.ts).
    return q.frames
      .filter((f) => f.quality >= MIN_QUALITY)
      .flatMap((f) => [{ hash: f.pdq, view: 'frame' }, ...(f.views ?? []).filter((v) => v.quality >= MIN_QUALITY).map((v) => ({ hash: v.hash, view: `frame-${v.view}` }))]);
  }
  const frames = (q.frames?.length ?? 0) > 1 ? q.frames!.filter((f) => f.quality >= MIN_QUALITY).map((f) => ({ hash: f.pdq, view: 'frame' })) : [];
  return [...queryProbeHashes(q), ...frames];
}

export function decideMatch(query: Fingerprint, ref: Fingerprint): MatchDecision | null {
  const animated = (fp: Fingerprint) => fp.kind === 'video' || (fp.frames?.length ?? 0) > 1;
  if (animated(query) || animated(ref)) {
    // Video against video, image against video, video against image: frame bags aligned in time
    // (hashing/video/match-video.ts). An animated image against an image falls back to the image rule.
    const m = matchVideo(query, ref);
    if (m) return { ...m };
    if (query.kind === 'video' || ref.kind === 'video') return null;
  }
  if (query.kind === 'image' && ref.kind === 'image') {
    const m = matchImages(query, ref);
    return m ? { ...m } : null;
  }
  return null;
}
