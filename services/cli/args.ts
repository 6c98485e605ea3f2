import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A wrong call: the message says what was wrong and how to call it. Exit status 64 (EX_USAGE). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A wrong call, with the verb's usage appended. */
export function usageError(why: string, usage: string): UsageError {
  return new UsageError(`${why}\nusage: ${usage}`);
}

/**
 * node:util parseArgs (strict, positionals allowed, `--json` always known) with its errors turned into
 * UsageError sentences that end with the verb's usage.
 */
export function parseCli<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, usage: string) {
  try {
    return parseArgs({ args, options: { json: { type: 'boolean' as const }, ...options }, allowPositionals: true, strict: true });
  } catch (err) {
    throw usageError((err as Error).message.replace(/\. To specify.*$/s, ''), usage);
  }
}

/** Whether the call asks for the verb's help (`--help` or `-h` anywhere). */
export function wantsHelp(args: string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}
