/**
 * One check of one tracked URL: take it (a hold, so a second job for the same URL finds it taken), verify
 * with no transaction open, then apply the result as an event. At-least-once safe: a job run twice finds
 * the check no longer due (or held) and does nothing; a worker killed mid-check loses its hold after
 * CHECK_HOLD_MS and the check is taken again - a check sends nothing, so repeating one is harmless.
 */
import { decodeFeatures } from '../../hashing/features/index.ts';
import { holdCheck, selectCheckSite, selectKnownSha256, selectTrackedUrl } from '../../db/queries/monitoring.ts';
import { selectIndexHashes, selectIndexMaterials } from '../../db/queries/material.ts';
import { dbHostSlots } from '../../crawler/db-stores.ts';
import type { HostSlotStore } from '../../crawler/politeness.ts';
import type { FetchLimits } from '../../crawler/fetcher.ts';
import { ReferenceMatcher } from '../../hashing/match/matcher.ts';
import type { Fingerprint } from '../../hashing/types.ts';
import type { Sql } from '../../db/sql.ts';
import { decrypt } from '../platform/crypto.ts';
import type { ServiceContext } from '../platform/context.ts';
import { crawlFingerprintOptions, siteHeadersAad } from '../crawling/index.ts';
import { applyEvent } from './tracking.ts';
import { RemovalVerifier, type VerifySite } from './verify.ts';
import type { RemovalVerdict } from './removal.ts';
import type { UrlState } from './url-state.ts';

/** How long a worker holds a check it took (a verification is bounded by the fetcher's timeouts). */
export const CHECK_HOLD_MS = 5 * 60_000;

/** A material's matcher, loaded from its stored fingerprint and index hashes; null if not matchable. */
export async function materialMatcher(sql: Sql, materialId: string): Promise<ReferenceMatcher | null> {
  const [m] = await selectIndexMaterials(sql, { materialId });
  if (!m) return null;
  const hashes = await selectIndexHashes(sql, { materialId });
  const matcher = new ReferenceMatcher();
  matcher.add(materialId, m.fingerprint as Fingerprint, {
    features: m.features ? decodeFeatures(new Uint8Array(m.features)) : null,
    hashes: hashes.map((h) => ({ hash: h.hash, view: h.view, quality: h.quality ?? 100, ...(h.t != null ? { t: h.t } : {}) })),
  });
  return matcher;
}

export interface MonitorVerifierOptions {
  hostSlots?: HostSlotStore;
  fetchLimits?: Partial<FetchLimits>;
  signal?: AbortSignal;
  /** How long a loaded material matcher is reused (a withdrawn case stops matching within this). */
  referenceTtlMs?: number;
}

/** The verifier the service uses: the process's pool with the crawl's options (STAYDOWN_CRAWL_FEATURES), host politeness in the database. */
export function createMonitorVerifier(ctx: ServiceContext, opts: MonitorVerifierOptions = {}): RemovalVerifier {
  const refs = new Map<string, { at: number; m: Promise<ReferenceMatcher | null> }>();
  const ttl = opts.referenceTtlMs ?? 60_000;
  return new RemovalVerifier({
    fingerprint: (bytes, req) => ctx.fingerprints.fingerprint(bytes, { options: crawlFingerprintOptions(req) }),
    features: ctx.config.crawlFeatures,
    reference: (materialId) => {
      const hit = refs.get(materialId);
      if (hit && Date.now() - hit.at < ttl) return hit.m;
      const m = materialMatcher(ctx.sql, materialId);
      refs.set(materialId, { at: Date.now(), m });
      if (refs.size > 10_000) refs.delete(refs.keys().next().value!);
      return m;
    },
    hostSlots: opts.hostSlots ?? dbHostSlots(ctx.sql),
    ...(opts.fetchLimits ? { fetchLimits: opts.fetchLimits } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
}

export interface CheckOutcome {
  trackedId: string;
  /** 'skipped': not due, held by another worker, or gone. */
  result: RemovalVerdict | 'skipped';
  reason: string;
  from?: UrlState;
  to?: UrlState;
  renoticeId?: string | null;
}

const siteCache = new WeakMap<Sql, Map<string, { at: number; site: Promise<VerifySite | null> }>>();

async function verifySite(ctx: ServiceContext, siteId: string): Promise<VerifySite | null> {
  let cache = siteCache.get(ctx.sql);
  if (!cache) siteCache.set(ctx.sql, (cache = new Map()));
  const hit = cache.get(siteId);
  if (hit && Date.now() - hit.at < 30_000) return hit.site;
  const site = (async () => {
    const row = await selectCheckSite(ctx.sql, siteId);
    if (!row) return null;
    const headers = row.headers_encrypted ? (JSON.parse(decrypt(ctx.masterKey, row.headers_encrypted, siteHeadersAad(row.name)).toString('utf8')) as Record<string, string>) : undefined;
    return {
      allowHosts: row.allow_hosts, minIntervalMs: row.min_interval_ms, concurrency: row.concurrency,
      siteHosts: [...new Set(row.start_urls.map((u) => new URL(u).hostname))],
      ...(headers ? { headers } : {}),
    };
  })();
  cache.set(siteId, { at: Date.now(), site });
  return site;
}

export async function checkTrackedUrl(ctx: ServiceContext, verifier: RemovalVerifier, trackedId: string): Promise<CheckOutcome> {
  const held = await holdCheck(ctx.sql, trackedId, CHECK_HOLD_MS);
  if (!held) return { trackedId, result: 'skipped', reason: 'The check is not due or another worker holds it.' };
  const row = await selectTrackedUrl(ctx.sql, trackedId);
  if (!row) return { trackedId, result: 'skipped', reason: 'The tracked URL no longer exists.' };
  const site = await verifySite(ctx, row.site_id);
  const verdict = site
    ? await verifier.check({ pageUrl: row.page_url, mediaUrl: row.media_url, materialId: row.material_id, site, knownSha256: await selectKnownSha256(ctx.sql, row.alert_id) })
    : { result: 'unknown' as const, reason: 'Not verified: the site of this URL no longer exists.' };
  return ctx.sql.transaction(async (tx) => {
    const current = await selectTrackedUrl(tx, trackedId, { forUpdate: true });
    // Another worker took the check over after our hold lapsed: its result counts, not ours.
    if (!current || current.check_held_until?.getTime() !== held.getTime()) return { trackedId, result: 'skipped' as const, reason: 'The hold on this check lapsed and another worker took it.' };
    const applied = await applyEvent(tx, ctx, current, { type: 'check', result: verdict.result }, 'check', { reason: verdict.reason });
    return { trackedId, result: verdict.result, reason: verdict.reason, from: applied.transition.from, to: applied.transition.to, renoticeId: applied.renoticeId };
  });
}
