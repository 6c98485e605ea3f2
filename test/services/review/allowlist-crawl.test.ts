/**
 * The allowlist end to end: a local site shows a re-upload of registered material, the crawl raises an
 * alert, a reviewer rejects it with --allowlist on the command line; the page then shows a re-encoded copy
 * and the exact bytes at new URLs (which the matcher still matches) next to another material's re-upload:
 * the next crawl alerts only for the other material, which the reviewer confirms.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { useTestDatabase } from '../../support/db.ts';
import { useTempDir } from '../../support/tmp.ts';
import { ADMIN, childEnv, runCli, serviceContext } from '../../support/service.ts';
import { syntheticPhoto } from '../../support/images.ts';
import { fixtureImage } from '../../crawler/support/fixture-images.ts';
import { startLocalServer, type LocalServer } from '../../crawler/support/local-server.ts';
import { registerMaterial } from '../../crawler/support/registered-material.ts';
import { executeRun } from '../../../crawler/crawl-service.ts';
import { createMatcher, type Matcher } from '../../../services/matching/change-feed.ts';
import { crawlDeps } from '../../../services/crawling/crawl-runtime.ts';
import { addSite, startManualRun } from '../../../services/crawling/sites.ts';
import type { ServiceContext } from '../../../services/platform/context.ts';
import type { Fingerprint } from '../../../hashing/types.ts';
import type { Sql } from '../../../db/sql.ts';
import { createAllowlistFilter } from '../../../services/review/index.ts';

const db = useTestDatabase('review_allowlist');
const tmp = useTempDir('allowlist');

let ctx: ServiceContext;
let site: LocalServer;
let matcher: Matcher;
let reg: Awaited<ReturnType<typeof registerMaterial>>;
/** What the site's page shows: image paths, and the bytes behind each. */
const shown: string[] = [];
const files = new Map<string, Buffer>();
let candidate: Buffer;

async function crawl() {
  const { run } = await startManualRun(ctx, ADMIN, 'allow-board');
  const runtime = crawlDeps(ctx.sql, ctx.masterKey, matcher, undefined, { pool: ctx.fingerprints });
  try {
    const r = await executeRun(runtime.deps, run.id);
    if (r.status !== 'done') throw new Error(`crawl ended ${r.status}`);
    return r.stats;
  } finally {
    await runtime.close();
  }
}

const cli = async (...args: string[]) => runCli(args, childEnv(ctx));
const alertRows = () => ctx.sql.query<{ id: string; material_id: string; media_url: string; status: string }>('SELECT id, material_id, media_url, status FROM crawl_alerts ORDER BY created_at');

beforeAll(async () => {
  ctx = await serviceContext(db(), tmp());
  const originals = { A: await syntheticPhoto(7101, 320, 240), B: await syntheticPhoto(7102, 320, 240) };
  reg = await registerMaterial(ctx.sql, 'C-ALLOW-1', originals, ctx.masterKey);
  // The "false candidate": to the matcher a recompressed, smaller copy of A; to the reviewer, not her.
  candidate = await sharp(originals.A).resize(240).jpeg({ quality: 65 }).toBuffer();
  files.set('/img/a1.jpg', candidate);
  files.set('/img/a2.jpg', await sharp(candidate).resize(200).jpeg({ quality: 45 }).toBuffer());
  files.set('/img/a3.jpg', candidate);
  files.set('/img/b1.jpg', await sharp(originals.B).flop().jpeg({ quality: 80 }).toBuffer());
  for (let i = 0; i < 4; i++) files.set(`/img/other-${i}.jpg`, await fixtureImage(8800 + i));
  shown.push('/img/a1.jpg', '/img/other-0.jpg', '/img/other-1.jpg');
  site = await startLocalServer({
    '/': (_q, res) => {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(`<!doctype html><html><body>${shown.map((p) => `<img src="${p}">`).join('')}</body></html>`);
    },
  }, (_q, res, u) => {
    const bytes = files.get(u.pathname);
    if (!bytes) { res.statusCode = 404; return res.end(); }
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(bytes.length) });
    res.end(bytes);
  });
  await addSite(ctx, ADMIN, { name: 'allow-board', urls: [`${site.origin}/`], allowHosts: ['127.0.0.1'], rateMs: 0, concurrency: 4 });
  matcher = await createMatcher(ctx.sql, ctx.log);
});

afterAll(async () => {
  await matcher?.close();
  await site?.close();
});

