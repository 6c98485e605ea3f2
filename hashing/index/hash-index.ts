/**
 * HashIndex: exact Hamming range search over 256-bit hashes (see index.ts for the concept and usage).
 *
 * Entries live in column arrays (entry-store.ts); slots [0, built) are also sorted into eight word tables
 * (word-tables.ts). Adds go to the end of the store and are scanned linearly until the next rebuild;
 * removes write tombstones that queries skip. A rebuild (compact + radix sort, ~1-2 s at 10M entries) runs
 * lazily on the next query once the unsorted tail or the tombstones grow past a fraction of the index,
 * so a query never scans more than ~1/32 of the entries linearly.
 */
import { HASH_WORDS, hexToWords, popcount32 } from '../bits.ts';
import { EntryStore, MAX_BANK, MAX_FRAME_SECONDS, NO_FRAME, REMOVED } from './entry-store.ts';
import { ViewTable } from './view-codes.ts';
import { MAX_TABLE_RADIUS, TABLES, WordTables, tableRadii } from './word-tables.ts';

/** The distance PDQ matching uses (HMA, StopNCII): at most 31 of 256 bits differ. */
export const DEFAULT_RADIUS = 31;
export const MAX_RADIUS = 63;

/** Below this many entries the index does not build tables: a scan of them is as fast. */
const SCAN_ONLY_BELOW = 4096;
/** The unsorted tail may grow to built / 32 (at least SCAN_ONLY_BELOW) before a rebuild. */
const TAIL_SHARE = 32;
/** Tombstones among sorted slots may reach built / 8 before a rebuild compacts them away. */
const TOMBSTONE_SHARE = 8;

/** One entry to index. */
export interface IndexEntry {
  /** 64 hex digits, or 8 words as `hexToWords` gives them. */
  hash: string | Uint32Array;
  /** The material (victim's image or video) the hash belongs to: an integer 0..2^32-1. */
  materialId: number;
  /** Bank id 0..254 (BankSet gives names to them). Default 0. */
  bank?: number;
  /** Which view of the material was hashed ('orig', 'rot90', 'trim', 'crop:...'). Default 'orig'. */
  view?: string;
  /** For a video frame: seconds from the start (kept to the millisecond). */
  frameTime?: number;
}

/** One entry within the query's radius. */
export interface Hit {
  materialId: number;
  bank: number;
  view: string;
  /** Seconds, for video frames only. */
  frameTime?: number;
  distance: number;
}

/**
 * The radius to search: one number for every bank, or per bank id (index = bank id; a negative value or
 * a missing bank leaves that bank out of the query).
 */
export type QueryRadius = number | ArrayLike<number>;

export class HashIndex {
  readonly views = new ViewTable();
  private readonly store = new EntryStore();
  private readonly tables = new WordTables();
  /** Tombstones written among the sorted slots since the last rebuild. */
  private sortedTombstones = 0;
  private readonly scratch = new Uint32Array(HASH_WORDS);

  constructor() {
    // Until the first sort the index is being bulk loaded: grow in big steps (see entry-store.ts).
    this.store.growth = 2;
  }

  /** Live entries. */
  get size(): number {
    return this.store.live;
  }

  /** Adds one entry; it is searchable at once (no rebuild needed). */
  add(entry: IndexEntry): void {
    const words = toWords(entry.hash, this.scratch);
    const materialId = entry.materialId;
    if (!Number.isInteger(materialId) || materialId < 0 || materialId > 0xffffffff) {
      throw new Error(`An index entry's materialId must be an integer from 0 to 4294967295; got ${String(materialId)}.`);
    }
    const bank = entry.bank ?? 0;
    checkBank(bank);
    const view = this.views.code(entry.view ?? 'orig');
    let frameMs = NO_FRAME;
    if (entry.frameTime !== undefined) {
      const t = entry.frameTime;
      if (typeof t !== 'number' || !Number.isFinite(t) || t < 0 || t > MAX_FRAME_SECONDS) {
        throw new Error(`An index entry's frameTime must be a number of seconds from 0 to ${Math.floor(MAX_FRAME_SECONDS)}; got ${String(t)}.`);
      }
      frameMs = Math.round(t * 1000);
    }
    this.store.push(words, 0, materialId, bank, view, frameMs);
  }

  /**
   * Removes every entry of a material (all its views and frames, in every bank); returns how many. It scans
   * the material column (~10-20 ms at 10M entries): use `removeMaterials` for many at once.
   */
  removeMaterial(materialId: number): number {
    const materials = this.store.materials;
    return this.removeWhere((s) => materials[s] === materialId);
  }

