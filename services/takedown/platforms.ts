/**
 * Platforms: who receives takedown notices. A record names the host names the platform answers for,
 * its kind (site, host, registrar, search engine), the law it answers under and the language it reads,
 * how to reach it (e-mail addresses, a webhook with its signing secret - sealed under the master key -
 * or a web form), how many hours it has to act, and whom to escalate to. Changes are audited.
 */
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { getDomain } from 'tldts';
import { sqlState, type Sql } from '../../db/sql.ts';
import {
  insertPlatform, selectPlatformById, selectPlatformByName, selectPlatforms, selectPlatformsWithDomains, updatePlatform,
  type Jurisdiction, type NoticeLanguage, type PlatformFields, type PlatformKind, type PlatformRow,
} from '../../db/queries/platforms.ts';
import { selectUserById, selectUserByName } from '../../db/queries/users.ts';
import { requirePermission } from '../platform/access.ts';
import { appendAudit, type Actor } from '../platform/audit.ts';
import type { ServiceContext } from '../platform/context.ts';
import { decrypt, encrypt } from '../platform/crypto.ts';
import { BadRequestError, ConflictError, NotFoundError, UnprocessableError } from '../platform/errors.ts';
import { domainProblem, guessJurisdiction, normalizeDomain } from './platform-domains.ts';
import { lookupDomain, RdapError } from './rdap.ts';
import { refreshPlatformDrafts } from '../../db/queries/notices.ts';
import { channelFor } from './channel.ts';

export const PLATFORM_KINDS: readonly PlatformKind[] = ['site', 'host', 'registrar', 'search-engine', 'regulator'];
export const JURISDICTIONS: readonly Jurisdiction[] = ['KR', 'US', 'EU', 'OTHER'];
export const NOTICE_LANGUAGES: readonly NoticeLanguage[] = ['ko', 'en'];

/**
 * Hours a platform has to act when its record names none: US 48 (the TAKE IT DOWN Act's removal duty);
 * KR 24 and EU 24 (staydown's choice: Korean law asks for deletion "without delay" and the DSA for
 * "timely" action, neither in hours); OTHER 48.
 */
export const DEFAULT_DEADLINE_HOURS: Readonly<Record<Jurisdiction, number>> = { US: 48, KR: 24, EU: 24, OTHER: 48 };

export type { Jurisdiction, NoticeLanguage, PlatformKind, PlatformRow };

