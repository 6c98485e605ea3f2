/**
 * Evidence for an alert: the page as the browser shows it (a screenshot with the matched media scrolled
 * into view, and the page's HTML at that moment), with the material's hashes. Without a browser, or when
 * the screenshot fails, the alert still gets the HTML the crawl saw and a sentence saying why there is no
 * screenshot: a missing screenshot must never cost an alert. For an image whose bytes the crawl has at
 * hand, a small thumbnail of the candidate itself is kept too (the review queue shows it, veiled, instead
 * of the whole page).
 */
import { thumbnailJpeg } from '../hashing/image-decoder.ts';
import type { Fingerprint } from '../hashing/types.ts';
import type { SiteCrawl } from './crawl-context.ts';
import type { Evidence } from './types.ts';

const EVIDENCE_HTML_CHARS = 2 * 1024 * 1024;
/** Small on purpose: reviewers see as little as the decision needs. */
export const THUMBNAIL_MAX_SIDE = 320;

export async function captureEvidence(crawl: SiteCrawl, pageUrl: string, mediaUrl: string, html: string | null, fp: Fingerprint, mediaBytes: Buffer | null = null): Promise<Evidence> {
  const capturedAt = new Date();
  let screenshot: Buffer | null = null;
  let screenshotError: string | null = null;
  let pageHtml = html;
  try {
    const b = await crawl.browser();
    const shot = await b.captureEvidence(pageUrl, mediaUrl, crawl.renderOptions);
    if ('error' in shot) screenshotError = shot.error;
    else {
      screenshot = shot.screenshot;
      pageHtml = shot.html;
    }
  } catch (err) {
    screenshotError = (err as Error).message;
  }
  let thumbnail: Buffer | null = null;
  // Videos get none yet (a frame grab needs ffmpeg here); the screenshot still shows the page.
  if (mediaBytes && fp.kind === 'image') {
    try {
      thumbnail = await thumbnailJpeg(mediaBytes, THUMBNAIL_MAX_SIDE);
    } catch (err) {
      crawl.log?.warn({ site: crawl.site.id, err: (err as Error).message }, 'no thumbnail for the alert');
    }
  }
  return {
    capturedAt,
    thumbnail,
    pageUrl,
    mediaUrl,
    html: pageHtml === null ? null : pageHtml.slice(0, EVIDENCE_HTML_CHARS),
    screenshot,
    screenshotError,
    hashes: { sha256: fp.sha256, md5: fp.md5, ...(fp.kind === 'image' ? { pdq: fp.pdq.hash } : {}) },
  };
}
