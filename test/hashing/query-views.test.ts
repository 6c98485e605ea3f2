import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fingerprintImage } from '../../hashing/fingerprint.ts';
import { matchImages, queryProbeHashes } from '../../hashing/match/image-policy.ts';
import { ReferenceBank } from '../../hashing/match/matcher.ts';
import type { ImageFingerprint } from '../../hashing/types.ts';
import { EDITS, loadSource } from '../support/image-edits.ts';
import { syntheticPhoto } from '../support/images.ts';
import { vector } from '../support/vectors.ts';

/**
 * Crawled files are fingerprinted with `views: 'query'` (only the views a query is probed with). That
 * must not change a single match: the same probe hashes, the same decisions, the same method and
 * distance, on edited copies of each photo and against the other photos.
 */
const EDIT_NAMES = ['jpeg-q15', 'mirror', 'rotate-90', 'caption', 'crop-10-corner', 'crop-20-top-only', 'pad-white-20', 'letterbox-9x16', 'rotate-5', 'screenshot-light'];
const PHOTO_FILES = ['pdq/data/reg-test-input/dih/bridge-1-original.jpg', 'blockhash/images/clipper_ship.jpg'].map((p) => vector(p));

describe("query-only views ('query')", () => {
  const refs: ImageFingerprint[] = [];
  const pairs: Array<{ name: string; full: ImageFingerprint; lean: ImageFingerprint }> = [];

  beforeAll(async () => {
    const sources: Buffer[] = PHOTO_FILES.map((f) => readFileSync(f));
    for (let seed = 3; seed <= 4; seed++) sources.push(await syntheticPhoto(seed, 640, 480));
    for (const [i, bytes] of sources.entries()) {
      refs.push(await fingerprintImage(bytes));
      const src = await loadSource(bytes);
      for (const e of EDITS.filter((x) => EDIT_NAMES.includes(x.name))) {
        const edited = await e.apply(src);
        pairs.push({ name: `photo ${i} ${e.name}`, full: await fingerprintImage(edited), lean: await fingerprintImage(edited, { views: 'query' }) });
      }
    }
  }, 120_000);

  it('probes with exactly the same hashes', () => {
    expect(pairs.length).toBe(refs.length * EDIT_NAMES.length);
    for (const p of pairs) expect(queryProbeHashes(p.lean), p.name).toEqual(queryProbeHashes(p.full));
  });

  it('makes the same decision against every reference', () => {
    let matched = 0;
    for (const p of pairs) {
      for (const ref of refs) {
        const a = matchImages(p.full, ref);
        expect(matchImages(p.lean, ref), p.name).toEqual(a);
        if (a) matched++;
      }
    }
    // The edits are found (else this test would compare nothing but nulls).
    expect(matched).toBeGreaterThanOrEqual(pairs.length - 2);
  });

  it('finds the same references through the index', () => {
    const bank = new ReferenceBank(refs.map((fp, i) => ({ ref: `photo-${i}`, fp })));
    for (const p of pairs) expect(bank.match(p.lean), p.name).toEqual(bank.match(p.full));
  });
});
