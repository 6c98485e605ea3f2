/**
 * The keys FeatureIndex files a descriptor under: KEY_TABLES keys, each made of the first `keyBits`
 * bits of its table's list of bit positions below (`descriptorKey`).
 *
 * Why chosen bits and not, as before, the top bits of four words: steered BRIEF's bits are far from
 * fair coins on real photos (some are 1 in 89% of corners) and neighbouring tests are correlated, so the
 * top 16 bits of a word took a bucket holding 0.04-0.12% of the bank - 30-80x a uniform key's 2^-16 -
 * and a query walked that share of the whole bank per descriptor: a lookup's cost grows with the bank,
 * and at 10,000 registered pictures it was most of a query's time. The lists below were chosen greedily
 * (bench/feature-keys.ts, `npm run bench:index -- --feature-keys`) on ~52,000 descriptors and ~147,000
 * true pairs (one corner in a photo and in a re-encoded, resized, darkened or softened copy) of the
 * shared vectors' and python3-skimage's photos: each next bit is the one that most raises log2(share
 * of true pairs still sharing the key) - log2(chance two unrelated descriptors share it). Measured
 * there at 16 bits: 0.005-0.021% of the bank per lookup (6.7x less than the old keys, on average),
 * while a true pair shares a table's key 48-54% of the time (old: 54-57%) and at least one of the four
 * 73.6% (old: 77.6%). The tables use disjoint bits, so their misses are nearly independent.
 */
import { DESCRIPTOR_WORDS } from './types.ts';

export const KEY_TABLES = 4;
/** Longest key the lists allow (FeatureIndex starts at 16 bits and lengthens them as the bank grows: KEY_GROWTH). */
export const KEY_BITS_MAX = 24;

/** Per table, bit positions (0..255: word = position >> 5, bit = position & 31) in the order chosen. */
export const KEY_BIT_POSITIONS: ReadonlyArray<readonly number[]> = Object.freeze([
  [152, 223, 131, 67, 188, 246, 154, 13, 159, 3, 205, 187, 215, 59, 11, 97, 141, 139, 26, 29, 77, 53, 118, 70],
  [24, 60, 195, 95, 96, 208, 225, 101, 2, 73, 144, 87, 40, 18, 219, 181, 56, 198, 153, 79, 157, 253, 210, 142],
  [234, 235, 227, 125, 207, 146, 229, 91, 143, 107, 16, 148, 168, 25, 248, 14, 27, 201, 64, 63, 184, 155, 254, 137],
  [106, 99, 224, 31, 80, 98, 112, 191, 138, 20, 176, 183, 0, 5, 10, 54, 133, 182, 222, 120, 240, 179, 94, 1],
].map((t) => Object.freeze(t)));

// Word offsets and shifts of every table's bits, flat, for the hot loops.
const WORD = Int32Array.from(KEY_BIT_POSITIONS.flat(), (b) => b >> 5);
const SHIFT = Int32Array.from(KEY_BIT_POSITIONS.flat(), (b) => b & 31);

/** The key of the descriptor at d[o..o+8) in table `t`, of `bits` bits (<= KEY_BITS_MAX). */
export function descriptorKey(d: Uint32Array, o: number, t: number, bits: number): number {
  let key = 0;
  for (let k = t * KEY_BITS_MAX, end = k + bits; k < end; k++) key = (key << 1) | ((d[o + WORD[k]] >>> SHIFT[k]) & 1);
  return key;
}

if (KEY_BIT_POSITIONS.length !== KEY_TABLES || KEY_BIT_POSITIONS.some((t) => t.length !== KEY_BITS_MAX || t.some((b) => b < 0 || b >= 32 * DESCRIPTOR_WORDS))) {
  throw new Error('index-keys.ts: every table needs KEY_BITS_MAX bit positions within a descriptor');
}
