/** The retry table, unit-tested: which outcomes are tried again, when, and when delivery gives up. */
import { describe, expect, it } from 'vitest';
import { backoffDelayMs, retryDecision, type ChannelOutcome, type RetryPolicy } from '../../../services/delivery/retry-policy.ts';

const policy: RetryPolicy = { maxAttempts: 5, spanMs: 15_000 };
const http = (status: number, retryAfterSeconds?: number): ChannelOutcome => ({ kind: 'http-status', status, message: `HTTP ${status}.`, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) });

describe('retryDecision', () => {
  it('is done on delivery', () => {
    expect(retryDecision({ kind: 'delivered', detail: '250 OK' }, 1, policy)).toEqual({ action: 'done' });
  });
  it('retries network failures, 408, 429, 5xx and SMTP 4xx with doubling delays', () => {
    for (const o of [{ kind: 'network', message: 'reset.' } as ChannelOutcome, http(408), http(429), http(500), http(503), { kind: 'smtp-reply', code: 421, message: '421.' } as ChannelOutcome]) {
      const d = retryDecision(o, 1, policy);
      expect(d.action, JSON.stringify(o)).toBe('retry');
    }
    // 15 s over 5 attempts: 1, 2, 4, 8 s (15 s in all).
    expect([1, 2, 3, 4].map((a) => backoffDelayMs(a, policy))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDecision(http(502), 3, policy)).toMatchObject({ action: 'retry', delayMs: 4000, reason: expect.stringMatching(/Attempt 4 of 5/) });
  });
  it('fails at once on other 4xx, SMTP 5xx and refused addresses, with the status in the reason', () => {
    expect(retryDecision(http(404), 1, policy)).toMatchObject({ action: 'fail', reason: expect.stringMatching(/HTTP 404.*not retried/) });
    expect(retryDecision(http(401), 1, policy).action).toBe('fail');
    expect(retryDecision(http(301), 1, policy).action).toBe('fail');
    expect(retryDecision({ kind: 'smtp-reply', code: 550, message: 'reply 550.' }, 1, policy)).toMatchObject({ action: 'fail', reason: expect.stringMatching(/550/) });
    expect(retryDecision({ kind: 'refused', message: 'loopback.' }, 1, policy).action).toBe('fail');
  });
  it('gives up after the last attempt, saying how long it tried', () => {
    expect(retryDecision(http(503), 5, policy)).toMatchObject({ action: 'fail', reason: expect.stringMatching(/given up after 5 attempts over 15 s/) });
  });
  it('believes Retry-After within the span', () => {
    expect(retryDecision(http(429, 10), 1, policy)).toMatchObject({ action: 'retry', delayMs: 10_000 });
    expect(retryDecision(http(429, 3600), 1, policy)).toMatchObject({ action: 'retry', delayMs: 15_000 });
    expect(retryDecision(http(429, 0), 2, policy)).toMatchObject({ action: 'retry', delayMs: 2000 });
  });
  it('spreads the default 12 attempts over 48 hours', () => {
    const p = { maxAttempts: 12, spanMs: 48 * 3600_000 };
    const total = Array.from({ length: 11 }, (_, i) => backoffDelayMs(i + 1, p)).reduce((a, b) => a + b, 0);
    expect(Math.abs(total - p.spanMs)).toBeLessThan(20);
    expect(backoffDelayMs(1, p)).toBe(84_416);
    expect(backoffDelayMs(1, { maxAttempts: 1, spanMs: 1000 })).toBe(0);
  });
});
