/**
 * The one module that talks to sharp (libvips). It turns untrusted bytes into staydown's own
 * `DecodedImage`, with every limit applied here: pixel cap (decompression bombs), a per-file time cap,
 * frame cap for animations, and a bounded working resolution so a 50 MP photo costs no more memory
 * than a 1 MP one.
 */
import sharp, { type Metadata, type Sharp } from 'sharp';
import { featureKernel } from './features/kernel.ts';

// Global tuning, set once (STYLE.md habit 1): no operation cache (every image is new), and one libvips
// thread per image - callers hash several images at once, and on two cores a second thread per image
// measured slower (200 images: 7.2 s vs 15.1 s under load) and added ~10 MB of peak RSS.
sharp.cache(false);
sharp.concurrency(1);

export interface DecodeLimits {
  /** Refuse images with more pixels than this (per frame), before decoding them. */
  maxInputPixels: number;
  /**
   * Images with at most this many pixels are hashed at full resolution, which keeps them bit-identical
   * with the reference implementations; larger ones are shrunk on load to `workingMaxSide`.
   */
  fullResolutionMaxPixels: number;
  /** Longest side of the working copy of a larger image (PDQ's reference tool also works at 512). */
  workingMaxSide: number;
  /** libvips stops after this many seconds on one image. */
  timeoutSeconds: number;
  /** Animated images: frames beyond this are ignored. */
  maxFrames: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = Object.freeze({
  maxInputPixels: 100_000_000,
  fullResolutionMaxPixels: 1024 * 768,
  workingMaxSide: 512,
  timeoutSeconds: 10,
  maxFrames: 120,
});

/** RGBA pixels, 4 bytes a pixel, row-major. */
export interface RgbaImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export interface DecodedImage {
  format: string;
  /** Size of the original image (first frame), before any shrinking. */
  width: number;
  height: number;
  /** The working copy of the first frame (or the only frame). */
  image: RgbaImage;
  /** For animations: every frame's working copy with its start time in seconds. */
  frames?: Array<{ t: number; image: RgbaImage }>;
  /** decodeGrey's picture, when `decodeImage` was asked for it and made it from its own decode. */
  grey?: GreyPicture;
  /** When asked for the grey and it is not here: whether decodeGrey will decode the file whole (decodesWhole), so it need not read the header again. */
  greyWhole?: boolean;
}

/** A file that is not an image staydown can read; the message is a full sentence for the user. */
export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
}

const FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'avif', 'heif', 'tiff', 'jp2', 'jxl']);

/**
 * The image's working copy for the hashes. With `greyMaxSide`, also decodeGrey(bytes, greyMaxSide) in
 * `grey` when it comes from the same decode (the same bytes, tested): when the working copy is the
 * file at full size and opaque, or when it is shrunk from the file decoded whole (shrinksFromWhole).
 * Otherwise no `grey`. Either way the working copy is byte for byte what it is without `greyMaxSide`,
 * so PDQ never depends on whether features were asked for.
 */
export async function decodeImage(bytes: Uint8Array, limits: DecodeLimits = DEFAULT_DECODE_LIMITS, greyMaxSide?: number): Promise<DecodedImage> {
  if (bytes.length === 0) throw new ImageDecodeError('The file is empty (0 bytes).');
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false, animated: true }).metadata();
  } catch (err) {
    throw new ImageDecodeError('The file is not an image that staydown can read (unknown or corrupt format).', { cause: err });
  }
  const format = meta.format ?? 'unknown';
  if (!FORMATS.has(format)) {
    throw new ImageDecodeError(`The file is a '${format}' file, which staydown does not fingerprint as an image.`);
  }
  const width = meta.width ?? 0;
  const frameHeight = meta.pageHeight ?? meta.height ?? 0;
  if (width <= 0 || frameHeight <= 0) throw new ImageDecodeError('The image has no pixels (zero width or height).');
  if (width * frameHeight > limits.maxInputPixels) {
    throw new ImageDecodeError(
      `The image is ${width}x${frameHeight} pixels, over the limit of ${limits.maxInputPixels.toLocaleString('en')} pixels; it was not decoded (possible decompression bomb).`,
    );
  }
  const pages = Math.min(meta.pages ?? 1, limits.maxFrames);
  try {
    if (pages === 1 && shrinksFromWhole(meta, width, frameHeight, limits)) {
      const shared = await decodeWholeThenShrink(bytes, meta, format, width, frameHeight, limits, greyMaxSide);
      if (shared) return shared;
    }
    const decoded = pages > 1
      ? await decodeAnimated(bytes, format, width, frameHeight, pages, meta.delay, limits)
      : { format, width, height: frameHeight, image: await toWorkingRgba(sharp(bytes, { limitInputPixels: limits.maxInputPixels, failOn: 'error' }), width, frameHeight, limits) };
    if (greyMaxSide === undefined) return decoded;
    const grey = greyOfWorking(decoded, meta, greyMaxSide);
    return grey ? { ...decoded, grey } : { ...decoded, greyWhole: decodesWhole(meta, greyMaxSide) };
  } catch (err) {
    if (err instanceof ImageDecodeError) throw err;
    const msg = String((err as Error).message ?? err);
    if (/timeout/i.test(msg)) {
      throw new ImageDecodeError(`Decoding the image took longer than ${limits.timeoutSeconds} s and was stopped.`, { cause: err });
    }
    throw new ImageDecodeError(`The image is truncated or corrupt and could not be decoded (${firstLine(msg)}).`, { cause: err });
  }
}

