/**
 * Platforms (who receives takedown notices): the list, adding and changing a record, the RDAP proposal
 * for a domain no platform covers, and the "no recipient" list - confirmed alerts waiting for a platform.
 * Each handler calls the takedown functions the API and `staydown platform` call (services/takedown), so
 * the same permissions hold: platform.read to look (operators read only), platform.manage to change.
 * The webhook secret is sealed by the service and never shown again: the page says only whether one is set.
 */
import {
  acceptEscalationProposal, addPlatform, changePlatform, DEFAULT_DEADLINE_HOURS, getPlatformWithProposal, JURISDICTIONS, listOpenProposals, listPlatforms, listUnroutedAlerts,
  NOTICE_LANGUAGES, PLATFORM_KINDS, proposePlatform, type Platform, type PlatformInput, type UnroutedAlert,
} from '../../services/takedown/index.ts';
import { can } from '../../services/platform/access.ts';
import { formProblem, type FormProblem, type ProblemRule } from '../form-problems.ts';
import { field, lines, type PageDef, type PageInput } from '../page.ts';

const PROBLEMS: ProblemRule[] = [
  { test: /needs a name|platform name|named '.*' already exists/i, field: 'name', key: 'platforms.problem.name' },
  { test: /domain/i, field: 'domains', key: 'platforms.problem.domains' },
  { test: /e-mail address/i, field: 'emails', key: 'platforms.problem.emails' },
  { test: /webhook secret|without a secret/i, field: 'webhookSecret', key: 'platforms.problem.webhookSecret' },
  { test: /webhook URL/i, field: 'webhookUrl', key: 'platforms.problem.url' },
  { test: /form URL/i, field: 'formUrl', key: 'platforms.problem.url' },
  { test: /no way to receive notices/i, field: 'emails', key: 'platforms.problem.noChannel' },
  { test: /deadline/i, field: 'deadlineHours', key: 'platforms.problem.deadline' },
  { test: /escalate/i, field: 'escalateTo', key: 'platforms.problem.escalate' },
];

const OPTIONS = { kinds: PLATFORM_KINDS, jurisdictions: JURISDICTIONS, languages: NOTICE_LANGUAGES, defaults: DEFAULT_DEADLINE_HOURS };

/** The form's fields as the service takes them. `whole`: a change form, where an emptied field clears it. */
function platformForm(input: PageInput, whole: boolean): PlatformInput {
  const b = input.body;
  const optional = (name: string) => {
    const v = field(b, name).trim();
    return v ? v : whole ? null : undefined;
  };
  const deadline = field(b, 'deadlineHours').trim();
  const secret = field(b, 'webhookSecret');
  return {
    name: field(b, 'name').trim(),
    domains: lines(b, 'domains'),
    kind: field(b, 'kind') || undefined,
    jurisdiction: field(b, 'jurisdiction') || undefined,
    language: field(b, 'language') || undefined,
    emails: lines(b, 'emails'),
    webhookUrl: optional('webhookUrl'),
    // An empty secret box keeps the stored secret; the secret is never sent back to the browser.
    webhookSecret: secret ? secret : undefined,
    formUrl: optional('formUrl'),
    // Empty: the jurisdiction's default (the service stores it when the record names none).
    deadlineHours: deadline ? (/^\d+$/.test(deadline) ? Number(deadline) : Number.NaN) : whole ? null : undefined,
    escalateTo: optional('escalateTo'),
  };
}

function formValues(p: Platform) {
  return {
    name: p.name, domains: p.domains.join('\n'), kind: p.kind, jurisdiction: p.jurisdiction, language: p.language, emails: p.emails.join('\n'),
    webhookUrl: p.webhookUrl ?? '', formUrl: p.formUrl ?? '', escalateTo: p.escalateTo ?? '', hasWebhookSecret: p.hasWebhookSecret,
    deadlineHours: p.deadlineHours === DEFAULT_DEADLINE_HOURS[p.jurisdiction] ? '' : String(p.deadlineHours),
  };
}

function sentValues(input: PageInput, hasWebhookSecret: boolean) {
  const keys = ['name', 'domains', 'kind', 'jurisdiction', 'language', 'emails', 'webhookUrl', 'formUrl', 'deadlineHours', 'escalateTo'];
  return { ...Object.fromEntries(keys.map((k) => [k, field(input.body, k)])), hasWebhookSecret };
}

/** The no-recipient list by domain: how many confirmed alerts wait, since when. No URL is shown. */
function unroutedByDomain(items: UnroutedAlert[]) {
  const by = new Map<string, { domain: string | null; reason: UnroutedAlert['reason']; count: number; since: string }>();
  for (const a of items) {
    const key = `${a.reason}|${a.domain ?? ''}`;
    const g = by.get(key);
    if (g) {
      g.count++;
      if (a.firstSeen < g.since) g.since = a.firstSeen;
    } else by.set(key, { domain: a.domain, reason: a.reason, count: 1, since: a.firstSeen });
  }
  return [...by.values()].sort((a, b) => b.count - a.count || String(a.domain).localeCompare(String(b.domain)));
}

