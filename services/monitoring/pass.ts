/**
 * One monitoring pass, as `staydown monitor run` does it now and the jobs do it in pieces: classify new
 * alerts (re-uploads), bring tracking up to date with notices and answers, run the checks that are due,
 * and draft (and, where policy allows, approve and deliver) the reminders and escalations that are due.
 */
import { selectDueChecks } from '../../db/queries/monitoring.ts';
import type { ServiceContext } from '../platform/context.ts';
import { deliverNow, draftNotices, proposeEscalationTargets, type EscalationProposal, type ProposalDeps } from '../takedown/index.ts';
import { checkTrackedUrl, createMonitorVerifier, type CheckOutcome } from './checks.ts';
import { runFollowUps, type FollowUpResult } from './follow-ups.ts';
import { classifyAlerts } from './reuploads.ts';
import { syncTracking, type SyncResult } from './tracking.ts';
import type { RemovalVerifier } from './verify.ts';

export interface MonitorRunResult {
  checked: number;
  removed: number;
  reappeared: number;
  unknown: number;
  reminders: number;
  escalations: number;
  present: number;
  reuploads: number;
  autoConfirmed: number;
  tracked: number;
  answers: number;
  renoticed: string[];
  followUpsAwaitingApproval: string[];
  noEscalationTarget: string[];
  /**
   * For those platforms: the escalation targets staydown proposes (the KCSC, or the host and registrar
   * from RDAP), or why none could be proposed yet. Nothing is sent to them until a person accepts.
   */
  proposedEscalationTargets: EscalationProposal[];
}

/** Runs `fn` over `items` with at most `n` at once. */
export async function eachLimited<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

export interface PassOptions {
  verifier?: RemovalVerifier;
  /** Checks at once (each host's politeness still holds). */
  concurrency?: number;
  /** Queues delivery of automatically approved follow-ups; without it they are delivered in this process. */
  queueDelivery?: (noticeId: string) => Promise<void>;
  maxChecks?: number;
  /** RDAP and name resolution for escalation proposals (tests inject a resolver). */
  proposals?: ProposalDeps;
}

export function countChecks(outcomes: readonly CheckOutcome[], into: Pick<MonitorRunResult, 'checked' | 'removed' | 'reappeared' | 'unknown' | 'present'>): void {
  for (const o of outcomes) {
    if (o.result === 'skipped') continue;
    into.checked++;
    if (o.result === 'unknown') into.unknown++;
    if (o.result === 'present') into.present++;
    if (o.to === 'removed' && o.from !== 'removed') into.removed++;
    if (o.to === 'reappeared' && o.from !== 'reappeared') into.reappeared++;
  }
}

/** Proposals for the platforms that lack a target; a failure here never stops the pass (it is logged). */
export async function escalationProposals(ctx: ServiceContext, f: Pick<FollowUpResult, 'missingTargets'>, deps?: ProposalDeps): Promise<EscalationProposal[]> {
  if (f.missingTargets.length === 0) return [];
  try {
    return await proposeEscalationTargets(ctx, f.missingTargets, deps);
  } catch (err) {
    ctx.log.warn({ err: (err as Error).message }, 'escalation targets could not be proposed in this pass; the next pass tries again');
    return [];
  }
}

export async function runMonitorPass(ctx: ServiceContext, opts: PassOptions = {}): Promise<MonitorRunResult> {
  const r: MonitorRunResult = {
    checked: 0, removed: 0, reappeared: 0, unknown: 0, reminders: 0, escalations: 0, present: 0, reuploads: 0, autoConfirmed: 0, tracked: 0, answers: 0,
    renoticed: [], followUpsAwaitingApproval: [], noEscalationTarget: [], proposedEscalationTargets: [],
  };
  const classified = await classifyAlerts(ctx.sql);
  r.reuploads = classified.reuploads;
  r.autoConfirmed = classified.autoConfirmed.length;
  // An automatically confirmed re-upload joins a notice at once.
  if (classified.autoConfirmed.length > 0) await draftNotices(ctx);
  const sync: SyncResult = await syncTracking(ctx);
  r.tracked = sync.tracked;
  r.answers = sync.answers;
  const verifier = opts.verifier ?? createMonitorVerifier(ctx);
  try {
    const due = await selectDueChecks(ctx.sql, opts.maxChecks ?? 100_000);
    const outcomes: CheckOutcome[] = [];
    await eachLimited(due, opts.concurrency ?? 16, async (id) => {
      outcomes.push(await checkTrackedUrl(ctx, verifier, id));
    });
    countChecks(outcomes, r);
    r.renoticed = outcomes.flatMap((o) => (o.renoticeId ? [o.renoticeId] : []));
  } finally {
    if (!opts.verifier) await verifier.close();
  }
  const f: FollowUpResult = await runFollowUps(ctx);
  r.reminders = f.reminders;
  r.escalations = f.escalations;
  r.followUpsAwaitingApproval = f.drafted;
  r.noEscalationTarget = f.noEscalationTarget;
  r.proposedEscalationTargets = await escalationProposals(ctx, f, opts.proposals);
  for (const id of f.approved) {
    if (opts.queueDelivery) await opts.queueDelivery(id);
    else await deliverNow(ctx, id).catch((err) => ctx.log.warn({ notice: id, err: (err as Error).message }, 'a follow-up notice could not be delivered now; the delivery sweep retries it'));
  }
  // Follow-ups sent just now are recorded on their URLs.
  await syncTracking(ctx);
  return r;
}
