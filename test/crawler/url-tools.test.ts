import { describe, expect, it } from 'vitest';
import { isSameSite, resolveHttpUrl, siteHostKey, urlKey } from '../../crawler/url-tools.ts';

const base = new URL('https://board.example/thread/7/page.html?sort=new#top');
const resolve = (raw: string | null | undefined, b: URL = base) => resolveHttpUrl(raw, b)?.href ?? null;

describe('resolveHttpUrl', () => {
  it.each([
    ['img/1.jpg', 'https://board.example/thread/7/img/1.jpg'],
    ['./img/1.jpg', 'https://board.example/thread/7/img/1.jpg'],
    ['../../full/1.jpg', 'https://board.example/full/1.jpg'],
    ['../../../../full/1.jpg', 'https://board.example/full/1.jpg'],
    ['/full/1.jpg', 'https://board.example/full/1.jpg'],
    ['?page=2', 'https://board.example/thread/7/page.html?page=2'],
    // Scheme-relative: takes the page's scheme.
    ['//cdn.example/1.jpg', 'https://cdn.example/1.jpg'],
    ['http://other.example/a b.jpg', 'http://other.example/a%20b.jpg'],
    ['HTTPS://CDN.Example/X.jpg', 'https://cdn.example/X.jpg'],
  ])('resolves %j against the page URL', (raw, want) => {
    expect(resolve(raw)).toBe(want);
  });

  it('strips surrounding whitespace, and tabs and newlines inside the value (as browsers do)', () => {
    expect(resolve('  \n /full/1.jpg \t')).toBe('https://board.example/full/1.jpg');
    expect(resolve('/full/\n1.jp\tg')).toBe('https://board.example/full/1.jpg');
  });

  it('drops the fragment of the value, and does not carry over the base URL\'s', () => {
    expect(resolve('/full/1.jpg#zoom')).toBe('https://board.example/full/1.jpg');
    expect(resolve('?page=2')).not.toContain('#');
    expect(resolve('https://cdn.example/v.mp4#t=10,20')).toBe('https://cdn.example/v.mp4');
  });

  it('returns null for a fragment-only value: it names the page itself', () => {
    expect(resolve('#comments')).toBeNull();
    expect(resolve('  #comments')).toBeNull();
  });

  it('returns null for nothing at all', () => {
    expect(resolve(null)).toBeNull();
    expect(resolve(undefined)).toBeNull();
    expect(resolve('')).toBeNull();
    expect(resolve(' \n\t ')).toBeNull();
  });

  it.each([
    'data:image/png;base64,iVBORw0KGgo=',
    'DATA:image/png;base64,iVBORw0KGgo=',
    'blob:https://board.example/6b1c4a2e',
    'javascript:alert(1)',
    'JavaScript:alert(1)',
    ' javascript:alert(1)',
    // Browsers drop tabs and newlines inside a URL, so this is javascript: too.
    'java\nscript:alert(1)',
    'mailto:admin@board.example',
    'tel:+15550100',
    'about:blank',
    'ftp://files.example/1.jpg',
    'file:///etc/passwd',
    'ws://board.example/live',
    'chrome-extension://abc/icon.png',
    'x-custom:thing',
  ])('returns null for the non-http(s) URL %j', (raw) => {
    expect(resolve(raw)).toBeNull();
  });

  it.each(['http://', 'https://exa mple.com/', 'http://[::1/x', 'http://300.1.1.1/'])('returns null for the unparseable %j', (raw) => {
    expect(resolve(raw)).toBeNull();
  });

  it('resolves against a plain-http base, and leaves the base URL untouched', () => {
    const plain = new URL('http://127.0.0.1:8080/a/b');
    expect(resolve('//cdn.example/1.jpg', plain)).toBe('http://cdn.example/1.jpg');
    expect(resolve('c', plain)).toBe('http://127.0.0.1:8080/a/c');
    expect(base.href).toBe('https://board.example/thread/7/page.html?sort=new#top');
  });
});

describe('urlKey', () => {
  it('is the URL without its fragment, from a string or a URL', () => {
    expect(urlKey('https://board.example/a?x=1#frag')).toBe('https://board.example/a?x=1');
    expect(urlKey(new URL('https://board.example/a#frag'))).toBe('https://board.example/a');
    expect(urlKey('https://board.example/a')).toBe('https://board.example/a');
  });

  it('normalises as the WHATWG parser does, so equal URLs get equal keys', () => {
    expect(urlKey('HTTPS://Board.Example:443/a/../b#x')).toBe(urlKey('https://board.example/b'));
    expect(urlKey('http://board.example')).toBe('http://board.example/');
  });

  it('does not change the URL object it is given', () => {
    const u = new URL('https://board.example/a#frag');
    urlKey(u);
    expect(u.hash).toBe('#frag');
  });

  it('throws on a string that is not a URL (callers pass URLs already resolved)', () => {
    expect(() => urlKey('/relative/path')).toThrow(TypeError);
  });
});

describe('siteHostKey', () => {
  it.each([
    ['board.example', 'board.example'],
    ['www.board.example', 'board.example'],
    ['WWW.Board.EXAMPLE', 'board.example'],
    ['board.example.', 'board.example'],
    ['www.board.example.', 'board.example'],
    // Only one leading www. goes, and only as a whole label.
    ['www.www.board.example', 'www.board.example'],
    ['www2.board.example', 'www2.board.example'],
    ['wwwboard.example', 'wwwboard.example'],
    ['cdn.www.board.example', 'cdn.www.board.example'],
  ])('%s -> %s', (host, key) => {
    expect(siteHostKey(host)).toBe(key);
  });
});

describe('isSameSite', () => {
  it('is true for a start host and its subdomains, www. ignored on both sides', () => {
    expect(isSameSite('board.example', ['board.example'])).toBe(true);
    expect(isSameSite('www.board.example', ['board.example'])).toBe(true);
    expect(isSameSite('board.example', ['www.board.example'])).toBe(true);
    expect(isSameSite('img.board.example', ['www.board.example'])).toBe(true);
    expect(isSameSite('a.b.img.board.example', ['board.example'])).toBe(true);
    expect(isSameSite('IMG.Board.Example.', ['board.example'])).toBe(true);
  });

  it('is true when any of several start hosts matches', () => {
    expect(isSameSite('cdn.mirror.example', ['board.example', 'mirror.example'])).toBe(true);
  });

  it('is false for a host that merely ends with the same letters', () => {
    expect(isSameSite('evilboard.example', ['board.example'])).toBe(false);
    expect(isSameSite('board.example.evil.test', ['board.example'])).toBe(false);
  });

  it('is false for a parent or sibling of a start host: a subdomain start host does not claim its domain', () => {
    expect(isSameSite('example', ['board.example'])).toBe(false);
    expect(isSameSite('forum.example', ['board.example'])).toBe(false);
    expect(isSameSite('board.example', ['uploads.board.example'])).toBe(false);
    expect(isSameSite('www.uploads.board.example', ['uploads.board.example'])).toBe(true);
  });

  it('treats hosts sharing only a public suffix as different sites (no Public Suffix List)', () => {
    expect(isSameSite('b.example.co.uk', ['a.example.co.uk'])).toBe(false);
  });

  it('compares IP literals as whole hosts', () => {
    expect(isSameSite('127.0.0.1', ['127.0.0.1'])).toBe(true);
    expect(isSameSite('127.0.0.2', ['127.0.0.1'])).toBe(false);
    expect(isSameSite('[::1]', ['[::1]'])).toBe(true);
  });

  it('is false with no start hosts', () => {
    expect(isSameSite('board.example', [])).toBe(false);
  });
});
