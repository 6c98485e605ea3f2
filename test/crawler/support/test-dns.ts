/**
 * A resolver for the egress proxy in tests: it answers the names in its table, gives an IP literal back
 * as itself, and answers ENOTFOUND for any other name, as a machine without DNS would. Chromium asks for
 * names of its own (www.google.com, when its switches let it) that the tests never meant to serve; the
 * names nobody answered go into `unknown`.
 */
import { isIP } from 'node:net';
import type { ResolveHost } from '../../../crawler/egress-proxy.ts';

export function testResolver(table: Record<string, readonly string[]>, unknown: string[] = []): ResolveHost {
  return async (host) => {
    const known = table[host] ?? (isIP(host) ? [host] : undefined);
    if (!known) {
      unknown.push(host);
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host} (no answer in the test's table)`), { code: 'ENOTFOUND' });
    }
    return known.map((address) => ({ address }));
  };
}
