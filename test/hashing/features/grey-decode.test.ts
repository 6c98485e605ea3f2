import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { QUERY_OPTIONS, REFERENCE_OPTIONS } from '../../../hashing/features/extract.ts';
import { JS_KERNEL } from '../../../hashing/features/js-kernel.ts';
import { loadNativeKernel } from '../../../hashing/features/native-kernel.ts';
import { useFeatureKernel, type FeatureKernel } from '../../../hashing/features/kernel.ts';
import { fingerprintBuffer } from '../../../hashing/fingerprint.ts';
import { decodeGrey, decodeImage, decodesWhole, libvipsGrey } from '../../../hashing/image-decoder.ts';
import { syntheticPhoto } from '../../support/images.ts';
import { vector } from '../../support/vectors.ts';

/**
 * decodeGrey takes the grey and shrinks it in the feature kernel when it can (hashing/image-decoder.ts):
 * every threshold of local features was chosen on sharp's own grey pictures, so these must be the
 * bytes sharp gives, for every kind of file and both kernels.
 */
const native = loadNativeKernel().kernel;
const kernels: FeatureKernel[] = native ? [JS_KERNEL, native] : [JS_KERNEL];

async function withKernel<T>(name: 'js' | 'native', fn: () => Promise<T>): Promise<T> {
  const previous = useFeatureKernel(name);
  try {
    return await fn();
  } finally {
    useFeatureKernel(previous.name);
  }
}

/** What decodeGrey gave before it did the work itself: libvips end to end. */
const sharpGrey = (bytes: Buffer, maxSide: number) => libvipsGrey(sharp(bytes, { failOn: 'error', pages: 1 }), maxSide);

