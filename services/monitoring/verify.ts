/**
 * Removal verification: staydown looks for itself, never taking the platform's word. The page and the
 * media URL are fetched through the same guarded fetcher (SSRF guard with the site's allowed hosts, size
 * caps, timeouts) and host politeness as the site's crawls; the page is re-extracted with the crawl's
 * extractor and every media on it is downloaded, fingerprinted in the process's pool with the crawl's
 * options and matched against THAT material only (its stored fingerprint). The verdict is
 * `decideRemoval` of what was observed (removal.ts).
 *
 * Most checks find the file still up, so an image is fingerprinted in two passes: PDQ alone first (its
 * dihedral turns and the block hash come with it), which settles a whole-picture copy for ~7 CPU ms of
 * a 320x240 JPEG's 12 (30 with local features); only when that finds nothing is the full query computed
 * (every view, and local features when the material has them), which finds the crops, borders,
 * screenshots and partial views. A match in the first pass is one the full pass makes too (a subset of
 * the same probes under the same rules), so the verdicts are those of the full pass.
 *
 * Bytes that are not an image or video staydown reads cannot show the material; but fingerprinting that
 * itself failed (the pool closed as the service stops or could not start, the file's worker crashed or
 * hit the watchdog) says nothing about the file, so that media is not verified - never counted as removed.
 */
import { createHash } from 'node:crypto';
import { Fetcher, DEFAULT_LIMITS, type FetchLimits, type FetchOutcome } from '../../crawler/fetcher.ts';
import { extractFromHtml, type MediaCandidate } from '../../crawler/extract.ts';
import { downloadMedia, type PoliteFetch } from '../../crawler/media-download.ts';
import { acquireHost, type HostSlotStore } from '../../crawler/politeness.ts';
import { sniffFingerprintKind } from '../../hashing/fingerprint-kind.ts';
import { FingerprintAbortedError, FingerprintError } from '../../hashing/fingerprint.ts';
import type { Fingerprint } from '../../hashing/types.ts';
import type { CrawlFeatures } from '../platform/config.ts';
import { wantQueryFeatures } from '../crawling/index.ts';
import type { ReferenceMatcher } from '../../hashing/match/matcher.ts';
import { decideRemoval, looksLikeLoginWall, observeStatus, type PageMediaObservation, type RemovalDecision, type RemovalObservations, type UrlObservation } from './removal.ts';

export interface VerifySite {
  allowHosts: readonly string[];
  headers?: Record<string, string>;
  /** The site's own hosts: its headers go only to them. */
  siteHosts?: readonly string[];
  minIntervalMs: number;
  concurrency: number;
}

export interface VerifyTarget {
  pageUrl: string;
  mediaUrl: string;
  materialId: string;
  site: VerifySite;
  /**
   * SHA-256s of bytes already confirmed to be this material (the alert's media, the material's own file):
   * the same bytes match without being fingerprinted again - what a check of content still up mostly finds.
   */
  knownSha256?: readonly string[];
}

/**
 * Which fingerprint a check asks for: 'pdq', the cheap first pass of an image (PDQ, its dihedral variants,
 * the block hash); 'full', the crawl's query, with local features when `features`.
 */
export interface FingerprintRequest {
  pass: 'pdq' | 'full';
  features: boolean;
}

export interface VerifierDeps {
  /** Fingerprints bytes as asked (the service: the process's pool with `crawlFingerprintOptions(req)`); may take the bytes over. */
  fingerprint: (bytes: Uint8Array, req: FingerprintRequest) => Promise<Fingerprint>;
  /** The material's matcher (one reference); null when the material no longer matches (case closed, erased). */
  reference: (materialId: string) => Promise<ReferenceMatcher | null>;
  hostSlots: HostSlotStore;
  fetchLimits?: Partial<FetchLimits>;
  /** STAYDOWN_CRAWL_FEATURES: local features in the full pass only while the material has some ('auto', the default), always, or never. */
  features?: CrawlFeatures;
  /** Media examined per page at most (a page is a post, not a whole board). */
  maxPageMedia?: number;
  signal?: AbortSignal;
}

export interface VerifyResult extends RemovalDecision {
  observations: RemovalObservations;
}

const PAGE_BYTES = 5 * 1024 * 1024;
const MEDIA_BYTES = 30 * 1024 * 1024;

