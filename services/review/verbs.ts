/**
 * `staydown alerts`: list the alerts crawls raised, and decide them. The command line acts as the local
 * administrator; every decision is audited as `cli:<user>`.
 */
import { parseCli, usageError } from '../cli/args.ts';
import type { CliIo } from '../cli/io.ts';
import { printResult } from '../cli/io.ts';
import { runVerb, withService } from '../cli/run-verb.ts';
import { listAlerts, type AlertSummary } from './alerts.ts';
import { confirmAlerts, rejectAlerts } from './decisions.ts';
import { isAlertStatus } from './transitions.ts';

export const ALERTS_USAGE = `staydown alerts list [--status new|confirmed|rejected] [--site NAME] [--json]
       staydown alerts confirm ID... [--json]
       staydown alerts reject ID... --reason TEXT [--allowlist] [--json]`;

const quietly: typeof withService = (body) => withService(body, { silent: true });

const line = (a: AlertSummary) => `${a.createdAt}\t${a.id}\t${a.status}\t${a.case}\t${a.site}\t${a.method}@${a.distance}\t${a.mediaUrl}\t(page ${a.pageUrl})`;

export async function runAlerts(args: string[], io: CliIo): Promise<number> {
  return runVerb('alerts', io, async () => {
    const { values, positionals } = parseCli(args, {
      site: { type: 'string' }, status: { type: 'string' }, reason: { type: 'string' }, allowlist: { type: 'boolean' },
    }, ALERTS_USAGE);
    const [sub, ...ids] = positionals;
    const json = values.json === true;
    if (sub === 'list') {
      if (ids.length > 0) throw usageError(`'alerts list' takes no ids (got '${ids[0]}').`, ALERTS_USAGE);
      if (values.status !== undefined && !isAlertStatus(values.status)) throw usageError(`The status '${values.status}' is not one of new, confirmed, rejected.`, ALERTS_USAGE);
      return quietly(async (ctx, actor) => {
        const all: AlertSummary[] = [];
        let after: string | undefined;
        do {
          const page = await listAlerts(ctx, actor, { status: values.status, site: values.site, after, limit: 1000 });
          all.push(...page.items);
          after = page.next ?? undefined;
        } while (after);
        printResult(io, json, all, all.map(line).join('\n'));
        return 0;
      });
    }
    if (sub === 'confirm' || sub === 'reject') {
      if (ids.length === 0) throw usageError(`Name the alerts to ${sub}: 'staydown alerts list' shows their ids.`, ALERTS_USAGE);
      if (sub === 'confirm' && (values.reason !== undefined || values.allowlist)) throw usageError('--reason and --allowlist go with reject, not confirm.', ALERTS_USAGE);
      if (sub === 'reject' && !values.reason?.trim()) throw usageError('A rejection needs a reason that is recorded: --reason TEXT.', ALERTS_USAGE);
      return quietly(async (ctx, actor) => {
        if (sub === 'confirm') {
          const done = await confirmAlerts(ctx, actor, ids);
          printResult(io, json, done, done.map((a) => `alert ${a.id} confirmed (case ${a.case}, site ${a.site})`).join('\n'));
        } else {
          const done = await rejectAlerts(ctx, actor, ids, { reason: values.reason!, allowlist: values.allowlist === true });
          printResult(io, json, done, done.map((a) => `alert ${a.id} rejected${a.allowlisted ? `; its media (${a.allowlisted.pdqHashes} PDQ hashes) no longer alerts for material ${a.material}` : ''}`).join('\n'));
        }
        return 0;
      });
    }
    throw usageError(`Unknown subcommand '${sub ?? ''}'.`, ALERTS_USAGE);
  });
}
