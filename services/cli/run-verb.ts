/**
 * How every service verb runs: the service opened the way this machine is set up (PostgreSQL from
 * DATABASE_URL, or the embedded database - through the running server's gateway when there is one),
 * acting as the local administrator, and one mapping from errors to messages and exit statuses.
 *
 * Exit statuses (README "The command line"): 0 done; 1 the service refused or could not do it (an
 * unknown case, a conflict); 2 some files of a batch failed; 3 the audit log is tampered with; 64 a
 * wrong call (EX_USAGE); 70 an internal error (EX_SOFTWARE); 78 bad configuration (EX_CONFIG).
 */
import { userInfo } from 'node:os';
import { ConfigError, loadConfig, type ConfigOverrides } from '../platform/config.ts';
import { openService, type ServiceContext } from '../platform/context.ts';
import type { Actor } from '../platform/audit.ts';
import { ServiceError } from '../platform/errors.ts';
import { createLogger, silentLogger } from '../platform/log.ts';
import { UsageError } from './args.ts';
import type { CliIo } from './io.ts';

/** An expected failure of a verb that is not the service's refusal (a crawl that failed): exit status 1. */
export class CommandFailedError extends Error {
  override name = 'CommandFailedError';
}

/** The command line acts as the machine's administrator: whoever can run it can read the data directory. */
export function cliActor(): Actor {
  let name = 'unknown';
  try {
    name = userInfo().username;
  } catch {
    // no passwd entry (some containers)
  }
  return { userId: null, name: `cli:${name}`, role: 'admin', source: 'cli' };
}

/** The exit status for an error that ended a verb. */
export function exitStatusFor(err: unknown): number {
  if (err instanceof UsageError) return 64;
  if (err instanceof ConfigError) return 78;
  if (err instanceof ServiceError || err instanceof CommandFailedError) return 1;
  return 70;
}

/** Runs a verb body; an error becomes `staydown VERB: message` on stderr and its exit status. */
export async function runVerb(verb: string, io: CliIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    io.stderr.write(`staydown ${verb}: ${(err as Error).message}\n`);
    return exitStatusFor(err);
  }
}

/** Opens the service for one verb body, as the command line's actor, and closes it afterwards. */
export async function withService<T>(
  body: (ctx: ServiceContext, actor: Actor) => Promise<T>,
  opts: { overrides?: ConfigOverrides; silent?: boolean } = {},
): Promise<T> {
  const config = loadConfig(opts.overrides ?? {});
  // Verbs print their own results; the service's log shows only warnings (none at all with `silent`).
  const log = opts.silent ? silentLogger() : createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const opened = await openService(config, log);
  try {
    return await body(opened.ctx, cliActor());
  } finally {
    await opened.close().catch(() => {});
  }
}
