/**
 * What kind of media a file is, from its first bytes (never from its name or a server's
 * Content-Type, which uploaders and hostile sites get wrong on purpose). The formats themselves are
 * recognised in one place, sniff.ts, which the crawler uses too.
 */
import { sniff } from './sniff.ts';

export type MediaKind = 'image' | 'video' | 'unknown';

export function sniffMediaKind(b: Uint8Array): MediaKind {
  const s = sniff(b);
  if (s.kind === 'image') return 'image'; // animated GIFs are hashed frame by frame as images
  // An HLS playlist is a video to ffmpeg, which fetches and joins its segments.
  if (s.kind === 'video' || s.kind === 'hls') return 'video';
  return 'unknown';
}
