/**
 * The matcher: reference fingerprints, and for each query fingerprint the references that staydown's
 * default policy would raise an alert for, best first. One implementation for every caller: the
 * `staydown match` bank (`ReferenceBank`, below) and the service's index fed from the database
 * (services/matching.ts).
 *
 * For a query: the same bytes (SHA-256, then MD5) match at once; otherwise candidates come from an
 * exact Hamming index over the references' hashes (so no match can be missed that the policy would
 * accept), and the policy for the kind of pair (image/image, video/video, image/video) decides and
 * explains: which method matched and how strongly. Each reference matches at most once, by the first of
 * those that finds it.
 */
import { DEFAULT_FEATURE_INDEX_OPTIONS, FeatureIndex, matchFeatures, type FeatureCandidate, type LocalFeatures } from '../features/index.ts';
import { ownFeatures } from '../features/shared.ts';
import { HashIndex } from '../index/index.ts';
import { referenceHashes, type ReferenceHash } from '../reference.ts';
import type { Fingerprint } from '../types.ts';
import { MATCH_METHODS, isExactMethod } from './methods.ts';
import { decideBeyondPdq, featuresOf, lowQualityProbes, toQueryRegion, WHOLE_QUERY, type FeaturePair, type QueryRegion } from './features-policy.ts';
import { dropExplained, inlierPlaces } from './explained.ts';
import { CANDIDATE_RADIUS, decideMatch, MIN_QUALITY, PDQ_RADIUS, probeHashes, type MatchDecision } from './policy.ts';
import type { KeyframeFeatures } from '../video/keyframes.ts';
import { keyframesOf, VideoFeatureIndex } from './video-features.ts';

export { MIN_QUALITY, type MatchDecision };

export interface AddOptions<Meta> {
  /** A key several references share, so they go together with `removeGroup` (the service: the case). */
  group?: string;
  /** The caller's own data about the reference, handed back with its matches and never looked at here. */
  meta?: Meta;
  /**
   * The reference's index hashes, when the caller keeps them (the service's `material_hashes` rows);
   * default `referenceHashes(fp)`, which is what those rows were made from. Hashes of quality below
   * MIN_QUALITY are left out either way.
   */
  hashes?: Iterable<ReferenceHash>;
  /** The reference's local features, when the caller keeps them apart from the fingerprint (the service's `material_features`); default the fingerprint's own `features`. */
  features?: LocalFeatures | null;
  /** A registered video's keyframe features, when the caller keeps them apart (the service's `material_keyframes`); default the fingerprint's own `keyframes`. */
  keyframes?: KeyframeFeatures[] | null;
}

export interface ReferenceMatch<Meta> {
  /** The caller's key for the reference (a bank line's file name, a material id). */
  ref: string;
  meta: Meta | undefined;
  decision: MatchDecision;
}

interface Entry<Meta> {
  ref: string;
  group: string | undefined;
  fp: Fingerprint;
  meta: Meta | undefined;
  /** Registered with local features: the feature index holds them (its `features(id)` views, the one copy in the worker). */
  features: boolean;
}

/**
 * The one order of results: matches on the bytes first, then the smallest distance, then the reference
 * key. Keys compare with a fixed collator rather than the process's locale, so `staydown match` lists
 * ties the same way on every machine (en-US: the order it has always printed here); the code-unit
 * comparison only separates keys the collator calls equal.
 */
const KEYS = new Intl.Collator('en-US');
export function bestFirst(a: { ref: string; decision: MatchDecision }, b: { ref: string; decision: MatchDecision }): number {
  const exact = Number(!isExactMethod(a.decision.method)) - Number(!isExactMethod(b.decision.method));
  return exact || a.decision.distance - b.decision.distance || KEYS.compare(a.ref, b.ref) || (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0);
}

export class ReferenceMatcher<Meta = undefined> {
  private readonly entries = new Map<number, Entry<Meta>>();
  private readonly byRef = new Map<string, Set<number>>();
  private readonly byGroup = new Map<string, Set<number>>();
  private readonly bySha = new Map<string, Set<number>>();
  private readonly byMd5 = new Map<string, Set<number>>();
  private readonly index = new HashIndex();
  /** Every image reference's plain PDQ whatever its quality: candidates for the low-quality rule. */
  private readonly plainIndex = new HashIndex();
  /** Local features of the image references that have them: candidates by descriptor votes. */
  private readonly featureIndex = new FeatureIndex();
  /** Keyframe features of the video references that have them (video-features.ts). */
  private readonly videoFeatures = new VideoFeatureIndex();
  private nextId = 0;

  /** References held. */
  get size(): number {
    return this.entries.size;
  }

  /** References with local features, pictures or video keyframes (a query's own features are worth computing only then). */
  get withFeatures(): number {
    return this.featureIndex.pictures + this.videoFeatures.videos;
  }

  /**
   * Gives back the local-feature indexes' room to grow (a quarter at most of their slot arrays): call it
   * once a whole bank is loaded. Adds after it work as before.
   */
  trim(): void {
    this.featureIndex.trim();
    this.videoFeatures.trim();
  }

