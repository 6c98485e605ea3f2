/**
 * Abuse contacts from RDAP (RFC 9083): the entity with the role `abuse`, often nested inside the
 * registrar's entity (a domain) or the registrant organisation's (an IP network), carries the address in
 * its jCard (`vcardArray`, RFC 7095). Asked of the configured RDAP service (STAYDOWN_RDAP_URL, default
 * https://rdap.org/, which redirects to the registry's server) as `domain/<name>` and `ip/<address>`.
 * The answer is outside input: size-capped, time-limited, and read defensively (depth, counts and
 * string lengths bounded; anything of the wrong type is ignored).
 */
export interface RdapContacts {
  /** Abuse e-mail addresses, in the order found. */
  abuseEmails: string[];
  /** The abuse addresses inside the registrar's own entity (ICANN's RDAP profile puts them there). */
  registrarAbuseEmails: string[];
  /** The registrar's name (its jCard `fn`), when given. */
  registrar: string | null;
  /** The URL asked. */
  source: string;
}

/** An IP network's answer: who holds the addresses (the hosting provider) and its abuse contact. */
export interface RdapNetwork {
  abuseEmails: string[];
  /** The registrant organisation's name (jCard `fn`), else the network's name. */
  organisation: string | null;
  network: { handle: string | null; name: string | null; startAddress: string | null; endAddress: string | null; country: string | null };
  source: string;
}

const MAX_BYTES = 1024 * 1024;
const TIMEOUT_MS = 10_000;
const MAX_DEPTH = 5;
const MAX_EMAILS = 10;
const MAX_TEXT = 200;

interface RdapEntity {
  roles?: unknown;
  vcardArray?: unknown;
  entities?: unknown;
}

/** A short printable string, or null. */
function text(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const t = value.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  return t ? t.slice(0, MAX_TEXT) : null;
}

/** The values of one jCard property (`email`, `fn`). */
function vcardValues(vcardArray: unknown, property: string): string[] {
  if (!Array.isArray(vcardArray) || vcardArray[0] !== 'vcard' || !Array.isArray(vcardArray[1])) return [];
  const out: string[] = [];
  for (const prop of (vcardArray[1] as unknown[]).slice(0, 200)) {
    if (Array.isArray(prop) && prop[0] === property) {
      const v = text(prop[3]);
      if (v) out.push(v);
    }
  }
  return out;
}

function entities(value: unknown): RdapEntity[] {
  return Array.isArray(value) ? value.slice(0, 100).filter((e): e is RdapEntity => !!e && typeof e === 'object' && !Array.isArray(e)) : [];
}

const rolesOf = (e: RdapEntity) => (Array.isArray(e.roles) ? e.roles.filter((r): r is string => typeof r === 'string') : []);

function addEmails(into: string[], e: RdapEntity): void {
  for (const raw of vcardValues(e.vcardArray, 'email')) {
    // jCard may write a mailto: URI; a display name or a list is not an address.
    const email = raw.replace(/^mailto:/i, '').toLowerCase();
    if (into.length < MAX_EMAILS && /^[^\s@<>,;]+@[^\s@<>,;]+\.[^\s@<>,;]+$/.test(email) && !into.includes(email)) into.push(email);
  }
}

/** Every entity of an answer with its ancestors' roles, depth-first, bounded. */
function walk(list: RdapEntity[], visit: (e: RdapEntity, roles: string[], inherited: string[]) => void, inherited: string[] = [], depth = 0): void {
  if (depth > MAX_DEPTH) return;
  for (const e of list) {
    const roles = rolesOf(e);
    visit(e, roles, inherited);
    walk(entities(e.entities), visit, [...inherited, ...roles], depth + 1);
  }
}

/** Reads an RDAP domain answer: pure, for the parser's tests. */
export function parseRdapDomain(body: unknown, source: string): RdapContacts {
  const abuse: string[] = [];
  const registrarAbuse: string[] = [];
  let registrar: string | null = null;
  const top = body && typeof body === 'object' ? (body as RdapEntity).entities : undefined;
  walk(entities(top), (e, roles, inherited) => {
    if (roles.includes('abuse')) {
      addEmails(abuse, e);
      if (inherited.includes('registrar')) addEmails(registrarAbuse, e);
    }
    if (roles.includes('registrar') && registrar === null) registrar = vcardValues(e.vcardArray, 'fn')[0] ?? null;
  });
  return { abuseEmails: abuse, registrarAbuseEmails: registrarAbuse, registrar, source };
}

