/**
 * THE HOOK FOR THE DELIVERY WORK (branch wt/delivery): sending an approved notice by e-mail, webhook or
 * form. Until it lands, `deliverNow` sends nothing and reports the notice's status, and
 * `DELIVERY_AVAILABLE` is false (the periodic job then does not re-queue approved notices, and
 * `staydown notices approve --wait` reports the status after approval).
 *
 * Contract for the implementation: claim the notice atomically (approved|failed -> sending, with
 * updateNoticeStatus; a notice someone else claimed is left alone), render it with renderStoredNotice
 * (passing the response link from respondUrlFor), send it on its channel, then move it to sent (which
 * sets sent_at and the deadline) or failed (attempts, last_error, next_attempt_at), with a
 * notice_history row for each step. Safe to run twice: the `notice-deliver` job is delivered at least once.
 */
import type { ServiceContext } from '../platform/context.ts';
import type { NoticeStatus } from './notice-status.ts';
import { noticeStatus } from './notices.ts';

/** Whether this build delivers notices (flip to true with the implementation). */
export const DELIVERY_AVAILABLE: boolean = false;

/** Delivers one approved notice in this process and returns its status afterwards (null: no such notice). */
export async function deliverNow(ctx: ServiceContext, noticeId: string): Promise<NoticeStatus | null> {
  return noticeStatus(ctx.sql, noticeId);
}
