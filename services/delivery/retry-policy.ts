/**
 * What a delivery attempt came to, and what to do next: pure, so the whole retry table is unit-tested
 * without a network. Both channels (SMTP, webhook) describe their attempt as a `ChannelOutcome`; the
 * outbox asks `retryDecision` whether to mark the notice sent, try again later, or give up.
 *
 * Worth trying again: network failures (refused, reset, timed out), HTTP 408, 429 and 5xx, SMTP 4xx
 * replies (RFC 5321's transient class). Not worth it: any other HTTP 4xx, SMTP 5xx, an address the SSRF
 * guard refuses - the same request would meet the same answer, so the notice fails at once, with the
 * status in its error for staff to act on.
 */

export type ChannelOutcome =
  /** The receiver took the notice: an SMTP 250 for the message, an HTTP 2xx. `detail` is its reply. */
  | { kind: 'delivered'; detail: string }
  /** No answer: the connection failed, was reset or timed out. */
  | { kind: 'network'; message: string }
  /** The webhook answered with a status other than 2xx. */
  | { kind: 'http-status'; status: number; message: string; retryAfterSeconds?: number }
  /** The SMTP server refused the message or its envelope with this reply code. */
  | { kind: 'smtp-reply'; code: number; message: string }
  /** Refused before anything was sent (an address the SSRF guard blocks, a malformed target). */
  | { kind: 'refused'; message: string };

export interface RetryPolicy {
  /** Attempts in all, the first one included. */
  maxAttempts: number;
  /** The time from the first attempt to the last, which the exponential delays add up to. */
  spanMs: number;
}

export type RetryDecision =
  | { action: 'done' }
  | { action: 'retry'; delayMs: number; reason: string }
  | { action: 'fail'; reason: string };

export function isRetryable(outcome: ChannelOutcome): boolean {
  switch (outcome.kind) {
    case 'delivered':
    case 'refused':
      return false;
    case 'network':
      return true;
    case 'http-status':
      return outcome.status === 408 || outcome.status === 429 || outcome.status >= 500;
    case 'smtp-reply':
      return outcome.code >= 400 && outcome.code < 500;
  }
}

/**
 * The wait after failed attempt `attempt` (1-based): doubling each time, the first delay chosen so that
 * the delays before the last attempt add up to the policy's span (first x (2^(n-1) - 1) = span). With
 * the default 12 attempts over 48 hours: 84 s, 169 s, 6 min, ... the eleventh wait 24 hours.
 */
export function backoffDelayMs(attempt: number, policy: RetryPolicy): number {
  const gaps = 2 ** (policy.maxAttempts - 1) - 1;
  if (gaps <= 0) return 0;
  const first = policy.spanMs / gaps;
  return Math.round(first * 2 ** (attempt - 1));
}

export function outcomeSentence(outcome: ChannelOutcome): string {
  return outcome.kind === 'delivered' ? `delivered: ${outcome.detail}` : outcome.message;
}

/** What to do after attempt number `attempt` (1-based) came to `outcome`. */
export function retryDecision(outcome: ChannelOutcome, attempt: number, policy: RetryPolicy): RetryDecision {
  if (outcome.kind === 'delivered') return { action: 'done' };
  const why = outcomeSentence(outcome);
  if (!isRetryable(outcome)) return { action: 'fail', reason: `${why} This is not retried: correct the platform's contact details and approve the notice again.` };
  if (attempt >= policy.maxAttempts) {
    return { action: 'fail', reason: `${why} Delivery was given up after ${attempt} attempts over ${formatSpan(policy.spanMs)}.` };
  }
  let delayMs = backoffDelayMs(attempt, policy);
  // A receiver that says when to come back (429/503 Retry-After) is believed, within the policy's span.
  if (outcome.kind === 'http-status' && outcome.retryAfterSeconds !== undefined) {
    delayMs = Math.min(Math.max(delayMs, outcome.retryAfterSeconds * 1000), policy.spanMs);
  }
  return { action: 'retry', delayMs, reason: `${why} Attempt ${attempt + 1} of ${policy.maxAttempts} follows in ${formatSpan(delayMs)}.` };
}

export function formatSpan(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 2 * 3600) return `${Math.round(s / 60)} min`;
  if (s < 2 * 86400) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} days`;
}

/** Reads an HTTP Retry-After header (seconds, or an HTTP date) as seconds from `now`. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.max(0, Math.round((t - now) / 1000));
}
