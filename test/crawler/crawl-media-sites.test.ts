import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fingerprintBuffer } from '../../hashing/fingerprint.ts';
import { BrowserEngine } from '../../crawler/browser.ts';
import { crawlSite, type CrawlDeps } from '../../crawler/crawl-run.ts';
import { MemoryAlerts, MemoryFrontier, MemoryMediaStore } from '../../crawler/memory-stores.ts';
import { MemoryHostSlots } from '../../crawler/politeness.ts';
import type { CrawlSite } from '../../crawler/types.ts';
import { useTempDir } from '../support/tmp.ts';
import { fixtureImage } from './support/fixture-images.ts';
import { startLocalServer, type LocalServer } from './support/local-server.ts';
import { makeHls, makeMp4 } from './support/videos.ts';

const tmp = useTempDir('crawl-media');
let srv: LocalServer;
let mp4: Buffer;
let hls: ReturnType<typeof makeHls>;
let engine: BrowserEngine | undefined;

const INFINITE = `<!doctype html><html><body><div id="grid"></div><div id="end"></div><script>
let page = 0, busy = false;
async function more() {
  if (busy || page >= 4) return;
  busy = true;
  const items = await (await fetch('/api/items?page=' + page)).json();
  for (const src of items) { const d = document.createElement('div'); d.style.height = '500px'; const i = new Image(); i.src = src; d.append(i); document.getElementById('grid').append(d); }
  page++; busy = false;
}
new IntersectionObserver((e) => { if (e.some((x) => x.isIntersecting)) more(); }).observe(document.getElementById('end'));
</script></body></html>`;

beforeAll(async () => {
  const hlsDir = join(tmp(), 'hls');
  mkdirSync(hlsDir);
  mp4 = makeMp4(tmp(), 'clip.mp4');
  hls = makeHls(hlsDir);
  srv = await startLocalServer({
    '/videos': (_q, res) => res.end(`<html><body>
      <video controls poster="/img/poster.jpg"><source src="/v/clip.webm" type="video/webm"><source src="/v/clip.mp4" type="video/mp4"></video>
      <video src="/hls/master.m3u8"></video></body></html>`),
    '/v/clip.mp4': (_q, res) => { res.setHeader('content-type', 'video/mp4'); res.end(mp4); },
    '/gallery': (_q, res) => res.end(INFINITE),
    '/api/items': (_q, res, u) => res.end(JSON.stringify(Array.from({ length: 5 }, (_, i) => `/img/${Number(u.searchParams.get('page')) * 5 + i}.jpg`))),
  }, async (_q, res, u) => {
    const h = /^\/hls\/(.+)$/.exec(u.pathname);
    if (h && hls.files.has(h[1])) return res.end(hls.files.get(h[1]));
    const m = /^\/img\/(\d+|poster)\.jpg$/.exec(u.pathname);
    if (m) { res.setHeader('content-type', 'image/jpeg'); return res.end(await fixtureImage(m[1] === 'poster' ? 4242 : 300 + Number(m[1]), 200, 150)); }
    res.statusCode = 404;
    res.end();
  });
});

afterAll(async () => {
  await engine?.close();
  await srv?.close();
});

const site = (over: Partial<CrawlSite>): CrawlSite => ({
  id: 's', name: 's', startUrls: [], engine: 'http', follow: [], maxDepth: 1, maxPages: 10, allowHosts: ['127.0.0.1'],
  robots: 'ignore', minIntervalMs: 0, concurrency: 2, ...over,
});

function deps(over: Partial<CrawlDeps> = {}): CrawlDeps {
  return {
    frontier: new MemoryFrontier(), media: new MemoryMediaStore(), alerts: new MemoryAlerts(), hostSlots: new MemoryHostSlots(),
    matcher: { match: async () => [] }, fingerprint: (b) => fingerprintBuffer(b), ...over,
  };
}

describe('crawling a video site', () => {
  it('downloads the MP4 (preferred over WebM), assembles the HLS stream from its segments, and fetches the poster', async () => {
    const media = new MemoryMediaStore();
    await crawlSite(site({ startUrls: [`${srv.origin}/videos`] }), deps({ media }));
    const rec = (p: string) => media.records.get(`s ${srv.origin}${p}`);
    expect(rec('/v/clip.mp4')).toMatchObject({ kind: 'video', sha256: createHash('sha256').update(mp4).digest('hex'), byteSize: mp4.length });
    expect(srv.hits).not.toContain('/v/clip.webm');
    // The master playlist's 320x240 variant is chosen, and its segments joined in order.
    const joined = Buffer.concat(hls.segments.map((s) => hls.files.get(s)!));
    expect(rec('/hls/master.m3u8')).toMatchObject({ kind: 'hls', sha256: createHash('sha256').update(joined).digest('hex') });
    for (const s of hls.segments) expect(srv.hits).toContain(`/hls/${s}`);
    expect(rec('/img/poster.jpg')?.fingerprint?.kind).toBe('image');
    // Both videos are fingerprinted through ffmpeg: the 4 s MP4 at one frame a second, the joined HLS stream too.
    for (const p of ['/v/clip.mp4', '/hls/master.m3u8']) {
      const r = rec(p)!;
      expect(r.error, p).toBeNull();
      const fp = r.fingerprint;
      expect(fp?.kind, p).toBe('video');
      if (fp?.kind !== 'video') continue;
      expect(fp.frames.length, p).toBeGreaterThanOrEqual(2);
      for (const f of fp.frames) expect(f.pdq).toMatch(/^[0-9a-f]{64}$/);
    }
    const clip = rec('/v/clip.mp4')!.fingerprint;
    expect(clip?.kind === 'video' && [clip.width, clip.height, Math.round(clip.duration)]).toEqual([320, 240, 4]);
  });
});

describe('crawling a JavaScript infinite-scroll gallery with the browser engine', () => {
  it('records every image the page loads, using the bytes the browser captured (one download each)', async () => {
    engine = await BrowserEngine.launch();
    const media = new MemoryMediaStore();
    const stats = await crawlSite(site({ engine: 'browser', startUrls: [`${srv.origin}/gallery`] }), deps({ media, browser: async () => engine! }));
    const expected = Array.from({ length: 20 }, (_, i) => `${srv.origin}/img/${i}.jpg`);
    for (const u of expected) expect(media.records.get(`s ${u}`)?.fingerprint?.kind, u).toBe('image');
    for (let i = 0; i < 20; i++) expect(srv.hits.filter((h) => h === `/img/${i}.jpg`)).toHaveLength(1);
    expect(stats.mediaFingerprinted).toBe(20);
  });
});
