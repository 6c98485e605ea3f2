/**
 * FeatureIndex: which registered pictures share enough descriptors with a query to be worth a
 * geometric verification. A candidate generator, not a decision: `decideFeatureMatch` decides.
 *
 * How: every registered descriptor is filed under TABLES keys of `keyBits` chosen bits each
 * (index-keys.ts: the bits that best separate true pairs from chance collisions). A query
 * descriptor votes for the registered picture of its NEAREST stored descriptor among its key
 * collisions, when that is within VOTE_RADIUS bits (checked on the stored descriptor). Voting for every
 * descriptor within the radius let each textured impostor collect hundreds of chance votes (as many
 * as the true picture: the index barely narrowed); the nearest one is the true corner far more often.
 * The query is looked up as given and mirrored.
 *
 * One corner in a photo and in a lightly edited copy shares a table's key (at 16 bits) about half the time
 * and at least one of the four ~74% of the time (fewer in heavier edits); a re-upload has dozens of
 * true pairs, a distinct photo a few chance ones. Buckets holding more than `maxBucketShare` of all entries (flat skies, text
 * strokes: keys every picture has) are skipped as stop words.
 *
 * Votes are then checked for geometric agreement before a picture becomes a candidate: the votes of a
 * true copy share one turn and one scale (the query keypoint's orientation minus the registered one's,
 * and the difference of pyramid levels), chance votes scatter over 16 x 11 bins. `votes` counts only
 * the largest agreeing group (a 2 x 2 window of angle and level bins), so impostors that share a few
 * textures rarely reach `minVotes` and the verifier (~10 ms a candidate) is spent on real candidates.
 *
 * The stop list (shared.ts): when a picture is added, its descriptors within SHARE_RADIUS of another
 * registered picture's, at one consistent placement and not all over either picture, are an overlay the
 * two share (a watermark, a logo, app chrome). Those keypoints of both are marked and no longer vote;
 * `sharedMask` gives them to the verifier, which leaves them out (match.ts `verifyFeatures`). A picture
 * removed takes its marks off its partners again. Its cost is a look-up of the new picture's 400
 * descriptors: profiled at 5,000 generated pictures, the bucket walk was 85% of an add's time and the
 * full comparisons of proposed pictures under 2%; with words 1 and 5 checked first (a lower bound of
 * the distance, so the same pairs pass) an add took 5.9 -> 4.8 ms of CPU at 10,000 pictures and
 * 9.1 -> 7.0 ms at 40,000 (bench:index --features, load ~6).
 *
 * Memory per keypoint: 32 B descriptor + 4 x 4 B list links + 8 B position + 2 B angle and level + 1 B
 * stop-list count = 59 B, so 400 keypoints = 23.6 KB a registered picture, plus its record (~0.1 KB),
 * plus, for a picture sharing an overlay, 2 B per keypoint it marked on each partner (~250 B each),
 * plus 4 x 2^keyBits x 8 B of bucket heads and counts for the bank. The index is the worker's one copy
 * of a registered picture's features: `features(refId)` hands out views over its arrays (the matcher's
 * verifier and the stop list read those), built on demand because growing and compacting reallocate
 * them. Which picture a keypoint belongs to is found by binary search over the pictures' first slots
 * (only for the few collisions that pass the distance check), not stored per keypoint.
 * Removes are tombstones (a flag in the stop-list byte); `compact()` (or an add once they pass a
 * quarter) rebuilds the lists.
 */
import { popcount32 } from '../bits.ts';
import { descriptorKey, KEY_BITS_MAX, KEY_TABLES } from './index-keys.ts';
import { mirrorFeatures } from './mirror.ts';
import { closePairs, MIN_SHARED, SHARE_RADIUS, sharedPlacement } from './shared.ts';
import { DESCRIPTOR_WORDS, type LocalFeatures } from './types.ts';