describe('rejecting with --allowlist', { timeout: 240_000 }, () => {
  it('the first crawl alerts for the candidate; the CLI lists it as new', async () => {
    const stats = await crawl();
    expect(stats.alertsRaised).toBe(1);
    const list = await cli('alerts', 'list', '--status', 'new', '--json');
    expect(list.stderr).toBe('');
    const alerts = JSON.parse(list.stdout) as Array<Record<string, unknown>>;
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      case: 'C-ALLOW-1', material: reg.materialIds.A, site: 'allow-board', mediaUrl: `${site.origin}/img/a1.jpg`, pageUrl: `${site.origin}/`,
      status: 'new', noticeId: null, method: expect.any(String), distance: expect.any(Number), mediaSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(Number.isNaN(Date.parse(String(alerts[0].createdAt)))).toBe(false);
    const bad = await cli('alerts', 'list', '--status', 'dismissed');
    expect(bad.status).toBe(64);
    expect(bad.stderr).toMatch(/not one of new, confirmed, rejected/);
    const noReason = await cli('alerts', 'reject', String(alerts[0].id));
    expect(noReason.status).toBe(64);
    expect(noReason.stderr).toMatch(/needs a reason/);
  });

  it('reject --allowlist stores the SHA-256 and PDQ for the material, audited as the command line', async () => {
    const [a] = await alertRows();
    const r = await cli('alerts', 'reject', a.id, '--reason', 'not the person in the case', '--allowlist', '--json');
    expect(r.stderr).toBe('');
    const [out] = JSON.parse(r.stdout);
    expect(out).toMatchObject({ id: a.id, status: 'rejected', allowlisted: { pdqHashes: 1 } });
    const [entry] = await ctx.sql.query<{ material_id: string; pdq: string[]; alert_id: string }>('SELECT material_id, pdq, alert_id FROM material_allowlist');
    expect(entry).toMatchObject({ material_id: reg.materialIds.A, alert_id: a.id });
    const [audit] = await ctx.sql.query<{ actor: string; actor_id: string | null; source: string; detail: { allowlisted: boolean } }>(
      `SELECT actor, actor_id, source, detail FROM audit_log WHERE action = 'alert.reject' AND record_id = $1`, [a.id]);
    expect(audit).toMatchObject({ actor: expect.stringMatching(/^cli:/), actor_id: null, source: 'cli', detail: { allowlisted: true } });
    const flip = await cli('alerts', 'confirm', a.id);
    expect(flip.status).toBe(1);
    expect(flip.stderr).toMatch(/already rejected and cannot be confirmed now/);
  });

  it('a re-encoded copy and the same bytes at new URLs no longer alert; another material\'s re-upload does, and is confirmed', async () => {
    shown.splice(0, shown.length, '/img/a2.jpg', '/img/a3.jpg', '/img/b1.jpg', '/img/other-2.jpg', '/img/other-3.jpg');
    const stats = await crawl();
    expect(stats.alertsRaised).toBe(1);
    const rows = await alertRows();
    expect(rows.map((r) => [r.material_id, r.media_url.replace(site.origin, ''), r.status])).toEqual([
      [reg.materialIds.A, '/img/a1.jpg', 'rejected'],
      [reg.materialIds.B, '/img/b1.jpg', 'new'],
    ]);
    // Not vacuous: without the allowlist, the matcher still matches the copies to A.
    for (const url of ['/img/a2.jpg', '/img/a3.jpg']) {
      const [m] = await ctx.sql.query<{ fingerprint: Fingerprint }>('SELECT fingerprint FROM crawl_media WHERE media_url = $1', [`${site.origin}${url}`]);
      expect(matcher.match(m.fingerprint).map((h) => h.materialId), url).toEqual([reg.materialIds.A]);
    }
    const confirm = await cli('alerts', 'confirm', rows[1].id, '--json');
    expect(confirm.stderr).toBe('');
    expect(JSON.parse(confirm.stdout)).toMatchObject([{ id: rows[1].id, status: 'confirmed', material: reg.materialIds.B, noticeId: null }]);
    const confirmed = JSON.parse((await cli('alerts', 'list', '--status', 'confirmed', '--site', 'allow-board', '--json')).stdout);
    expect(confirmed.map((x: { id: string }) => x.id)).toEqual([rows[1].id]);
  });

  it('the filter is cheap: no query without hits, one small query per matched media once a material is cached', async () => {
    let queries = 0;
    const counting: Sql = { ...ctx.sql, query: (text, values) => { queries++; return ctx.sql.query(text, values); } };
    const filter = createAllowlistFilter(counting);
    const [m] = await ctx.sql.query<{ fingerprint: Fingerprint }>('SELECT fingerprint FROM crawl_media WHERE media_url = $1', [`${site.origin}/img/a2.jpg`]);
    const hits = matcher.match(m.fingerprint);
    expect(await filter.filter(m.fingerprint, [])).toEqual([]);
    expect(queries).toBe(0);
    expect(await filter.filter(m.fingerprint, hits)).toEqual([]);
    expect(queries).toBe(2);
    const t0 = performance.now();
    for (let i = 0; i < 100; i++) await filter.filter(m.fingerprint, hits);
    const perCall = (performance.now() - t0) / 100;
    expect(queries).toBe(102);
    // An exact match of the registered bytes is never filtered, and costs nothing.
    expect(await filter.filter(m.fingerprint, [{ materialId: reg.materialIds.A, method: 'exact-sha256' }])).toHaveLength(1);
    expect(queries).toBe(102);
    console.log(`allowlist filter, cached material: ${perCall.toFixed(2)} ms per matched media`);
  });
});
