/**
 * FeatureIndex: which registered pictures share enough descriptors with a query to be worth a
 * geometric verification. A candidate generator, not a decision: `decideFeatureMatch` decides.
 *
 * How: every registered descriptor is filed under TABLES keys, the top `keyBits` bits of four of its
 * words (two from each mirror half, so a mirrored query is looked up just as well). A query
 * descriptor votes for a registered picture when it shares a key with one of its descriptors and the
 * two are within VOTE_RADIUS bits (checked on the stored descriptor, so random key collisions do not
 * vote). One vote per query descriptor per picture; the query is looked up as given and mirrored.
 *
 * Two descriptors of one corner 25-35 bits apart share a given 16-bit key with probability ~0.1-0.2,
 * so with four tables ~40% of true pairs vote; a re-upload has dozens of true pairs, a distinct photo
 * a few chance ones. Buckets holding more than `maxBucketShare` of all entries (flat skies, text
 * strokes: keys every picture has) are skipped as stop words.
 *
 * Memory per descriptor: 32 B descriptor + 4 B picture slot + 4 x 4 B list links = 52 B, so 400
 * keypoints = 20.8 KB a registered picture, plus 4 x 2^keyBits x 8 B of bucket heads and counts.
 * Removes are tombstones; `compact()` (or an add once they pass a quarter) rebuilds the lists.
 */
import { popcount32 } from '../bits.ts';
import { mirrorFeatures } from './mirror.ts';
import { DESCRIPTOR_WORDS, type LocalFeatures } from './types.ts';

export const TABLES = 4;
/** Words the keys come from: 0 and 2 (first mirror half), 4 and 6 (second). */
const KEY_WORDS = [0, 2, 4, 6];
export const VOTE_RADIUS = 56;

export interface FeatureIndexOptions {
  /** Bits per key: 16 for banks up to ~100k pictures; 20-24 beyond (longer keys, shorter lists). */
  keyBits: number;
  /** Pictures with fewer votes are not returned. */
  minVotes: number;
  /** At most this many candidates, most votes first. */
  maxCandidates: number;
  /** Buckets longer than this share of the entries (and than 256) are skipped. */
  maxBucketShare: number;
}

export const DEFAULT_FEATURE_INDEX_OPTIONS: FeatureIndexOptions = Object.freeze({ keyBits: 16, minVotes: 5, maxCandidates: 32, maxBucketShare: 0.002 });

export interface FeatureCandidate {
  refId: string;
  votes: number;
  /** Of those, votes of the query's mirrored descriptors: tells the verifier which way round to try. */
  mirroredVotes: number;
}

export class FeatureIndex {
  private readonly opts: FeatureIndexOptions;
  private cap = 0;
  private size = 0;
  private desc = new Uint32Array(0);
  private slotRef = new Int32Array(0);
  private next: Int32Array[] = [];
  private readonly heads: Int32Array[] = [];
  private readonly counts: Int32Array[] = [];
  private readonly refs: Array<{ id: string; first: number; count: number; alive: boolean }> = [];
  private readonly byId = new Map<string, number>();
  private dead = 0;

  constructor(opts: Partial<FeatureIndexOptions> = {}) {
    this.opts = { ...DEFAULT_FEATURE_INDEX_OPTIONS, ...opts };
    if (this.opts.keyBits < 8 || this.opts.keyBits > 24) throw new Error(`FeatureIndex keyBits must be 8..24; got ${this.opts.keyBits}.`);
    for (let t = 0; t < TABLES; t++) {
      this.heads.push(new Int32Array(1 << this.opts.keyBits).fill(-1));
      this.counts.push(new Int32Array(1 << this.opts.keyBits));
    }
    this.grow(1024);
  }

  /** Registered pictures in the index. */
  get pictures(): number {
    return this.byId.size;
  }

  /** Bytes held per registered picture (descriptors, slots, links), bucket heads excluded. */
  bytesPerPicture(): number {
    return this.byId.size === 0 ? 0 : Math.round((this.size * (4 * DESCRIPTOR_WORDS + 4 + 4 * TABLES)) / this.byId.size);
  }

  add(refId: string, f: LocalFeatures): void {
    if (this.byId.has(refId)) this.remove(refId);
    if (this.size + f.count > this.cap) this.grow(Math.max(this.cap * 2, this.size + f.count));
    const r = this.refs.push({ id: refId, first: this.size, count: f.count, alive: true }) - 1;
    this.byId.set(refId, r);
    for (let i = 0; i < f.count; i++) this.link(this.size++, r, f.descriptors, i * DESCRIPTOR_WORDS);
  }