export interface Platform {
  id: string;
  name: string;
  domains: string[];
  kind: PlatformKind;
  jurisdiction: Jurisdiction;
  language: NoticeLanguage;
  emails: string[];
  webhookUrl: string | null;
  /**
   * Host names of the webhook URL allowed although they resolve to a loopback, private or otherwise
   * non-public address (a receiver on the platform's own network); the SSRF guard refuses them otherwise.
   */
  webhookAllowHosts: string[];
  /** The secret itself is never shown. */
  hasWebhookSecret: boolean;
  formUrl: string | null;
  deadlineHours: number;
  /** The name of the platform notices escalate to. */
  escalateTo: string | null;
  /** The `platform`-role account that answers for it. */
  userId: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface PlatformInput {
  name?: string;
  domains?: string[];
  kind?: string;
  jurisdiction?: string;
  language?: string;
  emails?: string[];
  /** null clears it. */
  webhookUrl?: string | null;
  webhookSecret?: string | null;
  /** Replaces the stored list; [] clears it. */
  webhookAllowHosts?: string[];
  formUrl?: string | null;
  deadlineHours?: number | null;
  /** A platform's name; null clears it. */
  escalateTo?: string | null;
  /** A `platform`-role account's name or id; null clears it. */
  user?: string | null;
}

export function platformJson(p: PlatformRow): Platform {
  return {
    id: p.id, name: p.name, domains: p.domains, kind: p.kind, jurisdiction: p.jurisdiction, language: p.language, emails: p.emails,
    webhookUrl: p.webhook_url, webhookAllowHosts: p.webhook_allow_hosts ?? [], hasWebhookSecret: p.webhook_secret_encrypted !== null, formUrl: p.form_url, deadlineHours: p.deadline_hours,
    escalateTo: p.escalate_to_name, userId: p.user_id, createdAt: p.created_at.toISOString(), updatedAt: p.updated_at.toISOString(),
  };
}

const secretAad = (platformId: string) => `platform:${platformId}:webhook-secret`;

/** The platform's webhook signing secret, unsealed (for the delivery work); null when it has none. */
export function webhookSecret(masterKey: Buffer, p: Pick<PlatformRow, 'id' | 'webhook_secret_encrypted'>): string | null {
  return p.webhook_secret_encrypted ? decrypt(masterKey, p.webhook_secret_encrypted, secretAad(p.id)).toString('utf8') : null;
}

function httpUrl(raw: string, what: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new BadRequestError(`The ${what} '${raw}' is not a URL: give an https:// address.`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new BadRequestError(`The ${what} must be an http:// or https:// address, not '${u.protocol}'.`);
  if (u.username || u.password) throw new BadRequestError(`The ${what} must not carry a user name or password; give the webhook secret separately.`);
  return u.toString();
}

/** A host name or IP address as the webhook URL writes it (lower case, IPv6 without brackets). */
function normalizeAllowHost(raw: string): string {
  const h = raw.trim().toLowerCase().replace(/^\[|\]$/g, '');
  if (!h || h.length > 253 || !(isIP(h) || /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(h))) {
    throw new BadRequestError(`'${raw}' is not a host name or IP address for --webhook-allow-host (write the host of the webhook URL, e.g. hooks.internal.example or 10.0.0.5).`);
  }
  return h;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new BadRequestError(`The ${what} '${value}' is not one of ${allowed.join(', ')}.`);
  return value as T;
}

/** Checks and normalises an input over the current record (if any); throws a sentence on the first problem. */
async function checkedFields(sql: Sql, input: PlatformInput, current: PlatformRow | null, id: string, masterKey: Buffer): Promise<PlatformFields> {
  const name = (input.name ?? current?.name ?? '').trim();
  if (!name) throw new BadRequestError('A platform needs a name, such as the site\'s own name.');
  if (name.length > 100 || /[\u0000-\u001f]/.test(name)) throw new BadRequestError('A platform name must be at most 100 characters, without control characters.');

  const domains = [...new Set((input.domains ?? current?.domains ?? []).map(normalizeDomain))];
  if (domains.length === 0) throw new BadRequestError(`Platform '${name}' needs at least one domain it serves (--domain board.example).`);
  for (const d of domains) {
    const problem = domainProblem(d);
    if (problem) throw new BadRequestError(problem);
  }
  const taken = (await selectPlatformsWithDomains(sql, domains)).filter((t) => t.id !== current?.id);
  if (taken.length > 0) throw new ConflictError(`The domain ${taken[0].domain} already belongs to platform '${taken[0].name}'; a domain has one platform (a subdomain such as cdn.${taken[0].domain} can have its own).`);

  const jurisdiction = oneOf(input.jurisdiction ?? current?.jurisdiction ?? 'OTHER', JURISDICTIONS, 'jurisdiction');
  const language = oneOf(input.language ?? current?.language ?? (jurisdiction === 'KR' ? 'ko' : 'en'), NOTICE_LANGUAGES, 'language');
  const kind = oneOf(input.kind ?? current?.kind ?? 'site', PLATFORM_KINDS, 'kind');

  const emails = [...new Set((input.emails ?? current?.emails ?? []).map((e) => e.trim().toLowerCase()))];
  for (const e of emails) {
    if (!/^[^\s@<>,;]+@[^\s@<>,;]+\.[^\s@<>,;]+$/.test(e)) throw new BadRequestError(`'${e}' is not an e-mail address.`);
  }
  const webhookUrl = input.webhookUrl === undefined ? current?.webhook_url ?? null : input.webhookUrl === null ? null : httpUrl(input.webhookUrl, 'webhook URL');
  let secret: Buffer | null = current?.webhook_secret_encrypted ?? null;
  if (input.webhookSecret !== undefined) {
    if (input.webhookSecret !== null && input.webhookSecret.length < 16) throw new BadRequestError('A webhook secret must be at least 16 characters (e.g. from \'openssl rand -hex 32\').');
    secret = input.webhookSecret === null ? null : encrypt(masterKey, Buffer.from(input.webhookSecret, 'utf8'), secretAad(id));
  }
  if (webhookUrl === null) secret = null;
  if (webhookUrl !== null && secret === null) throw new BadRequestError(`Platform '${name}' has a webhook without a secret: give --webhook-secret, so it can check that notices come from staydown.`);
  const webhookAllowHosts = [...new Set((input.webhookAllowHosts ?? current?.webhook_allow_hosts ?? []).map((h) => normalizeAllowHost(h)))];
  if (webhookAllowHosts.length > 20) throw new BadRequestError('Allow at most 20 webhook hosts on one platform.');
  const webhookHost = webhookUrl ? new URL(webhookUrl).hostname.replace(/^\[|\]$/g, '').toLowerCase() : null;
  if (input.webhookAllowHosts?.length && webhookHost && !webhookAllowHosts.includes(webhookHost)) {
    throw new BadRequestError(`--webhook-allow-host ${webhookAllowHosts.join(', ')} does not name the webhook's host ${webhookHost}; allow the host the URL names.`);
  }
  const formUrl = input.formUrl === undefined ? current?.form_url ?? null : input.formUrl === null ? null : httpUrl(input.formUrl, 'form URL');
  if (emails.length === 0 && webhookUrl === null && formUrl === null) {
    throw new BadRequestError(`Platform '${name}' has no way to receive notices: give an --email, a --webhook with its --webhook-secret, or a --form-url.`);
  }

  let deadlineHours = input.deadlineHours === undefined ? current?.deadline_hours ?? null : input.deadlineHours;
  if (deadlineHours !== null && (!Number.isInteger(deadlineHours) || deadlineHours < 1 || deadlineHours > 8760)) {
    throw new BadRequestError('The deadline must be a whole number of hours from 1 to 8760.');
  }
  // A new jurisdiction without an explicit deadline takes the new jurisdiction's default.
  if (input.deadlineHours === undefined && current && input.jurisdiction && input.jurisdiction !== current.jurisdiction && current.deadline_hours === DEFAULT_DEADLINE_HOURS[current.jurisdiction]) {
    deadlineHours = null;
  }

  let escalateTo: string | null = current?.escalate_to ?? null;
  if (input.escalateTo !== undefined) {
    if (input.escalateTo === null) escalateTo = null;
    else {
      const target = await selectPlatformByName(sql, input.escalateTo);
      if (!target) throw new NotFoundError(`There is no platform named '${input.escalateTo}' to escalate to; add it first.`);
      if (target.id === id) throw new BadRequestError(`Platform '${name}' cannot escalate to itself: name its host or registrar.`);
      escalateTo = target.id;
    }
  }

  let userId: string | null = current?.user_id ?? null;
  if (input.user !== undefined) {
    if (input.user === null) userId = null;
    else {
      const user = (await selectUserByName(sql, input.user)) ?? (await selectUserById(sql, input.user));
      if (!user) throw new NotFoundError(`There is no account '${input.user}'; create it with 'staydown user add --role platform ${input.user}'.`);
      if (user.role !== 'platform') throw new BadRequestError(`The account '${user.name}' has the ${user.role} role; a platform answers through a platform-role account.`);
      userId = user.id;
    }
  }
  return { name, domains, kind, jurisdiction, language, emails, webhookUrl, webhookSecretEncrypted: secret, formUrl, deadlineHours, escalateTo, userId, webhookAllowHosts };
}

/** Adds a checked record inside the caller's transaction (accepting an escalation proposal adds several at once). */
export async function addPlatformIn(tx: Sql, masterKey: Buffer, actor: Actor, input: PlatformInput): Promise<PlatformRow> {
  const id = randomUUID();
  const fields = await checkedFields(tx, input, null, id, masterKey);
  const row = await insertPlatform(tx, id, fields);
  await appendAudit(tx, actor, { action: 'platform.add', recordType: 'platform', recordId: id, detail: { domains: row.domains.length, jurisdiction: row.jurisdiction } });
  return row;
}

export async function addPlatform(ctx: ServiceContext, actor: Actor, input: PlatformInput): Promise<Platform> {
  requirePermission(actor, 'platform.manage');
  try {
    return await ctx.sql.transaction(async (tx) => platformJson(await addPlatformIn(tx, ctx.masterKey, actor, input)));
  } catch (err) {
    if (sqlState(err) === '23505') throw new ConflictError(`A platform named '${input.name}' already exists (names are compared regardless of case); change it with 'staydown platform change'.`);
    throw err;
  }
}

export async function changePlatform(ctx: ServiceContext, actor: Actor, name: string, input: PlatformInput): Promise<Platform> {
  requirePermission(actor, 'platform.manage');
  try {
    return await ctx.sql.transaction(async (tx) => {
      const current = await selectPlatformByName(tx, name, { forUpdate: true });
      if (!current) throw new NotFoundError(`There is no platform named '${name}'; 'staydown platform list' shows them.`);
      const fields = await checkedFields(tx, input, current, current.id, ctx.masterKey);
      const row = await updatePlatform(tx, current.id, { ...fields, deadlineHours: fields.deadlineHours ?? DEFAULT_DEADLINE_HOURS[fields.jurisdiction] });
      // Drafts follow their platform until approved: the law, language and channel they will go out with.
      await refreshPlatformDrafts(tx, row.id, { language: row.language, jurisdiction: row.jurisdiction, channel: channelFor(row) });
      const changed = Object.keys(input).filter((k) => (input as Record<string, unknown>)[k] !== undefined).sort();
      await appendAudit(tx, actor, { action: 'platform.change', recordType: 'platform', recordId: row.id, detail: { fields: changed } });
      return platformJson(row);
    });
  } catch (err) {
    if (sqlState(err) === '23505') throw new ConflictError(`A platform named '${input.name}' already exists (names are compared regardless of case).`);
    throw err;
  }
}

export async function listPlatforms(ctx: ServiceContext, actor: Actor): Promise<Platform[]> {
  requirePermission(actor, 'platform.read');
  return (await selectPlatforms(ctx.sql)).map(platformJson);
}

/** A platform by name (regardless of case) or id. */
export async function getPlatform(ctx: ServiceContext, actor: Actor, nameOrId: string): Promise<Platform> {
  requirePermission(actor, 'platform.read');
  const row = (await selectPlatformByName(ctx.sql, nameOrId)) ?? (/^[0-9a-f-]{36}$/i.test(nameOrId) ? await selectPlatformById(ctx.sql, nameOrId) : null);
  if (!row) throw new NotFoundError(`There is no platform named '${nameOrId}'; 'staydown platform list' shows them.`);
  return platformJson(row);
}

export interface PlatformProposal {
  /** Always true: nothing was saved. */
  proposal: true;
  note: string;
  platform: { name: string; domains: string[]; kind: 'site'; emails: string[]; jurisdiction: Jurisdiction; language: NoticeLanguage; deadlineHours: number };
  registrar: string | null;
  source: string;
}

/**
 * A draft platform record for a domain no platform covers, from the RDAP abuse contact of its
 * registrable domain. Nothing is saved: a person checks it and adds it.
 */
export async function proposePlatform(ctx: ServiceContext, actor: Actor, domainOrUrl: string, opts: { fetch?: typeof fetch } = {}): Promise<PlatformProposal> {
  requirePermission(actor, 'platform.manage');
  let host = domainOrUrl.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(host)) {
    try {
      host = new URL(host).hostname;
    } catch {
      throw new BadRequestError(`'${domainOrUrl}' is neither a domain nor a URL.`);
    }
  }
  host = normalizeDomain(host);
  if (isIP(host)) throw new BadRequestError(`${host} is an IP address: RDAP proposals are for domains; add the host's platform by hand with --domain ${host}.`);
  const problem = domainProblem(host);
  if (problem) throw new BadRequestError(problem);
  const domain = getDomain(host)!;
  let found;
  try {
    found = await lookupDomain(ctx.config.rdapUrl, domain, opts.fetch);
  } catch (err) {
    if (err instanceof RdapError) throw new UnprocessableError(err.message, { cause: err });
    throw err;
  }
  const jurisdiction = guessJurisdiction(domain);
  const emails = found.abuseEmails;
  return {
    proposal: true,
    note: `This is a proposal from RDAP (${found.source}), not saved: check the contact and the jurisdiction, then add it with 'staydown platform add ${domain} --domain ${domain}${emails.map((e) => ` --email ${e}`).join('')} --jurisdiction ${jurisdiction}'.`
      + (emails.length === 0 ? ' RDAP gave no abuse address; find the site\'s own contact or its host\'s.' : ''),
    platform: { name: domain, domains: [domain], kind: 'site', emails, jurisdiction, language: jurisdiction === 'KR' ? 'ko' : 'en', deadlineHours: DEFAULT_DEADLINE_HOURS[jurisdiction] },
    registrar: found.registrar,
    source: found.source,
  };
}
