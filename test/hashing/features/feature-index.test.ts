import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { extractFeatures, QUERY_OPTIONS, REFERENCE_OPTIONS } from '../../../hashing/features/extract.ts';
import { DEFAULT_FEATURE_INDEX_OPTIONS, FeatureIndex } from '../../../hashing/features/feature-index.ts';
import { GATE_MIN, verifyFeatures } from '../../../hashing/features/match.ts';
import { mirrorFeatures } from '../../../hashing/features/mirror.ts';
import { popcount32 } from '../../../hashing/bits.ts';
import { decodeGrey } from '../../../hashing/image-decoder.ts';
import { syntheticPhoto } from '../../support/images.ts';

const feats = async (b: Uint8Array, o = REFERENCE_OPTIONS) => extractFeatures(await decodeGrey(b, o.maxSide), o);

describe('FeatureIndex', () => {
  it('returns the registered picture a cropped copy comes from, with the most votes; removed pictures are gone', async () => {
    const index = new FeatureIndex();
    const photos = await Promise.all([1, 2, 3, 4, 5].map((s) => syntheticPhoto(s, 640, 480)));
    for (const [i, p] of photos.entries()) index.add(`ref-${i}`, await feats(p));
    expect(index.pictures).toBe(5);
    expect(index.bytesPerPicture()).toBeLessThanOrEqual(24 * 1024);
    const crop = await sharp(photos[2]).extract({ left: 120, top: 40, width: 480, height: 400 }).jpeg({ quality: 70 }).toBuffer();
    const q = await feats(crop, QUERY_OPTIONS);
    const hits = index.query(q);
    expect(hits[0]?.refId).toBe('ref-2');
    expect(hits[0].votes).toBeGreaterThanOrEqual(5);
    expect(index.remove('ref-2')).toBe(true);
    expect(index.remove('ref-2')).toBe(false);
    expect(index.query(q).map((h) => h.refId)).not.toContain('ref-2');
    index.compact();
    expect(index.pictures).toBe(4);
    expect(index.query(q).map((h) => h.refId)).not.toContain('ref-2');
  });

  it('gives back its room to grow after a load (trim), finds the same pictures, and takes adds after it', async () => {
    const index = new FeatureIndex();
    const photos = await Promise.all([31, 32, 33, 34, 35, 36, 37].map((s) => syntheticPhoto(s, 640, 480)));
    const refs = await Promise.all(photos.map((p) => feats(p)));
    for (const [i, f] of refs.slice(0, 6).entries()) index.add(`ref-${i}`, f);
    const crop = await sharp(photos[3]).extract({ left: 80, top: 50, width: 480, height: 380 }).jpeg({ quality: 75 }).toBuffer();
    const q = await feats(crop, QUERY_OPTIONS);
    const before = index.query(q).map((h) => [h.refId, h.votes]);
    const held = index.bytesHeld();
    index.trim();
    // Six pictures grew the arrays a quarter at a time: some room was left, and now none is.
    const trimmed = index.bytesHeld();
    expect(trimmed).toBeLessThan(held);
    index.trim();
    expect(index.bytesHeld()).toBe(trimmed);
    expect(index.features('ref-3')?.count).toBe(refs[3].count);
    expect(index.query(q).map((h) => [h.refId, h.votes])).toEqual(before);
    index.add('ref-6', refs[6]);
    expect(index.pictures).toBe(7);
    expect(index.features('ref-6')?.count).toBe(refs[6].count);
    expect(index.query(q)[0]?.refId).toBe('ref-3');
  });

  it('counts only votes that agree on one turn and scale, hands the voting pairs to the verifier, and the gate turns impostors away', async () => {
    const index = new FeatureIndex({ minVotes: 1 });
    const photos = await Promise.all([21, 22, 23, 24].map((s) => syntheticPhoto(s, 640, 480)));
    const refs = await Promise.all(photos.map((p) => feats(p)));
    for (const [i, f] of refs.entries()) index.add(`ref-${i}`, f);
    const crop = await sharp(photos[1]).extract({ left: 100, top: 60, width: 500, height: 400 }).jpeg({ quality: 75 }).toBuffer();
    const q = await feats(crop, QUERY_OPTIONS);
    const hits = index.query(q);
    const own = hits.find((h) => h.refId === 'ref-1')!;
    expect(hits[0].refId).toBe('ref-1');
    expect(own.votes).toBeLessThanOrEqual(own.rawVotes);
    // Each vote's pair is a real keypoint of each side.
    expect(own.pairs.length / 2).toBe(own.rawVotes - own.mirroredPairs.length / 2);
    for (let k = 0; k < own.pairs.length; k += 2) {
      expect(own.pairs[k]).toBeLessThan(q.count);
      expect(own.pairs[k + 1]).toBeLessThan(refs[1].count);
    }
    const hint = { ...own, minVotes: 1 };
    expect(verifyFeatures(q, refs[1], hint).accepted).toBe(true);
    for (const other of hits.filter((h) => h.refId !== 'ref-1')) {
      expect(other.votes * 3).toBeLessThan(own.votes);
      const v = verifyFeatures(q, refs[Number(other.refId.slice(4))], { ...other, minVotes: 1 });
      expect(v.accepted).toBe(false);
      if (v.reason === 'the index votes do not agree on one placement') expect(v.inliers).toBeLessThan(GATE_MIN);
    }
    expect(DEFAULT_FEATURE_INDEX_OPTIONS.maxCandidates).toBeLessThanOrEqual(16);
  });

  it('is the one copy of a registered picture: its features come back equal after growing, removals, compaction and longer keys', async () => {
    // A small key and growth steps that fire within these pictures, so the arrays reallocate and the lists are rebuilt.
    const refs = await Promise.all([31, 32, 33, 34, 35, 36].map(async (s) => feats(await syntheticPhoto(s, 480, 360))));
    const total = refs.reduce((n, f) => n + f.count, 0);
    const index = new FeatureIndex({ keyBits: 10, keyGrowth: [[Math.floor(total / 4), 12], [Math.floor(total / 2), 14]] });
    for (const [i, f] of refs.entries()) index.add(`ref-${i}`, f);
    expect(index.keyBits).toBe(14);
    index.remove('ref-1');
    index.remove('ref-4');
    index.compact();
    index.add('ref-1', refs[1]);
    expect(index.features('ref-4')).toBeNull();
    for (const i of [0, 1, 2, 3, 5]) {
      const got = index.features(`ref-${i}`)!;
      const f = refs[i];
      expect({ width: got.width, height: got.height, count: got.count }, `ref-${i}`).toEqual({ width: f.width, height: f.height, count: f.count });
      for (const k of ['x', 'y', 'level', 'angle', 'descriptors'] as const) expect(Array.from(got[k]), `ref-${i} ${k}`).toEqual(Array.from(f[k]));
    }
    // Views, not copies: nothing per picture beyond the index's own slots and record.
    expect(index.features('ref-0')!.descriptors.buffer).toBe(index.features('ref-5')!.descriptors.buffer);
    expect(index.bytesPerPicture()).toBeLessThanOrEqual(24 * 1024);
    expect(index.bytesHeld()).toBeGreaterThan(index.bytesPerPicture() * index.pictures);
  });

  it('finds a mirrored copy through the mirrored descriptors', async () => {
    const index = new FeatureIndex();
    const p = await syntheticPhoto(9, 640, 480);
    index.add('a', await feats(p));
    const q = await feats(await sharp(p).flop().jpeg().toBuffer(), QUERY_OPTIONS);
    expect(index.query(q)[0]?.refId).toBe('a');
  });
});

describe('mirror symmetry of the descriptor', () => {
  it('gives the features of the flopped picture from those of the picture (same keypoints, near-identical bits)', async () => {
    const p = await syntheticPhoto(11, 512, 384);
    const f = mirrorFeatures(await feats(p));
    const g = await feats(await sharp(p).flop().png().toBuffer());
    let same = 0;
    let bits = 0;
    for (let i = 0; i < f.count; i++) {
      for (let j = 0; j < g.count; j++) {
        if (f.level[i] !== g.level[j] || Math.abs(f.x[i] - g.x[j]) > 0.6 || Math.abs(f.y[i] - g.y[j]) > 0.6) continue;
        same++;
        for (let w = 0; w < 8; w++) bits += popcount32(f.descriptors[i * 8 + w] ^ g.descriptors[j * 8 + w]);
        break;
      }
    }
    expect(same).toBeGreaterThan(0.9 * f.count);
    expect(bits / same).toBeLessThan(4);
  });
});
