/**
 * Local image features: what staydown keeps of a picture to find it again when it is only a part of
 * what was posted (a crop, one tile of a collage, a picture beside another, inside a frame, under
 * stickers) or warped (small rotation, shear). Keypoints with 256-bit binary descriptors (ORB-style:
 * FAST corners, Harris ranking, intensity-centroid orientation, steered BRIEF), never pixels.
 *
 * Positions are in pixels of the working picture the features were taken from (`width` x `height`),
 * quantised to a quarter pixel; a match reports regions as fractions of that picture, so callers never
 * need the working size.
 */

/** A grey picture, one byte a pixel, row-major. */
export interface GreyImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface LocalFeatures {
  /** Size of the working picture the positions refer to. */
  width: number;
  height: number;
  /** Number of keypoints. */
  count: number;
  /** Keypoint positions in working-picture pixels (float; quarter-pixel precision once encoded). */
  x: Float32Array;
  y: Float32Array;
  /** Pyramid level the keypoint was found at (its scale is LEVEL_SCALE ** level). */
  level: Uint8Array;
  /** Orientation in 1/256 of a turn (0 = +x axis, 64 = +y axis, i.e. clockwise on screen). */
  angle: Uint8Array;
  /** 8 words (256 bits) per keypoint, keypoint i at [8i, 8i + 8). */
  descriptors: Uint32Array;
}

/** Scale step between pyramid levels (sqrt 2: a pair of levels is at most 2^(1/4) = 19% off the true scale, within what BRIEF tolerates). */
export const LEVEL_SCALE = Math.SQRT2;

export const DESCRIPTOR_WORDS = 8;
