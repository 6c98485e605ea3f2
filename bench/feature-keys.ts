/**
 * npm run bench:index -- --feature-keys [--json]
 *
 * Derives the bits the local-feature index files descriptors under (hashing/features/index-keys.ts),
 * and prints how well the chosen keys and the old ones (the top 16 bits of words 0, 2, 4 and 6) do:
 *   collision  the chance two unrelated descriptors share a key (the share of the bank a lookup walks;
 *              2^-16 = 0.0015% if keys were uniform),
 *   kept       the chance a true pair (one corner in a photo and in an edited copy) shares it.
 * Photos: the shared vectors and python3-skimage's (never the sets kept for the evaluation). True pairs:
 * keypoints found at the same place, level and orientation in a photo and in a re-encoded, resized,
 * darkened, noisy or softened copy of it.
 *
 * Greedy choice, table by table, from bits no earlier table took: add the bit that most raises
 * log2(kept) - log2(collision) (the classic LSH trade: each bit should halve the chance collisions and
 * keep the true ones), until a table has KEY_BITS_MAX bits; a 16-bit key takes the first 16 of its
 * table's list (the greedy order), a 20-bit key the first 20.
 */
import { readFileSync } from 'node:fs';
import sharp, { type Sharp } from 'sharp';
import { extractFeatures, QUERY_OPTIONS } from '../hashing/features/index.ts';
import { DESCRIPTOR_WORDS, type LocalFeatures } from '../hashing/features/types.ts';
import { KEY_BITS_MAX, KEY_TABLES, KEY_BIT_POSITIONS } from '../hashing/features/index-keys.ts';
import { skimagePhotos, vectorPhotos } from '../test/support/robust-photos.ts';
import { log, report } from './support.ts';

const photos = [...vectorPhotos(), ...skimagePhotos()];
if (photos.length < 12) throw new Error('Deriving the index keys needs the shared vectors (../shared/vectors) and python3-skimage (apt-get install -y python3-skimage).');

const grey = async (img: Sharp) => {
  const { data, info } = await img.greyscale().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
};
const EDITS: Array<{ name: string; scale: number; apply: (s: Sharp, w: number, h: number) => Sharp }> = [
  { name: 'jpeg-q35', scale: 1, apply: (s) => s },
  { name: 'resize-0.75', scale: 0.75, apply: (s, w, h) => s.resize(Math.round(w * 0.75), Math.round(h * 0.75)) },
  { name: 'gamma', scale: 1, apply: (s) => s.gamma(2.2, 1.2) },
  { name: 'blur', scale: 1, apply: (s) => s.blur(0.8) },
  { name: 'noise-jpeg', scale: 1, apply: (s) => s.modulate({ brightness: 0.9 }).sharpen() },
];

const all: Uint32Array[] = [];
const pairs: Array<[Uint32Array, Uint32Array]> = [];
const desc = (f: LocalFeatures, i: number) => f.descriptors.slice(i * DESCRIPTOR_WORDS, (i + 1) * DESCRIPTOR_WORDS);
for (const p of photos) {
  const bytes = readFileSync(p.path);
  const base = await grey(sharp(bytes).resize(1024, 1024, { fit: 'inside', withoutEnlargement: true }));
  const f = extractFeatures(base, QUERY_OPTIONS);
  for (let i = 0; i < f.count; i++) all.push(desc(f, i));
  for (const e of EDITS) {
    const src = sharp(base.data, { raw: { width: base.width, height: base.height, channels: 1 } });
    const jpeg = await e.apply(src, base.width, base.height).jpeg({ quality: e.name === 'jpeg-q35' ? 35 : 80 }).toBuffer();
    const g = extractFeatures(await grey(sharp(jpeg)), QUERY_OPTIONS);
    // The edited copy's keypoints by cell, for the look-up by place.
    const cell = new Map<string, number[]>();
    for (let j = 0; j < g.count; j++) {
      const k = `${g.level[j]}:${Math.round(g.x[j] / e.scale / 4)}:${Math.round(g.y[j] / e.scale / 4)}`;
      (cell.get(k) ?? cell.set(k, []).get(k)!).push(j);
    }
    for (let i = 0; i < f.count; i++) {
      for (const dx of [-1, 0, 1]) for (const dy of [-1, 0, 1]) {
        for (const j of cell.get(`${f.level[i]}:${Math.round(f.x[i] / 4) + dx}:${Math.round(f.y[i] / 4) + dy}`) ?? []) {
          const near = Math.hypot(g.x[j] / e.scale - f.x[i], g.y[j] / e.scale - f.y[i]) <= 1.5 * (e.scale < 1 ? 2 : 1);
          const turn = Math.abs((((g.angle[j] - f.angle[i]) & 255) + 128) % 256 - 128);
          if (near && turn <= 6) pairs.push([desc(f, i), desc(g, j)]);
        }
      }
    }
  }
}
log(`${all.length} descriptors, ${pairs.length} true pairs from ${photos.length} photos`);

