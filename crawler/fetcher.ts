/**
 * The crawler's only HTTP client (the one module that imports undici). Every download of a stranger's
 * URL goes through it, with the defences a hostile site calls for: the SSRF guard on every hop (scheme,
 * literal addresses, and the resolved address at connect time), redirects followed by hand with a limit
 * and loop detection, a byte cap enforced while streaming (also after decompression, against zip bombs),
 * connect / idle / total timeouts (a slow-drip server hits the total), and the body's real type sniffed
 * from its magic bytes. Expected failures are results, not exceptions.
 */
import { Agent, request } from 'undici';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { Readable } from 'node:stream';
import { checkUrl, guardedLookup, type SsrfPolicy } from './ssrf.ts';
import { sniff, type Sniffed } from '../hashing/sniff.ts';

export interface FetchLimits {
  maxBytes: number;
  connectTimeoutMs: number;
  /** Longest silence while waiting for headers or between body chunks. */
  idleTimeoutMs: number;
  /** Whole request, all redirect hops included: the bound a slow-drip server runs into. */
  totalTimeoutMs: number;
  maxRedirects: number;
}

export const DEFAULT_LIMITS: FetchLimits = {
  maxBytes: 20 * 1024 * 1024,
  connectTimeoutMs: 5_000,
  idleTimeoutMs: 10_000,
  totalTimeoutMs: 30_000,
  maxRedirects: 5,
};

export interface FetchRequest {
  url: string;
  /** Extra headers (a site's cookies or auth); sent only to `credentialHosts`, dropped when a redirect leaves them. */
  headers?: Record<string, string>;
  credentialHosts?: readonly string[];
  limits?: Partial<FetchLimits>;
}

export interface FetchOk {
  ok: true;
  /** The final URL after redirects. */
  url: string;
  status: number;
  contentType: string | null;
  sniffed: Sniffed;
  body: Buffer;
  redirects: string[];
}

export type FetchFailureReason = 'blocked' | 'too-large' | 'timeout' | 'too-many-redirects' | 'redirect-loop' | 'http-status' | 'network';

export interface FetchFailure {
  ok: false;
  url: string;
  reason: FetchFailureReason;
  status?: number;
  /** A full sentence naming the URL's problem (never the page's content). */
  message: string;
}

export type FetchOutcome = FetchOk | FetchFailure;

const STALE_SOCKET = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

export const USER_AGENT = 'staydown-crawler/0.1 (+https://github.com/staydown; removal of non-consensual intimate images)';

function errorCode(err: unknown): string | undefined {
  let e = err as { code?: string; name?: string; cause?: unknown } | undefined;
  for (let i = 0; e && i < 5; i++) {
    if (e.code === 'SSRF_BLOCKED') return 'SSRF_BLOCKED';
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'TimeoutError';
    if (typeof e.code === 'string') return e.code;
    e = e.cause as typeof e;
  }
  return undefined;
}

function messageOf(err: unknown): string {
  let e = err as { code?: string; message?: string; cause?: unknown } | undefined;
  for (let i = 0; e && i < 5; i++) {
    if (e.code === 'SSRF_BLOCKED') return e.message ?? '';
    e = e.cause as typeof e;
  }
  return (err as Error)?.message ?? String(err);
}

export class Fetcher {
  private readonly agent: Agent;

