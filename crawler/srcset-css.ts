/**
 * Parsers for the two micro-syntaxes that carry image URLs inside HTML: `srcset` candidate lists and CSS
 * `url(...)` references. Both are written to the shape of the specs, not to a regex that happens to work
 * on tidy markup: srcset URLs may contain commas (image CDNs put `w_200,h_100` in paths) and CSS url()
 * may be quoted, unquoted or escaped.
 */

export interface SrcsetCandidate {
  url: string;
  /** Width descriptor (`640w`), if any. */
  width?: number;
  /** Pixel density descriptor (`2x`); 1 when no descriptor was given. */
  density?: number;
}

const WS = /[\t\n\f\r ]/;

/** Splits a `srcset` attribute into its candidates (HTML's "parse a srcset attribute", simplified). */
export function parseSrcset(value: string): SrcsetCandidate[] {
  const out: SrcsetCandidate[] = [];
  let i = 0;
  const n = value.length;
  while (i < n) {
    while (i < n && (WS.test(value[i]) || value[i] === ',')) i++;
    if (i >= n) break;
    let start = i;
    while (i < n && !WS.test(value[i])) i++;
    let url = value.slice(start, i);
    let descriptors = '';
    if (url.endsWith(',')) {
      // "a.jpg, b.jpg 2x": a URL directly followed by a comma has no descriptors.
      url = url.replace(/,+$/, '');
    } else {
      start = i;
      let depth = 0;
      while (i < n) {
        const c = value[i];
        if (c === '(') depth++;
        else if (c === ')') depth = Math.max(0, depth - 1);
        else if (c === ',' && depth === 0) break;
        i++;
      }
      descriptors = value.slice(start, i).trim();
      i++;
    }
    if (url === '') continue;
    const cand: SrcsetCandidate = { url };
    for (const d of descriptors.split(/\s+/).filter(Boolean)) {
      const m = /^(\d+(?:\.\d+)?)([wxh])$/i.exec(d);
      if (!m) continue;
      const num = Number(m[1]);
      if (m[2].toLowerCase() === 'w') cand.width = num;
      else if (m[2].toLowerCase() === 'x') cand.density = num;
    }
    out.push(cand);
  }
  return out;
}

/**
 * The largest rendition in a srcset: the biggest width descriptor when any candidate has one, else the
 * biggest density. Widths and densities cannot be compared with each other; widths win because they
 * describe the file, densities only the intended display.
 */
export function largestSrcsetCandidate(cands: readonly SrcsetCandidate[]): SrcsetCandidate | undefined {
  let best: SrcsetCandidate | undefined;
  const withWidth = cands.filter((c) => c.width !== undefined);
  if (withWidth.length > 0) {
    for (const c of withWidth) if (!best || c.width! > best.width!) best = c;
    return best;
  }
  for (const c of cands) if (!best || (c.density ?? 1) > (best.density ?? 1)) best = c;
  return best;
}

/** Unescapes CSS backslash escapes (`\\(`, `\\31 `) inside a url() value. */
function unescapeCss(s: string): string {
  return s.replace(/\\([0-9a-fA-F]{1,6}\s?|[^\n0-9a-fA-F])/g, (_m, esc: string) => {
    const hex = esc.trim();
    if (/^[0-9a-fA-F]+$/.test(hex)) {
      const cp = parseInt(hex, 16);
      return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : '';
    }
    return esc;
  });
}

/**
 * Every `url(...)` in a piece of CSS (a style attribute or a <style> sheet), in order. `@import` URLs and
 * `src:` inside `@font-face` are skipped: they are style sheets and fonts, never material.
 */
export function cssUrls(css: string): string[] {
  const out: string[] = [];
  // Drop comments first so commented-out rules do not count.
  const text = css.replace(/\/\*[\s\S]*?\*\//g, '');
  const fontFaces: Array<[number, number]> = [];
  const ffRe = /@font-face\s*\{[^}]*\}/gi;
  for (let m = ffRe.exec(text); m; m = ffRe.exec(text)) fontFaces.push([m.index, m.index + m[0].length]);
  const re = /(@import\s+)?url\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|((?:[^)\\\s"']|\\.)*))\s*\)/gi;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[1]) continue;
    const at = m.index;
    if (fontFaces.some(([a, b]) => at >= a && at < b)) continue;
    const raw = m[2] ?? m[3] ?? m[4] ?? '';
    const value = unescapeCss(raw).trim();
    if (value) out.push(value);
  }
  // image-set("a.jpg" 1x, "b.jpg" 2x) may list bare strings without url().
  const setRe = /image-set\(([^)]*(?:\([^)]*\)[^)]*)*)\)/gi;
  for (let m = setRe.exec(text); m; m = setRe.exec(text)) {
    const strRe = /(?:^|,)\s*(?:"([^"]+)"|'([^']+)')/g;
    for (let s = strRe.exec(m[1]); s; s = strRe.exec(m[1])) out.push(unescapeCss(s[1] ?? s[2]).trim());
  }
  return out;
}
