/**
 * The delivery outbox: approved notices are delivered from the notices table itself, so a process killed
 * at any moment loses none, and none is sent twice except in one window - between the receiver's
 * acceptance and our commit - and then with the same Message-ID / Idempotency-Key, so the receiver can
 * drop the repeat.
 *
 *   1. claim (one transaction, the row locked): approved | failed-and-due | sending-with-a-lapsed-hold
 *      -> sending, attempts + 1, held until now + STAYDOWN_DELIVERY_LEASE_SECONDS;
 *   2. send (no transaction open): e-mail or webhook, one attempt;
 *   3. finish (one transaction): sent (sent_at, deadline = sent_at + the platform's hours, history,
 *      audit), or failed with the next attempt's time (retry-policy.ts), or failed for good.
 *
 * A worker killed between 1 and 3 leaves the notice `sending`; once its hold lapses the periodic
 * `notice-retry` job (scheduler role) queues it again and another worker sends it with the same ids.
 * Web-form notices are claimed once into `sending` with no hold: staff submit them by hand.
 */
import type { Sql } from '../../db/sql.ts';
import { insertNoticeHistories, insertNoticeHistory } from '../../db/queries/notices.ts';
import type { PlatformRow } from '../../db/queries/platforms.ts';
import {
  awaitHandSubmission, lockDueNotices, markSent, markSentMany, lockOutboxNotice, noteNotSendable, recordFailure, selectWebhookAllowHostsMany,
  startAttempts, storeRespondToken, type AttemptStart, type OutboxRow,
} from '../../db/queries/delivery.ts';
import { appendAudit, appendAudits, type Actor } from '../platform/audit.ts';
import type { ServiceContext } from '../platform/context.ts';
import { decrypt, encrypt } from '../platform/crypto.ts';
import type { Logger } from '../platform/log.ts';
import { renderStoredNotices, respondUrlFor, webhookSecret, type RenderedNotice } from '../takedown/index.ts';
import { newRespondToken } from './respond-tokens.ts';
import { outcomeSentence, retryDecision, type ChannelOutcome, type RetryPolicy } from './retry-policy.ts';
import { createSmtpSender, noticeMessageId, type SmtpSender } from './smtp.ts';
import { postWebhook } from './webhook.ts';

export const DELIVERY_ACTOR: Actor = { userId: null, name: 'delivery', role: 'admin', source: 'worker' };

export type DeliveryStatus = 'sent' | 'retrying' | 'failed' | 'awaiting-hand-submission' | 'not-configured' | 'skipped';

export interface DeliveryResult {
  noticeId: string;
  reference: string | null;
  status: DeliveryStatus;
  /** A sentence: what happened, or why nothing did. */
  message: string;
  attempt?: number;
}

export interface OutboxOptions {
  log: Logger;
  /** The SMTP sender; default one from STAYDOWN_SMTP_URL (none when it is unset). */
  smtp?: SmtpSender | null;
}

export interface Outbox {
  /** One notice, if it is due: claim, send, finish. Never throws for a channel's failure. */
  deliver(noticeId: string): Promise<DeliveryResult>;
  /** Delivers due notices one after another until none is left (or `signal` aborts); returns how many were tried. */
  drain(signal?: AbortSignal, max?: number): Promise<number>;
  close(): void;
}

export const NOT_CONFIGURED = 'E-mail is not configured: set STAYDOWN_SMTP_URL and STAYDOWN_NOTICE_FROM; the notice stays queued and goes out once they are set.';

const tokenAad = (noticeId: string) => `notice:${noticeId}:respond-token`;

export function retryPolicy(ctx: ServiceContext): RetryPolicy {
  return { maxAttempts: ctx.config.deliveryAttempts, spanMs: ctx.config.deliveryRetrySeconds * 1000 };
}

interface Claim {
  row: OutboxRow;
  attempt: number;
  token: string;
  messageId: string;
}

type ClaimResult = { claim: Claim } | { result: DeliveryResult };

interface Prepared {
  platform: PlatformRow;
  rendered: RenderedNotice;
  allowHosts: string[];
}

/** The sentence for a web-form notice handed to staff. */
export function handSubmissionSentence(reference: string): string {
  return `Notice ${reference} is to be submitted by hand on the platform's web form; record it with 'staydown notices submitted ${reference}'.`;
}

/** Notices claimed and sent together by a drain. */
const BATCH = 20;

