/**
 * The document's metadata: Open Graph / Twitter card / itemprop <meta> images and videos, and <link>s
 * (image_src, preloaded images, rel=next/prev pagination).
 */
import { largestSrcsetCandidate } from '../srcset-css.ts';
import { hasMediaExtension, kindOfRaw, srcsetOf, type Attrs, type Collected, type TagExtractor } from './collected.ts';

const OG_IMAGE = new Set(['og:image', 'og:image:url', 'og:image:secure_url', 'twitter:image', 'twitter:image:src', 'thumbnail', 'image']);
const OG_VIDEO = new Set(['og:video', 'og:video:url', 'og:video:secure_url', 'twitter:player:stream', 'contenturl', 'embedurl']);

export function headMetaExtractor(out: Collected): TagExtractor {
  return {
    open(name: string, attrs: Attrs) {
      if (name === 'meta') {
        const key = (attrs.property ?? attrs.name ?? attrs.itemprop ?? '').toLowerCase();
        const content = attrs.content;
        if (!content) return true;
        if (OG_IMAGE.has(key) || key === 'thumbnailurl') out.media.push({ raw: content, kind: kindOfRaw(content, 'image'), source: 'meta' });
        else if (OG_VIDEO.has(key) && (key.startsWith('og:') || key.startsWith('twitter:') || hasMediaExtension(content))) {
          out.media.push({ raw: content, kind: kindOfRaw(content, 'video'), source: 'meta' });
        }
        return true;
      }
      if (name === 'link') {
        const rel = (attrs.rel ?? '').toLowerCase().split(/\s+/);
        if (rel.includes('image_src') && attrs.href) out.media.push({ raw: attrs.href, kind: 'image', source: 'link' });
        else if (rel.includes('preload') && (attrs.as ?? '').toLowerCase() === 'image') {
          const best = largestSrcsetCandidate(srcsetOf(attrs))?.url ?? attrs.href;
          if (best) out.media.push({ raw: best, kind: 'image', source: 'link' });
        } else if ((rel.includes('next') || rel.includes('prev')) && attrs.href) out.links.push({ raw: attrs.href, thumbnail: false });
        return true;
      }
      return false;
    },
  };
}
