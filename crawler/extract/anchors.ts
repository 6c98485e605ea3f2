/**
 * Links: <a>/<area> (a link to a media file is a media candidate; a link wrapping an image is a thumbnail
 * leading to its full-size page), frames, and <base href>.
 */
import { hasMediaExtension, kindOfRaw, type Attrs, type Collected, type TagExtractor } from './collected.ts';

interface AnchorCtx { href: string | undefined; hasImage: boolean }

export function anchorExtractor(out: Collected): TagExtractor & { markImage(): void } {
  const open: AnchorCtx[] = [];
  const closeAnchor = () => {
    const a = open.pop();
    if (!a?.href) return;
    if (hasMediaExtension(a.href)) out.media.push({ raw: a.href, kind: kindOfRaw(a.href, 'image'), source: 'anchor' });
    else out.links.push({ raw: a.href, thumbnail: a.hasImage });
  };
  return {
    markImage() {
      const a = open[open.length - 1];
      if (a) a.hasImage = true;
    },
    open(name: string, attrs: Attrs) {
      switch (name) {
        case 'base':
          if (out.baseRaw === undefined && attrs.href) out.baseRaw = attrs.href;
          return true;
        case 'a':
        case 'area':
          open.push({ href: attrs.href, hasImage: false });
          if (name === 'area') closeAnchor();
          return true;
        case 'iframe':
        case 'frame':
          if (attrs.src) out.links.push({ raw: attrs.src, thumbnail: false });
          return true;
      }
      return false;
    },
    close(name: string) {
      if (name === 'a') closeAnchor();
    },
    // Anchors left open by malformed markup still count.
    end() {
      while (open.length > 0) closeAnchor();
    },
  };
}
