/**
 * Column storage for index entries: one typed array per field, one slot per entry, no JS object per entry.
 *
 *   hashes    8 x uint32 = 32 B   the 256-bit hash
 *   materials uint32     =  4 B   material id
 *   banks     uint8      =  1 B   bank id 0..254; 255 marks a removed slot (a tombstone)
 *   views     uint8      =  1 B   view code (see view-codes.ts)
 *   frames    uint32     =  4 B   frame time in milliseconds, NO_FRAME when not a video frame
 *                         -----
 *                          42 B per slot
 *
 * Slots are appended; removal writes a tombstone; `compact()` squeezes tombstones out (which renumbers
 * slots, so the search tables must be rebuilt after it). Arrays grow by 1.1x, not 2x, so that the slack
 * stays under ~4 B per entry at any size; a bulk load grows by 2x and `trim()`s at the end.
 */
import { HASH_WORDS } from '../bits.ts';

export const REMOVED = 255;
export const MAX_BANK = 254;
export const NO_FRAME = 0xffffffff;
/** Largest frame time a uint32 of milliseconds holds, in seconds (~49.7 days). */
export const MAX_FRAME_SECONDS = (NO_FRAME - 1) / 1000;

const MIN_CAPACITY = 1024;

export class EntryStore {
  hashes = new Uint32Array(0);
  materials = new Uint32Array(0);
  banks = new Uint8Array(0);
  views = new Uint8Array(0);
  frames = new Uint32Array(0);
  /** Slots in use, tombstones included. */
  count = 0;
  /** Tombstones among the slots in use. */
  removed = 0;
  /**
   * Growth factor when full. A bulk load sets 2 (fewer copies: each copy touches fresh pages, which costs
   * more than the copy itself) and trims afterwards; afterwards 1.1 keeps the slack under ~4 B/entry, which
   * keeps the whole index under 96 B/entry at any size past ~1M.
   */
  growth = 1.1;

  get capacity(): number {
    return this.materials.length;
  }

  get live(): number {
    return this.count - this.removed;
  }

  /** Appends one entry whose hash is `words[offset .. offset + 8)`; returns its slot. */
  push(words: Uint32Array, offset: number, material: number, bank: number, view: number, frameMs: number): number {
    if (this.count === this.capacity) this.resize(Math.max(MIN_CAPACITY, Math.ceil(this.capacity * this.growth)));
    const slot = this.count++;
    const h = slot * HASH_WORDS;
    for (let i = 0; i < HASH_WORDS; i++) this.hashes[h + i] = words[offset + i];
    this.materials[slot] = material;
    this.banks[slot] = bank;
    this.views[slot] = view;
    this.frames[slot] = frameMs;
    return slot;
  }

  /** Tombstones every live slot for which `match(slot)` is true; returns how many. */
  removeWhere(match: (slot: number) => boolean): number {
    let n = 0;
    const banks = this.banks;
    for (let s = 0; s < this.count; s++) {
      if (banks[s] !== REMOVED && match(s)) {
        banks[s] = REMOVED;
        n++;
      }
    }
    this.removed += n;
    return n;
  }

  /** Moves live slots down over tombstones, keeping their order. Slot numbers change. */
  compact(): void {
    const { hashes, materials, banks, views, frames } = this;
    let w = 0;
    for (let r = 0; r < this.count; r++) {
      if (banks[r] === REMOVED) continue;
      if (w !== r) {
        hashes.copyWithin(w * HASH_WORDS, r * HASH_WORDS, (r + 1) * HASH_WORDS);
        materials[w] = materials[r];
        banks[w] = banks[r];
        views[w] = views[r];
        frames[w] = frames[r];
      }
      w++;
    }
    this.count = w;
    this.removed = 0;
  }

  /** Reserves room for `n` slots in total (e.g. before a bulk load of known size). */
  reserve(n: number): void {
    if (n > this.capacity) this.resize(n);
  }

  /** Shrinks the arrays to exactly the slots in use. */
  trim(): void {
    if (this.capacity !== this.count) this.resize(this.count);
  }

  memoryBytes(): number {
    return (
      this.hashes.byteLength + this.materials.byteLength + this.banks.byteLength + this.views.byteLength + this.frames.byteLength
    );
  }

  private resize(capacity: number): void {
    const n = this.count;
    this.hashes = copyInto(new Uint32Array(capacity * HASH_WORDS), this.hashes, n * HASH_WORDS);
    this.materials = copyInto(new Uint32Array(capacity), this.materials, n);
    this.banks = copyInto(new Uint8Array(capacity), this.banks, n);
    this.views = copyInto(new Uint8Array(capacity), this.views, n);
    this.frames = copyInto(new Uint32Array(capacity), this.frames, n);
  }
}

function copyInto<T extends Uint32Array | Uint8Array>(to: T, from: T, n: number): T {
  to.set(from.subarray(0, n));
  return to;
}
