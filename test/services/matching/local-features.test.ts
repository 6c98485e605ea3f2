/**
 * Local features in the service: registration stores a picture's features (material_features) and
 * tells staff when a file is weak for matching; the service's match index loads them and finds the
 * picture as one tile of a collage; the alert stores where (match_detail) and the alert detail shows
 * it; withdrawing the case stops the match.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { dbAlerts } from '../../../crawler/db-stores.ts';
import { fingerprintBuffer } from '../../../hashing/fingerprint.ts';
import { MATCH_METHODS } from '../../../hashing/match/methods.ts';
import { openCase, withdrawCase } from '../../../services/cases/cases.ts';
import { registerMaterialFile } from '../../../services/cases/materials.ts';
import { createEvidenceSealer } from '../../../services/crawling/evidence-sealer.ts';
import { addSite } from '../../../services/crawling/sites.ts';
import { createMatcher } from '../../../services/matching/change-feed.ts';
import { silentLogger } from '../../../services/platform/log.ts';
import { getAlert } from '../../../services/review/alerts.ts';
import { useTestDatabase } from '../../support/db.ts';
import { syntheticPhoto } from '../../support/images.ts';
import { skimagePhoto } from '../../support/robust-photos.ts';
import { ADMIN, serviceContext } from '../../support/service.ts';
import { useTempDir } from '../../support/tmp.ts';
import { darkWallpaper } from '../../hashing/match/dark-wallpaper.ts';

const db = useTestDatabase('local_features');
const tmp = useTempDir('local-features');

async function collageWith(photo: Buffer): Promise<Buffer> {
  const tile = 340;
  const parts = [];
  for (let k = 0; k < 9; k++) {
    const input = k === 5 ? photo : await syntheticPhoto(300 + k, 480, 480);
    parts.push({ input: await sharp(input).resize(tile, tile, { fit: 'cover' }).png().toBuffer(), left: (k % 3) * tile, top: Math.floor(k / 3) * tile });
  }
  return sharp({ create: { width: 3 * tile, height: 3 * tile, channels: 3, background: '#fff' } }).composite(parts).jpeg({ quality: 80 }).toBuffer();
}

describe('local features in the service', () => {
  it('are stored at registration, find a collage tile, put the region on the alert, and stop with the case', { timeout: 300_000 }, async () => {
    const ctx = await serviceContext(db(), join(tmp(), 'data'));
    const matcher = await createMatcher(ctx.sql, silentLogger());
    try {
      const photo = readFileSync(skimagePhoto('astronaut.png'));
      const c = await openCase(ctx, ADMIN);
      const path = join(tmp(), 'photo.png');
      writeFileSync(path, photo);
      const r = await registerMaterialFile(ctx, ADMIN, c.code, path);
      expect(r.strength).toMatchObject({ level: 'good', reason: 'detailed' });
      expect(r.strength!.sentence).toMatch(/\.$/);
      const [row] = await ctx.sql.query<{ keypoints: number; bytes: number; in_fp: boolean }>(
        "SELECT f.keypoints, length(f.features)::int AS bytes, m.fingerprint ? 'features' AS in_fp FROM material_features f JOIN material m ON m.id = f.material_id WHERE m.id = $1", [r.id]);
      expect(row.keypoints).toBeGreaterThan(100);
      expect(row.bytes).toBe(10 + 38 * row.keypoints);
      expect(row.in_fp).toBe(false);

      const wall = join(tmp(), 'wall.png');
      writeFileSync(wall, await darkWallpaper(3));
      const w = await registerMaterialFile(ctx, ADMIN, c.code, wall);
      expect(w.strength).toMatchObject({ level: 'weak', reason: 'smooth' });
      expect(w.strength!.sentence).toMatch(/PDQ quality \d+ of 100/);

      await matcher.refresh();
      const query = await fingerprintBuffer(await collageWith(photo), { views: 'query', features: 'query' });
      const hits = matcher.match(query);
      expect(hits.map((h) => [h.materialId, h.method])).toEqual([[r.id, MATCH_METHODS.features]]);
      const region = hits[0].detail!.region!;
      expect(region.x).toBeGreaterThan(0.6);
      expect(region.y).toBeGreaterThan(0.3);
      expect(region.y + region.height).toBeLessThan(0.7);
      expect(hits[0].detail!.inliers).toBeGreaterThanOrEqual(12);

      const site = await addSite(ctx, ADMIN, { name: 'features-board', urls: ['http://127.0.0.1:9/'], allowHosts: ['127.0.0.1'], rateMs: 0, concurrency: 1 });
      const sink = dbAlerts(ctx.sql, null, createEvidenceSealer(ctx.sql, ctx.masterKey));
      const raised = await sink.raise(
        { siteId: site.id, pageUrl: 'http://127.0.0.1:9/t/1', mediaUrl: 'http://127.0.0.1:9/m/1.jpg', sha256: query.sha256, hit: hits[0] },
        async () => ({ capturedAt: new Date(), pageUrl: 'http://127.0.0.1:9/t/1', mediaUrl: 'http://127.0.0.1:9/m/1.jpg', html: null, screenshot: null, screenshotError: 'not captured in this test', hashes: { sha256: query.sha256, md5: query.md5 } }),
      );
      expect(raised).toBe(true);
      const [alert] = await ctx.sql.query<{ id: string }>('SELECT id::text FROM crawl_alerts WHERE material_id = $1', [r.id]);
      const detail = await getAlert(ctx, ADMIN, alert.id);
      expect(detail.method).toBe(MATCH_METHODS.features);
      expect(detail.detail).toMatchObject({ region, inliers: hits[0].detail!.inliers });
      expect(detail.confidence).toBe(hits[0].detail!.confidence);
      expect(detail.confidenceDerived).toBe(false);

      await withdrawCase(ctx, ADMIN, c.code);
      await matcher.refresh();
      expect(matcher.match(query)).toEqual([]);
    } finally {
      await matcher.close();
    }
  });
});
