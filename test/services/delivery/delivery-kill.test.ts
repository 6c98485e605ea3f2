/**
 * A delivering worker process killed with SIGKILL (no clean-up of any kind) on either side of the SMTP
 * server's acceptance loses no notice, and sends none twice except in the one window the outbox cannot
 * close - and then with the same Message-ID.
 *
 * How the two moments are staged, honestly: the test SMTP server holds the conversation at a point and
 * reports when the sender got there; the test then kills the worker.
 *  (a) held at RCPT TO: no byte of the message has been sent. The server has nothing; the notice is
 *      `sending` with a hold that lapses, and a second worker sends it: exactly one message arrives.
 *  (b) held after the whole message arrived, before the server's final 250 reply: the server keeps the
 *      message (as a real MTA that queued it before its reply got out would), but the worker never learns
 *      it was accepted and dies before its commit. The second worker sends it again - the message
 *      arrives twice, both copies with the same Message-ID, which is what lets the receiver drop the repeat.
 * Both end `sent`, by the second worker, on attempt 2.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceContext } from '../../../services/platform/context.ts';
import { selectNoticeById, selectNoticeHistory } from '../../../db/queries/notices.ts';
import { useTestDatabase } from '../../support/db.ts';
import { useTempDir, waitFor } from '../../support/tmp.ts';
import { childEnv, serviceContext, startServe, type RunningServe } from '../../support/service.ts';
import { startSmtpSink, type HoldPoint, type SmtpSink } from './support/smtp-sink.ts';
import { seedAlerts, seedApprovedNotice, seedCase, seedPlatform } from './support/seed.ts';

const db = useTestDatabase('delivery_kill');
const tmp = useTempDir('dkill');
let sink: SmtpSink;
let ctx: ServiceContext;
const children: RunningServe[] = [];
const FROM = 'Takedown desk <takedown@support.example>';

beforeAll(async () => {
  sink = await startSmtpSink();
  ctx = await serviceContext(db(), tmp());
});
afterAll(async () => {
  for (const c of children) c.child.kill('SIGKILL');
  await sink.close();
});

const env = () => childEnv(ctx, {
  STAYDOWN_DATA_DIR: '/nonexistent-not-used',
  STAYDOWN_QUEUE_SCHEMA: `${db().schema}_boss`,
  STAYDOWN_SMTP_URL: sink.url,
  STAYDOWN_NOTICE_FROM: FROM,
  STAYDOWN_PUBLIC_URL: 'https://staydown.example',
  // Long enough that the first worker's own claim cannot lapse before it reaches the hold on a loaded
  // machine (at 3 s, a CI run saw the sweep re-claim it first: attempts 2 at the kill); the second
  // worker waits it out.
  STAYDOWN_DELIVERY_LEASE_SECONDS: '10',
  STAYDOWN_DELIVERY_SWEEP_SECONDS: '1',
  STAYDOWN_LOG_LEVEL: 'warn',
});

async function killAt(point: HoldPoint) {
  const c = await seedCase(ctx.sql);
  const alerts = await seedAlerts(ctx.sql, c.id, [`https://board.example/kill-${point}-1.jpg`, `https://board.example/kill-${point}-2.jpg`]);
  const p = await seedPlatform(ctx.sql, ctx.masterKey, { channel: 'email', emails: ['abuse@board.example'] });
  const notice = await seedApprovedNotice(ctx.sql, c.id, p, 'email', alerts);
  const messageId = `<${notice.reference}@staydown.support.example>`;
  const ours = () => sink.messages.filter((m) => m.parsed.subject?.includes(notice.reference) || m.messageId === messageId);

  const hold = sink.hold(point);
  const first = await startServe(env(), ['--roles', 'worker,scheduler']);
  children.push(first);
  await Promise.race([hold.reached, first.exited.then((code) => { throw new Error(`the first worker exited (${code}): ${first.stderr()}`); })]);
  first.child.kill('SIGKILL');
  await first.exited;
  const mid = (await selectNoticeById(ctx.sql, notice.id))!;
  expect(mid).toMatchObject({ status: 'sending', attempts: 1, message_id: messageId });
  const receivedBeforeRestart = ours().length;
  hold.release();

  const second = await startServe(env(), ['--roles', 'worker,scheduler']);
  children.push(second);
  const done = await waitFor(async () => {
    const n = await selectNoticeById(ctx.sql, notice.id);
    return n && n.status !== 'sending' ? n : null;
  }, 60_000, `notice ${notice.reference} to be sent by the second worker`).catch((err: Error) => {
    throw new Error(`${err.message}\nfirst: ${first.stderr().slice(-2000)}\nsecond: ${second.stderr().slice(-2000)}`);
  });
  await second.stop();
  return { notice, done, receivedBeforeRestart, messages: ours(), messageId, history: await selectNoticeHistory(ctx.sql, notice.id) };
}

describe('a delivering worker killed mid-send', { timeout: 180_000 }, () => {
  it('(a) before the SMTP server accepted: the second worker sends it, exactly one message arrives', async () => {
    const r = await killAt('rcpt');
    expect(r.receivedBeforeRestart).toBe(0);
    expect(r.done).toMatchObject({ status: 'sent', attempts: 2, message_id: r.messageId, last_error: null });
    expect(r.messages).toHaveLength(1);
    expect(r.messages[0].messageId).toBe(r.messageId);
    expect(r.messages[0].parsed.text).toContain(`kill-rcpt-1.jpg`);
    expect(r.history.map((h) => h.event)).toEqual(['sending', 'sending', 'sent']);
  });

  it('(b) after the server accepted, before the commit: at most two copies, with the same Message-ID', async () => {
    const r = await killAt('reply');
    expect(r.receivedBeforeRestart).toBe(1);
    expect(r.done).toMatchObject({ status: 'sent', attempts: 2, message_id: r.messageId });
    expect(r.messages.length).toBeGreaterThanOrEqual(1);
    expect(r.messages.length).toBeLessThanOrEqual(2);
    expect(new Set(r.messages.map((m) => m.messageId))).toEqual(new Set([r.messageId]));
    // The repeat is the same notice: the same response link and items.
    expect(new Set(r.messages.map((m) => m.parsed.attachments[0].content.toString('utf8'))).size).toBe(1);
    expect(r.history.map((h) => h.event)).toEqual(['sending', 'sending', 'sent']);
  });
});
