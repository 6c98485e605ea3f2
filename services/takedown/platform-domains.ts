/**
 * Which platform answers for a URL. A platform lists host names: each covers itself and its subdomains
 * (`board.example` covers `img.board.example`); an IP address covers only itself. Matching goes through
 * the registrable domain (public-suffix aware, tldts): `img.board.co.kr` is looked up under
 * `board.co.kr`, so a platform can never claim a public suffix such as `co.kr` and cover a whole country.
 * When two platforms cover a host, the most specific domain wins (a CDN's `cdn.board.example` over the
 * site's `board.example`). Pure: the directory is built from the platform rows.
 */
import { domainToASCII } from 'node:url';
import { isIP } from 'node:net';
import { getDomain } from 'tldts';

/** Why a host name cannot be a platform domain, as a sentence; null when it can. */
export function domainProblem(domain: string): string | null {
  if (isIP(domain)) return null;
  if (!/^[a-z0-9.-]+$/.test(domain) || domain.includes('..') || domain.startsWith('.') || domain.startsWith('-')) {
    return `'${domain}' is not a host name: give names like board.example or img.board.co.kr (no scheme, path or port).`;
  }
  if (getDomain(domain) === null) {
    return `'${domain}' is a public suffix or not a registrable domain: give the site's own domain (such as board.${domain}), which covers its subdomains.`;
  }
  return null;
}

/**
 * A host name as platforms list it: lower case, ASCII (punycode), no trailing dot, IPv6 without brackets.
 * Returns the input trimmed when it cannot be normalised (domainProblem then says why).
 */
export function normalizeDomain(raw: string): string {
  let d = raw.trim().toLowerCase().replace(/\.$/, '');
  if (d.startsWith('[') && d.endsWith(']')) d = d.slice(1, -1);
  if (isIP(d)) return d;
  const ascii = domainToASCII(d);
  return ascii || d;
}

/** The host of a URL as platforms list hosts, or null for a URL that cannot be read. */
export function urlHost(url: string): string | null {
  try {
    const host = new URL(url).hostname;
    return host ? normalizeDomain(host) : null;
  } catch {
    return null;
  }
}

/** Whether a platform domain covers a host: itself and its subdomains; an IP address only itself. */
export function domainCovers(domain: string, host: string): boolean {
  if (isIP(domain) || isIP(host)) return domain === host;
  return host === domain || host.endsWith(`.${domain}`);
}

export interface DirectoryEntry<P> {
  platform: P;
  domains: readonly string[];
}

export interface PlatformDirectory<P> {
  /** The platform answering for `host` (most specific domain first), or null when none covers it. */
  forHost(host: string): { platform: P; domain: string } | null;
}

export function buildDirectory<P>(entries: readonly DirectoryEntry<P>[]): PlatformDirectory<P> {
  const byKey = new Map<string, Array<{ platform: P; domain: string }>>();
  const key = (host: string) => (isIP(host) ? host : getDomain(host) ?? host);
  for (const e of entries) {
    for (const domain of e.domains) {
      const list = byKey.get(key(domain)) ?? [];
      list.push({ platform: e.platform, domain });
      byKey.set(key(domain), list);
    }
  }
  for (const list of byKey.values()) list.sort((a, b) => b.domain.length - a.domain.length);
  return {
    forHost(host) {
      const h = normalizeDomain(host);
      for (const candidate of byKey.get(key(h)) ?? []) {
        if (domainCovers(candidate.domain, h)) return candidate;
      }
      return null;
    },
  };
}

/**
 * An alert's recipients: the platform of its page (who can remove the post), and the platform of its
 * media URL when that is another registered platform (a CDN or image host gets its own notice).
 */
export function routeUrls<P extends { id: string }>(dir: PlatformDirectory<P>, pageUrl: string, mediaUrl: string): { page: P | null; media: P | null } {
  const pageHost = urlHost(pageUrl);
  const mediaHost = urlHost(mediaUrl);
  const page = pageHost ? dir.forHost(pageHost)?.platform ?? null : null;
  const mediaHit = mediaHost ? dir.forHost(mediaHost)?.platform ?? null : null;
  return { page, media: mediaHit && mediaHit.id !== page?.id ? mediaHit : null };
}

/** EU member states' country-code TLDs (and .eu) for the jurisdiction guess of a proposed platform. */
const EU_TLDS = new Set(['eu', 'at', 'be', 'bg', 'hr', 'cy', 'cz', 'dk', 'ee', 'fi', 'fr', 'de', 'gr', 'hu', 'ie', 'it', 'lv', 'lt', 'lu', 'mt', 'nl', 'pl', 'pt', 'ro', 'sk', 'si', 'es', 'se']);

/** A first guess of a domain's jurisdiction from its TLD: .kr KR, EU ccTLDs EU, .us US, else OTHER. */
export function guessJurisdiction(domain: string): 'KR' | 'US' | 'EU' | 'OTHER' {
  const tld = domain.split('.').pop() ?? '';
  if (tld === 'kr') return 'KR';
  if (tld === 'us') return 'US';
  if (EU_TLDS.has(tld)) return 'EU';
  return 'OTHER';
}
