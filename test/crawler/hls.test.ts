import { describe, expect, it } from 'vitest';
import { assembleHls, chooseVariant, parseM3u8, type HlsDownload, type HlsLimits, type HlsVariant } from '../../crawler/hls.ts';

const MASTER_URL = 'https://video.example/watch/42/master.m3u8?token=abc';
const MIB = 1024 * 1024;

describe('parseM3u8: master playlists', () => {
  const master = [
    '#EXTM3U',
    '#EXT-X-VERSION:6',
    '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="English",URI="audio/en.m3u8"',
    '#EXT-X-STREAM-INF:BANDWIDTH=2500000,AVERAGE-BANDWIDTH=2000000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2",AUDIO="aud"',
    '720p/index.m3u8',
    '#EXT-X-STREAM-INF:AVERAGE-BANDWIDTH=600000,BANDWIDTH=800000,RESOLUTION=640x360',
    '# a comment between the tag and its URI',
    '',
    '/abs/360p.m3u8',
    '#EXT-X-STREAM-INF:BANDWIDTH=300000',
    'https://cdn.example/low.m3u8?sig=1',
    '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90000,RESOLUTION=1280x720,URI="iframes.m3u8"',
  ].join('\n');

  it('lists every EXT-X-STREAM-INF variant with its bandwidth and height, URIs resolved against the playlist URL', () => {
    expect(parseM3u8(master, MASTER_URL)).toEqual({
      type: 'master',
      variants: [
        { url: 'https://video.example/watch/42/720p/index.m3u8', bandwidth: 2_500_000, height: 720 },
        { url: 'https://video.example/abs/360p.m3u8', bandwidth: 800_000, height: 360 },
        { url: 'https://cdn.example/low.m3u8?sig=1', bandwidth: 300_000 },
      ],
    });
  });

  it('reads CRLF line endings and a byte-order mark', () => {
    const crlf = `\uFEFF${master.replaceAll('\n', '\r\n')}`;
    expect(parseM3u8(crlf, MASTER_URL)).toEqual(parseM3u8(master, MASTER_URL));
  });

  it('skips a stream tag with no URI after it, and takes a missing or odd BANDWIDTH/RESOLUTION as unknown', () => {
    const pl = parseM3u8('#EXTM3U\n#EXT-X-STREAM-INF:RESOLUTION=wide\nonly.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=5\n', MASTER_URL);
    expect(pl).toEqual({ type: 'master', variants: [{ url: 'https://video.example/watch/42/only.m3u8', bandwidth: 0 }] });
  });

  it('is a master playlist with no variants when no stream tag has a URI', () => {
    expect(parseM3u8('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n', MASTER_URL)).toEqual({ type: 'master', variants: [] });
  });
});

describe('parseM3u8: media playlists', () => {
  const MEDIA_URL = 'https://video.example/watch/42/720p/index.m3u8';

  it('lists segments in order with their durations, relative and absolute URIs resolved against the playlist URL', () => {
    const text = [
      '#EXTM3U',
      '#EXT-X-TARGETDURATION:6',
      '#EXT-X-MEDIA-SEQUENCE:0',
      '#EXTINF:6.006,',
      'seg-0.ts',
      '#EXTINF:5.5,title here',
      '../shared/seg-1.ts?range=2',
      '#EXT-X-DISCONTINUITY',
      '#EXTINF:4,',
      '/root/seg-2.ts',
      '#EXTINF:2.25,',
      'https://cdn.example/seg-3.ts',
      '#EXT-X-ENDLIST',
    ].join('\n');
    expect(parseM3u8(text, MEDIA_URL)).toEqual({
      type: 'media',
      segments: [
        { url: 'https://video.example/watch/42/720p/seg-0.ts', duration: 6.006 },
        { url: 'https://video.example/watch/42/shared/seg-1.ts?range=2', duration: 5.5 },
        { url: 'https://video.example/root/seg-2.ts', duration: 4 },
        { url: 'https://cdn.example/seg-3.ts', duration: 2.25 },
      ],
      encrypted: false,
    });
  });

  it('gives a segment without a usable EXTINF a duration of 0 (an EXTINF applies to the next segment only)', () => {
    const pl = parseM3u8('#EXTM3U\n#EXTINF:3,\na.ts\nb.ts\n#EXTINF:bogus,\nc.ts\n', MEDIA_URL);
    expect(pl.type === 'media' && pl.segments.map((s) => s.duration)).toEqual([3, 0, 0]);
  });

  it('reads the fMP4 init segment from EXT-X-MAP', () => {
    const pl = parseM3u8('#EXTM3U\n#EXT-X-MAP:URI="init.mp4",BYTERANGE="720@0"\n#EXTINF:4,\nseg-0.m4s\n', MEDIA_URL);
    expect(pl).toEqual({ type: 'media', initUrl: 'https://video.example/watch/42/720p/init.mp4', segments: [{ url: 'https://video.example/watch/42/720p/seg-0.m4s', duration: 4 }], encrypted: false });
  });

  it.each([
    ['#EXT-X-KEY:METHOD=AES-128,URI="https://keys.example/k1",IV=0x1234', true],
    ['#EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://k"', true],
    ['#EXT-X-KEY:METHOD=NONE', false],
    // No METHOD attribute: read as NONE.
    ['#EXT-X-KEY:URI="k"', false],
  ])('%s -> encrypted: %s', (tag, encrypted) => {
    const pl = parseM3u8(`#EXTM3U\n${tag}\n#EXTINF:4,\nseg-0.ts\n`, MEDIA_URL);
    expect(pl.type === 'media' && pl.encrypted).toBe(encrypted);
  });

  it('is a media playlist with no segments when it lists none', () => {
    expect(parseM3u8('#EXTM3U\n#EXT-X-ENDLIST\n', MEDIA_URL)).toEqual({ type: 'media', segments: [], encrypted: false });
  });
});

