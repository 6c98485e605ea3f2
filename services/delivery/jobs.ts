/**
 * Delivery's background work. `notice-deliver` (worker role) is queued with `{ noticeId }` when a notice
 * is approved: it delivers that notice and then whatever else is due, so a burst of approvals is worked
 * at the pace of the channels rather than of the queue's polling - and one waiting job (singleton key
 * `notice-deliver`) serves them all. `notice-retry` (scheduler role, every
 * STAYDOWN_DELIVERY_SWEEP_SECONDS) queues the notices that are due: retries whose time has come, notices
 * whose delivering worker died (their hold lapsed), and approved notices whose job was lost (a process
 * killed between the approval's commit and the job's).
 */
import { NOTICE_DELIVER_JOB } from '../takedown/index.ts';
import { selectDueNoticeIds } from '../../db/queries/delivery.ts';
import type { JobDef, JobEnv } from '../runtime/job.ts';
import type { ServiceContext } from '../platform/context.ts';
import { createOutbox, type Outbox } from './outbox.ts';

export const NOTICE_RETRY_JOB = 'notice-retry';

/** One outbox per process (its SMTP connections are pooled), closed when the process stops. */
let shared: Outbox | null = null;
function processOutbox(env: JobEnv): Outbox {
  if (!shared) {
    const outbox = createOutbox(env.ctx, { log: env.log });
    shared = outbox;
    env.signal.addEventListener('abort', () => {
      outbox.close();
      if (shared === outbox) shared = null;
    }, { once: true });
  }
  return shared;
}

export const deliveryJobs: JobDef[] = [
  {
    name: NOTICE_DELIVER_JOB,
    role: 'worker',
    // Approval in a worker process delivers at once, without waiting for the queue (the job stays queued as the safety net).
    runHere: true,
    concurrency: () => 4,
    // Channel failures are recorded on the notice and retried from there; a throw here is the database's.
    retry: { limit: 5, delaySeconds: 5 },
    expireInSeconds: 15 * 60,
    async run(data, env) {
      const outbox = processOutbox(env);
      const r = await outbox.deliver(String(data.noticeId));
      env.log.info({ notice: r.noticeId, status: r.status, attempt: r.attempt }, 'notice delivery');
      await outbox.drain(env.signal, 1000);
    },
  },
  {
    name: NOTICE_RETRY_JOB,
    role: 'scheduler',
    everyMs: (config) => config.deliverySweepSeconds * 1000,
    retry: { limit: 0, delaySeconds: 0 },
    expireInSeconds: 5 * 60,
    async run(_data, env) {
      if (await queueDueNotices(env.ctx, env.send)) env.log.info('due notices: delivery queued');
    },
  },
];

/**
 * Queues delivery when notices are due. One waiting job covers them all (its drain takes every due
 * notice), so this queues one job - under the key approval uses too - and returns how many are due.
 */
export async function queueDueNotices(ctx: ServiceContext, send: JobEnv['send']): Promise<number> {
  const ids = await selectDueNoticeIds(ctx.sql, Boolean(ctx.config.smtpUrl && ctx.config.noticeFrom), 1);
  if (ids.length === 0) return 0;
  await send(NOTICE_DELIVER_JOB, { noticeId: ids[0] }, { singletonKey: NOTICE_DELIVER_JOB });
  return ids.length;
}
