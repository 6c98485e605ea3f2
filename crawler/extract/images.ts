/**
 * Images: <img> (the largest rendition it names, lazy-loading and full-size attributes included, the other
 * renditions as fallbacks), <picture> and its <source>s, CSS backgrounds in style attributes, and media
 * URLs in data-* attributes (lazy background loaders, lightboxes, galleries, players).
 */
import { cssUrls, largestSrcsetCandidate, parseSrcset, type SrcsetCandidate } from '../srcset-css.ts';
import { firstAttr, hasMediaExtension, kindOfRaw, srcsetOf, type Attrs, type Collected, type MediaSource, type TagExtractor } from './collected.ts';

// Attributes that, on an <img>, name a full-size original rather than the displayed rendition.
const FULL_SIZE_ATTRS = ['data-full', 'data-fullsrc', 'data-full-src', 'data-full-url', 'data-large', 'data-large-src', 'data-large-file', 'data-zoom-image', 'data-zoom-src', 'data-zoom', 'data-hi-res', 'data-hires', 'data-highres', 'data-orig-file', 'data-src-full'];
// Attributes that lazy-loading libraries use for the real source while `src` holds a placeholder.
const LAZY_ATTRS = ['data-src', 'data-lazy-src', 'data-original', 'data-lazy', 'data-url', 'data-echo', 'data-img', 'data-image', 'data-img-src', 'data-source', 'data-actualsrc', 'data-defer-src', 'data-ll-src', 'data-original-src', 'data-medium-file', 'data-delayed-url', 'lazy-src', 'original'];
// Attributes that lazy-loading libraries put on non-<img> elements for CSS background images.
const LAZY_BG_ATTRS = ['data-bg', 'data-background', 'data-background-image', 'data-bg-src', 'data-bgset', 'data-bg-url'];

/** The CSS url()s of a style attribute or sheet, as image candidates. */
export function addCssMedia(out: Collected, css: string, source: MediaSource): void {
  for (const raw of cssUrls(css)) {
    if (raw.toLowerCase().startsWith('data:')) continue;
    out.media.push({ raw, kind: kindOfRaw(raw, 'image'), source });
    out.markImage();
  }
}

/** Attributes any element may carry: a style with backgrounds, data-* attributes naming media. Claims no tag. */
export function elementAttrsExtractor(out: Collected): TagExtractor {
  return {
    open(name: string, attrs: Attrs) {
      if (attrs.style) addCssMedia(out, attrs.style, 'css');
      for (const [an, av] of Object.entries(attrs)) {
        if (!an.startsWith('data-') || av.length > 2048 || name === 'img') continue;
        if (LAZY_BG_ATTRS.includes(an)) {
          const first = an === 'data-bgset' ? largestSrcsetCandidate(parseSrcset(av))?.url : av.trim();
          if (first && !first.startsWith('data:')) {
            out.media.push({ raw: first, kind: kindOfRaw(first, 'image'), source: 'data-attribute' });
            out.markImage();
          }
        } else if (/^(?:\.{0,2}\/|https?:\/\/)/i.test(av.trim()) && hasMediaExtension(av.trim())) {
          out.media.push({ raw: av.trim(), kind: kindOfRaw(av.trim(), 'image'), source: 'data-attribute' });
        }
      }
      return false;
    },
  };
}

export function imageExtractor(out: Collected): TagExtractor {
  let picture: SrcsetCandidate[] | null = null;
  let pictureHadImg = false;
  const onImg = (attrs: Attrs) => {
    const srcset = [...srcsetOf(attrs), ...(picture ?? [])];
    const largest = largestSrcsetCandidate(srcset)?.url;
    const full = firstAttr(attrs, FULL_SIZE_ATTRS);
    const lazy = firstAttr(attrs, LAZY_ATTRS);
    const src = firstAttr(attrs, ['src']);
    const order = [full, largest, lazy, src].filter((v): v is string => Boolean(v));
    // The other srcset entries are renditions too: keep them as last-resort fallbacks, largest first.
    const rest = [...srcset].sort((a, b) => (b.width ?? 0) - (a.width ?? 0) || (b.density ?? 1) - (a.density ?? 1)).map((c) => c.url);
    const all = [...new Set([...order, ...rest])];
    if (all.length === 0) return;
    out.media.push({ raw: all[0], kind: kindOfRaw(all[0], 'image'), source: picture ? 'picture' : 'img', fallbacks: all.slice(1) });
    out.markImage();
  };
  return {
    open(name: string, attrs: Attrs) {
      switch (name) {
        case 'img':
        case 'amp-img':
          onImg(attrs);
          if (picture) pictureHadImg = true;
          return true;
        case 'picture':
          picture = [];
          pictureHadImg = false;
          return true;
        case 'source':
          // A <source> outside a <picture> is the video extractor's.
          if (!picture) return false;
          picture.push(...srcsetOf(attrs));
          return true;
      }
      return false;
    },
    close(name: string) {
      if (name !== 'picture') return;
      if (picture && !pictureHadImg) {
        const best = largestSrcsetCandidate(picture)?.url;
        if (best) out.media.push({ raw: best, kind: 'image', source: 'picture' });
      }
      picture = null;
    },
  };
}
