/**
 * The one spelling of every match method: what a match says about how it was found. Results carry
 * these strings out of staydown (CLI JSON, alerts, the API), and the README documents the same list, so
 * they are written here once and everything that reports a method takes it from this table
 * (test/hashing/match-methods.test.ts holds the policy, the matcher and the README to it).
 */
export const MATCH_METHODS = {
  /** The same bytes (SHA-256). */
  exactSha256: 'exact-sha256',
  /** The same bytes by MD5 - the hash StopNCII and NCMEC exchange. */
  exactMd5: 'exact-md5',
  /** Plain PDQ of the whole pictures. */
  pdq: 'pdq',
  /** Mirrored or turned by 90 degrees (a dihedral variant of the query). */
  pdqDihedral: 'pdq-dihedral',
  /** Borders, padding or letterbox bars removed. */
  pdqTrim: 'pdq-trim',
  /** The picture inside an app's UI (a phone screenshot). */
  pdqScreenshot: 'pdq-screenshot',
  /** Turned by a few degrees. */
  pdqRotation: 'pdq-rotation',
  /** Cropped. */
  pdqCrop: 'pdq-crop',
  /** A caption band or one side left out of both pictures. */
  pdqCut: 'pdq-cut',
  /** Text or a logo over the picture: a looser PDQ distance corroborated by the block hashes. */
  pdqBlockhash: 'pdq+blockhash',
  /**
   * Local features: the registered picture found as a part of the query (cropped, a collage tile, beside
   * another picture, inside a frame, under stickers, turned or sheared) by keypoints whose placement is
   * verified geometrically; the match gives its inliers and the region of the query.
   */
  features: 'features',
  /**
   * A smooth, dark or flat picture (PDQ quality below 50 on either side): plain or mirrored PDQ within 31
   * bits, corroborated by the block hash or by local features (`corroboratedBy`).
   */
  pdqLowQuality: 'pdq-low-quality',
  /** Video against video (frame bags aligned in time). */
  vpdq: 'vpdq',
  /** An image query found as a frame of a registered video. */
  imageInVideo: 'image-in-video',
  /** A video query showing a registered image. */
  videoContainsImage: 'video-contains-image',
  /**
   * Local features on a video's keyframes: a registered photo verified in a keyframe of the query video
   * (a slideshow with zoom and pan), a registered video's keyframes verified in the query's (a
   * cropped, zoomed or mirrored re-upload), or a registered video's keyframe verified in a still image
   * (a screenshot of it); the match gives inliers, region and the time (`queryTime` in a query video,
   * `frameTime` in a registered video).
   */
  videoFeatures: 'video-features',
} as const;

export type MatchMethod = (typeof MATCH_METHODS)[keyof typeof MATCH_METHODS];

/** Every method, in the table's order. */
export const ALL_MATCH_METHODS: readonly MatchMethod[] = Object.freeze(Object.values(MATCH_METHODS));

/** Whether a match was on the bytes themselves (best evidence, listed before any perceptual match). */
export function isExactMethod(method: string): boolean {
  return method === MATCH_METHODS.exactSha256 || method === MATCH_METHODS.exactMd5;
}
