import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { fingerprintBuffer } from '../../hashing/fingerprint.ts';
import { ReferenceBank } from '../../hashing/match/matcher.ts';
import { crawlSite, type CrawlDeps } from '../../crawler/crawl-run.ts';
import { MemoryAlerts, MemoryFrontier, MemoryMediaStore } from '../../crawler/memory-stores.ts';
import { MemoryHostSlots } from '../../crawler/politeness.ts';
import { searchUrls } from '../../crawler/keyword-variants.ts';
import type { CrawlSite, Matcher } from '../../crawler/types.ts';
import { syntheticPhoto } from '../support/images.ts';
import { startBoard, type Board } from './support/fixture-sites.ts';
import { startLocalServer, type LocalServer } from './support/local-server.ts';

// Four pieces of registered material, and where edited copies are re-uploaded on the board.
const MATERIAL = { A: 9001, B: 9002, C: 9003, D: 9004 } as const;
let board: Board;
let offsite: LocalServer;
let matcher: Matcher;
let site: CrawlSite;

function bankMatcher(bank: ReferenceBank): Matcher {
  return {
    match: async (fp) => bank.match(fp).map((m) => ({ caseId: 'case-1', materialId: m.ref, method: m.method, distance: m.distance })),
  };
}

beforeAll(async () => {
  const originals = Object.fromEntries(await Promise.all(Object.entries(MATERIAL).map(async ([k, seed]) => [k, await syntheticPhoto(seed, 320, 240)]))) as Record<keyof typeof MATERIAL, Buffer>;
  const bank = new ReferenceBank();
  for (const [k, bytes] of Object.entries(originals)) bank.add({ ref: k, fp: await fingerprintBuffer(bytes) });
  matcher = bankMatcher(bank);

  const planted = new Map<number, Buffer>([
    [13, await sharp(originals.A).resize(256).jpeg({ quality: 60 }).toBuffer()], // resized and recompressed
    [33, await sharp(originals.B).flop().jpeg({ quality: 85 }).toBuffer()], // mirrored
    [14, originals.C], // exact copy
    [500, originals.D], // exact copy, reachable only through the search page
  ]);
  offsite = await startLocalServer({
    '/offsite-page': (_q, res) => res.end('<html><img src="/never.jpg"></html>'),
    '/cdn/1.jpg': async (_q, res) => res.end(await syntheticPhoto(777, 200, 150)),
  });
  const corruptJpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2000, 0x55)]);
  board = await startBoard({
    threads: 20,
    imagesPerThread: 6,
    threadsPerIndexPage: 10,
    planted,
    indexExtra: `<a href="/loop-a">loop</a><a href="/huge">huge</a><a href="/drip">drip</a><a href="/to-private">private</a>
      <a href="/admin/secret">admin</a><a href="${offsite.origin}/offsite-page">elsewhere</a><img src="${offsite.origin}/cdn/1.jpg">
      <img src="/media/corrupt.jpg"><a href="/media/fake.png">fake</a>`,
    routes: {
      '/loop-a': (_q, res) => { res.writeHead(302, { location: '/loop-b' }); res.end(); },
      '/loop-b': (_q, res) => { res.writeHead(302, { location: '/loop-a' }); res.end(); },
      '/huge': (_q, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        const chunk = Buffer.alloc(256 * 1024, 0x20);
        let left = 200; // 50 MB
        const pump = () => { while (left-- > 0) if (!res.write(chunk)) return void res.once('drain', pump); res.end(); };
        res.on('close', () => { left = 0; });
        pump();
      },
      '/drip': (_q, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        const t = setInterval(() => res.write('<p>'), 100);
        res.on('close', () => clearInterval(t));
      },
      '/to-private': (_q, res) => { res.writeHead(302, { location: 'http://10.0.0.1/' }); res.end(); },
      '/media/corrupt.jpg': (_q, res) => res.end(corruptJpeg),
      '/media/fake.png': (_q, res) => res.end('<html><body>not an image</body></html>'),
      '/search': (_q, res, u) => {
        // This site's search only finds the name written without a space.
        const hit = u.searchParams.get('q') === 'janedoe';
        res.end(`<html><body>${hit ? '<a href="/post/500"><img src="/thumb/500.jpg"></a>' : 'No results'}</body></html>`);
      },
    },
  });
  site = {
    id: 'site-1', name: 'board', startUrls: [`${board.origin}/`], engine: 'http', follow: [], maxDepth: 3, maxPages: 500,
    allowHosts: ['127.0.0.1'], robots: 'respect', minIntervalMs: 0, concurrency: 4,
    searchUrls: searchUrls(`${board.origin}/search?q={keyword}`, ['Jane Doe']),
  };
});

afterAll(async () => {
  await board?.close();
  await offsite?.close();
});

function deps(over: Partial<CrawlDeps> = {}): CrawlDeps {
  return {
    frontier: new MemoryFrontier(),
    media: new MemoryMediaStore(),
    alerts: new MemoryAlerts(),
    hostSlots: new MemoryHostSlots(),
    matcher,
    fingerprint: (b) => fingerprintBuffer(b),
    // The slow-drip page runs into the total limit; kept short so the test stays quick, long enough for a loaded machine.
    fetchLimits: { totalTimeoutMs: 6_000, idleTimeoutMs: 5_000 },
    ...over,
  };
}

const alertSet = (a: MemoryAlerts) => a.alerts.map((x) => `${x.hit.materialId} ${x.mediaUrl.replace(board.origin, '')}`).sort();
const EXPECTED = ['A /full/13.jpg', 'B /full/33.jpg', 'C /full/14.jpg', 'C /thumb/14.jpg', 'D /full/500.jpg', 'D /thumb/500.jpg'];

