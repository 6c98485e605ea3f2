/**
 * A notice's life as a table: draft -> approved -> sending -> sent | failed; a draft, an approved notice
 * or a failed one can be cancelled. A failed notice goes back to sending when delivery is retried. Sent
 * and cancelled are final. Pure: the delivery work and the approval both ask it before they move a notice.
 */
import type { NoticeStatus } from '../../db/queries/notices.ts';

export type { NoticeStatus };

export const NOTICE_STATUSES: readonly NoticeStatus[] = ['draft', 'approved', 'sending', 'sent', 'failed', 'cancelled'];

export const NOTICE_TRANSITIONS: Readonly<Record<NoticeStatus, readonly NoticeStatus[]>> = {
  draft: ['approved', 'cancelled'],
  approved: ['sending', 'cancelled'],
  sending: ['sent', 'failed'],
  // A retry of the delivery starts it again.
  failed: ['sending', 'cancelled'],
  sent: [],
  cancelled: [],
};

export function canMoveNotice(from: NoticeStatus, to: NoticeStatus): boolean {
  return NOTICE_TRANSITIONS[from].includes(to);
}

/** The statuses a notice may come from to reach `to` (for a conditional UPDATE). */
export function noticeStatusesBefore(to: NoticeStatus): NoticeStatus[] {
  return NOTICE_STATUSES.filter((s) => canMoveNotice(s, to));
}
