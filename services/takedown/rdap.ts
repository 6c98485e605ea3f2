/**
 * Abuse contacts from RDAP (RFC 9083): the entity with the role `abuse`, often nested inside the
 * registrar's entity, carries the address in its jCard (`vcardArray`, RFC 7095). Asked of the configured
 * RDAP service (STAYDOWN_RDAP_URL, default https://rdap.org/, which redirects to the registry's server).
 * The answer is outside input: size-capped, time-limited, and read defensively.
 */
export interface RdapContacts {
  /** Abuse e-mail addresses, in the order found. */
  abuseEmails: string[];
  /** The registrar's name (its jCard `fn`), when given. */
  registrar: string | null;
  /** The URL asked. */
  source: string;
}

const MAX_BYTES = 1024 * 1024;
const TIMEOUT_MS = 10_000;

interface RdapEntity {
  roles?: unknown;
  vcardArray?: unknown;
  entities?: unknown;
}

/** The values of one jCard property (`email`, `fn`). */
function vcardValues(vcardArray: unknown, property: string): string[] {
  if (!Array.isArray(vcardArray) || vcardArray[0] !== 'vcard' || !Array.isArray(vcardArray[1])) return [];
  const out: string[] = [];
  for (const prop of vcardArray[1] as unknown[]) {
    if (Array.isArray(prop) && prop[0] === property && typeof prop[3] === 'string') out.push(prop[3].trim());
  }
  return out;
}

function entities(value: unknown): RdapEntity[] {
  return Array.isArray(value) ? value.filter((e): e is RdapEntity => !!e && typeof e === 'object') : [];
}

/** Reads an RDAP domain answer: pure, for the parser's tests. */
export function parseRdapDomain(body: unknown, source: string): RdapContacts {
  const abuse: string[] = [];
  let registrar: string | null = null;
  const walk = (list: RdapEntity[], depth: number) => {
    if (depth > 5) return;
    for (const e of list) {
      const roles = Array.isArray(e.roles) ? e.roles.filter((r): r is string => typeof r === 'string') : [];
      if (roles.includes('abuse')) {
        for (const email of vcardValues(e.vcardArray, 'email')) if (/^[^\s@<>]+@[^\s@<>]+$/.test(email) && !abuse.includes(email.toLowerCase())) abuse.push(email.toLowerCase());
      }
      if (roles.includes('registrar') && registrar === null) registrar = vcardValues(e.vcardArray, 'fn')[0] ?? null;
      walk(entities(e.entities), depth + 1);
    }
  };
  walk(entities((body as RdapEntity | null)?.entities), 0);
  return { abuseEmails: abuse, registrar, source };
}

export class RdapError extends Error {}

/** Asks the RDAP service about a registrable domain. */
export async function lookupDomain(rdapUrl: string, domain: string, fetchImpl: typeof fetch = fetch): Promise<RdapContacts> {
  const url = new URL(`domain/${encodeURIComponent(domain)}`, rdapUrl).toString();
  let res: Response;
  try {
    res = await fetchImpl(url, { headers: { accept: 'application/rdap+json, application/json' }, redirect: 'follow', signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    throw new RdapError(`The RDAP service at ${rdapUrl} could not be reached for ${domain} (${(err as Error).message}); try again later or enter the platform's contact by hand.`, { cause: err });
  }
  if (res.status === 404) throw new RdapError(`The RDAP service knows no domain ${domain}; enter the platform's contact by hand.`);
  if (!res.ok) throw new RdapError(`The RDAP service answered ${res.status} for ${domain}; try again later or enter the platform's contact by hand.`);
  const reader = res.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (reader) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > MAX_BYTES) {
        await reader.cancel();
        throw new RdapError(`The RDAP answer for ${domain} is larger than ${MAX_BYTES} bytes and was not read.`);
      }
      chunks.push(value);
    }
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    throw new RdapError(`The RDAP answer for ${domain} is not JSON; enter the platform's contact by hand.`, { cause: err });
  }
  return parseRdapDomain(body, res.url || url);
}
