/**
 * What kind of media a file is, from its first bytes (never from its name or a server's
 * Content-Type, which uploaders and hostile sites get wrong on purpose).
 */
export type MediaKind = 'image' | 'video' | 'unknown';

function ascii(b: Uint8Array, at: number, s: string): boolean {
  if (b.length < at + s.length) return false;
  for (let i = 0; i < s.length; i++) if (b[at + i] !== s.charCodeAt(i)) return false;
  return true;
}

export function sniffMediaKind(b: Uint8Array): MediaKind {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image'; // JPEG
  if (ascii(b, 0, '\x89PNG')) return 'image';
  if (ascii(b, 0, 'GIF8')) return 'image'; // animated GIFs are hashed frame by frame as images
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP')) return 'image';
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'AVI ')) return 'video';
  if (ascii(b, 0, 'II*\0') || ascii(b, 0, 'MM\0*')) return 'image'; // TIFF
  if (ascii(b, 4, 'ftyp')) {
    const brand = String.fromCharCode(...b.subarray(8, 12));
    if (/^(avif|avis|heic|heix|heim|heis|hevc|hevx|mif1|msf1)$/.test(brand)) return 'image';
    return 'video'; // mp4, isom, qt, 3gp, m4v...
  }
  if (b.length >= 4 && b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) return 'video'; // Matroska/WebM
  if (b.length >= 4 && b[0] === 0x00 && b[1] === 0x00 && b[2] === 0x01 && (b[3] === 0xba || b[3] === 0xb3)) return 'video'; // MPEG-PS
  if (b.length >= 1 && b[0] === 0x47 && (b.length < 189 || b[188] === 0x47)) return b.length >= 189 ? 'video' : 'unknown'; // MPEG-TS
  if (ascii(b, 0, 'FLV')) return 'video';
  if (ascii(b, 0, '#EXTM3U')) return 'video'; // HLS playlist
  return 'unknown';
}
