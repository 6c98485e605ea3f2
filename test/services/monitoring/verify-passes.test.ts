/**
 * How a removal check fingerprints what it downloads (services/monitoring/verify.ts): an image with PDQ
 * alone first, the full query only when that finds nothing, local features only when the material has
 * some (or as STAYDOWN_CRAWL_FEATURES says). Real local server, real fingerprinting pool; every
 * fingerprint asked for is recorded on its way to the pool.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../../crawler/support/local-server.ts';
import { fixtureImage } from '../../crawler/support/fixture-images.ts';
import { makeMp4 } from '../../crawler/support/videos.ts';
import { rescaledCopy } from '../../support/images.ts';
import { fingerprintBuffer } from '../../../hashing/fingerprint.ts';
import { ReferenceMatcher } from '../../../hashing/match/matcher.ts';
import { FingerprintPool } from '../../../hashing/pool/fingerprint-pool.ts';
import { MemoryHostSlots } from '../../../crawler/politeness.ts';
import { crawlFingerprintOptions } from '../../../services/crawling/index.ts';
import type { CrawlFeatures } from '../../../services/platform/config.ts';
import { RemovalVerifier, type FingerprintRequest, type VerifySite } from '../../../services/monitoring/verify.ts';

let server: LocalServer;
let pool: FingerprintPool;
let dir: string;
const bytes: Record<string, Buffer> = {};
const site: VerifySite = { allowHosts: ['127.0.0.1'], minIntervalMs: 0, concurrency: 4 };
/** The material registered with its local features ('mf'), and without ('m'); a video ('v'). */
const refs: Record<string, ReferenceMatcher> = {};
/** Every fingerprint a verifier asked the pool for: which file (by name) and which pass. */
const asked: Array<{ file: string } & FingerprintRequest> = [];
const verifiers: RemovalVerifier[] = [];

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const nameOf = (b: Uint8Array) => Object.entries(bytes).find(([, v]) => sha(v) === sha(b))?.[0] ?? 'other';

function verifier(features?: CrawlFeatures): RemovalVerifier {
  const v = new RemovalVerifier({
    fingerprint: (b, req) => {
      asked.push({ file: nameOf(b), ...req });
      return pool.fingerprint(b, { options: crawlFingerprintOptions(req) });
    },
    reference: async (id) => refs[id] ?? null,
    hostSlots: new MemoryHostSlots(),
    ...(features ? { features } : {}),
  });
  verifiers.push(v);
  return v;
}

const page = (body: string) => (_req: unknown, res: import('node:http').ServerResponse) => {
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.end(`<!doctype html><html><body>${body}</body></html>`);
};
const serve = (name: string, type = 'image/jpeg') => (_req: unknown, res: import('node:http').ServerResponse) => {
  res.setHeader('content-type', type);
  res.end(bytes[name]);
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sd-verify-passes-'));
  const material = await fixtureImage(71, 480, 360);
  bytes.material = material;
  bytes.reencoded = await rescaledCopy(material, 400, 300, 60);
  // Wide white borders around the picture: plain PDQ misses it, the 'trim' view of the full query finds it.
  bytes.framed = await sharp(material).extend({ top: 120, bottom: 120, left: 160, right: 160, background: '#fff' }).jpeg({ quality: 85 }).toBuffer();
  // The picture beside another one: only local features find it.
  bytes.beside = await sharp({ create: { width: 960, height: 360, channels: 3, background: '#fff' } })
    .composite([{ input: material, left: 0, top: 0 }, { input: await fixtureImage(400, 480, 360), left: 480, top: 0 }]).jpeg({ quality: 85 }).toBuffer();
  bytes.video = makeMp4(dir, 'clip.mp4', 3);
  refs.m = new ReferenceMatcher();
  refs.m.add('m', await fingerprintBuffer(material));
  refs.mf = new ReferenceMatcher();
  refs.mf.add('mf', await fingerprintBuffer(material, { features: 'reference' }));
  refs.v = new ReferenceMatcher();
  refs.v.add('v', await fingerprintBuffer(bytes.video));
  server = await startLocalServer({
    '/up/post': page('<img src="/up/file.jpg">'),
    '/up/file.jpg': serve('reencoded'),
    '/framed/post': page('<img src="/framed/new.jpg">'),
    '/framed/new.jpg': serve('framed'),
    '/beside/post': page('<img src="/beside/new.jpg">'),
    '/beside/new.jpg': serve('beside'),
    '/video/post': page('<video src="/video/clip.mp4"></video>'),
    '/video/clip.mp4': serve('video', 'video/mp4'),
  });
  pool = new FingerprintPool();
}, 120_000);