  constructor(
    private readonly policy: SsrfPolicy,
    private readonly defaults: FetchLimits = DEFAULT_LIMITS,
  ) {
    this.agent = new Agent({
      connect: { timeout: defaults.connectTimeoutMs, lookup: guardedLookup(policy) as never },
      connections: 16,
      keepAliveTimeout: 4_000,
    });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  async fetch(req: FetchRequest): Promise<FetchOutcome> {
    const limits = { ...this.defaults, ...req.limits };
    const signal = AbortSignal.timeout(limits.totalTimeoutMs);
    const seen = new Set<string>();
    const redirects: string[] = [];
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return { ok: false, url: req.url, reason: 'blocked', message: `'${req.url}' is not a valid URL.` };
    }
    const credentialHosts = new Set((req.credentialHosts ?? [url.hostname]).map((h) => h.toLowerCase()));
    for (;;) {
      const href = url.href;
      const refused = checkUrl(url, this.policy);
      if (refused) return { ok: false, url: href, reason: 'blocked', message: refused };
      seen.add(href);
      const headers: Record<string, string> = {
        'user-agent': USER_AGENT,
        accept: '*/*',
        'accept-encoding': 'gzip, deflate, br',
        ...(credentialHosts.has(url.hostname.toLowerCase()) ? req.headers : {}),
      };
      let res: Awaited<ReturnType<typeof request>>;
      const send = () => request(url, { dispatcher: this.agent, method: 'GET', headers, signal, headersTimeout: limits.idleTimeoutMs, bodyTimeout: limits.idleTimeoutMs });
      try {
        res = await send();
      } catch (err) {
        // A kept-alive connection the server closed just as it was reused fails at once: a GET is safe to
        // send again, once, on a fresh connection.
        if (signal.aborted || !STALE_SOCKET.has(errorCode(err) ?? '')) return this.failure(href, err, limits, signal);
        try {
          res = await send();
        } catch (err2) {
          return this.failure(href, err2, limits, signal);
        }
      }
      const status = res.statusCode;
      if (status >= 300 && status < 400 && res.headers.location) {
        await res.body.dump().catch(() => undefined);
        const loc = String(res.headers.location);
        let next: URL;
        try {
          next = new URL(loc, url);
        } catch {
          return { ok: false, url: href, reason: 'network', status, message: `The redirect from ${href} points at an invalid URL.` };
        }
        next.hash = '';
        if (seen.has(next.href)) return { ok: false, url: href, reason: 'redirect-loop', status, message: `The redirects starting at ${req.url} loop back to ${next.href}.` };
        if (redirects.length >= limits.maxRedirects) {
          return { ok: false, url: href, reason: 'too-many-redirects', status, message: `${req.url} redirects more than ${limits.maxRedirects} times; the crawler stops there.` };
        }
        redirects.push(next.href);
        url = next;
        continue;
      }
      if (status < 200 || status >= 300) {
        await res.body.dump().catch(() => undefined);
        return { ok: false, url: href, reason: 'http-status', status, message: `${href} answered with HTTP status ${status}.` };
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > limits.maxBytes) {
        // An unread body that is destroyed emits an error; unheard, it would end the process.
        res.body.on('error', () => undefined);
        res.body.destroy();
        return this.tooLarge(href, limits);
      }
      const contentType = res.headers['content-type'] ? String(res.headers['content-type']) : null;
      const encoding = String(res.headers['content-encoding'] ?? '').toLowerCase().trim();
      let stream: Readable = res.body;
      if (encoding === 'gzip' || encoding === 'x-gzip') stream = res.body.pipe(createGunzip());
      else if (encoding === 'deflate') stream = res.body.pipe(createInflate());
      else if (encoding === 'br') stream = res.body.pipe(createBrotliDecompress());
      const chunks: Buffer[] = [];
      let total = 0;
      try {
        for await (const chunk of stream) {
          total += (chunk as Buffer).length;
          if (total > limits.maxBytes) {
            res.body.on('error', () => undefined);
            res.body.destroy();
            stream.destroy();
            return this.tooLarge(href, limits);
          }
          chunks.push(chunk as Buffer);
        }
      } catch (err) {
        res.body.destroy();
        return this.failure(href, err, limits, signal);
      }
      const body = Buffer.concat(chunks, total);
      return { ok: true, url: href, status, contentType, sniffed: sniff(body), body, redirects };
    }
  }

  private tooLarge(url: string, limits: FetchLimits): FetchFailure {
    return { ok: false, url, reason: 'too-large', message: `${url} is larger than the ${Math.round(limits.maxBytes / 1024)} KiB limit; it was not downloaded.` };
  }

  private failure(url: string, err: unknown, limits: FetchLimits, signal: AbortSignal): FetchFailure {
    const code = signal.aborted ? 'TimeoutError' : errorCode(err);
    if (code === 'SSRF_BLOCKED') return { ok: false, url, reason: 'blocked', message: messageOf(err) };
    if (code === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ABORT_ERR' || code === 'UND_ERR_ABORTED') {
      return { ok: false, url, reason: 'timeout', message: `${url} did not answer in time (idle limit ${limits.idleTimeoutMs} ms, total ${limits.totalTimeoutMs} ms).` };
    }
    return { ok: false, url, reason: 'network', message: `${url} could not be fetched: ${messageOf(err)}.` };
  }
}
