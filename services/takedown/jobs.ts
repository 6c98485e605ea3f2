/**
 * Takedown's background work: `notice-draft` (scheduler role, every 10 s) turns confirmed alerts into
 * draft notices so none is missed. The `notice-deliver` job, and the sweep that queues approved notices
 * whose delivery job was lost (`notice-retry`), are the delivery work's (services/delivery/jobs.ts).
 */
import type { JobDef, JobEnv } from '../runtime/job.ts';
import { draftNotices } from './drafting.ts';
import { NOTICE_DELIVER_JOB, NOTICE_DRAFT_JOB } from './index.ts';

/**
 * How approval queues delivery through a job queue. The job delivers its notice and then every other
 * due one (services/delivery/jobs.ts), so one waiting job for all notices is enough: a burst of
 * approvals costs one queue job, not one each (on the embedded database each job costs ~0.5 s). In a
 * process that runs the worker role, the same send also starts the delivery here at once (the job's
 * `runHere`), so an approval does not wait for the queue's polling.
 */
export function deliveryQueuer(send: JobEnv['send']): (noticeIds: string[]) => Promise<void> {
  return async (noticeIds) => {
    if (noticeIds.length === 0) return;
    await send(NOTICE_DELIVER_JOB, { noticeId: noticeIds[0] }, { singletonKey: NOTICE_DELIVER_JOB });
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
    },
  },
];
