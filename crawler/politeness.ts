/**
 * Per-host politeness: at most `concurrency` requests in flight to a host and at least `minIntervalMs`
 * between two request starts, across every worker. The rule lives in a `HostSlotStore`; the database one
 * (db/crawl-host-slots.ts) makes it hold across processes and machines, the in-memory one within a
 * process. Slots are leases that expire, so a killed worker's slot frees itself.
 */

export interface HostSlotStore {
  /** Takes a slot now if the host's rules allow it; otherwise says how long to wait before trying again. */
  tryAcquire(host: string, rule: { minIntervalMs: number; concurrency: number; leaseMs: number }): Promise<{ ok: true; token: string } | { ok: false; waitMs: number }>;
  release(host: string, token: string): Promise<void>;
}

export interface HostRule {
  minIntervalMs: number;
  concurrency: number;
}

const LEASE_MS = 120_000;

/** Waits for a slot on `host` and returns its release function. Gives up when `signal` aborts. */
export async function acquireHost(store: HostSlotStore, host: string, rule: HostRule, signal?: AbortSignal): Promise<() => Promise<void>> {
  for (;;) {
    signal?.throwIfAborted();
    const r = await store.tryAcquire(host, { ...rule, leaseMs: LEASE_MS });
    if (r.ok) {
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        await store.release(host, r.token);
      };
    }
    // Waiting for a computed instant, not guessing: the store said when the host is next free.
    await new Promise((resolve) => setTimeout(resolve, Math.max(5, Math.min(r.waitMs, 2_000))));
  }
}

/** The in-process store: exact within one process, not shared with other workers. */
export class MemoryHostSlots implements HostSlotStore {
  private readonly hosts = new Map<string, { nextAt: number; leases: Map<string, number> }>();
  private seq = 0;

  async tryAcquire(host: string, rule: { minIntervalMs: number; concurrency: number; leaseMs: number }) {
    const now = Date.now();
    let h = this.hosts.get(host);
    if (!h) {
      h = { nextAt: 0, leases: new Map() };
      this.hosts.set(host, h);
    }
    for (const [t, exp] of h.leases) if (exp <= now) h.leases.delete(t);
    if (h.leases.size >= rule.concurrency) return { ok: false as const, waitMs: 20 };
    if (now < h.nextAt) return { ok: false as const, waitMs: h.nextAt - now };
    const token = String(++this.seq);
    h.leases.set(token, now + rule.leaseMs);
    h.nextAt = now + rule.minIntervalMs;
    return { ok: true as const, token };
  }

  async release(host: string, token: string) {
    this.hosts.get(host)?.leases.delete(token);
  }
}
