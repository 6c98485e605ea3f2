/**
 * The only module that imports PGlite: the embedded database in the data directory.
 *
 * PGlite is one Postgres backend in this process. Everything that talks to it - this process's own
 * queries and the gateway's socket clients - takes the same `Mutex` for a whole unit of work (a query,
 * or a transaction from BEGIN to COMMIT), so units never interleave inside the single backend.
 */
import { PGlite } from '@electric-sql/pglite';
import { Mutex } from './mutex.ts';
import type { Sql, SqlValue } from './sql.ts';
import { driverCall } from './sql.ts';

export interface EmbeddedDatabase {
  sql: Sql;
  /** Serialises every unit of work on the backend; the gateway takes it too. */
  mutex: Mutex;
  /** Raw wire-protocol access for the gateway (callers must hold the mutex). */
  execProtocolRawStream(message: Uint8Array, onData: (data: Uint8Array) => void): Promise<void>;
  isInTransaction(): boolean;
  close(): Promise<void>;
}

const parsers = {
  20: (v: string) => Number(v), // int8
  17: (v: string) => Buffer.from(v.startsWith('\\x') ? v.slice(2) : v, 'hex'), // bytea, hex output format
};

interface Queryable {
  query<T>(text: string, params?: unknown[]): Promise<{ rows: T[] }>;
  exec(text: string): Promise<unknown>;
}

function params(values: readonly SqlValue[] | undefined): unknown[] | undefined {
  return values?.map((v) => (v instanceof Date ? v.toISOString() : v));
}

function txSql(tx: Queryable): Sql {
  const sql: Sql = {
    kind: 'pglite',
    query: <R>(text: string, values?: readonly SqlValue[]) => driverCall(async () => (await tx.query<R>(text, params(values))).rows),
    script: (text: string) => driverCall(async () => void (await tx.exec(text))),
    transaction: (fn) => fn(sql),
    close: async () => {},
  };
  return sql;
}

/** Shared buffers of the embedded database (see openPglite). */
export const SHARED_BUFFERS = '32MB';

export async function openPglite(dataDir: string): Promise<EmbeddedDatabase> {
  // PostgreSQL's shared buffers live inside PGlite's WebAssembly memory, which never shrinks: the
  // default 128 MB is most of a process's resident size. 32 MB still holds this service's working set:
  // bench:takedown (600 notices) peaked at 568 MB RSS with 128 MB and 416-447 MB with 32 MB, delivering
  // 96-109 notices/s either way.
  const db = await PGlite.create(dataDir, { parsers, startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${SHARED_BUFFERS}`] });
  const mutex = new Mutex();
  const sql: Sql = {
    kind: 'pglite',
    query: (text, values) => mutex.run(() => txSql(db).query(text, values)),
    script: (text) => mutex.run(() => txSql(db).script(text)),
    // A turn of the event loop before each transaction: PGlite runs a query synchronously and resolves it
    // as a microtask, so a burst of transactions (a batch of approvals) would otherwise starve every
    // socket in the process - the SMTP and webhook replies of the deliveries running meanwhile, the API.
    transaction: (fn) =>
      mutex.run(async () => {
        await new Promise<void>((r) => setImmediate(r));
        return driverCall(() => db.transaction((tx) => fn(txSql(tx))));
      }),
    close: async () => {},
  };
  return {
    sql,
    mutex,
    execProtocolRawStream: (message, onData) => db.execProtocolRawStream(message, { onRawData: onData }),
    isInTransaction: () => db.isInTransaction(),
    close: () => mutex.run(() => db.close()),
  };
}