async function newPage(input: PageInput, extra: Record<string, unknown>) {
  const others = (await listPlatforms(input.env.ctx, input.session!.actor)).map((p) => p.name);
  return input.render('platform-new', { ...OPTIONS, others, problem: null, proposal: null, v: { jurisdiction: 'KR', kind: 'site' }, ...extra });
}

const platformPath = (name: string, q = '') => `/platforms/${encodeURIComponent(name)}${q}`;

/** The escalation proposal panel's data: shown while the platform has no target and the proposal is open. */
function proposalData(p: Awaited<ReturnType<typeof getPlatformWithProposal>>, input: PageInput) {
  const open = p.escalationProposal && p.escalationProposal.status !== 'accepted' && !p.escalateTo;
  return { proposal: open ? p.escalationProposal : null, escalationAccepted: input.query.escalationAccepted === '1' };
}

export const platformPages: PageDef[] = [
  {
    method: 'GET', url: '/platforms', access: 'platform.read',
    handler: async (input) => {
      const { actor } = input.session!;
      const platforms = await listPlatforms(input.env.ctx, actor);
      const unrouted = can(actor.role, 'notice.read') ? unroutedByDomain(await listUnroutedAlerts(input.env.ctx, actor)) : [];
      const proposals = await listOpenProposals(input.env.ctx, actor);
      return input.render('platforms', { platforms, unrouted, proposals, canManage: can(actor.role, 'platform.manage'), ...OPTIONS });
    },
  },
  {
    method: 'GET', url: '/platforms/new', access: 'platform.manage',
    handler: async (input) => newPage(input, {}),
  },
  {
    // The proposal's address loaded again (a language switch, a reload): the empty form.
    method: 'GET', url: '/platforms/propose', access: 'platform.manage',
    handler: async (input) => input.reply.redirect('/platforms/new', 303),
  },
  {
    // RDAP's abuse contact for a domain: a filled-in form to check and save, nothing saved yet.
    method: 'POST', url: '/platforms/propose', access: 'platform.manage',
    handler: async (input) => {
      const domain = field(input.body, 'domain').trim();
      try {
        const p = await proposePlatform(input.env.ctx, input.session!.actor, domain);
        const v = { ...p.platform, domains: p.platform.domains.join('\n'), emails: p.platform.emails.join('\n'), deadlineHours: '' };
        return newPage(input, { v, proposal: { domain, registrar: p.registrar, source: p.source, noEmail: p.platform.emails.length === 0 } });
      } catch (err) {
        const problem = formProblem(err, [], { field: 'domain', key: 'platforms.problem.propose' });
        if (!problem) throw err;
        void input.reply.status(400);
        return newPage(input, { problem, proposeDomain: domain });
      }
    },
  },
  {
    method: 'POST', url: '/platforms/new', access: 'platform.manage',
    handler: async (input) => {
      try {
        const p = await addPlatform(input.env.ctx, input.session!.actor, platformForm(input, false));
        return input.reply.redirect(platformPath(p.name, '?added=1'), 303);
      } catch (err) {
        const problem: FormProblem | null = formProblem(err, PROBLEMS, { field: 'name', key: 'platforms.problem.other' });
        if (!problem) throw err;
        void input.reply.status(400);
        return newPage(input, { problem, v: sentValues(input, false) });
      }
    },
  },
  {
    method: 'GET', url: '/platforms/:name', access: 'platform.read',
    handler: async (input) => {
      const { actor } = input.session!;
      const p = await getPlatformWithProposal(input.env.ctx, actor, input.params.name);
      const others = (await listPlatforms(input.env.ctx, actor)).map((o) => o.name).filter((n) => n !== p.name);
      return input.render('platform', {
        p, v: formValues(p), others, ...OPTIONS, problem: null, canManage: can(actor.role, 'platform.manage'),
        notice: ['added', 'saved'].find((k) => input.query[k] === '1') ?? '', ...proposalData(p, input),
      });
    },
  },
  {
    // Accepting the proposed escalation targets: the same service function as the API and the command line.
    method: 'POST', url: '/platforms/:name/accept-escalation', access: 'platform.manage',
    handler: async (input) => {
      const r = await acceptEscalationProposal(input.env.ctx, input.session!.actor, input.params.name);
      return input.reply.redirect(platformPath(r.platform.name, '?escalationAccepted=1'), 303);
    },
  },
  {
    method: 'POST', url: '/platforms/:name', access: 'platform.manage',
    handler: async (input) => {
      const { actor } = input.session!;
      try {
        const p = await changePlatform(input.env.ctx, actor, input.params.name, platformForm(input, true));
        return input.reply.redirect(platformPath(p.name, '?saved=1'), 303);
      } catch (err) {
        const problem = formProblem(err, PROBLEMS, { field: 'name', key: 'platforms.problem.other' });
        if (!problem) throw err;
        const p = await getPlatformWithProposal(input.env.ctx, actor, input.params.name);
        const others = (await listPlatforms(input.env.ctx, actor)).map((o) => o.name).filter((n) => n !== p.name);
        void input.reply.status(400);
        return input.render('platform', { p, v: sentValues(input, p.hasWebhookSecret), others, ...OPTIONS, problem, canManage: true, notice: '', ...proposalData(p, input) });
      }
    },
  },
];
