/** `staydown monitor run [--json]`: one monitoring pass now, and what it did. */
import { parseCli, usageError } from '../cli/args.ts';
import { printResult, type CliIo } from '../cli/io.ts';
import { runVerb, withService } from '../cli/run-verb.ts';

export const MONITOR_USAGE = `staydown monitor run [--json]   one pass now: due checks, reminders and escalations; prints {checked, removed, reappeared, unknown, reminders, escalations}`;

export async function runMonitor(args: string[], io: CliIo): Promise<number> {
  return runVerb('monitor', io, async () => {
    const { values, positionals } = parseCli(args, {}, MONITOR_USAGE);
    if (positionals[0] !== 'run' || positionals.length > 1) throw usageError('The monitor verb has one subcommand: run.', MONITOR_USAGE);
    return withService(async (ctx) => {
      // Loaded once the call checks out: the pass brings in the crawler and the notice drafting.
      const { runMonitorPass } = await import('./pass.ts');
      const r = await runMonitorPass(ctx);
      const text = [
        `checked ${r.checked}: ${r.removed} newly removed, ${r.reappeared} re-appeared, ${r.unknown} unknown (retried), ${r.present} still present`,
        `reminders ${r.reminders}, escalations ${r.escalations}${r.followUpsAwaitingApproval.length ? ` (${r.followUpsAwaitingApproval.length} awaiting approval: staydown notices list --status draft)` : ''}`,
        ...(r.reuploads ? [`re-uploads ${r.reuploads} (${r.autoConfirmed} confirmed automatically)`] : []),
        ...(r.noEscalationTarget.length ? [`no escalation target for: ${r.noEscalationTarget.join(', ')} - add one with 'staydown platform change NAME --escalate-to TARGET'`] : []),
        ...r.proposedEscalationTargets.map((e) => e.status === 'proposed'
          ? `proposed escalation for ${e.platform}: ${e.targets.map((t) => `${t.name} (${t.kind}${t.existing ? '' : ', new'})`).join(' -> ')} - nothing is sent until accepted: ${e.accept}${e.problem ? ` (${e.problem})` : ''}`
          : `no escalation target could be proposed for ${e.platform}: ${e.problem}`),
      ].join('\n');
      printResult(io, values.json === true, r, text);
      return 0;
    }, { silent: true });
  });
}
