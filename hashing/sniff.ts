/**
 * Content sniffing by magic bytes. A server's Content-Type or a file's name is a claim; the first bytes
 * are a fact. The fingerprinter (fingerprint-kind.ts) and the crawler trust only what this says, so an HTML
 * error page served as image/jpeg, or a JPEG served as text/plain, is classified by what it is.
 */
export type SniffedKind = 'image' | 'video' | 'hls' | 'html' | 'other';

export interface Sniffed {
  kind: SniffedKind;
  /** Short format name: 'jpeg', 'png', 'mp4', 'webm', 'mpegts', 'm3u8', 'html', ... or 'unknown'. */
  format: string;
}

function ascii(b: Uint8Array, start: number, len: number): string {
  return String.fromCharCode(...b.subarray(start, start + len));
}

const FTYP_IMAGE = new Set(['avif', 'avis', 'heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'mif1', 'msf1']);

export function sniff(bytes: Uint8Array): Sniffed {
  const b = bytes;
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return { kind: 'image', format: 'jpeg' };
  if (b.length >= 8 && b[0] === 0x89 && ascii(b, 1, 3) === 'PNG') return { kind: 'image', format: 'png' };
  if (b.length >= 6 && (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a')) return { kind: 'image', format: 'gif' };
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF') {
    const sub = ascii(b, 8, 4);
    if (sub === 'WEBP') return { kind: 'image', format: 'webp' };
    if (sub === 'AVI ') return { kind: 'video', format: 'avi' };
  }
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d && b.length >= 14) return { kind: 'image', format: 'bmp' };
  if (b.length >= 4 && ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a && b[3] === 0) || (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && b[3] === 0x2a))) {
    return { kind: 'image', format: 'tiff' };
  }
  if (b.length >= 12 && ascii(b, 4, 4) === 'ftyp') {
    const brand = ascii(b, 8, 4);
    if (FTYP_IMAGE.has(brand)) return { kind: 'image', format: brand.startsWith('avi') ? 'avif' : 'heif' };
    return { kind: 'video', format: brand === 'qt  ' ? 'mov' : 'mp4' };
  }
  // Some MP4/MOV files start with a free/wide/mdat/moov atom instead of ftyp.
  if (b.length >= 8 && ['moov', 'mdat', 'wide', 'free'].includes(ascii(b, 4, 4))) return { kind: 'video', format: 'mov' };
  if (b.length >= 4 && b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) return { kind: 'video', format: 'webm' };
  if (b.length >= 4 && ascii(b, 0, 4) === 'OggS') return { kind: 'video', format: 'ogg' };
  if (b.length >= 4 && b[0] === 0 && b[1] === 0 && b[2] === 1 && (b[3] === 0xba || b[3] === 0xb3)) return { kind: 'video', format: 'mpeg' };
  // MPEG-TS: a 0x47 sync byte every 188 bytes.
  if (b.length >= 189 && b[0] === 0x47 && b[188] === 0x47) return { kind: 'video', format: 'mpegts' };
  if (b.length >= 3 && ascii(b, 0, 3) === 'FLV') return { kind: 'video', format: 'flv' };

  // Text formats: skip a BOM and leading whitespace, then look at the first tokens.
  let i = 0;
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) i = 3;
  while (i < b.length && i < 1024 && (b[i] === 0x20 || b[i] === 0x09 || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x0c)) i++;
  const head = ascii(b, i, Math.min(512, b.length - i)).toLowerCase();
  if (head.startsWith('#extm3u')) return { kind: 'hls', format: 'm3u8' };
  if (/^<(?:!doctype html|html|head|body|script|iframe|h1|div|font|table|a |a>|style|title|b |b>|br|p |p>|!--)/.test(head)) return { kind: 'html', format: 'html' };
  if (head.startsWith('<?xml') || head.startsWith('<svg')) return { kind: 'other', format: head.includes('<svg') ? 'svg' : 'xml' };
  return { kind: 'other', format: 'unknown' };
}
