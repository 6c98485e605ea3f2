/**
 * Downloading one media candidate: the URL, then its fallback renditions in order, through the guarded
 * fetcher and the host politeness gate; HLS playlists are assembled into one stream (hls.ts). The result
 * is bytes whose magic says image or video, or a sentence saying why there are none.
 */
import type { Fetcher, FetchOutcome } from './fetcher.ts';
import { assembleHls } from './hls.ts';
import type { MediaCandidate } from './extract.ts';
import type { MediaKind } from './media-types.ts';
import { sniff } from '../hashing/sniff.ts';

export interface MediaLimits {
  imageBytes: number;
  videoBytes: number;
  hlsSeconds: number;
  hlsSegments: number;
}

export const DEFAULT_MEDIA_LIMITS: MediaLimits = { imageBytes: 30 * 1024 * 1024, videoBytes: 200 * 1024 * 1024, hlsSeconds: 120, hlsSegments: 60 };

export type Downloaded = { ok: true; url: string; kind: MediaKind; body: Buffer } | { ok: false; message: string };

/** A fetch that has already waited for the host's politeness slot. */
export type PoliteFetch = (url: string, maxBytes: number) => Promise<FetchOutcome>;

function describe(kind: string, format: string): string {
  if (kind === 'html') return 'an HTML page';
  if (format === 'svg') return 'an SVG drawing';
  return 'not a recognised image or video format';
}

async function downloadOne(url: string, hint: MediaKind, fetch: PoliteFetch, limits: MediaLimits, retried = false): Promise<Downloaded> {
  if (hint === 'hls') return downloadHls(url, fetch, limits);
  const r = await fetch(url, hint === 'image' ? limits.imageBytes : limits.videoBytes);
  if (!r.ok) {
    // An image hint can be wrong (a link named .jpg serving a video): retry once with the video cap.
    if (r.reason === 'too-large' && hint === 'image') return downloadOne(url, 'video', fetch, limits, true);
    return { ok: false, message: r.message };
  }
  const s = r.sniffed;
  if (s.kind === 'hls') return downloadHls(url, fetch, limits);
  // The retry under the video cap is for videos only: an image keeps the image cap.
  if (retried && s.kind === 'image') return { ok: false, message: `${url} is an image of ${r.body.length} bytes, over the ${limits.imageBytes}-byte cap for images.` };
  if (s.kind === 'image' || s.kind === 'video') return { ok: true, url: r.url, kind: s.kind, body: r.body };
  return { ok: false, message: `${url} is ${describe(s.kind, s.format)}, not an image or video.` };
}

async function downloadHls(url: string, fetch: PoliteFetch, limits: MediaLimits): Promise<Downloaded> {
  const r = await assembleHls(
    url,
    async (u, max) => {
      const got = await fetch(u, max);
      return got.ok ? { ok: true, body: got.body, url: got.url } : { ok: false, message: got.message };
    },
    { maxBytes: limits.videoBytes, maxSeconds: limits.hlsSeconds, maxSegments: limits.hlsSegments },
  );
  if (!r.ok) return r;
  const s = sniff(r.body);
  if (s.kind !== 'video') return { ok: false, message: `The HLS video ${url} did not yield a video stream.` };
  return { ok: true, url, kind: 'hls', body: r.body };
}

/** Tries the candidate's URL, then each fallback rendition; returns the first that yields media. */
export async function downloadMedia(c: MediaCandidate, fetch: PoliteFetch, limits: MediaLimits = DEFAULT_MEDIA_LIMITS): Promise<Downloaded> {
  let first: Downloaded | undefined;
  for (const url of [c.url, ...(c.fallbacks ?? [])].slice(0, 4)) {
    const r = await downloadOne(url, c.kind, fetch, limits);
    if (r.ok) return r;
    first ??= r;
  }
  return first!;
}

export type { Fetcher };
