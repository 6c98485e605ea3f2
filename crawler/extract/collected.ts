/**
 * What the extractors of one parse write into: raw (unresolved) media and link references in document
 * order, the open anchors (a thumbnail inside a link makes that link a `thumbnail`), and the <base href>.
 * Each extractor handles the tags of one source kind; the parser offers every opening tag to each in turn
 * until one claims it.
 */
import { mediaKindFromUrl, type MediaKind } from '../media-types.ts';
import { parseSrcset, type SrcsetCandidate } from '../srcset-css.ts';

/** Where on the page a media candidate was found; kept for evidence and for tuning. */
export type MediaSource =
  | 'img' | 'picture' | 'css' | 'anchor' | 'video' | 'meta' | 'link' | 'embed' | 'jsonld' | 'script' | 'data-attribute';

export type Attrs = Record<string, string>;
export interface RawMedia { raw: string; kind: MediaKind; source: MediaSource; fallbacks?: string[] }
export interface RawLink { raw: string; thumbnail: boolean }

export interface Collected {
  media: RawMedia[];
  links: RawLink[];
  baseRaw: string | undefined;
  /** Marks the innermost open anchor as wrapping an image. */
  markImage(): void;
}

/** One source kind's handling of tags. `open` returns true when the tag is its own (no other extractor sees it). */
export interface TagExtractor {
  open?(name: string, attrs: Attrs): boolean | void;
  close?(name: string): void;
  text?(data: string): void;
  /** The document ended (malformed markup may leave elements open). */
  end?(): void;
}

export function kindOfRaw(raw: string, fallback: MediaKind): MediaKind {
  try {
    return mediaKindFromUrl(new URL(raw, 'http://x.invalid/')) ?? fallback;
  } catch {
    return fallback;
  }
}

export function hasMediaExtension(raw: string): boolean {
  try {
    return mediaKindFromUrl(new URL(raw, 'http://x.invalid/')) !== null;
  } catch {
    return false;
  }
}

/** Every srcset-like attribute of an element (srcset, data-srcset, imagesrcset, data-bgset...), parsed. */
export function srcsetOf(attrs: Attrs): SrcsetCandidate[] {
  const out: SrcsetCandidate[] = [];
  for (const [name, value] of Object.entries(attrs)) {
    if (name === 'srcset' || name.endsWith('-srcset') || name === 'imagesrcset' || name === 'data-bgset') out.push(...parseSrcset(value));
  }
  return out;
}

/** The first of `names` with a value that is not an inline data: URL (lazy loaders' placeholders are). */
export function firstAttr(attrs: Attrs, names: readonly string[]): string | undefined {
  for (const n of names) {
    const v = attrs[n]?.trim();
    if (v && !v.toLowerCase().startsWith('data:')) return v;
  }
  return undefined;
}
