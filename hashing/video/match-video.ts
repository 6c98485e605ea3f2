/**
 * Matching a fingerprint against a video fingerprint (or a video against an image), the vPDQ way: each
 * side is a bag of frame hashes; a query frame matches when some reference frame is within 31 bits.
 * staydown adds what re-uploads need on top of the reference's bag rule:
 * - views: the query's mirrored and bar-trimmed frames are compared too (reference side: plain and
 *   trimmed frames only; a mirror on either side is the query's mirror against the plain reference);
 * - time: matched frames are grouped by their time offset (reference t - query t) into ranges, so a
 *   clip inside a longer upload is found even when it is a small share of that upload, and the report
 *   says where (query t1-t2 <-> reference t1-t2);
 * - shares: the share of the query's frames matched and the share of the reference's duration covered.
 * Pure: fingerprints in, a match (or null) out.
 */
import { hexToWords, HASH_WORDS, popcount32 } from '../bits.ts';
import type { Fingerprint } from '../types.ts';
import { MATCH_METHODS } from '../match/methods.ts';

export interface VideoMatchPolicy {
  /** A frame matches a frame within this many bits (HMA/StopNCII/vPDQ: 31). */
  frameDistance: number;
  /** Frames (and views) below this PDQ quality are ignored (vPDQ: 50). */
  minQuality: number;
  /** A video query matches when at least this share of its frames match... */
  minQueryShare: number;
  /** ...and at least this many frames match (one frame of a long video is not a copy of it). */
  minMatchedFrames: number;
  /** Or when one time-consistent range holds at least this many matched frames (a clip in a longer upload). */
  minRangeFrames: number;
  /** Matched frames further apart than this (seconds) start a new range. */
  maxGapSeconds: number;
  /** Offsets (reference t - query t) within this many seconds count as one alignment. */
  offsetToleranceSeconds: number;
  /** Compare mirrored and bar-trimmed views (off = the plain vPDQ comparison). */
  useViews: boolean;
}

export const DEFAULT_VIDEO_MATCH_POLICY: Readonly<VideoMatchPolicy> = Object.freeze({
  frameDistance: 31,
  minQuality: 50,
  minQueryShare: 0.5,
  minMatchedFrames: 3,
  minRangeFrames: 5,
  maxGapSeconds: 3,
  offsetToleranceSeconds: 1,
  useViews: true,
});

export interface MatchRange {
  /** Seconds in the query: first and last matched frame. */
  query: [number, number];
  /** Seconds in the reference: the frames those matched. */
  reference: [number, number];
  frames: number;
}

export interface VideoMatch {
  /** 'vpdq' (video against video), 'image-in-video' (an image query found as a frame of a video),
   *  'video-contains-image' (a video query showing a registered image). */
  method: typeof MATCH_METHODS.vpdq | typeof MATCH_METHODS.imageInVideo | typeof MATCH_METHODS.videoContainsImage;
  /** The view that matched most often: 'orig', 'mirror', 'trim', 'trim+mirror', or an image view. */
  view: string;
  /** Median distance of the matched frames' best pairs. */
  distance: number;
  /** Share of the query's usable frames that matched (0..1). */
  queryShare: number;
  /** Share of the reference covered: its duration under matched ranges for a video, 1 for an image. */
  refShare: number;
  matchedFrames: number;
  ranges: MatchRange[];
}

interface Entry {
  t: number;
  views: string[];
  words: Uint32Array; // views.length * 8 words
}

/** Views of an image that are rotations or mirrors: the query side's business, never compared on the reference side. */
const QUERY_ONLY_VIEWS = new Set(['mirror', 'trim+mirror', 'rot90', 'rot180', 'rot270', 'flipx', 'flipy', 'flipp', 'flipm']);

