/**
 * The egress proxy: every connection Chromium makes goes through it (launched with `--proxy-server` and
 * the implicit loopback bypass turned off, `<-loopback>`), and it applies the fetcher's SSRF guard at
 * connect time: the name is resolved here, every answer must be public unless the host is allowed by
 * name, and the connection is made to exactly the address that was vetted. Checking requests before
 * Chromium sends them is not enough: Chromium follows redirects and resolves names itself, so a redirect
 * (or a DNS answer that changes, or a WebSocket, which request interception never sees) would reach what
 * the guard refuses. Here there is nothing after the check for anyone to change.
 *
 * Plain HTTP arrives as absolute-URI requests and is forwarded; HTTPS, WebSockets and anything else
 * tunnelled arrive as CONNECT and are spliced after the check. A refusal is a 403 (plain HTTP: with the
 * REFUSED_HEADER marker, so the engine can tell it from a site's own 403) and is recorded with its reason.
 * The proxy never adds or reads a site's headers: it sees only the address, not what is said there.
 * One proxy serves one site's browser context (its policy); it listens on 127.0.0.1 only.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, isIP, type AddressInfo, type Socket } from 'node:net';
import { checkUrl, guardedLookup, type LookupFn, type SsrfPolicy } from './ssrf.ts';

/** Name resolution as the proxy's tests stage it (a promise of answers); default: the system's. */
export type ResolveHost = (host: string) => Promise<Array<{ address: string }>>;

export const REFUSED_HEADER = 'x-staydown-egress-refused';

export interface Refusal {
  /** host:port the connection was for. */
  authority: string;
  reason: string;
}

export interface EgressProxyOptions {
  policy: SsrfPolicy;
  resolve?: ResolveHost;
  /** Refuse every connection with this reason (the browser-wide proxy, for anything outside a site's context). */
  refuseAll?: string;
  connectTimeoutMs?: number;
  /** A tunnel or forwarded request silent this long is closed. */
  idleTimeoutMs?: number;
}

export interface EgressProxy {
  /** The proxy's address, for Chromium: http://127.0.0.1:<port>. */
  readonly server: string;
  /** Recent refusals, oldest first (the last MAX_REFUSALS). */
  readonly refusals: readonly Refusal[];
  /** Why a connection to this host:port was refused, if one was. */
  refusedAuthority(authority: string): string | undefined;
  close(): Promise<void>;
}

const MAX_REFUSALS = 500;
// Hop-by-hop headers (RFC 9110 7.6.1) and the proxy's own: never forwarded.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** host:port of a URL, with the scheme's default port written out (how CONNECT names its target). */
export function authorityOf(url: string | URL): string {
  const u = typeof url === 'string' ? new URL(url) : url;
  const port = u.port || (u.protocol === 'https:' || u.protocol === 'wss:' ? '443' : '80');
  return `${u.hostname}:${port}`;
}

function lookupFrom(resolve: ResolveHost): LookupFn {
  return (hostname, _options, cb) => {
    resolve(hostname).then(
      (list) => cb(null, list.map((a) => ({ address: a.address, family: isIP(a.address) || 4 }))),
      (err: NodeJS.ErrnoException) => cb(err, ''),
    );
  };
}

/** The request's headers minus hop-by-hop ones (and those its Connection header names), as Node sends them. */
function forwardable(raw: readonly string[]): Record<string, string | string[]> {
  const named = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === 'connection') for (const n of raw[i + 1].split(',')) named.add(n.trim().toLowerCase());
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (HOP_BY_HOP.has(name) || named.has(name)) continue;
    const prev = out[name];
    out[name] = prev === undefined ? raw[i + 1] : [...(Array.isArray(prev) ? prev : [prev]), raw[i + 1]];
  }
  return out;
}

const isBlocked = (err: unknown) => (err as { code?: string })?.code === 'SSRF_BLOCKED';
const bareHost = (hostname: string) => hostname.replace(/^\[|\]$/g, '');

