/**
 * Re-uploads through real crawls: a board shows the material, the alert is confirmed; later a second
 * board shows the exact same bytes (confirmed by the system at once, recorded and audited as such) and an
 * edited copy (a re-upload that waits for a person, listed first with the material's history).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { useTestDatabase } from '../../support/db.ts';
import { useTempDir } from '../../support/tmp.ts';
import { ADMIN, serviceContext } from '../../support/service.ts';
import { syntheticPhoto } from '../../support/images.ts';
import { fixtureImage } from '../../crawler/support/fixture-images.ts';
import { startLocalServer, type LocalServer } from '../../crawler/support/local-server.ts';
import { registerMaterial } from '../../crawler/support/registered-material.ts';
import { executeRun } from '../../../crawler/crawl-service.ts';
import { createMatcher, type Matcher } from '../../../services/matching/change-feed.ts';
import { crawlDeps } from '../../../services/crawling/crawl-runtime.ts';
import { addSite, startManualRun } from '../../../services/crawling/sites.ts';
import { confirmAlerts } from '../../../services/review/index.ts';
import { getAlert, listAlerts } from '../../../services/review/alerts.ts';
import type { ServiceContext } from '../../../services/platform/context.ts';
import { classifyAlerts } from '../../../services/monitoring/index.ts';

const db = useTestDatabase('monitor_reuploads');
const tmp = useTempDir('monitor-reuploads');
let ctx: ServiceContext;
let matcher: Matcher;
let boardA: LocalServer;
let boardB: LocalServer;
const pages = new Map<LocalServer, string[]>();
const files = new Map<string, Buffer>();

function board(): Promise<LocalServer> {
  let self: LocalServer;
  return startLocalServer({}, (_q, res, u) => {
    if (u.pathname === '/') {
      res.setHeader('content-type', 'text/html');
      return res.end(`<html><body>${(pages.get(self) ?? []).map((p) => `<a href="/post"><img src="${p}"></a>`).join('')}</body></html>`);
    }
    const bytes = files.get(u.pathname);
    if (!bytes) { res.statusCode = 404; return res.end(); }
    res.writeHead(200, { 'content-type': 'image/jpeg' });
    res.end(bytes);
  }).then((s) => (self = s));
}

async function crawl(name: string) {
  const { run } = await startManualRun(ctx, ADMIN, name);
  const runtime = crawlDeps(ctx.sql, ctx.masterKey, matcher, ctx.log, { pool: ctx.fingerprints });
  try {
    const r = await executeRun(runtime.deps, run.id);
    if (r.status !== 'done') throw new Error(`crawl ended ${r.status}`);
  } finally {
    await runtime.close();
  }
}

beforeAll(async () => {
  ctx = await serviceContext(db(), tmp());
  const original = await syntheticPhoto(4401, 360, 270);
  await registerMaterial(ctx.sql, 'C-REUP-1', { m: original }, ctx.masterKey);
  const upload = await sharp(original).resize(300).jpeg({ quality: 80 }).toBuffer();
  files.set('/img/first.jpg', upload);
  files.set('/img/same.jpg', upload);
  files.set('/img/edited.jpg', await sharp(upload).flop().modulate({ brightness: 1.1 }).jpeg({ quality: 60 }).toBuffer());
  files.set('/img/other.jpg', await fixtureImage(4402));
  boardA = await board();
  boardB = await board();
  pages.set(boardA, ['/img/first.jpg', '/img/other.jpg']);
  pages.set(boardB, []);
  await addSite(ctx, ADMIN, { name: 'reup-a', urls: [`${boardA.origin}/`], allowHosts: ['127.0.0.1'], rateMs: 0, concurrency: 4 });
  await addSite(ctx, ADMIN, { name: 'reup-b', urls: [`${boardB.origin}/`], allowHosts: ['127.0.0.1'], rateMs: 0, concurrency: 4 });
  matcher = await createMatcher(ctx.sql, ctx.log);
});

afterAll(async () => {
  await matcher?.close();
  await boardA?.close();
  await boardB?.close();
});

describe('re-uploads', () => {
  it('the first sighting is no re-upload; once confirmed, the same bytes elsewhere are confirmed by the system and an edited copy is a re-upload for review, first in the queue', async () => {
    await crawl('reup-a');
    const first = (await listAlerts(ctx, ADMIN)).items;
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ reupload: false, autoConfirmed: false, status: 'new' });
    await confirmAlerts(ctx, ADMIN, [first[0].id]);

    // The same bytes, and an edited copy, on another board.
    pages.set(boardB, ['/img/edited.jpg', '/img/same.jpg']);
    await crawl('reup-b');
    const all = (await listAlerts(ctx, ADMIN)).items;
    const same = all.find((a) => a.mediaUrl.endsWith('/img/same.jpg'))!;
    const edited = all.find((a) => a.mediaUrl.endsWith('/img/edited.jpg'))!;
    expect(same).toMatchObject({ reupload: true, autoConfirmed: true, status: 'confirmed' });
    expect(edited).toMatchObject({ reupload: true, autoConfirmed: false, status: 'new' });

    const queue = (await listAlerts(ctx, ADMIN, { status: 'new' })).items;
    expect(queue[0].id).toBe(edited.id);
    // The history: where and when it was found, notified, removed; how many times.
    expect(edited.history).toMatchObject({ times: 3, confirmed: 2, notified: 0, removed: 0 });
    expect(edited.history!.sightings.map((s) => s.site)).toEqual(['reup-a', 'reup-b', 'reup-b']);
    const detail = await getAlert(ctx, ADMIN, edited.id);
    expect(detail.history?.times).toBe(3);

    // Recorded as automatic: no person decided; the audit log says so.
    const [row] = await ctx.sql.query<{ decided_by: string | null; decided_at: Date | null }>('SELECT decided_by, decided_at FROM crawl_alerts WHERE id = $1', [same.id]);
    expect(row.decided_by).toBeNull();
    expect(row.decided_at).not.toBeNull();
    const audit = await ctx.sql.query<{ actor: string; detail: Record<string, unknown> }>("SELECT actor, detail FROM audit_log WHERE action = 'alert.confirm' AND record_id = $1", [same.id]);
    expect(audit).toEqual([{ actor: 'system', detail: expect.objectContaining({ automatic: true, reason: 'same-sha256-as-confirmed' }) }]);
  });

  it('re-uploads page first in the review queue, and the cursor neither skips nor repeats', async () => {
    const ids: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await listAlerts(ctx, ADMIN, { limit: 1, ...(after ? { after } : {}) });
      ids.push(...page.items.map((i) => i.id));
      if (!page.next) break;
      after = page.next;
    }
    const all = (await listAlerts(ctx, ADMIN)).items;
    expect(ids).toEqual(all.map((a) => a.id));
    expect(all.map((a) => a.reupload)).toEqual([true, true, false]);
  });

  it('an alert stored while classification failed is classified by the next pass', async () => {
    const [a] = await ctx.sql.query<{ id: string }>("UPDATE crawl_alerts SET reupload = NULL WHERE media_url LIKE '%/img/edited.jpg' RETURNING id::text");
    const r = await classifyAlerts(ctx.sql);
    expect(r).toMatchObject({ classified: 1, reuploads: 1 });
    expect((await ctx.sql.query<{ reupload: boolean }>('SELECT reupload FROM crawl_alerts WHERE id = $1', [a.id]))[0].reupload).toBe(true);
  });
});
