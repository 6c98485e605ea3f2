/**
 * Removal verification against real local servers: the guarded fetcher, the crawl's extractor and
 * fingerprinting pool, and a matcher of the one material. Loopback is allowed explicitly per site, as
 * `--allow-host 127.0.0.1` does (the SSRF guard refuses it otherwise - one test shows that too).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../../crawler/support/local-server.ts';
import { fixtureImage } from '../../crawler/support/fixture-images.ts';
import { rescaledCopy } from '../../support/images.ts';
import { fingerprintBuffer } from '../../../hashing/fingerprint.ts';
import { ReferenceMatcher } from '../../../hashing/match/matcher.ts';
import { FingerprintPool } from '../../../hashing/pool/fingerprint-pool.ts';
import { MemoryHostSlots } from '../../../crawler/politeness.ts';
import { CRAWL_FINGERPRINT_OPTIONS, crawlFingerprintOptions } from '../../../services/crawling/index.ts';
import { RemovalVerifier, type VerifySite } from '../../../services/monitoring/verify.ts';

let server: LocalServer;
let verifier: RemovalVerifier;
let pool: FingerprintPool;
let material: Buffer;
const site: VerifySite = { allowHosts: ['127.0.0.1'], minIntervalMs: 0, concurrency: 4 };

const page = (body: string) => (_req: unknown, res: import('node:http').ServerResponse) => {
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.end(`<!doctype html><html><body>${body}</body></html>`);
};
const image = (bytes: () => Buffer) => (_req: unknown, res: import('node:http').ServerResponse) => {
  res.setHeader('content-type', 'image/jpeg');
  res.end(bytes());
};
const status = (code: number, body = '') => (_req: unknown, res: import('node:http').ServerResponse) => {
  res.statusCode = code;
  res.end(body);
};

beforeAll(async () => {
  material = await fixtureImage(71, 480, 360);
  const reencoded = await rescaledCopy(material, 400, 300, 60);
  const placeholder = await fixtureImage(9001, 200, 150);
  const unrelated = await fixtureImage(555, 320, 240);
  server = await startLocalServer({
    // A deleted post: 200 with a message and a placeholder, the file itself 404.
    '/deleted/post': page('<p>This post was deleted by a moderator.</p><img src="/static/deleted.jpg"><img src="/ads/banner.jpg">'),
    '/static/deleted.jpg': image(() => placeholder),
    '/ads/banner.jpg': image(() => unrelated),
    '/gone/file.jpg': status(404, 'not found'),
    // The file gone, but the page still shows a re-encoded copy.
    '/copy/post': page('<p>reposted</p><img src="/copy/new.jpg">'),
    '/copy/new.jpg': image(() => reencoded),
    // The page 404s but the media URL still serves the material.
    '/still/file.jpg': image(() => material),
    '/slow/post': async (_req, res) => {
      await new Promise((r) => setTimeout(r, 3000));
      res.end('late');
    },
    '/busy/post': status(503, 'maintenance'),
    '/wall/post': page('<form action="/login" method="post"><input name="user"><input type="password" name="pass"></form>'),
    '/forbidden/post': status(403, 'members only'),
    '/replaced/file.jpg': image(() => placeholder),
  });
  pool = new FingerprintPool({ fingerprint: CRAWL_FINGERPRINT_OPTIONS });
  const ref = new ReferenceMatcher();
  ref.add('m1', await fingerprintBuffer(material));
  verifier = new RemovalVerifier({
    fingerprint: (b, req) => pool.fingerprint(b, { options: crawlFingerprintOptions(req) }),
    reference: async (id) => (id === 'm1' ? ref : null),
    hostSlots: new MemoryHostSlots(),
    fetchLimits: { totalTimeoutMs: 1000, idleTimeoutMs: 800, connectTimeoutMs: 800 },
  });
});

afterAll(async () => {
  await verifier?.close();
  await pool?.close();
  await server?.close();
});

const check = (pagePath: string, mediaPath: string, s: VerifySite = site) => verifier.check({ pageUrl: `${server.origin}${pagePath}`, mediaUrl: `${server.origin}${mediaPath}`, materialId: 'm1', site: s });

describe('removal verification on real servers', () => {
  it('media 404 and the page 200 "deleted" with a placeholder image: removed', async () => {
    const r = await check('/deleted/post', '/gone/file.jpg');
    expect(r.result).toBe('removed');
    expect(r.observations.pageMedia).toEqual({ checked: 2, matching: 0, unknown: 0 });
    expect(server.hits).toContain('/static/deleted.jpg');
  });

  it('the media URL replaced by a placeholder and the post page 404: removed', async () => {
    const r = await check('/nothing/here', '/replaced/file.jpg');
    expect(r.result).toBe('removed');
    expect(r.reason).toContain('serves other media');
  });

  it('the page still showing a re-encoded copy: present', async () => {
    const r = await check('/copy/post', '/gone/file.jpg');
    expect(r.result).toBe('present');
    expect(r.observations.pageMedia?.matching).toBe(1);
  });

  it('a page that 404s while its media URL still serves the material: present', async () => {
    const r = await check('/nothing/here', '/still/file.jpg');
    expect(r).toMatchObject({ result: 'present', observations: { page: { kind: 'gone', status: 404 }, media: { kind: 'media', matches: true } } });
  });

  it('a timeout: unknown', async () => {
    const r = await check('/slow/post', '/gone/file.jpg');
    expect(r.result).toBe('unknown');
    expect(r.reason).toMatch(/timeout/);
  });

  it('a 503: unknown', async () => {
    const r = await check('/busy/post', '/gone/file.jpg');
    expect(r.result).toBe('unknown');
    expect(r.reason).toContain('503');
  });

  it('a login wall (a password form): unknown', async () => {
    const r = await check('/wall/post', '/gone/file.jpg');
    expect(r.result).toBe('unknown');
    expect(r.reason).toContain('login wall');
  });

  it('a 403: unknown', async () => {
    const r = await check('/forbidden/post', '/gone/file.jpg');
    expect(r.result).toBe('unknown');
    expect(r.reason).toContain('403');
  });

  it('loopback without --allow-host: refused by the SSRF guard, unknown (never removed)', async () => {
    const r = await check('/deleted/post', '/gone/file.jpg', { ...site, allowHosts: [] });
    expect(r.result).toBe('unknown');
    expect(r.reason).toMatch(/SSRF guard/);
  });

  it('a host that does not resolve: unknown', async () => {
    const r = await verifier.check({ pageUrl: 'http://no-such-host.invalid/p', mediaUrl: 'http://no-such-host.invalid/i.jpg', materialId: 'm1', site: { ...site, allowHosts: ['no-such-host.invalid'] } });
    expect(r.result).toBe('unknown');
  });

  it('a material that no longer matches (case closed): unknown, nothing fetched', async () => {
    const before = server.hits.length;
    const r = await verifier.check({ pageUrl: `${server.origin}/deleted/post`, mediaUrl: `${server.origin}/gone/file.jpg`, materialId: 'gone', site });
    expect(r.result).toBe('unknown');
    expect(server.hits.length).toBe(before);
  });
});