function workingSize(width: number, height: number, limits: DecodeLimits): { w: number; h: number } {
  if (width * height <= limits.fullResolutionMaxPixels) return { w: width, h: height };
  const scale = Math.min(1, limits.workingMaxSide / Math.max(width, height));
  return { w: Math.max(1, Math.round(width * scale)), h: Math.max(1, Math.round(height * scale)) };
}

/**
 * decodeGrey's picture taken from the working copy `decodeImage` decoded, the same bytes without a
 * second decode: when that copy is the file at full size and opaque (decodeGrey puts a transparent one
 * on white), decodeGrey would decode the file whole too (a WebP is scaled while loading), and the
 * native kernel is in use (decodeGrey's condition). Otherwise null.
 */
function greyOfWorking(decoded: DecodedImage, meta: Metadata, maxSide: number): GreyPicture | null {
  const img = decoded.image;
  if (featureKernel().name !== 'native' || img.width !== decoded.width || img.height !== decoded.height || !decodesWhole(meta, maxSide)) return null;
  const d = img.data;
  for (let i = 3; i < d.length; i += 4) if (d[i] !== 255) return null;
  return shrunkGrey(featureKernel().greyFromSrgb(d, 4, img.width, img.height), maxSide);
}

/**
 * Whether the hashes' working copy is shrunk from the file decoded whole, once, in memory
 * (decodeWholeThenShrink), so decodeGrey's picture can come from the same decode: a shrunk copy under
 * 3x the working size (from 3x sharp's JPEG loader shrinks while decoding), an opaque 8-bit
 * three-channel JPEG or PNG (nothing scaled on load, no alpha for decodeGrey to flatten). The common
 * web picture - 1280x720, 1152x864, 1440x1080 - is one. Decided by the file alone, with or without
 * features, so PDQ never depends on whether they were asked for.
 */
function shrinksFromWhole(meta: Metadata, width: number, height: number, limits: DecodeLimits): boolean {
  const { w } = workingSize(width, height, limits);
  if (w === width || Math.max(width, height) >= 3 * limits.workingMaxSide) return false;
  if (meta.format !== 'jpeg' && meta.format !== 'png') return false;
  return meta.channels === 3 && !meta.hasAlpha && meta.depth === 'uchar';
}

/**
 * The file decoded whole in sRGB, then shrunk by libvips from that copy in memory: the working copy.
 * With `greyMaxSide`, decodeGrey's picture from the same pixels when decodeGrey would decode the file
 * whole too and the native kernel is in use (decodeGrey's conditions): one JPEG decode instead of two
 * at 1 MP (~16 CPU-ms, bench:hash).
 * (libvips shrinks an image in memory up to 1 level off in ~0.1% of the bytes for some sizes - e.g.
 * 1155x866 to 512x384 - compared with the same resize streamed from the file's loader; this way is
 * taken whether or not features are asked for, so the working copy is one thing for one file.)
 * Without greyMaxSide, the extra copy costs ~6 CPU-ms over resizing while decoding.
 * Null when the decode is not the three channels expected (the caller decodes the usual way).
 */