export const TABLES = KEY_TABLES;
export const VOTE_RADIUS = 56;
/** Collisions within this many bits of the nearest one vote too (0: the nearest only). */
const NEAREST_MARGIN = 0;
/** Skip a collision when words 1 and 5 alone differ in more than this (loses ~1% of votes within the radius). */
const VOTE_PRUNE = 28;
/** Stop list: a registered picture with this many keypoint collisions is compared in full, at most PROPOSE_MAX of them a new picture. */
const PROPOSE_HITS = MIN_SHARED / 2;
const PROPOSE_MAX = 32;
/** Partners a picture keeps on record (2 B a marked keypoint of the partner's: ~250 B each). */
const MAX_PARTNERS = 8;
const grown = (a: Int32Array) => { const b = new Int32Array(2 * a.length); b.set(a); return b; };
/** The stop-list byte: a removed picture's keypoint (skipped like a stopped one), and the count below it. */
const DEAD = 0x80;
const SHARED_MAX = 0x7f;
/** A registered picture's record, its id and its place in the Map: 97 B of heap measured (20,000 records, 7-digit ids, after full collections). */
const REF_BYTES = 100;
/** Per keypoint: descriptor, TABLES list links, x and y, angle, level, stop-list byte. */
const SLOT_BYTES = 4 * DESCRIPTOR_WORDS + 4 * TABLES + 8 + 3;

export interface FeatureIndexOptions {
  /** Bits per key to start with (8..24; index-keys.ts). */
  keyBits: number;
  /**
   * Longer keys as the bank grows: [live descriptors, bits] steps. Chance collisions walk a share of
   * the bank, so a lookup's cost grows with it; 4 more bits cut that share ~4-6x for ~10% fewer true
   * pairs sharing a key. Measured by `npm run bench:index -- --features` (10,041 pictures, 4M
   * descriptors): a partial-view query took 839 ms of look-ups at 16 bits, 97 ms at 20.
   */
  keyGrowth: ReadonlyArray<readonly [number, number]>;
  /** Pictures with fewer votes are not returned. */
  minVotes: number;
  /** At most this many candidates, most votes first. */
  maxCandidates: number;
  /** Buckets longer than this share of the entries (and than 256) are skipped. */
  maxBucketShare: number;
  /** Keep the stop list of keypoints two different registered pictures share (shared.ts). */
  stopShared: boolean;
}

/**
 * 14 bits up to 2^17 descriptors (~330 registered pictures), 16 up to ~1M (~2,600), 20 up to ~8M
 * (~21,000), 22 beyond. A short key keeps more true pairs (a small bank's look-ups are cheap anyway):
 * starting at 14 rather than 16 bits, bench:robustness --sample 6 went 96.4 -> 96.7% and
 * bench:features --sample 12 95.3 -> 95.7%, 0 false matches in both.
 */
export const KEY_GROWTH: ReadonlyArray<readonly [number, number]> = Object.freeze([Object.freeze([1 << 17, 16] as const), Object.freeze([1 << 20, 20] as const), Object.freeze([1 << 23, 22] as const)]);

export const DEFAULT_FEATURE_INDEX_OPTIONS: FeatureIndexOptions = Object.freeze({ keyBits: 14, keyGrowth: KEY_GROWTH, minVotes: 5, maxCandidates: 16, maxBucketShare: 0.002, stopShared: true });

export interface FeatureCandidate {
  refId: string;
  /** Geometrically agreeing votes: the direct side's largest group plus the mirrored side's. */
  votes: number;
  /** Of those, votes of the query's mirrored descriptors: tells the verifier which way round to try. */
  mirroredVotes: number;
  /** All votes before the agreement check (diagnostics). */
  rawVotes: number;
  /**
   * The voting pairs, [query keypoint, registered keypoint, ...], of the direct and the mirrored
   * side (mirrored: indices into mirrorFeatures(query), which keeps the order). The verifier runs a
   * cheap similarity check on them first and only verifies in full what they support.
   */
  pairs: Int32Array;
  mirroredPairs: Int32Array;
}

/** An overlay shared with another registered picture: how many keypoints of this one, and which of that one it marked. */
interface Partner {
  id: string;
  count: number;
  theirs: Uint16Array;
}

/** Orientation bins (1/16 turn) and level differences -LEVEL_SPAN..LEVEL_SPAN of the agreement check. */
const ANGLE_BINS = 16;
const LEVEL_SPAN = 7;
const LEVEL_BINS = 2 * LEVEL_SPAN + 1;
const BINS = ANGLE_BINS * LEVEL_BINS;

