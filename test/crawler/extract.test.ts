import { describe, expect, it } from 'vitest';
import { extractFromHtml } from '../../crawler/extract.ts';
import { cssUrls, largestSrcsetCandidate, parseSrcset } from '../../crawler/srcset-css.ts';

const PAGE = 'https://board.example/threads/42?page=2#top';
const media = (html: string, page = PAGE) => extractFromHtml(html, page).media;
const urls = (html: string, page = PAGE) => media(html, page).map((m) => m.url);

describe('srcset and CSS parsing', () => {
  it('parses width and density descriptors and keeps commas inside CDN paths', () => {
    const c = parseSrcset('https://cdn.example/w_200,h_100/a.jpg 200w, https://cdn.example/w_800,h_400/a.jpg 800w,b.jpg 400w');
    expect(c.map((x) => x.url)).toEqual(['https://cdn.example/w_200,h_100/a.jpg', 'https://cdn.example/w_800,h_400/a.jpg', 'b.jpg']);
    expect(largestSrcsetCandidate(c)?.url).toBe('https://cdn.example/w_800,h_400/a.jpg');
    expect(largestSrcsetCandidate(parseSrcset('a.jpg, b.jpg 2x, c.jpg 1.5x'))?.url).toBe('b.jpg');
    expect(parseSrcset('  ')).toEqual([]);
  });

  it('finds quoted, unquoted and escaped url() values but not fonts or imports', () => {
    const css = `@import url("x.css"); @font-face { src: url(f.woff2) } .a{background:url( 'a b.jpg' )} .b{background-image:url(b\\(1\\).png)}
      /* .c{background:url(commented.jpg)} */ .d{background-image:image-set("d1.jpg" 1x, "d2.jpg" 2x)}`;
    expect(cssUrls(css)).toEqual(['a b.jpg', 'b(1).png', 'd1.jpg', 'd2.jpg']);
  });
});