  /** Removes every entry of the given materials; one pass however many ids. */
  removeMaterials(materialIds: Iterable<number>): number {
    const ids = new Set(materialIds);
    const materials = this.store.materials;
    return this.removeWhere((s) => ids.has(materials[s]));
  }

  /** Removes every entry of a bank; returns how many. */
  removeBank(bank: number): number {
    checkBank(bank);
    const banks = this.store.banks;
    return this.removeWhere((s) => banks[s] === bank);
  }

  /**
   * Every live entry within the radius of `hash`, closest first. Exact: the same entries a linear scan
   * finds. r <= 39 uses the tables; larger radii scan all entries (a linear scan's cost, 0.1-0.2 s at 10M).
   */
  query(hash: string | Uint32Array, radius: QueryRadius = DEFAULT_RADIUS): Hit[] {
    const q = toWords(hash, new Uint32Array(HASH_WORDS));
    const bankRadius = radiusByBank(radius);
    let maxR = -1;
    for (let b = 0; b <= MAX_BANK; b++) if (bankRadius[b] > maxR) maxR = bankRadius[b];
    if (maxR < 0) return [];
    this.refresh();
    const hits: Hit[] = [];
    const { hashes, banks, materials, views, frames } = this.store;
    const emit = (slot: number, distance: number): void => {
      const frameMs = frames[slot];
      const hit: Hit = { materialId: materials[slot], bank: banks[slot], view: this.views.label(views[slot]), distance };
      if (frameMs !== NO_FRAME) hit.frameTime = frameMs / 1000;
      hits.push(hit);
    };
    const radii = tableRadii(maxR);
    let maxTableRadius = 0;
    for (let t = 0; t < TABLES; t++) if (radii[t] > maxTableRadius) maxTableRadius = radii[t];
    let scanFrom = 0;
    if (this.tables.built > 0 && maxTableRadius <= MAX_TABLE_RADIUS) {
      const dw = new Int32Array(TABLES);
      const q0 = q[0], q1 = q[1], q2 = q[2], q3 = q[3], q4 = q[4], q5 = q[5], q6 = q[6], q7 = q[7];
      const verify = (slot: number, table: number): void => {
        const b = banks[slot];
        const rb = bankRadius[b];
        if (rb < 0) return; // tombstone or bank not asked for
        const h = slot * HASH_WORDS;
        dw[0] = popcount32(hashes[h] ^ q0);
        dw[1] = popcount32(hashes[h + 1] ^ q1);
        dw[2] = popcount32(hashes[h + 2] ^ q2);
        dw[3] = popcount32(hashes[h + 3] ^ q3);
        dw[4] = popcount32(hashes[h + 4] ^ q4);
        dw[5] = popcount32(hashes[h + 5] ^ q5);
        dw[6] = popcount32(hashes[h + 6] ^ q6);
        dw[7] = popcount32(hashes[h + 7] ^ q7);
        const d = dw[0] + dw[1] + dw[2] + dw[3] + dw[4] + dw[5] + dw[6] + dw[7];
        if (d > rb) return;
        // Report it from the first table that can see it only (see word-tables.ts).
        for (let t = 0; t < table; t++) if (dw[t] <= radii[t]) return;
        emit(slot, d);
      };
      for (let t = 0; t < TABLES; t++) this.tables.probe(t, q[t], radii[t], verify);
      scanFrom = this.tables.built;
    }
    this.scan(q, scanFrom, bankRadius, emit);
    hits.sort((a, b) => a.distance - b.distance || a.materialId - b.materialId);
    return hits;
  }

  /**
   * Brings the tables up to date if the unsorted tail or the tombstones have grown too large. Queries call
   * it; call it yourself after a bulk load to pay the rebuild before the first query.
   */
  refresh(): void {
    const store = this.store;
    const built = this.tables.built;
    const tail = store.count - built;
    if (store.live < SCAN_ONLY_BELOW) {
      if (built > 0) this.tables.clear();
      return;
    }
    if (tail > Math.max(SCAN_ONLY_BELOW, built / TAIL_SHARE) || this.sortedTombstones > built / TOMBSTONE_SHARE) {
      this.rebuild();
    }
  }

  /** Compacts tombstones away and re-sorts every entry into the tables now. */
  rebuild(): void {
    this.store.growth = 1.1;
    this.store.compact();
    this.sortedTombstones = 0;
    if (this.store.count < SCAN_ONLY_BELOW) this.tables.clear();
    else this.tables.rebuild(this.store);
  }

