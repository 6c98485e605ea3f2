/**
 * Alerts for review tests, made the way a crawl makes them: a case opened through the service, material
 * registered in the data layer, a site, and the alert with its evidence sealed by the crawl's own sealer.
 */
import { createHash, randomBytes } from 'node:crypto';
import { insertAlertWithEvidence } from '../../../db/queries/crawl-alerts.ts';
import { upsertMedia } from '../../../db/queries/crawl-media.ts';
import { insertMaterial } from '../../../db/queries/material.ts';
import { selectSiteByName } from '../../../db/queries/crawl-sites.ts';
import { openCase, assignCaseStaff } from '../../../services/cases/cases.ts';
import { createEvidenceSealer } from '../../../services/crawling/evidence-sealer.ts';
import { addSite } from '../../../services/crawling/sites.ts';
import type { ServiceContext } from '../../../services/platform/context.ts';
import type { Fingerprint } from '../../../hashing/types.ts';
import { ADMIN } from '../../support/service.ts';

export const SCREENSHOT = Buffer.from('ffd8ffe0 not really a jpeg, but sealed and opened as one', 'utf8');

let n = 0;

export interface SeededAlert {
  id: string;
  caseCode: string;
  materialId: string;
  siteName: string;
  mediaUrl: string;
  html: string;
}

const fakeFingerprint = (sha256: string): Fingerprint => ({
  kind: 'image', sha256, md5: sha256.slice(0, 32), width: 10, height: 10, format: 'jpeg', pdq: { hash: sha256, quality: 100 }, blockhash: sha256, views: [],
});

export async function seedAlert(ctx: ServiceContext, opts: { staffUserId?: string; caseCode?: string; siteName?: string; method?: string; distance?: number } = {}): Promise<SeededAlert> {
  const i = n++;
  const caseCode = opts.caseCode ?? (await openCase(ctx, ADMIN, { personal: { label: 'victim label never shown', name: 'Victim Name' } })).code;
  if (opts.staffUserId) await assignCaseStaff(ctx, ADMIN, caseCode, opts.staffUserId);
  const [c] = await ctx.sql.query<{ id: string }>('SELECT id FROM cases WHERE code = $1', [caseCode]);
  const matSha = createHash('sha256').update(randomBytes(16)).digest('hex');
  const material = (await insertMaterial(ctx.sql, { caseId: c.id, kind: 'image', sha256: matSha, md5: matSha.slice(0, 32), fingerprint: fakeFingerprint(matSha), byteSize: 1, createdBy: null }))!;
  const siteName = opts.siteName ?? `seed-${i}-${randomBytes(3).toString('hex')}`;
  const site = (await selectSiteByName(ctx.sql, siteName)) ?? (await selectSiteByName(ctx.sql, (await addSite(ctx, ADMIN, { name: siteName, urls: ['https://board.example/'] })).name));
  const mediaSha = createHash('sha256').update(randomBytes(16)).digest('hex');
  const mediaUrl = `https://board.example/full/${i}.jpg`;
  const pageUrl = `https://board.example/thread/${i}`;
  await upsertMedia(ctx.sql, { siteId: site!.id, pageUrl, mediaUrl, kind: 'image', sha256: mediaSha, byteSize: 1, fingerprint: fakeFingerprint(mediaSha), error: null });
  const seal = createEvidenceSealer(ctx.sql, ctx.masterKey);
  const html = `<html><body><img src="/full/${i}.jpg"><script>alert(1)</script></body></html>`;
  const id = await insertAlertWithEvidence(
    ctx.sql,
    { materialId: material.id, siteId: site!.id, runId: null, pageUrl, mediaUrl, mediaSha256: mediaSha, method: opts.method ?? 'pdq', distance: opts.distance ?? 12 },
    { capturedAt: new Date(), screenshotEncrypted: await seal(material.id, 'screenshot', SCREENSHOT), screenshotError: null, htmlEncrypted: await seal(material.id, 'html', Buffer.from(html)), hashes: { sha256: mediaSha, md5: mediaSha.slice(0, 32) } },
  );
  return { id: id!, caseCode, materialId: material.id, siteName: site!.name, mediaUrl, html };
}
