/**
 * The matcher's video path beyond vPDQ: local features on keyframes (hashing/video/keyframes.ts).
 *
 * - A registered PHOTO shown in a query video (a slideshow with a slow zoom and pan shows a moving
 *   crop of it for a few seconds, which no frame hash of the whole frame finds): each query keyframe is
 *   a query of the matcher's picture index, and one verified keyframe is a match - the same evidence as
 *   a posted photo, under the same acceptance rule (hashing/features/policy.ts).
 * - A registered VIDEO re-uploaded cropped, zoomed, reframed or mirrored (its frames' PDQ no longer
 *   agree): registered keyframes sit in a bank-wide keyframe index, each query keyframe is verified
 *   against its candidates, and `judgeKeyframePairs` decides per registered video (>= 2 verified
 *   keyframe pairs covering >= 20% of the query's keyframes).
 *
 * - A still IMAGE (a screenshot or a grab of a registered video, cropped or zoomed as posts are): its
 *   features are a query of the same keyframe index, and one verified registered keyframe is a match -
 *   the evidence a posted photo gives against a registered photo (`matchImage`).
 *
 * Either way the decision is `video-features` with its inliers, the region of the query (its frame,
 * for a video), the query's time (`queryTime`, videos only) and, against a registered video, the
 * registered time (`frameTime`).
 */
import { DEFAULT_FEATURE_INDEX_OPTIONS, decideFeatureMatch, FeatureIndex, featuresFromBase64, type FeatureCandidate, type FeatureMatchDecision, type LocalFeatures, type SideHint } from '../features/index.ts';
import type { Fingerprint } from '../types.ts';
import { judgeKeyframePairs, type KeyframeFeatures } from '../video/keyframes.ts';
import { toQueryRegion } from './features-policy.ts';
import { MATCH_METHODS } from './methods.ts';
import type { MatchDecision } from './policy.ts';

/** A video fingerprint's keyframes, decoded; null when it has none or they do not decode (an old or damaged line). */
export function keyframesOf(fp: Fingerprint): KeyframeFeatures[] | null {
  if (fp.kind !== 'video' || !Array.isArray(fp.keyframes) || fp.keyframes.length === 0) return null;
  try {
    return fp.keyframes.map((k) => ({ timeSec: k.t, features: featuresFromBase64(k.features) }));
  } catch {
    return null;
  }
}

/** The matcher's registered pictures, as this path needs them (the index and each one's features). */
export interface PictureLookup {
  index: FeatureIndex;
  features(id: number): LocalFeatures | null;
}

/** Candidates verified per query keyframe in the keyframe index (neighbouring registered keyframes look alike). */
const MAX_KEYFRAME_CANDIDATES = 8;

const hintOf = (c: FeatureCandidate): SideHint => ({ votes: c.votes, mirroredVotes: c.mirroredVotes, minVotes: DEFAULT_FEATURE_INDEX_OPTIONS.minVotes, pairs: c.pairs, mirroredPairs: c.mirroredPairs });

/** Registered videos' keyframes, by the matcher's reference id. */
export class VideoFeatureIndex {
  private readonly index = new FeatureIndex();
  /** Each registered video's keyframe times; their features are the index's (`keyframe`), its one copy. */
  private readonly refs = new Map<number, number[]>();

  /** Registered videos with keyframes. */
  get videos(): number {
    return this.refs.size;
  }

  add(id: number, keyframes: KeyframeFeatures[] | null): void {
    if (!keyframes || keyframes.length === 0) return;
    this.remove(id);
    this.refs.set(id, keyframes.map((k) => k.timeSec));
    for (const [k, kf] of keyframes.entries()) this.index.add(`${id}:${k}`, kf.features);
  }

  /** Registered keyframe `k` of video `id`: its time and features (views over the index's arrays, per use). */
  private keyframe(id: number, k: number): KeyframeFeatures | null {
    const timeSec = this.refs.get(id)?.[k];
    const features = timeSec === undefined ? null : this.index.features(`${id}:${k}`);
    return features ? { timeSec: timeSec!, features } : null;
  }

  /** The index's room to grow given back (after a bank load: FeatureIndex.trim). */
  trim(): void {
    this.index.trim();
  }

  remove(id: number): void {
    const kfs = this.refs.get(id);
    if (!kfs) return;
    for (let k = 0; k < kfs.length; k++) this.index.remove(`${id}:${k}`);
    this.refs.delete(id);
  }

  /**
   * Decisions for a query video's keyframes: registered pictures shown in it, and registered videos it
   * re-uploads. `skip`: references already matched by an earlier method (vPDQ, exact bytes).
   */
  match(query: readonly KeyframeFeatures[], pictures: PictureLookup, skip: (id: number) => boolean): Map<number, MatchDecision> {
    const out = new Map<number, MatchDecision>();
    if (query.length === 0) return out;
    if (pictures.index.pictures > 0) for (const [id, d] of picturesInVideo(query, pictures, skip)) out.set(id, d);
    if (this.refs.size > 0) for (const [id, d] of this.reuploads(query, skip)) if (!out.has(id)) out.set(id, d);
    return out;
  }

