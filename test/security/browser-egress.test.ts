/**
 * Chromium must not reach what the SSRF guard refuses (the egress proxy, crawler/egress-proxy.ts). A site
 * on 127.0.0.1 (allowed by name) tries every way a page can make the browser connect elsewhere: a
 * redirecting image, a redirecting iframe, a redirecting top-level page, HTTPS and WebSocket tunnels, a
 * prefetch, and names whose DNS answer is private (alone, or mixed with a public one). The refused
 * server sits on 127.0.0.2, a loopback address the site does not allow, and counts every TCP connection
 * it accepts. Each scenario runs twice: through the proxy (nothing may arrive) and, to show the test can
 * see a bypass, with the proxy turned off (each vector must arrive).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserEngine, type RenderOptions } from '../../crawler/browser.ts';
import { startLocalServer, type LocalServer } from '../crawler/support/local-server.ts';
import { fixtureImage } from '../crawler/support/fixture-images.ts';
import { testResolver } from '../crawler/support/test-dns.ts';

interface RefusedServer {
  port: number;
  /** TCP connections accepted: any at all means Chromium reached the refused address. */
  connections: number;
  requests: Array<{ path: string; headers: IncomingHttpHeaders }>;
  upgrades: string[];
  close(): Promise<void>;
}

async function startRefusedServer(): Promise<RefusedServer> {
  const sockets = new Set<Socket>();
  const state = { connections: 0, requests: [] as RefusedServer['requests'], upgrades: [] as string[] };
  const server: Server = createServer((req, res) => {
    state.requests.push({ path: req.url ?? '', headers: req.headers });
    res.setHeader('content-type', req.url?.endsWith('.jpg') ? 'image/jpeg' : 'text/html');
    res.end('<p>internal</p>');
  });
  server.on('connection', (s) => {
    state.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req, socket: Socket) => {
    state.upgrades.push(req.url ?? '');
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve));
  return Object.assign(state, {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  }) as RefusedServer;
}

let site: LocalServer;
let refused: RefusedServer;
const engines: Record<'proxied' | 'bypassed', BrowserEngine | null> = { proxied: null, bypassed: null };
/** Names the proxied engine's site proxies were asked for that no page of these tests used. */
const unasked: string[] = [];

// The proxy's resolver (proxied engine) and Chromium's own (bypassed engine) give the same answers.
const answers = (): Record<string, string[]> => ({ 'refused.test': ['127.0.0.2'], 'third.test': ['127.0.0.1'], 'mixed.test': ['93.184.216.34', '127.0.0.2'] });
const resolverRules = () => `--host-resolver-rules=MAP refused.test 127.0.0.2, MAP third.test 127.0.0.1, MAP mixed.test 127.0.0.2`;

beforeAll(async () => {
  refused = await startRefusedServer();
  const R = `127.0.0.2:${refused.port}`;
  const redirect = (to: string | (() => string)) => (_q: unknown, res: import('node:http').ServerResponse) => { res.statusCode = 302; res.setHeader('location', typeof to === 'string' ? to : to()); res.end(); };
  // The site's own port is known once it listens: these are read per request.
  const third = (path: string) => () => `http://third.test:${site.port}${path}`;
  site = await startLocalServer({
    // Every vector on one page; the page reports back (/done) once its WebSocket has failed or closed.
    '/everything': (_q, res) => res.end(`<!doctype html><html><head><link rel="prefetch" href="http://refused.test:${refused.port}/prefetched"></head><body>
      <img src="/img/1.jpg">
      <img src="/to-refused.jpg">
      <iframe src="/to-refused-frame"></iframe>
      <img src="https://refused.test:${refused.port}/tunnelled.jpg">
      <img src="http://refused.test:${refused.port}/by-name.jpg">
      <img src="http://mixed.test:${refused.port}/mixed.jpg">
      <script>
        const ws = new WebSocket('ws://refused.test:${refused.port}/socket');
        const done = (how) => { const i = new Image(); i.src = '/done?ws=' + how; document.body.appendChild(i); };
        ws.onopen = () => done('open');
        ws.onerror = () => done('error');
      </script></body></html>`),
    '/to-refused.jpg': redirect(`http://${R}/secret.jpg`),
    '/to-refused-frame': redirect(`http://${R}/frame`),
    '/to-refused-top': redirect(`http://${R}/top`),
    '/done': (_q, res) => res.end(),
    // Headers: the site's own requests, a third-party image, and redirects to the third party.
    '/with-third': (_q, res) => res.end(`<!doctype html><html><body>
      <img src="/img/2.jpg"><img src="${third('/img/3.jpg')()}"><img src="/to-third.jpg"><iframe src="/to-third-frame"></iframe></body></html>`),
    '/to-third.jpg': redirect(third('/img/4.jpg')),
    '/to-third-frame': redirect(third('/frame')),
    '/to-third-top': redirect(third('/landing')),
    '/frame': (_q, res) => res.end('<p>frame</p>'),
    '/landing': (_q, res) => res.end('<!doctype html><html><body><p>landing</p><img src="/img/5.jpg"></body></html>'),
  }, async (_q, res, u) => {
    const m = /^\/img\/(\d+)\.jpg$/.exec(u.pathname);
    if (!m) { res.statusCode = 404; return res.end(); }
    res.setHeader('content-type', 'image/jpeg');
    res.end(await fixtureImage(Number(m[1]), 64, 48));
  });
  const table = answers();
  engines.proxied = await BrowserEngine.launch({ resolve: testResolver(table, unasked), extraArgs: [resolverRules()] });
  engines.bypassed = await BrowserEngine.launch({ egressProxy: false, extraArgs: [resolverRules()] });
});

