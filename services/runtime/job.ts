/**
 * One entry of the job table (jobs.ts): what a feature declares to have work done in the background.
 * A queued job is worked by the processes running its `role`; a periodic one (`everyMs`) is also fired
 * by the scheduler role on that schedule, at most one waiting at a time however many schedulers run.
 */
import type { Config, ServiceRole } from '../platform/config.ts';
import type { ServiceContext } from '../platform/context.ts';
import type { Logger } from '../platform/log.ts';
import type { Matcher } from '../matching/index.ts';
import type { QueueJobSpec } from './queue.ts';

export interface JobEnv {
  ctx: ServiceContext;
  /** Scoped to the job's name. */
  log: Logger;
  /** Aborted when the process stops: a long job stops at its next safe point and returns. */
  signal: AbortSignal;
  /** The worker role's match index (loaded once per process, kept fresh from the change feed). */
  matcher(): Matcher;
  /** Queues a job of the table (with a key, at most one waiting per key). */
  send(name: string, data: object, opts?: { singletonKey?: string }): Promise<string | null>;
}

export interface JobDef {
  name: string;
  /** The role whose processes run it. */
  role: ServiceRole;
  /** Jobs of this name one process runs at once (default 1). */
  concurrency?: (config: Config) => number;
  retry: { limit: number; delaySeconds: number };
  /** How long one attempt may run before it counts as dead (its worker killed) and is handed out again. */
  expireInSeconds: number;
  /**
   * Also run in the sending process at once when that process works this job's role: `send` queues the
   * job (the safety net - another worker, or this one later) and starts the handler here without waiting
   * for the queue's polling. Runs here are coalesced - one at a time, plus one more when sends arrived
   * meanwhile (with the latest data) - so the handler must do all the work that is due, as a drain does.
   */
  runHere?: boolean;
  /** A periodic job: the scheduler role queues it this often (and once at start). */
  everyMs?: (config: Config) => number;
  /**
   * Does the work. Delivery is at least once (a killed worker's job is handed out again), so a handler
   * must be safe to run twice; a throw retries it per `retry`.
   */
  run(data: Record<string, unknown>, env: JobEnv): Promise<void>;
}

/** What the queue needs to know of a job. */
export function queueSpec(job: JobDef): QueueJobSpec {
  return { name: job.name, retryLimit: job.retry.limit, retryDelaySeconds: job.retry.delaySeconds, expireInSeconds: job.expireInSeconds };
}
