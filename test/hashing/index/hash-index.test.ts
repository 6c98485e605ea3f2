import { describe, expect, it } from 'vitest';
import { HASH_WORDS, hammingAt, hexToWords, wordsToHex } from '../../../hashing/bits.ts';
import { HashIndex, buildIndex, type IndexRow } from '../../../hashing/index/index.ts';
import { tableRadii } from '../../../hashing/index/word-tables.ts';
import { clusteredHashes, flipBits, linearScan, queriesFor, randomHashes, rng32 } from './synthetic-hashes.ts';
import { join } from 'node:path';
import { VECTORS_DIR } from '../../support/vectors.ts';

/** Rows whose materialId is the entry's number, so results compare directly with linearScan's. */
function* rowsOf(data: Uint32Array): Iterable<IndexRow> {
  for (let i = 0; i < data.length / HASH_WORDS; i++) {
    yield { hash: data.subarray(i * HASH_WORDS, (i + 1) * HASH_WORDS), materialId: i };
  }
}

function ids(hits: { materialId: number }[]): number[] {
  return hits.map((h) => h.materialId).sort((a, b) => a - b);
}

function q(queries: Uint32Array, i: number): Uint32Array {
  return queries.subarray(i * HASH_WORDS, (i + 1) * HASH_WORDS);
}

describe('tableRadii', () => {
  it('sums to r - 7 with radii differing by at most one, for every radius', () => {
    for (let r = 0; r <= 63; r++) {
      const radii = Array.from(tableRadii(r));
      expect(radii.reduce((a, b) => a + b, 0)).toBe(r - 7);
      expect(Math.max(...radii) - Math.min(...radii)).toBeLessThanOrEqual(1);
      expect(Math.min(...radii)).toBeGreaterThanOrEqual(-1);
    }
    expect(Array.from(tableRadii(31))).toEqual([3, 3, 3, 3, 3, 3, 3, 3]);
  });
});

describe('HashIndex equals a linear scan', () => {
  const N = 40_000;
  const clustered = clusteredHashes(N, rng32(11));
  const uniform = randomHashes(N, rng32(12));

  for (const [name, data, isClustered] of [
    ['clustered, bit-biased', clustered, true],
    ['uniform random', uniform, false],
  ] as const) {
    it(`on ${name} hashes at r = 31, with distances`, async () => {
      const index = await buildIndex(rowsOf(data));
      expect(index.size).toBe(N);
      const queries = queriesFor(data, 300, rng32(13), isClustered);
      let withHits = 0;
      for (let i = 0; i < 300; i++) {
        const hits = index.query(q(queries, i), 31);
        const want = linearScan(data, queries, i * HASH_WORDS, 31);
        expect(ids(hits)).toEqual(want);
        for (const h of hits) expect(h.distance).toBe(hammingAt(data, h.materialId * HASH_WORDS, queries, i * HASH_WORDS));
        for (let k = 1; k < hits.length; k++) expect(hits[k].distance).toBeGreaterThanOrEqual(hits[k - 1].distance);
        if (want.length > 0) withHits++;
      }
      // The comparison means something only if many queries do have hits.
      expect(withHits).toBeGreaterThan(100);
    });
  }

  it('at every radius class: below 7 (some tables unused), 7..39 (tables), 40..63 (scan)', async () => {
    const index = await buildIndex(rowsOf(clustered));
    const queries = queriesFor(clustered, 40, rng32(14), true);
    for (const r of [0, 1, 5, 6, 7, 8, 15, 16, 23, 30, 32, 39, 40, 47, 63]) {
      for (let i = 0; i < 40; i++) {
        expect(ids(index.query(q(queries, i), r))).toEqual(linearScan(clustered, queries, i * HASH_WORDS, r));
      }
    }
  });

  it('finds an entry at exactly r bits and not at r + 1, for r = 0..40', async () => {
    const rand = rng32(15);
    const data = randomHashes(8000, rand);
    const index = await buildIndex(rowsOf(data));
    for (let r = 0; r <= 40; r++) {
      const e = rand() % 8000;
      // Flip exactly r + 1 distinct bits; the entry is then r + 1 away.
      const query = data.slice(e * HASH_WORDS, (e + 1) * HASH_WORDS);
      const bits = new Set<number>();
      while (bits.size < r + 1) bits.add(rand() & 255);
      const order = [...bits];
      for (const b of order.slice(0, r)) query[b >>> 5] ^= 1 << (b & 31);
      expect(index.query(query, r).map((h) => h.materialId)).toContain(e);
      const last = order[r];
      query[last >>> 5] ^= 1 << (last & 31);
      expect(index.query(query, r).map((h) => h.materialId)).not.toContain(e);
    }
  });
});

