import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { extractFeatures, QUERY_OPTIONS, REFERENCE_OPTIONS } from '../../../hashing/features/extract.ts';
import { matchFeatures } from '../../../hashing/features/match.ts';
import { referenceFeatures } from '../../../hashing/features/reference.ts';
import type { GreyImage } from '../../../hashing/features/types.ts';
import { decodeGrey } from '../../../hashing/image-decoder.ts';
import { videoFileKeyframes } from '../../../hashing/video/feature-frames.ts';
import { findPictureInKeyframes, KeyframeExtractor, matchKeyframes, videoKeyframeFeatures } from '../../../hashing/video/keyframes.ts';
import { syntheticPhoto } from '../../support/images.ts';
import { seeded } from '../../support/partial-edits.ts';
import { skimagePhoto } from '../../support/robust-photos.ts';
import { kenBurnsSlideshow } from '../../support/slideshow.ts';
import { vector } from '../../support/vectors.ts';
import { makeVideo, sample } from '../../support/video-edits.ts';

/**
 * Keyframe features of videos: a registered photo shown in a slideshow with a slow zoom and pan
 * (Ken Burns) is found at the time it is shown, a cropped or zoomed re-upload of a registered video is
 * found, and neither finds what is not there. Real ffmpeg; real photos from python3-skimage.
 */
const SLOW = 300_000;

async function photo(k: number): Promise<Buffer> {
  const names = ['astronaut.png', 'coffee.png', 'chelsea.png', 'camera.png'];
  return readFileSync(skimagePhoto(names[k]));
}

async function greyOf(bytes: Buffer, w: number, h: number): Promise<GreyImage> {
  const { data, info } = await sharp(bytes).resize(w, h, { fit: 'fill' }).greyscale().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

describe('keyframe selection', () => {
  it('keeps one keyframe of a static shot, one at each cut, and one per period while the picture moves', async () => {
    const a = await photo(0);
    const b = await photo(1);
    const still = await greyOf(a, 480, 270);
    const other = await greyOf(b, 480, 270);
    const frames = [];
    // 0-5 s the same picture, 5-6 s a cut to another, 6-10 s a zoom into it.
    for (let t = 0; t < 5; t += 0.5) frames.push({ timeSec: t, grey: still });
    frames.push({ timeSec: 5, grey: other }, { timeSec: 5.5, grey: other });
    for (let t = 6, z = 1.05; t < 10; t += 0.5, z += 0.05) {
      const m = await sharp(b).metadata();
      const w = Math.round(m.width! / z), h = Math.round(m.height! / z);
      frames.push({ timeSec: t, grey: await greyOf(await sharp(b).extract({ left: m.width! - w, top: m.height! - h, width: w, height: h }).png().toBuffer(), 480, 270) });
    }
    const kx = new KeyframeExtractor({ periodSec: 1.5, sceneChange: 0.45, same: 0.08, maxKeyframes: 100, extract: REFERENCE_OPTIONS });
    const picked = frames.filter((f) => kx.push(f)).map((f) => f.timeSec);
    expect(picked[0]).toBe(0);
    expect(picked.filter((t) => t > 0 && t < 5)).toEqual([]);
    expect(picked).toContain(5);
    expect(picked).not.toContain(5.5);
    const moving = picked.filter((t) => t >= 6);
    expect(moving.length).toBeGreaterThanOrEqual(2);
    for (let k = 1; k < moving.length; k++) expect(moving[k] - moving[k - 1]).toBeLessThanOrEqual(1.5 + 0.5);
    expect(kx.keyframes().map((k) => k.timeSec)).toEqual(picked);
    expect(kx.keyframes().every((k) => k.features.count > 50)).toBe(true);
    expect(videoKeyframeFeatures(frames, { periodSec: 1.5, sceneChange: 0.45, same: 0.08, maxKeyframes: 2, extract: REFERENCE_OPTIONS })).toHaveLength(2);
  });

  it('past the cap keeps the most distinct keyframes over the whole video (each cut), not its first minutes', async () => {
    // 12 shots of 3 s, each a different picture panning slowly: a keyframe at each cut and one 1.5 s
    // into each shot are candidates (24), and a cap of 12 keeps exactly the cuts, up to the last shot.
    const frames = [];
    for (let shot = 0; shot < 12; shot++) {
      const pic = await greyOf(await syntheticPhoto(300 + shot, 400, 260), 400, 260);
      for (let k = 0; k < 6; k++) frames.push({ timeSec: shot * 3 + k * 0.5, grey: shifted(pic, 320, 180, 6 * k) });
    }
    const opts = { periodSec: 1.5, sceneChange: 0.45, same: 0.08, extract: REFERENCE_OPTIONS };
    const all = videoKeyframeFeatures(frames, { ...opts, maxKeyframes: 100 }).map((k) => k.timeSec);
    expect(all.length).toBeGreaterThanOrEqual(24);
    const capped = videoKeyframeFeatures(frames, { ...opts, maxKeyframes: 12 }).map((k) => k.timeSec);
    expect(capped).toEqual(Array.from({ length: 12 }, (_, shot) => shot * 3));
  });
});

/** A w x h window of `g` moved `dx` pixels right (a pan). */
function shifted(g: GreyImage, w: number, h: number, dx: number): GreyImage {
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) data.set(g.data.subarray(y * g.width + dx, y * g.width + dx + w), y * w);
  return { width: w, height: h, data };
}

