/**
 * staydown's own fingerprint types. Everything outside `hashing/` sees these, never a vendor's types.
 *
 * A fingerprint is what staydown keeps instead of the material: exact hashes (SHA-256, MD5) and
 * perceptual hashes. 256-bit perceptual hashes travel as 64 lowercase hex digits.
 */

/** A 256-bit perceptual hash (PDQ) with its quality score 0..100; below 50 it is not trusted for matching. */
export interface PdqHash {
  hash: string;
  quality: number;
}

/**
 * One extra view of an image that the robust matcher hashes: a dihedral transform ('rot90', 'flipx', ...),
 * the image with its borders removed ('trim'), a sub-region ('crop:...'), and so on. `view` is a short
 * stable label; the index stores it with the entry so a match can say which view matched.
 */
export interface PdqView {
  view: string;
  hash: string;
  quality: number;
  /**
   * Where the view's picture lies in the image, as fractions of its width and height, for the views
   * that are a part of it ('trim', 'content', their mirrors, a query's own re-crops 'qcrop:*'): a match
   * on such a view reports it as the region of the query, so the console can draw where the picture was.
   */
  region?: { x: number; y: number; width: number; height: number };
}

/** A file's exact hashes (signals/exact.ts): staydown's own dedupe key and the hash StopNCII and NCMEC exchange. */
export interface ExactHashes {
  sha256: string;
  md5: string;
}

/**
 * The hashes of an image's registered signal types (signals/registry.ts), each under its signal's name.
 * A signal added in its own file adds its field here by declaration merging -
 *   declare module '../types.ts' { interface ImageSignalHashes { mysignal?: string } }
 * - optional, since fingerprints stored before it existed have none.
 */
export interface ImageSignalHashes {
  /** Plain whole-image PDQ, as Meta's reference computes it. */
  pdq: PdqHash;
  /** Plain block-mean hash (blockhash-core method 2, 16x16 = 256 bits), 64 hex digits. */
  blockhash: string;
}

export interface ImageFingerprint extends ExactHashes, ImageSignalHashes {
  kind: 'image';
  width: number;
  height: number;
  /** Container format as detected from the bytes ('jpeg', 'png', 'webp', 'gif', 'avif', 'heif', ...). */
  format: string;
  /** Extra views hashed for robust matching (dihedral variants, border-trimmed, regions). */
  views: PdqView[];
  /** For animated images: the PDQ of each frame that differs from the one before, with its time. */
  frames?: VideoFrameHash[];
  /**
   * Local features (signals/features.ts: base64 of hashing/features/codec.ts), when the fingerprint was
   * asked for them (FingerprintOptions.features): a registered picture's 400 keypoints (~20 KB of text),
   * or a query's up to 4000. They find the picture when it is only part of what was posted.
   */
  features?: string;
}

export interface VideoFrameHash {
  /** Seconds from the start of the video. */
  t: number;
  pdq: string;
  quality: number;
  /**
   * Extra views of the frame for robust matching: 'mirror' (flipped left-right), 'trim' (bars removed)
   * and 'trim+mirror'. Absent on frames hashed without views (animations, conformance runs).
   */
  views?: PdqView[];
}

export interface VideoFingerprint extends ExactHashes {
  kind: 'video';
  /** Seconds. */
  duration: number;
  width: number;
  height: number;
  format: string;
  /** Seconds between sampled frames (1 by default); 0 when every frame was hashed (registered material). */
  interval?: number;
  frames: VideoFrameHash[];
  /**
   * Local features of the video's keyframes (hashing/video/keyframes.ts), when the fingerprint was asked
   * for them (VideoFingerprintOptions.keyframes): a registered photo shown in the video, or a cropped or
   * zoomed re-upload of a registered video, is found through them.
   */
  keyframes?: VideoKeyframe[];
}

/** One keyframe's local features: seconds from the start, base64 of hashing/features/codec.ts. */
export interface VideoKeyframe {
  t: number;
  features: string;
}

export type Fingerprint = ImageFingerprint | VideoFingerprint;

/** What `staydown hash --json` prints for a file that could not be fingerprinted. */
export interface FingerprintError {
  file: string;
  error: string;
}
