/**
 * A matcher over the registered material of open and monitored cases, loaded from the database into the
 * hashing core's ReferenceBank when a crawl starts.
 * NOTE: interim - services/matching.ts (the shared, change-feed-fresh match index) replaces this once it
 * is on main; the crawl only needs the `Matcher` interface.
 */
import { ReferenceBank } from '../hashing/match/matcher.ts';
import type { Fingerprint } from '../hashing/types.ts';
import type { Sql } from '../db/sql.ts';
import type { Matcher } from './types.ts';

export async function materialBankMatcher(sql: Sql): Promise<Matcher> {
  const rows = await sql.query<{ id: string; case_id: string; fingerprint: Fingerprint }>(
    `SELECT m.id, m.case_id, m.fingerprint FROM material m JOIN cases c ON c.id = m.case_id WHERE c.status IN ('open', 'monitoring')`,
  );
  const bank = new ReferenceBank(rows.map((r) => ({ ref: `${r.case_id}/${r.id}`, fp: r.fingerprint })));
  return {
    match: async (fp) =>
      bank.match(fp).map((m) => {
        const [caseId, materialId] = m.ref.split('/');
        return { caseId, materialId, method: m.method, distance: m.distance };
      }),
  };
}