function differing(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

describe('the grey picture of local features', () => {
  it('is libvips\' B_W of every one of the 16.7 million sRGB colours, in both kernels', async () => {
    const side = 4096;
    const rgb = new Uint8Array(side * side * 3);
    for (let i = 0, j = 0; i < side * side; i++, j += 3) {
      rgb[j] = i >> 16;
      rgb[j + 1] = (i >> 8) & 255;
      rgb[j + 2] = i & 255;
    }
    const vips = new Uint8Array(await sharp(rgb, { raw: { width: side, height: side, channels: 3 }, limitInputPixels: false }).greyscale().raw().toBuffer());
    for (const k of kernels) expect(differing(k.greyFromSrgb(rgb, 3, side, side).data, vips), k.name).toBe(0);
    // Four bytes a pixel: the fourth is skipped, whatever it holds.
    const rgba = new Uint8Array(64 * 4).map((_, i) => (i * 37) & 255);
    const three = rgba.filter((_, i) => i % 4 !== 3);
    for (const k of kernels) expect(k.greyFromSrgb(rgba, 4, 8, 8).data, k.name).toEqual(k.greyFromSrgb(three, 3, 8, 8).data);
  }, 60_000);

  it('is shrunk as libvips shrinks it with the linear kernel, for shrinks from 1 to under 4 and odd sizes', async () => {
    const sizes: Array<[number, number, number]> = [[1155, 866, 1024], [1152, 723, 640], [636, 495, 300], [644, 485, 300], [700, 2900, 1000], [333, 77, 100], [97, 13, 50], [5, 3, 2], [2, 2, 1], [1024, 768, 1024]];
    for (const [w, h, maxSide] of sizes) {
      const { data } = await sharp(await syntheticPhoto(w + h, w, h)).greyscale().raw().toBuffer({ resolveWithObject: true });
      const grey = { width: w, height: h, data: new Uint8Array(data) };
      const shrink = Math.max(1, w / maxSide, h / maxSide);
      const want = await sharp(data, { raw: { width: w, height: h, channels: 1 } })
        .resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true, kernel: 'linear' })
        .extractChannel(0)
        .raw()
        .toBuffer({ resolveWithObject: true });
      for (const k of kernels) {
        const got = k.reduceLinear(grey, shrink);
        const label = `${k.name} ${w}x${h} to ${maxSide}`;
        expect([got.width, got.height], label).toEqual([want.info.width, want.info.height]);
        expect(differing(got.data, new Uint8Array(want.data)), label).toBe(0);
      }
    }
    for (const k of kernels) {
      expect(() => k.reduceLinear({ width: 10, height: 10, data: new Uint8Array(100) }, 4), k.name).toThrow(/from 1 to under 4/);
      expect(() => k.reduceLinear({ width: 10, height: 10, data: new Uint8Array(100) }, 0.5), k.name).toThrow(/from 1 to under 4/);
    }
  });

  it('comes out of decodeGrey as sharp gives it, for every kind of file, small and large', async () => {
    const photo = await syntheticPhoto(5, 900, 700);
    const big = await syntheticPhoto(6, 3500, 2400);
    // [name, file, whether decodeGrey takes the grey itself at 1024 / 640 / 4096 px]
    const files: Array<[string, Buffer, boolean[]]> = [
      ['jpeg', await sharp(photo).jpeg({ quality: 85 }).toBuffer(), [true, true, true]],
      ['jpeg 1 MP', await sharp(await syntheticPhoto(7, 1155, 866)).jpeg({ quality: 85 }).toBuffer(), [true, true, true]],
      ['jpeg over 3x (shrunk on load)', await sharp(big).jpeg().toBuffer(), [false, false, true]],
      ['png over 3x', await sharp(big).png({ compressionLevel: 1 }).toBuffer(), [false, false, true]],
      ['transparent png', await sharp(photo).ensureAlpha(0.5).png().toBuffer(), [true, true, true]],
      ['grey jpeg', await sharp(photo).greyscale().jpeg().toBuffer(), [true, true, true]],
      ['grey png with alpha', await sharp(photo).greyscale().ensureAlpha(0.7).png().toBuffer(), [true, true, true]],
      ['16-bit png', await sharp(photo).png().toColourspace('rgb16').toBuffer(), [false, false, false]],
      ['cmyk jpeg', await sharp(photo).toColourspace('cmyk').jpeg().toBuffer(), [true, true, true]],
      ['display-p3 jpeg', await sharp(photo).withIccProfile('p3').jpeg().toBuffer(), [true, true, true]],
      ['palette png', await sharp(photo).png({ palette: true }).toBuffer(), [true, true, true]],
      ['webp (scaled on load)', await sharp(photo).webp().toBuffer(), [true, false, true]],
      ['gif', await sharp(photo).gif().toBuffer(), [true, true, true]],
      ['tiff', await sharp(photo).tiff().toBuffer(), [true, true, true]],
      ['avif', await sharp(photo).avif({ effort: 0 }).toBuffer(), [true, true, true]],
    ];
    for (const [name, bytes, whole] of files) {
      const meta = await sharp(bytes, { pages: 1 }).metadata();
      expect([QUERY_OPTIONS.maxSide, REFERENCE_OPTIONS.maxSide, 4096].map((m) => decodesWhole(meta, m)), name).toEqual(whole);
      for (const maxSide of [QUERY_OPTIONS.maxSide, REFERENCE_OPTIONS.maxSide, 4096]) {
        const want = await sharpGrey(bytes, maxSide);
        // The native kernel takes the grey itself where decodesWhole says; with the TypeScript one libvips does.
        for (const k of ['native', 'js'] as const) {
          const got = await withKernel(k, () => decodeGrey(bytes, maxSide));
          expect([got.width, got.height], `${name} at ${maxSide}, ${k}`).toEqual([want.width, want.height]);
          expect(differing(got.data, want.data), `${name} at ${maxSide}, ${k}`).toBe(0);
        }
      }
    }
  }, 60_000);

  it('comes out of decodeGrey as sharp gives it for the shared vectors', async () => {
    const list = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? list(join(dir, e.name)) : /\.(jpe?g|png)$/i.test(e.name) ? [join(dir, e.name)] : []));
    const paths = ['pdq/data', 'blockhash/images'].flatMap((d) => list(vector(d)));
    expect(paths.length).toBeGreaterThan(40);
    for (const p of paths) {
      const bytes = readFileSync(p);
      for (const maxSide of [QUERY_OPTIONS.maxSide, REFERENCE_OPTIONS.maxSide]) {
        const want = await sharpGrey(bytes, maxSide);
        const got = await withKernel('native', () => decodeGrey(bytes, maxSide));
        expect(differing(got.data, want.data) + Math.abs(got.width - want.width), `${p} at ${maxSide}`).toBe(0);
      }
    }
  }, 60_000);

  it('comes from the fingerprint\'s own decode when that decodes the file whole, leaving the hashes\' working copy as it was', async () => {
    const photo = (seed: number, w: number, h: number) => syntheticPhoto(seed, w, h);
    // [name, file, whether decodeImage also gives the grey: for registration, for a query]
    const cases: Array<[string, Buffer, boolean | [boolean, boolean]]> = [
      ['opaque 800x600 (the working copy is the file)', await sharp(await photo(21, 800, 600)).jpeg().toBuffer(), true],
      ['transparent 600x400 (the grey is on white: decoded again)', await sharp(await photo(22, 600, 400)).ensureAlpha(0.4).png().toBuffer(), false],
      // PDQ works on a smaller copy of these, which libvips shrinks from the file decoded whole: one decode for both
      // (1155x866 is a size where shrinking in memory and while streaming from the loader differ).
      ['1 MP jpeg', await sharp(await photo(23, 1155, 866)).jpeg().toBuffer(), true],
      ['1280x720 png', await sharp(await photo(24, 1280, 720)).png({ compressionLevel: 1 }).toBuffer(), true],
      ['1535x1000 jpeg (just under 3x the working copy)', await sharp(await photo(25, 1535, 1000)).jpeg().toBuffer(), true],
      ['display-p3 jpeg 1200x900', await sharp(await photo(28, 1200, 900)).withIccProfile('p3').jpeg().toBuffer(), true],
      ['1600x1200 jpeg (shrunk while loading for PDQ: decoded again)', await sharp(await photo(29, 1600, 1200)).jpeg().toBuffer(), false],
      ['transparent 1200x900 png (decoded again)', await sharp(await photo(32, 1200, 900)).ensureAlpha(0.6).png().toBuffer(), false],
      ['one-channel jpeg 1200x900 (decoded again)', await sharp(await photo(33, 1200, 900)).toColourspace('b-w').jpeg().toBuffer(), false],
      ['greyscale jpeg 1200x900, three channels', await sharp(await photo(36, 1200, 900)).greyscale().jpeg().toBuffer(), true],
      ['cmyk jpeg 1200x900 (decoded again)', await sharp(await photo(34, 1200, 900)).toColourspace('cmyk').jpeg().toBuffer(), false],
      ['webp 1200x900 (scaled while loading: decoded again)', await sharp(await photo(35, 1200, 900)).webp().toBuffer(), false],
      ['display-p3 jpeg 1000x700', await sharp(await photo(26, 1000, 700)).withIccProfile('p3').jpeg().toBuffer(), true],
      ['grey jpeg 1000x700', await sharp(await photo(27, 1000, 700)).greyscale().jpeg().toBuffer(), true],
      ['webp 1000x700 (scaled while loading for a registration\'s grey)', await sharp(await photo(30, 1000, 700)).webp().toBuffer(), [false, true]],
      ['animated gif 300x200', await sharp(await photo(31, 300, 400)).gif().toBuffer().then((b) => sharp(b, { pages: -1 }).toBuffer()), true],
    ];
    for (const [name, bytes, shared] of cases) {
      for (const role of ['reference', 'query'] as const) {
        const maxSide = role === 'reference' ? REFERENCE_OPTIONS.maxSide : QUERY_OPTIONS.maxSide;
        const label = `${name}, ${role}`;
        const plain = await decodeImage(bytes);
        const both = await withKernel('native', () => decodeImage(bytes, undefined, maxSide));
        expect(both.image.width, label).toBe(plain.image.width);
        expect(differing(both.image.data, plain.image.data), label).toBe(0);
        expect(plain.grey, label).toBeUndefined();
        expect(both.grey !== undefined, label).toBe(typeof shared === 'boolean' ? shared : shared[role === 'reference' ? 0 : 1]);
        const want = await sharpGrey(bytes, maxSide);
        if (both.grey) expect([both.grey.width, differing(both.grey.data, want.data)], label).toEqual([want.width, 0]);
        // With the TypeScript kernel libvips makes the grey on its own.
        expect((await withKernel('js', () => decodeImage(bytes, undefined, maxSide))).grey, label).toBeUndefined();
        // End to end: the fingerprint's features are those of the TypeScript kernel, whose grey is libvips' own.
        const fp = await withKernel('native', () => fingerprintBuffer(bytes, { features: role }));
        const viaSharp = await withKernel('js', () => fingerprintBuffer(bytes, { features: role }));
        expect(fp.kind === 'image' && fp.features, label).toBe(viaSharp.kind === 'image' && viaSharp.features);
      }
    }
  }, 60_000);
});
