/** The only module that imports `pg`: PostgreSQL servers, and the embedded database's gateway socket. */
import pg from 'pg';
import type { Sql, SqlValue } from './sql.ts';
import { DatabaseError } from './sql.ts';

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
}

function wrapError(err: unknown): Error {
  const e = err as { message?: string; code?: string };
  // Only database errors (a five-character SQLSTATE); our own errors pass through unchanged.
  if (e && !(err instanceof DatabaseError) && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && typeof e.message === 'string') {
    return new DatabaseError(e.message, e.code, { cause: err });
  }
  return err as Error;
}

function toParams(values: readonly SqlValue[] | undefined): unknown[] | undefined {
  return values ? values.map((v) => (v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v) : v)) : undefined;
}

function clientSql(client: pg.PoolClient, kind: Sql['kind']): Sql {
  const sql: Sql = {
    kind,
    async query<R>(text: string, values?: readonly SqlValue[]) {
      try {
        const r = await client.query(text, toParams(values));
        return r.rows as R[];
      } catch (err) {
        throw wrapError(err);
      }
    },
    // Nested transactions run inside the outer one: savepoints are not needed by any caller yet.
    async script(text: string) {
      try {
        await client.query(text);
      } catch (err) {
        throw wrapError(err);
      }
    },
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
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  return {
    kind,
    async query<R>(text: string, values?: readonly SqlValue[]) {
      try {
        const r = await pool.query(text, toParams(values) as unknown[]);
        return r.rows as R[];
      } catch (err) {
        throw wrapError(err);
      }
    },
    async script(text: string) {
      try {
        await pool.query(text);
      } catch (err) {
        throw wrapError(err);
      }
    },
    async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw wrapError(err);
      }
      try {
        await client.query('BEGIN');
        const result = await fn(clientSql(client, kind));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw wrapError(err);
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