const bit = (d: Uint32Array, b: number) => (d[b >> 5] >>> (b & 31)) & 1;
// Bit columns: every descriptor's bit b, and whether each true pair agrees on it.
const N = all.length;
const P = pairs.length;
const column = Array.from({ length: 256 }, (_, b) => Uint8Array.from(all, (d) => bit(d, b)));
const agrees = Array.from({ length: 256 }, (_, b) => Uint8Array.from(pairs, ([a, c]) => (bit(a, b) === bit(c, b) ? 1 : 0)));

/** Collision chance and kept share of a table's bits, from its descriptors' keys so far (`keys`) plus bit `b`. */
function rateWith(keys: Int32Array, keptNow: Uint8Array, len: number, b: number | null): { collision: number; kept: number } {
  const counts = new Int32Array(1 << (len + (b === null ? 0 : 1)));
  const col = b === null ? null : column[b];
  for (let i = 0; i < N; i++) counts[col ? keys[i] * 2 + col[i] : keys[i]]++;
  let s = 0;
  for (const c of counts) s += c * (c - 1);
  let k = 0;
  const ag = b === null ? null : agrees[b];
  for (let i = 0; i < P; i++) if (keptNow[i] && (!ag || ag[i])) k++;
  return { collision: Math.max(s, 1) / (N * (N - 1)), kept: k / P };
}
function rate(bits: readonly number[]): { collision: number; kept: number } {
  const keys = new Int32Array(N);
  const keptNow = new Uint8Array(P).fill(1);
  for (const b of bits) {
    for (let i = 0; i < N; i++) keys[i] = keys[i] * 2 + column[b][i];
    for (let i = 0; i < P; i++) keptNow[i] &= agrees[b][i];
  }
  return rateWith(keys, keptNow, bits.length, null);
}

const taken = new Set<number>();
const chosen: number[][] = [];
for (let t = 0; t < KEY_TABLES; t++) {
  const bits: number[] = [];
  const keys = new Int32Array(N);
  const keptNow = new Uint8Array(P).fill(1);
  while (bits.length < KEY_BITS_MAX) {
    let best = -1;
    let bestScore = -Infinity;
    for (let b = 0; b < 256; b++) {
      if (taken.has(b)) continue;
      const r = rateWith(keys, keptNow, bits.length, b);
      const score = Math.log2(r.kept) - Math.log2(r.collision);
      if (score > bestScore) { bestScore = score; best = b; }
    }
    bits.push(best);
    taken.add(best);
    for (let i = 0; i < N; i++) keys[i] = keys[i] * 2 + column[best][i];
    for (let i = 0; i < P; i++) keptNow[i] &= agrees[best][i];
  }
  chosen.push(bits);
  log(`table ${t}: ${chosen[t].join(', ')}`);
}

const OLD = [0, 2, 4, 6].map((w) => Array.from({ length: 16 }, (_, k) => w * 32 + 31 - k));
const PREFIX = 16;
const rates = (tables: number[][]) => tables.map((t) => rate(t.slice(0, PREFIX)));
const old = rates(OLD);
const now = rates(KEY_BIT_POSITIONS.map((x) => [...x]));
const fresh = rates(chosen);
const anyKept = (tables: number[][]) => pairs.filter((_, i) => tables.some((bits) => bits.slice(0, PREFIX).every((x) => agrees[x][i] === 1))).length / P;
const line = (name: string, r: Array<{ collision: number; kept: number }>, tables: number[][]) =>
  `${name.padEnd(22)} collision ${r.map((x) => `${(x.collision * 100).toFixed(4)}%`).join(' ')}   kept ${r.map((x) => `${(x.kept * 100).toFixed(1)}%`).join(' ')}   any table kept ${(anyKept(tables) * 100).toFixed(1)}%`;
const at20 = chosen.map((t) => rate(t.slice(0, 20)));
report({ benchmark: 'feature-keys', at20, descriptors: all.length, truePairs: pairs.length, chosen, old, inUse: now, fresh }, () => [
  line('old (top 16 bits)', old, OLD), line('in use (index-keys.ts)', now, KEY_BIT_POSITIONS.map((x) => [...x])), line('derived now', fresh, chosen),
  `derived, first 20 bits: collision ${at20.map((x) => `${(x.collision * 100).toFixed(5)}%`).join(' ')}   kept ${at20.map((x) => `${(x.kept * 100).toFixed(1)}%`).join(' ')}`,
  `derived: ${JSON.stringify(chosen)}`,
].join('\n') + '\n');
