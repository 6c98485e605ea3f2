/**
 * The platform's answers to a notice as staff see them on the notice's page (with the message the
 * platform wrote). Access is the notice's: `notice.read`, staff only for notices of their cases; the
 * read itself is audited by getNotice on the same page, so this adds no audit entry of its own.
 */
import { isAssignedToNoticeCase, selectNoticeById } from '../../db/queries/notices.ts';
import { selectNoticeResponses } from '../../db/queries/delivery.ts';
import { needsAssignment, requirePermission } from '../platform/access.ts';
import type { Actor } from '../platform/audit.ts';
import type { ServiceContext } from '../platform/context.ts';
import { NotFoundError } from '../platform/errors.ts';
import type { NoticeState } from './responses.ts';

const NO_USER = '00000000-0000-0000-0000-000000000000';

export async function noticeAnswers(ctx: ServiceContext, actor: Actor, noticeId: string): Promise<NoticeState['responses']> {
  requirePermission(actor, 'notice.read');
  const row = await selectNoticeById(ctx.sql, noticeId);
  if (!row || (needsAssignment(actor, 'notice.read') && !(await isAssignedToNoticeCase(ctx.sql, row.id, actor.userId ?? NO_USER)))) {
    throw new NotFoundError(`There is no notice ${noticeId.slice(0, 60)} that you can access.`);
  }
  return (await selectNoticeResponses(ctx.sql, row.id)).map((r) => ({ at: r.at.toISOString(), via: r.via, answer: r.answer, urls: r.urls, message: r.message }));
}
