/**
 * The media pipeline of a crawl: each candidate is downloaded once per content (media already recorded by
 * URL on that page is matched again from its stored fingerprint, bytes already fingerprinted are found by
 * sha256), fingerprinted, recorded, and matched; a match becomes an alert with evidence.
 */
import { createHash } from 'node:crypto';
import type { Fingerprint } from '../hashing/types.ts';
import type { SiteCrawl } from './crawl-context.ts';
import { captureEvidence } from './evidence.ts';
import type { MediaCandidate } from './extract.ts';
import { downloadMedia, type Downloaded } from './media-download.ts';

/** A small bounded-concurrency map; results are not needed, only completion. */
export async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(workers);
}

async function matchAndAlert(crawl: SiteCrawl, fp: Fingerprint, pageUrl: string, mediaUrl: string, html: string | null, bytes: Buffer | null = null): Promise<void> {
  const { deps, site, stats } = crawl;
  const hits = await deps.matcher.match(fp);
  stats.matches += hits.length;
  for (const hit of hits) {
    const created = await deps.alerts.raise({ siteId: site.id, pageUrl, mediaUrl, sha256: fp.sha256, hit }, () => captureEvidence(crawl, pageUrl, mediaUrl, html, fp, bytes));
    if (created) {
      stats.alertsRaised++;
      crawl.log?.info({ site: site.id, case: hit.caseId, material: hit.materialId, method: hit.method }, 'match alert raised');
    }
  }
}

/**
 * A crawled image's local features, and a crawled video's keyframe features, are for matching it now;
 * the stored fingerprint leaves them out (a query's 1,500 keypoints, plus its panels' own in a collage,
 * are ~76 KB of base64 or more; a video's about that per keyframe). Media met again later are matched from the stored fingerprint by their hashes.
 */
function withoutFeatures(fp: Fingerprint): Fingerprint {
  if (fp.kind === 'video') {
    if (fp.keyframes === undefined) return fp;
    const { keyframes: _keyframes, ...rest } = fp;
    return rest;
  }
  if (fp.features === undefined) return fp;
  const { features: _features, ...rest } = fp;
  return rest;
}

/** One candidate found on `pageUrl`; `preloaded`: its bytes when the page load already brought them. */
export async function processMedia(crawl: SiteCrawl, c: MediaCandidate, pageUrl: string, html: string | null, preloaded?: Downloaded): Promise<void> {
  const { deps, site, stats } = crawl;
  stats.mediaFound++;
  const known = await deps.media.seenUrl(site.id, c.url, pageUrl);
  if (known) {
    if (known.fingerprint) await matchAndAlert(crawl, known.fingerprint, pageUrl, c.url, html);
    return;
  }
  const got = preloaded ?? (await downloadMedia(c, crawl.politeFetch, crawl.mediaLimits));
  const base = { siteId: site.id, pageUrl, mediaUrl: c.url };
  if (!got.ok) {
    stats.mediaFailed++;
    await deps.media.record({ ...base, kind: null, sha256: null, byteSize: null, fingerprint: null, error: got.message });
    return;
  }
  stats.mediaDownloaded++;
  const sha256 = createHash('sha256').update(got.body).digest('hex');
  // Read before fingerprinting: a fingerprinting pool takes the bytes over (transferred to a worker).
  const byteSize = got.body.length;
  // A copy for the alert's thumbnail (images only, a memcpy next to the fingerprint's cost).
  const kept = got.kind === 'image' ? Buffer.from(got.body) : null;
  let fp = await deps.media.bySha256(sha256);
  if (!fp) {
    try {
      fp = await deps.fingerprint(got.body);
      stats.mediaFingerprinted++;
    } catch (err) {
      stats.mediaFailed++;
      await deps.media.record({ ...base, kind: got.kind, sha256, byteSize, fingerprint: null, error: `${c.url} could not be fingerprinted: ${(err as Error).message}` });
      return;
    }
  }
  await deps.media.record({ ...base, kind: got.kind, sha256, byteSize, fingerprint: withoutFeatures(fp), error: null });
  await matchAndAlert(crawl, fp, pageUrl, c.url, html, kept);
}
