import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { vector } from './vectors.ts';

/**
 * Real photos for the robustness benchmark and tests: the photos among the shared reference vectors
 * and the sample photos that Debian's python3-skimage ships (synthetic ones - checkerboards, text,
 * logos, phantoms - are left out; motorcycle_right is left out because it is the other half of a stereo
 * pair with motorcycle_left, a true near-duplicate).
 */
export const SKIMAGE_DIR = '/usr/lib/python3/dist-packages/skimage/data';
export const SKIMAGE_PHOTOS = [
  'astronaut.png', 'brick.png', 'camera.png', 'cell.png', 'chelsea.png', 'clock_motion.png', 'coffee.png', 'coins.png',
  'grass.png', 'gravel.png', 'hubble_deep_field.jpg', 'ihc.png', 'moon.png', 'motorcycle_left.png', 'retina.jpg', 'rocket.jpg',
];
const HAVE_SKIMAGE = existsSync(join(SKIMAGE_DIR, 'astronaut.png'));
const MISSING_SKIMAGE = `the sample photos of python3-skimage are not installed (${SKIMAGE_DIR}); install them with: apt-get install -y python3-skimage`;

/** Throws, with the install command, when python3-skimage's photos are missing. */
export function requireSkimage(): void {
  if (!HAVE_SKIMAGE) throw new Error(MISSING_SKIMAGE);
}

/** The path of one of python3-skimage's sample photos; throws when they are not installed. */
export function skimagePhoto(name: string): string {
  requireSkimage();
  return join(SKIMAGE_DIR, name);
}

/** Different photographs of one scene (the same sideboard from almost the same spot): finding one for the other is no false match. */
const SAME_SCENE = [['blockhash/00631701.jpg', 'blockhash/00631801.jpg']];

/** Whether two photos (by their names here, e.g. `blockhash/00631701.jpg`) are one picture or one scene. */
export function sameScene(a: string, b: string): boolean {
  return a === b || SAME_SCENE.some(([x, y]) => (a === x && b === y) || (a === y && b === x));
}

export interface Photo {
  name: string;
  path: string;
}

export function vectorPhotos(): Photo[] {
  const out: Photo[] = [];
  const labelme = vector('pdq/data/reg-test-input/labelme-subset');
  for (const f of readdirSync(labelme).sort()) if (f.endsWith('.jpg')) out.push({ name: `labelme/${f}`, path: join(labelme, f) });
  const bh = vector('blockhash/images');
  for (const f of readdirSync(bh).sort()) if (/\.(jpg|png)$/.test(f)) out.push({ name: `blockhash/${f}`, path: join(bh, f) });
  out.push({ name: 'pdq/bridge-1-original.jpg', path: vector('pdq/data/reg-test-input/dih/bridge-1-original.jpg') });
  return out;
}

export function skimagePhotos(): Photo[] {
  requireSkimage();
  return SKIMAGE_PHOTOS.map((f) => ({ name: `skimage/${f}`, path: join(SKIMAGE_DIR, f) })).filter((p) => existsSync(p.path));
}
