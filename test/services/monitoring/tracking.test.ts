/**
 * Tracking on the real database with real local servers: a sent notice starts tracking; a platform's
 * `removed` answer is checked at once and not believed while the material is still there; a verified
 * removal starts the re-check schedule; content back is `reappeared` with a new notice drafted, and
 * notified again once it is sent; a check job run twice checks once; reminders, then escalations along
 * the platform's chain (host, then registrar) with the package; a withdrawn case is no longer checked.
 */
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../support/db.ts';
import { useTempDir } from '../../support/tmp.ts';
import { serviceContext } from '../../support/service.ts';
import { startLocalServer, type LocalServer } from '../../crawler/support/local-server.ts';
import { fixtureImage } from '../../crawler/support/fixture-images.ts';
import type { ServiceContext } from '../../../services/platform/context.ts';
import { runMonitorPass } from '../../../services/monitoring/pass.ts';
import { checkTrackedUrl, createMonitorVerifier } from '../../../services/monitoring/checks.ts';
import { noticeTracking } from '../../../services/monitoring/index.ts';
import { insertNoticeResponse } from '../../../db/queries/delivery.ts';
import { selectNoticeById, selectNoticeItems } from '../../../db/queries/notices.ts';
import { backdate, makeDue, markSent, seedConfirmed, seedLoopbackSite, seedMonitoredCase, seedPlatformRow, seedSent, trackedRow } from './support.ts';

const db = useTestDatabase('monitor_tracking');
const tmp = useTempDir('monitor-tracking');
let ctx: ServiceContext;
let server: LocalServer;
let material: Buffer;
let placeholder: Buffer;
/** What each post currently shows: 'up' (the material), 'deleted' (a placeholder, file 404). */
const posts = new Map<string, 'up' | 'deleted' | 'down'>();
const queued: string[] = [];
const pass = () => runMonitorPass(ctx, { queueDelivery: async (id) => void queued.push(id) });

function serve(res: ServerResponse, type: string, body: Buffer | string, status = 200) {
  res.statusCode = status;
  res.setHeader('content-type', type);
  res.end(body);
}

beforeAll(async () => {
  material = await fixtureImage(301, 480, 360);
  placeholder = await fixtureImage(9002, 200, 150);
  server = await startLocalServer({}, (_req, res, url) => {
    const m = /^\/(p|i)\/(\w+)/.exec(url.pathname);
    if (url.pathname === '/static/deleted.jpg') return serve(res, 'image/jpeg', placeholder);
    const state = m ? posts.get(m[2]) : undefined;
    if (!m || !state) return serve(res, 'text/plain', 'not found', 404);
    if (state === 'down') return serve(res, 'text/plain', 'maintenance', 503);
    if (m[1] === 'i') return state === 'up' ? serve(res, 'image/jpeg', material) : serve(res, 'text/plain', 'gone', 404);
    return serve(res, 'text/html', state === 'up' ? `<h1>post</h1><img src="/i/${m[2]}.jpg">` : '<p>This post was deleted.</p><img src="/static/deleted.jpg">');
  });
  const base = await serviceContext(db(), tmp());
  ctx = {
    ...base,
    config: Object.freeze({
      ...base.config,
      orgEmail: 'takedown@centre.example',
      monitoring: Object.freeze({ ...base.config.monitoring, remindAfterMs: 3_600_000, escalateAfterMs: 10 * 3_600_000, maxReminders: 2, autoReminders: true, autoEscalations: false }),
    }),
  };
});

afterAll(async () => {
  await server?.close();
});

async function world(key: string) {
  const c = await seedMonitoredCase(ctx.sql, ctx.masterKey, { m: material });
  const siteId = await seedLoopbackSite(ctx.sql, server.origin);
  const registrar = await seedPlatformRow(ctx.sql, { kind: 'registrar' });
  const host = await seedPlatformRow(ctx.sql, { kind: 'host', escalateTo: registrar.id });
  const platform = await seedPlatformRow(ctx.sql, { escalateTo: host.id });
  posts.set(key, 'up');
  const alertId = await seedConfirmed(ctx.sql, { caseId: c.caseId, materialId: c.materialIds.m, siteId, pageUrl: `${server.origin}/p/${key}`, mediaUrl: `${server.origin}/i/${key}.jpg` });
  const notice = await seedSent(ctx.sql, c.caseId, platform, [alertId]);
  return { c, siteId, platform, host, registrar, alertId, notice };
}

