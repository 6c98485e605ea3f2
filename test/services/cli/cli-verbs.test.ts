/** The service verbs not covered elsewhere, as a person runs them (child processes on PostgreSQL). */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { useTestDatabase } from '../../support/db.ts';
import { useTempDir } from '../../support/tmp.ts';
import { ADMIN, childEnv, runCli, serviceContext } from '../../support/service.ts';
import { openCase } from '../../../services/cases/cases.ts';
import { listAudit } from '../../../services/platform/audit.ts';

const db = useTestDatabase('cli_verbs');
const tmp = useTempDir('cliverbs');

describe('service verbs', () => {
  it('db migrate, user add (one-time password, only its argon2id hash stored), case erase, and usage errors', { timeout: 240_000 }, async () => {
    const ctx = await serviceContext(db(), join(tmp(), 'data'));
    const env = childEnv(ctx);

    const migrated = await runCli(['db', 'migrate', '--json'], env);
    expect(migrated.status).toBe(0);
    expect(JSON.parse(migrated.stdout)).toMatchObject({ applied: [], total: expect.any(Number) });

    const added = await runCli(['user', 'add', '--role', 'staff', 'carol', '--json'], env);
    expect(added.status).toBe(0);
    const out = JSON.parse(added.stdout) as { user: { name: string; role: string }; password: string };
    expect(out.user).toMatchObject({ name: 'carol', role: 'staff' });
    expect(out.password).toMatch(/^[A-Za-z0-9]{20}$/);
    const stored = await ctx.sql.query<{ password_hash: string }>(`SELECT password_hash FROM users WHERE name = 'carol'`);
    expect(stored[0].password_hash).toMatch(/^\$argon2id\$/);

    const c = await openCase(ctx, ADMIN, { personal: { name: 'Wilhelmina Thistlewood' } });
    const erased = await runCli(['case', 'erase', c.code, '--json'], env);
    expect(erased.status).toBe(0);
    expect(JSON.parse(erased.stdout)).toMatchObject({ code: c.code, status: 'erased' });
    const trail = (await listAudit(ctx.sql, 0, 1000)).filter((a) => a.caseCode === c.code);
    expect(trail.map((a) => a.action)).toEqual(['case.open', 'case.erase']);
    expect(trail[1].actor).toMatch(/^cli:/);
    expect(trail[1].source).toBe('cli');
    expect(JSON.stringify(trail)).not.toContain('Wilhelmina');

    const wrong = await runCli(['case', 'frobnicate'], env);
    expect(wrong.status).toBe(64);
    expect(wrong.stderr).toMatch(/usage: staydown case/);
  });
});
