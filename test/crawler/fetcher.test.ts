import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { Fetcher, DEFAULT_LIMITS } from '../../crawler/fetcher.ts';
import { startLocalServer, type LocalServer } from './support/local-server.ts';

const JPEG_HEAD = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46]);
let srv: LocalServer;
let fetcher: Fetcher;

beforeAll(async () => {
  srv = await startLocalServer({
    '/page': (_q, res) => res.end('<!doctype html><html><body>hi</body></html>'),
    '/hop1': (_q, res) => { res.writeHead(302, { location: '/hop2' }); res.end(); },
    '/hop2': (_q, res) => { res.writeHead(301, { location: '/page' }); res.end(); },
    '/loop-a': (_q, res) => { res.writeHead(302, { location: '/loop-b' }); res.end(); },
    '/loop-b': (_q, res) => { res.writeHead(302, { location: '/loop-a' }); res.end(); },
    '/chain': (_q, res, u) => { const n = Number(u.searchParams.get('n') ?? 0); res.writeHead(302, { location: `/chain?n=${n + 1}` }); res.end(); },
    '/to-private': (_q, res) => { res.writeHead(302, { location: 'http://10.0.0.1/secret' }); res.end(); },
    '/to-metadata': (_q, res) => { res.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/' }); res.end(); },
    '/to-localhost': (_q, res, u) => { res.writeHead(302, { location: `http://localhost:${u.searchParams.get('port')}/page` }); res.end(); },
    '/to-file': (_q, res) => { res.writeHead(302, { location: 'file:///etc/passwd' }); res.end(); },
    '/huge': (_q, res) => {
      // 50 MB, streamed in 64 KiB chunks with no Content-Length: only a streaming cap stops it.
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let sent = 0;
      res.writeHead(200, { 'content-type': 'text/html' });
      const pump = () => {
        while (sent < 50 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => { sent = Infinity; });
      pump();
    },
    '/huge-declared': (_q, res) => { res.writeHead(200, { 'content-length': String(50 * 1024 * 1024) }); res.write('x'); },
    '/drip': (_q, res) => {
      // One byte every 100 ms: never idle long enough for the idle timeout, so only the total limit ends it.
      res.writeHead(200, { 'content-type': 'text/html' });
      const t = setInterval(() => res.write('a'), 100);
      res.on('close', () => clearInterval(t));
    },
    '/jpeg-as-text': (_q, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end(Buffer.concat([JPEG_HEAD, Buffer.alloc(100)])); },
    '/html-as-jpeg': (_q, res) => { res.writeHead(200, { 'content-type': 'image/jpeg' }); res.end('<html><body>Not found</body></html>'); },
    '/gz': (_q, res) => { res.writeHead(200, { 'content-encoding': 'gzip' }); res.end(gzipSync('<html>zipped</html>')); },
    '/gzbomb': (_q, res) => { res.writeHead(200, { 'content-encoding': 'gzip' }); res.end(gzipSync(Buffer.alloc(30 * 1024 * 1024))); },
    '/gone': (_q, res) => { res.statusCode = 410; res.end('gone'); },
    '/cookie-hop': (_q, res, u) => { res.writeHead(302, { location: `http://localhost:${u.searchParams.get('port')}/page` }); res.end(); },
  });
  // Generous limits: other test files load the machine; the slow-drip test sets its own tight total.
  fetcher = new Fetcher({ allowHosts: ['127.0.0.1'] }, { ...DEFAULT_LIMITS, maxBytes: 2 * 1024 * 1024, totalTimeoutMs: 20_000, idleTimeoutMs: 10_000 });
});

afterAll(async () => {
  await fetcher.close();
  await srv.close();
});

describe('Fetcher', () => {
  it('fetches a page and follows redirects by hand, reporting each hop', async () => {
    const r = await fetcher.fetch({ url: `${srv.origin}/hop1` });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.url).toBe(`${srv.origin}/page`);
    expect(r.redirects).toEqual([`${srv.origin}/hop2`, `${srv.origin}/page`]);
    expect(r.sniffed.kind).toBe('html');
    expect(r.body.toString()).toContain('hi');
  });

  it('stops a redirect loop and a redirect chain past the limit', async () => {
    expect(await fetcher.fetch({ url: `${srv.origin}/loop-a` })).toMatchObject({ ok: false, reason: 'redirect-loop' });
    const chain = await fetcher.fetch({ url: `${srv.origin}/chain` });
    expect(chain).toMatchObject({ ok: false, reason: 'too-many-redirects' });
    expect(srv.hits.filter((h) => h.startsWith('/chain')).length).toBe(DEFAULT_LIMITS.maxRedirects + 1);
  });

  it('refuses redirects to private, metadata, non-http and not-allowed loopback hosts without connecting', async () => {
    const priv = await fetcher.fetch({ url: `${srv.origin}/to-private` });
    expect(priv).toMatchObject({ ok: false, reason: 'blocked', url: 'http://10.0.0.1/secret' });
    expect(!priv.ok && priv.message).toMatch(/10\.0\.0\.1 is private/);
    expect(await fetcher.fetch({ url: `${srv.origin}/to-metadata` })).toMatchObject({ ok: false, reason: 'blocked' });
    expect(await fetcher.fetch({ url: `${srv.origin}/to-file` })).toMatchObject({ ok: false, reason: 'blocked' });
    const lh = await fetcher.fetch({ url: `${srv.origin}/to-localhost?port=${srv.port}` });
    expect(lh).toMatchObject({ ok: false, reason: 'blocked' });
    expect(!lh.ok && lh.message).toMatch(/'localhost' resolves to a loopback address/);
  });

  it('refuses a host that is not allowed even as the first URL', async () => {
    const other = new Fetcher({ allowHosts: [] });
    try {
      expect(await other.fetch({ url: `${srv.origin}/page` })).toMatchObject({ ok: false, reason: 'blocked' });
    } finally {
      await other.close();
    }
  });

  it('aborts a 50 MB page at the size cap, with or without Content-Length', async () => {
    const t0 = Date.now();
    const r = await fetcher.fetch({ url: `${srv.origin}/huge` });
    expect(r).toMatchObject({ ok: false, reason: 'too-large' });
    // Stopped at the cap, long before 50 MB could arrive.
    expect(srv.hits).toContain('/huge');
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(await fetcher.fetch({ url: `${srv.origin}/huge-declared` })).toMatchObject({ ok: false, reason: 'too-large' });
  });

  it('gives up on a slow-drip response at the total timeout', async () => {
    const t0 = Date.now();
    const r = await fetcher.fetch({ url: `${srv.origin}/drip`, limits: { totalTimeoutMs: 1_500, idleTimeoutMs: 1_000 } });
    expect(r).toMatchObject({ ok: false, reason: 'timeout' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_400);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('sniffs the real type from magic bytes, whatever the Content-Type says', async () => {
    const a = await fetcher.fetch({ url: `${srv.origin}/jpeg-as-text` });
    expect(a.ok && a.sniffed).toEqual({ kind: 'image', format: 'jpeg' });
    const b = await fetcher.fetch({ url: `${srv.origin}/html-as-jpeg` });
    expect(b.ok && b.sniffed.kind).toBe('html');
  });

  it('decompresses gzip and caps the decompressed size (a gzip bomb is too large)', async () => {
    const g = await fetcher.fetch({ url: `${srv.origin}/gz` });
    expect(g.ok && g.body.toString()).toBe('<html>zipped</html>');
    expect(await fetcher.fetch({ url: `${srv.origin}/gzbomb` })).toMatchObject({ ok: false, reason: 'too-large' });
  });

  it('reports HTTP errors as results', async () => {
    expect(await fetcher.fetch({ url: `${srv.origin}/gone` })).toMatchObject({ ok: false, reason: 'http-status', status: 410 });
  });

  it('sends a site\'s credentials only to its own hosts and drops them when a redirect leaves', async () => {
    const both = new Fetcher({ allowHosts: ['127.0.0.1', 'localhost'] });
    try {
      const r = await both.fetch({ url: `${srv.origin}/cookie-hop?port=${srv.port}`, headers: { cookie: 'session=s3cret' }, credentialHosts: ['127.0.0.1'] });
      expect(r.ok).toBe(true);
      const seen = srv.headersSeen.slice(-2);
      expect(seen[0]).toMatchObject({ path: '/cookie-hop', headers: { cookie: 'session=s3cret' } });
      expect(seen[1].path).toBe('/page');
      expect(seen[1].headers.cookie).toBeUndefined();
    } finally {
      await both.close();
    }
  });
});
