/**
 * The crawl's store interfaces (types.ts) on the database, through the named queries in db/queries/.
 * These make a crawl shareable and resumable: the frontier, media seen, alerts and host politeness live in
 * PostgreSQL (or the embedded PGlite), not in a worker's memory.
 */
import { acquireHostLease, releaseHostLease } from '../db/queries/crawl-hosts.ts';
import { alertExists, insertAlertWithEvidence } from '../db/queries/crawl-alerts.ts';
import { fingerprintBySha256, touchMedia, upsertMedia } from '../db/queries/crawl-media.ts';
import { addFrontier, claimFrontier, countFrontierStarted, finishFrontier } from '../db/queries/crawl-runs.ts';
import type { Sql } from '../db/sql.ts';
import type { HostSlotStore } from './politeness.ts';
import type { AlertSink, FrontierStore, MediaStore } from './types.ts';

export function dbFrontier(sql: Sql, runId: string): FrontierStore {
  return {
    add: (entries) => addFrontier(sql, runId, entries),
    claim: async (n) => (await claimFrontier(sql, runId, n)).map((r) => ({ url: r.url, depth: r.depth, ...(r.thumbnail ? { thumbnail: true } : {}) })),
    finish: (url, outcome) => finishFrontier(sql, runId, url, outcome),
    started: () => countFrontierStarted(sql, runId),
  };
}

export function dbMediaStore(sql: Sql): MediaStore {
  return {
    seenUrl: (siteId, mediaUrl, pageUrl) => touchMedia(sql, siteId, mediaUrl, pageUrl),
    bySha256: (sha256) => fingerprintBySha256(sql, sha256),
    record: (rec) => upsertMedia(sql, rec),
  };
}

export function dbHostSlots(sql: Sql): HostSlotStore {
  return {
    async tryAcquire(host, rule) {
      const r = await acquireHostLease(sql, host, rule.minIntervalMs, rule.concurrency, rule.leaseMs);
      return r.token ? { ok: true, token: r.token } : { ok: false, waitMs: r.waitMs };
    },
    release: (host, token) => releaseHostLease(sql, host, token),
  };
}

/**
 * Seals evidence for storage: the screenshot and HTML may show the victim's material, so they are
 * encrypted under the key of the case the material belongs to (the service provides this function).
 */
export type EvidenceSealer = (materialId: string, part: 'screenshot' | 'html' | 'thumbnail', bytes: Buffer) => Promise<Buffer>;

export function dbAlerts(sql: Sql, runId: string | null, seal: EvidenceSealer): AlertSink {
  return {
    async raise(alert, captureEvidence) {
      // Checked first so evidence is captured only for a new alert; the unique key settles races.
      if (await alertExists(sql, alert.hit.materialId, alert.mediaUrl)) return false;
      const ev = await captureEvidence();
      // A sealing failure must not lose the alert: it is stored with the hashes and the reason instead.
      let sealError: string | null = null;
      const trySeal = async (part: 'screenshot' | 'html' | 'thumbnail', bytes: Buffer | null) => {
        if (!bytes) return null;
        try {
          return await seal(alert.hit.materialId, part, bytes);
        } catch (err) {
          sealError = `The evidence ${part} was not stored: ${(err as Error).message}`;
          return null;
        }
      };
      const screenshotEncrypted = await trySeal('screenshot', ev.screenshot);
      const htmlEncrypted = await trySeal('html', ev.html !== null ? Buffer.from(ev.html, 'utf8') : null);
      const thumbnailEncrypted = await trySeal('thumbnail', ev.thumbnail ?? null);
      const id = await insertAlertWithEvidence(
        sql,
        { materialId: alert.hit.materialId, siteId: alert.siteId, runId, pageUrl: alert.pageUrl, mediaUrl: alert.mediaUrl, mediaSha256: alert.sha256, method: alert.hit.method, distance: alert.hit.distance, detail: alert.hit.detail ?? null },
        {
          capturedAt: ev.capturedAt,
          screenshotEncrypted,
          screenshotError: ev.screenshotError ?? sealError,
          htmlEncrypted,
          thumbnailEncrypted,
          hashes: ev.hashes,
        },
      );
      return id !== null;
    },
  };
}
