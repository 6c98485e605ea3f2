/**
 * What other features (delivery, review, console) may use of takedown: everything else in this folder
 * is its own business.
 */
/** The delivery job's name: queued with `{ noticeId }` when a notice is approved (worker role). */
export const NOTICE_DELIVER_JOB = 'notice-deliver';
/** The periodic drafting job (scheduler role): confirmed alerts become draft notices. */
export const NOTICE_DRAFT_JOB = 'notice-draft';

export { canMoveNotice, noticeStatusesBefore, NOTICE_STATUSES, NOTICE_TRANSITIONS, type NoticeStatus } from './notice-status.ts';
export { draftNotices, listUnroutedAlerts, channelFor, DRAFTING_ACTOR, type DraftResult, type UnroutedAlert } from './drafting.ts';
export {
  approveNotice, approveNotices, cancelNotice, getNotice, listNotices, krDesignationState, noticeData, noticeStatus, renderStoredNotice, renderStoredNotices, respondUrlFor,
  type ApproveOptions, type NoticeDetail, type NoticeSummary,
} from './notices.ts';
export { deliverNow } from './delivery.ts';
export { addPlatform, changePlatform, getPlatform, listPlatforms, proposePlatform, webhookSecret, DEFAULT_DEADLINE_HOURS, JURISDICTIONS, NOTICE_LANGUAGES, PLATFORM_KINDS, type Platform, type PlatformInput, type PlatformProposal } from './platforms.ts';
export { renderNotice, escapeHtml, NOTICE_ANSWERS, type NoticeAnswer, type NoticeData, type NoticeJson, type RenderedNotice } from './templates/index.ts';
export { fourEyesApprovers, fourEyesBlock, type FourEyesBlock } from './four-eyes.ts';
export {
  getPlatformWithProposal, listOpenProposals, lookupHost, proposeEscalationTargets, KCSC_RECORD, type EscalationProposal, type ProposalDeps, type ProposedTarget,
} from './escalation-proposals.ts';
export { acceptEscalationProposal, type AcceptedEscalation } from './escalation-accept.ts';
