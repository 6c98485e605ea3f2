/**
 * The one SQL seam (STYLE.md habit 5). Queries elsewhere in `db/` are named functions taking a `Sql`;
 * only `db/postgres.ts` imports `pg` and only `db/pglite.ts` imports PGlite. Both return rows with the
 * same JavaScript types: int8 as number, bytea as Buffer, timestamptz as Date, jsonb parsed.
 */
export type SqlValue = string | number | boolean | null | Date | Buffer | Uint8Array | readonly unknown[] | undefined;

export interface Sql {
  /** Which database this is: a PostgreSQL server, or the embedded PGlite (directly or through the gateway). */
  readonly kind: 'postgres' | 'pglite' | 'pglite-gateway';
  query<R = Record<string, unknown>>(text: string, values?: readonly SqlValue[]): Promise<R[]>;
  /** Runs a script of several statements without parameters (migrations). */
  script(text: string): Promise<void>;
  /** Runs `fn` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** An error from the database, with PostgreSQL's SQLSTATE `code` when there is one. */
export class DatabaseError extends Error {
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function sqlState(err: unknown): string | undefined {
  if (err instanceof DatabaseError) return err.code;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A driver's error as ours: database errors (a five-character SQLSTATE) become DatabaseError; others pass. */
export function asDatabaseError(err: unknown): Error {
  const e = err as { message?: string; code?: string };
  if (e && !(err instanceof DatabaseError) && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && typeof e.message === 'string') {
    return new DatabaseError(e.message, e.code, { cause: err });
  }
  return err as Error;
}

/** Runs one driver call, turning its database errors into DatabaseError (the drivers' shared wrapper). */
export async function driverCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw asDatabaseError(err);
  }
}
