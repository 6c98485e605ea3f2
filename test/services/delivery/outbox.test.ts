/**
 * The outbox in one process on PostgreSQL, with a real SMTP server and a real webhook receiver on
 * 127.0.0.1: a notice is claimed, sent once, marked sent with its deadline; a channel that is down or
 * failing leaves it queued with attempts and the error visible until the channel is back; a final
 * failure is not retried; without SMTP settings e-mail notices wait with a sentence saying why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../services/platform/config.ts';
import type { ServiceContext } from '../../../services/platform/context.ts';
import { createOutbox, NOT_CONFIGURED } from '../../../services/delivery/outbox.ts';
import { selectDueNoticeIds } from '../../../db/queries/delivery.ts';
import { selectNoticeById, selectNoticeHistory } from '../../../db/queries/notices.ts';
import { respondTokenHash } from '../../../services/delivery/respond-tokens.ts';
import { useTestDatabase } from '../../support/db.ts';
import { useTempDir, waitFor } from '../../support/tmp.ts';
import { ADMIN, serviceContext } from '../../support/service.ts';
import { retryNotice } from '../../../services/delivery/hand-submission.ts';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.ts';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts';
import { seedAlerts, seedApprovedNotice, seedCase, seedPlatform } from './support/seed.ts';
import { startJobs } from '../../../services/runtime/job-runner.ts';
import { JOBS } from '../../../services/runtime/jobs.ts';
import { deliveryQueuer } from '../../../services/takedown/jobs.ts';
import { NOTICE_DELIVER_JOB } from '../../../services/takedown/index.ts';

const db = useTestDatabase('delivery_outbox');
const tmp = useTempDir('outbox');
const SECRET = 'webhook-secret-for-the-outbox-test';
let sink: SmtpSink;
let hooks: WebhookReceiver;
let ctx: ServiceContext;
let bare: ServiceContext;

beforeAll(async () => {
  sink = await startSmtpSink();
  hooks = await startWebhookReceiver(SECRET);
  bare = await serviceContext(db(), tmp());
  const env = { DATABASE_URL: db().url, STAYDOWN_MASTER_KEY: bare.masterKey.toString('hex'), STAYDOWN_SMTP_URL: sink.url, STAYDOWN_NOTICE_FROM: 'Takedown desk <takedown@support.example>', STAYDOWN_PUBLIC_URL: 'https://staydown.example', STAYDOWN_DELIVERY_ATTEMPTS: '4', STAYDOWN_DELIVERY_RETRY_SECONDS: '2' };
  ctx = { ...bare, config: loadConfig({ dataDir: tmp() }, env) };
});
afterAll(async () => {
  await sink.close();
  await hooks.close();
});

async function emailNotice(urls = ['https://board.example/a.jpg', 'https://board.example/b.jpg']) {
  const c = await seedCase(ctx.sql);
  const alerts = await seedAlerts(ctx.sql, c.id, urls);
  const p = await seedPlatform(ctx.sql, ctx.masterKey, { channel: 'email', emails: ['abuse@board.example'] });
  return { case: c, platform: p, notice: await seedApprovedNotice(ctx.sql, c.id, p, 'email', alerts) };
}

async function webhookNotice(path = '/hook', allow = true) {
  const c = await seedCase(ctx.sql);
  const alerts = await seedAlerts(ctx.sql, c.id, [`https://board.example/${path.slice(1)}.jpg`]);
  const p = await seedPlatform(ctx.sql, ctx.masterKey, { channel: 'webhook', webhookUrl: hooks.url(path), webhookSecret: SECRET, ...(allow ? { allowHosts: ['127.0.0.1'] } : {}) });
  return { case: c, platform: p, notice: await seedApprovedNotice(ctx.sql, c.id, p, 'webhook', alerts) };
}

describe('the delivery outbox', () => {
  it('sends an approved e-mail notice once and marks it sent with its deadline, history and audit entry', async () => {
    const { notice } = await emailNotice();
    const outbox = createOutbox(ctx, { log: ctx.log });
    try {
      const before = sink.messages.length;
      const r = await outbox.deliver(notice.id);
      expect(r).toMatchObject({ status: 'sent', attempt: 1 });
      const again = await outbox.deliver(notice.id);
      expect(again.status).toBe('skipped');
      expect(again.message).toMatch(/is sent; only approved notices are delivered/);
      expect(sink.messages.length).toBe(before + 1);
      const mail = sink.messages.at(-1)!;
      expect(mail.messageId).toBe(`<${notice.reference}@staydown.support.example>`);
      expect(mail.envelope.to).toEqual(['abuse@board.example']);
      const json = JSON.parse(mail.parsed.attachments[0].content.toString('utf8'));
      expect(json.items.map((i: { mediaUrl: string }) => i.mediaUrl).sort()).toEqual(['https://board.example/a.jpg', 'https://board.example/b.jpg']);
      const token = /https:\/\/staydown\.example\/respond\/([A-Za-z0-9_-]{22})/.exec(json.respondUrl)![1];
      const row = (await selectNoticeById(ctx.sql, notice.id))!;
      expect(row).toMatchObject({ status: 'sent', attempts: 1, last_error: null, next_attempt_at: null, message_id: mail.messageId, respond_token_sha256: respondTokenHash(token).toString('hex') });
      expect(row.deadline!.getTime() - row.sent_at!.getTime()).toBe(48 * 3600_000);
      expect((await selectNoticeHistory(ctx.sql, notice.id)).map((h) => h.event)).toEqual(['sending', 'sent']);
      const audit = await ctx.sql.query<{ action: string; detail: Record<string, unknown> }>(`SELECT action, detail FROM audit_log WHERE record_id = $1`, [notice.id]);
      expect(audit).toEqual([{ action: 'notice.sent', detail: { reference: notice.reference, channel: 'email', attempt: 1 } }]);
    } finally {
      outbox.close();
    }
  });

  it('keeps a notice queued while the SMTP server is down, with attempts and the error visible, and sends it when it is back', async () => {
    const { notice } = await emailNotice(['https://board.example/down.jpg']);
    const outbox = createOutbox(ctx, { log: ctx.log });
    try {
      await sink.stop();
      const r = await outbox.deliver(notice.id);
      expect(r.status).toBe('retrying');
      const queued = (await selectNoticeById(ctx.sql, notice.id))!;
      expect(queued).toMatchObject({ status: 'failed', attempts: 1 });
      expect(queued.last_error).toMatch(/SMTP server could not be reached.*Attempt 2 of 4 follows in 0\.3 s/);
      expect(queued.next_attempt_at).not.toBeNull();
      // Not due before its time; then due, and the retry sweep's query finds it.
      expect(await outbox.deliver(notice.id)).toMatchObject({ status: 'skipped', message: expect.stringMatching(/is retried at/) });
      await waitFor(async () => (await selectDueNoticeIds(ctx.sql, true)).includes(notice.id), 10_000, 'the notice to be due again');
      await sink.start();
      const before = sink.messages.length;
      expect(await outbox.drain(undefined, 10)).toBeGreaterThanOrEqual(1);
      const sent = (await selectNoticeById(ctx.sql, notice.id))!;
      expect(sent).toMatchObject({ status: 'sent', attempts: 2, last_error: null });
      expect(sink.messages.slice(before).filter((m) => m.messageId === `<${notice.reference}@staydown.support.example>`)).toHaveLength(1);
      expect((await selectNoticeHistory(ctx.sql, notice.id)).map((h) => h.event)).toEqual(['sending', 'delivery-failed', 'sending', 'sent']);
    } finally {
      outbox.close();
    }
  });

  it('delivers a webhook notice signed, retries a 503 and fails a 404 at once with the status in the error', async () => {
    const outbox = createOutbox(ctx, { log: ctx.log });
    const ok = await webhookNotice('/ok');
    hooks.script([503]);
    expect((await outbox.deliver(ok.notice.id)).status).toBe('retrying');
    await waitFor(async () => (await selectDueNoticeIds(ctx.sql, true)).includes(ok.notice.id), 10_000, 'the webhook notice to be due again');
    expect((await outbox.deliver(ok.notice.id)).status).toBe('sent');
    const got = hooks.requests.filter((h) => h.path === '/ok');
    expect(got.map((h) => [h.status, h.signature.ok, h.headers['idempotency-key']])).toEqual([[503, true, ok.notice.reference], [200, true, ok.notice.reference]]);
    expect(got[0].body).toBe(got[1].body);
    expect((await selectNoticeById(ctx.sql, ok.notice.id))).toMatchObject({ status: 'sent', attempts: 2, message_id: ok.notice.reference });

    const gone = await webhookNotice('/gone');
    hooks.script([404]);
    expect(await outbox.deliver(gone.notice.id)).toMatchObject({ status: 'failed', message: expect.stringMatching(/HTTP status 404.*not retried/) });
    expect(await selectNoticeById(ctx.sql, gone.notice.id)).toMatchObject({ status: 'failed', next_attempt_at: null, last_error: expect.stringMatching(/404/) });
    expect(await selectDueNoticeIds(ctx.sql, true)).not.toContain(gone.notice.id);
    // Staff fixed the receiver: 'staydown notices retry' sends it again now, with the same Idempotency-Key.
    expect(await retryNotice(ctx, ADMIN, gone.notice.reference)).toMatchObject({ status: 'sent', attempts: 2, lastError: null });
    expect(hooks.requests.filter((h) => h.path === '/gone').map((h) => [h.status, h.headers['idempotency-key']])).toEqual([[404, gone.notice.reference], [200, gone.notice.reference]]);
    await expect(retryNotice(ctx, ADMIN, gone.notice.reference)).rejects.toThrow(/is sent; only a notice whose delivery failed is sent again/);
    outbox.close();
  });

  it('refuses a webhook on a loopback address the platform record does not allow, without sending', async () => {
    const outbox = createOutbox(ctx, { log: ctx.log });
    const { notice } = await webhookNotice('/private', false);
    const r = await outbox.deliver(notice.id);
    expect(r).toMatchObject({ status: 'failed', message: expect.stringMatching(/127\.0\.0\.1 is loopback/) });
    expect(hooks.requests.filter((h) => h.path === '/private')).toHaveLength(0);
    outbox.close();
  });

  it('without SMTP settings leaves e-mail notices approved with a sentence saying why', async () => {
    const { notice } = await emailNotice(['https://board.example/nosmtp.jpg']);
    const outbox = createOutbox(bare, { log: bare.log });
    const r = await outbox.deliver(notice.id);
    expect(r).toEqual({ noticeId: notice.id, reference: notice.reference, status: 'not-configured', message: NOT_CONFIGURED });
    expect(await selectNoticeById(ctx.sql, notice.id)).toMatchObject({ status: 'approved', attempts: 0, last_error: NOT_CONFIGURED });
    expect(await selectDueNoticeIds(ctx.sql, false)).not.toContain(notice.id);
    expect(await selectDueNoticeIds(ctx.sql, true)).toContain(notice.id);
    outbox.close();
  });

  it('holds a web-form notice for submission by hand, not for a machine to send again', async () => {
    const c = await seedCase(ctx.sql);
    const alerts = await seedAlerts(ctx.sql, c.id, ['https://board.example/form.jpg']);
    const p = await seedPlatform(ctx.sql, ctx.masterKey, { channel: 'form', formUrl: 'https://board.example/report' });
    const notice = await seedApprovedNotice(ctx.sql, c.id, p, 'form', alerts);
    const outbox = createOutbox(ctx, { log: ctx.log });
    expect((await outbox.deliver(notice.id)).status).toBe('awaiting-hand-submission');
    expect(await selectNoticeById(ctx.sql, notice.id)).toMatchObject({ status: 'sending', next_attempt_at: null, attempts: 0 });
    expect(await selectDueNoticeIds(ctx.sql, true)).not.toContain(notice.id);
    outbox.close();
  });

  it('in a worker process, approval delivers at once without waiting for the queue, and the queued job finds nothing left', async () => {
    const c = await seedCase(ctx.sql);
    const alerts = await seedAlerts(ctx.sql, c.id, ['https://board.example/run-here.jpg']);
    const p = await seedPlatform(ctx.sql, ctx.masterKey, { channel: 'email', emails: ['abuse@board.example'] });
    const notice = await seedApprovedNotice(ctx.sql, c.id, p, 'email', alerts);
    // The real notice-deliver job, with a note of each run: one started by the send itself has begun
    // before the send returns (a run from the queue's polling could only start after the job was stored).
    const real = JOBS.find((j) => j.name === NOTICE_DELIVER_JOB)!;
    expect(real.runHere).toBe(true);
    const runs: number[] = [];
    const jobs = [{ ...real, run: (d: Record<string, unknown>, env: Parameters<typeof real.run>[1]) => (runs.push(Date.now()), real.run(d, env)) }];
    const runner = await startJobs(ctx, { roles: ['worker'], matcher: null, log: ctx.log, jobs });
    try {
      const before = sink.messages.length;
      await deliveryQueuer(runner.send)([notice.id]);
      expect(runs).toHaveLength(1);
      await waitFor(async () => (await selectNoticeById(ctx.sql, notice.id))?.status === 'sent', 20_000, 'the notice sent');
      // (The drain also sends whatever else earlier tests left due.)
      expect(sink.messages.slice(before).filter((m) => m.messageId?.includes(notice.reference))).toHaveLength(1);
    } finally {
      await runner.stop();
    }
    // The queued copy (the safety net) ran or will run: the notice is sent once.
    expect((await selectNoticeHistory(ctx.sql, notice.id)).filter((h) => h.event === 'sent')).toHaveLength(1);
  });
});
