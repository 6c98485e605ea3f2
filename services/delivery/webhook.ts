/**
 * Webhook delivery: one `POST` of notice.json to the platform's URL, signed so the receiver knows it came
 * from us and was not altered or replayed:
 *
 *   Staydown-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
 *   Idempotency-Key: <notice reference>          (the same on every attempt: a receiver drops repeats)
 *
 * `verifySignature` is the receiver's check (README "Webhooks"). The URL is a stranger's address as far
 * as this machine is concerned, so the request goes through the crawler's SSRF guard (crawler/ssrf.ts):
 * http(s) only, and no loopback, private, link-local or otherwise non-public address - judged on the
 * resolved address at connect time - unless the platform record allows the host. Redirects are not
 * followed: a receiver that moved gets its new URL entered. One call is one attempt; the outbox spaces
 * attempts out (retry-policy.ts).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { checkUrl, guardedLookup, type SsrfPolicy } from '../../crawler/ssrf.ts';
import { parseRetryAfter, type ChannelOutcome } from './retry-policy.ts';

export const SIGNATURE_HEADER = 'Staydown-Signature';

export interface WebhookRequest {
  url: string;
  reference: string;
  /** The exact bytes signed and sent. */
  body: string;
  secret: Buffer | string;
  /** Hosts (as written in the URL) allowed although their address is not public - a receiver on the platform's own network. */
  allowHosts?: readonly string[];
  timeoutMs?: number;
  /** Seconds since the epoch for the signature (tests); default now. */
  now?: number;
}

export function signatureFor(secret: Buffer | string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

export function signatureHeader(secret: Buffer | string, body: string, timestamp = Math.floor(Date.now() / 1000)): string {
  return `t=${timestamp},v1=${signatureFor(secret, timestamp, body)}`;
}

export type SignatureCheck = { ok: true; timestamp: number } | { ok: false; reason: string };

/**
 * For receivers: whether `header` (the Staydown-Signature value) signs `body` (the raw request bytes, not
 * re-serialised JSON) with `secret`, within `toleranceSeconds` of now (a replayed old request fails).
 * Several `v1=` values are accepted (one per secret while a secret is being rotated).
 */
export function verifySignature(secret: Buffer | string, header: string | undefined, body: string | Buffer, toleranceSeconds = 300, nowSeconds = Math.floor(Date.now() / 1000)): SignatureCheck {
  if (!header) return { ok: false, reason: `The request has no ${SIGNATURE_HEADER} header.` };
  let t: number | undefined;
  const sigs: string[] = [];
  for (const part of header.split(',')) {
    const [k, v] = part.trim().split('=', 2);
    if (k === 't' && /^\d+$/.test(v ?? '')) t = Number(v);
    else if (k === 'v1' && /^[0-9a-f]{64}$/.test(v ?? '')) sigs.push(v);
  }
  if (t === undefined || sigs.length === 0) return { ok: false, reason: `The ${SIGNATURE_HEADER} header must read t=<unix time>,v1=<hex HMAC-SHA256>.` };
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return { ok: false, reason: `The signature's time is more than ${toleranceSeconds} s from now: a delayed or replayed request.` };
  const expected = createHmac('sha256', secret).update(`${t}.`).update(body).digest();
  const match = sigs.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), expected));
  return match ? { ok: true, timestamp: t } : { ok: false, reason: 'The signature does not match the body and the shared secret.' };
}

/** The SSRF guard's verdict on a webhook URL, with advice fit for a platform record; null when allowed. */
export function webhookUrlRefusal(url: string, allowHosts: readonly string[] = []): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `The webhook URL '${url}' is not a valid URL.`;
  }
  const why = checkUrl(u, { allowHosts });
  return why ? refusalSentence(u, why) : null;
}

function refusalSentence(u: URL, why: string): string {
  const reason = why.replace(/\s*\((add|allow) it with --allow-host[^)]*\)/, '').replace(/\.$/, '');
  return `The webhook ${u.origin} is refused: ${reason}. A receiver on a private network must be allowed on the platform record.`;
}

const MAX_REPLY_BYTES = 64 * 1024;

/**
 * Kept-alive connections, one pool per SSRF policy: a connection opened under one platform's allowed
 * hosts is never reused under another's (the guard runs when a connection is opened). Idle sockets do
 * not keep the process alive, and Node closes them before the receiver's Keep-Alive timeout.
 */
const agents = new Map<string, HttpAgent>();
function agentFor(protocol: string, allowHosts: readonly string[]): HttpAgent {
  const key = `${protocol}${[...allowHosts].sort().join(',')}`;
  let a = agents.get(key);
  if (!a) {
    const o = { keepAlive: true, maxSockets: 16, maxFreeSockets: 4 };
    a = protocol === 'https:' ? new HttpsAgent(o) : new HttpAgent(o);
    if (agents.size >= 256) agents.delete(agents.keys().next().value!);
    agents.set(key, a);
  }
  return a;
}

/** One signed attempt. Never throws: every result is an outcome. */
export function postWebhook(req: WebhookRequest): Promise<ChannelOutcome> {
  const refused = webhookUrlRefusal(req.url, req.allowHosts);
  if (refused) return Promise.resolve({ kind: 'refused', message: refused });
  const url = new URL(req.url);
  const policy: SsrfPolicy = { allowHosts: req.allowHosts ?? [] };
  const timeoutMs = req.timeoutMs ?? 15_000;
  const body = Buffer.from(req.body, 'utf8');
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<ChannelOutcome>((resolve) => {
    let settled = false;
    const done = (o: ChannelOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(o);
    };
    const r = send(url, {
      method: 'POST',
      // The guard at connect time: the name is resolved here and refused if any answer is not public.
      lookup: guardedLookup(policy) as never,
      agent: agentFor(url.protocol, policy.allowHosts ?? []),
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(body.length),
        'user-agent': 'staydown-notices/0.1',
        [SIGNATURE_HEADER]: signatureHeader(req.secret, req.body, req.now),
        'Idempotency-Key': req.reference,
      },
    }, (res: IncomingMessage) => {
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_REPLY_BYTES) res.destroy();
      });
      const status = res.statusCode ?? 0;
      const finish = () => done(outcomeOf(url, status, res.headers['retry-after'] as string | undefined));
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', finish);
    });
    const timer = setTimeout(() => {
      r.destroy();
      done({ kind: 'network', message: `The webhook ${url.origin} did not answer within ${Math.round(timeoutMs / 1000)} s.` });
    }, timeoutMs);
    r.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'SSRF_BLOCKED') return done({ kind: 'refused', message: refusalSentence(url, err.message) });
      done({ kind: 'network', message: `The webhook ${url.origin} could not be reached (${err.code ?? err.message}).` });
    });
    r.end(body);
  });
}

function outcomeOf(url: URL, status: number, retryAfter: string | undefined): ChannelOutcome {
  if (status >= 200 && status < 300) return { kind: 'delivered', detail: `HTTP ${status}` };
  const retryAfterSeconds = parseRetryAfter(retryAfter);
  const extra = status >= 300 && status < 400 ? ' (redirects are not followed: enter the receiver\'s final URL on the platform record)' : '';
  return {
    kind: 'http-status',
    status,
    message: `The webhook ${url.origin} answered with HTTP status ${status}${extra}.`,
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
  };
}
