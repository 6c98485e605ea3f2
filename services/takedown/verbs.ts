/** `staydown platform` and `staydown notices`: notice recipients, and the notices themselves. */
import { parseCli, usageError } from '../cli/args.ts';
import { printResult, type CliIo } from '../cli/io.ts';
import { runVerb, withService } from '../cli/run-verb.ts';
import type { ServiceContext } from '../platform/context.ts';
import { queueSpec } from '../runtime/job.ts';
import { draftNotices, listUnroutedAlerts } from './drafting.ts';
import { approveNotices, cancelNotice, getNotice, listNotices, listNoticesByIds, noticeStatus, type NoticeSummary } from './notices.ts';
import { acceptEscalationProposal } from './escalation-accept.ts';
import { getPlatformWithProposal, type EscalationProposal } from './escalation-proposals.ts';
import { addPlatform, changePlatform, listPlatforms, proposePlatform, type Platform, type PlatformInput } from './platforms.ts';

const PLATFORM_FLAGS = '--domain HOST [--domain HOST]... [--email ADDR]... [--webhook URL --webhook-secret SECRET [--webhook-allow-host HOST]...] [--form-url URL]\n       [--jurisdiction KR|US|EU|OTHER] [--language ko|en] [--deadline-hours N] [--escalate-to PLATFORM] [--kind site|host|registrar|search-engine|regulator] [--user ACCOUNT]';
export const PLATFORM_USAGE = `staydown platform add NAME ${PLATFORM_FLAGS} [--json]
       staydown platform change NAME [same flags; a given list replaces the stored one] [--json]
       staydown platform list | show NAME | propose DOMAIN [--json]
       staydown platform accept-escalation NAME [--json]   accepts the escalation targets staydown proposed (shown by 'platform show')`;
export const NOTICES_USAGE = `staydown notices list [--status S] [--platform NAME] [--json]
       staydown notices show ID|REFERENCE [--json]
       staydown notices approve ID... [--wait] [--json]
       staydown notices cancel ID [--json]
       staydown notices draft | unrouted [--json]`;

const quietly: typeof withService = (body) => withService(body, { silent: true });

function platformText(p: Platform): string {
  return [
    `${p.name} (${p.kind}, ${p.jurisdiction}, ${p.language}, ${p.deadlineHours} h)`,
    `  domains: ${p.domains.join(' ')}`,
    `  contacts: ${[...p.emails, ...(p.webhookUrl ? [`webhook ${p.webhookUrl}`] : []), ...(p.formUrl ? [`form ${p.formUrl}`] : [])].join(', ')}`,
    ...(p.webhookAllowHosts.length ? [`  webhook allowed on a non-public address: ${p.webhookAllowHosts.join(' ')}`] : []),
    ...(p.escalateTo ? [`  escalates to: ${p.escalateTo}`] : []),
  ].join('\n');
}

/** The proposal as `platform show` and `monitor run` print it. */
export function proposalText(e: EscalationProposal): string {
  const head = e.status === 'failed' ? `  no escalation target could be proposed: ${e.problem}` : `  proposed escalation (${e.status}, nothing is sent to it until accepted):`;
  return [
    head,
    ...e.targets.map((t, i) => `    ${i + 1}. ${t.name} (${t.kind}${t.existing ? ', existing record' : ', new record'}) ${[...t.emails, ...(t.formUrl ? [`form ${t.formUrl}`] : [])].join(', ')}${t.note ? ` - ${t.note}` : ''}${t.source ? ` [${t.source}]` : ''}`),
    ...(e.status === 'proposed' && e.problem ? [`    note: ${e.problem}`] : []),
    ...(e.accept ? [`    accept with: ${e.accept}`] : []),
  ].join('\n');
}

