import { describe, expect, it } from 'vitest';
import { isAllowedByRobots, parseRobots, robotsFromFetch } from '../../crawler/robots.ts';
import { foldKeyword, keywordVariants, searchUrls } from '../../crawler/keyword-variants.ts';

const allowed = (txt: string, path: string) => isAllowedByRobots(parseRobots(txt), new URL(path, 'https://s.example'));

describe('robots.txt', () => {
  const txt = `# comment
User-agent: googlebot
Disallow: /

User-agent: *
Disallow: /private/
Allow: /private/public-*.html$
Disallow: /*.json$
Crawl-delay: 2
Sitemap: https://s.example/sitemap.xml`;

  it('uses the * group when there is none for staydown, longest match wins, allow wins ties', () => {
    expect(allowed(txt, '/gallery/1')).toBe(true);
    expect(allowed(txt, '/private/x')).toBe(false);
    expect(allowed(txt, '/private/public-1.html')).toBe(true);
    expect(allowed(txt, '/private/public-1.html?x=1')).toBe(false);
    expect(allowed(txt, '/data.json')).toBe(false);
    expect(allowed(txt, '/data.json?x')).toBe(true);
    expect(allowed('User-agent: *\nDisallow: /a\nAllow: /a', '/a')).toBe(true);
    const r = parseRobots(txt);
    expect(r.crawlDelaySeconds).toBe(2);
    expect(r.sitemaps).toEqual(['https://s.example/sitemap.xml']);
  });

  it('prefers a group naming staydown, merging groups for the same agent, case-insensitively', () => {
    const t = 'User-agent: *\nDisallow: /\n\nUser-agent: StayDown\nDisallow: /a\n\nUser-agent: other\nUser-agent: staydown\nDisallow: /b';
    expect(allowed(t, '/c')).toBe(true);
    expect(allowed(t, '/a/1')).toBe(false);
    expect(allowed(t, '/b/1')).toBe(false);
  });

  it('treats an empty Disallow as allow-all, and compares percent-encodings', () => {
    expect(allowed('User-agent: *\nDisallow:', '/anything')).toBe(true);
    expect(allowed('User-agent: *\nDisallow: /%7Euser/', '/~user/x')).toBe(false);
  });

  it('follows RFC 9309 for fetch failures: 4xx allows all, 5xx and unreachable disallow all', () => {
    const u = new URL('https://s.example/x');
    expect(isAllowedByRobots(robotsFromFetch({ status: 404, body: '' }), u)).toBe(true);
    expect(isAllowedByRobots(robotsFromFetch({ status: 503, body: '' }), u)).toBe(false);
    expect(isAllowedByRobots(robotsFromFetch({ unreachable: true }), u)).toBe(false);
    expect(isAllowedByRobots(robotsFromFetch({ unreachable: true }), new URL('https://s.example/robots.txt'))).toBe(true);
  });
});

describe('keyword variants', () => {
  it('covers spacing, leetspeak, look-alike scripts and order', () => {
    const v = keywordVariants('Jane  Doe');
    expect(v[0]).toBe('jane doe');
    for (const expected of ['janedoe', 'jane_doe', 'jane.doe', 'jane-doe', 'doe jane', 'j4n3 d03', 'ј\u0430n\u0435 d\u043e\u0435', 'j@ne doe']) {
      expect(v).toContain(expected);
    }
    expect(new Set(v).size).toBe(v.length);
    expect(v.length).toBeLessThanOrEqual(16);
  });

  it('folds a keyword typed with substitutions back to its plain form', () => {
    expect(foldKeyword('J4N3 D03')).toBe('jane doe');
    expect(foldKeyword('ј\u0430n\u0435')).toBe('jane');
    expect(keywordVariants('j4ne')).toContain('jane');
  });

  it('fills a search template, URL-encoding each variant, and refuses a template without {keyword}', () => {
    const urls = searchUrls('https://s.example/search?q={keyword}&page=1', ['ann lee'], 4);
    expect(urls).toEqual([
      'https://s.example/search?q=ann%20lee&page=1', 'https://s.example/search?q=annlee&page=1',
      'https://s.example/search?q=ann_lee&page=1', 'https://s.example/search?q=ann.lee&page=1',
    ]);
    expect(() => searchUrls('https://s.example/search', ['x'])).toThrow(/no \{keyword\} placeholder/);
    expect(keywordVariants('   ')).toEqual([]);
  });
});
