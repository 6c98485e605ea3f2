/**
 * One page of a crawl: robots first, then the page loaded (HTTP engine: fetched; browser engine: rendered,
 * with the media the page itself loaded), its links added to the frontier by the site's rules, and its
 * media candidates handed to the media pipeline. A URL that turns out to be a media file itself is
 * processed as one.
 */
import type { SiteCrawl } from './crawl-context.ts';
import { extractFromHtml, type MediaCandidate } from './extract.ts';
import type { Downloaded } from './media-download.ts';
import { eachLimited, processMedia } from './media-pipeline.ts';
import { acquireHost } from './politeness.ts';
import { isAllowedByRobots } from './robots.ts';
import { noteBlocked, type FrontierEntry } from './types.ts';

const PAGE_BYTES = 10 * 1024 * 1024;

const hostOf = (url: string): string => {
  try {
    return new URL(url).host;
  } catch {
    return '?';
  }
};

export type VisitOutcome = 'done' | 'failed' | 'skipped';

/** A loaded page: its HTML and final URL, and what the browser captured while loading it. */
interface LoadedPage {
  html: string;
  url: string;
  /** Media the browser saw the page load, beyond what its HTML names. */
  extra: MediaCandidate[];
  /** Bytes of those media the browser already received, by URL. */
  preloaded: Map<string, Downloaded>;
}

async function renderPage(crawl: SiteCrawl, url: URL): Promise<LoadedPage | 'failed'> {
  const { deps, site } = crawl;
  const b = await crawl.browser();
  const release = await acquireHost(deps.hostSlots, url.host, crawl.hostRule(url.host), deps.signal);
  try {
    const r = await b.render(url.href, crawl.renderOptions);
    for (const u of r.blocked) noteBlocked(crawl.stats, u, 'refused by the SSRF guard (a request of the browser)', crawl.isSearchPage);
    if (r.blocked.length > 0) {
      // Hosts only: a blocked URL may be a search page's, which carries a case's keywords.
      const hosts = [...new Set(r.blocked.map(hostOf))];
      crawl.log?.warn({ site: site.id, blocked: r.blocked.length, hosts }, 'browser requests blocked by the SSRF guard');
    }
    if (!r.ok) {
      crawl.log?.warn({ site: site.id, ...(crawl.isSearchPage(url.href) ? { searchPage: true } : { reason: r.message }) }, 'page failed');
      return 'failed';
    }
    const page: LoadedPage = { html: r.html, url: r.url, extra: [], preloaded: new Map() };
    for (const m of r.media) {
      page.extra.push({ url: m.url, kind: m.kind, source: 'img' });
      if (m.body && m.sniffed && (m.sniffed.kind === 'image' || m.sniffed.kind === 'video')) page.preloaded.set(m.url, { ok: true, url: m.url, kind: m.sniffed.kind, body: m.body });
    }
    return page;
  } finally {
    await release();
  }
}

async function fetchPage(crawl: SiteCrawl, url: URL): Promise<LoadedPage | VisitOutcome> {
  const r = await crawl.politeFetch(url.href, PAGE_BYTES);
  if (!r.ok) {
    crawl.log?.warn({ site: crawl.site.id, reason: r.reason, status: r.status }, 'page failed');
    return 'failed';
  }
  if (r.sniffed.kind === 'image' || r.sniffed.kind === 'video') {
    // A start URL or link that is itself a media file.
    crawl.stats.pagesVisited++;
    const c: MediaCandidate = { url: url.href, kind: r.sniffed.kind, source: 'anchor' };
    crawl.seenMedia.add(c.url);
    await processMedia(crawl, c, url.href, null, { ok: true, url: r.url, kind: r.sniffed.kind, body: r.body });
    return 'done';
  }
  if (r.sniffed.kind !== 'html' && !/html|xml/i.test(r.contentType ?? '')) return 'skipped';
  return { html: r.body.toString('utf8'), url: r.url, extra: [], preloaded: new Map() };
}

/** The links of a page the crawl follows: within depth (a thumbnail's page one deeper), by the site's rules. */
function linksToFollow(crawl: SiteCrawl, links: ReturnType<typeof extractFromHtml>['links'], from: FrontierEntry): FrontierEntry[] {
  const { site } = crawl;
  const next: FrontierEntry[] = [];
  for (const l of links) {
    const depth = from.depth + 1;
    if (depth > site.maxDepth + (l.thumbnail ? 1 : 0)) continue;
    if (!crawl.shouldFollow(new URL(l.url))) continue;
    next.push({ url: l.url, depth, ...(l.thumbnail ? { thumbnail: true } : {}) });
  }
  return next;
}

export async function visitPage(crawl: SiteCrawl, entry: FrontierEntry): Promise<VisitOutcome> {
  const { site, stats, deps } = crawl;
  const url = new URL(entry.url);
  if (site.robots === 'respect' && !isAllowedByRobots(await crawl.robotsFor(url), url)) {
    stats.pagesSkippedByRobots++;
    return 'skipped';
  }
  const page = site.engine === 'browser' ? await renderPage(crawl, url) : await fetchPage(crawl, url);
  if (typeof page === 'string') return page;
  stats.pagesVisited++;
  const ex = extractFromHtml(page.html, page.url);
  const next = linksToFollow(crawl, ex.links, entry);
  if (next.length > 0) await deps.frontier.add(next);
  const candidates = [...ex.media, ...page.extra].filter((c) => {
    if (crawl.seenMedia.has(c.url)) return false;
    crawl.seenMedia.add(c.url);
    return true;
  });
  await eachLimited(candidates, deps.mediaConcurrency ?? 4, (c) => processMedia(crawl, c, page.url, page.html, page.preloaded.get(c.url)));
  return 'done';
}
