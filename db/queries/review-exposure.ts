/** A reviewer's exposure today, read from the audit log (db/migrations/320-review-thumbnail.sql index). */
import type { Sql } from '../sql.ts';

export interface ExposureRow {
  reveals: number;
  /** The reveal count recorded when the reviewer last chose to continue instead of a break; null: never today. */
  continued_at: number | null;
}

export async function selectExposure(sql: Sql, actorId: string, since: Date): Promise<ExposureRow> {
  const [row] = await sql.query<ExposureRow>(
    `SELECT (SELECT count(*)::int FROM audit_log WHERE actor_id = $1 AND action = 'alert.reveal' AND at >= $2) AS reveals,
       (SELECT (detail->>'reveals')::int FROM audit_log WHERE actor_id = $1 AND action = 'review.break-continue' AND at >= $2
         ORDER BY seq DESC LIMIT 1) AS continued_at`,
    [actorId, since],
  );
  return row;
}
