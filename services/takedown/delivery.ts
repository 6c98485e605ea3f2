/**
 * The hook by which takedown has notices delivered: the delivery work (services/delivery) claims, renders,
 * sends and records them. `deliverNow` runs one delivery in this process (`staydown notices approve
 * --wait` with no service running) and returns the notice's status afterwards (null: no such notice).
 */
import type { ServiceContext } from '../platform/context.ts';
import type { NoticeStatus } from './notice-status.ts';
import { noticeStatus } from './notices.ts';

export async function deliverNow(ctx: ServiceContext, noticeId: string): Promise<NoticeStatus | null> {
  // Imported when used: delivery renders through takedown's index, which exports this hook.
  const { deliverNotice } = await import('../delivery/index.ts');
  await deliverNotice(ctx, noticeId);
  return noticeStatus(ctx.sql, noticeId);
}