  /**
   * Registered videos one of whose keyframes is verified in a still image (a screenshot of the video):
   * the strongest keyframe of each, with its time as `frameTime`. `skip` as for `match`.
   */
  matchImage(query: LocalFeatures, skip: (id: number) => boolean): Map<number, MatchDecision> {
    const out = new Map<number, MatchDecision>();
    if (this.refs.size === 0) return out;
    const best = new Map<number, { k: number; d: FeatureMatchDecision }>();
    for (const c of this.index.query(query).slice(0, MAX_KEYFRAME_CANDIDATES)) {
      const [idText, kText] = c.refId.split(':');
      const id = Number(idText), k = Number(kText);
      if (skip(id)) continue;
      const ref = this.keyframe(id, k);
      const d = ref ? decideFeatureMatch(query, ref.features, hintOf(c)) : null;
      const had = best.get(id);
      if (d && (!had || d.inliers > had.d.inliers)) best.set(id, { k, d });
    }
    for (const [id, { k, d }] of best) {
      const { queryTime: _t, keyframes: _n, ...decision } = decisionOf(d, 0, 1);
      out.set(id, { ...decision, frameTime: this.refs.get(id)![k] });
    }
    return out;
  }

  private reuploads(query: readonly KeyframeFeatures[], skip: (id: number) => boolean): Map<number, MatchDecision> {
    type Pair = { queryTimeSec: number; refTimeSec: number; inliers: number; region: FeatureMatchDecision['region']; d: FeatureMatchDecision };
    const perRef = new Map<number, { pairs: Pair[]; used: Set<number> }>();
    for (const q of query) {
      // The best verified registered keyframe of each registered video, for this query keyframe.
      const best = new Map<number, { k: number; d: FeatureMatchDecision }>();
      for (const c of this.index.query(q.features).slice(0, MAX_KEYFRAME_CANDIDATES)) {
        const [idText, kText] = c.refId.split(':');
        const id = Number(idText), k = Number(kText);
        if (skip(id)) continue;
        const ref = this.keyframe(id, k);
        if (!ref) continue;
        const d = decideFeatureMatch(q.features, ref.features, hintOf(c));
        const had = best.get(id);
        if (d && (!had || d.inliers > had.d.inliers)) best.set(id, { k, d });
      }
      for (const [id, { k, d }] of best) {
        const r = perRef.get(id) ?? { pairs: [], used: new Set<number>() };
        r.pairs.push({ queryTimeSec: q.timeSec, refTimeSec: this.refs.get(id)![k], inliers: d.inliers, region: d.region, d });
        r.used.add(k);
        perRef.set(id, r);
      }
    }
    const out = new Map<number, MatchDecision>();
    for (const [id, { pairs, used }] of perRef) {
      const judged = judgeKeyframePairs(pairs.map(({ d: _d, ...p }) => p), query.length, used.size);
      if (!judged) continue;
      const strongest = pairs.reduce((a, b) => (b.inliers > a.inliers ? b : a));
      out.set(id, {
        ...decisionOf(strongest.d, strongest.queryTimeSec, pairs.length),
        frameTime: strongest.refTimeSec,
        queryShare: judged.queryShare,
        ordered: judged.ordered,
      });
    }
    return out;
  }
}

/** Registered pictures verified in some keyframe of the query: the strongest sighting of each. */
function picturesInVideo(query: readonly KeyframeFeatures[], pictures: PictureLookup, skip: (id: number) => boolean): Map<number, MatchDecision> {
  const best = new Map<number, { t: number; d: FeatureMatchDecision; seen: number }>();
  for (const q of query) {
    for (const c of pictures.index.query(q.features)) {
      const id = Number(c.refId);
      if (skip(id)) continue;
      const ref = pictures.features(id);
      if (!ref) continue;
      const d = decideFeatureMatch(q.features, ref, hintOf(c));
      if (!d) continue;
      const had = best.get(id);
      if (!had) best.set(id, { t: q.timeSec, d, seen: 1 });
      else {
        had.seen++;
        if (d.inliers > had.d.inliers) Object.assign(had, { t: q.timeSec, d });
      }
    }
  }
  return new Map([...best].map(([id, b]) => [id, decisionOf(b.d, b.t, b.seen)]));
}

function decisionOf(d: FeatureMatchDecision, queryTime: number, keyframes: number): MatchDecision {
  return {
    method: MATCH_METHODS.videoFeatures,
    // Mean Hamming distance (bits of 256) of the inlier descriptor pairs, as for the `features` method.
    distance: d.distance,
    inliers: d.inliers,
    region: toQueryRegion(d.region),
    refCoverage: d.refCoverage,
    mirrored: d.mirrored,
    confidence: d.confidence,
    queryTime,
    keyframes,
  };
}