/** Frame bag of a fingerprint. Reference side: plain and non-mirror views; query side: all views. */
export function frameBag(fp: Fingerprint, side: 'query' | 'reference', policy: VideoMatchPolicy): Entry[] {
  const out: Entry[] = [];
  const keep = (view: string) => policy.useViews && (side === 'query' || !QUERY_ONLY_VIEWS.has(view));
  const add = (t: number, list: Array<{ view: string; hash: string; quality: number }>) => {
    const usable = list.filter((v) => v.quality >= policy.minQuality && /^[0-9a-f]{64}$/i.test(v.hash));
    if (usable.length === 0 || usable[0].view !== 'orig') {
      // A frame whose plain hash is untrusted is skipped, as vPDQ does, even when a view is better.
      return;
    }
    const words = new Uint32Array(usable.length * HASH_WORDS);
    usable.forEach((v, k) => hexToWords(v.hash, words, k * HASH_WORDS));
    out.push({ t, views: usable.map((v) => v.view), words });
  };
  if (fp.kind === 'video') {
    for (const f of fp.frames) {
      add(f.t, [{ view: 'orig', hash: f.pdq, quality: f.quality }, ...(f.views ?? []).filter((v) => keep(v.view))]);
    }
  } else if (fp.frames && fp.frames.length > 1) {
    for (const f of fp.frames) add(f.t, [{ view: 'orig', hash: f.pdq, quality: f.quality }]);
  } else {
    add(0, [{ view: 'orig', hash: fp.pdq.hash, quality: fp.pdq.quality }, ...fp.views.filter((v) => keep(v.view))]);
  }
  return out;
}

/** Hamming distance with an early exit: returns limit + 1 as soon as the distance passes `limit`. */
function distanceUpTo(a: Uint32Array, ai: number, b: Uint32Array, bi: number, limit: number): number {
  let d = 0;
  for (let k = 0; k < HASH_WORDS; k++) {
    d += popcount32(a[ai + k] ^ b[bi + k]);
    if (d > limit) return limit + 1;
  }
  return d;
}

interface Candidate {
  tq: number;
  tr: number;
  d: number;
  view: string;
}

/**
 * For one query entry, every reference entry it matches: the best whole-picture pair when one is
 * within the limit, else the best pair of halves (a whole-picture match is the stronger evidence).
 */
function candidatesFor(q: Entry, refs: Entry[], limit: number): Candidate[] {
  const out: Candidate[] = [];
  const nq = q.views.length;
  for (const r of refs) {
    let whole = limit + 1;
    let wholeView = '';
    let half = limit + 1;
    let halfView = '';
    const nr = r.views.length;
    for (let i = 0; i < nq; i++) {
      const qRegion = region(q.views[i]);
      for (let j = 0; j < nr; j++) {
        if (region(r.views[j]) !== qRegion) continue;
        if (qRegion === 'whole') {
          const d = distanceUpTo(q.words, i * HASH_WORDS, r.words, j * HASH_WORDS, Math.min(limit, whole));
          if (d < whole) [whole, wholeView] = [d, viewName(q.views[i], r.views[j])];
        } else if (whole > limit) {
          const d = distanceUpTo(q.words, i * HASH_WORDS, r.words, j * HASH_WORDS, Math.min(limit, half));
          if (d < half) [half, halfView] = [d, q.views[i]];
        }
      }
    }
    if (whole <= limit) out.push({ tq: q.t, tr: r.t, d: whole, view: wholeView });
    else if (half <= limit) out.push({ tq: q.t, tr: r.t, d: half, view: halfView });
  }
  // A still shot matches every frame of a still reference: the closest few are enough to align on.
  if (out.length > MAX_CANDIDATES_PER_FRAME) return out.sort((a, b) => a.d - b.d || a.tr - b.tr).slice(0, MAX_CANDIDATES_PER_FRAME);
  return out;
}

const MAX_CANDIDATES_PER_FRAME = 32;

/** Views compare only with views of the same region: whole pictures with whole pictures, halves with the same half. */
function region(view: string): string {
  return view.startsWith('half:') ? view : 'whole';
}

