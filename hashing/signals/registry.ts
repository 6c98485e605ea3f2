/**
 * The registered signal types: what every fingerprint holds besides the robust matcher's views. The
 * fingerprinter computes each of them and stores it under the signal's name, in this order, so adding
 * a signal is its own file plus one line here (and its field in `ImageSignalHashes`, by declaration
 * merging from that file - see types.ts). test/hashing/signal-conformance.test.ts runs every registered
 * signal's examples.
 */
import type { RgbaImage } from '../image-decoder.ts';
import type { ExactHashes, ImageSignalHashes } from '../types.ts';
import { blockhashSignal } from './blockhash.ts';
import { featuresSignal } from './features.ts';
import { md5Signal, sha256Signal } from './exact.ts';
import { pdqSignal } from './pdq.ts';
import type { SignalType } from './signal.ts';

/** A signal of the file's bytes, stored under its name (one of `ExactHashes`). */
export type ByteSignal = { [K in keyof ExactHashes]-?: SignalType<Uint8Array, ExactHashes[K]> & { readonly name: K } }[keyof ExactHashes];

/** A signal of the decoded picture, stored under its name (one of `ImageSignalHashes`). */
export type ImageSignal = { [K in keyof ImageSignalHashes]-?: SignalType<RgbaImage, NonNullable<ImageSignalHashes[K]>> & { readonly name: K } }[keyof ImageSignalHashes];

/** Computed from a file's bytes, for every image (videos hash their bytes while streaming them). */
export const BYTE_SIGNALS: readonly ByteSignal[] = [sha256Signal, md5Signal];

/** Computed from an image's decoded working copy, once per image. */
export const IMAGE_SIGNALS: readonly ImageSignal[] = [pdqSignal, blockhashSignal];

/**
 * Computed from the picture's own grey decode (more pixels than the working copy), when a fingerprint
 * asks for it: local features for partial views (signals/features.ts). Stored under `features`.
 */
export const FEATURE_SIGNAL = featuresSignal;

export function byteSignalHashes(bytes: Uint8Array): ExactHashes {
  const out: Record<string, unknown> = {};
  for (const s of BYTE_SIGNALS) out[s.name] = s.hash(bytes);
  return out as unknown as ExactHashes;
}

export function imageSignalHashes(img: RgbaImage): ImageSignalHashes {
  const out: Record<string, unknown> = {};
  for (const s of IMAGE_SIGNALS) out[s.name] = s.hash(img);
  return out as unknown as ImageSignalHashes;
}