  /** Hashes in the index (all references' views and frames). */
  get indexEntries(): number {
    return this.index.size;
  }

  has(ref: string): boolean {
    return this.byRef.has(ref);
  }

  /**
   * Adds a reference under the caller's key. A key may be given to several fingerprints (a bank can
   * list one file name twice): each matches on its own, and `removeByRef` removes them all. To replace
   * a reference, remove it first.
   */
  add(ref: string, fp: Fingerprint, opts: AddOptions<Meta> = {}): void {
    const id = this.nextId++;
    const features = opts.features ?? featuresOf(fp);
    const keyframes = opts.keyframes ?? keyframesOf(fp);
    this.entries.set(id, { ref, group: opts.group, fp: withoutFeatureText(fp, features !== null, keyframes !== null), meta: opts.meta, features: features !== null });
    if (features) this.featureIndex.add(String(id), features);
    this.videoFeatures.add(id, keyframes);
    if (fp.kind === 'image') this.plainIndex.add({ hash: fp.pdq.hash, materialId: id, view: 'orig' });
    addTo(this.byRef, ref, id);
    if (opts.group !== undefined) addTo(this.byGroup, opts.group, id);
    addTo(this.bySha, fp.sha256, id);
    addTo(this.byMd5, fp.md5, id);
    for (const h of opts.hashes ?? referenceHashes(fp)) {
      if (!(h.quality >= MIN_QUALITY)) continue;
      this.index.add({ hash: h.hash, materialId: id, view: h.view, ...(h.t != null ? { frameTime: h.t } : {}) });
    }
  }

  /** Removes every reference added under `ref`; returns how many. */
  removeByRef(ref: string): number {
    return this.remove(this.byRef.get(ref));
  }

  /** Removes every reference added with `group` (the service withdrawing a case); returns how many. */
  removeGroup(group: string): number {
    return this.remove(this.byGroup.get(group));
  }

  /** Every reference the default policy alerts on for this query, best first (see `bestFirst`). */
  match(query: Fingerprint): Array<ReferenceMatch<Meta>> {
    const found = new Map<number, MatchDecision>();
    for (const id of this.bySha.get(query.sha256) ?? []) found.set(id, { method: MATCH_METHODS.exactSha256, distance: 0 });
    for (const id of this.byMd5.get(query.md5) ?? []) if (!found.has(id)) found.set(id, { method: MATCH_METHODS.exactMd5, distance: 0 });
    // Candidates: the PDQ index's, the low-quality rule's (plain PDQ within 31 whatever the quality)
    // and the local features' votes. Each pair is decided by the PDQ policy first, then by the rules
    // beyond PDQ (features-policy.ts).
    const queryFeatures = featuresOf(query);
    const votes = new Map<number, FeatureCandidate>();
    if (queryFeatures && this.featureIndex.pictures > 0) for (const c of this.featureIndex.query(queryFeatures)) votes.set(Number(c.refId), c);
    for (const id of new Set([...this.candidates(query), ...this.plainCandidates(query), ...votes.keys()])) {
      if (found.has(id)) continue;
      const e = this.entries.get(id);
      if (!e) continue;
      const d = decideMatch(query, e.fp);
      if (d) {
        const region = regionOfView(query, String(d.queryView));
        found.set(id, region ? { ...d, region } : d);
        continue;
      }
      // The index's voting pairs go along as the hint: the verifier's gate rejects an impostor on them in
      // ~0.1 ms instead of a full verification (5-50 ms).
      const v = votes.get(id);
      const refFeatures = e.features ? this.featureIndex.features(String(id)) : null;
      const pair: FeaturePair | undefined = queryFeatures && refFeatures
        ? { query: queryFeatures, ref: refFeatures, shared: this.featureIndex.sharedMask(String(id)), ...(v ? { hint: { votes: v.votes, mirroredVotes: v.mirroredVotes, minVotes: DEFAULT_FEATURE_INDEX_OPTIONS.minVotes, pairs: v.pairs, mirroredPairs: v.mirroredPairs } } : {}) }
        : undefined;
      const beyond = decideBeyondPdq(query, e.fp, pair);
      if (beyond) found.set(id, beyond);
    }
    // A picture found by local features only where another one explains that part of the query twice as
    // well is a shared overlay, not a sighting (explained.ts).
    if (queryFeatures) {
      dropExplained(found, (id) => {
        const f = this.featureIndex.features(String(id));
        const m = f ? matchFeatures(queryFeatures, f) : null;
        return m ? { inliers: m.inliers, region: toQueryRegion(m.queryRegion), points: inlierPlaces(queryFeatures, m) } : null;
      });
    }
    this.matchVideoFeatures(query, found);
    // A still image against registered videos' keyframes (a screenshot of a registered video).
    if (queryFeatures && this.videoFeatures.videos > 0) {
      for (const [id, d] of this.videoFeatures.matchImage(queryFeatures, (id) => found.has(id) || !this.entries.has(id))) found.set(id, d);
    }
    const out: Array<ReferenceMatch<Meta>> = [];
    for (const [id, decision] of found) {
      const e = this.entries.get(id)!;
      out.push({ ref: e.ref, meta: e.meta, decision });
    }
    return out.sort(bestFirst);
  }