/** Reads an RDAP IP network answer (RFC 9083 section 5.4): pure, for the parser's tests. */
export function parseRdapIp(body: unknown, source: string): RdapNetwork {
  const o = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const abuse: string[] = [];
  let organisation: string | null = null;
  walk(entities(o.entities), (e, roles) => {
    if (roles.includes('abuse')) addEmails(abuse, e);
    else if (organisation === null && roles.includes('registrant')) organisation = vcardValues(e.vcardArray, 'fn')[0] ?? null;
  });
  const country = text(o.country)?.toUpperCase() ?? null;
  const name = text(o.name);
  return {
    abuseEmails: abuse,
    organisation: organisation ?? name,
    network: { handle: text(o.handle), name, startAddress: text(o.startAddress), endAddress: text(o.endAddress), country: country && /^[A-Z]{2}$/.test(country) ? country : null },
    source,
  };
}

export class RdapError extends Error {}

/** GET `path` of the RDAP service: at most MAX_BYTES of JSON within `timeoutMs`, or an RdapError sentence. */
async function rdapGet(rdapUrl: string, path: string, what: string, notFound: string, contact: string, fetchImpl: typeof fetch, timeoutMs: number): Promise<{ body: unknown; url: string }> {
  const url = new URL(path, rdapUrl).toString();
  const signal = AbortSignal.timeout(timeoutMs);
  let res: Response;
  try {
    res = await fetchImpl(url, { headers: { accept: 'application/rdap+json, application/json' }, redirect: 'follow', signal });
  } catch (err) {
    throw new RdapError(`The RDAP service at ${rdapUrl} could not be reached for ${what} (${(err as Error).message}); try again later or enter ${contact} by hand.`, { cause: err });
  }
  if (res.status === 404) throw new RdapError(`The RDAP service knows no ${notFound}; enter ${contact} by hand.`);
  if (!res.ok) throw new RdapError(`The RDAP service answered ${res.status} for ${what}; try again later or enter ${contact} by hand.`);
  const reader = res.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    if (reader) {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.length;
        if (size > MAX_BYTES) {
          await reader.cancel();
          throw new RdapError(`The RDAP answer for ${what} is larger than ${MAX_BYTES} bytes and was not read; enter ${contact} by hand.`);
        }
        chunks.push(value);
      }
    }
  } catch (err) {
    if (err instanceof RdapError) throw err;
    throw new RdapError(`The RDAP answer for ${what} could not be read in time (${(err as Error).message}); try again later or enter ${contact} by hand.`, { cause: err });
  }
  try {
    return { body: JSON.parse(Buffer.concat(chunks).toString('utf8')), url: res.url || url };
  } catch (err) {
    throw new RdapError(`The RDAP answer for ${what} is not JSON; enter ${contact} by hand.`, { cause: err });
  }
}

/** Asks the RDAP service about a registrable domain. */
export async function lookupDomain(rdapUrl: string, domain: string, fetchImpl: typeof fetch = fetch, timeoutMs = TIMEOUT_MS): Promise<RdapContacts> {
  const { body, url } = await rdapGet(rdapUrl, `domain/${encodeURIComponent(domain)}`, domain, `domain ${domain}`, "the platform's contact", fetchImpl, timeoutMs);
  return parseRdapDomain(body, url);
}

/** Asks the RDAP service about the IP network an address belongs to (its hosting provider). */
export async function lookupIp(rdapUrl: string, address: string, fetchImpl: typeof fetch = fetch, timeoutMs = TIMEOUT_MS): Promise<RdapNetwork> {
  const { body, url } = await rdapGet(rdapUrl, `ip/${encodeURIComponent(address)}`, `the address ${address}`, `network for the address ${address}`, "the host's contact", fetchImpl, timeoutMs);
  return parseRdapIp(body, url);
}
