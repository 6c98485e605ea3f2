/** Image bytes for fixture sites, generated (never downloaded), cached per seed and size. */
import { syntheticPhoto } from '../../support/images.ts';

const cache = new Map<string, Promise<Buffer>>();

export function fixtureImage(seed: number, width = 320, height = 240): Promise<Buffer> {
  const key = `${seed}:${width}x${height}`;
  let p = cache.get(key);
  if (!p) {
    p = syntheticPhoto(seed, width, height);
    cache.set(key, p);
  }
  return p;
}
