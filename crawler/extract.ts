/**
 * Generic extraction of page links and media candidates from HTML. Pure: HTML text + the page's URL in,
 * plain data out; no network. It is meant for sites it has never seen, so it reads the markup conventions
 * the web uses (lazy-loading attributes, srcset, <picture>, CSS backgrounds, Open Graph, JSON-LD, media
 * URLs inside scripts) rather than any one site's layout.
 *
 * Per image element it keeps the largest rendition it can see, with the other renditions as fallbacks;
 * a thumbnail wrapped in a link to a media file yields that file, a thumbnail wrapped in a link to a page
 * yields a page link marked `thumbnail` (the crawl follows those to the full-size page).
 */
import { Parser } from 'htmlparser2';
import { isNeverMedia, mediaKindFromUrl, type MediaKind } from './media-types.ts';
import { cssUrls, largestSrcsetCandidate, parseSrcset, type SrcsetCandidate } from './srcset-css.ts';
import { resolveHttpUrl } from './url-tools.ts';

/** Where on the page a media candidate was found; kept for evidence and for tuning. */
export type MediaSource =
  | 'img' | 'picture' | 'css' | 'anchor' | 'video' | 'meta' | 'link' | 'embed' | 'jsonld' | 'script' | 'data-attribute';

export interface MediaCandidate {
  url: string;
  /** A hint from context and extension; the downloaded bytes are sniffed before anything is trusted. */
  kind: MediaKind;
  source: MediaSource;
  /** Other renditions of the same element, tried in order when `url` cannot be downloaded. */
  fallbacks?: string[];
}

export interface PageLink {
  url: string;
  /** The link wraps an image: a thumbnail leading to its full-size page. */
  thumbnail: boolean;
}

export interface Extraction {
  /** The document's base URL (its <base href> if any, else the page URL). */
  baseUrl: string;
  links: PageLink[];
  media: MediaCandidate[];
}

export interface ExtractOptions {
  /** Caps against pathological pages; the first N of each are kept. */
  maxLinks?: number;
  maxMedia?: number;
}

type Attrs = Record<string, string>;
interface RawMedia { raw: string; kind: MediaKind; source: MediaSource; fallbacks?: string[] }
interface AnchorCtx { href: string | undefined; hasImage: boolean }
interface VideoCtx { srcs: Array<{ raw: string; type: string }>; }