  remove(refId: string): boolean {
    const r = this.byId.get(refId);
    if (r === undefined) return false;
    this.byId.delete(refId);
    this.refs[r].alive = false;
    this.dead += this.refs[r].count;
    if (this.dead > this.size / 4 && this.dead > 4096) this.compact();
    return true;
  }

  /** Registered pictures sharing at least `minVotes` close descriptors with the query (direct or mirrored). */
  query(f: LocalFeatures): FeatureCandidate[] {
    const votes = new Int32Array(this.refs.length);
    const mirrored = new Int32Array(this.refs.length);
    // Which query descriptor last voted for each picture (one vote per descriptor per picture).
    const stamp = new Int32Array(this.refs.length).fill(-1);
    const maxBucket = Math.max(256, this.opts.maxBucketShare * (this.size - this.dead));
    const shift = 32 - this.opts.keyBits;
    let qn = 0;
    for (const [sideNo, side] of [f, mirrorFeatures(f)].entries()) {
      const d = side.descriptors;
      for (let i = 0; i < side.count; i++, qn++) {
        const o = i * DESCRIPTOR_WORDS;
        for (let t = 0; t < TABLES; t++) {
          const key = d[o + KEY_WORDS[t]] >>> shift;
          if (this.counts[t][key] > maxBucket) continue;
          for (let s = this.heads[t][key]; s >= 0; s = this.next[t][s]) {
            const r = this.slotRef[s];
            if (stamp[r] === qn || !this.refs[r].alive) continue;
            if (distance(d, o, this.desc, s * DESCRIPTOR_WORDS) > VOTE_RADIUS) continue;
            stamp[r] = qn;
            votes[r]++;
            if (sideNo === 1) mirrored[r]++;
          }
        }
      }
    }
    const out: FeatureCandidate[] = [];
    for (let r = 0; r < votes.length; r++) if (votes[r] >= this.opts.minVotes) out.push({ refId: this.refs[r].id, votes: votes[r], mirroredVotes: mirrored[r] });
    out.sort((a, b) => b.votes - a.votes || a.refId.localeCompare(b.refId));
    return out.slice(0, this.opts.maxCandidates);
  }

  /** Drops removed pictures' descriptors and rebuilds the lists. */
  compact(): void {
    const live = this.refs.filter((r) => r.alive);
    const oldDesc = this.desc;
    this.refs.length = 0;
    this.byId.clear();
    this.size = 0;
    this.dead = 0;
    for (let t = 0; t < TABLES; t++) { this.heads[t].fill(-1); this.counts[t].fill(0); }
    for (const old of live) {
      const r = this.refs.push({ id: old.id, first: this.size, count: old.count, alive: true }) - 1;
      this.byId.set(old.id, r);
      for (let i = 0; i < old.count; i++) this.link(this.size++, r, oldDesc, (old.first + i) * DESCRIPTOR_WORDS);
    }
  }

  private link(slot: number, r: number, src: Uint32Array, o: number): void {
    this.desc.set(src.subarray(o, o + DESCRIPTOR_WORDS), slot * DESCRIPTOR_WORDS);
    this.slotRef[slot] = r;
    const shift = 32 - this.opts.keyBits;
    for (let t = 0; t < TABLES; t++) {
      const key = src[o + KEY_WORDS[t]] >>> shift;
      this.next[t][slot] = this.heads[t][key];
      this.heads[t][key] = slot;
      this.counts[t][key]++;
    }
  }

  private grow(cap: number): void {
    const desc = new Uint32Array(cap * DESCRIPTOR_WORDS);
    desc.set(this.desc.subarray(0, this.size * DESCRIPTOR_WORDS));
    const slotRef = new Int32Array(cap);
    slotRef.set(this.slotRef.subarray(0, this.size));
    this.next = Array.from({ length: TABLES }, (_, t) => {
      const n = new Int32Array(cap);
      if (this.next[t]) n.set(this.next[t].subarray(0, this.size));
      return n;
    });
    this.desc = desc;
    this.slotRef = slotRef;
    this.cap = cap;
  }
}

function distance(a: Uint32Array, ao: number, b: Uint32Array, bo: number): number {
  let d = 0;
  for (let w = 0; w < DESCRIPTOR_WORDS; w++) d += popcount32(a[ao + w] ^ b[bo + w]);
  return d;
}
