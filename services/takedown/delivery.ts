/**
 * The hook by which takedown has notices delivered: the delivery work (services/delivery) claims, renders,
 * sends and records them. `deliverNow` runs one delivery in this process (`staydown notices approve
 * --wait` with no service running) and returns the notice's status afterwards (null: no such notice).
 */
import type { ServiceContext } from '../platform/context.ts';
import type { NoticeStatus } from './notice-status.ts';
import { noticeStatus } from './notices.ts';

/** Delivers notices here (each if it is due) and returns each one's status afterwards. */
export async function deliverHere(ctx: ServiceContext, noticeIds: readonly string[]): Promise<Map<string, NoticeStatus | null>> {
  const { deliverNotices } = await import('../delivery/index.ts');
  await deliverNotices(ctx, noticeIds);
  const out = new Map<string, NoticeStatus | null>();
  for (const id of noticeIds) out.set(id, await noticeStatus(ctx.sql, id));
  return out;
}

export async function deliverNow(ctx: ServiceContext, noticeId: string): Promise<NoticeStatus | null> {
  // Imported when used: delivery renders through takedown's index, which exports this hook.
  const { deliverNotice } = await import('../delivery/index.ts');
  await deliverNotice(ctx, noticeId);
  return noticeStatus(ctx.sql, noticeId);
}
