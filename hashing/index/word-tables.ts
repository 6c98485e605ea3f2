/**
 * The search tables of multi-index hashing, one per 32-bit word of the hash.
 *
 * Why 8 tables of 32 bits rather than the 16 tables of 16 bits PDQ's own study used: each table costs
 * memory per entry, and 16 posting lists of 4-byte ids are 64 B per entry before the hash itself. Eight
 * tables keep it at 6 B each (a 3-byte slot number, the low 16 bits of the word, 1 B of filter) = 48 B.
 * Wider keys also cut candidates: at r = 31 a table is probed within 3 bits of 32, and a random entry
 * passes that filter with probability ~1.3e-6 per table (vs ~2.6e-4 for 16-bit keys within 1 bit), so
 * only ~100 of 10M entries ever have their full hash read.
 *
 * Layout of table t (word t of every hash): entries are grouped by the word's high 16 bits, which
 * `offsets` (65,537 uint32) indexes, and `lo` keeps the low 16 bits next to the slot number, so
 * filtering on all 32 bits reads only this table's own sequential memory. A probe within radius R
 * enumerates every high half within R bits of the query's (697 buckets for R = 3) and, inside each
 * bucket, keeps entries whose low half is within the remaining bits. Most buckets (560 of 697) are at
 * the full radius and want the exact word; a small Bloom filter blocked by low half answers most of
 * those without touching the big arrays (see `present`).
 *
 * Exactness (generalised pigeonhole, Qin et al.): if per-table radii R_t sum to r - 8 + 1 and a hash is
 * within r, then some table t has the hash's word within R_t of the query's; otherwise the distance would
 * be at least sum(R_t + 1) = r + 1. So probing every table finds every hit, and a hit found in table t is
 * reported only when no earlier table would have found it, which removes duplicates without a visited set.
 */
import { HASH_WORDS } from '../bits.ts';
import type { EntryStore } from './entry-store.ts';

export const TABLES = HASH_WORDS;
const BUCKETS = 1 << 16;
/** Above this per-table radius (r >= 40) probing costs more than scanning, so queries scan instead. */
export const MAX_TABLE_RADIUS = 4;
/**
 * Bits per entry of each table's presence filter. Most probes (560 of 697 per table at r = 31) want one
 * exact word; without the filter each is a cache miss into the table's big arrays. With 8 bits per entry
 * (1 B/entry/table) and two bits per word the filter says "maybe" for ~5% of absent words.
 */
const PRESENCE_BITS = 8;
/** 3-byte slot numbers address 2^24 slots; beyond that the tables switch to 4-byte ones. */
const THREE_BYTE_LIMIT = 1 << 24;

/** Popcount of every 16-bit value, for the low-half filter. */
const POP16 = new Uint8Array(BUCKETS);
for (let i = 1; i < BUCKETS; i++) POP16[i] = (i & 1) + POP16[i >>> 1];

/** MASKS[d] = every 16-bit value with exactly d bits set, for enumerating buckets near the query. */
const MASKS: Uint16Array[] = [];
for (let d = 0; d <= MAX_TABLE_RADIUS; d++) {
  const list: number[] = [];
  for (let v = 0; v < BUCKETS; v++) if (POP16[v] === d) list.push(v);
  MASKS.push(Uint16Array.from(list));
}

/**
 * Per-table radii for a query radius r: they sum to r - 7 and differ by at most one; -1 means the table
 * need not be probed at all (only for r < 7).
 */
export function tableRadii(r: number): Int8Array {
  const radii = new Int8Array(TABLES);
  const base = Math.floor((r + 1) / TABLES) - 1;
  const extra = (r + 1) % TABLES;
  for (let t = 0; t < TABLES; t++) radii[t] = base + (t < extra ? 1 : 0);
  return radii;
}

export type CandidateSink = (slot: number, table: number) => void;

export class WordTables {
  /** Slots [0, built) are in the tables; later slots are not (the caller scans them). */
  built = 0;
  private offsets: Uint32Array[] = [];
  private lo: Uint16Array[] = [];
  private ids3: Uint8Array[] = [];
  private ids4: Uint32Array[] = [];
  /**
   * Per table, a Bloom filter of the words present, cut into one block per low half: the block of low half
   * L holds the high halves of the words ending in L. A query's exact-word probes all share its low half,
   * so they all land in one block of a few cache lines instead of all over memory.
   */
  private present: Uint32Array[] = [];
  /** 32-bit words per filter block. */
  private blockWords = 0;