afterAll(async () => {
  for (const v of verifiers) await v.close();
  await pool?.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function check(v: RemovalVerifier, materialId: string, pagePath: string, mediaPath: string) {
  asked.length = 0;
  return v.check({ pageUrl: `${server.origin}${pagePath}`, mediaUrl: `${server.origin}${mediaPath}`, materialId, site });
}

describe('removal checks fingerprint in two passes', () => {
  it('a file still up is settled by the PDQ pass alone, fetched once though the page shows it too', async () => {
    const before = server.hits.filter((h) => h === '/up/file.jpg').length;
    const r = await check(verifier(), 'mf', '/up/post', '/up/file.jpg');
    expect(r.result).toBe('present');
    expect(asked).toEqual([{ file: 'reencoded', pass: 'pdq', features: false }]);
    expect(server.hits.filter((h) => h === '/up/file.jpg').length - before).toBe(1);
  });

  it('a framed copy on the page, the file gone: the PDQ pass misses it and the full pass finds it', async () => {
    const r = await check(verifier(), 'm', '/framed/post', '/framed/gone.jpg');
    expect(r.result).toBe('present');
    expect(r.observations.pageMedia).toEqual({ checked: 1, matching: 1, unknown: 0 });
    expect(asked).toEqual([{ file: 'framed', pass: 'pdq', features: false }, { file: 'framed', pass: 'full', features: false }]);
    // The first pass alone would not have found it: the full pass is what keeps the verdict right.
    expect(refs.m.match(await fingerprintBuffer(bytes.framed, crawlFingerprintOptions({ pass: 'pdq', features: false })))).toEqual([]);
  });

  it('the picture shown beside another one: found by the full pass with local features, as the material has them', async () => {
    const r = await check(verifier(), 'mf', '/beside/post', '/beside/gone.jpg');
    expect(r.result).toBe('present');
    expect(asked).toEqual([{ file: 'beside', pass: 'pdq', features: false }, { file: 'beside', pass: 'full', features: true }]);
  });

  it('local features are not computed for a material that has none (they could not match anything)', async () => {
    const r = await check(verifier(), 'm', '/beside/post', '/beside/gone.jpg');
    expect(r.result).toBe('removed');
    expect(asked.filter((a) => a.pass === 'full')).toEqual([{ file: 'beside', pass: 'full', features: false }]);
  });

  it('STAYDOWN_CRAWL_FEATURES=off never computes them, =on always does', async () => {
    const off = await check(verifier('off'), 'mf', '/beside/post', '/beside/gone.jpg');
    expect(off.result).toBe('removed');
    expect(asked.filter((a) => a.pass === 'full')).toEqual([{ file: 'beside', pass: 'full', features: false }]);
    const on = await check(verifier('on'), 'm', '/framed/post', '/framed/gone.jpg');
    expect(on.result).toBe('present');
    expect(asked.filter((a) => a.pass === 'full')).toEqual([{ file: 'framed', pass: 'full', features: true }]);
  });

  it('a video has one pass only, and the same bytes are not fingerprinted twice by one verifier', async () => {
    const v = verifier();
    const r = await check(v, 'v', '/video/post', '/video/clip.mp4');
    expect(r.result).toBe('present');
    expect(asked).toEqual([{ file: 'video', pass: 'full', features: false }]);
    const again = await check(v, 'v', '/video/post', '/video/clip.mp4');
    expect(again.result).toBe('present');
    expect(asked).toEqual([]);
  }, 60_000);

  it('fingerprinting stopped by the watchdog leaves the check unknown, never removed (a hostile file cannot pass for gone)', async () => {
    const v = new RemovalVerifier({
      // A watchdog of 1 ms: the worker is stopped before it can say anything about the file.
      fingerprint: (b, req) => pool.fingerprint(b, { options: crawlFingerprintOptions(req), timeoutMs: 1 }),
      reference: async (id) => refs[id] ?? null,
      hostSlots: new MemoryHostSlots(),
    });
    verifiers.push(v);
    const r = await check(v, 'm', '/nothing/here', '/up/file.jpg');
    expect(r.result).toBe('unknown');
    expect(r.reason).toMatch(/fingerprinting failed: Fingerprinting the file took longer than 0.001 s and was stopped/);
    // The same pool still fingerprints the next file: only that worker was replaced.
    expect(await check(verifier(), 'm', '/nothing/here', '/up/file.jpg')).toMatchObject({ result: 'present' });
  }, 60_000);

  it('fingerprinting that fails (the pool closed as the service stops) leaves the check unknown, never removed', async () => {
    const closed = new FingerprintPool({ size: 1 });
    await closed.close();
    const v = new RemovalVerifier({
      fingerprint: (b, req) => closed.fingerprint(b, { options: crawlFingerprintOptions(req) }),
      reference: async (id) => refs[id] ?? null,
      hostSlots: new MemoryHostSlots(),
    });
    verifiers.push(v);
    // The page is gone and the media URL serves bytes that were never compared with the material.
    const r = await check(v, 'm', '/nothing/here', '/up/file.jpg');
    expect(r.result).toBe('unknown');
    expect(r.reason).toMatch(/^Not verified: the media URL could not be checked \(fingerprinting failed: The fingerprinting pool is closed/);
  });
});
