/**
 * Explaining away, as an object detector suppresses the weaker of two boxes on the same object: a
 * reference found only by local features (`features`) is dropped when another matched reference
 * explains the same part of the query at least twice as well - its own local features verify over a
 * region that holds the weaker one's, with at least twice the weaker one's inliers inside that part.
 * Inside it, not in all: a picture inset in a corner of another registered photo covers that corner of
 * the photo, so the photo's inliers are everywhere but there, and the inset is kept.
 *
 * What it is for: two different pictures registered with the same overlay (a watermark, a logo burnt
 * into both) share keypoints, and over a low-texture picture those can be most of them; local features
 * alone then verify the one in the other. The query's own picture explains that part better - its
 * texture and the overlay, against the overlay alone - so the other is not raised. Kept, by the same
 * rule: pictures side by side or in a collage (separate regions), and one picture registered twice, in
 * two cases or two versions (about the same inliers each: neither explains the other).
 */
import type { FeatureMatch, LocalFeatures } from '../features/index.ts';
import type { QueryRegion } from './features-policy.ts';
import { isExactMethod, MATCH_METHODS } from './methods.ts';
import type { MatchDecision } from './policy.ts';

/** Share of the weaker region that must lie inside the stronger one. */
const INSIDE = 0.8;
/** The stronger match needs this many times the weaker one's inliers. */
const INLIER_RATIO = 2;

/**
 * How well a matched reference explains the query by its local features: inliers, where, and where
 * each inlier is (`points`: x, y pairs, fractions of the query; without them every inlier counts as
 * inside any part of its region); null when it has none to compare.
 */
export type Explanation = { inliers: number; region: QueryRegion; points?: ArrayLike<number> } | null;

const EVERYTHING: Explanation = { inliers: Number.POSITIVE_INFINITY, region: { x: 0, y: 0, width: 1, height: 1 } };

function insideShare(a: QueryRegion, b: QueryRegion): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? (w * h) / (a.width * a.height) : 0;
}

/**
 * Where a verified match's inliers are in the query, as fractions (x, y pairs). The indices are the
 * query's own keypoints also when the match is mirrored (a mirrored copy keeps their order).
 */
export function inlierPlaces(query: LocalFeatures, m: Pick<FeatureMatch, 'queryInliers'>): Float32Array {
  const out = new Float32Array(2 * m.queryInliers.length);
  const w = Math.max(1, query.width), h = Math.max(1, query.height);
  m.queryInliers.forEach((k, i) => {
    out[2 * i] = (query.x[k] + 0.5) / w;
    out[2 * i + 1] = (query.y[k] + 0.5) / h;
  });
  return out;
}

/** The explanation's inliers inside `r`. */
function inliersIn(e: NonNullable<Explanation>, r: QueryRegion): number {
  const p = e.points;
  if (!p) return e.inliers;
  let n = 0;
  for (let k = 0; k + 1 < p.length; k += 2) if (p[k] >= r.x && p[k] <= r.x + r.width && p[k + 1] >= r.y && p[k + 1] <= r.y + r.height) n++;
  return n;
}

const placed = (d: MatchDecision): Explanation => {
  const r = d.region as QueryRegion | undefined;
  const inliers = Number(d.inliers);
  return r && Number.isFinite(inliers) && [r.x, r.y, r.width, r.height].every(Number.isFinite) && r.width > 0 && r.height > 0 ? { inliers, region: r } : null;
};

/**
 * Removes from `found` the features-only decisions another decision explains, and returns their ids.
 * `explain(id)` gives a decision's own local-features verification with its inliers' places (computed
 * only when some features-only decision is there to be judged); a features decision it gives nothing
 * for is judged by its own inliers and region.
 */
export function dropExplained<K>(found: Map<K, MatchDecision>, explain: (id: K) => Explanation): K[] {
  const weak = [...found].filter(([, d]) => d.method === MATCH_METHODS.features).flatMap(([id, d]) => {
    const e = placed(d);
    return e ? [{ id, e }] : [];
  });
  if (weak.length === 0 || found.size < 2) return [];
  const strength = new Map<K, Explanation>();
  const of = (id: K, d: MatchDecision): Explanation => {
    // The query is that registered file byte for byte: it explains every part of itself.
    if (!strength.has(id)) strength.set(id, isExactMethod(d.method) ? EVERYTHING : d.method === MATCH_METHODS.features ? (explain(id) ?? placed(d)) : explain(id));
    return strength.get(id)!;
  };
  const dropped = weak.filter((w) => [...found].some(([id, d]) => {
    if (id === w.id) return false;
    const s = of(id, d);
    return s !== null && insideShare(w.e.region, s.region) >= INSIDE && inliersIn(s, w.e.region) >= INLIER_RATIO * w.e.inliers;
  })).map((w) => w.id);
  for (const id of dropped) found.delete(id);
  return dropped;
}
