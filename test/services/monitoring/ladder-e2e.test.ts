/**
 * The whole keep-it-down ladder with durations in seconds, on PostgreSQL with real peers on loopback:
 * four boards (127.0.0.2-5) show re-uploads of a case's material; crawled, confirmed, drafted, approved
 * and e-mailed to a real SMTP server. Board A removes on notice (one post deleted outright, the other a
 * 200 "deleted" page with a placeholder image) and says so through the response link; board B ignores the
 * notice (a reminder, then an escalation to its host); board C refuses (an escalation at once). A's
 * removed content is re-posted at the same URL -> `reappeared` and a new notice drafted. The material
 * re-uploaded on board D with an edit -> a re-upload alert with the material's history. The statistics
 * show the median from first notice to verified removal. Nothing of the victim is in any e-mail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import type { FastifyInstance } from 'fastify';
import { useTestDatabase } from '../../support/db.ts';
import { useTempDir, waitFor } from '../../support/tmp.ts';
import { ADMIN, serviceContext } from '../../support/service.ts';
import { syntheticPhoto } from '../../support/images.ts';
import { startSmtpSink, type SmtpSink, type ReceivedMail } from '../delivery/support/smtp-sink.ts';
import { fingerprintBuffer } from '../../../hashing/fingerprint.ts';
import { referenceHashes } from '../../../hashing/reference.ts';
import { insertMaterial, insertMaterialHashes } from '../../../db/queries/material.ts';
import { executeRun } from '../../../crawler/crawl-service.ts';
import { createMatcher, type Matcher } from '../../../services/matching/change-feed.ts';
import { crawlDeps } from '../../../services/crawling/crawl-runtime.ts';
import { addSite, startManualRun } from '../../../services/crawling/sites.ts';
import { openCase } from '../../../services/cases/cases.ts';
import { confirmAlerts } from '../../../services/review/index.ts';
import { listAlerts } from '../../../services/review/alerts.ts';
import { addPlatform, approveNotice, deliverNow, draftNotices, getNotice } from '../../../services/takedown/index.ts';
import { buildApi } from '../../../services/http/server.ts';
import type { ServiceContext } from '../../../services/platform/context.ts';
import { runMonitorPass } from '../../../services/monitoring/pass.ts';
import { getStats } from '../../../services/stats/stats.ts';
import { quantile } from '../../../services/stats/compute.ts';
import { centreContext } from './support.ts';

const db = useTestDatabase('monitor_ladder');
const tmp = useTempDir('monitor-ladder');
const PRIVATE = { name: 'Minseo Kwonberg', contacts: ['minseo.kwonberg@mail.example'], notes: 'ex-partner posted it', label: 'Kwonberg case', keywords: ['minseokw'] };
let ctx: ServiceContext;
let sink: SmtpSink;
let app: FastifyInstance;
let matcher: Matcher;
let caseCode = '';
const boards: Record<'A' | 'B' | 'C' | 'D', { server: Server; origin: string; posts: Map<string, { bytes: Buffer; state: 'up' | 'gone' | 'deleted-page' }> }> = {} as never;
let placeholder: Buffer;
const originals: Record<string, Buffer> = {};

async function startBoard(ip: string) {
  const posts = new Map<string, { bytes: Buffer; state: 'up' | 'gone' | 'deleted-page' }>();
  const send = (res: ServerResponse, status: number, type: string, body: Buffer | string) => void res.writeHead(status, { 'content-type': type }).end(body);
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname === '/') return send(res, 200, 'text/html', `<html><body>${[...posts.keys()].map((k) => `<a href="/p/${k}">post ${k}</a>`).join(' ')}</body></html>`);
    if (u.pathname === '/static/deleted.jpg') return send(res, 200, 'image/jpeg', placeholder);
    const m = /^\/(p|i)\/(\w+)/.exec(u.pathname);
    const post = m ? posts.get(m[2]) : undefined;
    if (!m || !post || post.state === 'gone') return send(res, 404, 'text/plain', 'not found');
    if (m[1] === 'i') return post.state === 'up' ? send(res, 200, 'image/jpeg', post.bytes) : send(res, 404, 'text/plain', 'gone');
    return send(res, 200, 'text/html', post.state === 'up' ? `<html><body><h1>post</h1><img src="/i/${m[2]}.jpg"></body></html>` : '<html><body><p>This post was deleted.</p><img src="/static/deleted.jpg"></body></html>');
  });
  await new Promise<void>((r) => server.listen(0, ip, r));
  return { server, origin: `http://${ip}:${(server.address() as AddressInfo).port}`, posts };
}

async function crawl(name: string) {
  const { run } = await startManualRun(ctx, ADMIN, name);
  const runtime = crawlDeps(ctx.sql, ctx.masterKey, matcher, ctx.log, { pool: ctx.fingerprints });
  try {
    const r = await executeRun(runtime.deps, run.id);
    if (r.status !== 'done') throw new Error(`crawl ended ${r.status}`);
  } finally {
    await runtime.close();
  }
}

const mailsTo = (addr: string) => sink.messages.filter((m) => m.envelope.to.includes(addr));
const respondToken = (m: ReceivedMail) => {
  const json = JSON.parse(m.parsed.attachments.find((a) => a.filename === 'notice.json')!.content.toString('utf8')) as { respondUrl: string };
  return json.respondUrl.split('/respond/')[1];
};
const trackedStates = async () => Object.fromEntries((await ctx.sql.query<{ media_url: string; state: string }>('SELECT media_url, state FROM tracked_urls')).map((r) => [new URL(r.media_url).host + new URL(r.media_url).pathname, r.state]));
const stateOf = async (board: keyof typeof boards, key: string) => (await trackedStates())[`${new URL(boards[board].origin).host}/i/${key}.jpg`];

beforeAll(async () => {
  sink = await startSmtpSink();
  const base = await serviceContext(db(), tmp());
  ctx = centreContext(base, { databaseUrl: db().url, dataDir: tmp(), smtpUrl: sink.url }, {
      STAYDOWN_CHECK_EVERY: '1s', STAYDOWN_REMIND_AFTER: '2s', STAYDOWN_ESCALATE_AFTER: '6s', STAYDOWN_MAX_REMINDERS: '1', STAYDOWN_RECHECKS: '1s,2s',
      STAYDOWN_AUTO_REMINDERS: 'true', STAYDOWN_AUTO_ESCALATIONS: 'true',
  });
  placeholder = await syntheticPhoto(9900, 200, 150);
  const c = await openCase(ctx, ADMIN, { personal: PRIVATE, keywords: PRIVATE.keywords });
  caseCode = c.code;
  const [row] = await ctx.sql.query<{ id: string }>('SELECT id::text FROM cases WHERE code = $1', [c.code]);
  for (const [k, seed] of [['a1', 7701], ['a2', 7702], ['b1', 7703], ['c1', 7704]] as const) {
    originals[k] = await syntheticPhoto(seed, 360, 270);
    const fp = await fingerprintBuffer(originals[k]);
    const m = (await insertMaterial(ctx.sql, { caseId: row.id, kind: fp.kind, sha256: fp.sha256, md5: fp.md5, fingerprint: fp, byteSize: originals[k].length, createdBy: null }))!;
    await insertMaterialHashes(ctx.sql, m.id, referenceHashes(fp));
  }
  boards.A = await startBoard('127.0.0.2');
  boards.B = await startBoard('127.0.0.3');
  boards.C = await startBoard('127.0.0.4');
  boards.D = await startBoard('127.0.0.5');
  const upload = (k: string) => sharp(originals[k]).resize(320).jpeg({ quality: 82 }).toBuffer();
  boards.A.posts.set('a1', { bytes: await upload('a1'), state: 'up' });
  boards.A.posts.set('a2', { bytes: await upload('a2'), state: 'up' });
  boards.B.posts.set('b1', { bytes: await upload('b1'), state: 'up' });
  boards.C.posts.set('c1', { bytes: await upload('c1'), state: 'up' });
  await addPlatform(ctx, ADMIN, { name: 'host-b', kind: 'host', domains: ['host-b.example'], emails: ['abuse@host-b.example'] });
  await addPlatform(ctx, ADMIN, { name: 'host-c', kind: 'host', domains: ['host-c.example'], emails: ['abuse@host-c.example'] });
  await addPlatform(ctx, ADMIN, { name: 'board-a', domains: ['127.0.0.2'], emails: ['abuse@board-a.example'] });
  await addPlatform(ctx, ADMIN, { name: 'board-b', domains: ['127.0.0.3'], emails: ['abuse@board-b.example'], escalateTo: 'host-b' });
  await addPlatform(ctx, ADMIN, { name: 'board-c', domains: ['127.0.0.4'], emails: ['abuse@board-c.example'], escalateTo: 'host-c' });
  await addPlatform(ctx, ADMIN, { name: 'board-d', domains: ['127.0.0.5'], emails: ['abuse@board-d.example'] });
  for (const [k, ip] of [['A', '127.0.0.2'], ['B', '127.0.0.3'], ['C', '127.0.0.4'], ['D', '127.0.0.5']] as const) {
    await addSite(ctx, ADMIN, { name: `ladder-${k.toLowerCase()}`, urls: [`${boards[k].origin}/`], allowHosts: [ip], rateMs: 0, concurrency: 4 });
  }
  matcher = await createMatcher(ctx.sql, ctx.log);
  app = await buildApi(ctx);
});

afterAll(async () => {
  await app?.close();
  await matcher?.close();
  for (const b of Object.values(boards)) await new Promise((r) => b.server.close(r));
  await sink?.close();
});

describe('the keep-it-down ladder, in seconds', { timeout: 300_000 }, () => {
  it('removal verified, reminder and escalation, refusal, re-appearance, re-upload with history, and the median', async () => {
    for (const k of ['a', 'b', 'c']) await crawl(`ladder-${k}`);
    const alerts = (await listAlerts(ctx, ADMIN)).items;
    expect(alerts).toHaveLength(4);
    await confirmAlerts(ctx, ADMIN, alerts.map((a) => a.id));
    const drafted = await draftNotices(ctx);
    expect(drafted.drafted).toBe(3);
    for (const id of drafted.noticeIds) {
      await approveNotice(ctx, ADMIN, id);
      expect(await deliverNow(ctx, id)).toBe('sent');
    }
    for (const to of ['abuse@board-a.example', 'abuse@board-b.example', 'abuse@board-c.example']) expect(mailsTo(to)).toHaveLength(1);
    let r = await runMonitorPass(ctx);
    expect(r.tracked).toBe(4);

    // Board A removes both posts - one outright, one as a "deleted" page with a placeholder - and says so.
    boards.A.posts.get('a1')!.state = 'gone';
    boards.A.posts.get('a2')!.state = 'deleted-page';
    const answerA = await app.inject({ method: 'POST', url: `/respond/${respondToken(mailsTo('abuse@board-a.example')[0])}`, payload: { answer: 'removed' } });
    expect(answerA.statusCode).toBe(200);
    // Board C refuses.
    const answerC = await app.inject({ method: 'POST', url: `/respond/${respondToken(mailsTo('abuse@board-c.example')[0])}`, payload: { answer: 'refused', message: 'we do not act on this' } });
    expect(answerC.statusCode).toBe(200);
    r = await runMonitorPass(ctx);
    expect(r.removed).toBe(2);
    expect(await stateOf('A', 'a1')).toBe('removed');
    expect(await stateOf('A', 'a2')).toBe('removed');
    // The refusal escalated at once, to board C's host.
    expect(r.escalations).toBeGreaterThanOrEqual(1);
    await waitFor(async () => mailsTo('abuse@host-c.example').length === 1 && (await stateOf('C', 'c1')) === 'escalated' || (await runMonitorPass(ctx), false), 30_000, "board C's escalation to its host");
    const escalation = mailsTo('abuse@host-c.example')[0];
    expect(escalation.parsed.subject).toMatch(/^\[Escalation\]/);
    // The escalation package is attached (and in notice.json, the webhook body), not only kept in history.
    const attached = escalation.parsed.attachments.find((a) => a.filename === 'escalation-package.json');
    expect(attached, 'escalation-package.json attached').toBeDefined();
    const pkg = JSON.parse(attached!.content.toString('utf8'));
    expect(pkg).toMatchObject({ schema: 'staydown-escalation/1', type: 'abuse-report', site: 'board-c', answers: [expect.objectContaining({ answer: 'refused' })] });
    expect(pkg.urls.map((u: { mediaUrl: string }) => u.mediaUrl)).toEqual([expect.stringContaining('c1')]);
    const noticeJson = JSON.parse(escalation.parsed.attachments.find((a) => a.filename === 'notice.json')!.content.toString('utf8'));
    expect(noticeJson.escalationPackage).toEqual(pkg);
    expect(escalation.parsed.text).toContain('escalation-package.json');

    // Board B ignores the notice: a reminder after 2 s, then an escalation to its host 6 s after the notice.
    await waitFor(async () => mailsTo('abuse@board-b.example').length === 2 || (await runMonitorPass(ctx), false), 30_000, 'the reminder to board B');
    const reminder = mailsTo('abuse@board-b.example')[1];
    expect(reminder.parsed.subject).toMatch(/^\[Reminder\]/);
    const firstRef = /SD-\d{4}-\d+/.exec(mailsTo('abuse@board-b.example')[0].parsed.subject ?? '')![0];
    expect(reminder.parsed.text).toContain(firstRef);
    // It says how long the URLs are overdue (or when the deadline comes, if it has not passed yet).
    expect(reminder.parsed.text).toMatch(new RegExp(`This is a reminder of notice ${firstRef}, sent [^.]+\\. (Its deadline, [^,]+, has passed: the URLs below are still online and \\d+ (minute|hour|day)|The URLs below are still online; its deadline is)`));
    await waitFor(async () => mailsTo('abuse@host-b.example').length === 1 || (await runMonitorPass(ctx), false), 30_000, "the escalation to board B's host");
    await waitFor(async () => (await stateOf('B', 'b1')) === 'escalated' || (await runMonitorPass(ctx), false), 30_000, 'board B escalated');
    const bNotice = (await ctx.sql.query<{ id: string }>("SELECT n.id::text FROM notices n JOIN platforms p ON p.id = n.platform_id WHERE p.name = 'board-b' AND n.kind = 'initial'"))[0].id;
    const shown = await getNotice(ctx, ADMIN, bNotice);
    expect(shown.urls[0].state).toBe('escalated');
    expect(shown.history.map((h) => h.event)).toEqual(expect.arrayContaining(['url:tracking-started', 'url:reminder-sent', 'url:escalation-sent']));

    // A's first post is back at the same URL: re-appeared on a re-check, a new notice drafted.
    boards.A.posts.get('a1')!.state = 'up';
    await waitFor(async () => (await stateOf('A', 'a1')) === 'reappeared' || (await runMonitorPass(ctx), false), 30_000, 'the re-appearance on board A');
    const renotice = await ctx.sql.query<{ status: string }>("SELECT n.status FROM notices n JOIN platforms p ON p.id = n.platform_id WHERE p.name = 'board-a' AND n.kind = 'initial' ORDER BY n.created_at");
    expect(renotice.map((n) => n.status)).toEqual(['sent', 'draft']);

    // The material re-uploaded elsewhere with an edit: a re-upload alert with the material's history.
    boards.D.posts.set('d1', { bytes: await sharp(originals.a2).resize(300).modulate({ brightness: 1.08 }).flop().jpeg({ quality: 70 }).toBuffer(), state: 'up' });
    await crawl('ladder-d');
    const reup = (await listAlerts(ctx, ADMIN, { status: 'new' })).items[0];
    expect(reup).toMatchObject({ reupload: true, site: 'ladder-d' });
    const earlier = reup.history!.sightings.find((s) => s.site === 'ladder-a')!;
    expect(earlier).toMatchObject({ status: 'confirmed', state: 'removed' });
    expect(earlier.notifiedAt).not.toBeNull();
    expect(earlier.removedAt).not.toBeNull();
    expect(reup.history!.times).toBe(2);

    // The statistics: board A's median from first notice to verified removal.
    const rows = await ctx.sql.query<{ ms: number }>("SELECT extract(epoch FROM t.first_removed_at - t.first_notified_at) * 1000 AS ms FROM tracked_urls t JOIN platforms p ON p.id = t.platform_id WHERE p.name = 'board-a'");
    const expectedMedianH = quantile(rows.map((x) => Number(x.ms)), 0.5)! / 3_600_000;
    const stats = await getStats(ctx, ADMIN, {});
    const a = stats.platforms.find((p) => p.platform === 'board-a')!;
    expect(a).toMatchObject({ noticesSent: 1, urls: 2, removed: 2, removedWithin24h: 1, refusals: 0 });
    expect(a.medianHoursToRemoval).toBe(Math.round(expectedMedianH * 1000) / 1000);
    expect(stats.platforms.find((p) => p.platform === 'board-c')).toMatchObject({ refusals: 1, removed: 0, escalations: 0 });
    expect(stats.platforms.find((p) => p.platform === 'board-b')).toMatchObject({ noticesSent: 1, reminders: 1, noAnswer: 1 });

    // Nothing of the victim in any e-mail.
    for (const m of sink.messages) {
      const raw = m.raw.toString('utf8').toLowerCase();
      for (const secret of [PRIVATE.name, ...PRIVATE.name.split(' '), ...PRIVATE.contacts, PRIVATE.notes, PRIVATE.label, ...PRIVATE.keywords, caseCode]) expect(raw).not.toContain(secret.toLowerCase());
    }
  });
});
