import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { extractFeatures, QUERY_OPTIONS, REFERENCE_OPTIONS } from '../../../hashing/features/extract.ts';
import { matchFeatures, verifyFeatures } from '../../../hashing/features/match.ts';
import { findPanels, queryFeatures } from '../../../hashing/features/panels.ts';
import { referenceFeatures } from '../../../hashing/features/reference.ts';
import type { LocalFeatures } from '../../../hashing/features/types.ts';
import { decodeGrey } from '../../../hashing/image-decoder.ts';
import { syntheticPhoto } from '../../support/images.ts';

/**
 * Queries cut into panels on their gutters (hashing/features/panels.ts): a collage tile gets its own
 * features, so a picture that is a ninth of the post is found; two collages sharing a layout (same
 * grid, same white gutters, different pictures) do not match. Generated pictures only.
 */
const SLOW = 240_000;
const TILE = 340;
const GAP = 6;

async function collage(tiles: Buffer[], n = 3, tile = TILE, gap = GAP): Promise<Buffer> {
  const W = n * tile + (n + 1) * gap;
  const parts = await Promise.all(tiles.map(async (t, k) => ({ input: await sharp(t).resize(tile, tile, { fit: 'cover' }).png().toBuffer(), left: gap + (k % n) * (tile + gap), top: gap + Math.floor(k / n) * (tile + gap) })));
  return sharp({ create: { width: W, height: W, channels: 3, background: '#ffffff' } }).composite(parts).jpeg({ quality: 80 }).toBuffer();
}

const register = async (b: Buffer) => referenceFeatures(await decodeGrey(b, REFERENCE_OPTIONS.maxSide));
const query = async (b: Buffer) => queryFeatures(await decodeGrey(b, QUERY_OPTIONS.maxSide));

describe('panels of a post', () => {
  const photos: Buffer[] = [];
  const refs: LocalFeatures[] = [];
  beforeAll(async () => {
    for (let k = 0; k < 20; k++) photos.push(await syntheticPhoto(700 + k, 640, 480));
    for (const p of photos.slice(0, 4)) refs.push(await register(p));
  }, SLOW);

  it('cuts a 3x3 collage into its nine tiles and leaves a photo whole', async () => {
    const grey = await decodeGrey(await collage(photos.slice(0, 9)), QUERY_OPTIONS.maxSide);
    const panels = findPanels(grey);
    expect(panels).toHaveLength(9);
    const s = grey.width / (3 * TILE + 4 * GAP);
    for (const [k, p] of panels.entries()) {
      // Row by row, left to right; each within 3 px of its tile (a tile's own flat edge may trim a little).
      const x = (GAP + (k % 3) * (TILE + GAP)) * s, y = (GAP + Math.floor(k / 3) * (TILE + GAP)) * s;
      expect(Math.abs(p.x - x)).toBeLessThan(3);
      expect(Math.abs(p.y - y)).toBeLessThan(3);
      expect(Math.abs(p.w - TILE * s)).toBeLessThan(4);
    }
    expect(findPanels(await decodeGrey(photos[0], QUERY_OPTIONS.maxSide))).toEqual([]);
    // A thin white border is the picture itself, not a panel.
    const bordered = await sharp(photos[1]).extend({ top: 8, bottom: 8, left: 8, right: 8, background: '#fff' }).jpeg().toBuffer();
    expect(findPanels(await decodeGrey(bordered, QUERY_OPTIONS.maxSide))).toEqual([]);
  });

  it('cuts a framed picture with a text band into the picture and the band', async () => {
    const band = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="700" height="120"><rect width="700" height="120" fill="#e74c3c"/><text x="350" y="80" font-family="DejaVu Sans" font-size="48" fill="#fff" text-anchor="middle">share before it goes</text></svg>');
    const framed = await sharp({ create: { width: 800, height: 820, channels: 3, background: '#e74c3c' } })
      .composite([{ input: await sharp(photos[2]).resize(700, 525).png().toBuffer(), left: 50, top: 50 }, { input: band, left: 50, top: 650 }]).jpeg().toBuffer();
    const grey = await decodeGrey(framed, QUERY_OPTIONS.maxSide);
    const panels = findPanels(grey);
    const s = grey.width / 800;
    const pic = panels.find((p) => Math.abs(p.y - 50 * s) < 4);
    expect(pic, JSON.stringify(panels)).toBeDefined();
    expect(Math.abs(pic!.w - 700 * s)).toBeLessThan(4);
    expect(Math.abs(pic!.h - 525 * s)).toBeLessThan(4);
  });

  it('finds a picture that is one ninth of a collage, in its tile', async () => {
    let found = 0;
    for (const [i, ref] of refs.entries()) {
      const tiles = photos.slice(4 + 3 * i, 13 + 3 * i);
      const slot = (2 * i + 1) % 9;
      tiles[slot] = photos[i];
      const q = await query(await collage(tiles));
      const m = matchFeatures(q, ref);
      if (!m) continue;
      found++;
      // The region is centred on the tile's cell of the 3x3 grid, and spans its height (the cover crop
      // hides the picture's sides, so the region is wider than the tile).
      const cx = (slot % 3) / 3, cy = Math.floor(slot / 3) / 3;
      expect(Math.abs(m.queryRegion.x + m.queryRegion.w / 2 - (cx + 1 / 6))).toBeLessThan(0.03);
      expect(m.queryRegion.y).toBeGreaterThan(cy - 0.02);
      expect(m.queryRegion.y + m.queryRegion.h).toBeLessThan(cy + 1 / 3 + 0.02);
      for (const [j, other] of refs.entries()) if (j !== i) expect(matchFeatures(q, other), `collage with photo ${i} matched photo ${j}`).toBeNull();
    }
    expect(found).toBeGreaterThanOrEqual(refs.length - 1);
  }, SLOW);

  it('adds panel features only to a post that has panels', async () => {
    // A photo: the whole-query keypoints, with a low-contrast one's lower-threshold corners at most.
    const grey = await decodeGrey(photos[3], QUERY_OPTIONS.maxSide);
    expect(findPanels(grey)).toEqual([]);
    expect(queryFeatures(grey).count).toBeLessThanOrEqual(extractFeatures(grey, QUERY_OPTIONS).count + extractFeatures(grey, { ...QUERY_OPTIONS, fastThreshold: 8 }).count);
    const cgrey = await decodeGrey(await collage(photos.slice(0, 4), 2, 500), QUERY_OPTIONS.maxSide);
    expect(queryFeatures(cgrey).count).toBeGreaterThan(extractFeatures(cgrey, QUERY_OPTIONS).count);
  });

  it('does not match two different collages that share a layout, nor a tile of one with the other', async () => {
    const a = await collage(photos.slice(0, 9));
    const b = await collage(photos.slice(9, 18));
    const regA = await register(a);
    const qb = await query(b);
    const v = verifyFeatures(qb, regA);
    expect(v.accepted, `${v.inliers} inliers`).toBe(false);
    // A tile of collage A, registered, is not found in collage B (the gutters and grid are the same).
    for (const ref of refs) expect(matchFeatures(qb, ref)).toBeNull();
  }, SLOW);
});
