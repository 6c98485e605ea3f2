/**
 * Escalation targets staydown proposes when an escalation is due and the platform has none. A Korean
 * site (jurisdiction KR) escalates to the Korea Communications Standards Commission: a review request
 * (deletion for a domestic service). Any other site escalates to its hosting provider - RDAP `ip/<addr>`
 * of the address its host name resolves to, the network's abuse entity - and then to its registrar - the
 * domain's RDAP answer, the abuse entity inside the registrar's. A proposal is only shown: nothing is sent
 * to an address RDAP gave until a person accepts it (escalation-accept.ts), because RDAP answers are
 * outside input and an abuse desk is a third party.
 *
 * Lookups are cached per platform in escalation_proposals: a monitoring pass asks RDAP once per platform,
 * with short timeouts and a few platforms at a time, and a failed lookup waits RETRY_MS before the next.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { getDomain } from 'tldts';
import { selectOpenProposals, selectProposals, upsertProposal, type ProposalRow, type ProposalStatus } from '../../db/queries/escalation-proposals.ts';
import { selectPlatformById, selectPlatformByName, selectPlatforms, type PlatformRow } from '../../db/queries/platforms.ts';
import { requirePermission } from '../platform/access.ts';
import type { Actor } from '../platform/audit.ts';
import type { ServiceContext } from '../platform/context.ts';
import { NotFoundError } from '../platform/errors.ts';
import { withTimeout } from '../platform/timeout.ts';
import { domainCovers, guessJurisdiction } from './platform-domains.ts';
import { platformJson, type Jurisdiction, type NoticeLanguage, type Platform, type PlatformKind } from './platforms.ts';
import { lookupDomain, lookupIp, RdapError, type RdapContacts, type RdapNetwork } from './rdap.ts';

/** A failed lookup is tried again this long after (RDAP servers rate-limit; an hour is polite). */
export const RETRY_MS = 60 * 60_000;
/** Per RDAP request and per name resolution inside a monitoring pass: short, so the pass goes on. */
const LOOKUP_TIMEOUT_MS = 5_000;
/** Platforms looked up in one pass; the rest wait for the next pass (their URLs stay due). */
const LOOKUPS_PER_PASS = 4;

/**
 * The Korea Communications Standards Commission (방송통신심의위원회). Review requests go through its web
 * site, so the proposed record is a web-form channel: staff submit by hand, nothing goes out on its own.
 * Staff check the form address before accepting.
 */
export const KCSC_RECORD = { name: 'KCSC', domains: ['kocsc.or.kr'], formUrl: 'https://www.kocsc.or.kr/' } as const;

export interface ProposedTarget {
  /** Its place in the chain: the KCSC for a Korean site; the host, then the registrar, for the others. */
  role: 'kcsc' | 'host' | 'registrar';
  name: string;
  kind: PlatformKind;
  domains: string[];
  emails: string[];
  formUrl: string | null;
  jurisdiction: Jurisdiction;
  language: NoticeLanguage;
  /** An existing platform record that is this target: accepting reuses it and creates nothing. */
  existing: string | null;
  /** The RDAP URL the contact came from (null for the KCSC). */
  source: string | null;
  /** What RDAP said about it: the network's handle, range and country, or the domain and its registrar. */
  note: string | null;
}

export interface EscalationProposal {
  platform: string;
  status: ProposalStatus;
  targets: ProposedTarget[];
  /** Why a lookup failed or what is missing, as a sentence; null when the proposal is complete. */
  problem: string | null;
  lookedUpHost: string | null;
  lookedUpAt: string;
  /** A failed lookup is tried again by a monitoring pass after this. */
  retryAt: string | null;
  acceptedAt: string | null;
  /** What a person runs to accept it (also the console's button and POST /api/v1/platforms/:name/accept-escalation). */
  accept: string | null;
}

export interface ProposalDeps {
  fetch?: typeof fetch;
  /** Resolves a host name to one address (default: the system resolver). */
  resolve?: (host: string) => Promise<string>;
  now?: Date;
}

export function proposalJson(r: ProposalRow): EscalationProposal {
  const targets = (Array.isArray(r.targets) ? r.targets : []) as ProposedTarget[];
  return {
    platform: r.platform_name, status: r.status, targets, problem: r.problem, lookedUpHost: r.looked_up_host, lookedUpAt: r.looked_up_at.toISOString(),
    retryAt: r.retry_at?.toISOString() ?? null, acceptedAt: r.accepted_at?.toISOString() ?? null,
    accept: r.status === 'proposed' && targets.length > 0 ? `staydown platform accept-escalation ${r.platform_name}` : null,
  };
}