  /** Sorts every slot of `store` into the tables (a counting sort by high half per table). */
  rebuild(store: EntryStore): void {
    const n = store.count;
    const hashes = store.hashes;
    const wide = n > THREE_BYTE_LIMIT;
    // Drop the old tables first so their memory can be reused while the new ones are built.
    this.offsets = [];
    this.lo = [];
    this.ids3 = [];
    this.ids4 = [];
    this.present = [];
    this.built = 0;
    // Rounded down, so a filter never takes more than PRESENCE_BITS per entry once past ~260k entries.
    const blockWords = Math.max(1, Math.floor((n * PRESENCE_BITS) / BUCKETS / 32));
    const blockBits = blockWords * 32;
    const keys = new Uint32Array(n);
    const pos = new Uint32Array(BUCKETS + 1);
    for (let t = 0; t < TABLES; t++) {
      for (let i = 0, h = t; i < n; i++, h += HASH_WORDS) keys[i] = hashes[h];
      // One counting-sort pass by the high half. Within a bucket entries stay in slot order: the filter
      // below spares most exact-word visits, so sorting buckets by low half (a second pass) is not worth it.
      const offsets = new Uint32Array(BUCKETS + 1);
      for (let i = 0; i < n; i++) offsets[(keys[i] >>> 16) + 1]++;
      for (let b = 1; b <= BUCKETS; b++) offsets[b] += offsets[b - 1];
      pos.set(offsets);
      const lo = new Uint16Array(n);
      if (wide) {
        const ids = new Uint32Array(n);
        for (let i = 0; i < n; i++) {
          const key = keys[i];
          const p = pos[key >>> 16]++;
          lo[p] = key & 0xffff;
          ids[p] = i;
        }
        this.ids4.push(ids);
      } else {
        const ids = new Uint8Array(n * 3);
        for (let i = 0; i < n; i++) {
          const key = keys[i];
          const p = pos[key >>> 16]++;
          lo[p] = key & 0xffff;
          const q = p * 3;
          ids[q] = i & 0xff;
          ids[q + 1] = (i >>> 8) & 0xff;
          ids[q + 2] = i >>> 16;
        }
        this.ids3.push(ids);
      }
      const present = new Uint32Array(BUCKETS * blockWords);
      for (let i = 0; i < n; i++) {
        const k = keys[i];
        const base = (k & 0xffff) * blockWords;
        const h = mixHigh(k >>> 16);
        const b1 = ((h & 0xffff) * blockBits) >>> 16;
        const b2 = ((h >>> 16) * blockBits) >>> 16;
        present[base + (b1 >>> 5)] |= 1 << (b1 & 31);
        present[base + (b2 >>> 5)] |= 1 << (b2 & 31);
      }
      this.present.push(present);
      this.offsets.push(offsets);
      this.lo.push(lo);
    }
    this.blockWords = blockWords;
    this.built = n;
  }

  /** Forgets the tables (e.g. when the index becomes small enough to scan). */
  clear(): void {
    this.present = [];
    this.blockWords = 0;
    this.offsets = [];
    this.lo = [];
    this.ids3 = [];
    this.ids4 = [];
    this.built = 0;
  }

  /**
   * Calls `sink(slot, t)` for every slot in table t whose word t is within `radius` bits of `word`.
   */
  probe(t: number, word: number, radius: number, sink: CandidateSink): void {
    if (this.built === 0 || radius < 0) return;
    const offsets = this.offsets[t];
    const lo = this.lo[t];
    const ids3 = this.ids3[t];
    const ids4 = this.ids4[t];
    const present = this.present[t];
    const blockWords = this.blockWords;
    const blockBits = blockWords * 32;
    const qhi = word >>> 16;
    const qlo = word & 0xffff;
    const block = qlo * blockWords;
    for (let d = 0; d <= radius && d <= 16; d++) {
      const rem = radius - d;
      const masks = MASKS[d];
      for (let m = 0; m < masks.length; m++) {
        const bucket = qhi ^ masks[m];
        if (rem === 0) {
          // Exact word wanted: ask the small filter first, which spares most visits to the big arrays.
          const h = mixHigh(bucket);
          const b1 = ((h & 0xffff) * blockBits) >>> 16;
          if ((present[block + (b1 >>> 5)] & (1 << (b1 & 31))) === 0) continue;
          const b2 = ((h >>> 16) * blockBits) >>> 16;
          if ((present[block + (b2 >>> 5)] & (1 << (b2 & 31))) === 0) continue;
        }
        const s = offsets[bucket];
        const e = offsets[bucket + 1];
        if (rem === 0) {
          for (let j = s; j < e; j++) if (lo[j] === qlo) sink(ids3 ? readId3(ids3, j) : ids4[j], t);
        } else {
          for (let j = s; j < e; j++) {
            if (withinBits(lo[j] ^ qlo, rem)) sink(ids3 ? readId3(ids3, j) : ids4[j], t);
          }
        }
      }
    }
  }

  memoryBytes(): number {
    let bytes = 0;
    for (const a of this.offsets) bytes += a.byteLength;
    for (const a of this.lo) bytes += a.byteLength;
    for (const a of this.ids3) bytes += a.byteLength;
    for (const a of this.ids4) bytes += a.byteLength;
    for (const a of this.present) bytes += a.byteLength;
    return bytes;
  }
}

/** A 32-bit mix of a 16-bit high half; its two 16-bit halves pick the filter's two bits. */
function mixHigh(hi: number): number {
  let h = Math.imul(hi ^ 0x9e37, 0x45d9f3b);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * True when x has at most k bits set: clears the lowest set bit k times. For the small k used here this is
 * cheaper than a popcount (no table read, and it stops early).
 */
function withinBits(x: number, k: number): boolean {
  while (k-- > 0 && x !== 0) x &= x - 1;
  return x === 0;
}

function readId3(ids: Uint8Array, j: number): number {
  const q = j * 3;
  return ids[q] | (ids[q + 1] << 8) | (ids[q + 2] << 16);
}
