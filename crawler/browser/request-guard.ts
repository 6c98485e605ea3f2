/**
 * The SSRF policy applied to what Chromium requests: each request is checked on its URL and its DNS
 * answer before it is let through; Chromium resolves the name again itself, so a response is also checked
 * on the address Chromium actually connected to.
 */
import { lookup } from 'node:dns/promises';
import type { Response } from 'playwright-core';
import { checkUrl, classifyAddress, isHostAllowed, type SsrfPolicy } from '../ssrf.ts';

/** Name resolution for the SSRF pre-check (tests substitute one to stage a DNS rebinding). */
export type ResolveHost = (host: string) => Promise<Array<{ address: string }>>;
export const systemResolve: ResolveHost = (host) => lookup(host, { all: true });

/**
 * True when a response came from an address the policy refuses: Chromium resolves names itself, after
 * the pre-check, so a name that answered with a public address to us and a private one to Chromium (DNS
 * rebinding) is caught here, from the address Chromium actually connected to. The request has been sent
 * by then; what it brought back is thrown away and the URL reported as blocked.
 */
export async function reachedRefusedAddress(resp: Response, policy: SsrfPolicy): Promise<boolean> {
  let host: string;
  try {
    host = new URL(resp.url()).hostname;
  } catch {
    return false;
  }
  if (isHostAllowed(host, policy)) return false;
  const addr = await resp.serverAddr().catch(() => null);
  return addr !== null && classifyAddress(addr.ipAddress) !== 'public';
}

export async function requestAllowed(url: string, policy: SsrfPolicy, resolve: ResolveHost): Promise<boolean> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol === 'data:' || u.protocol === 'blob:') return true;
  if (checkUrl(u, policy)) return false;
  if (isHostAllowed(u.hostname, policy)) return true;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  try {
    const answers = await resolve(host);
    return answers.length > 0 && answers.every((a) => classifyAddress(a.address) === 'public');
  } catch {
    return false;
  }
}