export class FeatureIndex {
  private opts: FeatureIndexOptions;
  private cap = 0;
  private size = 0;
  private desc = new Uint32Array(0);
  /** Positions (working-picture pixels), for the stop list's placements and the verifier. */
  private slotX = new Float32Array(0);
  private slotY = new Float32Array(0);
  /** Orientation (1/256 turn) and pyramid level of each stored keypoint, for the agreement check. */
  private slotAngle = new Uint8Array(0);
  private slotLevel = new Uint8Array(0);
  /** Stop list: how many other registered pictures share this keypoint at one placement (0: its own), or DEAD. */
  private slotShared = new Uint8Array(0);
  private next: Int32Array[] = [];
  private readonly heads: Int32Array[] = [];
  private readonly counts: Int32Array[] = [];
  /** In slot order (`refOf` searches them by `first`); removed ones stay until `compact()`. */
  private readonly refs: Array<{ id: string; first: number; count: number; alive: boolean; width: number; height: number; partners: Partner[] }> = [];
  private readonly byId = new Map<string, number>();
  private dead = 0;
  /** overlaysOf's scratch, by picture (zero and -1 between calls). */
  private hitCount = new Int32Array(0);
  private hitStamp = new Int32Array(0);

  constructor(opts: Partial<FeatureIndexOptions> = {}) {
    this.opts = { ...DEFAULT_FEATURE_INDEX_OPTIONS, ...opts };
    if (this.opts.keyBits < 8 || this.opts.keyBits > 24) throw new Error(`FeatureIndex keyBits must be 8..24; got ${this.opts.keyBits}.`);
    for (let t = 0; t < TABLES; t++) {
      this.heads.push(new Int32Array(1 << this.opts.keyBits).fill(-1));
      this.counts.push(new Int32Array(1 << this.opts.keyBits));
    }
    this.grow(1024);
  }

  /** Bits per key now (grows with the bank: FeatureIndexOptions.keyGrowth). */
  get keyBits(): number {
    return this.opts.keyBits;
  }

  /** Registered pictures in the index. */
  get pictures(): number {
    return this.byId.size;
  }

  /**
   * Bytes a registered picture costs (its keypoints' slots, record and partners; removed pictures'
   * slots until compacted), the bank's bucket heads and the arrays' room to grow excluded (`bytesHeld`).
   */
  bytesPerPicture(): number {
    let partners = 0;
    for (const r of this.refs) if (r.alive) for (const p of r.partners) partners += 2 * p.theirs.length + 32;
    return this.byId.size === 0 ? 0 : Math.round((this.size * SLOT_BYTES + partners) / this.byId.size + REF_BYTES);
  }

  /** Every byte the index holds: slot arrays at their capacity, bucket heads and counts, records, partners. */
  bytesHeld(): number {
    let partners = 0;
    for (const r of this.refs) for (const p of r.partners) partners += 2 * p.theirs.length + 32;
    const heads = this.heads.reduce((n, a) => n + a.byteLength, 0) + this.counts.reduce((n, a) => n + a.byteLength, 0);
    return this.cap * SLOT_BYTES + heads + partners + this.refs.length * REF_BYTES;
  }

  /**
   * The registered features of `refId`, as views over the index's arrays (no copy): valid until the
   * next add, remove or compact (they may reallocate), so take them per use and never keep them.
   */
  features(refId: string): LocalFeatures | null {
    const r = this.byId.get(refId);
    return r === undefined ? null : this.view(r);
  }

  private view(r: number): LocalFeatures {
    const { first, count, width, height } = this.refs[r];
    const end = first + count;
    return {
      width, height, count,
      x: this.slotX.subarray(first, end), y: this.slotY.subarray(first, end),
      level: this.slotLevel.subarray(first, end), angle: this.slotAngle.subarray(first, end),
      descriptors: this.desc.subarray(first * DESCRIPTOR_WORDS, end * DESCRIPTOR_WORDS),
    };
  }