/** ISO 3166 country of an IP network -> the law its host answers under (EU member codes are their ccTLDs). */
const countryJurisdiction = (cc: string | null): Jurisdiction => (cc ? guessJurisdiction(`x.${cc.toLowerCase()}`) : 'OTHER');

const systemResolve = async (host: string) => (await dnsLookup(host)).address;

/** The record a contact becomes: reused when a platform already covers its e-mail domain or has its name. */
async function asTarget(all: PlatformRow[], site: PlatformRow, t: Omit<ProposedTarget, 'existing' | 'domains'> & { emailDomain: string | null }): Promise<ProposedTarget | null> {
  const { emailDomain, ...rest } = t;
  const covering = emailDomain ? all.find((p) => p.domains.some((d) => domainCovers(d, emailDomain))) : undefined;
  // The site's own abuse desk is who the notices already went to: no escalation there.
  if (covering?.id === site.id) return null;
  if (covering) return { ...rest, name: covering.name, domains: covering.domains, existing: covering.name };
  const sameName = all.find((p) => p.name.toLowerCase() === rest.name.toLowerCase());
  const name = sameName ? `${rest.name} (${emailDomain ?? rest.role})`.slice(0, 100) : rest.name.slice(0, 100);
  return { ...rest, name, domains: emailDomain ? [emailDomain] : [], existing: null };
}

function hostTarget(net: RdapNetwork, host: string): Omit<ProposedTarget, 'existing' | 'domains'> & { emailDomain: string | null } {
  const jurisdiction = countryJurisdiction(net.network.country);
  const range = net.network.startAddress && net.network.endAddress ? ` ${net.network.startAddress} - ${net.network.endAddress}` : '';
  return {
    role: 'host', name: net.organisation ?? `host of ${host}`, kind: 'host', emails: net.abuseEmails, formUrl: null, jurisdiction, language: jurisdiction === 'KR' ? 'ko' : 'en',
    source: net.source, note: `${net.network.handle ?? net.network.name ?? '?'}${range}${net.network.country ? ` (${net.network.country})` : ''}`,
    emailDomain: net.abuseEmails[0] ? getDomain(net.abuseEmails[0].split('@')[1]) : null,
  };
}

function registrarTarget(c: RdapContacts, domain: string): Omit<ProposedTarget, 'existing' | 'domains'> & { emailDomain: string | null } {
  const emails = c.registrarAbuseEmails.length > 0 ? c.registrarAbuseEmails : c.abuseEmails;
  return {
    role: 'registrar', name: c.registrar ?? `registrar of ${domain}`, kind: 'registrar', emails, formUrl: null, jurisdiction: 'OTHER', language: 'en',
    source: c.source, note: `${domain}${c.registrar ? `: ${c.registrar}` : ''}`,
    emailDomain: emails[0] ? getDomain(emails[0].split('@')[1]) : null,
  };
}

/** Looks up one platform's targets; the outcome is stored (never thrown). */
async function lookUp(ctx: ServiceContext, site: PlatformRow, host: string | null, deps: ProposalDeps, now: Date): Promise<void> {
  const all = await selectPlatforms(ctx.sql);
  const store = (status: 'proposed' | 'failed', targets: ProposedTarget[], problem: string | null) =>
    upsertProposal(ctx.sql, { platformId: site.id, status, targets, problem, host, retryAt: status === 'failed' ? new Date(now.getTime() + RETRY_MS) : null });
  if (site.jurisdiction === 'KR') {
    const kcsc = all.find((p) => p.kind === 'regulator' && p.jurisdiction === 'KR') ?? all.find((p) => p.domains.includes(KCSC_RECORD.domains[0]));
    await store('proposed', [{
      role: 'kcsc', name: kcsc?.name ?? KCSC_RECORD.name, kind: kcsc?.kind ?? 'regulator', domains: kcsc?.domains ?? [...KCSC_RECORD.domains], emails: kcsc?.emails ?? [],
      formUrl: kcsc ? kcsc.form_url : KCSC_RECORD.formUrl, jurisdiction: 'KR', language: 'ko', existing: kcsc?.name ?? null, source: null,
      note: null,
    }], null);
    return;
  }
  if (!host) {
    await store('failed', [], `Platform '${site.name}' lists no domain whose host and registrar could be looked up; add its escalation target by hand with 'staydown platform change ${site.name} --escalate-to TARGET'.`);
    return;
  }
  const problems: string[] = [];
  const fetchImpl = deps.fetch ?? fetch;
  const resolve = deps.resolve ?? systemResolve;
  const domain = isIP(host) ? null : getDomain(host);
  const [hostFound, registrarFound] = await Promise.all([
    (async () => {
      const address = isIP(host) ? host : await withTimeout(resolve(host), LOOKUP_TIMEOUT_MS, `resolving ${host} took longer than ${LOOKUP_TIMEOUT_MS / 1000} s`);
      return hostTarget(await lookupIp(ctx.config.rdapUrl, address, fetchImpl, LOOKUP_TIMEOUT_MS), host);
    })().catch((err: Error) => {
      problems.push(err instanceof RdapError ? err.message : `The address of ${host} could not be found (${err.message}); its hosting provider is unknown for now.`);
      return null;
    }),
    domain
      ? lookupDomain(ctx.config.rdapUrl, domain, fetchImpl, LOOKUP_TIMEOUT_MS).then((c) => registrarTarget(c, domain)).catch((err: Error) => {
        problems.push(err instanceof RdapError ? err.message : `The registrar of ${domain} could not be looked up (${err.message}).`);
        return null;
      })
      : Promise.resolve(null),
  ]);
  const targets: ProposedTarget[] = [];
  for (const t of [hostFound, registrarFound]) {
    if (!t) continue;
    if (t.emails.length === 0) {
      problems.push(`RDAP names no abuse address for the ${t.role === 'host' ? `hosting provider of ${host}` : `registrar of ${domain}`} (${t.source}).`);
      continue;
    }
    const target = await asTarget(all, site, t);
    if (target && !targets.some((x) => x.name === target.name)) targets.push(target);
  }
  if (targets.length === 0) {
    await store('failed', [], `${problems.join(' ')} staydown tries again in an hour; or add the escalation target by hand with 'staydown platform change ${site.name} --escalate-to TARGET'.`.trim());
    return;
  }
  await store('proposed', targets, problems.length > 0 ? problems.join(' ') : null);
}

