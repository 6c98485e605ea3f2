/**
 * Drafting, approval and cancellation on a real PostgreSQL: confirmed alerts of one case on one platform
 * gather into one draft, media on another platform get their own notice, alerts with no recipient wait,
 * and approval follows its rules (org contact, KR designation, withdrawn cases, four eyes, staff scope).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../support/db.ts';
import { useTempDir } from '../../support/tmp.ts';
import { ADMIN, serviceContext } from '../../support/service.ts';
import { seedConfirmedAlert } from '../../support/takedown.ts';
import { addPlatform, approveNotice, approveNotices, cancelNotice, draftNotices, getNotice, listNotices, listUnroutedAlerts } from '../../../services/takedown/index.ts';
import { assignCaseStaff, openCase, withdrawCase } from '../../../services/cases/cases.ts';
import { addUser } from '../../../services/accounts/accounts.ts';
import type { ServiceContext } from '../../../services/platform/context.ts';
import { verifyAudit, type Actor } from '../../../services/platform/audit.ts';
import type { Config } from '../../../services/platform/config.ts';

const db = useTestDatabase('takedown_notices');
const tmp = useTempDir('notices');
let base: ServiceContext;
let ctx: ServiceContext;
let staff1: Actor;
let staff2: Actor;

function withConfig(over: Partial<Config>): ServiceContext {
  return { ...base, config: Object.freeze({ ...(ctx ?? base).config, ...over }) };
}

async function alertNotice(alertId: string): Promise<string | null> {
  const [r] = await db().sql.query<{ notice_id: string | null }>('SELECT notice_id::text FROM crawl_alerts WHERE id = $1', [alertId]);
  return r.notice_id;
}

async function newCase(assign: Actor[] = []): Promise<string> {
  const c = await openCase(base, ADMIN, { personal: { name: 'Dana Quillfeather', label: 'label-zx81' }, keywords: ['quillfeather nudes'] });
  for (const s of assign) await assignCaseStaff(base, ADMIN, c.code, s.userId!);
  return c.code;
}

beforeAll(async () => {
  base = await serviceContext(db(), tmp());
  ctx = withConfig({ orgName: 'Test Centre', orgEmail: 'takedown@centre.example', publicUrl: 'https://sd.example.org' });
  const u1 = await addUser(base.sql, ADMIN, { name: 'staff-one', role: 'staff', credential: 'password' });
  const u2 = await addUser(base.sql, ADMIN, { name: 'staff-two', role: 'staff', credential: 'password' });
  staff1 = { userId: u1.user.id, name: 'staff-one', role: 'staff', source: 'test' };
  staff2 = { userId: u2.user.id, name: 'staff-two', role: 'staff', source: 'test' };
  await addPlatform(ctx, ADMIN, { name: 'Board', domains: ['board.example'], emails: ['abuse@board.example'] });
  await addPlatform(ctx, ADMIN, { name: 'Board CDN', domains: ['cdn.board.example'], webhookUrl: 'https://cdn.board.example/hook', webhookSecret: 'cdn-secret-0123456789', kind: 'host' });
  await addPlatform(ctx, ADMIN, { name: 'KR Board', domains: ['board.co.kr'], emails: ['abuse@board.co.kr'], jurisdiction: 'KR' });
});

describe('drafting', () => {
  it('gathers a case\'s confirmed alerts on one platform into one draft, which new alerts join until approval', async () => {
    const code = await newCase([staff1, staff2]);
    const a1 = await seedConfirmedAlert(db().sql, code, { pageUrl: 'https://board.example/post/1', mediaUrl: 'https://img.board.example/1.jpg' });
    const a2 = await seedConfirmedAlert(db().sql, code, { pageUrl: 'https://www.board.example/post/2', mediaUrl: 'https://img.board.example/2.jpg' });
    const unconfirmed = await seedConfirmedAlert(db().sql, code, { pageUrl: 'https://board.example/post/9', mediaUrl: 'https://img.board.example/9.jpg', status: 'new' });
    const r = await draftNotices(ctx);
    expect(r).toMatchObject({ drafted: 1, extended: 0, items: 2 });
    const [id] = r.noticeIds;
    expect(await alertNotice(a1)).toBe(id);
    expect(await alertNotice(a2)).toBe(id);
    expect(await alertNotice(unconfirmed)).toBeNull();
    expect((await draftNotices(ctx)).items).toBe(0);

    const a3 = await seedConfirmedAlert(db().sql, code, { pageUrl: 'https://board.example/post/3', mediaUrl: 'https://img.board.example/3.jpg' });
    expect(await draftNotices(ctx)).toMatchObject({ drafted: 0, extended: 1, items: 1, noticeIds: [id] });
    const n = await getNotice(ctx, ADMIN, id);
    expect(n).toMatchObject({ platform: 'Board', status: 'draft', kind: 'initial', channel: 'email', jurisdiction: 'OTHER', language: 'en' });
    expect(n.reference).toMatch(/^SD-\d{4}-\d{6}$/);
    expect(n.urls.map((u) => u.alertId).sort()).toEqual([a1, a2, a3].sort());
    expect(n.history.map((h) => h.event)).toEqual(['drafted', 'extended']);

    const queued: string[] = [];
    await approveNotice(ctx, staff1, id, { queueDelivery: async (nids) => void queued.push(...nids) });
    expect(queued).toEqual([id]);
    const a4 = await seedConfirmedAlert(db().sql, code, { pageUrl: 'https://board.example/post/4', mediaUrl: 'https://img.board.example/4.jpg' });
    const after = await draftNotices(ctx);
    expect(after.drafted).toBe(1);
    expect(await alertNotice(a4)).not.toBe(id);
  });

  it('gives the media URL\'s platform its own notice when it is another platform, and keeps cases apart', async () => {
    const codeA = await newCase();
    const codeB = await newCase();
    const a = await seedConfirmedAlert(db().sql, codeA, { pageUrl: 'https://board.example/post/10', mediaUrl: 'https://cdn.board.example/10.jpg' });
    await seedConfirmedAlert(db().sql, codeB, { pageUrl: 'https://board.example/post/11', mediaUrl: 'https://img.board.example/11.jpg' });
    const r = await draftNotices(ctx);
    expect(r).toMatchObject({ drafted: 3, items: 3 });
    const notices = await listNotices(ctx, ADMIN, { status: 'draft' });
    const withA = notices.filter((n) => n.urls.some((u) => u.alertId === a));
    expect(withA.map((n) => [n.platform, n.channel]).sort()).toEqual([['Board CDN', 'webhook'], ['Board', 'email']]);
    // The alert belongs to its page's notice.
    expect(await alertNotice(a)).toBe(withA.find((n) => n.platform === 'Board')!.id);
    expect((await listNotices(ctx, ADMIN, { platform: 'board cdn' })).every((n) => n.platform === 'Board CDN')).toBe(true);
  });

  it('lists alerts no platform covers, and drafts them once a platform is added', async () => {
    const code = await newCase();
    const a = await seedConfirmedAlert(db().sql, code, { pageUrl: 'https://forum.unknown-site.example/t/5', mediaUrl: 'https://forum.unknown-site.example/i/5.jpg' });
    await draftNotices(ctx);
    expect(await alertNotice(a)).toBeNull();
    // Waiting for a platform reads no case data: the periodic job adds no audit rows for it.
    const reads = async () => (await db().sql.query(`SELECT 1 FROM audit_log WHERE action = 'case.private-terms.read'`)).length;
    const before = await reads();
    expect((await draftNotices(ctx)).noRecipient).toBeGreaterThan(0);
    expect(await reads()).toBe(before);
    const unrouted = await listUnroutedAlerts(ctx, ADMIN);
    expect(unrouted.find((u) => u.alertId === a)).toMatchObject({ reason: 'no-platform', domain: 'unknown-site.example', pageUrl: 'https://forum.unknown-site.example/t/5' });
    await addPlatform(ctx, ADMIN, { name: 'Unknown Site', domains: ['unknown-site.example'], emails: ['abuse@unknown-site.example'] });
    expect((await draftNotices(ctx)).drafted).toBe(1);
    expect(await alertNotice(a)).not.toBeNull();
    expect((await listUnroutedAlerts(ctx, ADMIN)).find((u) => u.alertId === a)).toBeUndefined();
  });

  it('withholds a page URL that carries a keyword, and holds back an alert whose media URL carries the victim\'s name', async () => {
    const code = await newCase();
    const searchPage = await seedConfirmedAlert(db().sql, code, { pageUrl: 'https://board.example/search?q=Quillfeather+nudes', mediaUrl: 'https://img.board.example/s1.jpg' });
    const named = await seedConfirmedAlert(db().sql, code, { pageUrl: 'https://board.example/p/77', mediaUrl: 'https://img.board.example/dana_quillfeather.jpg' });
    const r = await draftNotices(ctx);
    expect(r).toMatchObject({ pageUrlsWithheld: 1, heldBack: 1 });
    const id = (await alertNotice(searchPage))!;
    const n = await getNotice(ctx, ADMIN, id);
    // `state`: the URL's keep-it-down state (services/monitoring), null until the notice is sent.
    expect(n.urls).toEqual([{ alertId: searchPage, pageUrl: null, mediaUrl: 'https://img.board.example/s1.jpg', state: null }]);
    expect(n.text.toLowerCase()).not.toContain('quillfeather');
    expect(n.warnings.join(' ')).toMatch(/1 page URL\(s\) are withheld/);
    expect(await alertNotice(named)).toBeNull();
    // Held back once, and not looked at again by the periodic job.
    const [hold] = await db().sql.query<{ notice_hold: string }>('SELECT notice_hold FROM crawl_alerts WHERE id = $1', [named]);
    expect(hold.notice_hold).toBe('personal-data-in-url');
    expect((await draftNotices(ctx)).heldBack).toBe(0);
    const held = (await listUnroutedAlerts(ctx, ADMIN)).find((u) => u.alertId === named)!;
    expect(held.reason).toBe('personal-data-in-url');
    const operator: Actor = { userId: null, name: 'op', role: 'operator', source: 'test' };
    expect((await listUnroutedAlerts(ctx, operator)).find((u) => u.alertId === named)).toMatchObject({ pageUrl: null, mediaUrl: null });
  });

  it('drafts nothing for a withdrawn case, and refuses to approve its draft', async () => {
    const code = await newCase();
    await seedConfirmedAlert(db().sql, code, { pageUrl: 'https://board.example/w/1', mediaUrl: 'https://img.board.example/w1.jpg' });
    const { noticeIds: [id] } = await draftNotices(ctx);
    await seedConfirmedAlert(db().sql, code, { pageUrl: 'https://board.example/w/2', mediaUrl: 'https://img.board.example/w2.jpg' });
    await withdrawCase(base, ADMIN, code);
    expect((await draftNotices(ctx)).items).toBe(0);
    await expect(approveNotice(ctx, ADMIN, id)).rejects.toThrow(/case that is withdrawn: its notices are not sent. Cancel it/);
    expect((await getNotice(ctx, ADMIN, id)).warnings.join(' ')).toMatch(/The case is withdrawn/);
  });
});

describe('approval', () => {
  async function draftFor(pageUrl: string, mediaUrl: string, assign: Actor[] = []): Promise<string> {
    const code = await newCase(assign);
    const alert = await seedConfirmedAlert(db().sql, code, { pageUrl, mediaUrl });
    await draftNotices(ctx);
    return (await alertNotice(alert))!;
  }

  it('records who approved, in the history and the audit log, and refuses a second approval of a cancelled notice', async () => {
    const id = await draftFor('https://board.example/a/1', 'https://img.board.example/a1.jpg', [staff2]);
    const approved = await approveNotice(ctx, staff2, id);
    expect(approved).toMatchObject({ status: 'approved', approvedBy: 'staff-two' });
    const n = await getNotice(ctx, ADMIN, id);
    expect(n.history.map((h) => [h.event, h.actor])).toEqual([['drafted', 'system'], ['approved', staff2.userId]]);
    expect(n.json.signature).toBe('staff-two');
    const audit = await db().sql.query<{ action: string }>(`SELECT action FROM audit_log WHERE record_id = $1 ORDER BY seq`, [id]);
    expect(audit.map((a) => a.action)).toEqual(['notice.draft', 'notice.approve', 'notice.read']);
    expect((await cancelNotice(ctx, ADMIN, id)).status).toBe('cancelled');
    await expect(approveNotice(ctx, ADMIN, id)).rejects.toThrow(/is cancelled and cannot be approved; only drafts are/);
    await expect(cancelNotice(ctx, ADMIN, id)).resolves.toMatchObject({ status: 'cancelled' });
  });

  it('needs the organisation\'s contact address', async () => {
    const id = await draftFor('https://board.example/b/1', 'https://img.board.example/b1.jpg');
    const noEmail = withConfig({ orgEmail: undefined });
    expect((await getNotice(noEmail, ADMIN, id)).warnings.join(' ')).toMatch(/STAYDOWN_ORG_EMAIL is not set/);
    await expect(approveNotice(noEmail, ADMIN, id)).rejects.toThrow(/set STAYDOWN_ORG_EMAIL/);
  });

  it('KR: an expired designation blocks approval; none configured warns and sends on the victim\'s behalf; a valid one is stated', async () => {
    const id = await draftFor('https://board.co.kr/p/1', 'https://img.board.co.kr/1.jpg');
    const expired = withConfig({ krDesignation: { wording: '방송통신위원회 지정 삭제요청기관', until: '2020-12-31' } });
    await expect(approveNotice(expired, ADMIN, id)).rejects.toThrow(/designation as a requesting body ended on 2020-12-31: KR notices are not sent under an expired designation/);
    expect((await getNotice(expired, ADMIN, id)).warnings.join(' ')).toMatch(/ended on 2020-12-31/);

    const none = await getNotice(ctx, ADMIN, id);
    expect(none).toMatchObject({ jurisdiction: 'KR', language: 'ko' });
    expect(none.warnings.join(' ')).toMatch(/No designation as a requesting body is configured/);
    expect(none.text).toContain('피해자를 대리하여');

    const valid = withConfig({ krDesignation: { wording: '방송통신위원회 지정 삭제요청기관', until: '2999-12-31' } });
    const shown = await getNotice(valid, ADMIN, id);
    expect(shown.warnings.join(' ')).not.toMatch(/designation/);
    expect(shown.text).toContain('방송통신위원회 지정 삭제요청기관');
    expect((await approveNotice(valid, ADMIN, id)).status).toBe('approved');
  });

  it('four eyes: refused without a record of who confirmed, refused for the confirmer, allowed for another staff member', async () => {
    const id = await draftFor('https://board.example/c/1', 'https://img.board.example/c1.jpg', [staff1, staff2]);
    const four = withConfig({ fourEyes: true });
    // Seeded as the command line confirms: no account recorded.
    await expect(approveNotice(four, staff1, id)).rejects.toThrow(/confirmed on the command line, which records no account/);
    await db().sql.query('UPDATE crawl_alerts SET decided_by = $1 WHERE notice_id = $2', [staff1.userId, id]);
    await expect(approveNotice(four, staff1, id)).rejects.toThrow(/You confirmed alerts of notice SD-.*another staff member must approve it/);
    await expect(approveNotice(four, ADMIN, id)).rejects.toThrow(/must be approved by a signed-in staff member/);
    expect((await approveNotice(four, staff2, id)).status).toBe('approved');
    // Off by default: the confirmer may approve.
    const id2 = await draftFor('https://board.example/c/2', 'https://img.board.example/c2.jpg', [staff1]);
    await db().sql.query('UPDATE crawl_alerts SET decided_by = $1 WHERE notice_id = $2', [staff1.userId, id2]);
    expect((await approveNotice(ctx, staff1, id2)).status).toBe('approved');
  });

  it('staff reach only the notices of their cases', async () => {
    const id = await draftFor('https://board.example/d/1', 'https://img.board.example/d1.jpg', [staff1]);
    expect((await listNotices(ctx, staff1)).map((n) => n.id)).toContain(id);
    expect((await listNotices(ctx, staff2)).map((n) => n.id)).not.toContain(id);
    await expect(getNotice(ctx, staff2, id)).rejects.toThrow(/There is no notice .* that you can access/);
    await expect(approveNotice(ctx, staff2, id)).rejects.toThrow(/There is no notice/);
    const n = await getNotice(ctx, staff1, id);
    await expect(getNotice(ctx, ADMIN, n.reference)).resolves.toMatchObject({ id });
  });

  it('approves several notices in one transaction - all of them, or none when one cannot be approved - with an intact audit chain', async () => {
    const a = await draftFor('https://board.example/b/1', 'https://img.board.example/b1.jpg');
    const b = await draftFor('https://board.example/b/2', 'https://img.board.example/b2.jpg');
    const c = await draftFor('https://board.example/b/3', 'https://img.board.example/b3.jpg');
    await cancelNotice(ctx, ADMIN, c);
    await expect(approveNotices(ctx, ADMIN, [a, b, c])).rejects.toThrow(/is cancelled and cannot be approved; only drafts are/);
    expect((await getNotice(ctx, ADMIN, a)).status).toBe('draft');
    expect((await getNotice(ctx, ADMIN, b)).status).toBe('draft');
    const queued: string[][] = [];
    const ref = (await getNotice(ctx, ADMIN, b)).reference;
    const r = await approveNotices(ctx, ADMIN, [a, ref], { queueDelivery: async (ids) => void queued.push(ids) });
    expect(r.map((n) => [n.id, n.status, n.approvedBy])).toEqual([[a, 'approved', ADMIN.name], [b, 'approved', ADMIN.name]]);
    // One queueing for the batch, with every newly approved notice; approving again queues nothing.
    expect(queued).toEqual([[a, b]]);
    await approveNotices(ctx, ADMIN, [a, b], { queueDelivery: async (ids) => void queued.push(ids) });
    expect(queued).toHaveLength(1);
    for (const id of [a, b]) expect((await getNotice(ctx, ADMIN, id)).history.map((h) => h.event)).toEqual(['drafted', 'approved']);
    expect(await verifyAudit(db().sql)).toMatchObject({ ok: true });
  });

  it('a queueing failure leaves the notice approved', async () => {
    const id = await draftFor('https://board.example/e/1', 'https://img.board.example/e1.jpg');
    const r = await approveNotice(ctx, ADMIN, id, { queueDelivery: async () => { throw new Error('queue down'); } });
    expect(r.status).toBe('approved');
  });
});
