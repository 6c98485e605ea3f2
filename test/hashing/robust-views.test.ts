import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { hammingHex } from '../../hashing/bits.ts';
import { contentRect, trimBorders } from '../../hashing/borders.ts';
import type { RgbaImage } from '../../hashing/image-decoder.ts';
import { dct16, lumaFromPixels, pdqFromRgb } from '../../hashing/pdq-hasher.ts';
import { fastDct16, regionGrid, regionHash, shrunkLuma, SummedArea } from '../../hashing/region-hash.ts';
import { robustViews } from '../../hashing/robust-views.ts';
import { referenceHashes } from '../../hashing/reference.ts';
import { EDITS, loadSource } from '../support/image-edits.ts';
import { syntheticPhoto } from '../support/images.ts';

async function rgba(bytes: Uint8Array): Promise<RgbaImage> {
  const { data, info } = await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

const edit = async (name: string, bytes: Buffer) => EDITS.find((e) => e.name === name)!.apply(await loadSource(bytes));

describe('region hashes', () => {
  it('fastDct16 computes the same block as PDQ\'s DCT', () => {
    const grid = new Float32Array(64 * 64).map((_, i) => Math.sin(i * 0.37) * 100 + (i % 64));
    const a = dct16(grid);
    const b = fastDct16(grid);
    for (let i = 0; i < 256; i++) expect(b[i]).toBeCloseTo(a[i], 8);
  });

  it('box means over the summed-area table are exact, fractional edges included', () => {
    const luma = { data: Float32Array.from({ length: 12 }, (_, i) => i), width: 4, height: 3 };
    const sa = new SummedArea(luma);
    expect(sa.mean(0, 0, 4, 3)).toBeCloseTo(5.5, 10);
    expect(sa.mean(1, 1, 2, 2)).toBeCloseTo(5, 10);
    // Half of pixel 0 (value 0) and half of pixel 1 (value 1), each half a pixel wide.
    expect(sa.mean(0.5, 0, 1.5, 1)).toBeCloseTo(0.5, 10);
  });

  it('the whole-image region hash lands near the plain PDQ', async () => {
    const img = await rgba(await syntheticPhoto(4));
    const pdq = pdqFromRgb(img.data, img.width, img.height, 4);
    const { luma } = shrunkLuma(img.data, img.width, img.height, 256);
    const box = regionHash(new SummedArea(luma), { cx: luma.width / 2, cy: luma.height / 2, w: luma.width, h: luma.height });
    expect(hammingHex(box.hash, pdq.hash)).toBeLessThanOrEqual(24);
    expect(box.quality).toBeGreaterThanOrEqual(50);
  });

  it('a rotated region undoes a rotation of the picture', async () => {
    const bytes = await syntheticPhoto(5);
    const img = await rgba(bytes);
    const rotated = await rgba(await sharp(bytes).rotate(5, { background: '#000' }).jpeg().toBuffer());
    const sa = (i: RgbaImage) => new SummedArea({ data: lumaFromPixels(i.data, i.width, i.height, 4), width: i.width, height: i.height });
    const orig = regionHash(sa(img), { cx: img.width / 2, cy: img.height / 2, w: img.width, h: img.height });
    const back = regionHash(sa(rotated), { cx: rotated.width / 2, cy: rotated.height / 2, w: img.width, h: img.height, angle: (5 * Math.PI) / 180 });
    const wrongWay = regionHash(sa(rotated), { cx: rotated.width / 2, cy: rotated.height / 2, w: img.width, h: img.height, angle: (-5 * Math.PI) / 180 });
    expect(hammingHex(back.hash, orig.hash)).toBeLessThanOrEqual(20);
    expect(hammingHex(wrongWay.hash, orig.hash)).toBeGreaterThan(hammingHex(back.hash, orig.hash));
    expect(regionGrid(sa(img), { cx: 10, cy: 10, w: 20, h: 20 }).length).toBe(4096);
  });
});

describe('borders and screenshots', () => {
  it('trims black padding and white letterbox bars to the picture', async () => {
    const bytes = await syntheticPhoto(6, 400, 300);
    const padded = await rgba(await sharp(bytes).extend({ top: 30, bottom: 30, left: 40, right: 40, background: '#000' }).png().toBuffer());
    expect(trimBorders(padded)).toEqual({ x: 40, y: 30, w: 400, h: 300 });
    const boxed = await rgba(await edit('letterbox-9x16', bytes));
    const r = trimBorders(boxed)!;
    expect(r.w).toBeGreaterThanOrEqual(boxed.width - 2);
    expect(Math.abs(r.h - (boxed.width * 3) / 4)).toBeLessThanOrEqual(4);
  });

  it('leaves a picture without borders alone', async () => {
    expect(trimBorders(await rgba(await syntheticPhoto(7)))).toBeNull();
  });

  it('finds the picture inside a phone screenshot', async () => {
    const bytes = await syntheticPhoto(8, 600, 400);
    const shot = await rgba(await edit('screenshot-light', bytes));
    const r = contentRect(shot)!;
    // The picture is drawn 1008 px wide from x=36, y=330 on a 1080x2340 screen, then scaled to 720 wide.
    const k = shot.width / 1080;
    expect(Math.abs(r.x - 36 * k)).toBeLessThanOrEqual(3);
    expect(Math.abs(r.y - 330 * k)).toBeLessThanOrEqual(3);
    expect(Math.abs(r.w - 1008 * k)).toBeLessThanOrEqual(4);
    expect(Math.abs(r.h - 672 * k)).toBeLessThanOrEqual(4);
  });

  it('labels every view with a stable label the index accepts, and keeps the list short', async () => {
    const img = await rgba(await edit('pad-black-20', await syntheticPhoto(9)));
    const views = robustViews(img, pdqFromRgb(img.data, img.width, img.height, 4));
    expect(views.map((v) => v.view)).toContain('trim');
    for (const v of views) {
      expect(v.view).toMatch(/^[a-z0-9][a-z0-9:._-]{0,63}$/);
      expect(v.hash).toMatch(/^[0-9a-f]{64}$/);
    }
    // Every view costs ~0.1 ms to compute; every reference-side one costs index memory.
    expect(views.length).toBeLessThanOrEqual(44);
    const refSide = referenceHashes({ kind: 'image', sha256: '', md5: '', width: img.width, height: img.height, format: 'png', pdq: { hash: '0'.repeat(64), quality: 100 }, blockhash: '1'.repeat(64), views });
    expect(refSide.length).toBeLessThanOrEqual(30);
    expect(refSide.map((h) => h.view)).not.toContain('rot:p5');
  });
});