export async function runPlatform(args: string[], io: CliIo): Promise<number> {
  return runVerb('platform', io, async () => {
    const { values, positionals } = parseCli(args, {
      domain: { type: 'string', multiple: true }, email: { type: 'string', multiple: true }, webhook: { type: 'string' }, 'webhook-secret': { type: 'string' },
      'webhook-allow-host': { type: 'string', multiple: true },
      'form-url': { type: 'string' }, jurisdiction: { type: 'string' }, language: { type: 'string' }, 'deadline-hours': { type: 'string' },
      'escalate-to': { type: 'string' }, kind: { type: 'string' }, user: { type: 'string' },
    }, PLATFORM_USAGE);
    const [sub, name, ...extra] = positionals;
    const json = values.json === true;
    if (sub === 'list' && !name) {
      return quietly(async (ctx, actor) => {
        const list = await listPlatforms(ctx, actor);
        printResult(io, json, list, list.length === 0 ? 'no platforms' : list.map(platformText).join('\n'));
        return 0;
      });
    }
    if (!name || extra.length > 0) throw usageError(sub === 'propose' ? 'Name one domain.' : 'Name one platform.', PLATFORM_USAGE);
    if (sub === 'show') {
      return quietly(async (ctx, actor) => {
        const p = await getPlatformWithProposal(ctx, actor, name);
        printResult(io, json, p, `${platformText(p)}${p.escalationProposal && p.escalationProposal.status !== 'accepted' ? `\n${proposalText(p.escalationProposal)}` : ''}`);
        return 0;
      });
    }
    if (sub === 'accept-escalation') {
      return quietly(async (ctx, actor) => {
        const r = await acceptEscalationProposal(ctx, actor, name);
        printResult(io, json, r, `platform '${r.platform.name}' now escalates to ${r.chain.join(', then ')}${r.created.length ? ` (added: ${r.created.join(', ')})` : ''}; the next monitoring pass sends the escalations that are due`);
        return 0;
      });
    }
    if (sub === 'propose') {
      return quietly(async (ctx, actor) => {
        const p = await proposePlatform(ctx, actor, name);
        printResult(io, json, p, `${p.note}\n  domains: ${p.platform.domains.join(' ')}\n  abuse e-mail: ${p.platform.emails.join(', ') || 'none found'}\n  registrar: ${p.registrar ?? 'unknown'}`);
        return 0;
      });
    }
    if (sub === 'add' || sub === 'change') {
      let deadlineHours: number | undefined;
      if (values['deadline-hours'] !== undefined) {
        deadlineHours = Number(values['deadline-hours']);
        if (!Number.isInteger(deadlineHours)) throw usageError(`--deadline-hours takes a whole number of hours, not '${values['deadline-hours']}'.`, PLATFORM_USAGE);
      }
      if (values['webhook-secret'] !== undefined && values.webhook === undefined && sub === 'add') throw usageError('--webhook-secret goes with --webhook URL.', PLATFORM_USAGE);
      const input: PlatformInput = {
        ...(sub === 'add' ? { name } : {}),
        domains: values.domain, emails: values.email, webhookUrl: values.webhook, webhookSecret: values['webhook-secret'], formUrl: values['form-url'],
        webhookAllowHosts: values['webhook-allow-host'],
        jurisdiction: values.jurisdiction?.toUpperCase(), language: values.language?.toLowerCase(), deadlineHours, escalateTo: values['escalate-to'],
        kind: values.kind, user: values.user,
      };
      return quietly(async (ctx, actor) => {
        const p = sub === 'add' ? await addPlatform(ctx, actor, input) : await changePlatform(ctx, actor, name, input);
        printResult(io, json, p, `platform '${p.name}' ${sub === 'add' ? 'added' : 'changed'}\n${platformText(p)}`);
        return 0;
      });
    }
    throw usageError(`Unknown subcommand '${sub ?? ''}'.`, PLATFORM_USAGE);
  });
}

function noticeLine(n: NoticeSummary): string {
  return `${n.reference}  ${n.status.padEnd(9)} ${n.platform}  ${n.jurisdiction}/${n.language}  ${n.channel}  ${n.urls.length} item(s)  ${n.id}${n.deadline ? `  deadline ${n.deadline}` : ''}`;
}

/** How long --wait waits for a running service to deliver what this command cannot send itself. */
const SERVICE_PICKUP_MS = 60_000;

/** A web-form notice handed to staff: `sending`, with nothing for a machine to do. */
const awaitingSubmission = (n: Pick<NoticeSummary, 'status' | 'channel'>) => n.status === 'sending' && n.channel === 'form';

/**
 * The service's job queue, for handing approved notices to its workers. Loaded only by the verbs that
 * queue: the job table brings in every area's jobs (the crawler, the mailer), which the other verbs of
 * this file would otherwise load at every start.
 */
async function openJobQueue(ctx: ServiceContext) {
  const [{ openQueue }, { JOBS }] = await Promise.all([import('../runtime/queue.ts'), import('../runtime/jobs.ts')]);
  return openQueue(ctx.sql, JOBS.map(queueSpec), { schema: ctx.config.queueSchema });
}

/**
 * --wait: delivers here every notice this command can send (all of them on the embedded database, which
 * this command holds; on PostgreSQL those whose channel it has the settings for - the outbox's claim
 * keeps a notice from going out twice when a service's worker takes it at the same moment), then waits
 * for the service's workers for the rest, and delivers those here too if none picked them up in time.
 * It returns once each notice is sent, failed, cancelled, or - a web-form notice - waiting to be
 * submitted by hand (a person does that, so waiting for it would never end).
 */
