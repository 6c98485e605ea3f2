/**
 * The SSRF guard: the crawler fetches URLs that strangers wrote into web pages, so it must never be turned
 * against the machine it runs on or its network. Only http(s); no loopback, private, link-local (cloud
 * metadata lives at 169.254.169.254 and fd00:ec2::254), CGNAT, multicast, unspecified or reserved
 * addresses - judged on the address the name actually resolves to, at connect time (so a DNS answer that
 * changes between check and connect cannot slip through), on every redirect hop. A site may allow named
 * hosts (tests serve fixture sites on 127.0.0.1); the allowance is by the host as written in the URL, never
 * by resolved address, so a public name that resolves to 127.0.0.1 is still refused.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';

export type AddressClass =
  | 'public' | 'loopback' | 'private' | 'link-local' | 'cgnat' | 'multicast' | 'unspecified' | 'reserved' | 'unique-local';

export interface SsrfPolicy {
  /** Hosts (names or IP literals, as written in URLs) the site explicitly allows despite their address. */
  allowHosts: readonly string[];
}

export class BlockedUrlError extends Error {
  readonly code = 'SSRF_BLOCKED';
}

function v4Class(o: number[]): AddressClass {
  const [a, b, c] = o;
  if (a === 0) return 'unspecified';
  if (a === 10) return 'private';
  if (a === 100 && b >= 64 && b <= 127) return 'cgnat';
  if (a === 127) return 'loopback';
  if (a === 169 && b === 254) return 'link-local';
  if (a === 172 && b >= 16 && b <= 31) return 'private';
  if (a === 192 && b === 168) return 'private';
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return 'reserved';
  if (a === 192 && b === 88 && c === 99) return 'reserved';
  if (a === 198 && (b === 18 || b === 19)) return 'reserved';
  if (a === 198 && b === 51 && c === 100) return 'reserved';
  if (a === 203 && b === 0 && c === 113) return 'reserved';
  if (a >= 224 && a <= 239) return 'multicast';
  if (a >= 240) return 'reserved';
  return 'public';
}

function parseV4(s: string): number[] | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const o = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  return o.every((n) => n >= 0 && n <= 255) ? o : null;
}

/** Expands an IPv6 literal (zone id and embedded dotted IPv4 allowed) into 16 bytes. */
function parseV6(input: string): number[] | null {
  let s = input.replace(/^\[|\]$/g, '');
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    const v4 = parseV4(s.slice(lastColon + 1));
    if (!v4) return null;
    tail = v4;
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 0) return null;
  const all = [...head, ...Array(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  const bytes: number[] = [];
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    const n = parseInt(g, 16);
    bytes.push(n >> 8, n & 0xff);
  }
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

/** Classifies an IP address literal (IPv4, IPv6, IPv4-mapped/-translated IPv6). Throws on a non-address. */
export function classifyAddress(address: string): AddressClass {
  const v4 = parseV4(address);
  if (v4) return v4Class(v4);
  const b = parseV6(address);
  if (!b) throw new Error(`'${address}' is not an IP address.`);
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  if (zeros(0, 16)) return 'unspecified';
  if (zeros(0, 15) && b[15] === 1) return 'loopback';
  // ::ffff:a.b.c.d (mapped), ::a.b.c.d (compatible, deprecated), 64:ff9b::a.b.c.d (NAT64): judge the IPv4.
  if (zeros(0, 10) && ((b[10] === 0xff && b[11] === 0xff) || (b[10] === 0 && b[11] === 0))) return v4Class(b.slice(12));
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b) {
    return zeros(4, 12) ? v4Class(b.slice(12)) : 'reserved'; // 64:ff9b:1::/48 is local-use NAT64
  }
  if (b[0] === 0x20 && b[1] === 0x02) return v4Class(b.slice(2, 6)); // 6to4 carries an IPv4 in bits 16-48
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x00 && b[3] === 0x00) return 'reserved'; // Teredo
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x0d && b[3] === 0xb8) return 'reserved'; // documentation
  if (b[0] === 0x01 && b[1] === 0x00 && zeros(2, 8)) return 'reserved'; // discard-only 100::/64
  if ((b[0] & 0xfe) === 0xfc) return 'unique-local';
  if (b[0] === 0xfe && (b[1] & 0xc0) === 0x80) return 'link-local';
  if (b[0] === 0xfe && (b[1] & 0xc0) === 0xc0) return 'private'; // deprecated site-local
  if (b[0] === 0xff) return 'multicast';
  return 'public';
}

