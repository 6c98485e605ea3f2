/**
 * Reviewing alerts through the API on a real database: list with filters and a cursor, detail without
 * victim data, evidence decrypted on request and every read audited, decisions final and audited, staff
 * limited to their cases, and what takedown collects.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { useTestDatabase } from '../../support/db.ts';
import { useTempDir } from '../../support/tmp.ts';
import { ADMIN, serviceContext } from '../../support/service.ts';
import { buildApi } from '../../../services/http/server.ts';
import { addUser, issueToken } from '../../../services/accounts/accounts.ts';
import type { ServiceContext } from '../../../services/platform/context.ts';
import { confirmedAlertsWithoutNotice } from '../../../services/review/index.ts';
import { rejectAlerts } from '../../../services/review/decisions.ts';
import { SCREENSHOT, seedAlert, type SeededAlert } from './support.ts';

const db = useTestDatabase('review_api');
const tmp = useTempDir('review');

let ctx: ServiceContext;
let app: FastifyInstance;
const tokens: Record<'admin' | 'operator' | 'staff', { id: string; token: string }> = {} as never;
const alerts: SeededAlert[] = [];

const as = (who: keyof typeof tokens) => ({ authorization: `Bearer ${tokens[who].token}` });
const audit = (action: string, recordId: string) =>
  db().sql.query<{ actor_id: string | null; actor: string; detail: Record<string, unknown>; case_code: string | null }>(
    'SELECT actor_id, actor, detail, case_code FROM audit_log WHERE action = $1 AND record_id = $2 ORDER BY seq', [action, recordId]);

beforeAll(async () => {
  ctx = await serviceContext(db(), tmp());
  app = await buildApi(ctx);
  for (const role of ['admin', 'operator', 'staff'] as const) {
    const r = await addUser(ctx.sql, ADMIN, { name: `${role}-r`, role, credential: 'password' });
    tokens[role] = { id: r.user.id, token: (await issueToken(ctx.sql, ADMIN, r.user.id)).token };
  }
  // Seven alerts: five on one site (one case, the staff user's), two on another site.
  const first = await seedAlert(ctx, { siteName: 'board-a', staffUserId: tokens.staff.id });
  alerts.push(first);
  for (let i = 0; i < 4; i++) alerts.push(await seedAlert(ctx, { siteName: 'board-a', caseCode: first.caseCode, distance: 10 + i }));
  for (let i = 0; i < 2; i++) alerts.push(await seedAlert(ctx, { siteName: 'board-b', method: i === 0 ? 'exact-sha256' : 'pdq+blockhash', distance: i === 0 ? 0 : 40 }));
});

describe('alert review API', () => {
  it('pages through alerts newest first with a cursor, and filters by status, site and case', async () => {
    const seen: string[] = [];
    let after = '';
    for (let guard = 0; guard < 20; guard++) {
      const res = await app.inject({ method: 'GET', url: `/api/v1/alerts?limit=3${after ? `&after=${after}` : ''}`, headers: as('operator') });
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json() as { items: Array<{ id: string; createdAt: string }>; next: string | null };
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((i) => i.id));
      if (!page.next) break;
      after = page.next;
    }
    expect(new Set(seen).size).toBe(7);
    expect(seen).toEqual([...alerts].reverse().map((a) => a.id));
    const bySite = (await app.inject({ method: 'GET', url: '/api/v1/alerts?site=board-b', headers: as('operator') })).json();
    expect(bySite.items.map((i: { id: string }) => i.id).sort()).toEqual(alerts.slice(5).map((a) => a.id).sort());
    const byCase = (await app.inject({ method: 'GET', url: `/api/v1/alerts?case=${alerts[0].caseCode.toLowerCase()}`, headers: as('operator') })).json();
    expect(byCase.items).toHaveLength(5);
    const bad = await app.inject({ method: 'GET', url: '/api/v1/alerts?after=bm90LWEtY3Vyc29y', headers: as('operator') });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/pass the 'next' value of the previous page/);
    const unknownSite = await app.inject({ method: 'GET', url: '/api/v1/alerts?site=nowhere', headers: as('operator') });
    expect(unknownSite.statusCode).toBe(404);
  });

  it('staff see only the alerts of their cases; another case\'s alert is "not found"', async () => {
    const list = (await app.inject({ method: 'GET', url: '/api/v1/alerts', headers: as('staff') })).json();
    expect(list.items.map((i: { id: string }) => i.id).sort()).toEqual(alerts.slice(0, 5).map((a) => a.id).sort());
    const other = await app.inject({ method: 'GET', url: `/api/v1/alerts/${alerts[6].id}`, headers: as('staff') });
    expect(other.statusCode).toBe(404);
    const missing = await app.inject({ method: 'GET', url: '/api/v1/alerts/00000000-0000-4000-8000-000000000000', headers: as('staff') });
    expect(missing.json().error.message.replace(/[0-9a-f-]{36}/, 'ID')).toBe(other.json().error.message.replace(/[0-9a-f-]{36}/, 'ID'));
  });

  it('an alert\'s detail: facts first, confidence derived, first/last seen - and no victim data', async () => {
    const a = alerts[6];
    const res = await app.inject({ method: 'GET', url: `/api/v1/alerts/${a.id}`, headers: as('operator') });
    expect(res.statusCode).toBe(200);
    const d = res.json();
    expect(d).toMatchObject({
      id: a.id, case: a.caseCode, material: a.materialId, site: 'board-b', mediaUrl: a.mediaUrl, method: 'pdq+blockhash', distance: 40,
      status: 'new', noticeId: null, confidenceDerived: true, decision: { status: 'new', by: null, at: null, rejectReason: null },
    });
    // 1 - 0.5 * 40 / 52, as the image policy computes it.
    expect(d.confidence).toBe(0.62);
    expect(Date.parse(d.firstSeen)).toBeLessThanOrEqual(Date.parse(d.lastSeen));
    expect(res.body).not.toMatch(/Victim Name|victim label/);
    expect((await audit('alert.read', a.id)).map((r) => r.actor)).toEqual(['operator-r']);
  });

  it('evidence: hashes first, each sealed part decrypted on request, every read audited', async () => {
    const a = alerts[1];
    const summary = await app.inject({ method: 'GET', url: `/api/v1/alerts/${a.id}/evidence`, headers: as('operator') });
    expect(summary.json()).toMatchObject({ alertId: a.id, screenshot: { available: true, error: null }, html: { available: true }, hashes: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    const shot = await app.inject({ method: 'GET', url: `/api/v1/alerts/${a.id}/evidence/screenshot`, headers: as('staff') });
    expect(shot.statusCode).toBe(200);
    expect(shot.headers['content-type']).toBe('image/jpeg');
    expect(shot.rawPayload.equals(SCREENSHOT)).toBe(true);
    const html = await app.inject({ method: 'GET', url: `/api/v1/alerts/${a.id}/evidence/html`, headers: as('operator') });
    expect(html.body).toBe(a.html);
    // The site's markup must not run in the reviewer's browser.
    expect(html.headers['content-type']).toMatch(/^text\/plain/);
    expect(html.headers['content-security-policy']).toMatch(/sandbox/);
    expect(html.headers['x-content-type-options']).toBe('nosniff');
    const reads = await audit('alert.evidence-read', a.id);
    expect(reads.map((r) => [r.actor, r.detail.part])).toEqual([['operator-r', 'hashes'], ['staff-r', 'screenshot'], ['operator-r', 'html']]);
    expect(reads.every((r) => r.case_code === a.caseCode)).toBe(true);
  });

  it('confirm and reject: only from new, with who and when, audited; a decision is final', async () => {
    const [c, r] = [alerts[2], alerts[3]];
    const ok = await app.inject({ method: 'POST', url: `/api/v1/alerts/${c.id}/confirm`, headers: as('operator') });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ id: c.id, status: 'confirmed', noticeId: null });
    const rej = await app.inject({ method: 'POST', url: `/api/v1/alerts/${r.id}/reject`, headers: as('staff'), payload: { reason: 'a different person' } });
    expect(rej.json()).toMatchObject({ status: 'rejected', allowlisted: null });
    const flip = await app.inject({ method: 'POST', url: `/api/v1/alerts/${c.id}/reject`, headers: as('admin'), payload: { reason: 'changed my mind' } });
    expect(flip.statusCode).toBe(409);
    expect(flip.json().error.message).toMatch(/was already confirmed and cannot be rejected now: a decision is final/);
    const again = await app.inject({ method: 'POST', url: `/api/v1/alerts/${r.id}/reject`, headers: as('admin'), payload: { reason: 'x' } });
    expect(again.json().error.message).toMatch(/is already rejected/);
    const noReason = await app.inject({ method: 'POST', url: `/api/v1/alerts/${alerts[4].id}/reject`, headers: as('admin'), payload: {} });
    expect(noReason.statusCode).toBe(400);
    const detail = (await app.inject({ method: 'GET', url: `/api/v1/alerts/${r.id}`, headers: as('admin') })).json();
    expect(detail.decision).toMatchObject({ status: 'rejected', by: tokens.staff.id, byName: 'staff-r', rejectReason: 'a different person' });
    expect(Date.now() - Date.parse(detail.decision.at)).toBeLessThan(60_000);
    const confirmAudit = await audit('alert.confirm', c.id);
    expect(confirmAudit).toEqual([{ actor_id: tokens.operator.id, actor: 'operator-r', case_code: c.caseCode, detail: { material: c.materialId, site: expect.any(String) } }]);
    const rejectAudit = await audit('alert.reject', r.id);
    expect(rejectAudit[0]).toMatchObject({ actor_id: tokens.staff.id, detail: { allowlisted: false } });
    // The reason is the reviewer's free text: it stays out of the audit log.
    expect(JSON.stringify(rejectAudit)).not.toContain('a different person');
    const status = await app.inject({ method: 'GET', url: '/api/v1/alerts?status=confirmed', headers: as('operator') });
    expect(status.json().items.map((i: { id: string }) => i.id)).toEqual([c.id]);
  });

  it('an exact match cannot be allowlisted; a batch with one undecidable alert decides none', async () => {
    const exact = alerts[5];
    const res = await app.inject({ method: 'POST', url: `/api/v1/alerts/${exact.id}/reject`, headers: as('operator'), payload: { reason: 'stock photo', allowlist: true } });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.message).toMatch(/byte for byte .* cannot be allowlisted/);
    await expect(rejectAlerts(ctx, ADMIN, [alerts[4].id, alerts[2].id], { reason: 'x' })).rejects.toThrow(/already confirmed/);
    const [row] = await db().sql.query<{ status: string }>('SELECT status FROM crawl_alerts WHERE id = $1', [alerts[4].id]);
    expect(row.status).toBe('new');
    expect(await db().sql.query('SELECT 1 FROM material_allowlist')).toHaveLength(0);
  });

  it('takedown collects confirmed alerts that no notice covers yet', async () => {
    const found = await confirmedAlertsWithoutNotice(ctx.sql);
    expect(found.map((f) => f.id)).toEqual([alerts[2].id]);
    expect(found[0]).toMatchObject({ caseCode: alerts[2].caseCode, materialId: alerts[2].materialId, site: 'board-a', mediaUrl: alerts[2].mediaUrl, decidedBy: tokens.operator.id });
    // A notice of the takedown model (200-takedown.sql: notice_id references notices).
    const [p] = await db().sql.query<{ id: string }>("INSERT INTO platforms (name, deadline_hours) VALUES ('review-api-platform', 48) RETURNING id::text");
    const [n] = await db().sql.query<{ id: string }>(
      "INSERT INTO notices (case_id, platform_id, language, jurisdiction, channel) SELECT case_id, $2, 'en', 'OTHER', 'email' FROM crawl_alerts WHERE id = $1 RETURNING id::text",
      [alerts[2].id, p.id],
    );
    await db().sql.query('UPDATE crawl_alerts SET notice_id = $2 WHERE id = $1', [alerts[2].id, n.id]);
    expect(await confirmedAlertsWithoutNotice(ctx.sql)).toEqual([]);
    // Only a confirmed alert can be in a notice.
    await expect(db().sql.query('UPDATE crawl_alerts SET notice_id = $2 WHERE id = $1', [alerts[4].id, n.id])).rejects.toThrow(/crawl_alerts_notice_check/);
  });
});
