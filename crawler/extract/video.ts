/**
 * Video: <video> with its <source>s (the one most likely to download whole is kept first: MP4, then WebM,
 * then others, HLS last; the rest are fallbacks), its poster, a stray <source> naming a media file, and
 * <embed>/<object> pointing at one.
 */
import type { MediaKind } from '../media-types.ts';
import { hasMediaExtension, kindOfRaw, type Attrs, type Collected, type TagExtractor } from './collected.ts';

function videoRank(raw: string, type: string): number {
  const t = type.toLowerCase();
  const path = raw.toLowerCase().split(/[?#]/)[0];
  if (t.includes('mp4') || path.endsWith('.mp4') || path.endsWith('.m4v')) return 0;
  if (t.includes('webm') || path.endsWith('.webm')) return 1;
  if (t.includes('mpegurl') || path.endsWith('.m3u8')) return 3;
  return 2;
}

export function videoExtractor(out: Collected): TagExtractor {
  let video: { srcs: Array<{ raw: string; type: string }> } | null = null;
  return {
    open(name: string, attrs: Attrs) {
      switch (name) {
        case 'video':
          video = { srcs: [] };
          for (const a of ['src', 'data-src']) if (attrs[a]) video.srcs.push({ raw: attrs[a], type: '' });
          if (attrs.poster) out.media.push({ raw: attrs.poster, kind: 'image', source: 'video' });
          out.markImage();
          return true;
        case 'source':
          if (video) {
            const raw = attrs.src ?? attrs['data-src'];
            if (raw) video.srcs.push({ raw, type: attrs.type ?? '' });
          } else if (attrs.src && hasMediaExtension(attrs.src)) {
            out.media.push({ raw: attrs.src, kind: kindOfRaw(attrs.src, 'video'), source: 'video' });
          }
          return true;
        case 'embed':
        case 'object': {
          const raw = attrs.src ?? attrs.data;
          if (raw && hasMediaExtension(raw)) out.media.push({ raw, kind: kindOfRaw(raw, 'video'), source: 'embed' });
          return true;
        }
      }
      return false;
    },
    close(name: string) {
      if (name !== 'video') return;
      if (video && video.srcs.length > 0) {
        const ranked = [...video.srcs].sort((x, y) => videoRank(x.raw, x.type) - videoRank(y.raw, y.type));
        const first = ranked[0];
        const kind: MediaKind = videoRank(first.raw, first.type) === 3 ? 'hls' : 'video';
        out.media.push({ raw: first.raw, kind, source: 'video', fallbacks: ranked.slice(1).map((s) => s.raw) });
      }
      video = null;
    },
  };
}