describe('parseM3u8: what is not a playlist', () => {
  it.each([
    ['an HTML page', '<!doctype html><html><body>#EXTM3U</body></html>'],
    ['an empty body', ''],
    ['a segment list without the header', 'seg-0.ts\nseg-1.ts\n'],
    ['a lower-case header', '#extm3u\nseg-0.ts\n'],
  ])('refuses %s with a sentence naming the URL', (_what, text) => {
    expect(() => parseM3u8(text, 'https://video.example/x.m3u8')).toThrow('https://video.example/x.m3u8 is not an HLS playlist (it does not start with #EXTM3U).');
  });
});

describe('chooseVariant', () => {
  const v = (bandwidth: number, height?: number): HlsVariant => ({ url: `https://v.example/${bandwidth}.m3u8`, bandwidth, ...(height ? { height } : {}) });

  it('takes the lowest-bandwidth variant at least 360 lines high', () => {
    expect(chooseVariant([v(5000, 1080), v(300, 240), v(800, 360), v(1500, 480)])).toEqual(v(800, 360));
    // Bandwidth decides among the tall-enough ones, not height.
    expect(chooseVariant([v(900, 480), v(700, 720)])).toEqual(v(700, 720));
  });

  it('falls back to the highest-bandwidth variant when all are under 360 lines', () => {
    expect(chooseVariant([v(100, 144), v(300, 240), v(200, 180)])).toEqual(v(300, 240));
  });

  it('treats a variant without a resolution as too small when others have one', () => {
    expect(chooseVariant([v(100), v(400, 360), v(200)])).toEqual(v(400, 360));
    expect(chooseVariant([v(900), v(300, 240)])).toEqual(v(900));
  });

  it('takes the middle bandwidth (the lower of two middles) when no variant has a resolution', () => {
    expect(chooseVariant([v(900), v(100), v(500)])).toEqual(v(500));
    expect(chooseVariant([v(400), v(300), v(200), v(100)])).toEqual(v(200));
    expect(chooseVariant([v(700)])).toEqual(v(700));
  });

  it('is undefined for no variants, and leaves the list as it was', () => {
    expect(chooseVariant([])).toBeUndefined();
    const list = [v(900, 720), v(100, 144)];
    chooseVariant(list);
    expect(list).toEqual([v(900, 720), v(100, 144)]);
  });
});

/**
 * An HLS origin as a table of URLs to bodies, behind the `HlsDownload` seam assembleHls is written
 * against; the download's byte cap is honoured as the fetcher honours it. The real fetcher and a real
 * server are in media-download.test.ts.
 */
function origin(files: Record<string, string | Buffer>) {
  const calls: Array<[string, number]> = [];
  const download: HlsDownload = async (url, maxBytes) => {
    calls.push([url, maxBytes]);
    const body = files[url];
    if (body === undefined) return { ok: false, message: `${url} answered with HTTP status 404.` };
    const bytes = Buffer.from(body);
    if (bytes.length > maxBytes) return { ok: false, message: `${url} is larger than the limit.` };
    return { ok: true, body: bytes };
  };
  return { download, calls, urls: () => calls.map(([u]) => u) };
}

const seg = (n: number, size = 100) => Buffer.alloc(size, n);
const LIMITS: HlsLimits = { maxBytes: 10 * MIB, maxSeconds: 120, maxSegments: 60 };
const mediaPlaylist = (segs: number, secs = 4) => `#EXTM3U\n${Array.from({ length: segs }, (_, i) => `#EXTINF:${secs},\nseg-${i}.ts`).join('\n')}\n#EXT-X-ENDLIST\n`;