async function waitForDelivery(ctx: ServiceContext, notices: NoticeSummary[]): Promise<Map<string, string | null>> {
  const { deliverHere } = await import('./delivery.ts');
  const canSend = (n: NoticeSummary) => ctx.sql.kind === 'pglite' || n.channel !== 'email' || Boolean(ctx.config.smtpUrl && ctx.config.noticeFrom);
  const out = await deliverHere(ctx, notices.filter(canSend).map((n) => n.id));
  const done = (id: string, status: string | null) => status !== 'approved' && status !== 'sending' ? true : status === 'sending' && notices.find((n) => n.id === id)!.channel === 'form';
  const until = Date.now() + SERVICE_PICKUP_MS;
  for (const n of notices) {
    let status = out.get(n.id) ?? (await noticeStatus(ctx.sql, n.id));
    while (!done(n.id, status)) {
      if (status === 'approved' && Date.now() > until) {
        status = (await deliverHere(ctx, [n.id])).get(n.id) ?? null;
        if (status === 'approved') break;
        continue;
      }
      await new Promise((r) => setTimeout(r, 250));
      status = await noticeStatus(ctx.sql, n.id);
    }
    out.set(n.id, status);
  }
  return out;
}

function approvedLine(n: NoticeSummary): string {
  if (awaitingSubmission(n)) return `notice ${n.reference} is waiting to be submitted by hand on the platform's web form: 'staydown notices form ${n.reference}' prints the text to paste, and 'staydown notices submitted ${n.reference}' records it (--wait does not wait for a person)`;
  return `notice ${n.reference} ${n.status}${n.status === 'approved' ? ` - queued for delivery${n.lastError ? ` (${n.lastError})` : ''}` : ''}`;
}

export async function runNotices(args: string[], io: CliIo): Promise<number> {
  return runVerb('notices', io, async () => {
    const { values, positionals } = parseCli(args, { status: { type: 'string' }, platform: { type: 'string' }, wait: { type: 'boolean' } }, NOTICES_USAGE);
    const [sub, ...ids] = positionals;
    const json = values.json === true;
    if ((sub === 'list' || sub === 'draft' || sub === 'unrouted') && ids.length === 0) {
      return quietly(async (ctx, actor) => {
        if (sub === 'draft') {
          const { noticeIds: _n, ...r } = await draftNotices(ctx, actor);
          printResult(io, json, r, `drafted ${r.drafted} new notice(s), extended ${r.extended}, ${r.items} item(s) added; ${r.noRecipient} alert(s) have no recipient, ${r.heldBack} held back (personal data in the media URL)`);
          return 0;
        }
        if (sub === 'unrouted') {
          const list = await listUnroutedAlerts(ctx, actor);
          printResult(io, json, list, list.length === 0 ? 'every confirmed alert has a recipient' : list.map((a) => `${a.alertId}  ${a.reason}  ${a.domain ?? '?'}  ${a.pageUrl ?? '(withheld)'}`).join('\n'));
          return 0;
        }
        const list = await listNotices(ctx, actor, { status: values.status, platform: values.platform });
        printResult(io, json, list, list.length === 0 ? 'no notices' : list.map(noticeLine).join('\n'));
        return 0;
      });
    }
    if (sub === 'show' && ids.length === 1) {
      return quietly(async (ctx, actor) => {
        const n = await getNotice(ctx, actor, ids[0]);
        const warnings = n.warnings.map((w) => `warning: ${w}`).join('\n');
        printResult(io, json, n, `${noticeLine(n)}\n${warnings ? `${warnings}\n` : ''}\nSubject: ${n.subject}\n\n${n.text}\nhistory:\n${n.history.map((h) => `  ${h.at}  ${h.event}  ${h.actor}`).join('\n')}`);
        return 0;
      });
    }
    if (sub === 'cancel' && ids.length === 1) {
      return quietly(async (ctx, actor) => {
        const n = await cancelNotice(ctx, actor, ids[0]);
        printResult(io, json, n, `notice ${n.reference} cancelled`);
        return 0;
      });
    }
    if (sub === 'approve' && ids.length > 0) {
      return quietly(async (ctx, actor) => {
        const local = values.wait === true && ctx.sql.kind === 'pglite';
        const queue = local ? null : await openJobQueue(ctx);
        const { deliveryQueuer } = await import('./jobs.ts');
        let approved: NoticeSummary[];
        try {
          // One transaction for all of them: every notice is approved, or none (the error names which and why).
          approved = await approveNotices(ctx, actor, ids, queue ? { queueDelivery: deliveryQueuer((n, d, o) => queue.send(n, d, o)) } : {});
        } finally {
          await queue?.stop();
        }
        let shown: Array<NoticeSummary & { awaitingSubmission?: boolean }> = approved;
        if (values.wait) {
          const statuses = await waitForDelivery(ctx, approved);
          const now = await listNoticesByIds(ctx, actor, approved.map((n) => n.id));
          shown = approved.map((n) => {
            const cur = now.get(n.id) ?? { ...n, status: (statuses.get(n.id) ?? n.status) as NoticeSummary['status'] };
            return { ...cur, awaitingSubmission: awaitingSubmission(cur) };
          });
        }
        printResult(io, json, shown, shown.map(approvedLine).join('\n'));
        return shown.some((n) => n.status === 'failed') ? 2 : 0;
      });
    }
    throw usageError(`Unknown subcommand '${positionals.join(' ')}'.`, NOTICES_USAGE);
  });
}
