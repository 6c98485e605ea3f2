import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserEngine, findChromium } from '../../crawler/browser.ts';
import { extractFromHtml } from '../../crawler/extract.ts';
import { startLocalServer, type LocalServer } from './support/local-server.ts';
import { fixtureImage } from './support/fixture-images.ts';
import { testResolver } from './support/test-dns.ts';

// A gallery that exists only in JavaScript: each scroll to the end fetches the next page of items as
// JSON and appends <img> elements, five pages of six, like an infinite-scroll feed.
const GALLERY = `<!doctype html><html><body><h1>Gallery</h1><div id="grid"></div><div id="end" style="height:10px"></div>
<img src="http://10.0.0.1/tracker.jpg" alt="">
<script>
let page = 0, loading = false;
async function more() {
  if (loading || page >= 5) return;
  loading = true;
  const items = await (await fetch('/api/items?page=' + page)).json();
  for (const it of items) {
    const fig = document.createElement('figure');
    fig.style.height = '400px';
    const img = document.createElement('img');
    img.src = it.src;
    img.width = 200;
    fig.appendChild(img);
    document.getElementById('grid').appendChild(fig);
  }
  page++;
  loading = false;
}
new IntersectionObserver((e) => { if (e.some((x) => x.isIntersecting)) more(); }).observe(document.getElementById('end'));
</script></body></html>`;

let srv: LocalServer;
let engine: BrowserEngine;

beforeAll(async () => {
  srv = await startLocalServer({
    '/gallery': (_q, res) => res.end(GALLERY),
    '/api/items': (_q, res, u) => {
      const p = Number(u.searchParams.get('page'));
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(Array.from({ length: 6 }, (_, i) => ({ src: `/img/${p * 6 + i}.jpg` }))));
    },
    '/broken': (_q, res) => { res.statusCode = 500; res.end('boom'); },
    '/styled': (_q, res) => res.end(`<!doctype html><html><head><style>@font-face { font-family: F; src: url(/f.woff2) format('woff2'); } body { font-family: F; }</style></head>
      <body><p>text in a web font</p><img src="/img/40.jpg"><video src="/v.mp4" autoplay muted></video></body></html>`),
    '/plain': (_q, res) => res.end('<!doctype html><html><body><img src="/img/41.jpg"></body></html>'),
    '/rebound-image': (_q, res) => res.end(`<!doctype html><html><body><img src="/img/41.jpg"><img src="http://rebind.test:${new URL(srv.origin).port}/img/40.jpg"></body></html>`),
  }, async (_q, res, u) => {
    const m = /^\/img\/(\d+)\.jpg$/.exec(u.pathname);
    if (!m) { res.statusCode = 404; return res.end(); }
    res.setHeader('content-type', 'image/jpeg');
    res.end(await fixtureImage(Number(m[1]), 160, 120));
  });
  engine = await BrowserEngine.launch();
});

afterAll(async () => {
  await engine?.close();
  await srv?.close();
});

