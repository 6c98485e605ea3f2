import { HashIndex, type IndexEntry } from './hash-index.ts';

/** A row as the data layer streams it from the database. */
export type IndexRow = IndexEntry;

/**
 * Builds an index from a stream of rows (the database is the source of truth), sorts it once, and drops
 * spare capacity, so the first query does not pay for the build. Pass `into` to fill an existing index
 * (e.g. BankSet's). `expectedRows` (e.g. from a count query) sizes the arrays once instead of growing them.
 */
export async function buildIndex(
  rows: AsyncIterable<IndexRow> | Iterable<IndexRow>,
  into: HashIndex = new HashIndex(),
  options: { expectedRows?: number } = {},
): Promise<HashIndex> {
  if (options.expectedRows !== undefined) into.reserve(into.size + options.expectedRows);
  let n = 0;
  for await (const row of rows) {
    try {
      into.add(row);
    } catch (err) {
      throw new Error(`Row ${n + 1} of the index's input cannot be indexed: ${(err as Error).message}`, { cause: err });
    }
    n++;
  }
  into.rebuild();
  into.trim();
  return into;
}
