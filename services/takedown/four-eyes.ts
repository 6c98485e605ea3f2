/**
 * What the console shows instead of the approve button under the four-eyes rule (STAYDOWN_FOUR_EYES):
 * the same three refusals approveNotice makes (notices.ts checkFourEyes), asked before the click so the
 * page can say who must approve. approveNotice still decides; this only explains.
 */
import { selectNoticeDeciders } from '../../db/queries/notices.ts';
import { selectFourEyesApprovers } from '../../db/queries/timeline.ts';
import { requirePermission } from '../platform/access.ts';
import type { Actor } from '../platform/audit.ts';
import type { ServiceContext } from '../platform/context.ts';

/** 'self': this person confirmed alerts of it; 'command-line': some were confirmed with no account; 'no-account': the approver has none. */
export type FourEyesBlock = 'self' | 'command-line' | 'no-account';

export async function fourEyesBlock(ctx: ServiceContext, actor: Actor, noticeId: string): Promise<FourEyesBlock | null> {
  requirePermission(actor, 'notice.read');
  if (!ctx.config.fourEyes) return null;
  if (!actor.userId) return 'no-account';
  const deciders = await selectNoticeDeciders(ctx.sql, noticeId);
  if (deciders.includes(null)) return 'command-line';
  return deciders.includes(actor.userId) ? 'self' : null;
}

/** The names of the case's staff who may approve it under the rule (not who confirmed its alerts). */
export async function fourEyesApprovers(ctx: ServiceContext, actor: Actor, noticeId: string): Promise<string[]> {
  requirePermission(actor, 'notice.read');
  return selectFourEyesApprovers(ctx.sql, noticeId);
}
