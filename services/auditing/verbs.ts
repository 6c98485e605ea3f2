/** `staydown audit verify`: the audit log's hash chain, checked from the command line. */
import { parseCli, usageError } from '../cli/args.ts';
import { printResult, type CliIo } from '../cli/io.ts';
import { runVerb, withService } from '../cli/run-verb.ts';
import { verifyAudit } from '../platform/audit.ts';

export const AUDIT_USAGE = 'staydown audit verify [--json]';

export async function runAudit(args: string[], io: CliIo): Promise<number> {
  return runVerb('audit', io, async () => {
    const { values, positionals } = parseCli(args, {}, AUDIT_USAGE);
    if (positionals[0] !== 'verify' || positionals.length !== 1) throw usageError(`Unknown subcommand '${positionals.join(' ')}'.`, AUDIT_USAGE);
    return withService(async (ctx) => {
      const r = await verifyAudit(ctx.sql);
      printResult(io, Boolean(values.json), r, r.ok ? `audit log intact: ${r.rows} rows, hash chain verified` : `AUDIT LOG TAMPERED: ${r.problem!.reason} (${r.rows} rows before it verified)`);
      return r.ok ? 0 : 3;
    });
  });
}