async function decodeWholeThenShrink(
  bytes: Uint8Array,
  meta: Metadata,
  format: string,
  width: number,
  height: number,
  limits: DecodeLimits,
  greyMaxSide: number | undefined,
): Promise<DecodedImage | null> {
  const whole = await sharp(bytes, { limitInputPixels: limits.maxInputPixels, failOn: 'error', pages: 1 })
    .timeout({ seconds: limits.timeoutSeconds })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (whole.info.channels !== 3 || whole.info.width !== width || whole.info.height !== height) return null;
  const { w, h } = workingSize(width, height, limits);
  const { data, info } = await sharp(whole.data, { raw: { width, height, channels: 3 } })
    .timeout({ seconds: limits.timeoutSeconds })
    .resize(w, h, { fit: 'fill', kernel: 'linear' })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const decoded: DecodedImage = { format, width, height, image: { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height } };
  if (greyMaxSide === undefined) return decoded;
  if (featureKernel().name !== 'native' || !decodesWhole(meta, greyMaxSide)) return { ...decoded, greyWhole: decodesWhole(meta, greyMaxSide) };
  return { ...decoded, grey: shrunkGrey(featureKernel().greyFromSrgb(whole.data, 3, width, height), greyMaxSide) };
}

async function toWorkingRgba(pipeline: Sharp, width: number, height: number, limits: DecodeLimits): Promise<RgbaImage> {
  const { w, h } = workingSize(width, height, limits);
  let p = pipeline.timeout({ seconds: limits.timeoutSeconds });
  // Shrink-on-load (JPEG DCT scaling, WebP) happens inside resize when the target is much smaller.
  if (w !== width || h !== height) p = p.resize(w, h, { fit: 'fill', kernel: 'linear' });
  const { data, info } = await p.toColourspace('srgb').ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

async function decodeAnimated(
  bytes: Uint8Array,
  format: string,
  width: number,
  frameHeight: number,
  pages: number,
  delays: number[] | undefined,
  limits: DecodeLimits,
): Promise<DecodedImage> {
  const frames: Array<{ t: number; image: RgbaImage }> = [];
  let t = 0;
  for (let page = 0; page < pages; page++) {
    const image = await toWorkingRgba(
      sharp(bytes, { limitInputPixels: limits.maxInputPixels, page, pages: 1, failOn: 'error' }),
      width,
      frameHeight,
      limits,
    );
    frames.push({ t: Math.round(t * 1000) / 1000, image });
    // GIF delays under 20 ms are shown as 100 ms by browsers; follow them.
    const d = delays?.[page] ?? 100;
    t += (d < 20 ? 100 : d) / 1000;
  }
  return { format, width, height: frameHeight, image: frames[0].image, frames };
}

function firstLine(s: string): string {
  return s.split('\n')[0].replace(/^Input (buffer|file) /, '').slice(0, 160);
}

/** One byte a pixel, row-major: the picture local features are taken from (hashing/features/). */
export interface GreyPicture {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * The first frame as grey with its longer side at most `maxSide`, for local features: sharp's
 * `greyscale()` (libvips' B_W, not Rec. 601 luma, which is up to 28 levels apart - ffmpeg's `gray` of
 * a video frame is that) shrunk with the linear kernel. Every threshold of hashing/features/ was chosen
 * on exactly these bytes.
 * A separate decode from `decodeImage` because features want more pixels than PDQ's 512 px working
 * copy of a large image (one tile of a collage is a third of the picture). Two ways, one result:
 *   - under 3x `maxSide` (no JPEG shrink-on-load applies) and 8 bits a channel: libvips decodes to
 *     sRGB and the native feature kernel does the rest (greyFromSrgb, reduceLinear), byte-identical
 *     (test/hashing/features/grey-decode.test.ts) at half the CPU of libvips' float colour path and
 *     its one-band resize;
 *   - larger, 16-bit, WebP/SVG/PDF (scaled while loading), or the TypeScript kernel (slower than
 *     libvips at this): libvips does it all, shrinking on load.
 * The same limits apply (pixel cap read from the header, time cap).
 */
export async function decodeGrey(bytes: Uint8Array, maxSide: number, limits: DecodeLimits = DEFAULT_DECODE_LIMITS, whole?: boolean): Promise<GreyPicture> {
  if (bytes.length === 0) throw new ImageDecodeError('The file is empty (0 bytes).');
  try {
    const input = sharp(bytes, { limitInputPixels: limits.maxInputPixels, failOn: 'error', pages: 1 }).timeout({ seconds: limits.timeoutSeconds });
    // (The TypeScript kernel would take longer than libvips over the same bytes: libvips does it all.)
    // `whole`: decodesWhole of the header a caller has read already (decodeImage's greyWhole).
    if (featureKernel().name === 'native' && (whole ?? decodesWhole(await input.metadata(), maxSide))) {
      const { data, info } = await input.clone().toColourspace('srgb').flatten({ background: '#ffffff' }).raw().toBuffer({ resolveWithObject: true });
      if (info.channels === 3 && data.length === info.width * info.height * 3) return shrunkGrey(featureKernel().greyFromSrgb(data, 3, info.width, info.height), maxSide);
    }
    return await libvipsGrey(input, maxSide);
  } catch (err) {
    const msg = String((err as Error).message ?? err);
    if (/pixel limit/i.test(msg)) throw new ImageDecodeError(`The image is over the limit of ${limits.maxInputPixels.toLocaleString('en')} pixels; it was not decoded (possible decompression bomb).`, { cause: err });
    throw new ImageDecodeError(`The image could not be decoded for local features (${firstLine(msg)}).`, { cause: err });
  }
}

/** decodeGrey's picture made by libvips alone, end to end: the reference the feature kernel's way must equal. */
export async function libvipsGrey(input: Sharp, maxSide: number): Promise<GreyPicture> {
  const { data, info } = await input
    .resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true, kernel: 'linear' })
    .toColourspace('srgb')
    .flatten({ background: '#ffffff' })
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 1) throw new Error(`expected 1 channel, got ${info.channels}`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/**
 * Whether decodeGrey decodes the first frame whole: 8-bit, under 3x `maxSide` (from 3x sharp's JPEG
 * loader shrinks by 2 or more while decoding, src/pipeline.cc), and not a format scaled while loading.
 */
export function decodesWhole(meta: Metadata, maxSide: number): boolean {
  const w = meta.width ?? 0;
  const h = meta.pageHeight ?? meta.height ?? 0;
  if (w <= 0 || h <= 0 || meta.depth !== 'uchar') return false;
  if (meta.format === 'svg' || meta.format === 'pdf') return false;
  const shrink = Math.max(w, h) / maxSide;
  return shrink <= 1 || (shrink < 3 && meta.format !== 'webp');
}

/** sharp's `resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true, kernel: 'linear' })`. */
function shrunkGrey(grey: GreyPicture, maxSide: number): GreyPicture {
  // The factor as sharp works it out (src/common.cc ResolveShrink): one for both sides.
  const shrink = Math.max(1, grey.width / maxSide, grey.height / maxSide);
  return featureKernel().reduceLinear(grey, shrink);
}

/**
 * A small JPEG of an image's first frame for the review queue (longer side at most `maxSide`, EXIF
 * orientation applied, metadata dropped). The same pixel and time limits as every decode here.
 */
export async function thumbnailJpeg(bytes: Uint8Array, maxSide = 320, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): Promise<Buffer> {
  try {
    return await sharp(bytes, { limitInputPixels: limits.maxInputPixels, failOn: 'error', pages: 1 })
      .timeout({ seconds: limits.timeoutSeconds })
      .rotate()
      .resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: 75, mozjpeg: false })
      .toBuffer();
  } catch (err) {
    throw new ImageDecodeError(`The image could not be shrunk to a thumbnail (${firstLine(String((err as Error).message ?? err))}).`, { cause: err });
  }
}

/**
 * The veiled rendition a reviewer sees by default: greyscale and blurred so strongly that only the
 * layout survives (HMA showed `blur(40px) grayscale(100%)`). Made from few pixels on purpose: the bytes
 * the browser gets cannot be un-blurred into the picture. Output at most `maxSide` px.
 */
export async function veiledJpeg(bytes: Uint8Array, maxSide = 320, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): Promise<Buffer> {
  try {
    const small = await sharp(bytes, { limitInputPixels: limits.maxInputPixels, failOn: 'error', pages: 1 })
      .timeout({ seconds: limits.timeoutSeconds })
      .resize(24, 24, { fit: 'inside' })
      .greyscale()
      .toBuffer({ resolveWithObject: true });
    const scale = maxSide / Math.max(small.info.width, small.info.height);
    return await sharp(small.data)
      .resize(Math.max(1, Math.round(small.info.width * scale)), Math.max(1, Math.round(small.info.height * scale)), { kernel: 'cubic' })
      .blur(8)
      .greyscale()
      .jpeg({ quality: 60 })
      .toBuffer();
  } catch (err) {
    throw new ImageDecodeError(`The image could not be veiled (${firstLine(String((err as Error).message ?? err))}).`, { cause: err });
  }
}
