/**
 * Each test file gets its own schema on the run's PostgreSQL server (test/global-setup.ts), with every
 * migration applied. The schema is dropped when the file's tests all pass and kept (its name printed)
 * when one fails, so the data can be looked at.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, inject } from 'vitest';
import { openPostgres } from '../../db/postgres.ts';
import { migrate } from '../../db/migrate.ts';
import type { Sql } from '../../db/sql.ts';

export interface TestDatabase {
  /** A connection string whose sessions use this file's schema (pass it as DATABASE_URL to children). */
  url: string;
  schema: string;
  /** A pool on the schema, migrated. */
  sql: Sql;
  /** A superuser pool on the schema, for tampering like an attacker with database access would. */
  admin: Sql;
}

export function schemaUrl(baseUrl: string, schema: string): string {
  const u = new URL(baseUrl);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

/** Call at the top of a test file; the returned getter is valid inside tests and hooks. */
export function useTestDatabase(label: string): () => TestDatabase {
  let db: TestDatabase | undefined;
  let failed = false;
  beforeAll(async () => {
    const base = inject('databaseUrl');
    const schema = `t_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
    const setup = openPostgres({ connectionString: base, max: 1 });
    await setup.query(`CREATE SCHEMA ${schema}`);
    await setup.close();
    const url = schemaUrl(base, schema);
    const sql = openPostgres({ connectionString: url });
    await migrate(sql);
    db = { url, schema, sql, admin: openPostgres({ connectionString: url, max: 1 }) };
  });
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') failed = true;
  });
  afterAll(async () => {
    if (!db) return;
    await db.sql.close();
    await db.admin.close();
    if (failed) {
      process.stderr.write(`test schema kept for inspection: ${db.schema}\n`);
      return;
    }
    const cleanup = openPostgres({ connectionString: inject('databaseUrl'), max: 1 });
    await cleanup.query(`DROP SCHEMA ${db.schema} CASCADE`);
    await cleanup.close();
  });
  return () => {
    if (!db) throw new Error('The test database is only available inside tests and hooks of the file that called useTestDatabase().');
    return db;
  };
}
