/**
 * In-memory implementations of the crawl's store interfaces, for a one-off crawl without a database, the
 * benchmark and tests of the crawl loop. The database implementations live in db/ and behave the same.
 */
import type { Fingerprint } from '../hashing/types.ts';
import type { AlertInput, AlertSink, Evidence, FrontierEntry, FrontierStore, KnownMedia, MediaRecord, MediaStore } from './types.ts';

export class MemoryFrontier implements FrontierStore {
  private readonly entries = new Map<string, FrontierEntry & { state: 'pending' | 'claimed' | 'done' | 'failed' | 'skipped' }>();

  async add(entries: FrontierEntry[]): Promise<number> {
    let added = 0;
    for (const e of entries) {
      if (this.entries.has(e.url)) continue;
      this.entries.set(e.url, { ...e, state: 'pending' });
      added++;
    }
    return added;
  }

  async claim(n: number): Promise<FrontierEntry[]> {
    const pending = [...this.entries.values()].filter((e) => e.state === 'pending').sort((a, b) => a.depth - b.depth).slice(0, n);
    for (const e of pending) e.state = 'claimed';
    return pending.map(({ url, depth, thumbnail }) => ({ url, depth, ...(thumbnail ? { thumbnail } : {}) }));
  }

  async finish(url: string, outcome: 'done' | 'failed' | 'skipped'): Promise<void> {
    const e = this.entries.get(url);
    if (e) e.state = outcome;
  }

  async started(): Promise<number> {
    let n = 0;
    for (const e of this.entries.values()) if (e.state === 'claimed' || e.state === 'done' || e.state === 'failed') n++;
    return n;
  }

  /** What a worker restart does: entries claimed by the dead worker go back to pending. */
  requeueClaimed(): void {
    for (const e of this.entries.values()) if (e.state === 'claimed') e.state = 'pending';
  }

  states(): Map<string, string> {
    return new Map([...this.entries.values()].map((e) => [e.url, e.state]));
  }
}

export class MemoryMediaStore implements MediaStore {
  readonly records = new Map<string, MediaRecord & { pages: Set<string>; firstSeen: Date; lastSeen: Date }>();
  private readonly bySha = new Map<string, Fingerprint>();

  async seenUrl(siteId: string, mediaUrl: string, pageUrl: string): Promise<KnownMedia | null> {
    const r = this.records.get(`${siteId} ${mediaUrl}`);
    if (!r) return null;
    r.pages.add(pageUrl);
    r.lastSeen = new Date();
    // A failed earlier attempt is tried again, as the database store does.
    return r.fingerprint ? { sha256: r.sha256, fingerprint: r.fingerprint } : null;
  }

  async bySha256(sha256: string): Promise<Fingerprint | null> {
    return this.bySha.get(sha256) ?? null;
  }

  async record(rec: MediaRecord): Promise<void> {
    const now = new Date();
    this.records.set(`${rec.siteId} ${rec.mediaUrl}`, { ...rec, pages: new Set([rec.pageUrl]), firstSeen: now, lastSeen: now });
    if (rec.sha256 && rec.fingerprint) this.bySha.set(rec.sha256, rec.fingerprint);
  }
}

export class MemoryAlerts implements AlertSink {
  readonly alerts: Array<AlertInput & { evidence: Evidence }> = [];
  private readonly keys = new Set<string>();

  async raise(alert: AlertInput, captureEvidence: () => Promise<Evidence>): Promise<boolean> {
    // Reserved before the (slow) evidence capture so two workers cannot both raise it.
    const key = `${alert.hit.materialId} ${alert.mediaUrl}`;
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    const evidence = await captureEvidence();
    this.alerts.push({ ...alert, evidence });
    return true;
  }
}
