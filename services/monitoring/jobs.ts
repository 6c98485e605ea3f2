/**
 * Keep-it-down's background work. `monitor-checks` (scheduler, every STAYDOWN_MONITOR_SWEEP, 1 min by
 * default) classifies new alerts, brings tracking up to date and queues one `url-check` per due URL;
 * `url-check` (worker) checks one URL, at-least-once safe (checks.ts). `notice-reminders` and
 * `notice-escalations` (scheduler) draft what is due and queue the delivery of what policy approves.
 */
import { selectDueChecks } from '../../db/queries/monitoring.ts';
import type { JobDef, JobEnv } from '../runtime/job.ts';
import { draftNotices, NOTICE_DELIVER_JOB } from '../takedown/index.ts';
import { checkTrackedUrl, createMonitorVerifier } from './checks.ts';
import { runFollowUps } from './follow-ups.ts';
import { escalationProposals } from './pass.ts';
import { classifyAlerts } from './reuploads.ts';
import { syncTracking } from './tracking.ts';
import type { RemovalVerifier } from './verify.ts';

export const MONITOR_CHECKS_JOB = 'monitor-checks';
export const URL_CHECK_JOB = 'url-check';
export const NOTICE_REMINDERS_JOB = 'notice-reminders';
export const NOTICE_ESCALATIONS_JOB = 'notice-escalations';

/** One verifier per process (its fetchers keep connections), closed when the process stops. */
let shared: RemovalVerifier | null = null;
function processVerifier(env: JobEnv): RemovalVerifier {
  if (!shared) {
    const v = createMonitorVerifier(env.ctx, { signal: env.signal });
    shared = v;
    env.signal.addEventListener('abort', () => {
      void v.close();
      if (shared === v) shared = null;
    }, { once: true });
  }
  return shared;
}

async function followUps(env: JobEnv, kind: 'reminders' | 'escalations'): Promise<void> {
  const r = await runFollowUps(env.ctx, { reminders: kind === 'reminders', escalations: kind === 'escalations' });
  for (const id of r.approved) await env.send(NOTICE_DELIVER_JOB, { noticeId: id }, { singletonKey: id });
  if (r.reminders || r.escalations) env.log.info({ reminders: r.reminders, escalations: r.escalations, awaitingApproval: r.drafted.length }, 'follow-up notices drafted');
  if (r.noEscalationTarget.length > 0) {
    const proposals = await escalationProposals(env.ctx, r);
    env.log.warn({ platforms: r.noEscalationTarget.length, proposed: proposals.filter((p) => p.status === 'proposed').length }, 'URLs are due an escalation but their platform has no escalation target: accept the proposal with staydown platform accept-escalation NAME, or add one with staydown platform change NAME --escalate-to TARGET');
  }
}

export const monitoringJobs: JobDef[] = [
  {
    name: MONITOR_CHECKS_JOB,
    role: 'scheduler',
    everyMs: (config) => config.monitoring.sweepMs,
    retry: { limit: 0, delaySeconds: 0 },
    expireInSeconds: 5 * 60,
    async run(_data, env) {
      const c = await classifyAlerts(env.ctx.sql);
      if (c.autoConfirmed.length > 0) await draftNotices(env.ctx);
      const s = await syncTracking(env.ctx);
      let queued = 0;
      for (const id of await selectDueChecks(env.ctx.sql, 10_000)) if (await env.send(URL_CHECK_JOB, { trackedUrlId: id }, { singletonKey: id })) queued++;
      if (queued || s.tracked || s.answers || c.reuploads) env.log.info({ queued, tracked: s.tracked, answers: s.answers, reuploads: c.reuploads, autoConfirmed: c.autoConfirmed.length }, 'monitoring pass');
    },
  },
  {
    name: URL_CHECK_JOB,
    role: 'worker',
    concurrency: () => 8,
    retry: { limit: 3, delaySeconds: 10 },
    expireInSeconds: 10 * 60,
    async run(data, env) {
      const o = await checkTrackedUrl(env.ctx, processVerifier(env), String(data.trackedUrlId));
      if (o.result !== 'skipped') env.log.info({ trackedUrl: o.trackedId, result: o.result, from: o.from, to: o.to }, 'url checked');
    },
  },
  {
    name: NOTICE_REMINDERS_JOB,
    role: 'scheduler',
    everyMs: (config) => config.monitoring.sweepMs,
    retry: { limit: 0, delaySeconds: 0 },
    expireInSeconds: 5 * 60,
    run: (_data, env) => followUps(env, 'reminders'),
  },
  {
    name: NOTICE_ESCALATIONS_JOB,
    role: 'scheduler',
    everyMs: (config) => config.monitoring.sweepMs,
    retry: { limit: 0, delaySeconds: 0 },
    expireInSeconds: 5 * 60,
    run: (_data, env) => followUps(env, 'escalations'),
  },
];
