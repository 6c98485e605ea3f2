/**
 * A frontier claim takes at most the rows it asks for, also when two workers claim at once on a table
 * with planner statistics (where the old UPDATE ... FROM (subquery) plan rescanned the subquery per
 * frontier row and claimed every pending page of the run in one go).
 */
import { expect, it } from 'vitest';
import { insertSite } from '../../db/queries/crawl-sites.ts';
import { addFrontier, claimFrontier, createRun } from '../../db/queries/crawl-runs.ts';
import { useTestDatabase } from '../support/db.ts';

const db = useTestDatabase('frontier_claim');

it('claims at most n pending entries, each by one worker only', async () => {
  const sql = db().sql;
  const site = await insertSite(sql, { name: 'claims', startUrls: ['http://a.example/'] });
  const bad: string[] = [];
  for (let i = 0; i < 60; i++) {
    // Statistics as autovacuum gathers them on a busy frontier: they steer the planner to the plan that over-claimed.
    if (i === 20) await sql.query('ANALYZE crawl_frontier');
    const { run } = await createRun(sql, site.id, 'manual');
    await addFrontier(sql, run.id, Array.from({ length: 5 }, (_, k) => ({ url: `http://a.example/${k}`, depth: 0 })));
    const [a, b] = await Promise.all([claimFrontier(sql, run.id, 1), claimFrontier(sql, run.id, 1)]);
    const [{ n }] = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM crawl_frontier WHERE run_id = $1 AND state = 'claimed'`, [run.id]);
    const urls = [...a, ...b].map((r) => r.url);
    if (a.length > 1 || b.length > 1 || n !== urls.length || new Set(urls).size !== urls.length) bad.push(`run ${i}: returned ${a.length}+${b.length}, claimed ${n}`);
    await sql.query(`UPDATE crawl_runs SET status = 'done' WHERE id = $1`, [run.id]);
  }
  expect(bad).toEqual([]);
});
