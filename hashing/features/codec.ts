/**
 * The compact, versioned serialisation of LocalFeatures (what the bank stores per registered image):
 *
 *   bytes 0-1  'LF'    2  version (1)    3  reserved (0)
 *   4-5 width  6-7 height  8-9 count     (uint16, little-endian)
 *   then per keypoint: x, y in quarter pixels (uint16 each), level (uint8), angle (uint8), 32 bytes of
 *   descriptor (8 little-endian uint32 words) = 38 bytes a keypoint; 400 keypoints = 15.2 KB.
 *
 * `decodeFeatures` checks everything it reads: a blob from the database or an API is outside input.
 */
import { DESCRIPTOR_WORDS, type LocalFeatures } from './types.ts';

const MAGIC0 = 0x4c; // 'L'
const MAGIC1 = 0x46; // 'F'
const VERSION = 1;
const HEADER = 10;
const PER_KEYPOINT = 6 + 4 * DESCRIPTOR_WORDS;
/** Quarter pixels in a uint16: pictures up to 16383 px a side. */
const MAX_SIDE = 16383;
const MAX_LEVEL = 31;

export class FeatureCodecError extends Error {
  override name = 'FeatureCodecError';
}

export function encodeFeatures(f: LocalFeatures): Uint8Array {
  if (f.width > MAX_SIDE || f.height > MAX_SIDE) throw new FeatureCodecError(`Features of a ${f.width}x${f.height} picture cannot be encoded: at most ${MAX_SIDE} px a side.`);
  if (f.count > 65535) throw new FeatureCodecError(`${f.count} keypoints cannot be encoded: at most 65535.`);
  const out = new Uint8Array(HEADER + f.count * PER_KEYPOINT);
  const v = new DataView(out.buffer);
  out[0] = MAGIC0; out[1] = MAGIC1; out[2] = VERSION; out[3] = 0;
  v.setUint16(4, f.width, true); v.setUint16(6, f.height, true); v.setUint16(8, f.count, true);
  let o = HEADER;
  for (let i = 0; i < f.count; i++) {
    v.setUint16(o, clampQ(f.x[i], f.width), true);
    v.setUint16(o + 2, clampQ(f.y[i], f.height), true);
    out[o + 4] = f.level[i];
    out[o + 5] = f.angle[i];
    for (let w = 0; w < DESCRIPTOR_WORDS; w++) v.setUint32(o + 6 + 4 * w, f.descriptors[i * DESCRIPTOR_WORDS + w], true);
    o += PER_KEYPOINT;
  }
  return out;
}

function clampQ(p: number, side: number): number {
  return Math.max(0, Math.min(side * 4 - 1, Math.round(p * 4)));
}

export function decodeFeatures(bytes: Uint8Array): LocalFeatures {
  if (bytes.length < HEADER || bytes[0] !== MAGIC0 || bytes[1] !== MAGIC1) throw new FeatureCodecError('The blob is not staydown local features (bad header).');
  if (bytes[2] !== VERSION) throw new FeatureCodecError(`Local features of version ${bytes[2]} cannot be read by this build (it reads version ${VERSION}); re-register the file.`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = v.getUint16(4, true), height = v.getUint16(6, true), count = v.getUint16(8, true);
  if (width === 0 || height === 0 || width > MAX_SIDE || height > MAX_SIDE) throw new FeatureCodecError(`The features blob gives an impossible picture size ${width}x${height}.`);
  if (bytes.length !== HEADER + count * PER_KEYPOINT) throw new FeatureCodecError(`The features blob is ${bytes.length} bytes; ${count} keypoints need ${HEADER + count * PER_KEYPOINT} (truncated or corrupt).`);
  const f: LocalFeatures = {
    width, height, count,
    x: new Float32Array(count), y: new Float32Array(count), level: new Uint8Array(count), angle: new Uint8Array(count),
    descriptors: new Uint32Array(count * DESCRIPTOR_WORDS),
  };
  let o = HEADER;
  for (let i = 0; i < count; i++) {
    f.x[i] = v.getUint16(o, true) / 4;
    f.y[i] = v.getUint16(o + 2, true) / 4;
    if (f.x[i] >= width || f.y[i] >= height) throw new FeatureCodecError(`Keypoint ${i} of the features blob lies outside its ${width}x${height} picture.`);
    f.level[i] = bytes[o + 4];
    if (f.level[i] > MAX_LEVEL) throw new FeatureCodecError(`Keypoint ${i} of the features blob has an impossible pyramid level ${f.level[i]}.`);
    f.angle[i] = bytes[o + 5];
    for (let w = 0; w < DESCRIPTOR_WORDS; w++) f.descriptors[i * DESCRIPTOR_WORDS + w] = v.getUint32(o + 6 + 4 * w, true);
    o += PER_KEYPOINT;
  }
  return f;
}

export function featuresToBase64(f: LocalFeatures): string {
  return Buffer.from(encodeFeatures(f)).toString('base64');
}

export function featuresFromBase64(s: string): LocalFeatures {
  if (typeof s !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) throw new FeatureCodecError('Local features must be a base64 string.');
  return decodeFeatures(new Uint8Array(Buffer.from(s, 'base64')));
}