afterAll(async () => {
  await engines.proxied?.close();
  await engines.bypassed?.close();
  await site?.close();
  await refused?.close();
});

const opts: RenderOptions = { policy: { allowHosts: ['127.0.0.1'] }, settleMs: 500, maxScrolls: 1 };
const reset = () => {
  refused.connections = 0;
  refused.requests.length = 0;
  refused.upgrades.length = 0;
};

describe('the browser engine behind its egress proxy', () => {
  it('reaches nothing the guard refuses: redirected image and iframe, HTTPS and WebSocket tunnels, a prefetch, private and mixed DNS answers', async () => {
    reset();
    const hitsBefore = site.hits.length;
    const r = await engines.proxied!.render(`${site.origin}/everything`, opts);
    expect(r.ok).toBe(true);
    // The page's WebSocket has been refused (not opened) by the time the page reports back.
    await expect.poll(() => site.hits.slice(hitsBefore).find((h) => h.startsWith('/done')), { timeout: 10_000 }).toBe('/done?ws=error');
    expect(refused.connections).toBe(0);
    expect(refused.requests).toEqual([]);
    expect(refused.upgrades).toEqual([]);
    // Reported as blocked, each under the URL the page (or the redirect) asked for.
    const R = `127.0.0.2:${refused.port}`;
    expect(r.blocked).toEqual(expect.arrayContaining([`http://${R}/secret.jpg`, `http://${R}/frame`, `https://refused.test:${refused.port}/tunnelled.jpg`, `http://refused.test:${refused.port}/by-name.jpg`, `http://mixed.test:${refused.port}/mixed.jpg`]));
    // The allowed image is still there; nothing from the refused address is offered as media.
    expect(r.ok && r.media.map((m) => m.url)).toEqual([`${site.origin}/img/1.jpg`]);
  });

  it('refuses a top-level page that redirects to a refused address, without connecting to it', async () => {
    reset();
    const r = await engines.proxied!.render(`${site.origin}/to-refused-top`, opts);
    expect(r).toMatchObject({ ok: false, message: expect.stringMatching(/refused by the SSRF guard: The address 127\.0\.0\.2 is loopback/) });
    expect(r.blocked).toContain(`http://127.0.0.2:${refused.port}/top`);
    const evidence = await engines.proxied!.captureEvidence(`${site.origin}/to-refused-top`, `${site.origin}/img/1.jpg`, opts);
    expect(evidence).toEqual({ error: expect.stringMatching(/not taken: the SSRF guard refused the page/) });
    expect(refused.connections).toBe(0);
  });

  it('the same tests see every vector arrive when the proxy is bypassed (they can fail)', async () => {
    reset();
    const r = await engines.bypassed!.render(`${site.origin}/everything`, opts);
    expect(r.ok).toBe(true);
    const paths = () => refused.requests.map((q) => q.path);
    await expect.poll(() => [...paths()].sort(), { timeout: 10_000 }).toEqual(expect.arrayContaining(['/by-name.jpg', '/frame', '/mixed.jpg', '/prefetched', '/secret.jpg']));
    await expect.poll(() => refused.upgrades, { timeout: 10_000 }).toEqual(['/socket']);
    // The HTTPS image: a TCP connection (its TLS handshake fails on this plain server) beyond the requests' own.
    expect(refused.connections).toBeGreaterThan(0);
    const top = await engines.bypassed!.render(`${site.origin}/to-refused-top`, opts);
    expect(top.ok).toBe(true);
    expect(paths()).toContain('/top');
  });

  it("sends a site's headers and cookie to the site's own host only: not to a third-party host, not over a redirect to one", async () => {
    const withHeaders: RenderOptions = {
      policy: { allowHosts: ['127.0.0.1', 'third.test'] },
      headers: { 'X-Site-Token': 'token-of-the-site', Cookie: 'session=cookie-of-the-site' },
      credentialHosts: ['127.0.0.1'],
      settleMs: 300,
      maxScrolls: 1,
    };
    const seenFrom = site.headersSeen.length;
    const page = await engines.proxied!.render(`${site.origin}/with-third`, withHeaders);
    expect(page.ok).toBe(true);
    const top = await engines.proxied!.render(`${site.origin}/to-third-top`, withHeaders);
    expect(top).toMatchObject({ ok: true, url: `http://third.test:${site.port}/landing` });
    const seen = site.headersSeen.slice(seenFrom);
    const own = seen.filter((s) => s.headers.host === `127.0.0.1:${site.port}`);
    const third = seen.filter((s) => s.headers.host === `third.test:${site.port}`);
    expect(own.map((s) => s.path).sort()).toEqual(['/img/2.jpg', '/to-third-frame', '/to-third-top', '/to-third.jpg', '/with-third']);
    expect(third.map((s) => s.path).sort()).toEqual(['/frame', '/img/3.jpg', '/img/4.jpg', '/img/5.jpg', '/landing']);
    for (const s of own) {
      expect(s.headers['x-site-token']).toBe('token-of-the-site');
      expect(s.headers.cookie).toContain('session=cookie-of-the-site');
    }
    for (const s of third) {
      expect(s.headers['x-site-token']).toBeUndefined();
      expect(s.headers.cookie ?? '').not.toContain('cookie-of-the-site');
    }
  });

  it("sends nothing of Chromium's own through a site's proxy: no search preconnect, AI-mode or network-time call", async () => {
    // Chromium keeps only the last --disable-features it is given: a switch of ours once replaced
    // Playwright's list, and Chromium 150 then asked for www.google.com from every site context.
    const r = await engines.proxied!.render(`${site.origin}/landing`, { ...opts, settleMs: 1500 });
    expect(r.ok).toBe(true);
    expect(unasked).toEqual([]);
  });
});
