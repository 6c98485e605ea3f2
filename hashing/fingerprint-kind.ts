/**
 * Which kind of fingerprint a file's bytes call for - an image's, a video's, or none - judged from its
 * first bytes (never from its name or a server's Content-Type, which uploaders and hostile sites get
 * wrong on purpose). The formats themselves are recognised in one place, sniff.ts, which the crawler
 * uses too.
 *
 * Not the crawler's `MediaKind` (crawler/media-types.ts): that one is a guess from a URL ('image',
 * 'video' or 'hls' playlist) made before anything is downloaded; this one is what the bytes are.
 */
import { sniff } from './sniff.ts';

export type FingerprintKind = 'image' | 'video' | 'unknown';

export function sniffFingerprintKind(b: Uint8Array): FingerprintKind {
  const s = sniff(b);
  if (s.kind === 'image') return 'image'; // animated GIFs are hashed frame by frame as images
  // An HLS playlist is a video to ffmpeg, which fetches and joins its segments.
  if (s.kind === 'video' || s.kind === 'hls') return 'video';
  return 'unknown';
}