describe('tracking notified URLs', () => {
  it('from notice to verified removal, re-checks, re-appearance and a new notice', async () => {
    const w = await world('a1');
    let r = await pass();
    expect(r.tracked).toBe(1);
    expect(r.checked).toBe(0);
    let t = await trackedRow(ctx.sql, w.alertId);
    expect(t.state).toBe('notified');
    // First check due STAYDOWN_CHECK_EVERY (6 h) after the notice went out.
    expect(t.next_check_at!.getTime() - (await selectNoticeById(ctx.sql, w.notice.id))!.sent_at!.getTime()).toBe(6 * 3_600_000);

    // The platform says "removed" while the material is still up: checked at once, not believed.
    await insertNoticeResponse(ctx.sql, { noticeId: w.notice.id, via: 'link', userId: null, answer: 'removed', urls: [`${server.origin}/i/a1.jpg`], message: null });
    r = await pass();
    expect(r).toMatchObject({ answers: 1, checked: 1, removed: 0, present: 1 });
    t = await trackedRow(ctx.sql, w.alertId);
    expect(t.state).toBe('acknowledged');

    // A server error is unknown: retried, never removed.
    posts.set('a1', 'down');
    await makeDue(ctx.sql, [t.id]);
    r = await pass();
    expect(r).toMatchObject({ checked: 1, unknown: 1, removed: 0 });
    t = await trackedRow(ctx.sql, w.alertId);
    expect(t).toMatchObject({ state: 'acknowledged', unknown_streak: 1 });

    // Deleted: the post answers 200 "deleted" with a placeholder, the file 404.
    posts.set('a1', 'deleted');
    await makeDue(ctx.sql, [t.id]);
    r = await pass();
    expect(r).toMatchObject({ checked: 1, removed: 1 });
    t = await trackedRow(ctx.sql, w.alertId);
    expect(t.state).toBe('removed');
    expect(t.next_check_at!.getTime() - t.removed_at!.getTime()).toBe(86_400_000);

    await makeDue(ctx.sql, [t.id]);
    r = await pass();
    expect(r).toMatchObject({ checked: 1, removed: 0 });
    t = await trackedRow(ctx.sql, w.alertId);
    expect(t).toMatchObject({ state: 'removed', recheck_step: 1 });
    expect(t.next_check_at!.getTime() - t.removed_at!.getTime()).toBe(7 * 86_400_000);

    // Back at the same URL: re-appeared, and a new notice drafted for it.
    posts.set('a1', 'up');
    await makeDue(ctx.sql, [t.id]);
    r = await pass();
    expect(r).toMatchObject({ checked: 1, reappeared: 1 });
    expect(r.renoticed).toHaveLength(1);
    const renotice = (await selectNoticeById(ctx.sql, r.renoticed[0]))!;
    expect(renotice).toMatchObject({ kind: 'initial', status: 'draft', platform_id: w.platform.id });
    expect((await selectNoticeItems(ctx.sql, [renotice.id])).map((i) => i.alert_id)).toEqual([w.alertId]);
    expect((await trackedRow(ctx.sql, w.alertId)).state).toBe('reappeared');

    await markSent(ctx.sql, renotice.id);
    await pass();
    t = await trackedRow(ctx.sql, w.alertId);
    expect(t).toMatchObject({ state: 'notified', current_notice_id: renotice.id });

    const view = await noticeTracking(ctx.sql, w.notice.id);
    expect(view.history.map((h) => `${h.event}:${h.to}`)).toEqual([
      'tracking-started:notified', 'answer:removed:removal-claimed', 'check:present:acknowledged', 'check:removed:removed',
      'check:present:reappeared', 'notice-sent:notified',
    ]);
    expect(view.history.map((h) => h.actor)).toEqual(['system', 'platform', 'check', 'check', 'check', 'system']);
    const audit = await ctx.sql.query<{ action: string; detail: Record<string, unknown> }>("SELECT action, detail FROM audit_log WHERE record_type = 'tracked-url' AND record_id = $1 ORDER BY seq", [t.id]);
    expect(audit.map((a) => a.action)).toEqual(['monitoring.track', 'monitoring.transition', 'monitoring.transition', 'monitoring.transition', 'monitoring.transition', 'monitoring.transition']);
  });

  it('a check job delivered twice checks once', async () => {
    const w = await world('a2');
    await pass();
    const t = await trackedRow(ctx.sql, w.alertId);
    await makeDue(ctx.sql, [t.id]);
    const verifier = createMonitorVerifier(ctx);
    try {
      const outcomes = await Promise.all([checkTrackedUrl(ctx, verifier, t.id), checkTrackedUrl(ctx, verifier, t.id)]);
      expect(outcomes.map((o) => o.result).sort()).toEqual(['present', 'skipped']);
      // Run again after it finished: no longer due.
      expect((await checkTrackedUrl(ctx, verifier, t.id)).result).toBe('skipped');
    } finally {
      await verifier.close();
    }
  });

  it('reminders every STAYDOWN_REMIND_AFTER, then escalations along the chain: host, then registrar', async () => {
    const w = await world('a3');
    await pass();
    const t = await trackedRow(ctx.sql, w.alertId);
    const H = 3_600_000;
    await backdate(ctx.sql, t.id, H + 1000);
    let r = await pass();
    expect(r.reminders).toBe(1);
    const [reminderId] = queued.slice(-1);
    const reminder = (await selectNoticeById(ctx.sql, reminderId))!;
    expect(reminder).toMatchObject({ kind: 'reminder', status: 'approved', original_notice_id: w.notice.id, platform_id: w.platform.id, approved_by_name: 'test-staff' });
    // Not again before another STAYDOWN_REMIND_AFTER.
    expect((await pass()).reminders).toBe(0);
    await markSent(ctx.sql, reminderId);
    await pass();
    expect((await noticeTracking(ctx.sql, w.notice.id)).history.map((h) => h.event)).toContain('reminder-sent');

    // 10 h after the notice: an escalation to the host, awaiting approval (escalations are not automatic).
    await backdate(ctx.sql, t.id, 10 * H);
    r = await pass();
    expect(r.escalations).toBe(1);
    expect(r.followUpsAwaitingApproval).toHaveLength(1);
    const esc = (await selectNoticeById(ctx.sql, r.followUpsAwaitingApproval[0]))!;
    expect(esc).toMatchObject({ kind: 'escalation', status: 'draft', platform_id: w.host.id, original_notice_id: w.notice.id });
    const [pkg] = await ctx.sql.query<{ detail: Record<string, unknown> }>("SELECT detail FROM notice_history WHERE notice_id = $1 AND event = 'escalation-package'", [esc.id]);
    expect(pkg.detail).toMatchObject({ type: 'abuse-report', target: w.host.name, site: w.platform.name });
    expect((pkg.detail.notices as Array<{ kind: string }>).map((n) => n.kind)).toEqual(['initial', 'reminder']);
    expect(JSON.stringify(pkg.detail)).not.toContain(w.c.caseId);
    // While it waits for approval, no further escalation piles up behind it, however long it waits.
    await backdate(ctx.sql, t.id, 10 * H + 1000);
    expect((await pass()).escalations).toBe(0);
    // Sent: the URL is escalated; the host did nothing either for 10 h: the registrar, in the same pass.
    await markSent(ctx.sql, esc.id);
    r = await pass();
    expect((await trackedRow(ctx.sql, w.alertId)).state).toBe('escalated');
    expect(r.escalations).toBe(1);
    const registrarEsc = r.followUpsAwaitingApproval[0];
    expect((await selectNoticeById(ctx.sql, registrarEsc))!.platform_id).toBe(w.registrar.id);
    // The end of the chain: nothing more.
    await markSent(ctx.sql, registrarEsc);
    await backdate(ctx.sql, t.id, 10 * H + 1000);
    expect((await pass()).escalations).toBe(0);
  });

  it('a refusal escalates at once; a platform with no target is reported', async () => {
    const c = await seedMonitoredCase(ctx.sql, ctx.masterKey, { m: material });
    const siteId = await seedLoopbackSite(ctx.sql, server.origin);
    const lonely = await seedPlatformRow(ctx.sql, {});
    posts.set('a4', 'up');
    const alertId = await seedConfirmed(ctx.sql, { caseId: c.caseId, materialId: c.materialIds.m, siteId, pageUrl: `${server.origin}/p/a4`, mediaUrl: `${server.origin}/i/a4.jpg` });
    const notice = await seedSent(ctx.sql, c.caseId, lonely, [alertId]);
    await pass();
    await insertNoticeResponse(ctx.sql, { noticeId: notice.id, via: 'account', userId: null, answer: 'refused', urls: [`${server.origin}/i/a4.jpg`], message: 'no' });
    const r = await pass();
    expect((await trackedRow(ctx.sql, alertId)).state).toBe('refused');
    expect(r.noEscalationTarget).toEqual([lonely.name]);
  });

  it('a withdrawn case is no longer checked', async () => {
    const w = await world('a5');
    await pass();
    await ctx.sql.query("UPDATE cases SET status = 'withdrawn' WHERE id = $1", [w.c.caseId]);
    await pass();
    expect((await trackedRow(ctx.sql, w.alertId)).next_check_at).toBeNull();
  });
});
