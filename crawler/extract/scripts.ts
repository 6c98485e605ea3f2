/**
 * Text elements: <style> sheets (CSS backgrounds), JSON-LD (contentUrl, thumbnailUrl, image, embedUrl),
 * and quoted media URLs inside scripts and JSON (players and galleries configured in JavaScript).
 */
import type { MediaKind } from '../media-types.ts';
import { hasMediaExtension, kindOfRaw, type Attrs, type Collected, type RawMedia, type TagExtractor } from './collected.ts';
import { addCssMedia } from './images.ts';

// Quoted absolute URLs ending in a media extension, as JSON or JS string literals write them (slashes may be escaped).
const SCRIPT_MEDIA_URL = /["'](https?:(?:\\?\/){2}[^"'\s<>]+?\.(?:jpe?g|png|gif|webp|avif|mp4|m4v|webm|mov|m3u8)(?:\?[^"'\s<>]*)?)["']/gi;
const MAX_SCRIPT_SCAN = 2_000_000;

/** Collects strings under JSON-LD keys that name media (contentUrl, thumbnailUrl, image, embedUrl). */
export function jsonLdMedia(json: unknown, out: RawMedia[], depth = 0): void {
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

export function scriptExtractor(out: Collected): TagExtractor {
  let textTag: 'style' | 'script' | null = null;
  let scriptType = '';
  let text = '';
  const endScript = () => {
    if (scriptType === 'application/ld+json') {
      try {
        jsonLdMedia(JSON.parse(text), out.media);
      } catch {
        // Broken JSON-LD is common; the generic scan below still sees its URLs.
      }
    }
    if (scriptType === '' || scriptType.includes('javascript') || scriptType.includes('json') || scriptType === 'module') {
      for (const m of text.matchAll(SCRIPT_MEDIA_URL)) {
        const raw = m[1].replace(/\\\//g, '/');
        out.media.push({ raw, kind: kindOfRaw(raw, 'image'), source: 'script' });
      }
    }
  };
  return {
    open(name: string, attrs: Attrs) {
      if (name === 'style') {
        textTag = 'style';
        text = '';
        return true;
      }
      if (name === 'script') {
        textTag = 'script';
        scriptType = (attrs.type ?? '').toLowerCase();
        text = '';
        return true;
      }
      return false;
    },
    text(data: string) {
      if (textTag && text.length < MAX_SCRIPT_SCAN) text += data;
    },
    close(name: string) {
      if (name === 'style' && textTag === 'style') addCssMedia(out, text, 'css');
      if (name === 'script' && textTag === 'script') endScript();
      if (name === 'style' || name === 'script') textTag = null;
    },
  };
}
