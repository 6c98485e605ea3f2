import { describe, expect, it } from 'vitest';
import { hamming, hammingAt, hammingHex, hexToWords, isHash256, popcount32, wordsToHex } from '../../../hashing/bits.ts';
import { rng32 } from './synthetic-hashes.ts';

/** Reference popcount: one bit at a time, obviously right and slow. */
function slowPopcount(x: number): number {
  let n = 0;
  for (let i = 0; i < 32; i++) n += (x >>> i) & 1;
  return n;
}

/** Reference distance on hex: per hex digit, via a bit string. */
function slowHammingHex(a: string, b: string): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    const x = parseInt(a[i], 16) ^ parseInt(b[i], 16);
    d += slowPopcount(x);
  }
  return d;
}

function randomHex(rand: () => number, digits = 64): string {
  let s = '';
  for (let i = 0; i < digits; i++) s += Math.floor(rand() * 16).toString(16);
  return s;
}

/** Uniform floats in [0, 1) from the shared seeded generator. */
function rng(seed: number): () => number {
  const next = rng32(seed);
  return () => next() / 4294967296;
}

describe('popcount32', () => {
  it('matches a bit-by-bit count on edge values and random words', () => {
    const rand = rng(1);
    const values = [0, 1, 0x80000000, 0xffffffff, 0x55555555, 0xaaaaaaaa, 0x7fffffff, -1];
    for (let i = 0; i < 2000; i++) values.push(Math.floor(rand() * 4294967296));
    for (const v of values) expect(popcount32(v)).toBe(slowPopcount(v >>> 0));
  });
});

describe('hex <-> words', () => {
  it('round-trips and keeps the big-endian word order', () => {
    const hex = '0123456789abcdef'.repeat(4);
    const w = hexToWords(hex);
    expect(w[0]).toBe(0x01234567);
    expect(w[1]).toBe(0x89abcdef);
    expect(wordsToHex(w)).toBe(hex);
    const rand = rng(2);
    for (let i = 0; i < 200; i++) {
      const h = randomHex(rand);
      expect(wordsToHex(hexToWords(h))).toBe(h);
    }
  });

  it('accepts upper case, writes lower case, and writes into a packed array at an offset', () => {
    const packed = new Uint32Array(24);
    hexToWords('F'.repeat(64), packed, 8);
    expect(Array.from(packed.subarray(0, 8))).toEqual(new Array(8).fill(0));
    expect(wordsToHex(packed, 8)).toBe('f'.repeat(64));
    expect(Array.from(packed.subarray(16))).toEqual(new Array(8).fill(0));
  });

  it('refuses malformed hashes with a sentence that does not echo the value', () => {
    const bad = ['', 'abc', 'g'.repeat(64), 'a'.repeat(63), 'a'.repeat(65), ' ' + 'a'.repeat(63)];
    for (const b of bad) {
      expect(() => hexToWords(b)).toThrow(/must be 64 hex digits; got a string of \d+ characters\./);
    }
    expect(() => hexToWords(123 as unknown as string)).toThrow(/got a value of type number/);
  });

  it('isHash256 accepts only the canonical lowercase form', () => {
    expect(isHash256('a'.repeat(64))).toBe(true);
    expect(isHash256('A'.repeat(64))).toBe(false);
    expect(isHash256('a'.repeat(63))).toBe(false);
  });
});

describe('hamming', () => {
  it('agrees with a per-digit reference on random pairs and near pairs', () => {
    const rand = rng(3);
    for (let i = 0; i < 500; i++) {
      const a = randomHex(rand);
      // Half the pairs are near: flip a few digits of a.
      let b = randomHex(rand);
      if (i % 2 === 0) {
        const chars = a.split('');
        for (let k = 0; k < 1 + (i % 9); k++) chars[Math.floor(rand() * 64)] = Math.floor(rand() * 16).toString(16);
        b = chars.join('');
      }
      const want = slowHammingHex(a, b);
      expect(hamming(hexToWords(a), hexToWords(b))).toBe(want);
      expect(hammingHex(a, b)).toBe(want);
    }
  });

  it('gives 0 for equal hashes and 256 for complements', () => {
    const a = hexToWords('0f'.repeat(32));
    const b = hexToWords('f0'.repeat(32));
    expect(hamming(a, a)).toBe(0);
    expect(hamming(a, b)).toBe(256);
  });

  it('hammingAt reads hashes packed at offsets', () => {
    const packed = new Uint32Array(16);
    hexToWords('0'.repeat(64), packed, 0);
    hexToWords('1'.repeat(64), packed, 8);
    expect(hammingAt(packed, 0, packed, 8)).toBe(64);
  });

  it('hammingHex handles other lengths that are multiples of 8 and refuses mismatches', () => {
    expect(hammingHex('ffffffff', '00000000')).toBe(32);
    expect(() => hammingHex('ab', 'ab')).toThrow(/same length, a multiple of 8 digits/);
    expect(() => hammingHex('a'.repeat(64), 'a'.repeat(56))).toThrow(/same length/);
    expect(() => hammingHex('z'.repeat(8), 'a'.repeat(8))).toThrow(/not a hex digit/);
  });
});
