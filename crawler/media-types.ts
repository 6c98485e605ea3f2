/**
 * What kind of media a URL probably points at, judged from its path's extension alone. Extraction uses it
 * to tell a link to a file from a link to a page; the downloaded bytes are sniffed again (`sniff.ts`), so a
 * wrong guess here costs one download, never a wrong fingerprint.
 */
export type MediaKind = 'image' | 'video' | 'hls';

const IMAGE_EXT = new Set(['jpg', 'jpeg', 'jpe', 'jfif', 'pjpeg', 'png', 'apng', 'gif', 'webp', 'avif', 'bmp', 'tif', 'tiff', 'heic', 'heif']);
const VIDEO_EXT = new Set(['mp4', 'm4v', 'webm', 'mov', 'mkv', 'ogv', 'avi', 'wmv', 'flv', 'mpg', 'mpeg', '3gp', 'ts']);
const HLS_EXT = new Set(['m3u8']);
// Files a CSS url() or a link commonly points at that are never material worth fetching.
const NEVER_MEDIA_EXT = new Set(['css', 'js', 'mjs', 'woff', 'woff2', 'ttf', 'otf', 'eot', 'svg', 'ico', 'cur', 'json', 'xml', 'map']);

function extensionOf(url: URL): string {
  const path = url.pathname;
  const slash = path.lastIndexOf('/');
  const dot = path.lastIndexOf('.');
  if (dot <= slash) return '';
  return path.slice(dot + 1).toLowerCase();
}

/** The media kind a URL's extension says, or null when the extension says nothing (or says "not media"). */
export function mediaKindFromUrl(url: URL): MediaKind | null {
  const ext = extensionOf(url);
  if (IMAGE_EXT.has(ext)) return 'image';
  if (HLS_EXT.has(ext)) return 'hls';
  // `.ts` is both TypeScript and MPEG-TS; only trust it as video when nothing else is plausible (a path
  // under a segment-looking folder is still ambiguous), so it is left to the HLS playlist to name segments.
  if (ext === 'ts') return null;
  if (VIDEO_EXT.has(ext)) return 'video';
  return null;
}

/** True when the extension names a file that is certainly not an image or video (fonts, scripts, SVG icons). */
export function isNeverMedia(url: URL): boolean {
  return NEVER_MEDIA_EXT.has(extensionOf(url));
}

/** The media kind an HTTP Content-Type header names, or null. */
export function mediaKindFromMime(mime: string | null | undefined): MediaKind | null {
  if (!mime) return null;
  const m = mime.split(';')[0].trim().toLowerCase();
  if (m === 'application/vnd.apple.mpegurl' || m === 'application/x-mpegurl' || m === 'audio/mpegurl') return 'hls';
  if (m === 'image/svg+xml' || m === 'image/x-icon' || m === 'image/vnd.microsoft.icon') return null;
  if (m.startsWith('image/')) return 'image';
  if (m.startsWith('video/')) return 'video';
  return null;
}
