/** Small pure helpers for URLs as the crawler sees them. */

/**
 * Resolves a raw attribute value against a base URL. Returns null for anything that is not http(s)
 * (data:, blob:, javascript:, mailto:) or cannot be parsed. The fragment is dropped: it never changes
 * what a server returns.
 */
export function resolveHttpUrl(raw: string | undefined | null, base: URL): URL | null {
  if (raw == null) return null;
  // Attribute values often carry stray whitespace and newlines inside; browsers strip them (WHATWG URL does
  // too for tabs/newlines) but a leading/trailing space would break `new URL` with some bases.
  const value = raw.trim();
  if (value === '' || value.startsWith('#')) return null;
  const lower = value.slice(0, 11).toLowerCase();
  if (lower.startsWith('data:') || lower.startsWith('blob:') || lower.startsWith('javascript:') || lower.startsWith('mailto:') || lower.startsWith('tel:') || lower.startsWith('about:')) {
    return null;
  }
  let url: URL;
  try {
    url = new URL(value, base);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  url.hash = '';
  return url;
}

/** The URL as a string with its fragment removed, the form used as a dedupe key everywhere. */
export function urlKey(url: URL | string): string {
  const u = typeof url === 'string' ? new URL(url) : new URL(url.href);
  u.hash = '';
  return u.href;
}

/**
 * The registrable-ish part of a host used for "same site": the host without a leading `www.`. Without the
 * Public Suffix List we cannot know that `a.example.co.uk` and `b.example.co.uk` share an owner, so a site
 * is its start hosts (minus www.) and their subdomains; anything else needs an explicit --follow pattern.
 */
export function siteHostKey(host: string): string {
  const h = host.toLowerCase().replace(/\.$/, '');
  return h.startsWith('www.') ? h.slice(4) : h;
}

/** True when `host` is one of `siteHosts` or a subdomain of one (www. ignored on both sides). */
export function isSameSite(host: string, siteHosts: readonly string[]): boolean {
  const h = siteHostKey(host);
  return siteHosts.some((s) => {
    const k = siteHostKey(s);
    return h === k || h.endsWith(`.${k}`);
  });
}
