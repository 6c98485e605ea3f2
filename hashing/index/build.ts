import { HashIndex, type IndexEntry } from './hash-index.ts';

/** A row as the data layer streams it from the database. */
export type IndexRow = IndexEntry;

/**
 * Builds an index from a stream of rows (the database is the source of truth), sorts it once, and drops
 * spare capacity, so the first query does not pay for the build. The stream may yield single rows or
 * arrays of rows (a page from a cursor): arrays spare one await per row, which is most of the cost of
 * streaming 10M rows. Pass `into` to fill an existing index (e.g. BankSet's). `expectedRows` (e.g. from a
 * count query) sizes the arrays once instead of growing them.
 */
export async function buildIndex(
  rows: AsyncIterable<IndexRow | readonly IndexRow[]> | Iterable<IndexRow | readonly IndexRow[]>,
  into: HashIndex = new HashIndex(),
  options: { expectedRows?: number } = {},
): Promise<HashIndex> {
  if (options.expectedRows !== undefined) into.reserve(into.size + options.expectedRows);
  let n = 0;
  const add = (row: IndexRow): void => {
    try {
      into.add(row);
    } catch (err) {
      throw new Error(`Row ${n + 1} of the index's input cannot be indexed: ${(err as Error).message}`, { cause: err });
    }
    n++;
  };
  for await (const item of rows) {
    if (Array.isArray(item)) for (const row of item as readonly IndexRow[]) add(row);
    else add(item as IndexRow);
  }
  into.rebuild();
  into.trim();
  return into;
}
