/** Queries on escalation_proposals: escalation targets proposed for a platform (db/migrations/330-escalation-proposals.sql). */
import type { Sql } from '../sql.ts';

export type ProposalStatus = 'proposed' | 'failed' | 'accepted';

export interface ProposalRow {
  platform_id: string;
  platform_name: string;
  status: ProposalStatus;
  /** The proposed records in chain order (services/takedown/escalation-proposals.ts ProposedTarget). */
  targets: unknown[];
  problem: string | null;
  looked_up_host: string | null;
  looked_up_at: Date;
  retry_at: Date | null;
  accepted_at: Date | null;
}

const COLUMNS = `e.platform_id::text, p.name AS platform_name, e.status, e.targets, e.problem, e.looked_up_host, e.looked_up_at, e.retry_at, e.accepted_at`;
const FROM = 'escalation_proposals e JOIN platforms p ON p.id = e.platform_id';

export async function selectProposal(sql: Sql, platformId: string, opts: { forUpdate?: boolean } = {}): Promise<ProposalRow | null> {
  const [row] = await sql.query<ProposalRow>(`SELECT ${COLUMNS} FROM ${FROM} WHERE e.platform_id = $1${opts.forUpdate ? ' FOR UPDATE OF e' : ''}`, [platformId]);
  return row ?? null;
}

export async function selectProposals(sql: Sql, platformIds: readonly string[]): Promise<ProposalRow[]> {
  if (platformIds.length === 0) return [];
  return sql.query<ProposalRow>(`SELECT ${COLUMNS} FROM ${FROM} WHERE e.platform_id = ANY($1::uuid[]) ORDER BY lower(p.name)`, [[...new Set(platformIds)]]);
}

/** Proposals waiting for a person (proposed, or failed and to be looked up again), for the platforms page. */
export async function selectOpenProposals(sql: Sql): Promise<ProposalRow[]> {
  return sql.query<ProposalRow>(`SELECT ${COLUMNS} FROM ${FROM} WHERE e.status <> 'accepted' AND p.escalate_to IS NULL ORDER BY lower(p.name)`);
}

/** Records a lookup's outcome (a new proposal or a failure), replacing an earlier one. */
export async function upsertProposal(sql: Sql, p: { platformId: string; status: 'proposed' | 'failed'; targets: unknown[]; problem: string | null; host: string | null; retryAt: Date | null }): Promise<void> {
  await sql.query(
    `INSERT INTO escalation_proposals (platform_id, status, targets, problem, looked_up_host, looked_up_at, retry_at)
     VALUES ($1, $2, $3::jsonb, $4, $5, now(), $6)
     ON CONFLICT (platform_id) DO UPDATE SET status = EXCLUDED.status, targets = EXCLUDED.targets, problem = EXCLUDED.problem,
       looked_up_host = EXCLUDED.looked_up_host, looked_up_at = now(), retry_at = EXCLUDED.retry_at, accepted_at = NULL, accepted_by = NULL`,
    [p.platformId, p.status, JSON.stringify(p.targets), p.problem, p.host, p.retryAt],
  );
}

export async function markProposalAccepted(sql: Sql, platformId: string, userId: string | null): Promise<void> {
  await sql.query(`UPDATE escalation_proposals SET status = 'accepted', accepted_at = now(), accepted_by = $2 WHERE platform_id = $1`, [platformId, userId]);
}
