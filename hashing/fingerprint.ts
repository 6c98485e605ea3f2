/**
 * Fingerprinting entry points: bytes or a file in, staydown's `Fingerprint` out. One decode per image;
 * every signal and every extra view is computed from that one working copy.
 */
import { open } from 'node:fs/promises';
import { hammingHex } from './bits.ts';
import { contentRect } from './borders.ts';
import { decodeGrey, decodeImage, type DecodedImage, type GreyPicture, DEFAULT_DECODE_LIMITS, type DecodeLimits, ImageDecodeError, type RgbaImage } from './image-decoder.ts';
import { sniffFingerprintKind } from './fingerprint-kind.ts';
import { pdqDihedrals, pdqFromRgb } from './pdq-hasher.ts';
import { pdqOf } from './signals/pdq.ts';
import { byteSignalHashes, FEATURE_SIGNAL, imageSignalHashes } from './signals/registry.ts';
import { QUERY_OPTIONS, REFERENCE_OPTIONS } from './features/index.ts';
import type { Fingerprint, ImageFingerprint, PdqView, VideoFrameHash } from './types.ts';
import { robustViews, type ViewSet } from './robust-views.ts';
import { fingerprintVideoBuffer, fingerprintVideoFile, type VideoFingerprintOptions } from './video/video-fingerprint.ts';
import { VideoError } from './video/probe.ts';

export interface FingerprintOptions {
  limits?: Partial<DecodeLimits>;
  /** Largest file read into memory, in bytes. */
  maxFileBytes?: number;
  /** Sampling, limits and ffmpeg for videos (see hashing/video/video-fingerprint.ts). */
  video?: VideoFingerprintOptions;
  /**
   * Image views to compute (robust-views.ts): 'all' (default), 'query' for files only ever matched as
   * queries (crawled media), or 'none' (PDQ, its dihedral variants and the block hash only: a cheap first pass).
   */
  views?: ViewSet;
  /**
   * Local features to compute (signals/features.ts), none when absent: 'reference' for a file being
   * registered (a bank line, material), 'query' for a file matched against references. They cost a
   * second decode and tens of ms of CPU per image (bench:hash measures them).
   */
  features?: 'reference' | 'query';
}

export const DEFAULT_MAX_IMAGE_BYTES = 64 * 1024 * 1024;

/** A file staydown cannot fingerprint; `message` is a full sentence fit for the user. */
export class FingerprintError extends Error {
  override name = 'FingerprintError';
}

/**
 * Fingerprinting was stopped before it could say anything about the file: its worker crashed or hit
 * the watchdog, or the video process stopped. Callers that must not read "not the material" into a
 * missing answer (a removal check) tell it from a file that is simply unreadable.
 */
export class FingerprintAbortedError extends FingerprintError {}

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

/**
 * A video's options: local features asked for (`features`) mean its keyframes' features, in the same
 * role, unless the video options say otherwise (`video.keyframes`, false for none).
 */
export function videoOptions(opts: FingerprintOptions): VideoFingerprintOptions | undefined {
  if (!opts.features || opts.video?.keyframes !== undefined) return opts.video;
  return { ...opts.video, keyframes: opts.features };
}

/**
 * A file on disk as fingerprinting takes it: a video is only sniffed (ffmpeg reads it from the file);
 * anything else is read into memory up to `maxBytes`. Every failure is a FingerprintError sentence.
 */
export async function readMediaFile(path: string, maxBytes: number): Promise<{ kind: 'video' } | { kind: 'other'; bytes: Uint8Array }> {
  try {
    const fh = await open(path, 'r');
    try {
      const { size } = await fh.stat();
      const head = new Uint8Array(Math.min(size, 4096));
      await fh.read(head, 0, head.length, 0);
      if (sniffFingerprintKind(head) === 'video') return { kind: 'video' };
      if (size > maxBytes) throw new FingerprintError(`The file is ${size} bytes, over the ${maxBytes}-byte limit for images.`);
      const bytes = new Uint8Array(size);
      const { bytesRead } = await fh.read(bytes, 0, size, 0);
      return { kind: 'other', bytes: bytes.subarray(0, bytesRead) };
    } finally {
      await fh.close();
    }
  } catch (err) {
    if (err instanceof FingerprintError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${code ?? String(err)})`;
    throw new FingerprintError(`The file ${why}.`, { cause: err });
  }
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
