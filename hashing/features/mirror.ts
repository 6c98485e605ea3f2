/**
 * The features of the left-right mirrored picture, from the features of the picture, without touching
 * pixels: FAST and Harris are mirror-symmetric, the intensity centroid's angle a becomes pi - a, and the
 * descriptor's halves swap (brief-pattern.ts builds pair i + 128 as the mirror of pair i).
 */
import { DESCRIPTOR_WORDS, type LocalFeatures } from './types.ts';

export function mirrorFeatures(f: LocalFeatures): LocalFeatures {
  const n = f.count;
  const x = new Float32Array(n);
  const angle = new Uint8Array(n);
  const d = new Uint32Array(n * DESCRIPTOR_WORDS);
  const half = DESCRIPTOR_WORDS / 2;
  for (let i = 0; i < n; i++) {
    x[i] = f.width - 1 - f.x[i];
    angle[i] = (128 - f.angle[i]) & 255;
    const o = i * DESCRIPTOR_WORDS;
    for (let w = 0; w < half; w++) {
      d[o + w] = f.descriptors[o + w + half];
      d[o + w + half] = f.descriptors[o + w];
    }
  }
  return { ...f, x, y: f.y, angle, descriptors: d };
}