describe('assembleHls', () => {
  const M = 'https://video.example/v/index.m3u8';
  const S = (i: number) => `https://video.example/v/seg-${i}.ts`;

  it('joins a media playlist\'s segments in order', async () => {
    const o = origin({ [M]: mediaPlaylist(3), [S(0)]: seg(0), [S(1)]: seg(1), [S(2)]: seg(2) });
    expect(await assembleHls(M, o.download, LIMITS)).toEqual({ ok: true, body: Buffer.concat([seg(0), seg(1), seg(2)]), segments: 3 });
    expect(o.urls()).toEqual([M, S(0), S(1), S(2)]);
  });

  it('follows a master playlist to the chosen variant, resolving its segments against the variant\'s URL', async () => {
    const master = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=5000000,RESOLUTION=1920x1080\nhd/index.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=900000,RESOLUTION=640x360\nsd/index.m3u8\n';
    const o = origin({
      'https://video.example/m.m3u8': master,
      'https://video.example/sd/index.m3u8': '#EXTM3U\n#EXTINF:4,\nseg-0.ts\n#EXTINF:4,\nseg-1.ts\n',
      'https://video.example/sd/seg-0.ts': seg(1),
      'https://video.example/sd/seg-1.ts': seg(2),
    });
    expect(await assembleHls('https://video.example/m.m3u8', o.download, LIMITS)).toEqual({ ok: true, body: Buffer.concat([seg(1), seg(2)]), segments: 2 });
    expect(o.urls()).toEqual(['https://video.example/m.m3u8', 'https://video.example/sd/index.m3u8', 'https://video.example/sd/seg-0.ts', 'https://video.example/sd/seg-1.ts']);
  });

  it('puts the fMP4 init segment first', async () => {
    const o = origin({ [M]: '#EXTM3U\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:4,\nseg-0.ts\n', 'https://video.example/v/init.mp4': seg(9, 40), [S(0)]: seg(0) });
    expect(await assembleHls(M, o.download, LIMITS)).toEqual({ ok: true, body: Buffer.concat([seg(9, 40), seg(0)]), segments: 1 });
  });

  it('reads playlists under a 1 MiB cap and each segment under what is left of the byte cap', async () => {
    const o = origin({ [M]: mediaPlaylist(3), [S(0)]: seg(0), [S(1)]: seg(1), [S(2)]: seg(2) });
    await assembleHls(M, o.download, { ...LIMITS, maxBytes: 1000 });
    expect(o.calls).toEqual([[M, MIB], [S(0), 1000], [S(1), 900], [S(2), 800]]);
  });

  it('stops at the byte cap with what it has: a segment over what is left ends the video', async () => {
    const o = origin({ [M]: mediaPlaylist(4), [S(0)]: seg(0), [S(1)]: seg(1), [S(2)]: seg(2), [S(3)]: seg(3) });
    expect(await assembleHls(M, o.download, { ...LIMITS, maxBytes: 250 })).toEqual({ ok: true, body: Buffer.concat([seg(0), seg(1)]), segments: 2 });
    expect(o.urls()).toEqual([M, S(0), S(1), S(2)]);
  });

  it('does not ask for another segment once the byte cap is reached exactly', async () => {
    const o = origin({ [M]: mediaPlaylist(4), [S(0)]: seg(0), [S(1)]: seg(1), [S(2)]: seg(2), [S(3)]: seg(3) });
    expect(await assembleHls(M, o.download, { ...LIMITS, maxBytes: 200 })).toMatchObject({ ok: true, segments: 2 });
    expect(o.urls()).toEqual([M, S(0), S(1)]);
  });

  it('stops at the segment cap', async () => {
    const o = origin({ [M]: mediaPlaylist(5), ...Object.fromEntries([0, 1, 2, 3, 4].map((i) => [S(i), seg(i)])) });
    expect(await assembleHls(M, o.download, { ...LIMITS, maxSegments: 2 })).toMatchObject({ ok: true, segments: 2 });
    expect(o.urls()).toEqual([M, S(0), S(1)]);
  });

  it('stops once the segments fetched reach the seconds cap (the last one may cross it)', async () => {
    const o = origin({ [M]: mediaPlaylist(5, 4), ...Object.fromEntries([0, 1, 2, 3, 4].map((i) => [S(i), seg(i)])) });
    // 0 s, 4 s, 8 s fetched so far are under 10 s: three segments, 12 s of video.
    expect(await assembleHls(M, o.download, { ...LIMITS, maxSeconds: 10 })).toMatchObject({ ok: true, segments: 3 });
    expect(o.urls()).toEqual([M, S(0), S(1), S(2)]);
  });

  it('keeps a partial video when a later segment fails', async () => {
    const o = origin({ [M]: mediaPlaylist(3), [S(0)]: seg(0) });
    expect(await assembleHls(M, o.download, LIMITS)).toEqual({ ok: true, body: seg(0), segments: 1 });
    expect(o.urls()).toEqual([M, S(0), S(1)]);
  });

  it('fails with the download\'s sentence when the first segment, the init segment or a playlist fails', async () => {
    expect(await assembleHls(M, origin({ [M]: mediaPlaylist(2), [S(1)]: seg(1) }).download, LIMITS)).toEqual({ ok: false, message: `${S(0)} answered with HTTP status 404.` });
    expect(await assembleHls(M, origin({ [M]: '#EXTM3U\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:4,\nseg-0.ts\n', [S(0)]: seg(0) }).download, LIMITS)).toEqual({ ok: false, message: 'https://video.example/v/init.mp4 answered with HTTP status 404.' });
    expect(await assembleHls(M, origin({}).download, LIMITS)).toEqual({ ok: false, message: `${M} answered with HTTP status 404.` });
    const toMissingVariant = origin({ [M]: '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\ngone.m3u8\n' });
    expect(await assembleHls(M, toMissingVariant.download, LIMITS)).toEqual({ ok: false, message: 'https://video.example/v/gone.m3u8 answered with HTTP status 404.' });
  });

  it('refuses a playlist over 1 MiB without parsing it', async () => {
    const o = origin({ [M]: `#EXTM3U\n${'#EXT-X-PROGRAM-DATE-TIME:2024-01-01T00:00:00Z\n'.repeat(30_000)}` });
    expect(await assembleHls(M, o.download, LIMITS)).toEqual({ ok: false, message: `${M} is larger than the limit.` });
  });

  it.each([
    ['is not a playlist', '<html>nope</html>', `${M} is not an HLS playlist (it does not start with #EXTM3U).`],
    ['lists no variants', '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n', `The HLS playlist ${M} lists no variants.`],
    ['lists no segments', '#EXTM3U\n#EXT-X-ENDLIST\n', `The HLS playlist ${M} lists no segments.`],
    ['is encrypted', '#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI="k"\n#EXTINF:4,\nseg-0.ts\n', `The HLS video ${M} is encrypted; encrypted streams are not fingerprinted.`],
  ])('fails with a sentence when the playlist %s, fetching no segment', async (_what, text, message) => {
    const o = origin({ [M]: text, [S(0)]: seg(0) });
    expect(await assembleHls(M, o.download, LIMITS)).toEqual({ ok: false, message });
    expect(o.urls()).toEqual([M]);
  });

  it('names the variant playlist, not the master, when the variant is the bad one', async () => {
    const o = origin({ [M]: '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nsd.m3u8\n', 'https://video.example/v/sd.m3u8': '#EXTM3U\n' });
    expect(await assembleHls(M, o.download, LIMITS)).toEqual({ ok: false, message: 'The HLS playlist https://video.example/v/sd.m3u8 lists no segments.' });
  });

  it('refuses a master playlist whose variant is another master (one level of nesting only)', async () => {
    const o = origin({
      [M]: '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nm2.m3u8\n',
      'https://video.example/v/m2.m3u8': '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nm3.m3u8\n',
      'https://video.example/v/m3.m3u8': mediaPlaylist(1),
    });
    expect(await assembleHls(M, o.download, LIMITS)).toEqual({ ok: false, message: `The HLS playlist ${M} nests playlists too deeply.` });
    expect(o.urls()).toEqual([M, 'https://video.example/v/m2.m3u8']);
  });

  // Found writing these tests: when the init segment alone fills the byte cap, no media segment is
  // fetched and the result is still "ok" with 0 segments (an init segment has no frames to fingerprint).
  // It should fail with a sentence instead. Marked as failing until hls.ts is fixed; remove `.fails` then.
  it('fails rather than returning an init segment with no media segments', async () => {
    const o = origin({ [M]: '#EXTM3U\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:4,\nseg-0.ts\n', 'https://video.example/v/init.mp4': seg(9, 100), [S(0)]: seg(0) });
    const r = await assembleHls(M, o.download, { ...LIMITS, maxBytes: 100 });
    expect(r.ok).toBe(false);
  });
});

describe('a stream tag without a URI of its own', () => {
  it('does not take the URI of the next stream tag', () => {
    const pl = parseM3u8('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=100\n#EXT-X-STREAM-INF:BANDWIDTH=900\nhigh.m3u8\n', 'https://video.example/v/master.m3u8');
    expect(pl).toEqual({ type: 'master', variants: [{ url: 'https://video.example/v/high.m3u8', bandwidth: 900 }] });
  });
});