describe('HashIndex adds and removes without a rebuild call', () => {
  it('keeps equal to a linear scan through adds, removes by material and by bank, and compaction', async () => {
    const rand = rng32(21);
    const data = clusteredHashes(30_000, rand);
    const index = await buildIndex(rowsOf(data.subarray(0, 20_000 * HASH_WORDS)));
    const live = new Set<number>(Array.from({ length: 20_000 }, (_, i) => i));
    const queries = queriesFor(data, 60, rng32(22), true);
    const check = (): void => {
      for (let i = 0; i < 60; i++) {
        const want = linearScan(data, queries, i * HASH_WORDS, 31).filter((e) => live.has(e));
        expect(ids(index.query(q(queries, i), 31))).toEqual(want);
      }
      expect(index.size).toBe(live.size);
    };
    check();
    // Adds land in the unsorted tail first, then in the tables once the tail is large.
    for (let i = 20_000; i < 30_000; i++) {
      index.add({ hash: data.subarray(i * HASH_WORDS, (i + 1) * HASH_WORDS), materialId: i, bank: i % 3 });
      live.add(i);
      if (i === 20_500 || i === 29_999) check();
    }
    // Removes: some from the sorted part, some from the tail.
    for (let m = 0; m < 30_000; m += 7) {
      expect(index.removeMaterial(m)).toBe(live.has(m) ? 1 : 0);
      live.delete(m);
    }
    check();
    expect(index.removeMaterials([1, 2, 3, 4])).toBe(4);
    for (const m of [1, 2, 3, 4]) live.delete(m);
    check();
    // Bank 1 holds the adds with i % 3 == 1.
    const inBank1 = [...live].filter((i) => i >= 20_000 && i % 3 === 1);
    expect(index.removeBank(1)).toBe(inBank1.length);
    for (const i of inBank1) live.delete(i);
    check();
    // Remove most entries: the index compacts and still agrees.
    const all = [...live];
    expect(index.removeMaterials(all.slice(0, all.length - 3000))).toBe(all.length - 3000);
    for (const i of all.slice(0, all.length - 3000)) live.delete(i);
    check();
    index.rebuild();
    check();
  });

  it('a removed material is gone in every view and frame, and re-adding brings it back', () => {
    const index = new HashIndex();
    const base = randomHashes(1, rng32(31));
    for (const view of ['orig', 'rot90', 'flipx', 'trim', 'crop:tl']) index.add({ hash: base, materialId: 5, view });
    for (let f = 0; f < 5; f++) index.add({ hash: base, materialId: 6, frameTime: f * 1.5 });
    expect(index.query(base, 0)).toHaveLength(10);
    expect(index.removeMaterial(5)).toBe(5);
    const left = index.query(base, 0);
    expect(left.map((h) => h.materialId)).toEqual([6, 6, 6, 6, 6]);
    expect(left.map((h) => h.frameTime).sort()).toEqual([0, 1.5, 3, 4.5, 6]);
    index.add({ hash: wordsToHex(base), materialId: 5, view: 'crop:tl' });
    expect(index.query(base, 0).filter((h) => h.materialId === 5).map((h) => h.view)).toEqual(['crop:tl']);
  });
});

