/**
 * The crawler inside the service: the dependencies a crawl run needs built from the service's context
 * (the shared match index, evidence sealed under case keys, site headers sealed under the master key,
 * monitored cases' keywords for search templates). The crawl jobs (jobs.ts) and `staydown crawl --wait`
 * build them per run.
 */
import type { Logger } from '../platform/log.ts';
import { decrypt, encrypt } from '../platform/crypto.ts';
import { createEvidenceSealer } from './evidence-sealer.ts';
import type { Matcher } from '../matching/index.ts';
import { monitoredKeywords } from '../cases/index.ts';
import { createAllowlistFilter, withAllowlist } from '../review/index.ts';
import { withReuploads } from '../monitoring/index.ts';
import type { Sql } from '../../db/sql.ts';
import type { SiteRow } from '../../db/queries/crawl-sites.ts';
import type { FingerprintOptions } from '../../hashing/fingerprint.ts';
import type { CrawlFeatures } from '../platform/config.ts';
import { FingerprintPool } from '../../hashing/pool/fingerprint-pool.ts';
import { BrowserEngine } from '../../crawler/browser.ts';
import type { CrawlServiceDeps } from '../../crawler/crawl-service.ts';

/** A site's headers and cookies, sealed under the master key and bound to the site's name. */
export const siteHeadersAad = (site: string) => `crawl-site:${site}:headers`;

export function sealSiteHeaders(masterKey: Buffer, site: string, headers: Record<string, string>): Buffer {
  return encrypt(masterKey, Buffer.from(JSON.stringify(headers), 'utf8'), siteHeadersAad(site));
}

/**
 * How a crawl fingerprints what it downloads: in worker threads, one per core, so that hashing does not
 * hold up fetching and parsing; and only the views a query is probed with (a crawled file is never a
 * reference), which halves the hashing work without changing any match. Videos: one ffmpeg run each
 * (the inline probe) with one decoder thread, since a crawl decodes several at once and CPU, not one
 * video's latency, is what limits it. Images also get query local features (the registered picture
 * found when it is only part of the crawled one); they are matched, never stored (crawler/media-pipeline.ts).
 */
export const CRAWL_FINGERPRINT_OPTIONS: FingerprintOptions = Object.freeze({ views: 'query', features: 'query', video: Object.freeze({ probe: 'inline', decodeThreads: 1 }) });

/**
 * The same without local features: what a crawled image costs when no registered picture has features
 * to compare them with (a query's features are ~60% of a 320x240 JPEG's hashing: 18 of 30 CPU ms here).
 */
const WITHOUT_FEATURES: FingerprintOptions = Object.freeze({ views: 'query', video: CRAWL_FINGERPRINT_OPTIONS.video });

/**
 * A first pass for a file expected to match (a removal check of a file still up): PDQ and its dihedral
 * variants and the block hash, no extra views, no features (~7 of 12-30 CPU ms). Any match it finds the
 * full pass finds too (it probes a subset of the same hashes under the same rules), so a match settles it.
 */
const PDQ_PASS: FingerprintOptions = Object.freeze({ views: 'none', video: CRAWL_FINGERPRINT_OPTIONS.video });

/** Whether a query's local features are worth computing: `auto` only while some reference has features. */
export function wantQueryFeatures(mode: CrawlFeatures, referencesWithFeatures: number): boolean {
  return mode === 'on' || (mode === 'auto' && referencesWithFeatures > 0);
}

/** The crawl's fingerprint options: the full query (with or without local features), or the PDQ first pass. */
export function crawlFingerprintOptions(req: { pass?: 'pdq' | 'full'; features: boolean }): FingerprintOptions {
  if (req.pass === 'pdq') return PDQ_PASS;
  return req.features ? CRAWL_FINGERPRINT_OPTIONS : WITHOUT_FEATURES;
}

/** A pool of its own for crawled files (the benchmark's); the service uses the process's pool with these options. */
export function crawlFingerprintPool(): FingerprintPool {
  return new FingerprintPool({ fingerprint: CRAWL_FINGERPRINT_OPTIONS });
}

/**
 * What executeRun needs. `browser` is started on first use and closed through the returned `close`. With
 * `pool` (the process's), files are hashed there and the pool stays open; without, the run has a pool of
 * its own, closed with it. `features`: STAYDOWN_CRAWL_FEATURES (default auto).
 */
export function crawlDeps(
  sql: Sql,
  masterKey: Buffer,
  matcher: Matcher,
  log?: Logger,
  opts: { leaseSeconds?: number; pool?: FingerprintPool; chromiumPath?: string; features?: CrawlFeatures } = {},
): { deps: CrawlServiceDeps; close(): Promise<void> } {
  let browser: Promise<BrowserEngine> | null = null;
  const own = opts.pool ? null : crawlFingerprintPool();
  const pool = opts.pool ?? own!;
  // Media a reviewer rejected for a material (and near copies of it) never alert for that material again.
  const allowlist = createAllowlistFilter(sql, {
    onSuppressed: (hit) => log?.info({ material: hit.materialId, method: hit.method }, 'match skipped: the media is allowlisted for this material'),
  });
  const deps: CrawlServiceDeps = {
    sql,
    matcher: withAllowlist({ match: async (fp) => matcher.match(fp) }, allowlist),
    // Decided per file: a material registered mid-run with features makes the next files carry theirs.
    fingerprint: (b) => pool.fingerprint(b, { options: crawlFingerprintOptions({ features: wantQueryFeatures(opts.features ?? 'auto', matcher.withFeatures) }) }),
    seal: createEvidenceSealer(sql, masterKey),
    // A new alert of material already confirmed elsewhere is marked a re-upload at once (services/monitoring).
    wrapAlerts: (sink) => withReuploads(sink, sql, log),
    openHeaders: (row: SiteRow) => (row.headers_encrypted ? (JSON.parse(decrypt(masterKey, row.headers_encrypted, siteHeadersAad(row.name)).toString('utf8')) as Record<string, string>) : undefined),
    // Read (and audited) at the start of each run, so a withdrawn or erased case is never searched again.
    keywords: () => monitoredKeywords(sql, masterKey, log ? { log } : {}),
    browser: () => (browser ??= BrowserEngine.launch(opts.chromiumPath ? { executablePath: opts.chromiumPath } : {})),
    ...(log ? { log } : {}),
    ...(opts.leaseSeconds ? { leaseSeconds: opts.leaseSeconds } : {}),
  };
  return {
    deps,
    async close() {
      await own?.close();
      if (browser) await (await browser.catch(() => null))?.close();
      browser = null;
    },
  };
}

