/**
 * What other features (delivery, review, console) may use of takedown: everything else in this folder
 * is its own business.
 */
/** The delivery job's name: queued with `{ noticeId }` when a notice is approved (worker role). */
export const NOTICE_DELIVER_JOB = 'notice-deliver';
/** The periodic drafting job (scheduler role): confirmed alerts become draft notices. */
export const NOTICE_DRAFT_JOB = 'notice-draft';

export { canMoveNotice, noticeStatusesBefore, NOTICE_STATUSES, NOTICE_TRANSITIONS, type NoticeStatus } from './notice-status.ts';