describe('extractFromHtml', () => {
  it('resolves relative URLs against the page and drops fragments', () => {
    const r = extractFromHtml('<img src="../img/a.jpg#x"><a href="/t/1#reply">t</a>', PAGE);
    expect(r.media.map((m) => m.url)).toEqual(['https://board.example/img/a.jpg']);
    expect(r.links).toEqual([{ url: 'https://board.example/t/1', thumbnail: false }]);
  });

  it('honours <base href>, even when it comes after the first URL', () => {
    const r = extractFromHtml('<img src="a.jpg"><head><base href="https://static.example/m/"></head><a href="p2">n</a>', PAGE);
    expect(r.baseUrl).toBe('https://static.example/m/');
    expect(r.media[0].url).toBe('https://static.example/m/a.jpg');
    expect(r.links[0].url).toBe('https://static.example/m/p2');
  });

  it('picks the largest srcset rendition and keeps the rest as fallbacks', () => {
    const [m] = media('<img src="s.jpg" srcset="s.jpg 320w, l.jpg 1600w, m.jpg 800w">');
    expect(m.url).toBe('https://board.example/threads/l.jpg');
    expect(m.fallbacks).toEqual(['https://board.example/threads/s.jpg', 'https://board.example/threads/m.jpg']);
  });

  it('prefers lazy-loading attributes over a placeholder src', () => {
    expect(urls('<img src="data:image/gif;base64,R0lGOD" data-src="/real.jpg">')).toEqual(['https://board.example/real.jpg']);
    expect(urls('<img src="/blank.gif" data-lazy-src="/lazy.png">')[0]).toBe('https://board.example/lazy.png');
    expect(urls('<img class="lazy" data-original="/orig.webp">')).toEqual(['https://board.example/orig.webp']);
    expect(urls('<img data-srcset="/a.jpg 1x, /b.jpg 3x" src="/p.gif">')[0]).toBe('https://board.example/b.jpg');
    expect(urls('<img src="/t.jpg" data-zoom-image="/full.jpg" srcset="/t2.jpg 2x">')[0]).toBe('https://board.example/full.jpg');
  });

  it('treats <picture> sources and its <img> as one image and takes the largest', () => {
    const html = `<picture><source type="image/avif" srcset="/p-400.avif 400w, /p-1200.avif 1200w">
      <source srcset="/p-800.jpg 800w"><img src="/p-200.jpg" alt=""></picture>`;
    const m = media(html);
    expect(m[0]).toMatchObject({ url: 'https://board.example/p-1200.avif', source: 'picture' });
    expect(m).toHaveLength(1);
  });

  it('finds CSS background images in style attributes, <style> sheets and lazy background attributes', () => {
    const html = `<style>.hero{background:#000 url("/hero.jpg") no-repeat} @font-face{src:url(/f.woff)} .i{background:url(/icon.svg)}</style>
      <div style="background-image: url('/inline.png')"></div><div data-bg="/lazybg.jpg"></div>`;
    expect(urls(html).sort()).toEqual(['https://board.example/hero.jpg', 'https://board.example/inline.png', 'https://board.example/lazybg.jpg']);
  });

  it('turns a thumbnail linking to a media file into that file, and one linking to a page into a thumbnail link', () => {
    const html = `<a href="/full/1.jpg"><img src="/thumb/1s.jpg"></a>
      <a href="/view/2"><img src="/thumb/2s.jpg"></a><a href="/about">About</a>
      <a href="/view/3"><span style="background-image:url(/thumb/3s.jpg)"></span></a>`;
    const r = extractFromHtml(html, PAGE);
    expect(r.media.map((m) => [m.url.replace('https://board.example', ''), m.source])).toEqual([
      ['/thumb/1s.jpg', 'img'], ['/full/1.jpg', 'anchor'], ['/thumb/2s.jpg', 'img'], ['/thumb/3s.jpg', 'css'],
    ]);
    expect(r.links).toEqual([
      { url: 'https://board.example/view/2', thumbnail: true },
      { url: 'https://board.example/about', thumbnail: false },
      { url: 'https://board.example/view/3', thumbnail: true },
    ]);
  });

  it('finds video sources (preferring MP4), posters, HLS playlists and media links', () => {
    const html = `<video poster="/v/poster.jpg"><source src="/v/clip.webm" type="video/webm"><source src="/v/clip.mp4" type="video/mp4"></video>
      <video src="/live/master.m3u8"></video><a href="/dl/movie.MOV">download</a>`;
    const m = media(html);
    expect(m.map((x) => [x.url.replace('https://board.example', ''), x.kind])).toEqual([
      ['/v/poster.jpg', 'image'], ['/v/clip.mp4', 'video'], ['/live/master.m3u8', 'hls'], ['/dl/movie.MOV', 'video'],
    ]);
    expect(m[1].fallbacks).toEqual(['https://board.example/v/clip.webm']);
  });

  it('reads Open Graph, Twitter cards, image_src, preload links and JSON-LD', () => {
    const html = `<head><meta property="og:image" content="https://cdn.example/og.jpg">
      <meta property="og:video:secure_url" content="https://cdn.example/og.mp4"><meta name="twitter:image" content="/tw.png">
      <link rel="image_src" href="/is.jpg"><link rel="preload" as="image" href="/pre.jpg">
      <script type="application/ld+json">{"@type":"VideoObject","contentUrl":"https://cdn.example/v/123","thumbnailUrl":["https://cdn.example/th.jpg"]}</script></head>`;
    const m = media(html);
    expect(m.map((x) => [x.url, x.kind, x.source])).toEqual([
      ['https://cdn.example/og.jpg', 'image', 'meta'], ['https://cdn.example/og.mp4', 'video', 'meta'],
      ['https://board.example/tw.png', 'image', 'meta'], ['https://board.example/is.jpg', 'image', 'link'],
      ['https://board.example/pre.jpg', 'image', 'link'], ['https://cdn.example/v/123', 'video', 'jsonld'],
      ['https://cdn.example/th.jpg', 'image', 'jsonld'],
    ]);
  });

  it('finds media URLs inside inline scripts and data attributes, with escaped slashes', () => {
    const html = `<script>window.__DATA__={"items":[{"full":"https:\\/\\/img.example\\/a\\/1.jpg"},{"u":"https://img.example/b/2.webp?w=2000"}]}</script>
      <script src="/app.js"></script><div class="gallery-item" data-full-image="/g/3.png" data-id="3"></div>`;
    expect(urls(html)).toEqual(['https://img.example/a/1.jpg', 'https://img.example/b/2.webp?w=2000', 'https://board.example/g/3.png']);
  });

  it('keeps iframes and rel=next as page links and skips non-http schemes', () => {
    const r = extractFromHtml(`<link rel="next" href="?page=3"><iframe src="/embed/9"></iframe>
      <a href="javascript:void(0)">x</a><a href="mailto:a@b">m</a><a href="ftp://f.example/x">f</a><img src="blob:abc">`, PAGE);
    expect(r.links.map((l) => l.url)).toEqual(['https://board.example/threads/42?page=3', 'https://board.example/embed/9']);
    expect(r.media).toEqual([]);
  });

  it('deduplicates media and links, merging the thumbnail flag', () => {
    const r = extractFromHtml('<img src="/a.jpg"><img src="/a.jpg#2"><a href="/p">p</a><a href="/p"><img src="/a.jpg"></a>', PAGE);
    expect(r.media.map((m) => m.url)).toEqual(['https://board.example/a.jpg']);
    expect(r.links).toEqual([{ url: 'https://board.example/p', thumbnail: true }]);
  });

  it('survives malformed HTML: unclosed tags, stray quotes, uppercase, entities, broken JSON-LD', () => {
    const html = `<HTML><BODY><DIV><A HREF="/x?a=1&amp;b=2"><IMG SRC='/u.JPG' <p>text<img src=/bare.png alt=x>
      <a href="/unclosed"><img src="/in-unclosed.gif">
      <script type="application/ld+json">{not json "contentUrl": "https://c.example/z.jpg"</script>
      <table><tr><td><img data-src="/td.jpg"></table></div>`;
    const r = extractFromHtml(html, PAGE);
    const found = r.media.map((m) => m.url);
    expect(found).toContain('https://board.example/u.JPG');
    expect(found).toContain('https://board.example/bare.png');
    expect(found).toContain('https://board.example/td.jpg');
    expect(found).toContain('https://c.example/z.jpg');
    expect(found).toContain('https://board.example/in-unclosed.gif');
    expect(r.links).toContainEqual({ url: 'https://board.example/unclosed', thumbnail: true });
    expect(r.links.map((l) => l.url)).toContain('https://board.example/x?a=1&b=2');
  });

  it('returns nothing, without throwing, for empty, binary or non-HTML input', () => {
    expect(extractFromHtml('', PAGE)).toEqual({ baseUrl: 'https://board.example/threads/42?page=2', links: [], media: [] });
    const junk = String.fromCharCode(...Array.from({ length: 4000 }, (_, i) => (i * 7919) % 256));
    expect(() => extractFromHtml(junk, PAGE)).not.toThrow();
  });

  it('caps the number of links and media kept from a pathological page', () => {
    const html = Array.from({ length: 300 }, (_, i) => `<a href="/p${i}"><img src="/i${i}.jpg"></a>`).join('');
    const r = extractFromHtml(html, PAGE, { maxLinks: 50, maxMedia: 20 });
    expect(r.links).toHaveLength(50);
    expect(r.media).toHaveLength(20);
  });
});
