/**
 * The match index: every bank hash within Hamming distance r of a query hash, exactly.
 *
 * Every image and sampled video frame the crawlers find is a query against all banks, which hold millions
 * of 256-bit PDQ hashes. A missed match is a victim's image left online, so the search is exact - it
 * returns what comparing the query with every entry would - but it reads only a few thousand bytes of
 * tables and ~100 full hashes per query instead of all of them.
 *
 * How: multi-index hashing over the hash's eight 32-bit words (word-tables.ts). If two hashes differ in
 * at most r bits, at least one word differs in at most floor((r + 1) / 8) - 1 bits (3 for r = 31), so
 * looking up each word's near neighbours in a table sorted by that word finds every hit. Radii of 40..63
 * bits are answered by a linear scan (exact; a linear scan's cost, 0.1-0.2 s at 10M entries here).
 *
 * Memory: 42 B of entry columns + 8 tables x 6 B = 90 B per entry (+ up to 10% growth slack on the
 * columns after incremental adds, + 2 MB of bucket offsets). No JS object per entry.
 *
 * Usage:
 *
 *   import { BankSet, buildIndex, HashIndex } from '../hashing/index/index.ts';
 *
 *   // One bank, built from the database's rows (an async iterable), then kept fresh:
 *   const index = await buildIndex(rowsFromDb);            // rows: { hash, materialId, bank?, view?, frameTime? }
 *   index.add({ hash: 'f8f8...', materialId: 42, view: 'rot90' });
 *   index.removeMaterial(42);
 *   index.query('f8f8...', 31);                             // [{ materialId, bank, view, frameTime?, distance }]
 *
 *   // Several banks with their own radius, and an allowlist checked in the same query:
 *   const banks = new BankSet([
 *     { name: 'cases', radius: 31 },
 *     { name: 'stopncii', radius: 28 },
 *     { name: 'allow', radius: 20, allowlist: true },
 *   ]);
 *   await banks.load(rowsWithBankNames);                    // rows: { hash, materialId, bank: 'cases', ... }
 *   const { hits, allowlisted, alert } = banks.query(hash); // alert is false when an allowlisted hash is near
 *
 * Adds and removes never need a rebuild call: added entries are searched by a short linear pass until the
 * next query finds the unsorted tail larger than 1/32 of the index and re-sorts (a blocking ~1-2 s at 10M
 * entries); removed entries are tombstoned and compacted away in the same way.
 */
export { HashIndex, DEFAULT_RADIUS, MAX_RADIUS } from './hash-index.ts';
export type { Hit, IndexEntry, QueryRadius } from './hash-index.ts';
export { BankSet } from './banks.ts';
export type { BankConfig, BankHit, BankQueryResult, BankRow } from './banks.ts';
export { buildIndex } from './build.ts';
export type { IndexRow } from './build.ts';
export { FIXED_VIEWS, ViewTable } from './view-codes.ts';
export { MAX_BANK } from './entry-store.ts';