// Attributes that, on an <img>, name a full-size original rather than the displayed rendition.
const FULL_SIZE_ATTRS = ['data-full', 'data-fullsrc', 'data-full-src', 'data-full-url', 'data-large', 'data-large-src', 'data-large-file', 'data-zoom-image', 'data-zoom-src', 'data-zoom', 'data-hi-res', 'data-hires', 'data-highres', 'data-orig-file', 'data-src-full'];
// Attributes that lazy-loading libraries use for the real source while `src` holds a placeholder.
const LAZY_ATTRS = ['data-src', 'data-lazy-src', 'data-original', 'data-lazy', 'data-url', 'data-echo', 'data-img', 'data-image', 'data-img-src', 'data-source', 'data-actualsrc', 'data-defer-src', 'data-ll-src', 'data-original-src', 'data-medium-file', 'data-delayed-url', 'lazy-src', 'original'];
// Attributes that lazy-loading libraries put on non-<img> elements for CSS background images.
const LAZY_BG_ATTRS = ['data-bg', 'data-background', 'data-background-image', 'data-bg-src', 'data-bgset', 'data-bg-url'];
const OG_IMAGE = new Set(['og:image', 'og:image:url', 'og:image:secure_url', 'twitter:image', 'twitter:image:src', 'thumbnail', 'image']);
const OG_VIDEO = new Set(['og:video', 'og:video:url', 'og:video:secure_url', 'twitter:player:stream', 'contenturl', 'embedurl']);
// Quoted absolute URLs ending in a media extension, as JSON or JS string literals write them (slashes may be escaped).
const SCRIPT_MEDIA_URL = /["'](https?:(?:\\?\/){2}[^"'\s<>]+?\.(?:jpe?g|png|gif|webp|avif|mp4|m4v|webm|mov|m3u8)(?:\?[^"'\s<>]*)?)["']/gi;
const MAX_SCRIPT_SCAN = 2_000_000;

function srcsetOf(attrs: Attrs): SrcsetCandidate[] {
  const out: SrcsetCandidate[] = [];
  for (const [name, value] of Object.entries(attrs)) {
    if (name === 'srcset' || name.endsWith('-srcset') || name === 'imagesrcset' || name === 'data-bgset') out.push(...parseSrcset(value));
  }
  return out;
}

function firstAttr(attrs: Attrs, names: readonly string[]): string | undefined {
  for (const n of names) {
    const v = attrs[n]?.trim();
    if (v && !v.toLowerCase().startsWith('data:')) return v;
  }
  return undefined;
}

function videoRank(raw: string, type: string): number {
  const t = type.toLowerCase();
  const path = raw.toLowerCase().split(/[?#]/)[0];
  if (t.includes('mp4') || path.endsWith('.mp4') || path.endsWith('.m4v')) return 0;
  if (t.includes('webm') || path.endsWith('.webm')) return 1;
  if (t.includes('mpegurl') || path.endsWith('.m3u8')) return 3;
  return 2;
}

function kindOfRaw(raw: string, fallback: MediaKind): MediaKind {
  try {
    return mediaKindFromUrl(new URL(raw, 'http://x.invalid/')) ?? fallback;
  } catch {
    return fallback;
  }
}

function hasMediaExtension(raw: string): boolean {
  try {
    return mediaKindFromUrl(new URL(raw, 'http://x.invalid/')) !== null;
  } catch {
    return false;
  }
}

/** Collects strings under JSON-LD keys that name media (contentUrl, thumbnailUrl, image, embedUrl). */
function jsonLdMedia(json: unknown, out: RawMedia[], depth = 0): void {
  if (depth > 20 || json === null || typeof json !== 'object') return;
  if (Array.isArray(json)) {
    for (const v of json) jsonLdMedia(v, out, depth + 1);
    return;
  }
  const obj = json as Record<string, unknown>;
  const type = String(obj['@type'] ?? '').toLowerCase();
  for (const [key, value] of Object.entries(obj)) {
    const k = key.toLowerCase();
    const isMediaKey = k === 'contenturl' || k === 'thumbnailurl' || k === 'image' || k === 'embedurl' || (k === 'url' && (type === 'imageobject' || type === 'videoobject'));
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (isMediaKey && typeof v === 'string') {
        const hint: MediaKind = type === 'videoobject' && (k === 'contenturl' || k === 'url') ? 'video' : 'image';
        if (k === 'embedurl' && !hasMediaExtension(v)) continue;
        out.push({ raw: v, kind: kindOfRaw(v, hint), source: 'jsonld' });
      } else if (typeof v === 'object') {
        jsonLdMedia(v, out, depth + 1);
      }
    }
  }
}

export function extractFromHtml(html: string, pageUrl: string | URL, opts: ExtractOptions = {}): Extraction {
  const page = new URL(typeof pageUrl === 'string' ? pageUrl : pageUrl.href);
  page.hash = '';
  const rawMedia: RawMedia[] = [];
  const rawLinks: Array<{ raw: string; thumbnail: boolean }> = [];
  let baseRaw: string | undefined;
  const anchors: AnchorCtx[] = [];
  let picture: SrcsetCandidate[] | null = null;
  let pictureHadImg = false;
  let video: VideoCtx | null = null;
  let textTag: 'style' | 'script' | null = null;
  let scriptType = '';
  let text = '';

  const markImage = () => {
    const a = anchors[anchors.length - 1];
    if (a) a.hasImage = true;
  };
  const addCss = (css: string, source: MediaSource) => {
    for (const raw of cssUrls(css)) {
      if (raw.toLowerCase().startsWith('data:')) continue;
      rawMedia.push({ raw, kind: kindOfRaw(raw, 'image'), source });
      markImage();
    }
  };

  const closeAnchor = () => {
    const a = anchors.pop();
    if (!a?.href) return;
    if (hasMediaExtension(a.href)) rawMedia.push({ raw: a.href, kind: kindOfRaw(a.href, 'image'), source: 'anchor' });
    else rawLinks.push({ raw: a.href, thumbnail: a.hasImage });
  };

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
    rawMedia.push({ raw: all[0], kind: kindOfRaw(all[0], 'image'), source: picture ? 'picture' : 'img', fallbacks: all.slice(1) });
    markImage();
  };

  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (attrs.style) addCss(attrs.style, 'css');
        // Any data-* attribute holding a media URL (lightboxes, galleries, players) is a candidate.
        for (const [an, av] of Object.entries(attrs)) {
          if (!an.startsWith('data-') || av.length > 2048 || name === 'img') continue;
          if (LAZY_BG_ATTRS.includes(an)) {
            const first = an === 'data-bgset' ? largestSrcsetCandidate(parseSrcset(av))?.url : av.trim();
            if (first && !first.startsWith('data:')) {
              rawMedia.push({ raw: first, kind: kindOfRaw(first, 'image'), source: 'data-attribute' });
              markImage();
            }
          } else if (/^(?:\.{0,2}\/|https?:\/\/)/i.test(av.trim()) && hasMediaExtension(av.trim())) {
            rawMedia.push({ raw: av.trim(), kind: kindOfRaw(av.trim(), 'image'), source: 'data-attribute' });
          }
        }
        switch (name) {
          case 'base':
            if (baseRaw === undefined && attrs.href) baseRaw = attrs.href;
            break;
          case 'a':
          case 'area':
            anchors.push({ href: attrs.href, hasImage: false });
            if (name === 'area') closeAnchor();
            break;
          case 'img':
          case 'amp-img':
            onImg(attrs);
            if (picture) pictureHadImg = true;
            break;
          case 'picture':
            picture = [];
            pictureHadImg = false;
            break;
          case 'source':
            if (picture) picture.push(...srcsetOf(attrs));
            else if (video) {
              const raw = attrs.src ?? attrs['data-src'];
              if (raw) video.srcs.push({ raw, type: attrs.type ?? '' });
            } else if (attrs.src && hasMediaExtension(attrs.src)) {
              rawMedia.push({ raw: attrs.src, kind: kindOfRaw(attrs.src, 'video'), source: 'video' });
            }
            break;
          case 'video':
            video = { srcs: [] };
            for (const a of ['src', 'data-src']) if (attrs[a]) video.srcs.push({ raw: attrs[a], type: '' });
            if (attrs.poster) rawMedia.push({ raw: attrs.poster, kind: 'image', source: 'video' });
            markImage();
            break;
          case 'meta': {
            const key = (attrs.property ?? attrs.name ?? attrs.itemprop ?? '').toLowerCase();
            const content = attrs.content;
            if (!content) break;
            if (OG_IMAGE.has(key) || key === 'thumbnailurl') rawMedia.push({ raw: content, kind: kindOfRaw(content, 'image'), source: 'meta' });
            else if (OG_VIDEO.has(key) && (key.startsWith('og:') || key.startsWith('twitter:') || hasMediaExtension(content))) {
              rawMedia.push({ raw: content, kind: kindOfRaw(content, 'video'), source: 'meta' });
            }
            break;
          }
          case 'link': {
            const rel = (attrs.rel ?? '').toLowerCase().split(/\s+/);
            if (rel.includes('image_src') && attrs.href) rawMedia.push({ raw: attrs.href, kind: 'image', source: 'link' });
            else if (rel.includes('preload') && (attrs.as ?? '').toLowerCase() === 'image') {
              const best = largestSrcsetCandidate(srcsetOf(attrs))?.url ?? attrs.href;
              if (best) rawMedia.push({ raw: best, kind: 'image', source: 'link' });
            } else if ((rel.includes('next') || rel.includes('prev')) && attrs.href) rawLinks.push({ raw: attrs.href, thumbnail: false });
            break;
          }
          case 'iframe':
          case 'frame':
            if (attrs.src) rawLinks.push({ raw: attrs.src, thumbnail: false });
            break;
          case 'embed':
          case 'object': {
            const raw = attrs.src ?? attrs.data;
            if (raw && hasMediaExtension(raw)) rawMedia.push({ raw, kind: kindOfRaw(raw, 'video'), source: 'embed' });
            break;
          }
          case 'style':
            textTag = 'style';
            text = '';
            break;
          case 'script':
            textTag = 'script';
            scriptType = (attrs.type ?? '').toLowerCase();
            text = '';
            break;
        }
      },
      ontext(data) {
        if (textTag && text.length < MAX_SCRIPT_SCAN) text += data;
      },
      onclosetag(name) {
        switch (name) {
          case 'a':
            closeAnchor();
            break;
          case 'picture':
            if (picture && !pictureHadImg) {
              const best = largestSrcsetCandidate(picture)?.url;
              if (best) rawMedia.push({ raw: best, kind: 'image', source: 'picture' });
            }
            picture = null;
            break;
          case 'video':
            if (video && video.srcs.length > 0) {
              const ranked = [...video.srcs].sort((x, y) => videoRank(x.raw, x.type) - videoRank(y.raw, y.type));
              const first = ranked[0];
              const kind: MediaKind = videoRank(first.raw, first.type) === 3 ? 'hls' : 'video';
              rawMedia.push({ raw: first.raw, kind, source: 'video', fallbacks: ranked.slice(1).map((s) => s.raw) });
            }
            video = null;
            break;
          case 'style':
            if (textTag === 'style') addCss(text, 'css');
            textTag = null;
            break;
          case 'script':
            if (textTag === 'script') {
              if (scriptType === 'application/ld+json') {
                try {
                  jsonLdMedia(JSON.parse(text), rawMedia);
                } catch {
                  // Broken JSON-LD is common; the generic scan below still sees its URLs.
                }
              }
              if (scriptType === '' || scriptType.includes('javascript') || scriptType.includes('json') || scriptType === 'module') {
                for (const m of text.matchAll(SCRIPT_MEDIA_URL)) {
                  const raw = m[1].replace(/\\\//g, '/');
                  rawMedia.push({ raw, kind: kindOfRaw(raw, 'image'), source: 'script' });
                }
              }
            }
            textTag = null;
            break;
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  // Anchors left open by malformed markup still count.
  while (anchors.length > 0) closeAnchor();

  const base = (baseRaw !== undefined ? resolveHttpUrl(baseRaw, page) : null) ?? page;
  const maxMedia = opts.maxMedia ?? 5000;
  const maxLinks = opts.maxLinks ?? 5000;
  const media = new Map<string, MediaCandidate>();
  for (const m of rawMedia) {
    if (media.size >= maxMedia) break;
    const url = resolveHttpUrl(m.raw, base);
    if (!url || isNeverMedia(url) || media.has(url.href)) continue;
    const fallbacks = (m.fallbacks ?? []).map((f) => resolveHttpUrl(f, base)?.href).filter((f): f is string => Boolean(f) && f !== url.href);
    media.set(url.href, { url: url.href, kind: m.kind, source: m.source, ...(fallbacks.length > 0 ? { fallbacks: [...new Set(fallbacks)] } : {}) });
  }
  const links = new Map<string, PageLink>();
  for (const l of rawLinks) {
    const url = resolveHttpUrl(l.raw, base);
    if (!url || media.has(url.href)) continue;
    const prev = links.get(url.href);
    if (prev) prev.thumbnail ||= l.thumbnail;
    else if (links.size < maxLinks) links.set(url.href, { url: url.href, thumbnail: l.thumbnail });
  }
  return { baseUrl: base.href, links: [...links.values()], media: [...media.values()] };
}
