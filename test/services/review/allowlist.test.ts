/**
 * The allowlist's comparison, pure: exact SHA-256, whole-picture PDQ within 31 bits, and the new media's
 * views and frames against the stored hashes - never views against views, never the block hash.
 */
import { describe, expect, it } from 'vitest';
import { allowlistCovers, allowlistHashes, parseAllowlist } from '../../../services/review/allowlist.ts';
import type { ImageFingerprint, VideoFingerprint } from '../../../hashing/types.ts';

/** A 64-hex-digit hash from a seed, and the same with its first `bits` bits flipped. */
function hash(seed: number): string {
  let s = seed >>> 0;
  let out = '';
  for (let i = 0; i < 64; i++) {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    out += (s & 15).toString(16);
  }
  return out;
}
function flip(hex: string, bits: number): string {
  const b = Buffer.from(hex, 'hex');
  for (let i = 0; i < bits; i++) b[i >> 3] ^= 0x80 >> (i & 7);
  return b.toString('hex');
}
const sha = (n: number) => n.toString(16).padStart(64, '0');

function image(seed: number, opts: { pdq?: string; quality?: number; views?: Array<{ view: string; hash: string }>; blockhash?: string } = {}): ImageFingerprint {
  return {
    kind: 'image', sha256: sha(seed), md5: sha(seed).slice(0, 32), width: 100, height: 100, format: 'jpeg',
    pdq: { hash: opts.pdq ?? hash(seed), quality: opts.quality ?? 100 }, blockhash: opts.blockhash ?? hash(seed + 1000),
    views: (opts.views ?? []).map((v) => ({ ...v, quality: 100 })),
  };
}

describe('allowlist comparison', () => {
  const candidate = image(1);
  const list = parseAllowlist([{ sha256: candidate.sha256, pdq: allowlistHashes(candidate) }]);

  it('keeps only the whole picture of a rejected image, of trusted quality', () => {
    expect(allowlistHashes(candidate)).toEqual([candidate.pdq.hash]);
    expect(allowlistHashes(image(1, { views: [{ view: 'flipx', hash: hash(77) }] }))).toEqual([hash(1)]);
    expect(allowlistHashes(image(1, { quality: 20 }))).toEqual([]);
  });

  it('keeps every trusted frame of a rejected video', () => {
    const v: VideoFingerprint = {
      kind: 'video', sha256: sha(9), md5: sha(9).slice(0, 32), duration: 3, width: 10, height: 10, format: 'mp4',
      frames: [{ t: 0, pdq: hash(10), quality: 90 }, { t: 1, pdq: hash(11), quality: 10 }, { t: 2, pdq: hash(10), quality: 90 }],
    };
    expect(allowlistHashes(v)).toEqual([hash(10)]);
  });

  it.each([
    ['the same bytes, whatever their hashes', image(1, { pdq: hash(500) }), true],
    ['a re-encoded copy: PDQ 31 bits away', image(2, { pdq: flip(hash(1), 31) }), true],
    ['a different picture: PDQ 32 bits away', image(3, { pdq: flip(hash(1), 32) }), false],
    ['a mirrored copy: one of its views is the candidate', image(4, { pdq: hash(400), views: [{ view: 'flipx', hash: flip(hash(1), 5) }] }), true],
    ['a reference-only view is not probed', image(5, { pdq: hash(401), views: [{ view: 'crop:c90', hash: hash(1) }] }), false],
    ['the block hash is never compared with PDQ', image(6, { pdq: hash(402), blockhash: hash(1) }), false],
    ['a low-quality PDQ is not trusted', image(7, { pdq: hash(1), quality: 10 }), false],
  ])('%s', (_what, fp, covered) => {
    expect(allowlistCovers(fp, list)).toBe(covered);
  });

  it('a video is covered when one of its frames is a copy', () => {
    const v: VideoFingerprint = {
      kind: 'video', sha256: sha(20), md5: sha(20).slice(0, 32), duration: 2, width: 10, height: 10, format: 'mp4',
      frames: [{ t: 0, pdq: hash(600), quality: 90 }, { t: 1, pdq: flip(hash(1), 8), quality: 90 }],
    };
    expect(allowlistCovers(v, list)).toBe(true);
    expect(allowlistCovers({ ...v, frames: [v.frames[0]] }, list)).toBe(false);
  });

  it('an empty allowlist covers nothing', () => {
    expect(allowlistCovers(candidate, parseAllowlist([]))).toBe(false);
  });
});
