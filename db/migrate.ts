/**
 * Numbered plain-SQL migrations (`db/migrations/NNN-name.sql`), applied in numeric order, each in its
 * own transaction together with its row in `schema_migrations`. Numbers are owned by area: 001-099 the
 * service, 100-199 the crawler, 200+ later work. A transaction-scoped advisory lock keeps two processes
 * starting at once from applying the same file twice.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Sql } from './sql.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
const MIGRATION_LOCK = 7_340_001;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function listMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const found = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .map((file) => {
      const m = /^(\d+)-([a-z0-9-]+)\.sql$/.exec(file);
      if (!m) throw new Error(`The migration file '${file}' must be named NNN-name.sql (digits, a dash, lowercase words).`);
      return { version: Number(m[1]), name: file, sql: readFileSync(`${dir}/${file}`, 'utf8') };
    })
    .sort((a, b) => a.version - b.version);
  for (let i = 1; i < found.length; i++) {
    if (found[i].version === found[i - 1].version) {
      throw new Error(`Two migrations share the number ${found[i].version}: '${found[i - 1].name}' and '${found[i].name}'; renumber one.`);
    }
  }
  return found;
}

/** Applies every migration not yet recorded; returns the names applied now. */
export async function migrate(sql: Sql, dir?: string): Promise<string[]> {
  const migrations = listMigrations(dir);
  await sql.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
  });
  const applied: string[] = [];
  for (const m of migrations) {
    const done = await sql.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      const rows = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version]);
      if (rows.length > 0) return false;
      try {
        await tx.script(m.sql);
      } catch (err) {
        throw new Error(`The migration '${m.name}' failed: ${(err as Error).message}`, { cause: err });
      }
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      return true;
    });
    if (done) applied.push(m.name);
  }
  return applied;
}

export async function appliedMigrations(sql: Sql): Promise<Array<{ version: number; name: string }>> {
  return sql.query('SELECT version, name FROM schema_migrations ORDER BY version');
}
