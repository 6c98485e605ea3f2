/** The egress proxy on its own, spoken to as Chromium speaks to it: absolute-URI requests and CONNECT. */
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorityOf, REFUSED_HEADER, startEgressProxy, type EgressProxy } from '../../crawler/egress-proxy.ts';
import { startLocalServer, type LocalServer } from './support/local-server.ts';
import { testResolver } from './support/test-dns.ts';

let site: LocalServer;
let proxy: EgressProxy;

beforeAll(async () => {
  site = await startLocalServer({ '/hello': (q, res) => res.end(`hello ${q.headers.host}`) });
  // private.test resolves to the site's loopback address but is not allowed by name; mixed.test mixes answers;
  // junk.test gets an answer that is not an address (as a resolver that echoes unknown names would give).
  proxy = await startEgressProxy({
    policy: { allowHosts: ['127.0.0.1'] },
    resolve: testResolver({ 'private.test': ['127.0.0.1'], 'mixed.test': ['93.184.216.34', '127.0.0.1'], 'junk.test': ['www.google.com'] }),
  });
});

afterAll(async () => {
  await proxy?.close();
  await site?.close();
});

function viaProxy(url: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const p = new URL(proxy.server);
  return new Promise((resolve, reject) => {
    const req = request({ host: p.hostname, port: p.port, path: url, headers: { host: new URL(url).host, 'proxy-connection': 'keep-alive' } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends CONNECT and returns the proxy's status line and, for a tunnel, one HTTP exchange through it. */
function tunnel(authority: string): Promise<string> {
  const p = new URL(proxy.server);
  return new Promise((resolve, reject) => {
    const s: Socket = connect(Number(p.port), p.hostname, () => s.write(`CONNECT ${authority} HTTP/1.1\r\nhost: ${authority}\r\n\r\n`));
    let text = '';
    let sent = false;
    s.on('data', (d) => {
      text += d;
      if (!sent && text.startsWith('HTTP/1.1 200') && text.includes('\r\n\r\n')) {
        sent = true;
        s.write(`GET /hello HTTP/1.1\r\nhost: ${authority}\r\nconnection: close\r\n\r\n`);
      }
    });
    s.on('end', () => resolve(text));
    s.on('error', reject);
  });
}

describe('egress proxy', () => {
  it('forwards an allowed plain-HTTP request, the Host header as the client wrote it', async () => {
    const r = await viaProxy(`${site.origin}/hello`);
    expect(r).toMatchObject({ status: 200, body: `hello 127.0.0.1:${site.port}` });
    expect(site.headersSeen.at(-1)?.headers['proxy-connection']).toBeUndefined();
  });

  it('refuses names whose answer is private (alone or mixed with a public one), before connecting, and records why', async () => {
    const hits = site.hits.length;
    for (const host of ['private.test', 'mixed.test']) {
      const r = await viaProxy(`http://${host}:${site.port}/hello`);
      expect(r.status).toBe(403);
      expect(r.headers[REFUSED_HEADER]).toBe('1');
      expect(r.body).toMatch(new RegExp(`The host '${host}' resolves to a loopback address`));
      expect(proxy.refusedAuthority(`${host}:${site.port}`)).toBe(r.body);
    }
    expect(await tunnel(`private.test:${site.port}`)).toMatch(/^HTTP\/1\.1 403 Forbidden/);
    expect(await tunnel(`127.0.0.2:${site.port}`)).toMatch(/^HTTP\/1\.1 403 Forbidden[\s\S]*127\.0\.0\.2 is loopback/);
    expect(site.hits.length).toBe(hits);
  });

  it('refuses a name whose answer is not an address, with the reason, and goes on serving', async () => {
    const hits = site.hits.length;
    const r = await viaProxy(`http://junk.test:${site.port}/hello`);
    expect(r).toMatchObject({ status: 403, body: expect.stringMatching(/'junk.test' resolved to 'www.google.com', which is not an IP address/) });
    expect(await tunnel(`junk.test:443`)).toMatch(/^HTTP\/1\.1 403 Forbidden[\s\S]*not an IP address/);
    expect(site.hits.length).toBe(hits);
    expect(await viaProxy(`${site.origin}/hello`)).toMatchObject({ status: 200 });
  });

  it('tunnels CONNECT to an allowed host', async () => {
    const text = await tunnel(`127.0.0.1:${site.port}`);
    expect(text).toMatch(/^HTTP\/1\.1 200 Connection Established\r\n\r\nHTTP\/1\.1 200 OK[\s\S]*hello 127\.0\.0\.1:/);
  });

  it('writes authorities as CONNECT does, default ports included', () => {
    expect(authorityOf('https://a.example/x')).toBe('a.example:443');
    expect(authorityOf('ws://a.example/s')).toBe('a.example:80');
    expect(authorityOf('http://[::1]:8080/')).toBe('[::1]:8080');
  });
});
