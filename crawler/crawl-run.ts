/**
 * One crawl of one site: the loop over the persisted frontier. Pages are visited (HTTP engine: fetch +
 * extract; browser engine: render + extract + the media the page loaded), links are followed by the
 * site's rules, and every media candidate is downloaded once per content, fingerprinted, matched, and
 * recorded; a match becomes an alert with evidence. Written against narrow interfaces (types.ts) so the
 * same loop runs on the database (a pg-boss job) or in memory (tests, benchmark).
 *
 * Resuming: the frontier is the state. A run restarted after its worker died adds its start URLs again
 * (ignored: already known), claims what is still pending, and skips media already recorded by URL.
 */
import { createHash } from 'node:crypto';
import type { Fingerprint } from '../hashing/types.ts';
import type { BrowserEngine } from './browser.ts';
import { extractFromHtml, type MediaCandidate } from './extract.ts';
import { searchPageTest } from './keyword-variants.ts';
import { DEFAULT_LIMITS, Fetcher, type FetchLimits } from './fetcher.ts';
import { DEFAULT_MEDIA_LIMITS, downloadMedia, type Downloaded, type MediaLimits } from './media-download.ts';
import { acquireHost, type HostSlotStore } from './politeness.ts';
import { isAllowedByRobots, robotsFromFetch, type RobotsRules } from './robots.ts';
import { isSameSite } from './url-tools.ts';
import { emptyStats, type AlertSink, type CrawlSite, type CrawlStats, type Evidence, type FrontierEntry, type FrontierStore, type Matcher, type MediaStore } from './types.ts';

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

const PAGE_BYTES = 10 * 1024 * 1024;
const EVIDENCE_HTML_CHARS = 2 * 1024 * 1024;