export async function startEgressProxy(opts: EgressProxyOptions): Promise<EgressProxy> {
  const { policy } = opts;
  const lookup = guardedLookup(policy, opts.resolve ? lookupFrom(opts.resolve) : undefined);
  const connectTimeoutMs = opts.connectTimeoutMs ?? 5_000;
  const idleTimeoutMs = opts.idleTimeoutMs ?? 60_000;
  // Kept-alive upstream connections are keyed by host name and were made to a vetted address: reusing
  // one never reaches an address that was not checked.
  const agent = new Agent({ keepAlive: true, maxSockets: 16, timeout: idleTimeoutMs });
  const refusals: Refusal[] = [];
  const byAuthority = new Map<string, string>();
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };

  const refuse = (authority: string, reason: string) => {
    refusals.push({ authority, reason });
    if (refusals.length > MAX_REFUSALS) refusals.shift();
    byAuthority.delete(authority);
    byAuthority.set(authority, reason);
    if (byAuthority.size > MAX_REFUSALS) byAuthority.delete(byAuthority.keys().next().value as string);
  };
  /** Why a target is refused before any DNS (scheme, literal address), or null. */
  const precheck = (url: URL) => opts.refuseAll ?? checkUrl(url, policy);

  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const refuseHttp = (authority: string, reason: string) => {
      refuse(authority, reason);
      if (res.headersSent) return void res.destroy();
      res.writeHead(403, { [REFUSED_HEADER]: '1', 'content-type': 'text/plain; charset=utf-8', connection: 'close' }).end(reason);
    };
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      return void res.writeHead(400, { connection: 'close' }).end('This is a forward proxy: requests must name an absolute http URL.');
    }
    if (url.protocol !== 'http:') return refuseHttp(authorityOf(url), `The scheme '${url.protocol}' is not forwarded; https and WebSockets go through CONNECT.`);
    const authority = authorityOf(url);
    const early = precheck(url);
    if (early) return refuseHttp(authority, early);
    const upstream = httpRequest({
      host: bareHost(url.hostname),
      port: Number(url.port || 80),
      method: req.method,
      path: url.pathname + url.search,
      headers: forwardable(req.rawHeaders),
      setHost: false,
      lookup: lookup as never,
      agent,
      timeout: idleTimeoutMs,
    });
    upstream.on('timeout', () => upstream.destroy(new Error('The upstream server went silent.')));
    upstream.on('response', (up) => {
      res.writeHead(up.statusCode ?? 502, up.statusMessage, forwardable(up.rawHeaders));
      up.pipe(res);
      up.on('error', () => res.destroy());
    });
    upstream.on('error', (err) => {
      if (isBlocked(err)) return refuseHttp(authority, (err as Error).message);
      if (res.headersSent) return void res.destroy();
      res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }).end(`The proxy could not reach ${authority}: ${(err as Error).message}`);
    });
    req.pipe(upstream);
    res.on('close', () => upstream.destroy());
  };

  const tunnel = (req: IncomingMessage, client: Socket, head: Buffer) => {
    track(client);
    client.on('error', () => client.destroy());
    const authority = req.url ?? '';
    const answer = (status: string, reason?: string) => client.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(reason ?? '')}\r\n\r\n${reason ?? ''}`);
    let url: URL;
    try {
      url = new URL(`http://${authority}`);
    } catch {
      return answer('400 Bad Request');
    }
    if (!url.port || url.pathname !== '/' || url.search || url.username) return answer('400 Bad Request');
    const early = precheck(url);
    if (early) {
      refuse(authority, early);
      return answer('403 Forbidden', early);
    }
    let connected = false;
    const upstream = connect({ host: bareHost(url.hostname), port: Number(url.port), lookup: lookup as never });
    track(upstream);
    const connectTimer = setTimeout(() => upstream.destroy(new Error(`No connection to ${authority} within ${connectTimeoutMs} ms.`)), connectTimeoutMs);
    upstream.once('connect', () => {
      connected = true;
      clearTimeout(connectTimer);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.setTimeout(idleTimeoutMs, () => upstream.destroy());
      client.setTimeout(idleTimeoutMs, () => client.destroy());
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', (err) => {
      clearTimeout(connectTimer);
      if (connected) return void client.destroy();
      if (isBlocked(err)) {
        refuse(authority, err.message);
        return answer('403 Forbidden', err.message);
      }
      answer('502 Bad Gateway', err.message);
    });
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
  };

  const server = createServer(forward);
  server.on('connection', track);
  server.on('connect', tunnel);
  // Chromium sends WebSockets through CONNECT; an Upgrade on an absolute-URI request is not expected.
  server.on('upgrade', (_req, socket: Socket) => socket.end('HTTP/1.1 501 Not Implemented\r\nconnection: close\r\n\r\n'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server: `http://127.0.0.1:${port}`,
    refusals,
    refusedAuthority: (a) => byAuthority.get(a),
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
