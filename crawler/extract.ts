/**
 * Generic extraction of page links and media candidates from HTML. Pure: HTML text + the page's URL in,
 * plain data out; no network. It is meant for sites it has never seen, so it reads the markup conventions
 * the web uses (lazy-loading attributes, srcset, <picture>, CSS backgrounds, Open Graph, JSON-LD, media
 * URLs inside scripts) rather than any one site's layout.
 *
 * Per image element it keeps the largest rendition it can see, with the other renditions as fallbacks;
 * a thumbnail wrapped in a link to a media file yields that file, a thumbnail wrapped in a link to a page
 * yields a page link marked `thumbnail` (the crawl follows those to the full-size page).
 *
 * One extractor per source kind (crawler/extract/): anchors and frames, images (with <picture>, CSS and
 * data-* attributes), video, head metadata, and text elements (style sheets, JSON-LD, scripts). This file
 * runs the parser over them and resolves what they collected against the document's base URL.
 */
import { Parser } from 'htmlparser2';
import { isNeverMedia, type MediaKind } from './media-types.ts';
import { resolveHttpUrl } from './url-tools.ts';
import { anchorExtractor } from './extract/anchors.ts';
import type { Collected, MediaSource, TagExtractor } from './extract/collected.ts';
import { headMetaExtractor } from './extract/head-meta.ts';
import { elementAttrsExtractor, imageExtractor } from './extract/images.ts';
import { scriptExtractor } from './extract/scripts.ts';
import { videoExtractor } from './extract/video.ts';

export type { MediaSource } from './extract/collected.ts';

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

/** Runs every extractor over the document, in one pass: raw references in document order. */
function collect(html: string): Collected {
  let markImage = () => {};
  const out: Collected = { media: [], links: [], baseRaw: undefined, markImage: () => markImage() };
  const anchorX = anchorExtractor(out);
  markImage = anchorX.markImage;
  // Order matters where two kinds share a tag: element attributes first (they claim nothing), and
  // images before video (a <source> inside <picture> is an image rendition, elsewhere a video's).
  const extractors: TagExtractor[] = [elementAttrsExtractor(out), anchorX, imageExtractor(out), videoExtractor(out), headMetaExtractor(out), scriptExtractor(out)];
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        for (const x of extractors) if (x.open?.(name, attrs)) break;
      },
      ontext(data) {
        for (const x of extractors) x.text?.(data);
      },
      onclosetag(name) {
        for (const x of extractors) x.close?.(name);
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  for (const x of extractors) x.end?.();
  return out;
}

export function extractFromHtml(html: string, pageUrl: string | URL, opts: ExtractOptions = {}): Extraction {
  const page = new URL(typeof pageUrl === 'string' ? pageUrl : pageUrl.href);
  page.hash = '';
  const raw = collect(html);
  const base = (raw.baseRaw !== undefined ? resolveHttpUrl(raw.baseRaw, page) : null) ?? page;
  const maxMedia = opts.maxMedia ?? 5000;
  const maxLinks = opts.maxLinks ?? 5000;
  const media = new Map<string, MediaCandidate>();
  for (const m of raw.media) {
    if (media.size >= maxMedia) break;
    const url = resolveHttpUrl(m.raw, base);
    if (!url || isNeverMedia(url) || media.has(url.href)) continue;
    const fallbacks = (m.fallbacks ?? []).map((f) => resolveHttpUrl(f, base)?.href).filter((f): f is string => Boolean(f) && f !== url.href);
    media.set(url.href, { url: url.href, kind: m.kind, source: m.source, ...(fallbacks.length > 0 ? { fallbacks: [...new Set(fallbacks)] } : {}) });
  }
  const links = new Map<string, PageLink>();
  for (const l of raw.links) {
    const url = resolveHttpUrl(l.raw, base);
    if (!url || media.has(url.href)) continue;
    const prev = links.get(url.href);
    if (prev) prev.thumbnail ||= l.thumbnail;
    else if (links.size < maxLinks) links.set(url.href, { url: url.href, thumbnail: l.thumbnail });
  }
  return { baseUrl: base.href, links: [...links.values()], media: [...media.values()] };
}
