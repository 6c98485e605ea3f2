/**
 * Takedown's background work: `notice-draft` (scheduler role, every 10 s) turns confirmed alerts into
 * draft notices so none is missed, and queues approved notices whose delivery job was lost. The
 * `notice-deliver` job itself is the delivery work's (services/delivery/jobs.ts).
 */
import { selectApprovedNoticeIds } from '../../db/queries/notices.ts';
import type { JobDef, JobEnv } from '../runtime/job.ts';
import { DELIVERY_AVAILABLE } from './delivery.ts';
import { draftNotices } from './drafting.ts';
import { NOTICE_DELIVER_JOB, NOTICE_DRAFT_JOB } from './index.ts';

/** How approval queues delivery through a job queue: one waiting job per notice. */
export function deliveryQueuer(send: JobEnv['send']): (noticeId: string) => Promise<void> {
  return async (noticeId) => {
    await send(NOTICE_DELIVER_JOB, { noticeId }, { singletonKey: noticeId });
  };
}

export const takedownJobs: JobDef[] = [
  {
    name: NOTICE_DRAFT_JOB,
    role: 'scheduler',
    everyMs: () => 10_000,
    retry: { limit: 0, delaySeconds: 0 },
    expireInSeconds: 5 * 60,
    async run(_data, env) {
      const r = await draftNotices(env.ctx);
      if (r.drafted || r.extended) env.log.info({ drafted: r.drafted, extended: r.extended, items: r.items, noRecipient: r.noRecipient, heldBack: r.heldBack }, 'draft notices updated');
      if (!DELIVERY_AVAILABLE) return;
      const queue = deliveryQueuer(env.send);
      for (const id of await selectApprovedNoticeIds(env.ctx.sql)) await queue(id);
    },
  },
];