/** Why a locked notice is not to be sent now, or null when it is due. */
export function notDueReason(row: OutboxRow): string | null {
  const due = row.next_attempt_at === null || row.next_attempt_at.getTime() <= row.now.getTime();
  switch (row.status) {
    case 'approved':
      return due ? null : `Notice ${row.reference} waits until ${row.next_attempt_at!.toISOString()}.`;
    case 'failed':
      if (row.next_attempt_at === null) return `Notice ${row.reference} failed for good; it is not retried.`;
      return due ? null : `Notice ${row.reference} is retried at ${row.next_attempt_at.toISOString()}.`;
    case 'sending':
      if (row.channel === 'form') return `Notice ${row.reference} waits to be submitted by hand.`;
      return due ? null : `Notice ${row.reference} is being delivered by another worker (held until ${row.next_attempt_at!.toISOString()}).`;
    default:
      return `Notice ${row.reference} is ${row.status}; only approved notices are delivered.`;
  }
}

export function createOutbox(ctx: ServiceContext, opts: OutboxOptions): Outbox {
  let smtp: SmtpSender | null | undefined = opts.smtp;
  const sender = () => {
    if (smtp === undefined) {
      smtp = ctx.config.smtpUrl && ctx.config.noticeFrom ? createSmtpSender({ url: ctx.config.smtpUrl, from: ctx.config.noticeFrom }) : null;
    }
    return smtp;
  };
  const from = () => ctx.config.noticeFrom ?? 'notices@staydown.invalid';
  const policy = retryPolicy(ctx);

  type Pending = { row: OutboxRow; token: string; newToken: AttemptStart['token']; messageId: string };

  /** What a locked notice needs before its attempt: nothing (skipped, with why), or its ids and token. */
  async function check(tx: Sql, row: OutboxRow | null, id: string): Promise<{ pending: Pending } | { result: DeliveryResult }> {
    if (!row) return { result: { noticeId: id, reference: null, status: 'skipped', message: `There is no notice with the id ${id}.` } };
    const base = { noticeId: row.id, reference: row.reference };
    const why = notDueReason(row);
    if (why) return { result: { ...base, status: 'skipped', message: why } };
    if (row.channel === 'email' && !sender()) {
      await noteNotSendable(tx, row.id, NOT_CONFIGURED);
      return { result: { ...base, status: 'not-configured', message: NOT_CONFIGURED } };
    }
    let token: string;
    let newToken: AttemptStart['token'] = null;
    if (row.respond_token_sha256 && row.respond_token_sealed) {
      token = decrypt(ctx.masterKey, row.respond_token_sealed, tokenAad(row.id)).toString('utf8');
    } else {
      // A hash without its sealed copy (made elsewhere) cannot be put in a re-sent notice: it is replaced.
      const t = newRespondToken(ctx.config.respondDays, row.now);
      newToken = { sha256Hex: t.sha256.toString('hex'), sealed: encrypt(ctx.masterKey, Buffer.from(t.token, 'utf8'), tokenAad(row.id)), expiresAt: t.expiresAt };
      token = t.token;
    }
    if (row.channel === 'form') {
      if (newToken) {
        if (row.respond_token_sha256) await tx.query('UPDATE notices SET respond_token_sha256 = NULL WHERE id = $1', [row.id]);
        await storeRespondToken(tx, row.id, newToken.sha256Hex, newToken.sealed, newToken.expiresAt);
      }
      await awaitHandSubmission(tx, row.id);
      await insertNoticeHistory(tx, row.id, 'system', 'awaiting-hand-submission', {});
      return { result: { ...base, status: 'awaiting-hand-submission', message: handSubmissionSentence(row.reference) } };
    }
    const messageId = row.channel === 'email' ? noticeMessageId(row.reference, from()) : row.reference;
    return { pending: { row, token, newToken, messageId } };
  }

  /** Claims locked notices: one statement starts every due attempt, one records them in the history. */
  async function claimAll(tx: Sql, rows: ReadonlyArray<{ row: OutboxRow | null; id: string }>): Promise<ClaimResult[]> {
    const checked = [];
    for (const r of rows) checked.push(await check(tx, r.row, r.id));
    const pending = checked.flatMap((c) => ('pending' in c ? [c.pending] : []));
    const attempts = await startAttempts(tx, pending.map((p) => ({ id: p.row.id, messageId: p.messageId, token: p.newToken })), ctx.config.deliveryLeaseSeconds);
    await insertNoticeHistories(tx, pending.map((p) => ({ noticeId: p.row.id, actor: 'system', event: 'sending', detail: { attempt: attempts.get(p.row.id), channel: p.row.channel } })));
    return checked.map((c) => ('result' in c ? c : { claim: { row: c.pending.row, attempt: attempts.get(c.pending.row.id)!, token: c.pending.token, messageId: c.pending.messageId } }));
  }

  async function send(c: Claim, { platform, rendered, allowHosts }: Prepared): Promise<ChannelOutcome> {
    if (c.row.channel === 'email') {
      const pkg = rendered.json.escalationPackage;
      return sender()!.send({
        reference: c.row.reference, to: platform.emails, subject: rendered.subject, text: rendered.text, html: rendered.html, json: rendered.json,
        ...(pkg ? { attachments: [{ filename: 'escalation-package.json', json: pkg }] } : {}),
      });
    }
    if (!platform.webhook_url) return { kind: 'refused', message: `Platform '${platform.name}' has no webhook URL any more; add one or change its channel.` };
    const secret = webhookSecret(ctx.masterKey, platform);
    if (!secret) return { kind: 'refused', message: `Platform '${platform.name}' has no webhook secret: set one so the receiver can check the signature.` };
    return postWebhook({
      url: platform.webhook_url,
      reference: c.row.reference,
      body: JSON.stringify(rendered.json),
      secret,
      allowHosts,
    });
  }

  async function finishIn(tx: Sql, c: Claim, outcome: ChannelOutcome): Promise<DeliveryResult> {
    const base = { noticeId: c.row.id, reference: c.row.reference, attempt: c.attempt };
    const log = opts.log.child({ notice: c.row.id, attempt: c.attempt });
    if (outcome.kind === 'delivered') {
      const sent = await markSent(tx, c.row.id);
      if (sent) {
        await insertNoticeHistory(tx, c.row.id, 'system', 'sent', { attempt: c.attempt, channel: c.row.channel, messageId: c.messageId });
        await appendAudit(tx, DELIVERY_ACTOR, { action: 'notice.sent', recordType: 'notice', recordId: c.row.id, caseCode: sent.case_code, detail: { reference: c.row.reference, channel: c.row.channel, attempt: c.attempt } });
        log.info({ channel: c.row.channel }, 'notice sent');
        return { ...base, status: 'sent' as const, message: `Notice ${c.row.reference} was sent by ${c.row.channel} (attempt ${c.attempt}); the platform's deadline is ${sent.deadline.toISOString()}.` };
      }
    }
    const now = await lockOutboxNotice(tx, c.row.id);
    if (!now) return { ...base, status: 'skipped' as const, message: `Notice ${c.row.reference} was deleted while it was being delivered.` };
    if (outcome.kind === 'delivered') {
      // Our copy arrived after another attempt had finished: the receiver has it twice, same ids.
      await insertNoticeHistory(tx, c.row.id, 'system', 'delivered-again', { attempt: c.attempt, channel: c.row.channel });
      return { ...base, status: 'sent' as const, message: `Notice ${c.row.reference} had already been marked ${now.status}; this copy carried the same ${c.row.channel === 'email' ? 'Message-ID' : 'Idempotency-Key'}.` };
    }
    if (now.status !== 'sending' || now.attempts !== c.attempt) {
      return { ...base, status: 'skipped' as const, message: `Attempt ${c.attempt} of notice ${c.row.reference} failed after another worker had taken the notice over: ${outcomeSentence(outcome)}` };
    }
    const decision = retryDecision(outcome, c.attempt, policy);
    if (decision.action === 'retry') {
      const retryAt = new Date(now.now.getTime() + decision.delayMs);
      await recordFailure(tx, c.row.id, decision.reason, retryAt);
      await insertNoticeHistory(tx, c.row.id, 'system', 'delivery-failed', { attempt: c.attempt, retryAt: retryAt.toISOString(), ...failureDetail(outcome) });
      log.warn({ retryAt, ...failureDetail(outcome) }, 'notice delivery failed; it is tried again later');
      return { ...base, status: 'retrying' as const, message: decision.reason };
    }
    const reason = decision.action === 'fail' ? decision.reason : outcomeSentence(outcome);
    await recordFailure(tx, c.row.id, reason, null);
    await insertNoticeHistory(tx, c.row.id, 'system', 'delivery-failed', { attempt: c.attempt, final: true, ...failureDetail(outcome) });
    await appendAudit(tx, DELIVERY_ACTOR, { action: 'notice.delivery-failed', recordType: 'notice', recordId: c.row.id, detail: { reference: c.row.reference, channel: c.row.channel, attempt: c.attempt, ...failureDetail(outcome) } });
    log.warn(failureDetail(outcome), 'notice delivery failed for good');
    return { ...base, status: 'failed' as const, message: reason };
  }

  /** Renders claimed notices together (the same bytes on every attempt: the same link, issued at its approval). */
  async function prepareAll(tx: Sql, claims: Claim[]): Promise<Array<Prepared | ChannelOutcome>> {
    const refused = (c: Claim, err: unknown): ChannelOutcome =>
      // Not the channel's failure (a template or a stored secret that cannot be read): not retried.
      ({ kind: 'refused', message: `Notice ${c.row.reference} could not be prepared for sending: ${(err as Error).message}` });
    let rendered: Awaited<ReturnType<typeof renderStoredNotices>>;
    try {
      rendered = await renderStoredNotices(tx, ctx.config, claims.map((c) => ({ noticeId: c.row.id, respondUrl: respondUrlFor(ctx.config, c.token), issuedAt: c.row.approved_at ?? undefined })));
    } catch (err) {
      return claims.map((c) => refused(c, err));
    }
    const hosts = await selectWebhookAllowHostsMany(tx, claims.filter((c) => c.row.channel === 'webhook').map((c) => c.row.platform_id));
    return claims.map((c) => {
      const r = rendered.get(c.row.id);
      if (!r) return refused(c, new Error('the notice is gone'));
      return { platform: r.platform, rendered: r.rendered, allowHosts: hosts.get(r.platform.id) ?? [] };
    });
  }

  /** Records delivered notices as sent together; the rest (and any no longer sending) one by one. */
  async function finishAll(tx: Sql, claims: Claim[], outcomes: ChannelOutcome[]): Promise<DeliveryResult[]> {
    const delivered = claims.filter((_, i) => outcomes[i].kind === 'delivered');
    const sent = await markSentMany(tx, delivered.map((c) => c.row.id));
    const done = delivered.filter((c) => sent.has(c.row.id));
    await insertNoticeHistories(tx, done.map((c) => ({ noticeId: c.row.id, actor: 'system', event: 'sent', detail: { attempt: c.attempt, channel: c.row.channel, messageId: c.messageId } })));
    await appendAudits(tx, done.map((c) => ({
      actor: DELIVERY_ACTOR,
      event: { action: 'notice.sent', recordType: 'notice', recordId: c.row.id, caseCode: sent.get(c.row.id)!.case_code, detail: { reference: c.row.reference, channel: c.row.channel, attempt: c.attempt } },
    })));
    const out: DeliveryResult[] = [];
    for (let i = 0; i < claims.length; i++) {
      const c = claims[i];
      const s = sent.get(c.row.id);
      if (s) {
        opts.log.child({ notice: c.row.id, attempt: c.attempt }).info({ channel: c.row.channel }, 'notice sent');
        out.push({ noticeId: c.row.id, reference: c.row.reference, attempt: c.attempt, status: 'sent', message: `Notice ${c.row.reference} was sent by ${c.row.channel} (attempt ${c.attempt}); the platform's deadline is ${s.deadline.toISOString()}.` });
      } else {
        out.push(await finishIn(tx, c, outcomes[i]));
      }
    }
    return out;
  }

  /**
   * Claimed notices, sent together: one transaction renders them all, the sends run at once, and one
   * transaction records every outcome. (On the embedded database each transaction costs a few ms of
   * commit whatever it holds, so a batch is what makes bursts cheap.)
   */
  async function sendClaimed(claims: Claim[]): Promise<DeliveryResult[]> {
    const prepared = await ctx.sql.transaction((tx) => prepareAll(tx, claims));
    const outcomes = await Promise.all(claims.map(async (c, i) => {
      const p = prepared[i];
      if ('kind' in p) return p;
      try {
        return await send(c, p);
      } catch (err) {
        return { kind: 'refused', message: `Notice ${c.row.reference} could not be sent: ${(err as Error).message}` } as ChannelOutcome;
      }
    }));
    return ctx.sql.transaction((tx) => finishAll(tx, claims, outcomes));
  }

  return {
    async deliver(noticeId) {
      const [claimed] = await ctx.sql.transaction(async (tx) => claimAll(tx, [{ row: await lockOutboxNotice(tx, noticeId), id: noticeId }]));
      if ('result' in claimed) return claimed.result;
      return (await sendClaimed([claimed.claim]))[0];
    },
    async drain(signal, max = Number.POSITIVE_INFINITY) {
      let n = 0;
      const email = sender() !== null;
      while (n < max && !signal?.aborted) {
        const claims = await ctx.sql.transaction(async (tx) => {
          const rows = await lockDueNotices(tx, email, Math.min(BATCH, max - n));
          return claimAll(tx, rows.map((row) => ({ row, id: row.id })));
        });
        if (claims.length === 0) break;
        n += claims.length;
        const ready = claims.flatMap((c) => ('claim' in c ? [c.claim] : []));
        if (ready.length) await sendClaimed(ready);
      }
      return n;
    },
    close() {
      smtp?.close();
    },
  };
}

/** Ids and statuses of a failure for logs and history: the channel's kind and code, never a body. */
function failureDetail(o: ChannelOutcome): Record<string, unknown> {
  if (o.kind === 'http-status') return { failure: o.kind, status: o.status };
  if (o.kind === 'smtp-reply') return { failure: o.kind, code: o.code };
  return { failure: o.kind };
}
