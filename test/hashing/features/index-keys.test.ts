import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { extractFeatures, FeatureIndex, QUERY_OPTIONS, REFERENCE_OPTIONS, type LocalFeatures } from '../../../hashing/features/index.ts';
import { descriptorKey, KEY_BIT_POSITIONS, KEY_BITS_MAX, KEY_TABLES } from '../../../hashing/features/index-keys.ts';
import { DESCRIPTOR_WORDS } from '../../../hashing/features/types.ts';
import { syntheticPhoto } from '../../support/images.ts';

/** Descriptors of generated photos, with the share of a bank one lookup walks under a key function. */
const descriptors: Uint32Array[] = [];
const registered: LocalFeatures[] = [];
const grey = async (bytes: Buffer) => {
  const { data, info } = await sharp(bytes).greyscale().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
};
function collision(key: (d: Uint32Array) => number): number {
  const counts = new Map<number, number>();
  for (const d of descriptors) counts.set(key(d), (counts.get(key(d)) ?? 0) + 1);
  let s = 0;
  for (const c of counts.values()) s += c * (c - 1);
  return s / (descriptors.length * (descriptors.length - 1));
}

describe('the feature index keys', () => {
  beforeAll(async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const photo = await syntheticPhoto(seed, 900, 700);
      const f = extractFeatures(await grey(photo), QUERY_OPTIONS);
      for (let i = 0; i < f.count; i++) descriptors.push(f.descriptors.slice(i * DESCRIPTOR_WORDS, (i + 1) * DESCRIPTOR_WORDS));
      registered.push(extractFeatures(await grey(photo), REFERENCE_OPTIONS));
    }
  });

  it('are disjoint bit positions inside a descriptor, KEY_BITS_MAX a table', () => {
    expect(KEY_BIT_POSITIONS).toHaveLength(KEY_TABLES);
    const all = KEY_BIT_POSITIONS.flat();
    expect(all).toHaveLength(KEY_TABLES * KEY_BITS_MAX);
    expect(new Set(all).size).toBe(all.length);
    for (const b of all) expect(b >= 0 && b < 32 * DESCRIPTOR_WORDS).toBe(true);
  });

  it('read the listed bits in order, the first one highest', () => {
    for (let t = 0; t < KEY_TABLES; t++) {
      const [first, second] = KEY_BIT_POSITIONS[t];
      const d = new Uint32Array(DESCRIPTOR_WORDS);
      d[first >> 5] |= 1 << (first & 31);
      expect(descriptorKey(d, 0, t, 16)).toBe(1 << 15);
      d[second >> 5] |= 1 << (second & 31);
      expect(descriptorKey(d, 0, t, 16)).toBe((1 << 15) | (1 << 14));
      expect(descriptorKey(d, 0, t, 20)).toBe((1 << 19) | (1 << 18));
      // Bits that are no key bit of this table do not move its key.
      const other = new Uint32Array(DESCRIPTOR_WORDS).fill(0xffffffff);
      for (const b of KEY_BIT_POSITIONS[t]) other[b >> 5] &= ~(1 << (b & 31));
      expect(descriptorKey(other, 0, t, KEY_BITS_MAX)).toBe(0);
    }
  });

  it('spread descriptors of photos they were never chosen on over more buckets than the top bits of a word did', () => {
    expect(descriptors.length).toBeGreaterThan(3000);
    const uniform = 2 ** -16;
    for (let t = 0; t < KEY_TABLES; t++) {
      const chosen = collision((d) => descriptorKey(d, 0, t, 16));
      const old = collision((d) => d[2 * t] >>> 16);
      // Generated pictures of flat shapes bias BRIEF's bits even more than photos (old keys: 200-550x a
      // uniform key's share here); the chosen bits must still walk several times less of the bank.
      expect(chosen, `table ${t}: ${(chosen / uniform).toFixed(0)}x uniform, old keys ${(old / uniform).toFixed(0)}x`).toBeLessThan(old / 4);
    }
  });

  it('lengthen as the bank grows: past a step every descriptor is re-filed, and a copy finds the same candidates', async () => {
    const total = registered.reduce((n, f) => n + f.count, 0);
    const growing = new FeatureIndex({ keyGrowth: [[Math.floor(total / 2), 20]] });
    const fixed = new FeatureIndex({ keyBits: 20, keyGrowth: [] });
    expect(growing.keyBits).toBe(14);
    registered.forEach((f, i) => { growing.add(String(i), f); fixed.add(String(i), f); });
    expect(growing.keyBits).toBe(20);
    expect(fixed.keyBits).toBe(20);
    // A smaller, re-encoded copy of photo 4, cropped: found first, with the same votes either way.
    const copy = await sharp(await syntheticPhoto(5, 900, 700)).extract({ left: 90, top: 60, width: 700, height: 560 }).resize(560).jpeg({ quality: 70 }).toBuffer();
    const q = extractFeatures(await grey(copy), QUERY_OPTIONS);
    const a = growing.query(q);
    expect(a[0]?.refId).toBe('4');
    expect(a.map((c) => [c.refId, c.votes])).toEqual(fixed.query(q).map((c) => [c.refId, c.votes]));
  });
});
