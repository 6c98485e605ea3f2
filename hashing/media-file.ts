/**
 * What fingerprinting takes in and the errors it gives, without the fingerprinting itself: the options,
 * reading a file the way fingerprinting does, and the error types. Kept apart from fingerprint.ts (which
 * re-exports all of it) so that the worker pool and its callers - every service process, every
 * command-line verb - do not load the decoders (sharp, ffmpeg's wrapper, the hashes) on the main thread
 * just to hand files to the workers that do.
 */
import { open } from 'node:fs/promises';
import { sniffFingerprintKind } from './fingerprint-kind.ts';
import type { DecodeLimits } from './image-decoder.ts';
import type { ViewSet } from './robust-views.ts';
import type { VideoFingerprintOptions } from './video/video-fingerprint.ts';

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