describe('BrowserEngine', () => {
  it('scrolls a JavaScript infinite-scroll gallery to its end and captures every image the page loads', async () => {
    const r = await engine.render(`${srv.origin}/gallery`, { policy: { allowHosts: ['127.0.0.1'] }, settleMs: 1_000, screenshot: true });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const expected = Array.from({ length: 30 }, (_, i) => `${srv.origin}/img/${i}.jpg`).sort();
    const captured = r.media.filter((m) => m.body && m.sniffed?.format === 'jpeg').map((m) => m.url).sort();
    expect(captured).toEqual(expected);
    // The rendered HTML holds the same images for the generic extractor.
    expect(extractFromHtml(r.html, r.url).media.map((m) => m.url).filter((u) => u.includes('/img/')).sort()).toEqual(expected);
    expect(r.screenshot?.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    expect(srv.hits.filter((h) => h.startsWith('/api/items')).length).toBe(5);
  });

  it('blocks requests the page makes to private addresses, without sending them', async () => {
    const r = await engine.render(`${srv.origin}/gallery`, { policy: { allowHosts: ['127.0.0.1'] }, settleMs: 500, maxScrolls: 1 });
    expect(r.blocked).toContain('http://10.0.0.1/tracker.jpg');
  });

  it('refuses a name that resolves to a private address, judged by the proxy at connect time: page, images and evidence', async () => {
    // The egress proxy resolves rebind.test to 127.0.0.1, which the site does not allow by that name.
    // (test/security/browser-egress.test.ts holds the full set: redirects, frames, WebSockets, rebinding.)
    const staged = await BrowserEngine.launch({ resolve: testResolver({ 'rebind.test': ['127.0.0.1'] }) });
    try {
      const port = new URL(srv.origin).port;
      const before = srv.hits.length;
      const page = await staged.render(`http://rebind.test:${port}/plain`, { policy: { allowHosts: [] }, settleMs: 200, maxScrolls: 1 });
      expect(page).toMatchObject({ ok: false, message: expect.stringMatching(/refused by the SSRF guard: The host 'rebind.test' resolves to a loopback address/) });
      expect(page.blocked).toContain(`http://rebind.test:${port}/plain`);
      // A page on an allowed host whose image sits on that name: the image is refused, never requested.
      const mixed = await staged.render(`${srv.origin}/rebound-image`, { policy: { allowHosts: ['127.0.0.1'] }, settleMs: 300, maxScrolls: 1 });
      expect(mixed.ok).toBe(true);
      if (!mixed.ok) return;
      expect(mixed.media.map((m) => m.url)).toEqual([`${srv.origin}/img/41.jpg`]);
      expect(mixed.blocked).toContain(`http://rebind.test:${port}/img/40.jpg`);
      const evidence = await staged.captureEvidence(`http://rebind.test:${port}/plain`, `http://rebind.test:${port}/img/41.jpg`, { policy: { allowHosts: [] }, settleMs: 100 });
      expect(evidence).toEqual({ error: expect.stringMatching(/not taken: the SSRF guard refused the page/) });
      // Of all that, only the allowed page and its allowed image reached the server.
      expect(srv.hits.slice(before).sort()).toEqual(['/img/41.jpg', '/rebound-image']);
    } finally {
      await staged.close();
    }
  });

  it('refuses to render a page on a host the site does not allow', async () => {
    const r = await engine.render(`${srv.origin}/gallery`, { policy: { allowHosts: [] }, settleMs: 200 });
    expect(r.ok).toBe(false);
    expect(r.blocked).toContain(`${srv.origin}/gallery`);
  });

  it('reports an HTTP error page as a failed render', async () => {
    const r = await engine.render(`${srv.origin}/broken`, { policy: { allowHosts: ['127.0.0.1'] }, settleMs: 200 });
    expect(r).toMatchObject({ ok: false, message: expect.stringMatching(/HTTP status 500/) });
  });

  it('reuses one context for a site, skips fonts and video streams (keeping the video URL), and keeps nothing of one page in the next', async () => {
    // A policy no other test uses: this site's context is new here.
    const opts = { policy: { allowHosts: ['127.0.0.1', 'localhost'] }, settleMs: 300, maxScrolls: 1 };
    const before = engine.stats();
    const styled = await engine.render(`${srv.origin}/styled`, opts);
    expect(styled.ok).toBe(true);
    if (!styled.ok) return;
    expect(styled.media.find((m) => m.url.endsWith('/img/40.jpg'))?.sniffed?.format).toBe('jpeg');
    expect(styled.media.find((m) => m.url.endsWith('/v.mp4'))).toEqual({ url: `${srv.origin}/v.mp4`, kind: 'video' });
    expect(srv.hits).not.toContain('/f.woff2');
    expect(srv.hits).not.toContain('/v.mp4');
    const plain = await engine.render(`${srv.origin}/plain`, opts);
    expect(plain.ok && plain.media.map((m) => m.url)).toEqual([`${srv.origin}/img/41.jpg`]);
    // Two renders at once take two pages of the one context; both go back to the idle list.
    await Promise.all([engine.render(`${srv.origin}/plain`, opts), engine.render(`${srv.origin}/styled`, opts)]);
    expect(engine.stats()).toEqual({ contexts: before.contexts + 1, idlePages: before.idlePages + 2, contextsOpened: before.contextsOpened + 1 });
  });

  it('replaces a site\'s context after its quota of renders (bounding the cache Chromium keeps per context), without losing a render', async () => {
    const small = await BrowserEngine.launch({ contextRenders: 3 });
    try {
      const opts = { policy: { allowHosts: ['127.0.0.1'] }, settleMs: 100, maxScrolls: 1 };
      // Seven renders, two at a time, so a context is retired while a page of it is still out.
      const urls = Array.from({ length: 7 }, (_, i) => `${srv.origin}/${i % 2 ? 'plain' : 'styled'}`);
      const results = [];
      for (let i = 0; i < urls.length; i += 2) results.push(...(await Promise.all(urls.slice(i, i + 2).map((u) => small.render(u, opts)))));
      expect(results.every((r) => r.ok)).toBe(true);
      // Each render captured its own page's image (styled: 40, plain: 41).
      expect(results.map((r) => r.ok && r.media.some((m) => m.url.endsWith(`/img/${r.url.endsWith('/plain') ? 41 : 40}.jpg`)))).toEqual(Array(7).fill(true));
      // Renders 1-3 in the first context, 4-6 in the second, 7 in the third; only the current one is open.
      expect(small.stats()).toMatchObject({ contexts: 1, contextsOpened: 3 });
      expect(small.stats().idlePages).toBeGreaterThan(0);
    } finally {
      await small.close();
    }
  });

  it('takes an evidence screenshot with the page HTML', async () => {
    const r = await engine.captureEvidence(`${srv.origin}/gallery`, `${srv.origin}/img/0.jpg`, { policy: { allowHosts: ['127.0.0.1'] }, settleMs: 500 });
    expect('screenshot' in r && r.screenshot.length).toBeGreaterThan(1000);
    expect('html' in r && r.html).toContain('/img/0.jpg');
  });

  it('says how to install Chromium when it is missing, and names a configured path that does not exist', async () => {
    expect(() => findChromium({ searchPaths: ['/nonexistent/chromium'] })).toThrow(/apt-get install -y chromium/);
    expect(() => findChromium({ executablePath: '/nonexistent/chromium' })).toThrow(/not found at \/nonexistent\/chromium, the configured path/);
    // A configured path is used as given, not replaced by a search.
    await expect(BrowserEngine.launch({ executablePath: '/nonexistent/chromium' })).rejects.toThrow(/configured path/);
  });
});
