/** The only module that imports `pg`: PostgreSQL servers, and the embedded database's gateway socket. */
import pg from 'pg';
import type { Sql, SqlValue } from './sql.ts';
import { asDatabaseError, driverCall } from './sql.ts';

// int8 (counts, sequences) as numbers: our values stay far below 2^53.
pg.types.setTypeParser(20, (v: string) => Number(v));

export interface PostgresOptions {
  connectionString?: string;
  /** For a unix socket: the directory holding `.s.PGSQL.<port>`. */
  host?: string;
  port?: number;
  user?: string;
  database?: string;
  max?: number;
  kind?: Sql['kind'];
  applicationName?: string;
  /** Told when an idle connection fails (default: one line on stderr). */
  onIdleError?: (err: Error) => void;
}

function defaultIdleError(err: Error): void {
  process.stderr.write(`staydown: an idle PostgreSQL connection failed (${err.message}); the next query reconnects.\n`);
}

function toParams(values: readonly SqlValue[] | undefined): unknown[] | undefined {
  return values ? values.map((v) => (v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v) : v)) : undefined;
}

function clientSql(client: pg.PoolClient, kind: Sql['kind']): Sql {
  // One connection runs one statement at a time. Callers may start several at once inside a
  // transaction (Promise.all over a few reads): they are queued here, in order, a failed one not
  // stopping the next. pg queued them itself, deprecated since 8.x and removed in pg 9.
  let tail: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(run: () => Promise<T>): Promise<T> => {
    const turn = tail.then(run, run);
    tail = turn.catch(() => {});
    return turn;
  };
  const sql: Sql = {
    kind,
    query: <R>(text: string, values?: readonly SqlValue[]) => inTurn(() => driverCall(async () => (await client.query(text, toParams(values))).rows as R[])),
    script: (text: string) => inTurn(() => driverCall(async () => void (await client.query(text)))),
    // Nested transactions run inside the outer one: savepoints are not needed by any caller yet.
    transaction: (fn) => fn(sql),
    close: async () => {},
  };
  return sql;
}

export function openPostgres(opts: PostgresOptions): Sql {
  const kind = opts.kind ?? 'postgres';
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    host: opts.host,
    port: opts.port,
    user: opts.user,
    database: opts.database,
    max: opts.max ?? 5,
    application_name: opts.applicationName ?? 'staydown',
    idleTimeoutMillis: 10_000,
  });
  // An idle client losing its connection must not crash the process (the next query reconnects), but it
  // is worth a line in the log: a database restarting or a network dropping connections shows here.
  pool.on('error', (err) => (opts.onIdleError ?? defaultIdleError)(err));
  return {
    kind,
    query: <R>(text: string, values?: readonly SqlValue[]) => driverCall(async () => (await pool.query(text, toParams(values) as unknown[])).rows as R[]),
    script: (text: string) => driverCall(async () => void (await pool.query(text))),
    async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
      const client = await driverCall(() => pool.connect());
      try {
        await client.query('BEGIN');
        const result = await fn(clientSql(client, kind));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw asDatabaseError(err);
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