describe('photos inside a slideshow video (Ken Burns zoom and pan)', () => {
  it('finds each registered photo while it is on screen, and not a photo that was never shown', { timeout: SLOW }, async () => {
    const shown = [await photo(0), await photo(1), await photo(2)];
    const plan = kenBurnsSlideshow(shown, { seconds: [3, 4, 5], rng: seeded(11) });
    const keyframes = await videoFileKeyframes(plan.path);
    expect(keyframes.length).toBeGreaterThanOrEqual(6);
    for (const [k, bytes] of shown.entries()) {
      const f = referenceFeatures(await decodeGrey(bytes, REFERENCE_OPTIONS.maxSide));
      const s = findPictureInKeyframes(keyframes, f);
      expect(s, `photo ${k}`).not.toBeNull();
      expect(s!.timeSec).toBeGreaterThanOrEqual(plan.slots[k].start - 0.6);
      expect(s!.timeSec).toBeLessThanOrEqual(plan.slots[k].end + 0.6);
      expect(s!.decision.method).toBe('local-features');
      expect(s!.decision.region.w).toBeGreaterThan(0.5);
    }
    const never = referenceFeatures(await decodeGrey(await photo(3), REFERENCE_OPTIONS.maxSide));
    expect(findPictureInKeyframes(keyframes, never)).toBeNull();
  });

  it('finds a dim, nearly flat photo (its keyframes are taken at the lower threshold, as its registration was), and not another such photo', { timeout: SLOW }, async () => {
    const [dim, otherDim] = [await flatPhoto(1), await flatPhoto(2)];
    const plan = kenBurnsSlideshow([await photo(0), dim], { seconds: [3, 4], rng: seeded(5) });
    const keyframes = await videoFileKeyframes(plan.path);
    const shown = keyframes.filter((k) => k.timeSec >= plan.slots[1].start);
    expect(shown.length).toBeGreaterThanOrEqual(1);
    // At the normal threshold the upscaled flat picture keeps a handful of corners (3-7 measured), too few to verify.
    for (const k of shown) expect(k.features.count).toBeGreaterThan(300);
    const s = findPictureInKeyframes(keyframes, referenceFeatures(await decodeGrey(dim, REFERENCE_OPTIONS.maxSide)));
    expect(s).not.toBeNull();
    expect(s!.timeSec).toBeGreaterThanOrEqual(plan.slots[1].start - 0.6);
    expect(findPictureInKeyframes(keyframes, referenceFeatures(await decodeGrey(otherDim, REFERENCE_OPTIONS.maxSide)))).toBeNull();
  });
});

/** A dim sky: faint seeded noise over a gentle gradient (a few dozen corners at the normal FAST threshold). */
async function flatPhoto(seed: number): Promise<Buffer> {
  const W = 320, H = 320, r = seeded(seed);
  const px = Buffer.alloc(W * H * 3);
  for (let i = 0; i < W * H; i++) {
    const v = Math.round(128 + (r() - 0.5) * 12);
    px[3 * i] = v; px[3 * i + 1] = v; px[3 * i + 2] = Math.min(255, v + 40);
  }
  const out = await sharp(px, { raw: { width: W, height: H, channels: 3 } }).blur(1).raw().toBuffer();
  for (let y = 0; y < H; y++) for (let x = 0; x < W * 3; x++) out[y * W * 3 + x] = Math.max(0, Math.min(255, out[y * W * 3 + x] - 40 + Math.round((60 * y) / H)));
  return sharp(out, { raw: { width: W, height: H, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

describe('a zoomed-in frame of a picture whose content is a column on a dark ground (shared vectors)', () => {
  it('is found, though one stray corner on the ground lies far from the content (the 16:9 band of a square photo, and zoomed 1.18x)', async () => {
    // blockhash/stoplights.jpg: three lamps in a column over black, ~100 inliers on the lamps; a stray
    // corner on a housing's edge widened the content's box so the inliers "covered too little" of it.
    const src = readFileSync(vector('blockhash/images/stoplights.jpg'));
    const ref = referenceFeatures(await decodeGrey(src, REFERENCE_OPTIONS.maxSide));
    for (const [left, top, width, height] of [[0, 110, 500, 281], [38, 126, 424, 238]]) {
      const frame = await sharp(src).extract({ left, top, width, height }).resize(960, 540).jpeg({ quality: 85 }).toBuffer();
      const m = matchFeatures(extractFeatures(await decodeGrey(frame, QUERY_OPTIONS.maxSide), QUERY_OPTIONS), ref);
      expect(m, `${width}x${height} band`).not.toBeNull();
      expect(m!.inliers).toBeGreaterThan(40);
    }
  });
});

describe('re-uploads of a registered video (shared sample videos)', () => {
  const X264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '23', '-pix_fmt', 'yuv420p', '-an'];

  it('finds a cropped and zoomed re-upload, mirrored too, through keyframes - and not in another video', { timeout: SLOW }, async () => {
    const chair = await videoFileKeyframes(sample('chair-orig-22-sd-bar'), { side: 'reference' });
    const pattern = await videoFileKeyframes(sample('pattern-hd-no-bar'), { side: 'reference' });
    expect(chair.length).toBeGreaterThanOrEqual(3);
    const crop = await videoFileKeyframes(makeVideo([], sample('chair-orig-22-sd-bar'), ['-vf', 'hflip,crop=iw*0.6:ih*0.6:iw*0.1:ih*0.3,scale=-2:480', ...X264]));
    const m = matchKeyframes(crop, chair);
    expect(m).not.toBeNull();
    expect(m!.method).toBe('local-features-keyframes');
    expect(m!.queryShare).toBeGreaterThan(0.3);
    expect(m!.ordered).toBeGreaterThan(0.8);
    expect(matchKeyframes(crop, pattern)).toBeNull();
  });
});