  /** Makes room for `n` entries in total, e.g. before loading rows whose count the database told. */
  reserve(n: number): void {
    if (!Number.isInteger(n) || n < 0) throw new Error(`Cannot reserve room for ${String(n)} entries: give a whole number.`);
    this.store.reserve(n);
  }

  /** Releases spare capacity (after a bulk load). */
  trim(): void {
    this.store.trim();
  }

  /** Bytes held in typed arrays by this index: entries, tables and spare capacity. */
  memoryBytes(): number {
    return this.store.memoryBytes() + this.tables.memoryBytes();
  }

  /** The live entries' hashes and fields, for checks and tools; one object per entry, so not for hot paths. */
  *entries(): IterableIterator<Required<Omit<IndexEntry, 'frameTime' | 'hash'>> & { hash: Uint32Array; frameTime?: number }> {
    const { hashes, banks, materials, views, frames } = this.store;
    for (let s = 0; s < this.store.count; s++) {
      if (banks[s] === REMOVED) continue;
      const entry: { hash: Uint32Array; materialId: number; bank: number; view: string; frameTime?: number } = {
        hash: hashes.slice(s * HASH_WORDS, (s + 1) * HASH_WORDS),
        materialId: materials[s],
        bank: banks[s],
        view: this.views.label(views[s]),
      };
      if (frames[s] !== NO_FRAME) entry.frameTime = frames[s] / 1000;
      yield entry;
    }
  }

  private scan(q: Uint32Array, from: number, bankRadius: Int16Array, emit: (slot: number, d: number) => void): void {
    const { hashes, banks, count } = this.store;
    const q0 = q[0], q1 = q[1], q2 = q[2], q3 = q[3], q4 = q[4], q5 = q[5], q6 = q[6], q7 = q[7];
    for (let s = from, h = from * HASH_WORDS; s < count; s++, h += HASH_WORDS) {
      const rb = bankRadius[banks[s]];
      if (rb < 0) continue;
      // Half the words first: most entries are ~128 bits away and fail here.
      let d = popcount32(hashes[h] ^ q0) + popcount32(hashes[h + 1] ^ q1) + popcount32(hashes[h + 2] ^ q2) + popcount32(hashes[h + 3] ^ q3);
      if (d > rb) continue;
      d += popcount32(hashes[h + 4] ^ q4) + popcount32(hashes[h + 5] ^ q5) + popcount32(hashes[h + 6] ^ q6) + popcount32(hashes[h + 7] ^ q7);
      if (d <= rb) emit(s, d);
    }
  }

  private removeWhere(match: (slot: number) => boolean): number {
    const built = this.tables.built;
    let sorted = 0;
    const n = this.store.removeWhere((s) => {
      if (!match(s)) return false;
      if (s < built) sorted++;
      return true;
    });
    this.sortedTombstones += sorted;
    return n;
  }
}

function toWords(hash: string | Uint32Array, out: Uint32Array): Uint32Array {
  if (typeof hash === 'string') return hexToWords(hash, out);
  if (hash instanceof Uint32Array && hash.length === HASH_WORDS) return hash;
  throw new Error('A hash must be 64 hex digits or a Uint32Array of 8 words.');
}

function checkBank(bank: number): void {
  if (!Number.isInteger(bank) || bank < 0 || bank > MAX_BANK) {
    throw new Error(`A bank id must be an integer from 0 to ${MAX_BANK}; got ${String(bank)}.`);
  }
}

function checkRadius(r: number): void {
  if (!Number.isInteger(r) || r > MAX_RADIUS) {
    throw new Error(`A search radius must be an integer from 0 to ${MAX_RADIUS} bits; got ${String(r)}.`);
  }
}

/** Radius per bank id; -1 for banks left out and for the tombstone marker. */
function radiusByBank(radius: QueryRadius): Int16Array {
  const out = new Int16Array(REMOVED + 1).fill(-1);
  if (typeof radius === 'number') {
    checkRadius(radius);
    if (radius < 0) throw new Error(`A search radius must be an integer from 0 to ${MAX_RADIUS} bits; got ${radius}.`);
    out.fill(radius, 0, MAX_BANK + 1);
    return out;
  }
  const n = Math.min(radius.length, MAX_BANK + 1);
  for (let b = 0; b < n; b++) {
    const r = radius[b];
    checkRadius(r);
    out[b] = r < 0 ? -1 : r;
  }
  return out;
}
