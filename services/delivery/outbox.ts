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
import { insertNoticeHistory, updateNoticeStatus } from '../../db/queries/notices.ts';
import type { PlatformRow } from '../../db/queries/platforms.ts';
import {
  awaitHandSubmission, clearDelivery, lockNextDueNotice, lockOutboxNotice, noteNotSendable, recordFailure, selectWebhookAllowHosts,
  startAttempt, storeRespondToken, type OutboxRow,
} from '../../db/queries/delivery.ts';
import { appendAudit, type Actor } from '../platform/audit.ts';
import type { ServiceContext } from '../platform/context.ts';
import { decrypt, encrypt } from '../platform/crypto.ts';
import type { Logger } from '../platform/log.ts';
import { renderStoredNotice, respondUrlFor, webhookSecret, type RenderedNotice } from '../takedown/index.ts';
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

  async function claim(tx: Sql, row: OutboxRow | null, id: string): Promise<ClaimResult> {
    if (!row) return { result: { noticeId: id, reference: null, status: 'skipped', message: `There is no notice with the id ${id}.` } };
    const base = { noticeId: row.id, reference: row.reference };
    const why = notDueReason(row);
    if (why) return { result: { ...base, status: 'skipped', message: why } };
    if (row.channel === 'email' && !sender()) {
      await noteNotSendable(tx, row.id, NOT_CONFIGURED);
      return { result: { ...base, status: 'not-configured', message: NOT_CONFIGURED } };
    }
    let token: string;
    if (row.respond_token_sha256 && row.respond_token_sealed) {
      token = decrypt(ctx.masterKey, row.respond_token_sealed, tokenAad(row.id)).toString('utf8');
    } else {
      const t = newRespondToken(ctx.config.respondDays, row.now);
      // A hash without its sealed copy (made elsewhere) cannot be put in a re-sent notice: replace it.
      if (row.respond_token_sha256) await tx.query('UPDATE notices SET respond_token_sha256 = NULL WHERE id = $1', [row.id]);
      await storeRespondToken(tx, row.id, t.sha256.toString('hex'), encrypt(ctx.masterKey, Buffer.from(t.token, 'utf8'), tokenAad(row.id)), t.expiresAt);
      token = t.token;
    }
    if (row.channel === 'form') {
      await awaitHandSubmission(tx, row.id);
      await insertNoticeHistory(tx, row.id, 'system', 'awaiting-hand-submission', {});
      return { result: { ...base, status: 'awaiting-hand-submission', message: `Notice ${row.reference} is to be submitted by hand on the platform's web form; record it with 'staydown notices submitted ${row.reference}'.` } };
    }
    const messageId = row.channel === 'email' ? noticeMessageId(row.reference, from()) : row.reference;
    const attempt = await startAttempt(tx, row.id, ctx.config.deliveryLeaseSeconds, messageId);
    await insertNoticeHistory(tx, row.id, 'system', 'sending', { attempt, channel: row.channel });
    return { claim: { row, attempt, token, messageId } };
  }

  async function send(c: Claim, platform: PlatformRow, rendered: RenderedNotice): Promise<ChannelOutcome> {
    if (c.row.channel === 'email') {
      return sender()!.send({ reference: c.row.reference, to: platform.emails, subject: rendered.subject, text: rendered.text, html: rendered.html, json: rendered.json });
    }
    if (!platform.webhook_url) return { kind: 'refused', message: `Platform '${platform.name}' has no webhook URL any more; add one or change its channel.` };
    const secret = webhookSecret(ctx.masterKey, platform);
    if (!secret) return { kind: 'refused', message: `Platform '${platform.name}' has no webhook secret: set one so the receiver can check the signature.` };
    return postWebhook({
      url: platform.webhook_url,
      reference: c.row.reference,
      body: JSON.stringify(rendered.json),
      secret,
      allowHosts: await selectWebhookAllowHosts(ctx.sql, platform.id),
    });
  }

  async function finish(c: Claim, outcome: ChannelOutcome): Promise<DeliveryResult> {
    const base = { noticeId: c.row.id, reference: c.row.reference, attempt: c.attempt };
    const log = opts.log.child({ notice: c.row.id, attempt: c.attempt });
    return ctx.sql.transaction(async (tx) => {
      const now = await lockOutboxNotice(tx, c.row.id);
      if (!now) return { ...base, status: 'skipped' as const, message: `Notice ${c.row.reference} was deleted while it was being delivered.` };
      if (outcome.kind === 'delivered') {
        if (now.status !== 'sending') {
          // Our copy arrived after another attempt had finished: the receiver has it twice, same ids.
          await insertNoticeHistory(tx, c.row.id, 'system', 'delivered-again', { attempt: c.attempt, channel: c.row.channel });
          return { ...base, status: 'sent' as const, message: `Notice ${c.row.reference} had already been marked ${now.status}; this copy carried the same ${c.row.channel === 'email' ? 'Message-ID' : 'Idempotency-Key'}.` };
        }
        const sent = await updateNoticeStatus(tx, c.row.id, ['sending'], 'sent');
        await clearDelivery(tx, c.row.id);
        await insertNoticeHistory(tx, c.row.id, 'system', 'sent', { attempt: c.attempt, channel: c.row.channel, messageId: c.messageId });
        const code = await tx.query<{ code: string }>('SELECT code FROM cases WHERE id = $1', [c.row.case_id]);
        await appendAudit(tx, DELIVERY_ACTOR, { action: 'notice.sent', recordType: 'notice', recordId: c.row.id, caseCode: code[0]?.code ?? null, detail: { reference: c.row.reference, channel: c.row.channel, attempt: c.attempt } });
        log.info({ channel: c.row.channel }, 'notice sent');
        return { ...base, status: 'sent' as const, message: `Notice ${c.row.reference} was sent by ${c.row.channel} (attempt ${c.attempt}); the platform's deadline is ${sent?.deadline?.toISOString() ?? 'set'}.` };
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
    });
  }

  async function run(claimed: ClaimResult): Promise<DeliveryResult> {
    if ('result' in claimed) return claimed.result;
    const c = claimed.claim;
    let outcome: ChannelOutcome;
    try {
      // The same bytes on every attempt: the same response link, and issued at its approval.
      const { platform, rendered } = await renderStoredNotice(ctx.sql, ctx.config, c.row.id, {
        respondUrl: respondUrlFor(ctx.config, c.token),
        issuedAt: c.row.approved_at ?? undefined,
      });
      outcome = await send(c, platform, rendered);
    } catch (err) {
      // Not the channel's failure (a template or a stored secret that cannot be read): not retried.
      outcome = { kind: 'refused', message: `Notice ${c.row.reference} could not be prepared for sending: ${(err as Error).message}` };
    }
    return finish(c, outcome);
  }

  return {
    async deliver(noticeId) {
      return run(await ctx.sql.transaction(async (tx) => claim(tx, await lockOutboxNotice(tx, noticeId), noticeId)));
    },
    async drain(signal, max = Number.POSITIVE_INFINITY) {
      let n = 0;
      const email = sender() !== null;
      while (n < max && !signal?.aborted) {
        const claimed = await ctx.sql.transaction(async (tx) => {
          const row = await lockNextDueNotice(tx, email);
          return row ? claim(tx, row, row.id) : null;
        });
        if (!claimed) break;
        await run(claimed);
        n++;
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
