/**
 * HLS playlists. A `.m3u8` is not media: it names segments. To fingerprint an HLS video the crawler reads
 * the playlist, picks one variant, downloads its segments through the guarded fetcher (so every segment
 * URL passes the SSRF guard, which handing the URL to ffmpeg would bypass), and joins them: MPEG-TS
 * segments concatenate into a valid transport stream, and fMP4 segments after their EXT-X-MAP init
 * segment into a valid fragmented MP4. The result goes to the fingerprinter (ffmpeg) like any video file.
 */

export interface HlsVariant {
  url: string;
  bandwidth: number;
  height?: number;
}

export interface HlsMediaPlaylist {
  type: 'media';
  initUrl?: string;
  segments: Array<{ url: string; duration: number }>;
  /** Segments are encrypted (EXT-X-KEY with a method other than NONE): not handled. */
  encrypted: boolean;
}

export type HlsPlaylist = { type: 'master'; variants: HlsVariant[] } | HlsMediaPlaylist;

/** Parses `KEY=value,KEY="quoted, value"` attribute lists. */
function attributes(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([A-Z0-9-]+)=("[^"]*"|[^,]*)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) out[m[1]] = m[2].replace(/^"|"$/g, '');
  return out;
}

export function parseM3u8(text: string, playlistUrl: string): HlsPlaylist {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  if (!lines[0]?.startsWith('#EXTM3U')) throw new Error(`${playlistUrl} is not an HLS playlist (it does not start with #EXTM3U).`);
  const abs = (u: string) => new URL(u, playlistUrl).href;
  if (lines.some((l) => l.startsWith('#EXT-X-STREAM-INF'))) {
    const variants: HlsVariant[] = [];
    for (let i = 0; i < lines.length; i++) {
      if (!lines[i].startsWith('#EXT-X-STREAM-INF:')) continue;
      const a = attributes(lines[i].slice('#EXT-X-STREAM-INF:'.length));
      // The variant's URI is the next line that is not a tag; a second stream tag before it means this one has none.
      const rest = lines.slice(i + 1);
      const next = rest.findIndex((l) => l !== '' && (!l.startsWith('#') || l.startsWith('#EXT-X-STREAM-INF:')));
      const uri = next >= 0 && !rest[next].startsWith('#') ? rest[next] : undefined;
      if (!uri) continue;
      const res = /^(\d+)x(\d+)$/.exec(a.RESOLUTION ?? '');
      variants.push({ url: abs(uri), bandwidth: Number(a.BANDWIDTH ?? 0), ...(res ? { height: Number(res[2]) } : {}) });
    }
    return { type: 'master', variants };
  }
  const segments: HlsMediaPlaylist['segments'] = [];
  let initUrl: string | undefined;
  let encrypted = false;
  let duration = 0;
  for (const l of lines) {
    if (l.startsWith('#EXTINF:')) duration = Number.parseFloat(l.slice(8)) || 0;
    else if (l.startsWith('#EXT-X-MAP:')) {
      const uri = attributes(l.slice(11)).URI;
      if (uri) initUrl = abs(uri);
    } else if (l.startsWith('#EXT-X-KEY:')) {
      const method = attributes(l.slice(11)).METHOD ?? 'NONE';
      if (method !== 'NONE') encrypted = true;
    } else if (l !== '' && !l.startsWith('#')) {
      segments.push({ url: abs(l), duration });
      duration = 0;
    }
  }
  return { type: 'media', ...(initUrl ? { initUrl } : {}), segments, encrypted };
}

/**
 * The variant to fingerprint. Perceptual video hashes work on small frames, so the full-HD rendition
 * buys nothing but bytes: take the smallest variant at least 360 lines high (or, without resolutions,
 * the middle bandwidth), falling back to the largest when all are smaller.
 */
export function chooseVariant(variants: readonly HlsVariant[]): HlsVariant | undefined {
  if (variants.length === 0) return undefined;
  const byBw = [...variants].sort((a, b) => a.bandwidth - b.bandwidth);
  if (variants.every((v) => v.height === undefined)) return byBw[Math.floor((byBw.length - 1) / 2)];
  const bigEnough = byBw.filter((v) => (v.height ?? 0) >= 360);
  return bigEnough[0] ?? byBw[byBw.length - 1];
}

export interface HlsLimits {
  maxBytes: number;
  /** Seconds of video fetched at most; the start of a video is enough to recognise it. */
  maxSeconds: number;
  maxSegments: number;
}

/** `url`: where the bytes finally came from after redirects (a playlist's relative URIs resolve against it, RFC 3986 5.1.3). */
export type HlsDownload = (url: string, maxBytes: number) => Promise<{ ok: true; body: Buffer; url?: string } | { ok: false; message: string }>;

/** Downloads an HLS video (master or media playlist) into one buffer, within limits. */
export async function assembleHls(url: string, download: HlsDownload, limits: HlsLimits): Promise<{ ok: true; body: Buffer; segments: number } | { ok: false; message: string }> {
  let playlistUrl = url;
  for (let depth = 0; depth < 2; depth++) {
    const got = await download(playlistUrl, 1024 * 1024);
    if (!got.ok) return got;
    let pl: HlsPlaylist;
    try {
      pl = parseM3u8(got.body.toString('utf8'), got.url ?? playlistUrl);
    } catch (err) {
      return { ok: false, message: (err as Error).message };
    }
    if (pl.type === 'master') {
      const v = chooseVariant(pl.variants);
      if (!v) return { ok: false, message: `The HLS playlist ${playlistUrl} lists no variants.` };
      playlistUrl = v.url;
      continue;
    }
    if (pl.encrypted) return { ok: false, message: `The HLS video ${url} is encrypted; encrypted streams are not fingerprinted.` };
    if (pl.segments.length === 0) return { ok: false, message: `The HLS playlist ${playlistUrl} lists no segments.` };
    const parts: Buffer[] = [];
    let total = 0;
    const fetchPart = async (u: string) => {
      const r = await download(u, limits.maxBytes - total);
      if (!r.ok) return r;
      parts.push(r.body);
      total += r.body.length;
      return r;
    };
    if (pl.initUrl) {
      const r = await fetchPart(pl.initUrl);
      if (!r.ok) return r;
    }
    let seconds = 0;
    let count = 0;
    for (const seg of pl.segments) {
      if (count >= limits.maxSegments || seconds >= limits.maxSeconds || total >= limits.maxBytes) break;
      const r = await fetchPart(seg.url);
      if (!r.ok) {
        if (count > 0) break; // a partial video still fingerprints
        return r;
      }
      seconds += seg.duration;
      count++;
    }
    // An init segment alone (the byte cap reached before any media segment) is no video.
    if (count === 0) return { ok: false, message: `The HLS video ${url} has no media segment within the ${limits.maxBytes}-byte cap.` };
    return { ok: true, body: Buffer.concat(parts, total), segments: count };
  }
  return { ok: false, message: `The HLS playlist ${url} nests playlists too deeply.` };
}