describe('crawlSite on a fixture image board (HTTP engine)', () => {
  let first: CrawlDeps;

  it('finds exactly the re-uploaded material among 120 unrelated images, through hostile pages', async () => {
    first = deps();
    const stats = await crawlSite(site, first);
    const alerts = first.alerts as MemoryAlerts;
    expect(alertSet(alerts)).toEqual(EXPECTED);
    // Every board image was seen: 120 full + 20 index thumbnails + the CSS-background thumbnails.
    const media = first.media as MemoryMediaStore;
    const seen = [...media.records.values()];
    for (let n = 0; n < 120; n++) expect(seen.some((r) => r.mediaUrl === board.imageUrl(n, 'full')), `image ${n}`).toBe(true);
    expect(stats.pagesVisited).toBeGreaterThanOrEqual(2 + 20 + 40);
    expect(stats.mediaFingerprinted).toBeGreaterThanOrEqual(120);
    expect(stats.alertsRaised).toBe(EXPECTED.length);
    // Evidence: the page HTML and the media's hashes, with the time.
    const a = alerts.alerts.find((x) => x.mediaUrl.endsWith('/full/13.jpg'))!;
    expect(a.evidence.html).toContain('/full/13.jpg');
    expect(a.evidence.hashes.sha256).toBe(a.sha256);
    expect(a.evidence.capturedAt.getTime()).toBeLessThanOrEqual(Date.now());
    // These deps give the crawl no browser, so no screenshot: captureEvidence records why, and keeps the
    // HTML the HTTP engine fetched (a browser would have replaced it with the rendered page's).
    expect(a.evidence.screenshot).toBeNull();
    expect(a.evidence.screenshotError).toBe('No browser is available to this crawl.');
    expect(a.evidence).toMatchObject({ pageUrl: a.pageUrl, mediaUrl: a.mediaUrl });
    for (const x of alerts.alerts) expect(x.evidence).toMatchObject({ screenshot: null, screenshotError: 'No browser is available to this crawl.' });
  });

  it('refused or survived every hostile case without stopping the crawl', async () => {
    const states = (first.frontier as MemoryFrontier).states();
    for (const p of ['/loop-a', '/huge', '/drip', '/to-private']) expect(states.get(`${board.origin}${p}`), p).toBe('failed');
    expect(states.get(`${board.origin}/admin/secret`)).toBe('skipped');
    expect(board.hits).not.toContain('/admin/secret');
    // Off-site links are not followed, but off-site media (a CDN) is fetched.
    expect(offsite.hits).toEqual(['/cdn/1.jpg']);
    const media = first.media as MemoryMediaStore;
    const rec = (path: string) => [...media.records.values()].find((r) => r.mediaUrl === `${board.origin}${path}`);
    expect(rec('/media/corrupt.jpg')?.error).toMatch(/could not be fingerprinted/);
    expect(rec('/media/fake.png')?.error).toMatch(/is an HTML page, not an image or video/);
  });

  it('does not download known media again nor raise an alert twice on the next run', async () => {
    const hitsBefore = board.hits.filter((h) => h.startsWith('/full/')).length;
    const second = deps({ media: first.media, alerts: first.alerts });
    const stats = await crawlSite(site, second);
    expect(stats.mediaFound).toBeGreaterThan(120);
    // Only the corrupt file, whose last attempt failed, is tried again.
    expect(stats.mediaDownloaded).toBe(1);
    expect(stats.matches).toBe(EXPECTED.length);
    expect(stats.alertsRaised).toBe(0);
    expect(board.hits.filter((h) => h.startsWith('/full/')).length).toBe(hitsBefore);
    expect(alertSet(first.alerts as MemoryAlerts)).toEqual(EXPECTED);
  });

  it('resumes a killed crawl from its frontier: nothing lost, nothing alerted twice', async () => {
    const frontier = new MemoryFrontier();
    const media = new MemoryMediaStore();
    const alerts = new MemoryAlerts();
    const stop = new AbortController();
    let pages = 0;
    await crawlSite(site, deps({ frontier, media, alerts, signal: stop.signal, onPage: () => { if (++pages === 12) stop.abort(); } })).catch(() => undefined);
    const visitedBefore = [...frontier.states().values()].filter((s) => s !== 'pending').length;
    expect(visitedBefore).toBeGreaterThanOrEqual(12);
    expect(visitedBefore).toBeLessThan(50);
    frontier.requeueClaimed();
    await crawlSite(site, deps({ frontier, media, alerts }));
    expect([...frontier.states().values()].filter((s) => s === 'pending' || s === 'claimed')).toEqual([]);
    expect(alertSet(alerts)).toEqual(EXPECTED);
  });

  it('stops at max pages and max depth', async () => {
    const frontier = new MemoryFrontier();
    const stats = await crawlSite({ ...site, maxPages: 7, searchUrls: [] }, deps({ frontier }));
    expect(stats.pagesVisited + stats.pagesFailed + stats.pagesSkippedByRobots).toBeLessThanOrEqual(7);
    const shallow = new MemoryFrontier();
    await crawlSite({ ...site, maxDepth: 0, searchUrls: [] }, deps({ frontier: shallow }));
    // Depth 0 visits the start page; only thumbnail links (thread pages) go one level further.
    const visited = [...shallow.states().entries()].filter(([, s]) => s === 'done').map(([u]) => u.replace(board.origin, ''));
    expect(visited.sort()).toEqual(['/', ...Array.from({ length: 10 }, (_, t) => `/thread/${t}`)].sort());
  });
});