function normalHost(host: string): string {
  return host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
}

export function isHostAllowed(host: string, policy: SsrfPolicy): boolean {
  const h = normalHost(host);
  return policy.allowHosts.some((a) => normalHost(a) === h);
}

/**
 * Checks what can be checked without DNS: the scheme, and the address when the host is an IP literal.
 * Returns a sentence saying why the URL is refused, or null.
 */
export function checkUrl(url: URL, policy: SsrfPolicy): string | null {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `The URL scheme '${url.protocol}' is not allowed; the crawler fetches only http and https URLs.`;
  }
  const host = normalHost(url.hostname);
  if (isHostAllowed(host, policy)) return null;
  if (isIP(host)) {
    const cls = classifyAddress(host);
    if (cls !== 'public') return `The address ${host} is ${cls} and the site does not allow it (add it with --allow-host to crawl it).`;
  }
  return null;
}

export type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
export type LookupFn = (hostname: string, options: { all?: boolean; family?: number | string }, cb: LookupCallback) => void;

/**
 * A `lookup` for net/tls.connect (undici passes it through) that resolves the name and refuses the
 * connection when any address it resolves to is not public, unless the host is allowed.
 */
export function guardedLookup(policy: SsrfPolicy, resolve: LookupFn = dnsLookup as unknown as LookupFn): LookupFn {
  return (hostname, options, cb) => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return cb(err, '');
      const list = addresses as LookupAddress[];
      const refuse = (why: string) => cb(new BlockedUrlError(why) as BlockedUrlError & NodeJS.ErrnoException, '');
      // A resolver (the system's, or one a caller plugged in) that answers with something other than an
      // address gets a refusal, not an exception thrown into its callback, where nobody would catch it.
      const junk = list.find((a) => isIP(a.address) === 0);
      if (junk) return refuse(`The host '${hostname}' resolved to '${junk.address}', which is not an IP address; the connection is refused.`);
      if (!isHostAllowed(hostname, policy)) {
        // Refuse when any answer is non-public: mixing a public and a private answer is a rebinding trick.
        const bad = list.find((a) => classifyAddress(a.address) !== 'public');
        if (bad) return refuse(`The host '${hostname}' resolves to a ${classifyAddress(bad.address)} address and the site does not allow it (add it with --allow-host to crawl it).`);
      }
      if (list.length === 0) return cb(Object.assign(new Error(`The host '${hostname}' has no address.`), { code: 'ENOTFOUND' }), '');
      if (options.all) return cb(null, list);
      return cb(null, list[0].address, list[0].family);
    });
  };
}

/**
 * Whether the guard would refuse a site's start URL, asked when the site is defined so that a refusal is
 * said then and not discovered in a crawl's log: the URL's own rule, then (for a name) where it resolves.
 * A name that does not resolve now is not refused - it may resolve by the time the site is crawled.
 */
export async function startUrlRefusal(url: URL, policy: SsrfPolicy, resolve: LookupFn = dnsLookup as unknown as LookupFn, timeoutMs = 3000): Promise<string | null> {
  const direct = checkUrl(url, policy);
  if (direct) return direct;
  const host = normalHost(url.hostname);
  if (isIP(host) || isHostAllowed(host, policy)) return null;
  const lookup = guardedLookup(policy, resolve);
  return new Promise<string | null>((done) => {
    const timer = setTimeout(() => done(null), timeoutMs);
    lookup(host, { all: true }, (err) => {
      clearTimeout(timer);
      done(err instanceof BlockedUrlError ? err.message : null);
    });
  });
}
