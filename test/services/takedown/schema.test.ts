/** The takedown data model (db/migrations/200-takedown.sql) on a real PostgreSQL. */
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../support/db.ts';

const db = useTestDatabase('takedown_schema');

async function caseId(): Promise<string> {
  const [row] = await db().sql.query<{ id: string }>(`INSERT INTO cases (code) VALUES ('C-' || substr(md5(random()::text), 1, 8)) RETURNING id::text`);
  return row.id;
}

describe('takedown schema', () => {
  it('gives each jurisdiction its default deadline, and keeps a given one', async () => {
    const rows = await db().sql.query<{ jurisdiction: string; deadline_hours: number }>(
      `INSERT INTO platforms (name, jurisdiction, deadline_hours) VALUES ('us-1', 'US', NULL), ('kr-1', 'KR', NULL), ('eu-1', 'EU', NULL), ('other-1', 'OTHER', NULL), ('kr-fast', 'KR', 6)
       RETURNING jurisdiction, deadline_hours`,
    );
    expect(rows.map((r) => r.deadline_hours)).toEqual([48, 24, 24, 48, 6]);
  });

  it('refuses a second platform whose name differs only in case', async () => {
    await db().sql.query(`INSERT INTO platforms (name) VALUES ('Board')`);
    await expect(db().sql.query(`INSERT INTO platforms (name) VALUES ('board')`)).rejects.toThrow(/platforms_name_ci/);
  });

  it('numbers notices SD-<year>-<6 digits> from one sequence, and allows one open draft per case and platform', async () => {
    const c = await caseId();
    const [p] = await db().sql.query<{ id: string }>(`INSERT INTO platforms (name) VALUES ('refs') RETURNING id::text`);
    const insert = () => db().sql.query<{ reference: string }>(
      `INSERT INTO notices (case_id, platform_id, language, jurisdiction, channel) VALUES ($1, $2, 'en', 'OTHER', 'email') RETURNING reference`, [c, p.id]);
    const [a] = await insert();
    const year = new Date().getUTCFullYear();
    expect(a.reference).toMatch(new RegExp(`^SD-${year}-\\d{6}$`));
    await expect(insert()).rejects.toThrow(/notices_one_open_draft/);
    await db().sql.query(`UPDATE notices SET status = 'cancelled' WHERE reference = $1`, [a.reference]);
    const [b] = await insert();
    expect(Number(b.reference.slice(-6))).toBeGreaterThan(Number(a.reference.slice(-6)));
  });

  it('links crawl alerts to notices (the column exists whichever migration added it)', async () => {
    const rows = await db().sql.query<{ confrelid: string }>(
      `SELECT confrelid::regclass::text AS confrelid FROM pg_constraint WHERE conname = 'crawl_alerts_notice_fk'`);
    expect(rows).toEqual([{ confrelid: 'notices' }]);
  });
});
