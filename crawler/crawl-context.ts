/**
 * What every part of one site's crawl shares: the site, the stores it writes to, the running stats, the
 * polite fetch (the host's politeness slot, then the guarded fetcher, the site's headers only to its own
 * hosts), the robots cache, and the browser opened on first use. Built once per run by `openSiteCrawl`;
 * the page visit, the media pipeline and the evidence capture take it as their one argument.
 */
import type { Fingerprint } from '../hashing/types.ts';
import type { BrowserEngine, RenderOptions } from './browser.ts';
import { searchPageTest } from './keyword-variants.ts';
import { DEFAULT_LIMITS, Fetcher, type FetchLimits } from './fetcher.ts';
import { DEFAULT_MEDIA_LIMITS, type MediaLimits, type PoliteFetch } from './media-download.ts';
import { acquireHost, type HostRule, type HostSlotStore } from './politeness.ts';
import { robotsCache } from './robots-cache.ts';
import type { RobotsRules } from './robots.ts';
import type { SsrfPolicy } from './ssrf.ts';
import { isSameSite } from './url-tools.ts';
import { emptyStats, noteBlocked, type AlertSink, type CrawlSite, type CrawlStats, type FrontierStore, type Matcher, type MediaStore } from './types.ts';

export interface CrawlLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface CrawlDeps {
  frontier: FrontierStore;
  media: MediaStore;
  matcher: Matcher;
  alerts: AlertSink;
  hostSlots: HostSlotStore;
  /** Fingerprints one downloaded file; it may take the bytes over (a worker pool transfers them). */
  fingerprint: (bytes: Uint8Array) => Promise<Fingerprint>;
  /** Opens (once) the browser for the browser engine and for evidence screenshots; absent: no browser. */
  browser?: () => Promise<BrowserEngine>;
  log?: CrawlLog;
  signal?: AbortSignal;
  fetchLimits?: Partial<FetchLimits>;
  mediaLimits?: Partial<MediaLimits>;
  /** Pages processed at once by this worker (each still waits for its host's politeness slot). */
  pageConcurrency?: number;
  mediaConcurrency?: number;
  /** Called after each page, for progress reporting and for tests that stop a worker mid-crawl. */
  onPage?: (stats: CrawlStats) => void;
}

export interface SiteCrawl {
  site: CrawlSite;
  deps: CrawlDeps;
  stats: CrawlStats;
  log: CrawlLog | undefined;
  policy: SsrfPolicy;
  mediaLimits: MediaLimits;
  /** The start URLs' hosts: the site's own, the only ones its headers and cookies go to. */
  siteHosts: string[];
  /** The site's link rule: its `follow` patterns, or else the same site (see openSiteCrawl). */
  shouldFollow: (url: URL) => boolean;
  /** Media URLs already taken up in this run (a page links the same file many times). */
  seenMedia: Set<string>;
  /** Search page URLs carry case keywords: their failures are logged by site id only, never with a message naming the URL. */
  isSearchPage: (url: string) => boolean;
  politeFetch: PoliteFetch;
  robotsFor: (url: URL) => Promise<RobotsRules>;
  /** The site's rule for a host: its interval (robots' crawl-delay when longer) and concurrency. */
  hostRule: (host: string) => HostRule;
  browser: () => Promise<BrowserEngine>;
  /** What the browser engine is given for this site's pages (policy, and headers for the site's hosts). */
  renderOptions: RenderOptions;
  close(): Promise<void>;
}

export function openSiteCrawl(site: CrawlSite, deps: CrawlDeps): SiteCrawl {
  const policy = { allowHosts: site.allowHosts };
  const fetcher = new Fetcher(policy, { ...DEFAULT_LIMITS, ...deps.fetchLimits });
  const siteHosts = [...new Set(site.startUrls.map((u) => new URL(u).hostname))];
  const follow = site.follow.map((f) => new RegExp(f));
  const sitePorts = new Set(site.startUrls.map((u) => new URL(u).port));
  const crawlDelay = new Map<string, number>();
  let browserPromise: Promise<BrowserEngine> | null = null;
  const hostRule = (host: string): HostRule => ({
    minIntervalMs: Math.max(site.minIntervalMs, crawlDelay.get(host) ?? 0),
    concurrency: site.concurrency,
  });
  const stats = emptyStats();
  const isSearchPage = searchPageTest(site.searchUrls ?? []);
  const politeFetch: PoliteFetch = async (url, maxBytes) => {
    const host = new URL(url).host;
    const release = await acquireHost(deps.hostSlots, host, hostRule(host), deps.signal);
    try {
      const r = await fetcher.fetch({ url, headers: site.headers, credentialHosts: siteHosts, limits: { maxBytes } });
      // Every refusal of the guard is counted where it happens: pages, media, HLS segments, robots.txt.
      if (!r.ok && r.reason === 'blocked') noteBlocked(stats, url, r.message, isSearchPage);
      return r;
    } finally {
      await release();
    }
  };
  return {
    site,
    deps,
    stats,
    log: deps.log,
    policy,
    mediaLimits: { ...DEFAULT_MEDIA_LIMITS, ...deps.mediaLimits },
    siteHosts,
    // Same site: a start host or a subdomain of one, on a port a start URL uses (another port is another origin).
    shouldFollow: (url) => (follow.length > 0 ? follow.some((re) => re.test(url.href)) : isSameSite(url.hostname, siteHosts) && sitePorts.has(url.port)),
    seenMedia: new Set(),
    isSearchPage,
    politeFetch,
    robotsFor: robotsCache(politeFetch, (host, ms) => crawlDelay.set(host, ms)),
    hostRule,
    browser: () => {
      if (!deps.browser) return Promise.reject(new Error('No browser is available to this crawl.'));
      browserPromise ??= deps.browser();
      return browserPromise;
    },
    renderOptions: { policy, headers: site.headers, credentialHosts: siteHosts },
    close: () => fetcher.close(),
  };
}