/** The view label of a pair: the query's transform, or 'trim' when only the reference's trimmed view matched. */
function viewName(qv: string, rv: string): string {
  if (qv === 'orig') return rv;
  if (rv === 'orig' || qv.startsWith('trim')) return qv;
  return `${qv}/${rv}`;
}

/**
 * Matches `query` against `ref`. Either side may be a video; an image query against a video reference
 * looks for it among the video's frames, a video query against an image reference looks for the image
 * among the query's frames. Image against image is not this function's job (null).
 */
export function matchVideo(query: Fingerprint, ref: Fingerprint, policy: Partial<VideoMatchPolicy> = {}): VideoMatch | null {
  const p: VideoMatchPolicy = { ...DEFAULT_VIDEO_MATCH_POLICY, ...policy };
  const qIsVideo = query.kind === 'video' || (query.frames?.length ?? 0) > 1;
  const rIsVideo = ref.kind === 'video' || (ref.frames?.length ?? 0) > 1;
  if (!qIsVideo && !rIsVideo) return null;
  const qBag = frameBag(query, 'query', p);
  const rBag = frameBag(ref, 'reference', p);
  if (qBag.length === 0 || rBag.length === 0) return null;

  const perFrame: Candidate[][] = qBag.map((q) => candidatesFor(q, rBag, p.frameDistance));
  const matchedIdx = perFrame.map((c, i) => (c.length > 0 ? i : -1)).filter((i) => i >= 0);
  if (matchedIdx.length === 0) return null;
  const queryShare = matchedIdx.length / qBag.length;
  const ranges = alignRanges(perFrame, p);
  const method: VideoMatch['method'] = !qIsVideo ? MATCH_METHODS.imageInVideo : !rIsVideo ? MATCH_METHODS.videoContainsImage : MATCH_METHODS.vpdq;

  if (method === MATCH_METHODS.vpdq) {
    const longest = Math.max(0, ...ranges.map((r) => r.frames));
    const bagRule = queryShare >= p.minQueryShare && matchedIdx.length >= p.minMatchedFrames;
    const clipRule = longest >= p.minRangeFrames;
    // A query of fewer frames than the minimum (a 2-second upload) matches when all its frames do.
    const shortRule = qBag.length < p.minMatchedFrames && matchedIdx.length === qBag.length && ranges.length === 1;
    if (!bagRule && !clipRule && !shortRule) return null;
  }

  const best = matchedIdx.map((i) => perFrame[i].reduce((a, b) => (b.d < a.d ? b : a)));
  const views = new Map<string, number>();
  for (const c of best) views.set(c.view, (views.get(c.view) ?? 0) + 1);
  const view = [...views.entries()].sort((a, b) => b[1] - a[1] || (a[0] === 'orig' ? -1 : 1))[0][0];
  return {
    method,
    view,
    distance: median(best.map((c) => c.d)),
    queryShare: round3(queryShare),
    refShare: round3(referenceCoverage(ref, ranges, query)),
    matchedFrames: matchedIdx.length,
    ranges,
  };
}

/**
 * Groups matched frames by time offset: repeatedly takes the offset most query frames agree on (within
 * the tolerance), assigns those frames, and splits them into runs at gaps. A clip, a loop or a
 * compilation of several parts comes out as one range per part.
 */
