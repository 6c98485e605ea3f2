/**
 * Fixture sites for crawler tests and the crawl benchmark, generated and served on 127.0.0.1: an image
 * board (paginated index, thread pages, thumbnails linking to full size, lazy data-src, srcset, CSS
 * backgrounds), a search page, a video page, and hostile routes. Images are synthetic shapes and noise.
 */
import type { ServerResponse } from 'node:http';
import { fixtureImage } from './fixture-images.ts';
import { startLocalServer, type LocalServer } from './local-server.ts';

export interface BoardOptions {
  threads: number;
  imagesPerThread: number;
  threadsPerIndexPage: number;
  /** Image numbers whose bytes are replaced (the re-uploaded material), by image number. */
  planted?: Map<number, Buffer>;
  /** Extra HTML appended to the first index page (hostile links, off-site links). */
  indexExtra?: string;
  /** Extra routes (path -> handler). */
  routes?: Parameters<typeof startLocalServer>[0];
  /** Image size; small keeps tests fast. */
  width?: number;
  height?: number;
}

export interface Board extends LocalServer {
  imageUrl(n: number, size: 'thumb' | 'full'): string;
  threadOfImage(n: number): number;
}

const page = (title: string, body: string) => `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`;

async function sendImage(res: ServerResponse, bytes: Buffer) {
  res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(bytes.length) });
  res.end(bytes);
}

export async function startBoard(opts: BoardOptions): Promise<Board> {
  const { threads, imagesPerThread: per, threadsPerIndexPage: perIndex } = opts;
  const w = opts.width ?? 320;
  const h = opts.height ?? 240;
  const indexPages = Math.ceil(threads / perIndex);
  const firstImage = (t: number) => t * per;
  const bytesOf = async (n: number, size: 'thumb' | 'full') => {
    const planted = opts.planted?.get(n);
    if (planted) {
      if (size === 'full') return planted;
      const { default: sharp } = await import('sharp');
      return sharp(planted).resize(120).jpeg({ quality: 80 }).toBuffer();
    }
    return size === 'full' ? fixtureImage(n, w, h) : fixtureImage(n, 120, 90);
  };
  const srv = await startLocalServer(
    {
      '/': (_q, res, u) => {
        const p = Math.max(1, Number(u.searchParams.get('page') ?? 1));
        const items: string[] = [];
        for (let t = (p - 1) * perIndex; t < Math.min(threads, p * perIndex); t++) {
          // Index thumbnails: lazy-loaded with data-src over a placeholder, linking to the thread page.
          items.push(`<div class="thread"><a href="/thread/${t}"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" data-src="/thumb/${firstImage(t)}.jpg" alt=""></a><span>Thread ${t}</span></div>`);
        }
        const nav = [p > 1 ? `<a href="/?page=${p - 1}">prev</a>` : '', p < indexPages ? `<a href="/?page=${p + 1}">next</a>` : ''].join(' ');
        const head = p < indexPages ? `<link rel="next" href="/?page=${p + 1}">` : '';
        res.setHeader('content-type', 'text/html; charset=utf-8');
        res.end(page(`Board page ${p}`, `${head}${items.join('\n')}<nav>${nav}</nav>${p === 1 ? opts.indexExtra ?? '' : ''}`));
      },
      '/robots.txt': (_q, res) => res.end('User-agent: *\nDisallow: /admin/\n'),
      '/admin/secret': (_q, res) => res.end(page('admin', '<img src="/full/999999.jpg">')),
      ...opts.routes,
    },
    async (_q, res, u) => {
      let m = /^\/thread\/(\d+)$/.exec(u.pathname);
      if (m) {
        const t = Number(m[1]);
        if (t >= threads) { res.statusCode = 404; return res.end(); }
        const posts: string[] = [];
        for (let i = 0; i < per; i++) {
          const n = firstImage(t) + i;
          // Three markup shapes in turn: srcset inside a link to the full file, lazy data-src, CSS background.
          if (i % 3 === 0) posts.push(`<a href="/full/${n}.jpg"><img src="/thumb/${n}.jpg" srcset="/thumb/${n}.jpg 120w, /full/${n}.jpg ${w}w" sizes="120px"></a>`);
          else if (i % 3 === 1) posts.push(`<figure><img class="lazy" data-src="/full/${n}.jpg" src="/static/blank.gif"></figure>`);
          else posts.push(`<a href="/post/${n}"><div class="th" style="background-image:url('/thumb/${n}.jpg')"></div></a>`);
        }
        res.setHeader('content-type', 'text/html; charset=utf-8');
        return res.end(page(`Thread ${t}`, `<a href="/">index</a>${posts.join('\n')}`));
      }
      m = /^\/post\/(\d+)$/.exec(u.pathname);
      if (m) return res.end(page(`Post ${m[1]}`, `<main><img src="/full/${m[1]}.jpg" alt=""></main>`));
      m = /^\/(thumb|full)\/(\d+)\.jpg$/.exec(u.pathname);
      if (m) return sendImage(res, await bytesOf(Number(m[2]), m[1] as 'thumb' | 'full'));
      res.statusCode = 404;
      res.end('not found');
    },
  );
  return Object.assign(srv, {
    imageUrl: (n: number, size: 'thumb' | 'full') => `${srv.origin}/${size}/${n}.jpg`,
    threadOfImage: (n: number) => Math.floor(n / per),
  });
}
