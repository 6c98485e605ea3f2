import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fetcher } from '../../crawler/fetcher.ts';
import { downloadMedia, type MediaLimits, type PoliteFetch } from '../../crawler/media-download.ts';
import type { MediaCandidate } from '../../crawler/extract.ts';
import { syntheticPhoto } from '../support/images.ts';
import { startLocalServer, type LocalServer } from './support/local-server.ts';

// The real guarded fetcher against a real server on loopback (allowed explicitly, as a site's allowHosts
// would); downloadMedia's politeness gate is not under test here, so its fetch goes straight through.
let srv: LocalServer;
let fetcher: Fetcher;
let fetch: PoliteFetch;
let jpeg: Buffer;

const KIB = 1024;
// Small caps, so "too large" needs only kilobytes.
const LIMITS: MediaLimits = { imageBytes: 20 * KIB, videoBytes: 60 * KIB, hlsSeconds: 120, hlsSegments: 60 };

/** `n` MPEG-TS packets (188 bytes, 0x47 sync byte): what the sniffer recognises as a transport stream. */
const ts = (n: number, fill: number) => {
  const b = Buffer.alloc(188 * n, fill);
  for (let i = 0; i < n; i++) b[i * 188] = 0x47;
  return b;
};
/** The head of an MP4 (an ftyp box), padded to `size` bytes. */
const mp4 = (size: number) => Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.alloc(size - 12, 0)]);

const SEGS = [ts(2, 1), ts(2, 2), ts(2, 3)];
const PRIVATE_REFUSED = 'The address 10.0.0.1 is private and the site does not allow it (add it with --allow-host to crawl it).';