function failureObservation(r: Extract<FetchOutcome, { ok: false }>): UrlObservation {
  if (r.reason === 'http-status') return observeStatus(r.status, r.message);
  if (r.reason === 'blocked') return { kind: 'unknown', reason: `refused by the SSRF guard: ${r.message}` };
  return { kind: 'unknown', reason: `${r.reason}: ${r.message}` };
}

/** A small bounded map: least recently used entries go first. */
class Lru<V> {
  private readonly m = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(k: string): V | undefined {
    const v = this.m.get(k);
    if (v !== undefined) {
      this.m.delete(k);
      this.m.set(k, v);
    }
    return v;
  }
  delete(k: string): void {
    this.m.delete(k);
  }
  set(k: string, v: V): void {
    this.m.delete(k);
    this.m.set(k, v);
    if (this.m.size > this.max) this.m.delete(this.m.keys().next().value!);
  }
}

/**
 * A file's fingerprint; null when its bytes cannot be fingerprinted (not an image or video staydown
 * reads: they cannot show the material); `failed` when fingerprinting itself failed (the pool closed or
 * could not start, the worker crashed or hit the watchdog) - that says nothing about the file, so the
 * check is not verified.
 */
type Hashed = Fingerprint | null | { failed: string };

const failed = (h: Hashed): h is { failed: string } => h !== null && 'failed' in h;

export class RemovalVerifier {
  private readonly fetchers = new Map<string, Fetcher>();
  /** Fingerprints by pass and SHA-256: a board's placeholder image or an unchanged file is hashed once. */
  private readonly fingerprints = new Lru<Promise<Hashed>>(4096);

  constructor(private readonly deps: VerifierDeps) {}

  async close(): Promise<void> {
    await Promise.all([...this.fetchers.values()].map((f) => f.close()));
    this.fetchers.clear();
  }

  private fetcherFor(site: VerifySite): Fetcher {
    const key = [...site.allowHosts].sort().join(',');
    let f = this.fetchers.get(key);
    if (!f) this.fetchers.set(key, (f = new Fetcher({ allowHosts: site.allowHosts }, { ...DEFAULT_LIMITS, ...this.deps.fetchLimits })));
    return f;
  }

  private fingerprintOf(bytes: Uint8Array, sha256: string, req: FingerprintRequest): Promise<Hashed> {
    const key = `${req.pass}${req.features ? '+features' : ''}:${sha256}`;
    let p = this.fingerprints.get(key);
    if (!p) {
      p = this.deps.fingerprint(bytes, req).catch((err: Error): Hashed => {
        // A file that cannot be read is not the material; one whose fingerprinting was stopped (a crash,
        // the watchdog) told us nothing, and "nothing matched" must not be read into it.
        if (err instanceof FingerprintError && !(err instanceof FingerprintAbortedError)) return null;
        // Not remembered: the next check of these bytes tries again.
        this.fingerprints.delete(key);
        return { failed: err.message };
      });
      this.fingerprints.set(key, p);
    }
    return p;
  }

  private cachedFingerprint(sha256: string, req: FingerprintRequest): Promise<Hashed> | undefined {
    return this.fingerprints.get(`${req.pass}${req.features ? '+features' : ''}:${sha256}`);
  }

