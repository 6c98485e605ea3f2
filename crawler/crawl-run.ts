/**
 * One crawl of one site (`crawlSite`): the loop over the persisted frontier. Pages are visited (HTTP
 * engine: fetch + extract; browser engine: render + extract + the media the page loaded; page-visit.ts),
 * links are followed by the site's rules, and every media candidate is downloaded once per content,
 * fingerprinted, matched, and recorded; a match becomes an alert with evidence (media-pipeline.ts).
 * Written against narrow interfaces (types.ts) so the same loop runs on the database (a pg-boss job) or
 * in memory (tests, benchmark).
 *
 * Resuming: the frontier is the state. A run restarted after its worker died adds its start URLs again
 * (ignored: already known), claims what is still pending, and skips media already recorded by URL.
 */
import { openSiteCrawl, type CrawlDeps, type SiteCrawl } from './crawl-context.ts';
import { visitPage, type VisitOutcome } from './page-visit.ts';
import type { CrawlSite, CrawlStats } from './types.ts';

export type { CrawlDeps, CrawlLog } from './crawl-context.ts';

/**
 * `pageConcurrency` workers claim pages from the frontier until `maxPages` are claimed or nothing is
 * left. A frontier that looks empty is not the end while another worker's page is in flight: that page
 * may add links, so a worker that finds nothing waits for the others before it gives up.
 */
async function workFrontier(crawl: SiteCrawl): Promise<void> {
  const { site, deps, stats } = crawl;
  let claimed = await deps.frontier.started();
  let inFlight = 0;
  const waiters: Array<() => void> = [];
  const wakeAll = () => waiters.splice(0).forEach((w) => w());
  deps.signal?.addEventListener('abort', wakeAll, { once: true });
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
          wakeAll();
          return;
        }
        await new Promise<void>((resolve) => waiters.push(resolve));
        continue;
      }
      let outcome: VisitOutcome = 'failed';
      try {
        outcome = await visitPage(crawl, entry);
      } catch (err) {
        if (deps.signal?.aborted) throw err;
        crawl.log?.warn({ site: site.id, ...(crawl.isSearchPage(entry.url) ? { searchPage: true } : { err: (err as Error).message }) }, 'page error');
      }
      if (outcome === 'failed') stats.pagesFailed++;
      try {
        await deps.frontier.finish(entry.url, outcome);
      } finally {
        inFlight--;
      }
      deps.onPage?.(stats);
      wakeAll();
    }
  };
  await Promise.all(Array.from({ length: deps.pageConcurrency ?? Math.max(1, site.concurrency) }, worker));
}

export async function crawlSite(site: CrawlSite, deps: CrawlDeps): Promise<CrawlStats> {
  const crawl = openSiteCrawl(site, deps);
  try {
    await deps.frontier.add([...site.startUrls, ...(site.searchUrls ?? [])].map((url) => ({ url, depth: 0 })));
    await workFrontier(crawl);
    const { blockedSamples: _samples, ...counts } = crawl.stats; // samples name URLs: counts only in the log
    crawl.log?.info({ site: site.id, ...counts }, 'crawl finished');
    return crawl.stats;
  } finally {
    await crawl.close();
  }
}
