/**
 * Fingerprinting entry points: bytes or a file in, staydown's `Fingerprint` out. One decode per image;
 * every signal and every extra view is computed from that one working copy.
 */
import { hammingHex } from './bits.ts';
import { contentRect } from './borders.ts';
import { decodeGrey, decodeImage, type DecodedImage, type GreyPicture, DEFAULT_DECODE_LIMITS, type DecodeLimits, ImageDecodeError, type RgbaImage } from './image-decoder.ts';
import { sniffFingerprintKind } from './fingerprint-kind.ts';
import { pdqDihedrals, pdqFromRgb } from './pdq-hasher.ts';
import { pdqOf } from './signals/pdq.ts';
import { byteSignalHashes, FEATURE_SIGNAL, imageSignalHashes } from './signals/registry.ts';
import { QUERY_OPTIONS, REFERENCE_OPTIONS } from './features/index.ts';
import type { Fingerprint, ImageFingerprint, PdqView, VideoFrameHash } from './types.ts';
import { robustViews } from './robust-views.ts';
import { fingerprintVideoBuffer, fingerprintVideoFile } from './video/video-fingerprint.ts';
import { DEFAULT_MAX_IMAGE_BYTES, FingerprintError, type FingerprintOptions, readMediaFile, videoOptions } from './media-file.ts';
import { VideoError } from './video/probe.ts';

export { DEFAULT_MAX_IMAGE_BYTES, FingerprintAbortedError, FingerprintError, type FingerprintOptions, readMediaFile, videoOptions } from './media-file.ts';

/** Frames of an animation closer than this to the previous kept frame count as the same picture. */
const SAME_FRAME_BITS = 8;

export async function fingerprintBuffer(bytes: Uint8Array, opts: FingerprintOptions = {}): Promise<Fingerprint> {
  const kind = sniffFingerprintKind(bytes);
  if (kind === 'video') return asFingerprintError(fingerprintVideoBuffer(bytes, videoOptions(opts)));
  return fingerprintImage(bytes, opts);
}

export async function fingerprintFile(path: string, opts: FingerprintOptions = {}): Promise<Fingerprint> {
  const file = await readMediaFile(path, opts.maxFileBytes ?? DEFAULT_MAX_IMAGE_BYTES);
  // Videos are streamed through ffmpeg from the file, never read into memory.
  if (file.kind === 'video') return asFingerprintError(fingerprintVideoFile(path, videoOptions(opts)));
  return fingerprintBuffer(file.bytes, opts);
}

/** Video errors are fingerprint errors too (one type for callers); the video's own code stays in `cause`. */
async function asFingerprintError<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof VideoError) throw new FingerprintError(err.message, { cause: err });
    throw err;
  }
}

export async function fingerprintImage(bytes: Uint8Array, opts: FingerprintOptions = {}): Promise<ImageFingerprint> {
  const limits = { ...DEFAULT_DECODE_LIMITS, ...opts.limits };
  let decoded;
  try {
    decoded = await decodeImage(bytes, limits, opts.features ? greyMaxSide(opts.features) : undefined);
  } catch (err) {
    if (err instanceof ImageDecodeError) throw new FingerprintError(err.message, { cause: err });
    throw err;
  }
  const img = decoded.image;
  // The robust matcher's extra PDQ views: the dihedrals from PDQ's own DCT block (computed once, shared
  // with the pdq signal), then the views that need the pixels.
  const pdq = pdqOf(img);
  const views: PdqView[] = pdqDihedrals(pdq)
    .filter((d) => d.transform !== 'orig')
    .map((d) => ({ view: d.transform, hash: d.hash, quality: pdq.quality }));
  views.push(...robustViews(img, pdq, opts.views));
  // Field order is the JSON's (`staydown hash --json`, bank files): exact hashes, the picture's facts,
  // each registered signal, then the views.
  const fp: ImageFingerprint = {
    kind: 'image',
    ...byteSignalHashes(bytes),
    width: decoded.width,
    height: decoded.height,
    format: decoded.format,
    ...imageSignalHashes(img),
    views,
  };
  if (decoded.frames && decoded.frames.length > 1) {
    const frames: VideoFrameHash[] = [];
    for (const f of decoded.frames) {
      const h = pdqFromRgb(f.image.data, f.image.width, f.image.height, 4);
      const last = frames[frames.length - 1];
      if (!last || hammingHex(last.pdq, h.hash) > SAME_FRAME_BITS) frames.push({ t: f.t, pdq: h.hash, quality: h.quality });
    }
    fp.frames = frames;
  }
  if (opts.features) fp.features = await featuresOf(bytes, img, decoded, opts.features, limits);
  return fp;
}

const greyMaxSide = (role: 'reference' | 'query') => (role === 'reference' ? REFERENCE_OPTIONS.maxSide : QUERY_OPTIONS.maxSide);

/**
 * The image's local features: from the grey decodeImage made from its own decode (`decoded`), or the
 * grey's own decode; a registered screenshot keeps only the picture inside it.
 */
async function featuresOf(bytes: Uint8Array, img: RgbaImage, decoded: DecodedImage, role: 'reference' | 'query', limits: DecodeLimits): Promise<string> {
  let grey = decoded.grey;
  try {
    grey ??= await decodeGrey(bytes, greyMaxSide(role), limits, decoded.greyWhole);
  } catch (err) {
    if (err instanceof ImageDecodeError) throw new FingerprintError(err.message, { cause: err });
    throw err;
  }
  let content = null;
  if (role === 'reference') {
    const c = contentRect(img);
    if (c) content = { x: c.x / img.width, y: c.y / img.height, w: c.w / img.width, h: c.h / img.height };
  }
  return FEATURE_SIGNAL.hash({ grey, role, content });
}
