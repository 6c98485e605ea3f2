import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../support/db.ts';
import { useTempDir } from '../../support/tmp.ts';
import { ADMIN, childEnv, runCli, serviceContext } from '../../support/service.ts';
import { eraseCase, getCase, listCases, openCase, updateCase, withdrawCase } from '../../../services/cases/cases.ts';
import { verifyAudit, listAudit } from '../../../services/platform/audit.ts';
import { addUser } from '../../../services/accounts/accounts.ts';
import type { ServiceContext } from '../../../services/platform/context.ts';

const db = useTestDatabase('cases_audit');
const tmp = useTempDir('cases');

async function dumpText(ctx: ServiceContext): Promise<string> {
  const tables = ['cases', 'case_staff', 'material', 'material_hashes', 'material_urls', 'evidence', 'audit_log', 'match_changes', 'users', 'credentials'];
  const parts: string[] = [];
  for (const t of tables) {
    const rows = await ctx.sql.query(`SELECT * FROM ${t}`);
    parts.push(JSON.stringify(rows, (_k, v) => (v && v.type === 'Buffer' ? Buffer.from(v.data).toString('latin1') : v)));
  }
  return parts.join('\n');
}

describe('cases', () => {
  it('stores personal data and keywords only encrypted, reads them back for staff, and audits reads by id', async () => {
    const ctx = await serviceContext(db(), tmp());
    const c = await openCase(ctx, ADMIN, { personal: { label: 'Zephyrine Quillfeather', contacts: ['zq@example.org'] }, keywords: ['quillfeather-leak'] });
    expect(c.code).toMatch(/^SD-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    const dump = await dumpText(ctx);
    expect(dump).toContain(c.code);
    expect(dump).not.toContain('Zephyrine');
    expect(dump).not.toContain('zq@example.org');
    expect(dump).not.toContain('quillfeather-leak');
    const read = await getCase(ctx, ADMIN, c.code.toLowerCase());
    expect(read.personal).toEqual({ label: 'Zephyrine Quillfeather', contacts: ['zq@example.org'] });
    expect(read.keywords).toEqual(['quillfeather-leak']);
    const audit = await listAudit(ctx.sql, 0, 1000);
    expect(audit.filter((a) => a.caseCode === c.code).map((a) => a.action)).toEqual(['case.open', 'case.read']);
  });

  it('lets staff reach only the cases they are assigned to', async () => {
    const ctx = await serviceContext(db(), tmp());
    const alice = (await addUser(ctx.sql, ADMIN, { name: 'alice-cases', role: 'staff' })).user;
    const bob = (await addUser(ctx.sql, ADMIN, { name: 'bob-cases', role: 'staff' })).user;
    const asAlice = { userId: alice.id, name: alice.name, role: 'staff' as const, source: '127.0.0.1' };
    const asBob = { userId: bob.id, name: bob.name, role: 'staff' as const, source: '127.0.0.1' };
    const mine = await openCase(ctx, asAlice, { personal: { label: 'alice case' } });
    await expect(getCase(ctx, asBob, mine.code)).rejects.toThrow(/no case .* that you can access/);
    expect((await getCase(ctx, asAlice, mine.code)).label).toBe('alice case');
    const bobList = await listCases(ctx, asBob);
    expect(bobList.items.map((i) => i.code)).not.toContain(mine.code);
    const aliceList = await listCases(ctx, asAlice);
    expect(aliceList.items.map((i) => i.code)).toEqual([mine.code]);
  });

  it('moves through its lifecycle and refuses impossible moves', async () => {
    const ctx = await serviceContext(db(), tmp());
    const c = await openCase(ctx, ADMIN);
    expect((await updateCase(ctx, ADMIN, c.code, { status: 'monitoring' })).status).toBe('monitoring');
    expect((await withdrawCase(ctx, ADMIN, c.code)).status).toBe('withdrawn');
    await expect(updateCase(ctx, ADMIN, c.code, { status: 'open' })).rejects.toThrow(/withdrawn and cannot become open/);
  });

  it('erases by destroying the data key: personal data unreadable, audit trail keeps only ids', async () => {
    const ctx = await serviceContext(db(), tmp());
    const c = await openCase(ctx, ADMIN, { personal: { name: 'Ottoline Brackenridge' } });
    const r = await eraseCase(ctx, ADMIN, c.code);
    expect(r.status).toBe('erased');
    const rows = await ctx.sql.query<{ wrapped_key: Buffer | null; personal: Buffer | null }>('SELECT wrapped_key, personal FROM cases WHERE code = $1', [c.code]);
    expect(rows).toEqual([{ wrapped_key: null, personal: null }]);
    await expect(getCase(ctx, ADMIN, c.code)).resolves.toMatchObject({ status: 'erased', personal: {} });
    expect(await dumpText(ctx)).not.toContain('Ottoline');
  });
});

describe('audit log', () => {
  it('verifies an intact chain, and `staydown audit verify` detects one row tampered with by a superuser', { timeout: 240_000 }, async () => {
    const ctx = await serviceContext(db(), tmp());
    await openCase(ctx, ADMIN);
    const before = await verifyAudit(ctx.sql);
    expect(before.ok).toBe(true);
    expect(before.rows).toBeGreaterThan(1);
    const env = childEnv(ctx);
    const ok = await runCli(['audit', 'verify', '--json'], env);
    expect(ok.stderr).toBe('');
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true });
    expect(ok.status).toBe(0);

    // An attacker with superuser rights bypasses the append-only trigger and rewrites one row.
    const { admin } = db();
    await admin.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only');
    await admin.query(`UPDATE audit_log SET actor = 'someone-else' WHERE seq = 2`);
    await admin.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only');

    const bad = await runCli(['audit', 'verify'], env);
    expect(bad.status).toBe(3);
    expect(bad.stdout).toMatch(/TAMPERED: row 2 was altered/);
    const json = JSON.parse((await runCli(['audit', 'verify', '--json'], env)).stdout);
    expect(json).toMatchObject({ ok: false, problem: { seq: 2 } });
  });
});
