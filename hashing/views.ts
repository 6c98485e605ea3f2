import type { RgbaImage } from './image-decoder.ts';
import type { PdqResult } from './pdq.ts';
import type { PdqView } from './types.ts';

/**
 * Extra views of an image hashed for robust matching (border-trimmed, regions...). The dihedral
 * variants are added by the caller from the DCT block; this adds what needs the pixels.
 */
export function robustViews(_img: RgbaImage, _pdq: PdqResult): PdqView[] {
  return [];
}
