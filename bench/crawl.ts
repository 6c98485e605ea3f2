/**
 * npm run bench:crawl [-- --json]
 * Crawls a generated local site - 2,000 thread pages (+40 index pages), 10,000 images, 200 videos - served
 * on 127.0.0.1, with each engine in its own child process, and reports pages/s, media fingerprinted/s, peak
 * memory, and how long after the crawl started a new post (linked from the first index page) raised its alert.
 * Memory: the crawler's peak RSS, its child processes' (the video host and its ffmpeg runs; Chromium, which
 * the http engine also starts for evidence screenshots), and the peak PSS of the whole process tree - the
 * number to hold against a memory budget, since summed RSS counts shared pages once per process.
 * The browser engine renders every page in Chromium, so it crawls a bounded prefix of the site
 * (BENCH_BROWSER_PAGES, default 120 pages) to finish in a few minutes on two cores.
 * Images are 320x240 JPEGs drawn from a pool of 200 synthetic pictures, each URL's bytes made unique (a
 * different trailer after the JPEG end marker) so content dedupe cannot skip any fingerprint.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { syntheticPhoto } from '../test/support/images.ts';
import { makeMp4 } from '../test/crawler/support/videos.ts';
import { log, report } from './support.ts';

const THREADS = Number(process.env.BENCH_THREADS ?? 2000);
const PER_THREAD = 5;
const PER_INDEX = 50;
const VIDEO_EVERY = 10; // one video per 10 threads: 200 videos
const BROWSER_PAGES = Number(process.env.BENCH_BROWSER_PAGES ?? 120);
const POOL = 200;

async function main(): Promise<void> {
  log(`generating ${POOL} pool images and a test video...`);
  const pool: Buffer[] = [];
  for (let i = 0; i < POOL; i++) pool.push(await syntheticPhoto(10_000 + i, 320, 240));
  const material = await syntheticPhoto(424242, 320, 240);
  const dir = mkdtempSync(join(tmpdir(), 'sd-bench-crawl-'));
  const video = makeMp4(dir, 'v.mp4', 2);
  rmSync(dir, { recursive: true, force: true });
  const indexPages = Math.ceil(THREADS / PER_INDEX);

  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    let m: RegExpExecArray | null;
    if (u.pathname === '/') {
      const p = Number(u.searchParams.get('p') ?? 1);
      const links: string[] = [];
      // The newest post sits at the top of the first index page.
      if (p === 1) links.push('<a href="/new-post"><img src="/new/thumb.jpg"></a>');
      for (let t = (p - 1) * PER_INDEX; t < Math.min(THREADS, p * PER_INDEX); t++) links.push(`<li><a href="/t/${t}">thread ${t}</a></li>`);
      const next = p < indexPages ? `<a rel="next" href="/?p=${p + 1}">next</a>` : '';
      return res.end(`<!doctype html><html><body><ul>${links.join('')}</ul>${next}</body></html>`);
    }
    if (u.pathname === '/new-post') return res.end('<html><body><img src="/new/full.jpg"></body></html>');
    if (u.pathname === '/new/full.jpg' || u.pathname === '/new/thumb.jpg') return res.end(material);
    if ((m = /^\/t\/(\d+)$/.exec(u.pathname))) {
      const t = Number(m[1]);
      const imgs: string[] = [];
      for (let i = 0; i < PER_THREAD; i++) {
        const id = t * PER_THREAD + i;
        imgs.push(i % 3 === 0 ? `<img srcset="/i/${id}.jpg 320w" src="/i/${id}.jpg">` : i % 3 === 1 ? `<img data-src="/i/${id}.jpg" src="data:image/gif;base64,R0lGOD">` : `<a href="/i/${id}.jpg">image ${id}</a>`);
      }
      if (t % VIDEO_EVERY === 0) imgs.push(`<video src="/v/${t}.mp4"></video>`);
      return res.end(`<!doctype html><html><body><a href="/">home</a>${imgs.join('')}</body></html>`);
    }
    if ((m = /^\/i\/(\d+)\.jpg$/.exec(u.pathname))) {
      const id = Number(m[1]);
      res.setHeader('content-type', 'image/jpeg');
      return res.end(Buffer.concat([pool[id % POOL], Buffer.from(`#${id}`)]));
    }
    if ((m = /^\/v\/(\d+)\.mp4$/.exec(u.pathname))) return res.end(Buffer.concat([video, Buffer.from(`#${m[1]}`)]));
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const results: Record<string, unknown> = {};
  // BENCH_ENGINES=http (or browser) runs one engine only.
  const engines = (['http', 'browser'] as const).filter((e) => (process.env.BENCH_ENGINES ?? 'http,browser').split(',').includes(e));
  for (const engine of engines) {
    const maxPages = engine === 'http' ? THREADS + indexPages + 1 : BROWSER_PAGES;
    log(`crawling with the ${engine} engine (${maxPages} pages at most)...`);
    const arg = JSON.stringify({ origin, engine, maxPages, material: material.toString('base64') });
    // Run asynchronously (spawnSync would block this process's HTTP server).
    const serverCpu = process.cpuUsage();
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['bin/run-ts.js', 'bench/crawl-child.ts', arg], { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      child.stdout.on('data', (d) => (text += d));
      child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`The ${engine} crawl exited with status ${code}.`))));
    });
    const served = process.cpuUsage(serverCpu);
    const r = JSON.parse(out.trim().split('\n').pop()!);
    const s = r.stats;
    results[engine] = {
      pages: s.pagesVisited,
      pagesPerSecond: +(s.pagesVisited / r.seconds).toFixed(2),
      mediaFound: s.mediaFound,
      mediaFingerprinted: s.mediaFingerprinted,
      mediaFingerprintedPerSecond: +(s.mediaFingerprinted / r.seconds).toFixed(2),
      mediaFailed: s.mediaFailed,
      seconds: +r.seconds.toFixed(1),
      newPostAlertSeconds: r.firstAlertSeconds === null ? null : +r.firstAlertSeconds.toFixed(2),
      alerts: r.alerts,
      peakRssMb: Math.round(r.peakRssMb),
      // Its child processes: the video host and its ffmpeg runs, and Chromium's processes for the browser engine.
      childrenPeakRssMb: Math.round(r.childrenPeakRssMb),
      childrenPeakPssMb: Math.round(r.childrenPeakPssMb),
      // The memory the whole crawl takes: PSS of the crawler and all its child processes in one sample
      // (PSS splits shared pages between the processes sharing them, so the sum counts each page once).
      totalPeakPssMb: Math.round(r.treePeakPssMb),
      // CPU seconds: the crawler's process (all its threads), its children (ffmpeg, Chromium), and this
      // process serving the site (which shares the two cores with the crawl).
      cpuSeconds: { crawler: +r.cpuSeconds.node.toFixed(1), children: +r.cpuSeconds.children.toFixed(1), siteServer: +((served.user + served.system) / 1e6).toFixed(1) },
    };
  }
  server.close();
  const result = { site: { threadPages: THREADS, indexPages, images: THREADS * PER_THREAD, videos: Math.ceil(THREADS / VIDEO_EVERY) }, ...results };
  report(result, () => {
    const lines = [`site: ${THREADS} thread pages + ${indexPages} index pages, ${THREADS * PER_THREAD} images, ${Math.ceil(THREADS / VIDEO_EVERY)} videos`];
    for (const [engine, r] of Object.entries(results) as Array<[string, Record<string, unknown>]>) {
      lines.push(`${engine}: ${r.pages} pages in ${r.seconds} s = ${r.pagesPerSecond} pages/s; ${r.mediaFingerprinted} media fingerprinted = ${r.mediaFingerprintedPerSecond}/s; ${r.mediaFailed} failed; new post alerted after ${r.newPostAlertSeconds} s; peak RSS ${r.peakRssMb} MB (+ child processes${engine === 'browser' ? ', Chromium included,' : ''} ${r.childrenPeakRssMb} MB summed RSS, ${r.childrenPeakPssMb} MB PSS); whole crawl peak PSS ${r.totalPeakPssMb} MB; CPU ${JSON.stringify(r.cpuSeconds)} s`);
    }
    return lines.join('\n') + '\n';
  });
}

await main();
