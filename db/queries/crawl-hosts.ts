/** Per-host politeness leases shared by every worker (crawl_host_acquire in db/migrations/100-crawler.sql). */
import type { Sql } from '../sql.ts';

export async function acquireHostLease(sql: Sql, host: string, intervalMs: number, concurrency: number, leaseMs: number): Promise<{ token: string | null; waitMs: number }> {
  const [row] = await sql.query<{ token: string | null; wait_ms: number }>('SELECT token, wait_ms FROM crawl_host_acquire($1, $2, $3, $4)', [host, Math.round(intervalMs), concurrency, Math.round(leaseMs)]);
  return { token: row.token, waitMs: row.wait_ms };
}

export async function releaseHostLease(sql: Sql, host: string, token: string): Promise<void> {
  await sql.query('DELETE FROM crawl_host_leases WHERE host = $1 AND token = $2', [host, token]);
}
