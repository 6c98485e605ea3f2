import sharp from 'sharp';
import { deflateSync } from 'node:zlib';

/**
 * Test images made here, never downloaded: a seeded mix of gradients, shapes and noise gives
 * photo-like structure that perceptual hashes can tell apart.
 */
export async function syntheticPhoto(seed: number, width = 640, height = 480): Promise<Buffer> {
  let s = seed * 2654435761 >>> 0;
  const rnd = () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0) / 2 ** 32);
  const shapes: string[] = [];
  for (let i = 0; i < 14; i++) {
    const c = `rgb(${Math.floor(rnd() * 255)},${Math.floor(rnd() * 255)},${Math.floor(rnd() * 255)})`;
    const x = rnd() * width, y = rnd() * height, r = 20 + rnd() * width / 4;
    shapes.push(rnd() < 0.5
      ? `<circle cx="${x}" cy="${y}" r="${r}" fill="${c}" fill-opacity="${0.5 + rnd() / 2}"/>`
      : `<rect x="${x - r}" y="${y - r / 2}" width="${r * 1.5}" height="${r}" fill="${c}" transform="rotate(${rnd() * 90} ${x} ${y})"/>`);
  }
  const g1 = `rgb(${Math.floor(rnd() * 255)},${Math.floor(rnd() * 255)},${Math.floor(rnd() * 255)})`;
  const g2 = `rgb(${Math.floor(rnd() * 255)},${Math.floor(rnd() * 255)},${Math.floor(rnd() * 255)})`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="g" x1="0" y1="0" x2="${rnd()}" y2="1"><stop offset="0" stop-color="${g1}"/><stop offset="1" stop-color="${g2}"/></linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#g)"/>${shapes.join('')}</svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 90 }).toBuffer();
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A tiny PNG file that claims `width` x `height` pixels (a decompression bomb's header). */
export function pngBomb(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const rows = deflateSync(Buffer.alloc((width + 1) * 64)); // a few rows of zeros; the rest is missing
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', rows), chunk('IEND', Buffer.alloc(0))]);
}

/** What a re-upload often looks like: scaled down and re-encoded at lower JPEG quality. */
export async function rescaledCopy(image: Buffer, width: number, height: number, quality = 70): Promise<Buffer> {
  return sharp(image).resize(width, height).jpeg({ quality }).toBuffer();
}
