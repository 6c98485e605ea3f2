/**
 * robots.txt, fetched once per origin per crawl run (through the polite fetch, so it waits its turn like
 * any page). A crawl-delay it asks for is handed to the politeness rule, capped at a minute: a site cannot
 * stall a crawl indefinitely by asking for more.
 */
import type { PoliteFetch } from './media-download.ts';
import { robotsFromFetch, type RobotsRules } from './robots.ts';

const ROBOTS_BYTES = 512 * 1024;
const MAX_CRAWL_DELAY_SECONDS = 60;

export function robotsCache(politeFetch: PoliteFetch, setCrawlDelay: (host: string, ms: number) => void): (url: URL) => Promise<RobotsRules> {
  const cache = new Map<string, Promise<RobotsRules>>();
  return (url) => {
    let p = cache.get(url.origin);
    if (!p) {
      p = politeFetch(`${url.origin}/robots.txt`, ROBOTS_BYTES).then((r) => {
        // A 4xx/5xx is read by its status (robots.ts decides what it means); no answer at all is 'unreachable'.
        // A robots.txt the SSRF guard refused says nothing of robots: the origin's pages are refused too, and
        // are counted as blocked where they are fetched, not as skipped by robots (read as "no robots.txt").
        const rules = r.ok
          ? robotsFromFetch({ status: r.status, body: r.body.toString('utf8') })
          : r.reason === 'blocked'
            ? robotsFromFetch({ status: 404, body: '' })
            : r.reason === 'http-status'
              ? robotsFromFetch({ status: r.status ?? 500, body: '' })
              : robotsFromFetch({ unreachable: true });
        if (rules.crawlDelaySeconds) setCrawlDelay(url.host, Math.min(rules.crawlDelaySeconds, MAX_CRAWL_DELAY_SECONDS) * 1000);
        return rules;
      });
      cache.set(url.origin, p);
    }
    return p;
  };
}