/** A small bounded-concurrency map; results are not needed, only completion. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(workers);
}

export async function runCrawl(site: CrawlSite, deps: CrawlDeps): Promise<CrawlStats> {
  const stats = emptyStats();
  const log = deps.log;
  const policy = { allowHosts: site.allowHosts };
  const fetcher = new Fetcher(policy, { ...DEFAULT_LIMITS, ...deps.fetchLimits });
  const mediaLimits = { ...DEFAULT_MEDIA_LIMITS, ...deps.mediaLimits };
  const siteHosts = [...new Set(site.startUrls.map((u) => new URL(u).hostname))];
  const sitePorts = new Set(site.startUrls.map((u) => new URL(u).port));
  const follow = site.follow.map((f) => new RegExp(f));
  const robotsCache = new Map<string, Promise<RobotsRules>>();
  const crawlDelay = new Map<string, number>();
  const seenMedia = new Set<string>();
  // Search page URLs carry case keywords: their failures are logged by site id only, never with a message naming the URL.
  const isSearchPage = searchPageTest(site.searchUrls ?? []);
  let browserPromise: Promise<BrowserEngine> | null = null;
  const browser = () => {
    if (!deps.browser) return Promise.reject(new Error('No browser is available to this crawl.'));
    browserPromise ??= deps.browser();
    return browserPromise;
  };

  const hostRule = (host: string) => ({
    minIntervalMs: Math.max(site.minIntervalMs, crawlDelay.get(host) ?? 0),
    concurrency: site.concurrency,
  });
  const politeFetch = async (url: string, maxBytes: number) => {
    const host = new URL(url).host;
    const release = await acquireHost(deps.hostSlots, host, hostRule(host), deps.signal);
    try {
      return await fetcher.fetch({ url, headers: site.headers, credentialHosts: siteHosts, limits: { maxBytes } });
    } finally {
      await release();
    }
  };

  const robotsFor = (url: URL): Promise<RobotsRules> => {
    let p = robotsCache.get(url.origin);
    if (!p) {
      p = politeFetch(`${url.origin}/robots.txt`, 512 * 1024).then((r) => {
        const rules = r.ok ? robotsFromFetch({ status: r.status, body: r.body.toString('utf8') }) : r.reason === 'http-status' ? robotsFromFetch({ status: r.status ?? 500, body: '' }) : robotsFromFetch({ unreachable: true });
        if (rules.crawlDelaySeconds) crawlDelay.set(url.host, Math.min(rules.crawlDelaySeconds, 60) * 1000);
        return rules;
      });
      robotsCache.set(url.origin, p);
    }
    return p;
  };

  // Same site: a start host or a subdomain of one, on a port a start URL uses (another port is another origin).
  const shouldFollow = (url: URL): boolean => (follow.length > 0 ? follow.some((re) => re.test(url.href)) : isSameSite(url.hostname, siteHosts) && sitePorts.has(url.port));

  const captureEvidence = async (pageUrl: string, mediaUrl: string, html: string | null, fp: Fingerprint): Promise<Evidence> => {
    const capturedAt = new Date();
    let screenshot: Buffer | null = null;
    let screenshotError: string | null = null;
    let pageHtml = html;
    try {
      const b = await browser();
      const shot = await b.captureEvidence(pageUrl, mediaUrl, { policy, headers: site.headers, credentialHosts: siteHosts });
      if ('error' in shot) screenshotError = shot.error;
      else {
        screenshot = shot.screenshot;
        pageHtml = shot.html;
      }
    } catch (err) {
      screenshotError = (err as Error).message;
    }
    return {
      capturedAt,
      pageUrl,
      mediaUrl,
      html: pageHtml === null ? null : pageHtml.slice(0, EVIDENCE_HTML_CHARS),
      screenshot,
      screenshotError,
      hashes: { sha256: fp.sha256, md5: fp.md5, ...(fp.kind === 'image' ? { pdq: fp.pdq.hash } : {}) },
    };
  };

  const matchAndAlert = async (fp: Fingerprint, pageUrl: string, mediaUrl: string, html: string | null) => {
    const hits = await deps.matcher.match(fp);
    stats.matches += hits.length;
    for (const hit of hits) {
      const created = await deps.alerts.raise({ siteId: site.id, pageUrl, mediaUrl, sha256: fp.sha256, hit }, () => captureEvidence(pageUrl, mediaUrl, html, fp));
      if (created) {
        stats.alertsRaised++;
        log?.info({ site: site.id, case: hit.caseId, material: hit.materialId, method: hit.method }, 'match alert raised');
      }
    }
  };

  const processMedia = async (c: MediaCandidate, pageUrl: string, html: string | null, preloaded?: Downloaded) => {
    stats.mediaFound++;
    const known = await deps.media.seenUrl(site.id, c.url, pageUrl);
    if (known) {
      if (known.fingerprint) await matchAndAlert(known.fingerprint, pageUrl, c.url, html);
      return;
    }
    const got = preloaded ?? (await downloadMedia(c, politeFetch, mediaLimits));
    const base = { siteId: site.id, pageUrl, mediaUrl: c.url };
    if (!got.ok) {
      stats.mediaFailed++;
      await deps.media.record({ ...base, kind: null, sha256: null, byteSize: null, fingerprint: null, error: got.message });
      return;
    }
    stats.mediaDownloaded++;
    const sha256 = createHash('sha256').update(got.body).digest('hex');
    // Read before fingerprinting: a fingerprinting pool takes the bytes over (transferred to a worker).
    const byteSize = got.body.length;
    let fp = await deps.media.bySha256(sha256);
    if (!fp) {
      try {
        fp = await deps.fingerprint(got.body);
        stats.mediaFingerprinted++;
      } catch (err) {
        stats.mediaFailed++;
        await deps.media.record({ ...base, kind: got.kind, sha256, byteSize, fingerprint: null, error: `${c.url} could not be fingerprinted: ${(err as Error).message}` });
        return;
      }
    }
    await deps.media.record({ ...base, kind: got.kind, sha256, byteSize, fingerprint: fp, error: null });
    await matchAndAlert(fp, pageUrl, c.url, html);
  };

  const visit = async (entry: FrontierEntry): Promise<'done' | 'failed' | 'skipped'> => {
    const url = new URL(entry.url);
    if (site.robots === 'respect' && !isAllowedByRobots(await robotsFor(url), url)) {
      stats.pagesSkippedByRobots++;
      return 'skipped';
    }
    let html: string;
    let finalUrl: string;
    const preloaded = new Map<string, Downloaded>();
    const extra: MediaCandidate[] = [];
    if (site.engine === 'browser') {
      const b = await browser();
      const release = await acquireHost(deps.hostSlots, url.host, hostRule(url.host), deps.signal);
      try {
        const r = await b.render(url.href, { policy, headers: site.headers, credentialHosts: siteHosts });
        if (!r.ok) {
          log?.warn({ site: site.id, ...(isSearchPage(url.href) ? { searchPage: true } : { reason: r.message }) }, 'page failed');
          return 'failed';
        }
        html = r.html;
        finalUrl = r.url;
        for (const m of r.media) {
          extra.push({ url: m.url, kind: m.kind, source: 'img' });
          if (m.body && m.sniffed && (m.sniffed.kind === 'image' || m.sniffed.kind === 'video')) preloaded.set(m.url, { ok: true, url: m.url, kind: m.sniffed.kind, body: m.body });
        }
      } finally {
        await release();
      }
    } else {
      const r = await politeFetch(url.href, PAGE_BYTES);
      if (!r.ok) {
        log?.warn({ site: site.id, reason: r.reason, status: r.status }, 'page failed');
        return 'failed';
      }
      finalUrl = r.url;
      if (r.sniffed.kind === 'image' || r.sniffed.kind === 'video') {
        // A start URL or link that is itself a media file.
        stats.pagesVisited++;
        const c: MediaCandidate = { url: url.href, kind: r.sniffed.kind, source: 'anchor' };
        seenMedia.add(c.url);
        await processMedia(c, url.href, null, { ok: true, url: r.url, kind: r.sniffed.kind, body: r.body });
        return 'done';
      }
      if (r.sniffed.kind !== 'html' && !/html|xml/i.test(r.contentType ?? '')) return 'skipped';
      html = r.body.toString('utf8');
    }
    stats.pagesVisited++;
    const ex = extractFromHtml(html, finalUrl);
    const next: FrontierEntry[] = [];
    for (const l of ex.links) {
      const depth = entry.depth + 1;
      if (depth > site.maxDepth + (l.thumbnail ? 1 : 0)) continue;
      const lu = new URL(l.url);
      if (!shouldFollow(lu)) continue;
      next.push({ url: l.url, depth, ...(l.thumbnail ? { thumbnail: true } : {}) });
    }
    if (next.length > 0) await deps.frontier.add(next);
    const candidates = [...ex.media, ...extra].filter((c) => {
      if (seenMedia.has(c.url)) return false;
      seenMedia.add(c.url);
      return true;
    });
    await eachLimited(candidates, deps.mediaConcurrency ?? 4, (c) => processMedia(c, finalUrl, html, preloaded.get(c.url)));
    return 'done';
  };

  try {
    await deps.frontier.add([...site.startUrls, ...(site.searchUrls ?? [])].map((url) => ({ url, depth: 0 })));
    let claimed = await deps.frontier.started();
    let inFlight = 0;
    const waiters: Array<() => void> = [];
    deps.signal?.addEventListener('abort', () => waiters.splice(0).forEach((w) => w()), { once: true });
    const worker = async () => {
      for (;;) {
        if (deps.signal?.aborted || claimed >= site.maxPages) return;
        claimed++;
        // Counted in flight from before the claim: a worker whose claim comes back empty must not end the
        // crawl while another worker's claim (which may return a page, and that page more links) is pending.
        inFlight++;
        const [entry] = await deps.frontier.claim(1);
        if (!entry) {
          claimed--;
          inFlight--;
          if (inFlight === 0) {
            for (const w of waiters.splice(0)) w();
            return;
          }
          await new Promise<void>((resolve) => waiters.push(resolve));
          continue;
        }
        let outcome: 'done' | 'failed' | 'skipped' = 'failed';
        try {
          outcome = await visit(entry);
        } catch (err) {
          if (deps.signal?.aborted) throw err;
          log?.warn({ site: site.id, ...(isSearchPage(entry.url) ? { searchPage: true } : { err: (err as Error).message }) }, 'page error');
        }
        if (outcome === 'failed') stats.pagesFailed++;
        try {
          await deps.frontier.finish(entry.url, outcome);
        } finally {
          inFlight--;
        }
        deps.onPage?.(stats);
        for (const w of waiters.splice(0)) w();
      }
    };
    await Promise.all(Array.from({ length: deps.pageConcurrency ?? Math.max(1, site.concurrency) }, worker));
    log?.info({ site: site.id, ...stats }, 'crawl finished');
    return stats;
  } finally {
    await fetcher.close();
  }
}
