/**
 * What other features may use of delivery: delivering one notice now (takedown's `deliverNow` hook),
 * recording a hand submission, and the receivers' signature check.
 */
import type { ServiceContext } from '../platform/context.ts';
import { createOutbox, type DeliveryResult } from './outbox.ts';

/** Delivers one notice in this process, if it is due (`staydown notices approve --wait` with no service). */
export async function deliverNotice(ctx: ServiceContext, noticeId: string): Promise<DeliveryResult> {
  const outbox = createOutbox(ctx, { log: ctx.log.child({ component: 'delivery' }) });
  try {
    return await outbox.deliver(noticeId);
  } finally {
    outbox.close();
  }
}

/** Several notices delivered here, one after another, over one SMTP connection pool. */
export async function deliverNotices(ctx: ServiceContext, noticeIds: readonly string[]): Promise<DeliveryResult[]> {
  const outbox = createOutbox(ctx, { log: ctx.log.child({ component: 'delivery' }) });
  try {
    const out: DeliveryResult[] = [];
    for (const id of noticeIds) out.push(await outbox.deliver(id));
    return out;
  } finally {
    outbox.close();
  }
}

export type { DeliveryResult, DeliveryStatus } from './outbox.ts';
export { verifySignature, signatureHeader, SIGNATURE_HEADER } from './webhook.ts';
export { handSubmission } from './web-form.ts';
// For the console (console/), which calls the same functions as the API routes and the CLI.
export { answerAsPlatform, listPlatformNotices, parseAnswer, PLATFORM_ANSWERS, LINK_NOT_FOUND, type AnswerInput, type NoticeState } from './responses.ts';
export { handSubmissionFor, recordSubmission, retryNotice } from './hand-submission.ts';
export { noticeAnswers } from './answers-view.ts';
