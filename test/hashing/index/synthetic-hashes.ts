/**
 * Synthetic hash sets for the index's tests and benchmark. Uniform random hashes are the easy case for
 * multi-index hashing; real banks hold clusters of near-duplicates (re-encodes, frames of one video,
 * dihedral views) and PDQ's bits are not all equally likely, which fills some table buckets far more than
 * others. `clusteredHashes` models both: every bit is biased (p = 0.25, 0.5 or 0.75 of being set) and
 * entries come in clusters of heavy-tailed size (mean ~5, a few of thousands) around biased centres,
 * each member 0..24 bits from its centre.
 */
import { HASH_WORDS } from '../../../hashing/bits.ts';

export type Rng = () => number;

/** A small seeded generator (mulberry32) returning uint32s: tests and bench runs repeat exactly. */
export function rng32(seed: number): Rng {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

function unit(r: Rng): number {
  return r() / 4294967296;
}

export function randomHashes(n: number, r: Rng): Uint32Array {
  const out = new Uint32Array(n * HASH_WORDS);
  for (let i = 0; i < out.length; i++) out[i] = r();
  return out;
}

/** Bit-bias masks: per word, which bits lean to 1 (p = .75) and which to 0 (p = .25); the rest are fair. */
interface Bias {
  high: Uint32Array;
  low: Uint32Array;
}

function makeBias(r: Rng): Bias {
  const high = new Uint32Array(HASH_WORDS);
  const low = new Uint32Array(HASH_WORDS);
  for (let w = 0; w < HASH_WORDS; w++) {
    const a = r();
    const b = r();
    high[w] = a & ~b; // ~1/4 of the bits lean to 1
    low[w] = b & ~a; // ~1/4 lean to 0
  }
  return { high, low };
}

function biasedHash(out: Uint32Array, at: number, bias: Bias, r: Rng): void {
  for (let w = 0; w < HASH_WORDS; w++) {
    const fair = ~(bias.high[w] | bias.low[w]);
    out[at + w] = ((r() & fair) | ((r() | r()) & bias.high[w]) | (r() & r() & bias.low[w])) >>> 0;
  }
}

/** Flips `k` random bits (a position may repeat, so up to k) of the hash at `at`. */
export function flipBits(h: Uint32Array, at: number, k: number, r: Rng): void {
  for (let i = 0; i < k; i++) {
    const bit = r() & 255;
    h[at + (bit >>> 5)] ^= 1 << (bit & 31);
  }
}

export function clusteredHashes(n: number, r: Rng): Uint32Array {
  const out = new Uint32Array(n * HASH_WORDS);
  const bias = makeBias(r);
  const centre = new Uint32Array(HASH_WORDS);
  let i = 0;
  while (i < n) {
    biasedHash(centre, 0, bias, r);
    const size = Math.min(n - i, 20_000, Math.floor(2 / Math.pow(Math.max(unit(r), 1e-12), 0.6)));
    for (let m = 0; m < size; m++, i++) {
      out.set(centre, i * HASH_WORDS);
      flipBits(out, i * HASH_WORDS, r() % 25, r);
    }
  }
  return out;
}

/**
 * Queries for a data set: half are entries with 0..20 extra bits flipped (so they have hits, often many in
 * a cluster), half fresh hashes from the same kind of distribution (usually no hit).
 */
export function queriesFor(data: Uint32Array, count: number, r: Rng, clustered: boolean): Uint32Array {
  const n = data.length / HASH_WORDS;
  const out = new Uint32Array(count * HASH_WORDS);
  const fresh = clustered ? clusteredHashes(count, r) : randomHashes(count, r);
  for (let q = 0; q < count; q++) {
    if (q % 2 === 0) {
      const e = r() % n;
      out.set(data.subarray(e * HASH_WORDS, (e + 1) * HASH_WORDS), q * HASH_WORDS);
      flipBits(out, q * HASH_WORDS, r() % 21, r);
    } else {
      out.set(fresh.subarray(q * HASH_WORDS, (q + 1) * HASH_WORDS), q * HASH_WORDS);
    }
  }
  return out;
}

/** The reference: every entry's distance, no cleverness. Returns entry numbers within r. */
export function linearScan(data: Uint32Array, q: Uint32Array, qi: number, r: number): number[] {
  const hits: number[] = [];
  const n = data.length >>> 3;
  // A literal 8 and a local popcount, not imports: vitest rewrites imported bindings into property reads,
  // which are slow in this loop.
  for (let e = 0; e < n; e++) {
    let d = 0;
    for (let w = 0; w < 8; w++) d += pop(data[e * 8 + w] ^ q[qi + w]);
    if (d <= r) hits.push(e);
  }
  return hits;
}

function pop(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}