  /** The picture a slot belongs to: the last ref whose first slot is at or before it. */
  private refOf(s: number): number {
    const refs = this.refs;
    let lo = 0, hi = refs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (refs[mid].first <= s) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  add(refId: string, f: LocalFeatures): void {
    if (this.byId.has(refId)) this.remove(refId);
    // A quarter more room at a time: doubling left up to half of the bank's slot arrays unused.
    if (this.size + f.count > this.cap) this.grow(Math.max(Math.ceil(this.cap * 1.25), this.size + f.count));
    // Shared with pictures already in (before the new one is linked, so it does not find itself).
    const overlays = this.opts.stopShared ? this.overlaysOf(f) : [];
    const r = this.refs.push({ id: refId, first: this.size, count: f.count, alive: true, width: f.width, height: f.height, partners: [] }) - 1;
    this.byId.set(refId, r);
    this.slotX.set(f.x.subarray(0, f.count), this.size);
    this.slotY.set(f.y.subarray(0, f.count), this.size);
    this.slotShared.fill(0, this.size, this.size + f.count);
    for (let i = 0; i < f.count; i++) this.link(this.size++, f.descriptors, i * DESCRIPTOR_WORDS, f.angle[i], f.level[i]);
    for (const o of overlays) {
      const other = this.refs[o.r];
      // A picture keeps MAX_PARTNERS on record (what a removal must undo): beyond, a watermark that
      // dozens of pictures carry is marked on it already, and the newcomer marks only itself (its marks
      // then outlive that partner's removal: a stop kept, never a false match let in).
      const room = other.partners.length < MAX_PARTNERS;
      if (room) {
        for (const j of o.theirs) this.slotShared[other.first + j] = Math.min(SHARED_MAX, this.slotShared[other.first + j] + 1);
        other.partners.push({ id: refId, count: o.theirs.length, theirs: Uint16Array.from(o.mine) });
      }
      for (const i of o.mine) this.slotShared[this.refs[r].first + i] = Math.min(SHARED_MAX, this.slotShared[this.refs[r].first + i] + 1);
      this.refs[r].partners.push({ id: other.id, count: o.mine.length, theirs: Uint16Array.from(room ? o.theirs : []) });
    }
    this.lengthenKeysIfDue();
  }

  /** Re-files every descriptor under longer keys once the bank passes a keyGrowth step (one pass, O(bank)). */
  private lengthenKeysIfDue(): void {
    const live = this.size - this.dead;
    let bits = this.opts.keyBits;
    for (const [at, b] of this.opts.keyGrowth) if (live > at && b > bits) bits = Math.min(b, KEY_BITS_MAX);
    if (bits === this.opts.keyBits) return;
    this.opts = { ...this.opts, keyBits: bits };
    for (let t = 0; t < TABLES; t++) {
      this.heads[t] = new Int32Array(1 << bits).fill(-1);
      this.counts[t] = new Int32Array(1 << bits);
    }
    this.compact();
  }

  /**
   * The registered keypoints of `refId` that another registered picture shares (non-zero: stop), or
   * null when none is (the verifier then takes the picture whole).
   */
  sharedMask(refId: string): Uint8Array | null {
    const r = this.byId.get(refId);
    if (r === undefined) return null;
    const { first, count } = this.refs[r];
    const m = this.slotShared.subarray(first, first + count);
    return m.some((v) => v > 0) ? m.slice() : null;
  }

  /** Registered pictures sharing an overlay with `refId`, with how many of its keypoints (diagnostics, tests). */
  sharedWith(refId: string): Array<{ refId: string; keypoints: number }> {
    const r = this.byId.get(refId);
    return r === undefined ? [] : this.refs[r].partners.map((p) => ({ refId: p.id, keypoints: p.count }));
  }

  /**
   * Placement-consistent shared keypoints of `f` with each alive registered picture (shared.ts). The
   * buckets propose the pictures (a key collision within SHARE_RADIUS: ~40% of an overlay's pairs
   * collide); the proposed ones are compared keypoint by keypoint, so the overlay is seen whole.
   */
  private overlaysOf(f: LocalFeatures): Array<{ r: number; mine: number[]; theirs: number[] }> {
    const maxBucket = Math.max(256, this.opts.maxBucketShare * (this.size - this.dead));
    const { counts, heads, next, desc, slotShared } = this;
    const keyBits = this.opts.keyBits;
    // Per picture: collisions within SHARE_RADIUS (one per new descriptor) and the last descriptor that
    // counted; `touched` keeps the order pictures were first hit in (the proposals' tie order).
    if (this.hitCount.length < this.refs.length) {
      this.hitCount = new Int32Array(Math.ceil(this.refs.length * 1.25) + 64);
      this.hitStamp = new Int32Array(this.hitCount.length).fill(-1);
    }
    const { hitCount, hitStamp } = this;
    const touched: number[] = [];
    const d = f.descriptors;
    for (let i = 0; i < f.count; i++) {
      const o = i * DESCRIPTOR_WORDS;
      for (let t = 0; t < TABLES; t++) {
        const key = descriptorKey(d, o, t, keyBits);
        if (counts[t][key] > maxBucket) continue;
        const nxt = next[t];
        for (let s = heads[t][key]; s >= 0; s = nxt[s]) {
          // Words 1 and 5 first: a chance collision already differs in more than SHARE_RADIUS bits there
          // most of the time (a lower bound of the distance, so nothing within the radius is lost).
          const p = s * DESCRIPTOR_WORDS;
          const h = words15(d, o, desc, p);
          if (h > SHARE_RADIUS) continue;
          const dist = h + otherWords(d, o, desc, p);
          if (dist > SHARE_RADIUS || (slotShared[s] & DEAD) !== 0) continue;
          const r = this.refOf(s);
          if (hitStamp[r] === i) continue;
          if (hitStamp[r] === -1) touched.push(r);
          hitStamp[r] = i;
          hitCount[r]++;
        }
      }
    }
    const hits: Array<[number, number]> = touched.map((r) => [r, hitCount[r]]);
    for (const r of touched) { hitCount[r] = 0; hitStamp[r] = -1; }
    const proposed = hits.filter(([, h]) => h >= PROPOSE_HITS).sort((x, y) => y[1] - x[1]).slice(0, PROPOSE_MAX);
    const out: Array<{ r: number; mine: number[]; theirs: number[] }> = [];
    for (const [r] of proposed) {
      const theirs = this.view(r);
      const placed = sharedPlacement(f, theirs, closePairs(f, theirs));
      if (placed) out.push({ r, mine: placed.a, theirs: placed.b });
    }
    return out;
  }

  remove(refId: string): boolean {
    const r = this.byId.get(refId);
    if (r === undefined) return false;
    this.byId.delete(refId);
    this.refs[r].alive = false;
    // Its overlays are no longer shared with it: take its marks off the partners.
    for (const p of this.refs[r].partners) {
      const o = this.byId.get(p.id);
      if (o === undefined) continue;
      const other = this.refs[o];
      for (const j of p.theirs) this.slotShared[other.first + j] = Math.max(0, this.slotShared[other.first + j] - 1);
      other.partners = other.partners.filter((x) => x.id !== refId);
    }
    this.refs[r].partners = [];
    const { first, count } = this.refs[r];
    this.slotShared.fill(DEAD, first, first + count);
    this.dead += count;
    if (this.dead > this.size / 4 && this.dead > 4096) this.compact();
    return true;
  }

  /** Registered pictures with at least `minVotes` close descriptors agreeing on one turn and scale (direct or mirrored). */
  query(f: LocalFeatures): FeatureCandidate[] {
    const nRefs = this.refs.length;
    const votes = new Int32Array(nRefs);
    // Which query descriptor last voted for each picture (one vote per descriptor per picture).
    const stamp = new Int32Array(nRefs).fill(-1);
    const maxBucket = Math.max(256, this.opts.maxBucketShare * (this.size - this.dead));
    const keyBits = this.opts.keyBits;
    // Every vote as (picture, side * BINS + bin), checked for agreement once the votes are in.
    let nv = 0;
    let vRef = new Int32Array(4096);
    let vBin = new Int32Array(4096);
    let vPair = new Int32Array(8192);
    const { counts, heads, next, desc, slotShared } = this;
    let hitSlot = new Int32Array(1024);
    let hitDist = new Int32Array(1024);
    let qn = 0;
    for (const [sideNo, side] of [f, mirrorFeatures(f)].entries()) {
      const d = side.descriptors;
      for (let i = 0; i < side.count; i++, qn++) {
        const o = i * DESCRIPTOR_WORDS;
        // The nearest stored descriptors among the key collisions: only they vote (every descriptor
        // within the radius would let each textured impostor collect hundreds of chance votes).
        let nh = 0;
        for (let t = 0; t < TABLES; t++) {
          const key = descriptorKey(d, o, t, keyBits);
          if (counts[t][key] > maxBucket) continue;
          const nxt = next[t];
          for (let s = heads[t][key]; s >= 0; s = nxt[s]) {
            // The stop list's keypoints (an overlay other pictures share), and a removed picture's (DEAD).
            if (slotShared[s] > 0) continue;
            // Words 1 and 5 first (a cheap prefilter): a collision by chance differs in ~30 of their
            // 64 bits, a descriptor within VOTE_RADIUS in ~14.
            const p = s * DESCRIPTOR_WORDS;
            const h = words15(d, o, desc, p);
            if (h > VOTE_PRUNE) continue;
            const dist = h + otherWords(d, o, desc, p);
            if (dist > VOTE_RADIUS) continue;
            if (nh === hitSlot.length) { hitSlot = grown(hitSlot); hitDist = grown(hitDist); }
            hitSlot[nh] = s;
            hitDist[nh++] = dist;
          }
        }
        if (nh === 0) continue;
        let best = VOTE_RADIUS + 1;
        for (let h = 0; h < nh; h++) if (hitDist[h] < best) best = hitDist[h];
        const limit = best + NEAREST_MARGIN;
        for (let h = 0; h < nh; h++) {
          if (hitDist[h] > limit) continue;
          const s = hitSlot[h];
          const r = this.refOf(s);
          if (stamp[r] === qn) continue;
          stamp[r] = qn;
          votes[r]++;
          if (nv === vRef.length) { vRef = grown(vRef); vBin = grown(vBin); }
          const turn = ((side.angle[i] - this.slotAngle[s]) & 255) >> 4;
          const lvl = Math.max(-LEVEL_SPAN, Math.min(LEVEL_SPAN, side.level[i] - this.slotLevel[s])) + LEVEL_SPAN;
          if (2 * nv + 1 >= vPair.length) vPair = grown(vPair);
          vPair[2 * nv] = i;
          vPair[2 * nv + 1] = s - this.refs[r].first;
          vRef[nv] = r;
          vBin[nv] = sideNo * BINS + lvl * ANGLE_BINS + turn;
          nv++;
        }
      }
    }
    // Agreement, only for pictures that have the votes at all.
    const slot = new Int32Array(nRefs).fill(-1);
    const live: number[] = [];
    for (let r = 0; r < nRefs; r++) if (votes[r] >= this.opts.minVotes) { slot[r] = live.length; live.push(r); }
    const hist = new Int32Array(live.length * 2 * BINS);
    for (let k = 0; k < nv; k++) {
      const l = slot[vRef[k]];
      if (l >= 0) hist[l * 2 * BINS + vBin[k]]++;
    }
    const found: Array<{ r: number; l: number; direct: number; mirrored: number }> = [];
    for (const [l, r] of live.entries()) {
      const direct = bestWindow(hist, l * 2 * BINS);
      const mirrored = bestWindow(hist, l * 2 * BINS + BINS);
      if (direct >= this.opts.minVotes || mirrored >= this.opts.minVotes) found.push({ r, l, direct, mirrored });
    }
    found.sort((a, b) => Math.max(b.direct, b.mirrored) - Math.max(a.direct, a.mirrored) || b.direct + b.mirrored - a.direct - a.mirrored || this.refs[a.r].id.localeCompare(this.refs[b.r].id));
    const chosen = found.slice(0, this.opts.maxCandidates);
    // The chosen pictures' voting pairs, per side.
    const count = new Int32Array(2 * chosen.length);
    const which = new Int32Array(nRefs).fill(-1);
    for (const [c, x] of chosen.entries()) which[x.r] = c;
    for (let k = 0; k < nv; k++) if (which[vRef[k]] >= 0) count[2 * which[vRef[k]] + (vBin[k] >= BINS ? 1 : 0)]++;
    const lists = Array.from(count, (n) => new Int32Array(2 * n));
    count.fill(0);
    for (let k = 0; k < nv; k++) {
      const c = which[vRef[k]];
      if (c < 0) continue;
      const li = 2 * c + (vBin[k] >= BINS ? 1 : 0);
      lists[li][2 * count[li]] = vPair[2 * k];
      lists[li][2 * count[li] + 1] = vPair[2 * k + 1];
      count[li]++;
    }
    return chosen.map((x, c) => ({ refId: this.refs[x.r].id, votes: x.direct + x.mirrored, mirroredVotes: x.mirrored, rawVotes: votes[x.r], pairs: lists[2 * c], mirroredPairs: lists[2 * c + 1] }));
  }

  /**
   * Gives back the slot arrays' room to grow (up to a quarter of them): for a bank loaded whole, after
   * the load. The next add grows them again. Views from `features` taken before are no longer valid.
   */
  trim(): void {
    if (this.cap > this.size) this.grow(this.size);
  }

  /** Drops removed pictures' descriptors and rebuilds the lists. */
  compact(): void {
    const live = this.refs.filter((r) => r.alive);
    const oldDesc = this.desc;
    const oldX = this.slotX;
    const oldY = this.slotY;
    const oldAngle = this.slotAngle;
    const oldLevel = this.slotLevel;
    const oldShared = this.slotShared;
    this.grow(this.cap, true);
    this.refs.length = 0;
    this.byId.clear();
    this.size = 0;
    this.dead = 0;
    for (let t = 0; t < TABLES; t++) { this.heads[t].fill(-1); this.counts[t].fill(0); }
    for (const old of live) {
      const r = this.refs.push({ ...old, first: this.size }) - 1;
      this.byId.set(old.id, r);
      this.slotShared.set(oldShared.subarray(old.first, old.first + old.count), this.size);
      this.slotX.set(oldX.subarray(old.first, old.first + old.count), this.size);
      this.slotY.set(oldY.subarray(old.first, old.first + old.count), this.size);
      for (let i = 0; i < old.count; i++) this.link(this.size++, oldDesc, (old.first + i) * DESCRIPTOR_WORDS, oldAngle[old.first + i], oldLevel[old.first + i]);
    }
  }

  private link(slot: number, src: Uint32Array, o: number, angle: number, level: number): void {
    this.desc.set(src.subarray(o, o + DESCRIPTOR_WORDS), slot * DESCRIPTOR_WORDS);
    this.slotAngle[slot] = angle;
    this.slotLevel[slot] = level;
    for (let t = 0; t < TABLES; t++) {
      const key = descriptorKey(src, o, t, this.opts.keyBits);
      this.next[t][slot] = this.heads[t][key];
      this.heads[t][key] = slot;
      this.counts[t][key]++;
    }
  }

  /** `fresh`: new arrays without copying (compact() re-links from the old ones). */
  private grow(cap: number, fresh = false): void {
    const keep = fresh ? 0 : this.size;
    // Each array is replaced as soon as it is copied, so the old one can be collected while the next
    // is made (V8 frees it at its next collection, not at once: over a trim of 5,000 pictures the
    // process's peak above the bank went 69 -> 61 MB).
    this.desc = resized(this.desc, cap * DESCRIPTOR_WORDS, keep * DESCRIPTOR_WORDS);
    this.slotX = resized(this.slotX, cap, keep);
    this.slotY = resized(this.slotY, cap, keep);
    this.slotAngle = resized(this.slotAngle, cap, keep);
    this.slotLevel = resized(this.slotLevel, cap, keep);
    this.slotShared = resized(this.slotShared, cap, keep);
    for (let t = 0; t < TABLES; t++) this.next[t] = resized(this.next[t] ?? new Int32Array(0), cap, keep);
    this.cap = cap;
  }
}

/** A new array of `n` elements holding `a`'s first `keep`. */
function resized<T extends Uint32Array | Int32Array | Float32Array | Uint8Array>(a: T, n: number, keep: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a.subarray(0, keep) as ArrayLike<number>);
  return b;
}

