/**
 * Spelling variants of a case's keywords, for search URL templates. Uploaders dodge keyword filters by
 * spacing a name differently ("janedoe", "jane_doe"), swapping in look-alike letters from other scripts
 * (Cyrillic "а" for Latin "a"), or the usual leetspeak substitutions ("j4ne d0e"). A site's own search
 * engine usually does not fold these, so each variant is searched. Pure; bounded output.
 */

// Latin -> visually identical Cyrillic letters (the confusables that survive most fonts).
const HOMOGLYPHS: Record<string, string> = { a: 'а', c: 'с', e: 'е', i: 'і', j: 'ј', o: 'о', p: 'р', s: 'ѕ', x: 'х', y: 'у' };
const LEET: Record<string, string> = { a: '4', e: '3', i: '1', o: '0', s: '5', t: '7' };
const SYMBOLS: Record<string, string> = { a: '@', i: '!', s: '$' };

function substitute(s: string, table: Record<string, string>): string {
  return [...s].map((ch) => table[ch] ?? ch).join('');
}

/** A keyword as typed, in the one form keywords are compared and expanded in: NFKC, lower case, single spaces. */
export function plainKeyword(s: string): string {
  return s.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** Maps look-alikes back to plain Latin, so a keyword given with substitutions also yields its plain form. */
export function foldKeyword(s: string): string {
  return [...plainKeyword(s)].map((ch) => FOLD_BACK[ch] ?? ch).join('');
}

const FOLD_BACK: Record<string, string> = Object.fromEntries([HOMOGLYPHS, LEET, SYMBOLS].flatMap((t) => Object.entries(t).map(([plain, look]) => [look, plain])));

/**
 * The variants of one keyword, the plain form first. At most `max` (default 16), deduplicated.
 */
export function keywordVariants(keyword: string, max = 16): string[] {
  const plain = plainKeyword(keyword);
  if (plain === '') return [];
  const folded = foldKeyword(plain);
  const words = folded.split(' ');
  const spacings = words.length > 1 ? [folded, words.join(''), words.join('_'), words.join('.'), words.join('-'), [...words].reverse().join(' ')] : [folded];
  const out: string[] = [plain, ...spacings];
  for (const table of [LEET, HOMOGLYPHS, SYMBOLS]) {
    out.push(substitute(folded, table));
    if (words.length > 1) out.push(substitute(words.join(''), table));
  }
  // Partial leetspeak, only vowels "a" and "o" (the most common single swaps).
  out.push(substitute(folded, { a: '4', o: '0' }));
  return [...new Set(out)].slice(0, max);
}

/** Fills a search URL template's `{keyword}` with each variant of each keyword, URL-encoded. */
export function searchUrls(template: string, keywords: readonly string[], maxPerKeyword = 16): string[] {
  if (!template.includes('{keyword}')) {
    throw new Error(`The search URL template '${template}' has no {keyword} placeholder; add one where the search term goes.`);
  }
  const urls = new Set<string>();
  for (const k of keywords) {
    for (const v of keywordVariants(k, maxPerKeyword)) urls.add(template.split('{keyword}').join(encodeURIComponent(v)));
  }
  return [...urls];
}

/**
 * Tells search pages apart from a site's other pages, so their URLs - which carry case keywords - are kept
 * out of logs. A page is a search page when it starts with one of the search URLs (keyword in the path:
 * "/tag/jane-doe/page/2"), or has the same origin and path as a search URL whose keyword sits in the
 * query (the results' own pagination: "/search?page=2&q=jane+doe"). Conservative by design: with a
 * template on the site's root ("/?q={keyword}") the front page counts as a search page too.
 */
export function searchPageTest(searchUrls: readonly string[]): (url: string) => boolean {
  const queryPaths = new Set<string>();
  const prefixes: string[] = [];
  for (const s of searchUrls) {
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      prefixes.push(s);
      continue;
    }
    if (u.search !== '') queryPaths.add(u.origin + u.pathname);
    else prefixes.push(u.href);
  }
  if (queryPaths.size === 0 && prefixes.length === 0) return () => false;
  return (url) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return true; // unparseable: treat as sensitive
    }
    return queryPaths.has(u.origin + u.pathname) || prefixes.some((p) => url.startsWith(p) || u.href.startsWith(p));
  };
}