  /** A video query's keyframes against registered pictures and registered videos' keyframes (video-features.ts). */
  private matchVideoFeatures(query: Fingerprint, found: Map<number, MatchDecision>): void {
    const keyframes = keyframesOf(query);
    if (!keyframes || this.withFeatures === 0) return;
    // A picture's own keypoints only: the stop list's shared overlays find no picture in a video either.
    const own = (id: number) => {
      const f = this.featureIndex.features(String(id));
      return f ? ownFeatures(f, this.featureIndex.sharedMask(String(id))).features : null;
    };
    const pictures = { index: this.featureIndex, features: own };
    for (const [id, d] of this.videoFeatures.match(keyframes, pictures, (id) => found.has(id) || !this.entries.has(id))) found.set(id, d);
  }

  private candidates(query: Fingerprint): Set<number> {
    const out = new Set<number>();
    for (const p of probeHashes(query)) for (const hit of this.index.query(p.hash, CANDIDATE_RADIUS)) out.add(hit.materialId);
    return out;
  }

  private plainCandidates(query: Fingerprint): Set<number> {
    const out = new Set<number>();
    for (const h of lowQualityProbes(query)) for (const hit of this.plainIndex.query(h, PDQ_RADIUS)) out.add(hit.materialId);
    return out;
  }

  private remove(ids: Set<number> | undefined): number {
    if (!ids || ids.size === 0) return 0;
    const gone = [...ids];
    // One pass over the index however many references go (a withdrawn case can hold thousands).
    this.index.removeMaterials(gone);
    this.plainIndex.removeMaterials(gone);
    for (const id of gone) {
      const e = this.entries.get(id)!;
      if (e.features) this.featureIndex.remove(String(id));
      this.videoFeatures.remove(id);
      this.entries.delete(id);
      removeFrom(this.byRef, e.ref, id);
      if (e.group !== undefined) removeFrom(this.byGroup, e.group, id);
      removeFrom(this.bySha, e.fp.sha256, id);
      removeFrom(this.byMd5, e.fp.md5, id);
    }
    return gone.length;
  }
}

/**
 * The fingerprint without the features text the indexes hold decoded (a bank line carries it: ~20 KB
 * of base64 a picture, more a video); nothing reads it from the entry after `add`.
 */
function withoutFeatureText(fp: Fingerprint, features: boolean, keyframes: boolean): Fingerprint {
  if (fp.kind === 'image' && features && fp.features !== undefined) {
    const { features: _text, ...rest } = fp;
    return rest;
  }
  if (fp.kind === 'video' && keyframes && fp.keyframes !== undefined) {
    const { keyframes: _list, ...rest } = fp;
    return rest;
  }
  return fp;
}

/** Query views that show the whole query: a match through them found the registered picture in all of it. */
const WHOLE_VIEWS = new Set(['orig', 'box', 'blockhash', 'rot90', 'rot180', 'rot270', 'flipx', 'flipy', 'flipp', 'flipm']);

/**
 * Where a PDQ match found the registered picture in the query: all of it for a whole-picture view, the
 * view's own rectangle for a part of it (borders trimmed, a screenshot's picture, a re-crop), else none.
 */
function regionOfView(query: Fingerprint, view: string): QueryRegion | undefined {
  if (WHOLE_VIEWS.has(view)) return { ...WHOLE_QUERY };
  if (query.kind !== 'image') return undefined;
  const r = query.views.find((v) => v.view === view)?.region;
  return r ? { ...r } : undefined;
}

export interface BankEntry {
  /** The caller's name for the reference (the bank line's `file`, or a material id). */
  ref: string;
  fp: Fingerprint;
}

/** A match as `staydown match --json` prints it: the reference's name, then the policy's decision. */
export interface Match extends MatchDecision {
  ref: string;
}

/** A bank of named references (a bank file's lines): the matcher without groups or metadata. */
export class ReferenceBank {
  private readonly matcher = new ReferenceMatcher();

  constructor(entries: Iterable<BankEntry> = []) {
    for (const e of entries) this.add(e);
  }

  get size(): number {
    return this.matcher.size;
  }

  /** Whether some reference carries local features. */
  get hasFeatures(): boolean {
    return this.matcher.withFeatures > 0;
  }

  add(entry: BankEntry): void {
    this.matcher.add(entry.ref, entry.fp);
  }

  /** Every reference the default policy alerts on for this query, best first. */
  match(query: Fingerprint): Match[] {
    return this.matcher.match(query).map((m) => ({ ref: m.ref, ...m.decision }));
  }
}

function addTo(map: Map<string, Set<number>>, key: string, id: number): void {
  const set = map.get(key);
  if (set) set.add(id);
  else map.set(key, new Set([id]));
}

function removeFrom(map: Map<string, Set<number>>, key: string, id: number): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(id);
  if (set.size === 0) map.delete(key);
}
