/**
 * Explaining away, as an object detector suppresses the weaker of two boxes on the same object: a
 * reference found only by local features (`features`) is dropped when another matched reference
 * explains the same part of the query at least twice as well - its own local features verify with at
 * least twice the inliers, over a region that holds the weaker one's.
 *
 * What it is for: two different pictures registered with the same overlay (a watermark, a logo burnt
 * into both) share keypoints, and over a low-texture picture those can be most of them; local features
 * alone then verify the one in the other. The query's own picture explains that part better - its
 * texture and the overlay, against the overlay alone - so the other is not raised. Kept, by the same
 * rule: pictures side by side or in a collage (separate regions), and one picture registered twice, in
 * two cases or two versions (about the same inliers each: neither explains the other).
 */
import type { QueryRegion } from './features-policy.ts';
import { isExactMethod, MATCH_METHODS } from './methods.ts';
import type { MatchDecision } from './policy.ts';

/** Share of the weaker region that must lie inside the stronger one. */
const INSIDE = 0.8;
/** The stronger match needs this many times the weaker one's inliers. */
const INLIER_RATIO = 2;

/** How well a matched reference explains the query by its local features: inliers and where; null when it has none to compare. */
export type Explanation = { inliers: number; region: QueryRegion } | null;

const EVERYTHING: Explanation = { inliers: Number.POSITIVE_INFINITY, region: { x: 0, y: 0, width: 1, height: 1 } };

function insideShare(a: QueryRegion, b: QueryRegion): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? (w * h) / (a.width * a.height) : 0;
}

const placed = (d: MatchDecision): Explanation => {
  const r = d.region as QueryRegion | undefined;
  const inliers = Number(d.inliers);
  return r && Number.isFinite(inliers) && [r.x, r.y, r.width, r.height].every(Number.isFinite) && r.width > 0 && r.height > 0 ? { inliers, region: r } : null;
};

/**
 * Removes from `found` the features-only decisions another decision explains, and returns their ids.
 * `explain(id)` gives a non-features decision's own local-features verification (computed only when
 * some features-only decision is there to be judged).
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
    if (!strength.has(id)) strength.set(id, isExactMethod(d.method) ? EVERYTHING : d.method === MATCH_METHODS.features ? placed(d) : explain(id));
    return strength.get(id)!;
  };
  const dropped = weak.filter((w) => [...found].some(([id, d]) => {
    if (id === w.id) return false;
    const s = of(id, d);
    return s !== null && s.inliers >= INLIER_RATIO * w.e.inliers && insideShare(w.e.region, s.region) >= INSIDE;
  })).map((w) => w.id);
  for (const id of dropped) found.delete(id);
  return dropped;
}