export function alignRanges(perFrame: Candidate[][], p: VideoMatchPolicy): MatchRange[] {
  const remaining = new Set(perFrame.map((c, i) => (c.length > 0 ? i : -1)).filter((i) => i >= 0));
  const ranges: MatchRange[] = [];
  const tol = p.offsetToleranceSeconds;
  while (remaining.size > 0) {
    const votes = new Map<number, Set<number>>();
    for (const i of remaining) {
      for (const c of perFrame[i]) {
        const bucket = Math.round((c.tr - c.tq) / tol);
        for (const b of [bucket - 1, bucket, bucket + 1]) {
          let s = votes.get(b);
          if (!s) votes.set(b, (s = new Set()));
          s.add(i);
        }
      }
    }
    let bestBucket = 0;
    let bestCount = -1;
    for (const [b, s] of votes) if (s.size > bestCount || (s.size === bestCount && b < bestBucket)) [bestBucket, bestCount] = [b, s.size];
    const offset = bestBucket * tol;
    const chosen: Candidate[] = [];
    for (const i of votes.get(bestBucket) ?? []) {
      const c = perFrame[i]
        .filter((x) => Math.abs(x.tr - x.tq - offset) <= 1.5 * tol)
        .reduce<Candidate | undefined>((a, x) => (!a || x.d < a.d || (x.d === a.d && Math.abs(x.tr - x.tq - offset) < Math.abs(a.tr - a.tq - offset)) ? x : a), undefined);
      if (c) chosen.push(c);
      remaining.delete(i);
    }
    if (chosen.length === 0) break;
    chosen.sort((a, b) => a.tq - b.tq);
    let run: Candidate[] = [];
    const flush = () => {
      if (run.length === 0) return;
      ranges.push({
        query: [run[0].tq, run[run.length - 1].tq],
        reference: [Math.min(...run.map((c) => c.tr)), Math.max(...run.map((c) => c.tr))],
        frames: run.length,
      });
      run = [];
    };
    for (const c of chosen) {
      if (run.length > 0 && c.tq - run[run.length - 1].tq > p.maxGapSeconds) flush();
      run.push(c);
    }
    flush();
  }
  return ranges.sort((a, b) => b.frames - a.frames || a.query[0] - b.query[0]);
}

/** Share of the reference's duration under the matched ranges (each widened by the query's sampling step). */
function referenceCoverage(ref: Fingerprint, ranges: MatchRange[], query: Fingerprint): number {
  if (ref.kind !== 'video') return 1;
  if (ref.duration <= 0) return 0;
  const step = query.kind === 'video' ? (query.interval && query.interval > 0 ? query.interval : 1) : 0;
  const spans = ranges.map((r) => [r.reference[0], Math.min(ref.duration, r.reference[1] + step)] as const).sort((a, b) => a[0] - b[0]);
  let covered = 0;
  let end = -Infinity;
  for (const [s, e] of spans) {
    const from = Math.max(s, end);
    if (e > from) covered += e - from;
    end = Math.max(end, e);
  }
  return Math.min(1, covered / ref.duration);
}

/**
 * The reference implementation's rule (python-threatexchange vPDQ): unique plain hashes of quality
 * >= 50 on each side; q = share of the query's hashes with a reference hash within 31 bits, c = the
 * same the other way; a match when q >= 80%. Kept for comparison in the benchmark.
 */
export function vpdqReferenceRule(query: Fingerprint, ref: Fingerprint, distance = 31, minShare = 0.8): { match: boolean; queryShare: number; refShare: number } {
  const unique = (fp: Fingerprint) => {
    const list = fp.kind === 'video' ? fp.frames.map((f) => ({ h: f.pdq, q: f.quality })) : fp.frames?.length ? fp.frames.map((f) => ({ h: f.pdq, q: f.quality })) : [{ h: fp.pdq.hash, q: fp.pdq.quality }];
    return [...new Set(list.filter((x) => x.q >= 50).map((x) => x.h))].map((h) => hexToWords(h));
  };
  const a = unique(query);
  const b = unique(ref);
  const share = (xs: Uint32Array[], ys: Uint32Array[]) => (xs.length === 0 ? 0 : xs.filter((x) => ys.some((y) => distanceUpTo(x, 0, y, 0, distance) <= distance)).length / xs.length);
  const queryShare = share(a, b);
  return { match: queryShare >= minShare, queryShare: round3(queryShare), refShare: round3(share(b, a)) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.floor((s.length - 1) / 2)];
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