beforeAll(async () => {
  jpeg = await syntheticPhoto(4242, 64, 48);
  // Bodies go out chunked, without a Content-Length: a declared length over the cap takes another path
  // in the fetcher, which crashes the process (the last test), so the caps are tested on streamed bodies.
  const send = (type: string, body: Buffer | string) => (_q: unknown, res: import('node:http').ServerResponse) => {
    res.writeHead(200, { 'content-type': type });
    res.write(body);
    res.end();
  };
  const redirect = (to: string) => (_q: unknown, res: import('node:http').ServerResponse) => {
    res.writeHead(302, { location: to });
    res.end();
  };
  srv = await startLocalServer({
    '/img/photo.jpg': send('image/jpeg', jpeg),
    '/img/moved.jpg': redirect('/cdn/photo-final.jpg'),
    '/cdn/photo-final.jpg': send('image/jpeg', jpeg),
    // A .jpg that is really an MP4, within the image cap / over it but within the video cap / over both.
    '/img/small-clip.jpg': send('image/jpeg', mp4(10 * KIB)),
    '/img/clip.jpg': send('image/jpeg', mp4(40 * KIB)),
    '/img/huge-clip.jpg': send('image/jpeg', mp4(80 * KIB)),
    // A real JPEG over the image cap (padding after its end-of-image marker).
    '/img/huge-photo.jpg': send('image/jpeg', Buffer.concat([jpeg, Buffer.alloc(40 * KIB, 0)])),
    // The same clip sent whole with its Content-Length, as most servers send a file.
    '/declared/clip.jpg': (_q, res) => res.end(mp4(40 * KIB)),
    '/img/page.jpg': send('image/jpeg', '<!doctype html><html><body>Not found</body></html>'),
    '/img/drawing.jpg': send('image/jpeg', '<svg xmlns="http://www.w3.org/2000/svg"></svg>'),
    '/img/noise.jpg': send('image/jpeg', Buffer.from('just some text, no magic')),
    '/v/clip.mp4': send('video/mp4', mp4(30 * KIB)),
    // HLS: a master, two variants, segments relative to the variant playlist.
    '/hls/master.m3u8': send('application/vnd.apple.mpegurl', '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=4000000,RESOLUTION=1920x1080\nhd/index.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360\nsd/index.m3u8\n'),
    '/hls/sd/index.m3u8': send('application/vnd.apple.mpegurl', `#EXTM3U\n${SEGS.map((_, i) => `#EXTINF:4,\nseg-${i}.ts`).join('\n')}\n#EXT-X-ENDLIST\n`),
    ...Object.fromEntries(SEGS.map((s, i) => [`/hls/sd/seg-${i}.ts`, send('video/mp2t', s)])),
    // A playlist behind a URL with a video extension.
    '/v/stream.mp4': send('application/vnd.apple.mpegurl', '#EXTM3U\n#EXTINF:4,\n/hls/sd/seg-0.ts\n'),
    '/hls/html-segments.m3u8': send('application/vnd.apple.mpegurl', '#EXTM3U\n#EXTINF:4,\n/img/page.jpg\n#EXTINF:4,\n/img/page.jpg\n'),
    '/hls/private.m3u8': send('application/vnd.apple.mpegurl', '#EXTM3U\n#EXTINF:4,\nhttp://10.0.0.1/seg-0.ts\n'),
    '/hls/long.m3u8': send('application/vnd.apple.mpegurl', `#EXTM3U\n${Array.from({ length: 20 }, () => '#EXTINF:4,\nsd/seg-1.ts').join('\n')}\n`),
    // A playlist moved elsewhere: its segment URIs are relative to where it was served from.
    '/watch/42.m3u8': redirect('/hls/sd/index.m3u8'),
  });
  fetcher = new Fetcher({ allowHosts: ['127.0.0.1'] });
  fetch = (url, maxBytes) => fetcher.fetch({ url, limits: { maxBytes } });
});

afterAll(async () => {
  await fetcher?.close();
  await srv?.close();
});

const at = (path: string) => `${srv.origin}${path}`;
const candidate = (path: string, kind: MediaCandidate['kind'], fallbacks: string[] = []): MediaCandidate => ({ url: at(path), kind, source: 'img', ...(fallbacks.length ? { fallbacks: fallbacks.map(at) } : {}) });
const hitsSince = (n: number) => srv.hits.slice(n);

describe('downloadMedia: single files', () => {
  it('downloads an image and says so from its bytes', async () => {
    expect(await downloadMedia(candidate('/img/photo.jpg', 'image'), fetch, LIMITS)).toEqual({ ok: true, url: at('/img/photo.jpg'), kind: 'image', body: jpeg });
  });

  it('reports the URL the bytes came from after redirects', async () => {
    const r = await downloadMedia(candidate('/img/moved.jpg', 'image'), fetch, LIMITS);
    expect(r).toEqual({ ok: true, url: at('/cdn/photo-final.jpg'), kind: 'image', body: jpeg });
  });

  it('trusts the bytes over the hint: a .jpg serving an MP4 is a video', async () => {
    expect(await downloadMedia(candidate('/img/small-clip.jpg', 'image'), fetch, LIMITS)).toMatchObject({ ok: true, kind: 'video' });
  });

  it('retries an image-hinted URL over the image cap once, under the video cap', async () => {
    const n = srv.hits.length;
    const r = await downloadMedia(candidate('/img/clip.jpg', 'image'), fetch, LIMITS);
    expect(r).toMatchObject({ ok: true, kind: 'video' });
    expect(r.ok && r.body.length).toBe(40 * KIB);
    expect(hitsSince(n)).toEqual(['/img/clip.jpg', '/img/clip.jpg']);
  });

  it('refuses a file over the video cap, naming the cap', async () => {
    const n = srv.hits.length;
    expect(await downloadMedia(candidate('/img/huge-clip.jpg', 'image'), fetch, LIMITS)).toEqual({ ok: false, message: `${at('/img/huge-clip.jpg')} is larger than the 60 KiB limit; it was not downloaded.` });
    expect(hitsSince(n)).toEqual(['/img/huge-clip.jpg', '/img/huge-clip.jpg']);
    expect(await downloadMedia(candidate('/v/clip.mp4', 'video'), fetch, { ...LIMITS, videoBytes: 20 * KIB })).toEqual({ ok: false, message: `${at('/v/clip.mp4')} is larger than the 20 KiB limit; it was not downloaded.` });
  });

  // Found writing these tests: the retry under the video cap (for a .jpg that is really a video) also
  // accepts a real image, so an image-hinted URL's image is capped by videoBytes, not imageBytes.
  // Marked as failing until media-download.ts checks the retried body is a video; remove `.fails` then.
  it('refuses an image over the image cap even though the retry under the video cap fetched it', async () => {
    expect(await downloadMedia(candidate('/img/huge-photo.jpg', 'image'), fetch, LIMITS)).toMatchObject({ ok: false });
  });

  it.each([
    ['/img/page.jpg', 'is an HTML page, not an image or video.'],
    ['/img/drawing.jpg', 'is an SVG drawing, not an image or video.'],
    ['/img/noise.jpg', 'is not a recognised image or video format, not an image or video.'],
  ])('refuses %s by its bytes, whatever its name and type say', async (path, says) => {
    expect(await downloadMedia(candidate(path, 'image'), fetch, LIMITS)).toEqual({ ok: false, message: `${at(path)} ${says}` });
  });

  it('passes the fetcher\'s sentence on for an HTTP error or a refused address', async () => {
    expect(await downloadMedia(candidate('/img/missing.jpg', 'image'), fetch, LIMITS)).toEqual({ ok: false, message: `${at('/img/missing.jpg')} answered with HTTP status 404.` });
    expect(await downloadMedia({ url: 'http://10.0.0.1/x.jpg', kind: 'image', source: 'img' }, fetch, LIMITS)).toEqual({ ok: false, message: PRIVATE_REFUSED });
  });
});

describe('downloadMedia: fallback renditions', () => {
  it('tries the fallbacks in order and returns the first that yields media', async () => {
    const n = srv.hits.length;
    const r = await downloadMedia(candidate('/img/missing-1.jpg', 'image', ['/img/page.jpg', '/img/photo.jpg', '/img/moved.jpg']), fetch, LIMITS);
    expect(r).toEqual({ ok: true, url: at('/img/photo.jpg'), kind: 'image', body: jpeg });
    expect(hitsSince(n)).toEqual(['/img/missing-1.jpg', '/img/page.jpg', '/img/photo.jpg']);
  });

  it('reports the first URL\'s failure when every rendition fails', async () => {
    const r = await downloadMedia(candidate('/img/page.jpg', 'image', ['/img/missing-2.jpg']), fetch, LIMITS);
    expect(r).toEqual({ ok: false, message: `${at('/img/page.jpg')} is an HTML page, not an image or video.` });
  });

  it('tries at most four URLs: the candidate and three fallbacks', async () => {
    const n = srv.hits.length;
    const r = await downloadMedia(candidate('/img/m0.jpg', 'image', ['/img/m1.jpg', '/img/m2.jpg', '/img/m3.jpg', '/img/photo.jpg']), fetch, LIMITS);
    expect(r).toEqual({ ok: false, message: `${at('/img/m0.jpg')} answered with HTTP status 404.` });
    expect(hitsSince(n)).toEqual(['/img/m0.jpg', '/img/m1.jpg', '/img/m2.jpg', '/img/m3.jpg']);
  });
});

describe('downloadMedia: HLS', () => {
  it('assembles a master playlist\'s chosen variant into one stream', async () => {
    const n = srv.hits.length;
    const r = await downloadMedia(candidate('/hls/master.m3u8', 'hls'), fetch, LIMITS);
    expect(r).toEqual({ ok: true, url: at('/hls/master.m3u8'), kind: 'hls', body: Buffer.concat(SEGS) });
    expect(hitsSince(n)).toEqual(['/hls/master.m3u8', '/hls/sd/index.m3u8', '/hls/sd/seg-0.ts', '/hls/sd/seg-1.ts', '/hls/sd/seg-2.ts']);
  });

  it('assembles a playlist found behind a video-hinted URL, once its bytes say HLS', async () => {
    const n = srv.hits.length;
    expect(await downloadMedia(candidate('/v/stream.mp4', 'video'), fetch, LIMITS)).toEqual({ ok: true, url: at('/v/stream.mp4'), kind: 'hls', body: SEGS[0] });
    // Sniffed on the first download, read again by the playlist parser.
    expect(hitsSince(n)).toEqual(['/v/stream.mp4', '/v/stream.mp4', '/hls/sd/seg-0.ts']);
  });

  it('refuses a playlist whose segments are not video', async () => {
    expect(await downloadMedia(candidate('/hls/html-segments.m3u8', 'hls'), fetch, LIMITS)).toEqual({ ok: false, message: `The HLS video ${at('/hls/html-segments.m3u8')} did not yield a video stream.` });
  });

  it('fetches segments through the SSRF guard: a segment on a private address is refused', async () => {
    const n = srv.hits.length;
    expect(await downloadMedia(candidate('/hls/private.m3u8', 'hls'), fetch, LIMITS)).toEqual({ ok: false, message: PRIVATE_REFUSED });
    expect(hitsSince(n)).toEqual(['/hls/private.m3u8']);
  });

  it('caps an HLS video at the video byte cap and the segment cap', async () => {
    // Each segment is 376 bytes: a 1000-byte cap fits two.
    const bytes = await downloadMedia(candidate('/hls/long.m3u8', 'hls'), fetch, { ...LIMITS, videoBytes: 1000 });
    expect(bytes).toMatchObject({ ok: true, kind: 'hls' });
    expect(bytes.ok && bytes.body.length).toBe(2 * 376);
    const segs = await downloadMedia(candidate('/hls/long.m3u8', 'hls'), fetch, { ...LIMITS, hlsSegments: 5 });
    expect(segs.ok && segs.body.length).toBe(5 * 376);
    const secs = await downloadMedia(candidate('/hls/long.m3u8', 'hls'), fetch, { ...LIMITS, hlsSeconds: 12 });
    expect(secs.ok && secs.body.length).toBe(3 * 376);
  });

  it('refuses a playlist that is not one', async () => {
    expect(await downloadMedia(candidate('/img/page.jpg', 'hls'), fetch, LIMITS)).toEqual({ ok: false, message: `${at('/img/page.jpg')} is not an HLS playlist (it does not start with #EXTM3U).` });
  });

  // Found writing these tests: a playlist reached through a redirect has its relative segment URIs
  // resolved against the URL first asked for, not the one that served it (RFC 3986 5.1.3: after a
  // redirect the last URI is the base), because downloadHls drops the fetch's final URL. CDNs redirecting
  // to signed playlist URLs break this way. Marked as failing until fixed; remove `.fails` then.
  it('resolves the segments of a redirected playlist against the URL that served it', async () => {
    const r = await downloadMedia(candidate('/watch/42.m3u8', 'hls'), fetch, LIMITS);
    expect(r).toMatchObject({ ok: true, kind: 'hls', body: Buffer.concat(SEGS) });
  });
});

/** downloadMedia of one image-hinted URL (20 KiB caps) in a child process: its exit code, first error line and result. */
async function downloadInChild(url: string): Promise<{ code: number | null; err: string; result: unknown }> {
  const script = `
    const { Fetcher } = await import(process.argv[1]);
    const { downloadMedia } = await import(process.argv[2]);
    const fetcher = new Fetcher({ allowHosts: ['127.0.0.1'] });
    const limits = { imageBytes: 20 * 1024, videoBytes: 20 * 1024, hlsSeconds: 120, hlsSegments: 60 };
    const r = await downloadMedia({ url: process.argv[3], kind: 'image', source: 'img' }, (url, maxBytes) => fetcher.fetch({ url, limits: { maxBytes } }), limits);
    // Two turns of the event loop: undici reports a destroyed body from a setImmediate.
    for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
    await fetcher.close();
    process.stdout.write(JSON.stringify(r));`;
  const modules = ['../../crawler/fetcher.ts', '../../crawler/media-download.ts'].map((m) => new URL(m, import.meta.url).href);
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, ...modules, url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, err: err.split('\n').find((l) => /Error/.test(l)) ?? '', result: out ? JSON.parse(out) : null };
}

describe('downloadMedia: a server declaring a length over the cap', () => {
  const tooLarge = (path: string) => ({ ok: false, message: `${at(path)} is larger than the 20 KiB limit; it was not downloaded.` });

  it('(the child process harness: a streamed body over the cap is refused, and the process exits cleanly)', async () => {
    expect(await downloadInChild(at('/img/clip.jpg'))).toEqual({ code: 0, err: '', result: tooLarge('/img/clip.jpg') });
  });

  // Found writing these tests: when a response's Content-Length is over the cap and the whole body has
  // arrived, fetcher.ts destroys the unread undici body without an 'error' listener; undici then emits a
  // RequestAbortedError nobody handles, and the process dies (an uncaught exception): any site can stop
  // a crawl worker by serving a large file the ordinary way. Run in a child process, because the crash
  // would take the test runner's worker down with it. Marked as failing until fetcher.ts is fixed;
  // remove `.fails` then.
  it('refuses a file whose declared length is over the cap, and the process lives on', async () => {
    expect(await downloadInChild(at('/declared/clip.jpg'))).toEqual({ code: 0, err: '', result: tooLarge('/declared/clip.jpg') });
  });
});
