/**
 * The crawl's own vocabulary and the narrow store interfaces it is written against. The crawl loop never
 * sees a database: the data layer implements these (db/crawl-*.ts), tests and the benchmark may pass the
 * in-memory ones (crawler/memory-stores.ts).
 */
import type { Fingerprint } from '../hashing/types.ts';
import type { MediaKind } from './media-types.ts';

export type Engine = 'http' | 'browser';

/** A site as one crawl run sees it (decrypted headers, search URLs already expanded from keywords). */
export interface CrawlSite {
  id: string;
  name: string;
  startUrls: string[];
  /** Search result pages to visit as extra start URLs (template x each case keyword's variants). */
  searchUrls?: string[];
  engine: Engine;
  /** Regular expressions (source text): links matching one are followed, on any host. Empty: same-site links. */
  follow: string[];
  maxDepth: number;
  maxPages: number;
  allowHosts: string[];
  robots: 'respect' | 'ignore';
  /** Minimum time between two requests to one host, in ms (raised by a robots.txt Crawl-delay). */
  minIntervalMs: number;
  /** Requests in flight to one host at once, across all workers. */
  concurrency: number;
  headers?: Record<string, string>;
}

export const SITE_DEFAULTS = { maxDepth: 3, maxPages: 500, minIntervalMs: 200, concurrency: 2 } as const;

export interface FrontierEntry {
  url: string;
  depth: number;
  /** Reached through a thumbnail: the full-size page of an image, followed one level past maxDepth. */
  thumbnail?: boolean;
}

/** The run's persisted frontier: what is left to visit survives a killed worker. */
export interface FrontierStore {
  /** Adds entries this run has not seen yet; returns how many were new. */
  add(entries: FrontierEntry[]): Promise<number>;
  /** Takes up to `n` pending entries (lowest depth first), marking them in progress. */
  claim(n: number): Promise<FrontierEntry[]>;
  finish(url: string, outcome: 'done' | 'failed' | 'skipped'): Promise<void>;
  /** Entries claimed or finished so far this run (the count max-pages limits). */
  started(): Promise<number>;
}

/** What was learnt about one media file the last time it was seen. */
export interface KnownMedia {
  sha256: string | null;
  fingerprint: Fingerprint | null;
}

export interface MediaRecord {
  siteId: string;
  pageUrl: string;
  mediaUrl: string;
  kind: MediaKind | null;
  sha256: string | null;
  byteSize: number | null;
  fingerprint: Fingerprint | null;
  /** Why it could not be downloaded or fingerprinted (a sentence), or null. */
  error: string | null;
}

/** Media seen on sites: dedupe by URL and by content across runs, first/last seen times. */
export interface MediaStore {
  /** The earlier result for this URL, if any, and marks it seen again on this page now. */
  seenUrl(siteId: string, mediaUrl: string, pageUrl: string): Promise<KnownMedia | null>;
  /** The fingerprint of earlier downloaded bytes with this SHA-256 (any URL, any site), if any. */
  bySha256(sha256: string): Promise<Fingerprint | null>;
  record(rec: MediaRecord): Promise<void>;
}

export interface MatchHit {
  caseId: string;
  materialId: string;
  /** Which signal matched ('sha256', 'md5', 'pdq', 'pdq:rot90', 'video', ...). */
  method: string;
  /** Hamming distance (0 for exact), or the video matcher's distance. */
  distance: number;
  /** How the match was found (inliers, region of the crawled picture as fractions 0..1, confidence), where known; stored as the alert's match_detail. */
  detail?: object;
}

export interface Matcher {
  match(fp: Fingerprint): Promise<MatchHit[]>;
}

export interface Evidence {
  capturedAt: Date;
  pageUrl: string;
  mediaUrl: string;
  html: string | null;
  screenshot: Buffer | null;
  /** Why there is no screenshot, when there is none. */
  screenshotError: string | null;
  /** A small JPEG of the candidate media itself (images only; null when the bytes were not at hand). */
  thumbnail?: Buffer | null;
  hashes: { sha256: string; md5: string; pdq?: string };
}

export interface AlertInput {
  siteId: string;
  pageUrl: string;
  mediaUrl: string;
  sha256: string;
  hit: MatchHit;
}

export interface AlertSink {
  /**
   * Raises an alert unless the same material was already alerted at the same media URL (a re-upload at a
   * new URL alerts again); the evidence is captured only when the alert is new. Returns whether it was new.
   */
  raise(alert: AlertInput, captureEvidence: () => Promise<Evidence>): Promise<boolean>;
}

export interface CrawlStats {
  pagesVisited: number;
  pagesFailed: number;
  pagesSkippedByRobots: number;
  mediaFound: number;
  mediaDownloaded: number;
  mediaFingerprinted: number;
  mediaFailed: number;
  matches: number;
  alertsRaised: number;
  /** Requests the SSRF guard refused (pages, media, robots.txt, and what the browser tried to load). */
  requestsBlocked: number;
  /**
   * The first refused requests with the guard's reason (at most BLOCKED_SAMPLES). A search page's URL
   * carries a case's keywords, so it stands here as '(a search page)' with no reason that names it.
   */
  blockedSamples: BlockedRequest[];
}

export interface BlockedRequest {
  url: string;
  reason: string;
}

export const BLOCKED_SAMPLES = 5;

export function emptyStats(): CrawlStats {
  return { pagesVisited: 0, pagesFailed: 0, pagesSkippedByRobots: 0, mediaFound: 0, mediaDownloaded: 0, mediaFingerprinted: 0, mediaFailed: 0, matches: 0, alertsRaised: 0, requestsBlocked: 0, blockedSamples: [] };
}

/** Counts a refused request and keeps the first few, search pages masked. */
export function noteBlocked(stats: CrawlStats, url: string, reason: string, isSearchPage: (url: string) => boolean): void {
  stats.requestsBlocked++;
  if (stats.blockedSamples.length >= BLOCKED_SAMPLES) return;
  stats.blockedSamples.push(isSearchPage(url) ? { url: '(a search page)', reason: 'refused by the SSRF guard' } : { url, reason });
}
