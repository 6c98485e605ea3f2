import { describe, expect, it } from 'vitest';
import { HASH_WORDS, hexToWords, wordsToHex } from '../../../hashing/bits.ts';
import { BankSet, type BankRow } from '../../../hashing/index/index.ts';
import { clusteredHashes, flipBits, rng32 } from './synthetic-hashes.ts';

/** `base` with its first k bits flipped: exactly k bits away. */
function near(base: Uint32Array, k: number): string {
  const h = base.slice();
  for (let b = 0; b < k; b++) h[b >>> 5] ^= 1 << (b & 31);
  return wordsToHex(h);
}

describe('BankSet', () => {
  const base = hexToWords('3c'.repeat(32));

  it('keeps each hit within its own bank radius and alerts when no allowlisted hash is near', () => {
    const banks = new BankSet([
      { name: 'cases', radius: 31 },
      { name: 'partner', radius: 12 },
      { name: 'memes', radius: 8, allowlist: true },
    ]);
    banks.add({ hash: near(base, 20), materialId: 1, bank: 'cases' });
    banks.add({ hash: near(base, 20), materialId: 2, bank: 'partner' });
    banks.add({ hash: near(base, 10), materialId: 3, bank: 'partner' });
    banks.add({ hash: near(base, 9), materialId: 4, bank: 'memes' });
    const r = banks.query(base);
    expect(r.hits.map((h) => [h.bankName, h.materialId, h.distance])).toEqual([
      ['partner', 3, 10],
      ['cases', 1, 20],
    ]);
    expect(r.allowlisted).toEqual([]);
    expect(r.alert).toBe(true);
  });

  it('suppresses the alert when the query is within the allowlist radius, in the same query', () => {
    const banks = new BankSet([
      { name: 'cases', radius: 31 },
      { name: 'logos', radius: 16, allowlist: true },
    ]);
    banks.add({ hash: near(base, 5), materialId: 10, bank: 'cases' });
    banks.add({ hash: near(base, 16), materialId: 99, bank: 'logos' });
    const r = banks.query(base);
    expect(r.hits.map((h) => h.materialId)).toEqual([10]);
    expect(r.allowlisted.map((h) => [h.bankName, h.materialId, h.distance])).toEqual([['logos', 99, 16]]);
    expect(r.alert).toBe(false);
    // Tighten the allowlist: the logo is no longer near enough, so the alert stands.
    banks.define({ name: 'logos', radius: 15, allowlist: true });
    expect(banks.query(base).alert).toBe(true);
  });

  it('agrees with a per-bank brute force on clustered data with many banks', async () => {
    const rand = rng32(81);
    const n = 20_000;
    const data = clusteredHashes(n, rand);
    const configs = [
      { name: 'a', radius: 31 },
      { name: 'b', radius: 20 },
      { name: 'c', radius: 45 },
      { name: 'allow', radius: 10, allowlist: true },
    ];
    const banks = new BankSet(configs);
    const rows: BankRow[] = [];
    for (let i = 0; i < n; i++) rows.push({ hash: data.slice(i * HASH_WORDS, (i + 1) * HASH_WORDS), materialId: i, bank: configs[i % 4].name });
    async function* stream(): AsyncIterable<BankRow> {
      yield* rows;
    }
    expect(await banks.load(stream())).toBe(n);
    let alerts = 0;
    let suppressed = 0;
    for (let k = 0; k < 40; k++) {
      const e = rand() % n;
      const query = data.slice(e * HASH_WORDS, (e + 1) * HASH_WORDS);
      flipBits(query, 0, rand() % 12, rand);
      const r = banks.query(query);
      const want: number[] = [];
      const wantAllow: number[] = [];
      for (let i = 0; i < n; i++) {
        const { radius, allowlist } = configs[i % 4];
        let d = 0;
        for (let w = 0; w < 8; w++) {
          let x = (data[i * 8 + w] ^ query[w]) >>> 0;
          while (x) {
            d++;
            x &= x - 1;
          }
        }
        if (d <= radius) (allowlist ? wantAllow : want).push(i);
      }
      expect(r.hits.map((h) => h.materialId).sort((a, b) => a - b)).toEqual(want);
      expect(r.allowlisted.map((h) => h.materialId).sort((a, b) => a - b)).toEqual(wantAllow);
      expect(r.alert).toBe(want.length > 0 && wantAllow.length === 0);
      if (r.alert) alerts++;
      if (want.length > 0 && !r.alert) suppressed++;
    }
    expect(alerts).toBeGreaterThan(0);
    expect(suppressed).toBeGreaterThan(0);
  });

  it('drops a bank with its entries and reuses nothing stale', () => {
    const banks = new BankSet([{ name: 'x' }, { name: 'y' }]);
    banks.add({ hash: near(base, 1), materialId: 1, bank: 'x' });
    banks.add({ hash: near(base, 2), materialId: 2, bank: 'y' });
    expect(banks.drop('x')).toBe(1);
    expect(banks.query(base).hits.map((h) => h.materialId)).toEqual([2]);
    banks.define({ name: 'z' });
    banks.add({ hash: near(base, 3), materialId: 3, bank: 'z' });
    expect(banks.query(base).hits.map((h) => [h.bankName, h.materialId])).toEqual([
      ['y', 2],
      ['z', 3],
    ]);
    expect(banks.removeMaterial(2)).toBe(1);
    expect(banks.query(base).hits.map((h) => h.materialId)).toEqual([3]);
  });

  it('refuses unknown banks and bad radii with a sentence', () => {
    const banks = new BankSet();
    expect(() => banks.add({ hash: near(base, 0), materialId: 1, bank: 'nope' })).toThrow(/There is no bank named 'nope'/);
    expect(() => banks.define({ name: 'r', radius: 64 })).toThrow(/radius must be an integer from 0 to 63/);
    expect(() => banks.define({ name: '' })).toThrow(/needs a name/);
    expect(banks.query(base)).toEqual({ hits: [], allowlisted: [], alert: false });
  });
});