  async check(t: VerifyTarget): Promise<VerifyResult> {
    const fetcher = this.fetcherFor(t.site);
    const siteHosts = t.site.siteHosts ?? [new URL(t.pageUrl).hostname];
    // Every outcome of this check by URL: what downloadMedia's sentence does not say (a 404 or an HTML page).
    const outcomes = new Map<string, FetchOutcome>();
    const polite: PoliteFetch = async (url, maxBytes) => {
      const host = new URL(url).host;
      const release = await acquireHost(this.deps.hostSlots, host, { minIntervalMs: t.site.minIntervalMs, concurrency: t.site.concurrency }, this.deps.signal);
      try {
        const r = await fetcher.fetch({ url, headers: t.site.headers, credentialHosts: siteHosts, limits: { maxBytes } });
        outcomes.set(url, r);
        return r;
      } finally {
        await release();
      }
    };
    const matcher = await this.deps.reference(t.materialId);
    if (!matcher) {
      const none: UrlObservation = { kind: 'unknown', reason: 'the material is no longer matchable (its case is not open or monitoring)' };
      return { result: 'unknown', reason: 'Not verified: the material is no longer matchable.', observations: { page: none, media: none } };
    }
    const known = new Set(t.knownSha256 ?? []);
    const full: FingerprintRequest = { pass: 'full', features: wantQueryFeatures(this.deps.features ?? 'auto', matcher.withFeatures) };
    /** Whether the bytes show the material; a sentence when that could not be found out. */
    const matches = async (body: Buffer): Promise<boolean | { unknown: string }> => {
      const sha256 = createHash('sha256').update(body).digest('hex');
      if (known.has(sha256)) return true;
      const done = this.cachedFingerprint(sha256, full);
      // Videos have one pass only (the frames are the fingerprint).
      if (!done && sniffFingerprintKind(body.subarray(0, 4096)) === 'image') {
        // A copy: the pool takes the bytes it is given over, and the full pass may still need them.
        const quick = await this.fingerprintOf(new Uint8Array(body), sha256, { pass: 'pdq', features: false });
        // A first pass that failed or found nothing decides nothing: the full pass has the last word.
        if (quick && !failed(quick) && matcher.match(quick).length > 0) return true;
      }
      const fp = await (done ?? this.fingerprintOf(body, sha256, full));
      if (failed(fp)) return { unknown: `fingerprinting failed: ${fp.failed}` };
      // Bytes that cannot be fingerprinted cannot show the material.
      return fp !== null && matcher.match(fp).length > 0;
    };
    const mediaObservation = async (status: number, body: Buffer): Promise<UrlObservation> => {
      const m = await matches(body);
      return typeof m === 'boolean' ? { kind: 'media', status, matches: m } : { kind: 'unknown', status, reason: m.unknown };
    };

    /** One media candidate as an observation: matching media, other media, gone, not media, or unknown. */
    const observeMedia = async (c: MediaCandidate): Promise<UrlObservation> => {
      const d = await downloadMedia(c, polite);
      if (d.ok) return mediaObservation(200, d.body);
      let last: UrlObservation | null = null;
      for (const url of [c.url, ...(c.fallbacks ?? [])]) {
        const r = outcomes.get(url);
        if (!r) continue;
        const o: UrlObservation = r.ok
          ? { kind: 'not-media', status: r.status, loginWall: r.sniffed.kind === 'html' && looksLikeLoginWall(r.body.toString('utf8')) }
          : failureObservation(r);
        // The least conclusive rendition decides: one that could not be checked keeps it unknown.
        if (o.kind === 'unknown' || (o.kind === 'not-media' && o.loginWall)) return o;
        last = o;
      }
      return last ?? { kind: 'unknown', reason: d.message };
    };

    // The media URL is observed once: the page usually shows that same file, and its observation is reused.
    let mediaMatched = false;
    const mediaObs = observeMedia({ url: t.mediaUrl, kind: 'image', source: 'img' } as MediaCandidate).then((o) => {
      mediaMatched = o.kind === 'media' && o.matches;
      return o;
    });
    const [page, media] = await Promise.all([
      (async (): Promise<{ obs: UrlObservation; pageMedia?: PageMediaObservation }> => {
        const r = await polite(t.pageUrl, PAGE_BYTES);
        if (!r.ok) return { obs: failureObservation(r) };
        if (r.sniffed.kind === 'image' || r.sniffed.kind === 'video') {
          return { obs: await mediaObservation(r.status, r.body) };
        }
        const html = r.body.toString('utf8');
        if (looksLikeLoginWall(html)) return { obs: { kind: 'page', status: r.status, loginWall: true } };
        const found = extractFromHtml(html, r.url).media.slice(0, this.deps.maxPageMedia ?? 50);
        const pm: PageMediaObservation = { checked: 0, matching: 0, unknown: 0 };
        for (const c of found) {
          // The media URL still serving the material settles the check (decideRemoval): the rest need not be fetched.
          if (mediaMatched) break;
          const o = c.url === t.mediaUrl && !c.fallbacks?.length ? await mediaObs : await observeMedia(c);
          pm.checked++;
          if (o.kind === 'media' && o.matches) {
            pm.matching++;
            break;
          }
          if (o.kind === 'unknown' || (o.kind === 'not-media' && o.loginWall)) pm.unknown++;
        }
        return { obs: { kind: 'page', status: r.status, loginWall: false }, pageMedia: pm };
      })(),
      mediaObs,
    ]);
    const observations: RemovalObservations = { page: page.obs, media, ...(page.pageMedia ? { pageMedia: page.pageMedia } : {}) };
    return { ...decideRemoval(observations), observations };
  }
}