describe('HashIndex entries', () => {
  it('carry material, bank, view and frame time (to the millisecond) through the index', async () => {
    const rand = rng32(41);
    const data = randomHashes(6000, rand);
    const rows: IndexRow[] = [];
    for (let i = 0; i < 6000; i++) {
      rows.push({
        hash: wordsToHex(data, i * HASH_WORDS),
        materialId: 4_000_000_000 + i,
        bank: i % 200,
        view: i % 2 ? 'rot270' : `crop:r${i % 5}`,
        ...(i % 3 ? { frameTime: i * 0.0375 } : {}),
      });
    }
    async function* stream(): AsyncIterable<IndexRow> {
      for (const r of rows) yield r;
    }
    const index = await buildIndex(stream());
    for (const i of [0, 1, 2, 3, 4999, 5999]) {
      const [hit] = index.query(rows[i].hash, 0);
      expect(hit.materialId).toBe(rows[i].materialId);
      expect(hit.bank).toBe(rows[i].bank);
      expect(hit.view).toBe(rows[i].view);
      expect(hit.frameTime).toBe(rows[i].frameTime === undefined ? undefined : Math.round(rows[i].frameTime! * 1000) / 1000);
      expect(hit.distance).toBe(0);
    }
  });

  it('searches only the banks a per-bank radius names, each within its own radius', async () => {
    const base = hexToWords('a5'.repeat(32));
    const index = new HashIndex();
    const near = (k: number): Uint32Array => {
      const h = base.slice();
      for (let b = 0; b < k; b++) h[b >>> 5] ^= 1 << (b & 31);
      return h;
    };
    index.add({ hash: near(10), materialId: 1, bank: 0 });
    index.add({ hash: near(20), materialId: 2, bank: 1 });
    index.add({ hash: near(30), materialId: 3, bank: 2 });
    expect(index.query(base, [31, 15, 31]).map((h) => h.materialId)).toEqual([1, 3]);
    expect(index.query(base, [-1, 20]).map((h) => h.materialId)).toEqual([2]);
    expect(index.query(base, 25).map((h) => h.materialId)).toEqual([1, 2]);
  });

  it('refuses bad input with a sentence and keeps what it holds', () => {
    const index = new HashIndex();
    const h = randomHashes(1, rng32(51));
    index.add({ hash: h, materialId: 1 });
    expect(() => index.add({ hash: 'xyz', materialId: 2 })).toThrow(/must be 64 hex digits/);
    expect(() => index.add({ hash: new Uint32Array(4), materialId: 2 })).toThrow(/Uint32Array of 8 words/);
    expect(() => index.add({ hash: h, materialId: -1 })).toThrow(/materialId must be an integer/);
    expect(() => index.add({ hash: h, materialId: 2 ** 32 })).toThrow(/materialId must be an integer/);
    expect(() => index.add({ hash: h, materialId: 2, bank: 255 })).toThrow(/bank id must be an integer from 0 to 254/);
    expect(() => index.add({ hash: h, materialId: 2, frameTime: -1 })).toThrow(/frameTime must be a number of seconds/);
    expect(() => index.add({ hash: h, materialId: 2, frameTime: NaN })).toThrow(/frameTime/);
    expect(() => index.add({ hash: h, materialId: 2, view: 'no spaces' })).toThrow(/view label must be/);
    expect(() => index.query(h, 64)).toThrow(/radius must be an integer from 0 to 63/);
    expect(() => index.query(h, -1)).toThrow(/radius/);
    expect(() => index.query(h, 3.5)).toThrow(/radius/);
    expect(index.size).toBe(1);
    expect(index.query(h, 0).map((x) => x.materialId)).toEqual([1]);
  });

  it('names the failing row when a stream carries a bad one', async () => {
    const rows: IndexRow[] = [
      { hash: 'ab'.repeat(32), materialId: 1 },
      { hash: 'ab'.repeat(31), materialId: 2 },
    ];
    await expect(buildIndex(rows)).rejects.toThrow(/Row 2 of the index's input cannot be indexed: A 256-bit hash must be 64 hex digits/);
    // Pages of rows count rows, not pages.
    await expect(buildIndex([[rows[0], rows[0]], [rows[0], rows[1]]])).rejects.toThrow(/Row 4 of the index's input/);
  });

  it('builds the same index from pages of rows as from single rows', async () => {
    const data = clusteredHashes(9000, rng32(45));
    const rows = [...rowsOf(data)];
    async function* pages(): AsyncIterable<IndexRow[]> {
      for (let i = 0; i < rows.length; i += 1000) yield rows.slice(i, i + 1000);
    }
    const a = await buildIndex(pages(), undefined, { expectedRows: rows.length });
    const b = await buildIndex(rows);
    expect(a.size).toBe(9000);
    const queries = queriesFor(data, 30, rng32(46), true);
    for (let i = 0; i < 30; i++) expect(ids(a.query(q(queries, i), 31))).toEqual(ids(b.query(q(queries, i), 31)));
  });

  it('stays under 96 bytes per entry, all arrays counted, after a bulk load', async () => {
    // At 600k the fixed costs (2 MB of bucket offsets) are already small; the bench measures 10M.
    const n = 600_000;
    const data = randomHashes(n, rng32(61));
    const index = await buildIndex(rowsOf(data));
    const perEntry = index.memoryBytes() / n;
    // 42 B of columns + 8 tables x (5 B + ~1 B of filter) = ~90 B, plus 2 MB of bucket offsets.
    expect(perEntry).toBeLessThanOrEqual(96);
    expect(perEntry).toBeGreaterThanOrEqual(90);
    // One more query to show the memory figure is of a working index.
    expect(index.query(data.subarray(0, HASH_WORDS), 0).map((h) => h.materialId)).toEqual([0]);
  });
});

describe('HashIndex on real PDQ hashes (vPDQ frames of the reference videos)', () => {
  it('agrees with a linear scan', async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    const dir = join(VECTORS_DIR, 'vpdq/expected');
    // The shared vectors are part of every checkout's surroundings here (and of CI): absent is a failure.
    const files = (await readdir(dir)).filter((f) => f.endsWith('.txt') && f !== 'README.md');
    expect(files.length, `no vPDQ reference files in ${dir}`).toBeGreaterThan(0);
    const hexes: string[] = [];
    for (const f of files) {
      for (const line of (await readFile(join(dir, f), 'utf8')).split('\n')) {
        const hex = line.split(',')[2];
        if (hex && /^[0-9a-f]{64}$/.test(hex)) hexes.push(hex);
      }
    }
    expect(hexes.length).toBeGreaterThan(5000);
    const data = new Uint32Array(hexes.length * HASH_WORDS);
    hexes.forEach((h, i) => hexToWords(h, data, i * HASH_WORDS));
    const index = await buildIndex(rowsOf(data));
    const rand = rng32(71);
    for (let k = 0; k < 150; k++) {
      const query = data.slice(0, HASH_WORDS);
      const e = rand() % hexes.length;
      query.set(data.subarray(e * HASH_WORDS, (e + 1) * HASH_WORDS));
      flipBits(query, 0, rand() % 16, rand);
      expect(ids(index.query(query, 31))).toEqual(linearScan(data, query, 0, 31));
    }
  });
});
