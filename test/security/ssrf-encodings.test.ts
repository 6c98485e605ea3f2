/**
 * The SSRF guard against the address spellings an attacker tries (issue 14, "must show"): numeric,
 * hex and octal IPv4, IPv4-mapped IPv6, a trailing dot, userinfo, the unspecified addresses and IPv6
 * loopback. Each must be refused - by checkUrl when the host is a literal, else by guardedLookup when it
 * resolves (real DNS: localhost is in /etc/hosts) - and an allowed host must still be reached.
 */
import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { BlockedUrlError, checkUrl, guardedLookup, type LookupFn } from '../../crawler/ssrf.ts';

const none = { allowHosts: [] as string[] };

/**
 * A resolver that answers like systemd-resolved does: `localhost`, with or without the trailing dot and
 * in any case, is loopback (glibc's resolver answers ENOTFOUND for "localhost." - safe, but not what
 * every resolver does, so the guard must not rely on it).
 */
const loopbackResolver: LookupFn = (hostname, _opts, cb) => {
  if (/^localhost\.?$/i.test(hostname)) return cb(null, [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }]);
  return cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '');
};

/** Why the guard refuses the URL (checkUrl, then the connect-time lookup), or null when it lets it through. */
async function refusal(text: string, policy = none, resolver: LookupFn = loopbackResolver): Promise<string | null> {
  const url = new URL(text);
  const early = checkUrl(url, policy);
  if (early) return early;
  // A literal address is connected to as it is (net.connect does not look it up): checkUrl was the check.
  if (isIP(url.hostname.replace(/^\[|\]$/g, ''))) return null;
  const lookup = guardedLookup(policy, resolver);
  return new Promise((done) => {
    lookup(url.hostname.replace(/^\[|\]$/g, ''), { all: true }, (err) => {
      if (err && !(err instanceof BlockedUrlError)) done(`lookup failed: ${err.message}`);
      else done(err ? err.message : null);
    });
  });
}

describe('address encodings', () => {
  it.each([
    ['decimal', 'http://2130706433/'],
    ['hex', 'http://0x7f000001/'],
    ['dotted hex', 'http://0x7f.0x0.0x0.0x1/'],
    ['octal', 'http://0177.0.0.1/'],
    ['short form', 'http://127.1/'],
    ['IPv4-mapped IPv6', 'http://[::ffff:127.0.0.1]/'],
    ['IPv4-mapped IPv6, hex', 'http://[::ffff:7f00:1]/'],
    ['userinfo', 'http://evil@127.0.0.1/'],
    ['userinfo that looks like a host', 'http://public.example@127.0.0.1:8080/x'],
    ['unspecified IPv4', 'http://0.0.0.0/'],
    ['unspecified, short', 'http://0/'],
    ['IPv6 loopback', 'http://[::1]/'],
    ['IPv6 unspecified', 'http://[::]/'],
    ['metadata address, decimal', 'http://2852039166/latest/meta-data/'],
    ['private, octal', 'http://012.0.0.1/'],
  ])('%s (%s) is refused by address', async (_what, text) => {
    const why = await refusal(text);
    expect(why).toMatch(/The address .* is (loopback|unspecified|link-local|private) and the site does not allow it/);
  });

  it.each([
    ['trailing dot', 'http://localhost./'],
    ['plain name', 'http://localhost/'],
    ['upper case', 'http://LOCALHOST/'],
  ])('%s (%s) is refused when it resolves', async (_what, text) => {
    const why = await refusal(text);
    expect(why).toMatch(/resolves to a loopback address and the site does not allow it/);
  });

  it('with the machine\'s own resolver, no spelling of localhost gets a connection to loopback', async () => {
    for (const text of ['http://localhost./', 'http://localhost/', 'http://LocalHost./']) {
      const why = await refusal(text, none, undefined as unknown as LookupFn);
      // Refused by the guard, or not resolvable at all: either way nothing connects.
      expect(why, text).toMatch(/resolves to a loopback address|ENOTFOUND|EAI_AGAIN/);
    }
  });

  it('an allowed host is reached whatever its spelling, and allowing one does not allow another', async () => {
    expect(await refusal('http://localhost./', { allowHosts: ['localhost'] })).toBeNull();
    expect(await refusal('http://[::1]/', { allowHosts: ['::1'] })).toBeNull();
    expect(await refusal('http://2130706433/', { allowHosts: ['127.0.0.1'] })).toBeNull();
    expect(await refusal('http://127.0.0.2/', { allowHosts: ['127.0.0.1'] })).toMatch(/loopback/);
  });

  it('schemes other than http and https are refused', async () => {
    for (const text of ['file:///etc/passwd', 'gopher://127.0.0.1:25/', 'ftp://example.com/']) expect(await refusal(text)).toMatch(/scheme/);
  });
});
