import { describe, expect, it } from 'vitest';
import { fingerprintBuffer } from '../../hashing/fingerprint.ts';
import { ReferenceMatcher } from '../../hashing/match/matcher.ts';
import type { Fingerprint } from '../../hashing/types.ts';
import { rescaledCopy, syntheticPhoto } from '../support/images.ts';

describe('the matcher', async () => {
  const photo = await syntheticPhoto(21);
  const original = await fingerprintBuffer(photo);
  const smaller = await fingerprintBuffer(await rescaledCopy(photo, 320, 240));
  const other = await fingerprintBuffer(await syntheticPhoto(22));

  it('finds a reference by its bytes and by its picture, hands back the caller\'s data, and forgets it when removed', () => {
    const m = new ReferenceMatcher<{ case: string }>();
    m.add('m1', original, { group: 'case-a', meta: { case: 'A' } });
    m.add('m2', other, { group: 'case-a', meta: { case: 'A' } });
    expect(m.size).toBe(2);
    expect(m.match(original)).toEqual([{ ref: 'm1', meta: { case: 'A' }, decision: { method: 'exact-sha256', distance: 0 } }]);
    const perceptual = m.match(smaller);
    expect(perceptual.map((r) => [r.ref, r.decision.method])).toEqual([['m1', 'pdq']]);
    expect(perceptual[0].decision.distance).toBeLessThanOrEqual(31);
    expect(m.removeByRef('m1')).toBe(1);
    expect(m.has('m1')).toBe(false);
    expect(m.match(original)).toEqual([]);
    expect(m.match(smaller)).toEqual([]);
    expect(m.match(other).map((r) => r.ref)).toEqual(['m2']);
  });

  it('removes a whole group at once (a withdrawn case) and leaves the others matching', () => {
    const m = new ReferenceMatcher();
    m.add('a1', original, { group: 'case-a' });
    m.add('a2', other, { group: 'case-a' });
    m.add('b1', original, { group: 'case-b' });
    const before = m.indexEntries;
    expect(m.removeGroup('case-a')).toBe(2);
    expect(m.removeGroup('case-a')).toBe(0);
    expect(m.size).toBe(1);
    expect(m.indexEntries).toBeLessThan(before);
    expect(m.match(smaller).map((r) => r.ref)).toEqual(['b1']);
    expect(m.match(other)).toEqual([]);
  });

  it('lists matches best first with one tie-break: bytes, then distance, then the key - whatever the order of adding', () => {
    const md5Only: Fingerprint = { ...original, sha256: 'f'.repeat(64) };
    const adds: Array<[string, Fingerprint]> = [['zeta', original], ['Alpha', smaller], ['beta', original], ['gamma', md5Only], ['delta', smaller]];
    const orders = [adds, [...adds].reverse(), [adds[2], adds[4], adds[0], adds[3], adds[1]]];
    const results = orders.map((order) => {
      const m = new ReferenceMatcher();
      for (const [ref, fp] of order) m.add(ref, fp);
      return m.match(original).map((r) => `${r.ref} ${r.decision.method} ${r.decision.distance}`);
    });
    const d = results[0][3].split(' ')[2];
    // Exact matches first (sha256 and md5 rank alike, so by key), then the perceptual ones by key (a
    // collator, not code units: 'Alpha' before 'delta').
    expect(results[0]).toEqual(['beta exact-sha256 0', 'gamma exact-md5 0', 'zeta exact-sha256 0', `Alpha pdq ${d}`, `delta pdq ${d}`]);
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });

  it('keeps two fingerprints given the same key apart, and removes both by it', () => {
    const m = new ReferenceMatcher();
    m.add('same.jpg', original);
    m.add('same.jpg', other);
    expect(m.match(original).map((r) => r.ref)).toEqual(['same.jpg']);
    expect(m.match(other).map((r) => r.ref)).toEqual(['same.jpg']);
    expect(m.removeByRef('same.jpg')).toBe(2);
    expect(m.size).toBe(0);
    expect(m.indexEntries).toBe(0);
  });
});
