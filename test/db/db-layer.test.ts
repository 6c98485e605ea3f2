import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { useTestDatabase } from '../support/db.ts';
import { useTempDir } from '../support/tmp.ts';
import { appliedMigrations, listMigrations, migrate } from '../../db/migrate.ts';
import { openDatabase, embeddedPaths } from '../../db/connect.ts';
import { SHARED_BUFFERS } from '../../db/pglite.ts';
import { statSync, existsSync } from 'node:fs';

const db = useTestDatabase('db_layer');
const tmp = useTempDir('dblayer');

describe('migrations on PostgreSQL', () => {
  it('applies every migration file once, in numeric order, and records it', async () => {
    const { sql } = db();
    const files = listMigrations();
    const recorded = await appliedMigrations(sql);
    expect(recorded.map((r) => r.name)).toEqual(files.map((f) => f.name));
    expect(await migrate(sql)).toEqual([]);
  });

  it('refuses to update or delete audit rows', async () => {
    const { sql } = db();
    await sql.query(`INSERT INTO audit_log (seq, at, actor, action, record_type, source, prev_hash, hash)
      VALUES (1000, now(), 'test', 'test', 'test', 'test', 'x', 'y')`);
    await expect(sql.query('UPDATE audit_log SET actor = $1 WHERE seq = 1000', ['evil'])).rejects.toThrow(/append-only/);
    await expect(sql.query('DELETE FROM audit_log WHERE seq = 1000')).rejects.toThrow(/append-only/);
    await expect(sql.query('TRUNCATE audit_log')).rejects.toThrow(/append-only/);
  });

  it('runs statements started together inside a transaction one after another, in order, without pg\'s deprecated queue', async () => {
    const { sql } = db();
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      // Started together, they still run in the order given: the statement after a failed one fails with
      // the aborted transaction, and the one before it had run.
      const settled = await sql.transaction(async (tx) => {
        await tx.query(`CREATE TEMP TABLE turn_order (n int) ON COMMIT DROP`);
        return Promise.allSettled([tx.query('INSERT INTO turn_order (n) VALUES (1) RETURNING n'), tx.query('SELECT 1 FROM no_such_table'), tx.query('SELECT count(*) FROM turn_order')]);
      }).catch((err: Error) => err);
      expect(settled).not.toBeInstanceOf(Error);
      const [first, second, third] = settled as PromiseSettledResult<unknown>[];
      expect(first).toEqual({ status: 'fulfilled', value: [{ n: 1 }] });
      expect(second.status === 'rejected' && String(second.reason.message)).toMatch(/no_such_table/);
      expect(third.status === 'rejected' && String(third.reason.message)).toMatch(/current transaction is aborted/);
      const counts = await sql.transaction(async (tx) => {
        await tx.query(`CREATE TEMP TABLE turn_order2 (n int) ON COMMIT DROP`);
        await Promise.all(Array.from({ length: 8 }, (_, n) => tx.query('INSERT INTO turn_order2 (n) VALUES ($1)', [n])));
        return Promise.all([tx.query<{ c: number }>('SELECT count(*)::int AS c FROM turn_order2'), tx.query<{ n: number }>('SELECT n FROM turn_order2 ORDER BY n')]);
      });
      expect(counts[0]).toEqual([{ c: 8 }]);
      expect(counts[1].map((r) => r.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((m) => /already executing a query/.test(m))).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('runs a transaction as one unit: a failure rolls everything back', async () => {
    const { sql } = db();
    await expect(
      sql.transaction(async (tx) => {
        await tx.query(`INSERT INTO service_meta (key, value) VALUES ('tx-test', 'x')`);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await sql.query(`SELECT 1 FROM service_meta WHERE key = 'tx-test'`)).toEqual([]);
  });
});

// PGlite is Postgres compiled to WebAssembly: opening a new data directory runs initdb in WASM, which
// takes 5-15 s alone and several times that on a machine busy with other tests.
const PGLITE_TIMEOUT = 240_000;

describe('embedded database (PGlite) and its gateway', () => {
  it('migrates, serves other connections through a 0600 socket, and keeps their transactions apart', { timeout: PGLITE_TIMEOUT }, async () => {
    const dataDir = join(tmp(), 'data');
    const server = await openDatabase({ databaseUrl: undefined, dataDir }, { serve: true });
    try {
      expect(server.sql.kind).toBe('pglite');
      // The embedded server runs with the smaller buffer pool (its WebAssembly memory never shrinks).
      expect(await server.sql.query<{ shared_buffers: string }>('SHOW shared_buffers')).toEqual([{ shared_buffers: SHARED_BUFFERS }]);
      await migrate(server.sql);
      const paths = embeddedPaths(dataDir);
      expect(statSync(paths.socket).mode & 0o777).toBe(0o600);

      const client = await openDatabase({ databaseUrl: undefined, dataDir });
      const client2 = await openDatabase({ databaseUrl: undefined, dataDir });
      try {
        expect(client.sql.kind).toBe('pglite-gateway');
        // Two transactions in flight from two connections plus in-process queries: each sees only its own
        // uncommitted row, and both commit.
        let b: Promise<Array<{ key: string }>> | undefined;
        let c: Promise<unknown> | undefined;
        const a = client.sql.transaction(async (tx) => {
          await tx.query(`INSERT INTO service_meta (key, value) VALUES ($1, $2)`, ['a', '1']);
          // Other connections start now; several round trips give them every chance to interleave.
          b = client2.sql.query<{ key: string }>(`INSERT INTO service_meta (key, value) VALUES ($1, $2) RETURNING key`, ['b', '2']);
          c = server.sql.query(`INSERT INTO service_meta (key, value) VALUES ($1, $2)`, ['c0', '2']);
          for (let i = 0; i < 5; i++) await tx.query('SELECT $1::int', [i]);
          const seen = await tx.query<{ key: string }>(`SELECT key FROM service_meta WHERE key IN ('a','b','c0') ORDER BY key`);
          return seen.map((r) => r.key);
        });
        expect(await a).toEqual(['a']);
        expect((await b!)[0]).toEqual({ key: 'b' });
        await c!;
        const all = await client2.sql.query<{ key: string }>(`SELECT key FROM service_meta WHERE key IN ('a','b') ORDER BY key`);
        expect(all.map((r) => r.key)).toEqual(['a', 'b']);
        // A failed statement inside a client's transaction rolls it back without disturbing the others.
        await expect(client.sql.transaction(async (tx) => {
          await tx.query(`INSERT INTO service_meta (key, value) VALUES ('c', '3')`);
          await tx.query(`INSERT INTO service_meta (key, value) VALUES ('c', '3')`);
        })).rejects.toMatchObject({ code: '23505' });
        expect(await server.sql.query(`SELECT 1 FROM service_meta WHERE key = 'c'`)).toEqual([]);
      } finally {
        await client.close();
        await client2.close();
      }
    } finally {
      await server.close();
    }
    expect(existsSync(embeddedPaths(dataDir).lock)).toBe(false);
  });
});