/** The host name a platform's due URLs are served from (the one its domains cover), else its first domain. */
export function lookupHost(platform: Pick<PlatformRow, 'domains'>, urls: readonly string[]): string | null {
  for (const u of urls) {
    let h: string;
    try {
      h = new URL(u).hostname.replace(/^\[|\]$/g, '').toLowerCase();
    } catch {
      continue;
    }
    if (platform.domains.some((d) => domainCovers(d, h))) return h;
  }
  return platform.domains[0] ?? null;
}

/**
 * Proposals for platforms whose URLs are due an escalation but which have no target: cached ones as they
 * are, new lookups for a few platforms (a failed one again after its retry time). Never throws for RDAP.
 */
export async function proposeEscalationTargets(ctx: ServiceContext, due: ReadonlyArray<{ platformId: string; urls: readonly string[] }>, deps: ProposalDeps = {}): Promise<EscalationProposal[]> {
  const now = deps.now ?? new Date();
  const ids = [...new Set(due.map((d) => d.platformId))];
  const cached = new Map((await selectProposals(ctx.sql, ids)).map((r) => [r.platform_id, r]));
  const toLookUp: Array<{ site: PlatformRow; host: string | null }> = [];
  for (const id of ids) {
    const site = await selectPlatformById(ctx.sql, id);
    if (!site || site.escalate_to) continue;
    const c = cached.get(id);
    const fresh = c && (c.status === 'proposed' || (c.status === 'failed' && c.retry_at !== null && c.retry_at > now));
    if (!fresh && toLookUp.length < LOOKUPS_PER_PASS) toLookUp.push({ site, host: lookupHost(site, due.filter((d) => d.platformId === id).flatMap((d) => d.urls)) });
  }
  await Promise.all(toLookUp.map(({ site, host }) => lookUp(ctx, site, host, deps, now).catch((err: Error) => ctx.log.warn({ platform: site.id, err: err.message }, 'an escalation target could not be proposed'))));
  return (await selectProposals(ctx.sql, ids)).filter((r) => r.status !== 'accepted').map(proposalJson);
}

/** A platform with its escalation proposal (`platform show`, the API, the console's platform page). */
export async function getPlatformWithProposal(ctx: ServiceContext, actor: Actor, nameOrId: string): Promise<Platform & { escalationProposal: EscalationProposal | null }> {
  requirePermission(actor, 'platform.read');
  const row = (await selectPlatformByName(ctx.sql, nameOrId)) ?? (/^[0-9a-f-]{36}$/i.test(nameOrId) ? await selectPlatformById(ctx.sql, nameOrId) : null);
  if (!row) throw new NotFoundError(`There is no platform named '${nameOrId}'; 'staydown platform list' shows them.`);
  const [proposal] = await selectProposals(ctx.sql, [row.id]);
  return { ...platformJson(row), escalationProposal: proposal ? proposalJson(proposal) : null };
}

/** Proposals waiting for a person, for the platforms page. */
export async function listOpenProposals(ctx: ServiceContext, actor: Actor): Promise<EscalationProposal[]> {
  requirePermission(actor, 'platform.read');
  return (await selectOpenProposals(ctx.sql)).map(proposalJson);
}
