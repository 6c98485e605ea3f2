/**
 * Bit helpers for 256-bit perceptual hashes (PDQ, block-mean). A hash travels as 64 hex digits and is
 * held in memory as 8 unsigned 32-bit words: word i is hex digits [8i, 8i + 8) read as a big-endian
 * number. Hamming distance does not care about bit order, so this is the cheapest exact layout.
 */

/** Number of 32-bit words in a 256-bit hash. */
export const HASH_WORDS = 8;

const HEX64 = /^[0-9a-fA-F]{64}$/;
const CANONICAL_HEX64 = /^[0-9a-f]{64}$/;

/** Set bits in a 32-bit integer (SWAR popcount; JS has no popcount instruction). */
export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** True when `hex` is a 256-bit hash in staydown's canonical form: 64 lowercase hex digits. */
export function isHash256(hex: string): boolean {
  return typeof hex === 'string' && CANONICAL_HEX64.test(hex);
}

/**
 * Parses 64 hex digits into 8 words. Writes into `out` at `offset` when given (no allocation), so callers
 * packing millions of hashes into one Uint32Array do not create a temporary per hash.
 */
export function hexToWords(hex: string, out: Uint32Array = new Uint32Array(HASH_WORDS), offset = 0): Uint32Array {
  if (typeof hex !== 'string' || !HEX64.test(hex)) {
    throw new Error(`A 256-bit hash must be 64 hex digits; got ${describe(hex)}.`);
  }
  for (let i = 0; i < HASH_WORDS; i++) {
    out[offset + i] = parseInt(hex.slice(i * 8, i * 8 + 8), 16);
  }
  return out;
}

/** Writes 8 words (from `offset`) as 64 lowercase hex digits. */
export function wordsToHex(words: ArrayLike<number>, offset = 0): string {
  let hex = '';
  for (let i = 0; i < HASH_WORDS; i++) {
    hex += (words[offset + i] >>> 0).toString(16).padStart(8, '0');
  }
  return hex;
}

/** Hamming distance between two 256-bit hashes held as 8 words each. */
export function hamming(a: Uint32Array, b: Uint32Array): number {
  return hammingAt(a, 0, b, 0);
}

/** Hamming distance between the 8 words of `a` at `ai` and of `b` at `bi` (hashes packed in big arrays). */
export function hammingAt(a: Uint32Array, ai: number, b: Uint32Array, bi: number): number {
  return (
    popcount32(a[ai] ^ b[bi]) +
    popcount32(a[ai + 1] ^ b[bi + 1]) +
    popcount32(a[ai + 2] ^ b[bi + 2]) +
    popcount32(a[ai + 3] ^ b[bi + 3]) +
    popcount32(a[ai + 4] ^ b[bi + 4]) +
    popcount32(a[ai + 5] ^ b[bi + 5]) +
    popcount32(a[ai + 6] ^ b[bi + 6]) +
    popcount32(a[ai + 7] ^ b[bi + 7])
  );
}

/**
 * Hamming distance between two hashes written as hex digits of equal length (a multiple of 8 digits, so
 * 256-bit PDQ and block-mean hashes alike). Throws on anything else rather than returning a wrong distance.
 */
export function hammingHex(a: string, b: string): number {
  if (typeof a !== 'string' || typeof b !== 'string' || a.length !== b.length || a.length % 8 !== 0) {
    throw new Error(`Cannot compare hashes: both must be hex strings of the same length, a multiple of 8 digits; got ${describe(a)} and ${describe(b)}.`);
  }
  let d = 0;
  for (let i = 0; i < a.length; i += 8) {
    const x = parseHexWord(a, i);
    const y = parseHexWord(b, i);
    d += popcount32(x ^ y);
  }
  return d;
}

function parseHexWord(hex: string, at: number): number {
  const chunk = hex.slice(at, at + 8);
  if (!/^[0-9a-fA-F]{8}$/.test(chunk)) {
    throw new Error(`Cannot compare hashes: a hash contains a character that is not a hex digit near position ${at}.`);
  }
  return parseInt(chunk, 16);
}

function describe(value: unknown): string {
  if (typeof value !== 'string') return `a value of type ${typeof value}`;
  // Never echo the value itself: a hash of a victim's image is victim data.
  return `a string of ${value.length} characters`;
}
