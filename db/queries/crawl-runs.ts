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
  lease_owner: string | null;
  lease_expires_at: Date | null;
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

export type RunAttempt = { started: true; run: RunRow } | { started: false; run: RunRow | null };

/**
 * A worker's (re)start of the run: takes the run's lease for `leaseSeconds` unless another worker holds a
 * live one, and hands back to the frontier what a dead worker had claimed. `started: false` with the run
 * means it is finished or leased by another worker; with null, that there is no such run.
 */
export async function startRunAttempt(sql: Sql, runId: string, owner: string, leaseSeconds: number): Promise<RunAttempt> {
  return sql.transaction(async (tx) => {
    const [row] = await tx.query<RunRow>(
      `UPDATE crawl_runs SET status = 'running', attempts = attempts + 1, started_at = coalesce(started_at, now()),
         lease_owner = $2, lease_expires_at = now() + make_interval(secs => $3)
       WHERE id = $1 AND status IN ('queued', 'running') AND (lease_expires_at IS NULL OR lease_expires_at <= now() OR lease_owner = $2)
       RETURNING *`,
      [runId, owner, leaseSeconds],
    );
    if (!row) {
      const [existing] = await tx.query<RunRow>('SELECT * FROM crawl_runs WHERE id = $1', [runId]);
      return { started: false, run: existing ?? null };
    }
    await tx.query(`UPDATE crawl_frontier SET state = 'pending' WHERE run_id = $1 AND state = 'claimed'`, [runId]);
    return { started: true, run: row };
  });
}

/** Extends the owner's lease; false when the lease was lost (it lapsed and another worker took the run). */
export async function renewRunLease(sql: Sql, runId: string, owner: string, leaseSeconds: number): Promise<boolean> {
  const rows = await sql.query(
    `UPDATE crawl_runs SET lease_expires_at = now() + make_interval(secs => $3)
     WHERE id = $1 AND lease_owner = $2 AND status = 'running' RETURNING 1`,
    [runId, owner, leaseSeconds],
  );
  return rows.length === 1;
}

/** Gives the lease up at once (a worker stopping mid-run), so the run can be resumed without waiting. */
export async function releaseRunLease(sql: Sql, runId: string, owner: string): Promise<void> {
  await sql.query('UPDATE crawl_runs SET lease_expires_at = now() WHERE id = $1 AND lease_owner = $2', [runId, owner]);
}

/** Ends the run, if `owner` still holds it; false when another worker has taken it over. */
export async function finishRun(sql: Sql, runId: string, owner: string, status: 'done' | 'failed' | 'cancelled', stats: object, error: string | null): Promise<boolean> {
  const rows = await sql.query(
    `UPDATE crawl_runs SET status = $3, stats = $4::jsonb, error = $5, finished_at = now(), lease_owner = NULL, lease_expires_at = NULL
     WHERE id = $1 AND lease_owner = $2 AND status = 'running' RETURNING 1`,
    [runId, owner, status, JSON.stringify(stats), error],
  );
  return rows.length === 1;
}

/** Marks a run that never started as failed (its job could not be enqueued), freeing the site. */
export async function failQueuedRun(sql: Sql, runId: string, error: string): Promise<void> {
  await sql.query(`UPDATE crawl_runs SET status = 'failed', error = $2, finished_at = now() WHERE id = $1 AND status = 'queued'`, [runId, error]);
}

/**
 * Runs that need a job: running runs whose worker's lease lapsed (the worker died), and queued runs that
 * have waited longer than `queuedSeconds` (a lost enqueue). Re-enqueueing is safe: the lease decides.
 */
export async function selectOrphanedRuns(sql: Sql, queuedSeconds: number): Promise<Array<{ id: string; status: string }>> {
  return sql.query<{ id: string; status: string }>(
    `SELECT id, status FROM crawl_runs
     WHERE (status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at <= now()))
        OR (status = 'queued' AND created_at <= now() - make_interval(secs => $1))
     ORDER BY created_at`,
    [queuedSeconds],
  );
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
    // MATERIALIZED: picked once. As a subquery in FROM, the planner (once the table has statistics) put it
    // on the inner side of a nested loop and rescanned it for every frontier row of the run; each rescan
    // passed over the rows already claimed and locked the next, so one claim(1) took every pending page
    // and the caller, using the first, left the rest 'claimed' and never visited.
    `WITH c AS MATERIALIZED (
       SELECT url FROM crawl_frontier WHERE run_id = $1 AND state = 'pending' ORDER BY depth, seq LIMIT $2 FOR UPDATE SKIP LOCKED)
     UPDATE crawl_frontier f SET state = 'claimed'
     FROM c
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

/**
 * Deletes the frontiers of runs that ended more than `afterSeconds` ago. A frontier is only needed to
 * resume its run; kept, it would hold every page URL of every run - search URLs with cases' keywords too -
 * for ever. Returns how many rows went.
 */
export async function purgeFinishedFrontiers(sql: Sql, afterSeconds: number): Promise<number> {
  const rows = await sql.query(
    `DELETE FROM crawl_frontier f USING crawl_runs r
     WHERE f.run_id = r.id AND r.status IN ('done', 'failed', 'cancelled') AND r.finished_at <= now() - make_interval(secs => $1)
     RETURNING 1`,
    [afterSeconds],
  );
  return rows.length;
}
