/**
 * Refusals are visible: what the SSRF guard refuses in a crawl is counted and named (search pages
 * masked), a refused robots.txt is not "skipped by robots", and a start URL the guard would refuse is
 * refused when the site is defined.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUrlRefusal } from '../../crawler/ssrf.ts';
import { crawlSite } from '../../crawler/crawl-run.ts';
import { MemoryAlerts, MemoryFrontier, MemoryMediaStore } from '../../crawler/memory-stores.ts';
import { MemoryHostSlots } from '../../crawler/politeness.ts';
import { startLocalServer, type LocalServer } from '../crawler/support/local-server.ts';

let site: LocalServer;
let other: LocalServer;

beforeAll(async () => {
  // 127.0.0.2 is another loopback address: the site allows 127.0.0.1 only.
  other = await startLocalServer({ '/x.jpg': (_q, res) => res.end('never served') }, undefined, '127.0.0.2');
  site = await startLocalServer({
    '/': (_q, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<html><body><img src="${other.origin}/x.jpg"><a href="/search?q=secret">s</a></body></html>`);
    },
  });
});

afterAll(async () => {
  await site?.close();
  await other?.close();
});

describe('a start URL the guard refuses', () => {
  it('is refused with the guard\'s sentence unless --allow-host covers it', async () => {
    expect(await startUrlRefusal(new URL('http://127.0.0.1:9/'), { allowHosts: [] })).toMatch(/127\.0\.0\.1 is loopback .*--allow-host/);
    expect(await startUrlRefusal(new URL('http://127.0.0.1:9/'), { allowHosts: ['127.0.0.1'] })).toBeNull();
    expect(await startUrlRefusal(new URL('http://[::1]/'), { allowHosts: [] })).toMatch(/::1 is loopback/);
    // A name that resolves to a private address (the resolver is staged: no real DNS here).
    const staged = (_h: string, _o: unknown, cb: (e: null, a: Array<{ address: string; family: number }>) => void) => cb(null, [{ address: '10.1.2.3', family: 4 }]);
    expect(await startUrlRefusal(new URL('http://intranet.example/'), { allowHosts: [] }, staged as never)).toMatch(/resolves to a private address/);
    // A name that does not resolve now is not refused: it may resolve when the site is crawled.
    const missing = (_h: string, _o: unknown, cb: (e: Error) => void) => cb(Object.assign(new Error('nx'), { code: 'ENOTFOUND' }));
    expect(await startUrlRefusal(new URL('http://later.example/'), { allowHosts: [] }, missing as never)).toBeNull();
  });
});

describe('a crawl\'s refused requests', () => {
  it('are counted and named, search pages masked; a refused robots.txt is not a robots skip', async () => {
    const stats = await crawlSite(
      {
        id: 'refusals', name: 'refusals', startUrls: [`${site.origin}/`, `${other.origin}/search?q=secret`], searchUrls: [`${other.origin}/search?q=secret`],
        engine: 'http', follow: [], maxDepth: 0, maxPages: 10, allowHosts: ['127.0.0.1'], minIntervalMs: 0, concurrency: 2, robots: 'respect',
      } as never,
      { frontier: new MemoryFrontier(), media: new MemoryMediaStore(), alerts: new MemoryAlerts(), hostSlots: new MemoryHostSlots(), matcher: { match: async () => [] }, fingerprint: async () => { throw new Error('not reached'); } },
    );
    // The image on 127.0.0.2 and the search page there (and its robots.txt) were refused; nothing reached it.
    expect(other.hits).toEqual([]);
    expect(stats.pagesSkippedByRobots).toBe(0);
    expect(stats.pagesFailed).toBe(1);
    expect(stats.requestsBlocked).toBeGreaterThanOrEqual(3);
    const urls = stats.blockedSamples.map((b) => b.url);
    expect(urls).toContain(`${other.origin}/x.jpg`);
    expect(urls).toContain('(a search page)');
    expect(urls.some((u) => u.includes('secret'))).toBe(false);
    expect(stats.blockedSamples.find((b) => b.url.endsWith('/x.jpg'))?.reason).toMatch(/127\.0\.0\.2 is loopback/);
  });
});
