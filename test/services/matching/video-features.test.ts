/**
 * Keyframe features in the service, through a real crawl: a registered video keeps its keyframes'
 * features (material_keyframes, not inside the fingerprint); a crawled page with a slideshow showing a
 * registered photo raises an alert whose detail says `video-features`, the time, the region and the
 * inliers; a cropped, zoomed and mirrored re-upload of the registered video is found by its keyframes;
 * a video of other pictures raises nothing; withdrawing the case takes the video out of matching and
 * erasing it deletes its keyframes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeRun } from '../../../crawler/crawl-service.ts';
import { MATCH_METHODS } from '../../../hashing/match/methods.ts';
import { eraseCase, openCase, withdrawCase } from '../../../services/cases/cases.ts';
import { registerMaterialFile } from '../../../services/cases/materials.ts';
import { CRAWL_FINGERPRINT_OPTIONS } from '../../../services/crawling/index.ts';
import { crawlDeps } from '../../../services/crawling/crawl-runtime.ts';
import { addSite, startManualRun } from '../../../services/crawling/sites.ts';
import { createMatcher, type Matcher } from '../../../services/matching/change-feed.ts';
import type { ServiceContext } from '../../../services/platform/context.ts';
import { getAlert, listAlerts } from '../../../services/review/alerts.ts';
import { startLocalServer, type LocalServer } from '../../crawler/support/local-server.ts';
import { useTestDatabase } from '../../support/db.ts';
import { seeded } from '../../support/partial-edits.ts';
import { skimagePhoto } from '../../support/robust-photos.ts';
import { ADMIN, serviceContext } from '../../support/service.ts';
import { kenBurnsSlideshow, type SlideshowPlan } from '../../support/slideshow.ts';
import { useTempDir } from '../../support/tmp.ts';
import { makeVideo } from '../../support/video-edits.ts';

const SLOW = 300_000;
const db = useTestDatabase('video_features');
const tmp = useTempDir('video-features-service');
const X264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '23', '-pix_fmt', 'yuv420p', '-an'];
let ctx: ServiceContext;
let matcher: Matcher;
let board: LocalServer;
const videos = new Map<string, Buffer>();

async function photo(k: number): Promise<Buffer> {
  const names = ['astronaut.png', 'coffee.png', 'chelsea.png', 'camera.png', 'motorcycle_left.png', 'rocket.jpg'];
  return readFileSync(skimagePhoto(names[k]));
}

let show: SlideshowPlan;
beforeAll(async () => {
  ctx = await serviceContext(db(), join(tmp(), 'data'));
  const p = await Promise.all([0, 1, 2, 4, 5].map(photo));
  show = kenBurnsSlideshow([p[0], p[1], p[2]], { seconds: [3, 4, 5], rng: seeded(21) });
  const other = kenBurnsSlideshow([p[3], p[4]], { seconds: [4, 4], rng: seeded(22) });
  const reupload = makeVideo([], show.path, ['-vf', 'hflip,crop=iw*0.6:ih*0.6:iw*0.3:ih*0.1,scale=-2:360', ...X264]);
  videos.set('/v/show.mp4', readFileSync(show.path));
  videos.set('/v/reupload.mp4', readFileSync(reupload));
  videos.set('/v/other.mp4', readFileSync(other.path));
  board = await startLocalServer({}, (_q, res, u) => {
    if (u.pathname === '/') {
      res.setHeader('content-type', 'text/html');
      return res.end(`<html><body>${[...videos.keys()].map((v) => `<video controls src="${v}"></video>`).join('')}</body></html>`);
    }
    const bytes = videos.get(u.pathname);
    if (!bytes) { res.statusCode = 404; return res.end(); }
    res.writeHead(200, { 'content-type': 'video/mp4' });
    res.end(bytes);
  });
  await addSite(ctx, ADMIN, { name: 'slideshows', urls: [`${board.origin}/`], allowHosts: ['127.0.0.1'], rateMs: 0, concurrency: 2 });
  matcher = await createMatcher(ctx.sql, ctx.log);
}, SLOW);

afterAll(async () => {
  await matcher?.close();
  await board?.close();
});

describe('keyframe features in the service', () => {
  it('are stored for a registered video, raise video-features alerts from a crawl with time and region, and leave with the case', { timeout: SLOW }, async () => {
    const photoCase = await openCase(ctx, ADMIN);
    const photoPath = join(tmp(), 'photo.png');
    writeFileSync(photoPath, await photo(0));
    const registeredPhoto = await registerMaterialFile(ctx, ADMIN, photoCase.code, photoPath);
    const videoCase = await openCase(ctx, ADMIN);
    const videoPath = join(tmp(), 'video.mp4');
    writeFileSync(videoPath, readFileSync(show.path));
    const registeredVideo = await registerMaterialFile(ctx, ADMIN, videoCase.code, videoPath);
    expect(registeredVideo.kind).toBe('video');
    expect(registeredVideo.keyframes).toBeGreaterThanOrEqual(4);
    const rows = await ctx.sql.query<{ n: number; min_kp: number; in_fp: boolean }>(
      "SELECT count(*)::int AS n, min(k.keypoints)::int AS min_kp, bool_or(m.fingerprint ? 'keyframes') AS in_fp FROM material_keyframes k JOIN material m ON m.id = k.material_id WHERE m.id = $1",
      [registeredVideo.id]);
    expect(rows[0]).toMatchObject({ n: registeredVideo.keyframes, in_fp: false });
    expect(rows[0].min_kp).toBeGreaterThan(50);

    await matcher.refresh();
    const { run } = await startManualRun(ctx, ADMIN, 'slideshows');
    const runtime = crawlDeps(ctx.sql, ctx.masterKey, matcher, ctx.log, { pool: ctx.fingerprints });
    try {
      expect((await executeRun(runtime.deps, run.id)).status).toBe('done');
    } finally {
      await runtime.close();
    }
    const alerts = (await listAlerts(ctx, ADMIN)).items;
    const at = (media: string, material: string) => alerts.filter((a) => a.mediaUrl.endsWith(media) && a.material === material);
    expect(alerts.filter((a) => a.mediaUrl.endsWith('/v/other.mp4'))).toEqual([]);

    // The registered photo, zoomed into in the slideshow: found in a keyframe, with when and where.
    const [photoAlert] = at('/v/show.mp4', registeredPhoto.id);
    expect(photoAlert).toBeDefined();
    const photoDetail = await getAlert(ctx, ADMIN, photoAlert.id);
    expect(photoDetail.method).toBe(MATCH_METHODS.videoFeatures);
    expect(photoDetail.detail).toMatchObject({ inliers: expect.any(Number), queryTime: expect.any(Number), keyframes: expect.any(Number), region: { x: expect.any(Number), y: expect.any(Number), width: expect.any(Number), height: expect.any(Number) } });
    expect(photoDetail.detail!.inliers as number).toBeGreaterThanOrEqual(12);
    expect(photoDetail.detail!.queryTime as number).toBeLessThanOrEqual(show.slots[0].end + 0.6);
    expect(photoDetail.confidenceDerived).toBe(false);

    // The registered video itself (same bytes) and its cropped, zoomed, mirrored re-upload (by keyframes).
    expect(at('/v/show.mp4', registeredVideo.id).map((a) => a.method)).toEqual([MATCH_METHODS.exactSha256]);
    const [reuploadAlert] = at('/v/reupload.mp4', registeredVideo.id);
    expect(reuploadAlert).toBeDefined();
    const reuploadDetail = await getAlert(ctx, ADMIN, reuploadAlert.id);
    expect(reuploadDetail.method).toBe(MATCH_METHODS.videoFeatures);
    expect(reuploadDetail.detail).toMatchObject({ mirrored: true, refTime: expect.any(Number), queryTime: expect.any(Number) });

    // Withdrawn: out of matching. Erased: its keyframes are gone with its material.
    const query = await ctx.fingerprints.fingerprint(new Uint8Array(videos.get('/v/reupload.mp4')!), { options: CRAWL_FINGERPRINT_OPTIONS });
    expect(matcher.match(query).some((m) => m.materialId === registeredVideo.id)).toBe(true);
    await withdrawCase(ctx, ADMIN, videoCase.code);
    await matcher.refresh();
    expect(matcher.match(query).some((m) => m.materialId === registeredVideo.id)).toBe(false);
    await eraseCase(ctx, ADMIN, videoCase.code);
    expect((await ctx.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM material_keyframes'))[0].n).toBe(0);
  });
});
