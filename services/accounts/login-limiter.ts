/**
 * Sign-in slow-down (issue 14, finding 2). Failed sign-ins are counted per (name, address) and per
 * address, never per name alone: a name typed wrong from one address must not keep its owner out from
 * another, which is what a per-name lock did (anyone could lock out any staff member). Past a free
 * allowance each further attempt from that key must wait twice as long as the one before (1 s, 2 s,
 * 4 s ... up to 15 minutes), answered 429 with Retry-After; nothing is ever locked for good.
 *
 * A successful sign-in clears only its own (name, address) count. The address count is never cleared by
 * a success - it only ages out - so "four wrong guesses, then one sign-in to my own account", repeated,
 * slows down like any other run of failures.
 *
 * Names are one name whatever their case (the users table's unique index is on lower(name)), so the
 * key uses the lower-cased name: "Admin" and "admin" are the same account and the same count.
 *
 * In memory, so per process: with several API processes the allowance is that many times larger.
 */
import { TooManyRequestsError } from '../platform/errors.ts';

export interface SlowdownPolicy {
  /** Failures within the window that cost nothing. */
  free: number;
  /** The wait after the first failure past the allowance; each further failure doubles it. */
  baseMs: number;
  maxMs: number;
  /** A failure older than this no longer counts. */
  windowMs: number;
}

/** 5 free guesses per name and address; 20 per address over all names (a shared office NAT still works). */
export const PAIR_POLICY: SlowdownPolicy = { free: 5, baseMs: 1000, maxMs: 15 * 60_000, windowMs: 15 * 60_000 };
export const ADDRESS_POLICY: SlowdownPolicy = { free: 20, baseMs: 1000, maxMs: 15 * 60_000, windowMs: 60 * 60_000 };

/** How many keys the limiter holds before it drops the expired ones. */
const PRUNE_AT = 10_000;

export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly now: () => number = () => Date.now(),
    private readonly pair: SlowdownPolicy = PAIR_POLICY,
    private readonly address: SlowdownPolicy = ADDRESS_POLICY,
  ) {}

  private static keys(name: string, source: string): { pair: string; address: string } {
    return { pair: `pair:${name.trim().toLowerCase()}\u0000${source}`, address: `ip:${source}` };
  }

  private recent(key: string, policy: SlowdownPolicy): number[] {
    const cutoff = this.now() - policy.windowMs;
    const list = (this.failures.get(key) ?? []).filter((t) => t > cutoff);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }

  /** Milliseconds until the next attempt on this key is allowed (0: now). */
  private waitMs(key: string, policy: SlowdownPolicy): number {
    const list = this.recent(key, policy);
    if (list.length < policy.free) return 0;
    const delay = Math.min(policy.baseMs * 2 ** (list.length - policy.free), policy.maxMs);
    return Math.max(0, list[list.length - 1] + delay - this.now());
  }

  /** Throws 429 (with Retry-After) when this name from this address must wait; call before checking the password. */
  check(name: string, source: string): void {
    const k = LoginLimiter.keys(name, source);
    const wait = Math.max(this.waitMs(k.pair, this.pair), this.waitMs(k.address, this.address));
    if (wait > 0) {
      const retry = Math.ceil(wait / 1000);
      throw new TooManyRequestsError(`Too many failed sign-ins from this address; wait ${retry} second${retry === 1 ? '' : 's'} before trying again.`, retry);
    }
  }

  fail(name: string, source: string): void {
    if (this.failures.size > PRUNE_AT) this.prune();
    const k = LoginLimiter.keys(name, source);
    this.failures.set(k.pair, [...this.recent(k.pair, this.pair), this.now()]);
    this.failures.set(k.address, [...this.recent(k.address, this.address), this.now()]);
  }

  /** Clears this name's count from this address; the address's own count stays until it ages out. */
  succeed(name: string, source: string): void {
    this.failures.delete(LoginLimiter.keys(name, source).pair);
  }

  private prune(): void {
    for (const key of [...this.failures.keys()]) this.recent(key, key.startsWith('ip:') ? this.address : this.pair);
  }
}