/**
 * Bits apart in words 1 and 5 of descriptors `d`[o..] and `e`[p..]: a lower bound of their distance,
 * checked before the rest (V8 inlines both into the loops; bench:index --features measured no change).
 */
function words15(d: Uint32Array, o: number, e: Uint32Array, p: number): number {
  return popcount32(d[o + 1] ^ e[p + 1]) + popcount32(d[o + 5] ^ e[p + 5]);
}

/** Bits apart in the other six words: with words15, the Hamming distance. */
function otherWords(d: Uint32Array, o: number, e: Uint32Array, p: number): number {
  return popcount32(d[o] ^ e[p]) + popcount32(d[o + 2] ^ e[p + 2]) + popcount32(d[o + 3] ^ e[p + 3])
    + popcount32(d[o + 4] ^ e[p + 4]) + popcount32(d[o + 6] ^ e[p + 6]) + popcount32(d[o + 7] ^ e[p + 7]);
}

/** The largest sum over a 2 x 2 window of neighbouring angle bins (wrapping) and level bins. */
function bestWindow(hist: Int32Array, o: number): number {
  let best = 0;
  for (let l = 0; l < LEVEL_BINS; l++) {
    for (let a = 0; a < ANGLE_BINS; a++) {
      const a1 = (a + 1) % ANGLE_BINS;
      let v = hist[o + l * ANGLE_BINS + a] + hist[o + l * ANGLE_BINS + a1];
      if (l + 1 < LEVEL_BINS) v += hist[o + (l + 1) * ANGLE_BINS + a] + hist[o + (l + 1) * ANGLE_BINS + a1];
      if (v > best) best = v;
    }
  }
  return best;
}
