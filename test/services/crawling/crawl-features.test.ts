/**
 * A crawl asks for a crawled image's local features only when they can match something: while some
 * registered picture in the service's match index has features (STAYDOWN_CRAWL_FEATURES=auto, the
 * default), always (on) or never (off). Real PostgreSQL, the service's match index, the process's pool.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../support/db.ts';
import { useTempDir } from '../../support/tmp.ts';
import { ADMIN, serviceContext } from '../../support/service.ts';
import { fixtureImage } from '../../crawler/support/fixture-images.ts';
import { registerMaterial } from '../../crawler/support/registered-material.ts';
import { createMatcher, type Matcher } from '../../../services/matching/change-feed.ts';
import { crawlDeps, crawlFingerprintOptions, wantQueryFeatures } from '../../../services/crawling/crawl-runtime.ts';
import { openCase } from '../../../services/cases/cases.ts';
import { registerMaterialFile } from '../../../services/cases/materials.ts';
import type { CrawlFeatures } from '../../../services/platform/config.ts';
import type { ServiceContext } from '../../../services/platform/context.ts';

const db = useTestDatabase('crawl_features');
const tmp = useTempDir('crawl-features');
let ctx: ServiceContext;
let matcher: Matcher;
let crawled: Buffer;

beforeAll(async () => {
  ctx = await serviceContext(db(), join(tmp(), 'data'));
  // Registered without local features (as material registered before they existed).
  await registerMaterial(ctx.sql, 'C-FEAT-1', { m: await fixtureImage(811) }, ctx.masterKey);
  matcher = await createMatcher(ctx.sql, ctx.log);
  crawled = await fixtureImage(812, 480, 360);
}, 120_000);

afterAll(async () => {
  await matcher?.close();
});

async function crawlFingerprint(features: CrawlFeatures) {
  const runtime = crawlDeps(ctx.sql, ctx.masterKey, matcher, ctx.log, { pool: ctx.fingerprints, features });
  try {
    return await runtime.deps.fingerprint(Buffer.from(crawled));
  } finally {
    await runtime.close();
  }
}

describe("a crawl's local features", () => {
  it('follow the setting: auto only while some reference has features, on always, off never', () => {
    expect([wantQueryFeatures('auto', 0), wantQueryFeatures('auto', 3), wantQueryFeatures('on', 0), wantQueryFeatures('off', 3)]).toEqual([false, true, true, false]);
    expect(crawlFingerprintOptions({ features: true })).toMatchObject({ views: 'query', features: 'query' });
    expect(crawlFingerprintOptions({ features: false })).not.toHaveProperty('features');
    expect(crawlFingerprintOptions({ pass: 'pdq', features: true })).toMatchObject({ views: 'none' });
    expect(crawlFingerprintOptions({ pass: 'pdq', features: true })).not.toHaveProperty('features');
  });

  it('are skipped while no registered picture has any, and computed once one is registered with them', { timeout: 180_000 }, async () => {
    expect(matcher.materials).toBe(1);
    expect(matcher.withFeatures).toBe(0);
    const without = await crawlFingerprint('auto');
    expect(without.kind).toBe('image');
    expect(without).not.toHaveProperty('features');
    // The whole-picture hashes are the same either way: no PDQ match is lost by skipping them.
    const forced = await crawlFingerprint('on');
    expect(typeof (forced as { features?: unknown }).features).toBe('string');
    expect(forced.kind === 'image' && without.kind === 'image' && forced.views).toEqual(without.kind === 'image' && without.views);

    const c = await openCase(ctx, ADMIN);
    const path = join(tmp(), 'photo.jpg');
    writeFileSync(path, await fixtureImage(813, 640, 480));
    await registerMaterialFile(ctx, ADMIN, c.code, path);
    await matcher.refresh();
    expect(matcher.withFeatures).toBe(1);
    expect(typeof ((await crawlFingerprint('auto')) as { features?: unknown }).features).toBe('string');
    expect(await crawlFingerprint('off')).not.toHaveProperty('features');
  });
});
