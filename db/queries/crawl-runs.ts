/** Queries on crawl runs and their persisted frontier (db/migrations/100-crawler.sql). */
import { sqlState, type Sql } from '../sql.ts';

export interface RunRow {
  id: string;
  site_id: string;
  status: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  trigger: 'manual' | 'schedule';
  attempts: number;
  stats: Record<string, number>;
  error: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

/**
 * Creates a queued run for the site, unless it already has a queued or running one (the unique index
 * crawl_runs_one_active decides, so two schedulers or CLIs racing cannot both win): then returns that one
 * with `created: false`.
 */
export async function createRun(sql: Sql, siteId: string, trigger: RunRow['trigger']): Promise<{ run: RunRow; created: boolean }> {
  try {
    const [run] = await sql.query<RunRow>('INSERT INTO crawl_runs (site_id, trigger) VALUES ($1, $2) RETURNING *', [siteId, trigger]);
    return { run, created: true };
  } catch (err) {
    if (sqlState(err) !== '23505') throw err;
    const [run] = await sql.query<RunRow>(`SELECT * FROM crawl_runs WHERE site_id = $1 AND status IN ('queued', 'running')`, [siteId]);
    if (!run) throw err;
    return { run, created: false };
  }
}

export async function selectRun(sql: Sql, runId: string): Promise<RunRow | null> {
  const [row] = await sql.query<RunRow>('SELECT * FROM crawl_runs WHERE id = $1', [runId]);
  return row ?? null;
}

/** Marks a worker's (re)start of the run and hands back what a dead worker had claimed. */
export async function startRunAttempt(sql: Sql, runId: string): Promise<RunRow | null> {
  return sql.transaction(async (tx) => {
    const [row] = await tx.query<RunRow>(
      `UPDATE crawl_runs SET status = 'running', attempts = attempts + 1, started_at = coalesce(started_at, now())
       WHERE id = $1 AND status IN ('queued', 'running') RETURNING *`,
      [runId],
    );
    if (row) await tx.query(`UPDATE crawl_frontier SET state = 'pending' WHERE run_id = $1 AND state = 'claimed'`, [runId]);
    return row ?? null;
  });
}

export async function finishRun(sql: Sql, runId: string, status: 'done' | 'failed' | 'cancelled', stats: object, error: string | null): Promise<void> {
  await sql.query('UPDATE crawl_runs SET status = $2, stats = $3::jsonb, error = $4, finished_at = now() WHERE id = $1', [runId, status, JSON.stringify(stats), error]);
}

export async function saveRunStats(sql: Sql, runId: string, stats: object): Promise<void> {
  await sql.query('UPDATE crawl_runs SET stats = $2::jsonb WHERE id = $1', [runId, JSON.stringify(stats)]);
}

export async function latestRuns(sql: Sql, siteId: string, limit = 5): Promise<RunRow[]> {
  return sql.query<RunRow>('SELECT * FROM crawl_runs WHERE site_id = $1 ORDER BY created_at DESC LIMIT $2', [siteId, limit]);
}

export interface FrontierRow {
  url: string;
  depth: number;
  thumbnail: boolean;
}

export async function addFrontier(sql: Sql, runId: string, entries: ReadonlyArray<{ url: string; depth: number; thumbnail?: boolean }>): Promise<number> {
  if (entries.length === 0) return 0;
  const rows = await sql.query(
    `INSERT INTO crawl_frontier (run_id, url, depth, thumbnail)
     SELECT $1, u, d, t FROM unnest($2::text[], $3::int[], $4::bool[]) AS x(u, d, t)
     ON CONFLICT (run_id, url) DO NOTHING RETURNING 1`,
    [runId, entries.map((e) => e.url), entries.map((e) => e.depth), entries.map((e) => Boolean(e.thumbnail))],
  );
  return rows.length;
}

/** Claims up to `n` pending entries, shallowest first; SKIP LOCKED lets workers claim side by side. */
export async function claimFrontier(sql: Sql, runId: string, n: number): Promise<FrontierRow[]> {
  return sql.query<FrontierRow>(
    `UPDATE crawl_frontier f SET state = 'claimed'
     FROM (SELECT url FROM crawl_frontier WHERE run_id = $1 AND state = 'pending' ORDER BY depth, seq LIMIT $2 FOR UPDATE SKIP LOCKED) c
     WHERE f.run_id = $1 AND f.url = c.url
     RETURNING f.url, f.depth, f.thumbnail`,
    [runId, n],
  );
}

export async function finishFrontier(sql: Sql, runId: string, url: string, state: 'done' | 'failed' | 'skipped'): Promise<void> {
  await sql.query('UPDATE crawl_frontier SET state = $3 WHERE run_id = $1 AND url = $2', [runId, url, state]);
}

export async function countFrontierStarted(sql: Sql, runId: string): Promise<number> {
  const [row] = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM crawl_frontier WHERE run_id = $1 AND state IN ('claimed', 'done', 'failed')`, [runId]);
  return row.n;
}

export async function frontierStates(sql: Sql, runId: string): Promise<Record<string, number>> {
  const rows = await sql.query<{ state: string; n: number }>('SELECT state, count(*)::int AS n FROM crawl_frontier WHERE run_id = $1 GROUP BY state', [runId]);
  return Object.fromEntries(rows.map((r) => [r.state, r.n]));
}
