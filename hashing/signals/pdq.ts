import { hammingHex, isHash256 } from '../bits.ts';
import type { RgbaImage } from '../image-decoder.ts';
import { pdqFromRgb, type PdqResult } from '../pdq-hasher.ts';
import type { SignalType } from './signal.ts';

/** PDQ as a signal type; `hashWithQuality` keeps the quality score and the DCT block for dihedrals. */
export const pdqSignal: SignalType<RgbaImage> & { hashWithQuality(img: RgbaImage): PdqResult } = {
  name: 'pdq',
  bits: 256,
  validate: isHash256,
  hash: (img) => pdqFromRgb(img.data, img.width, img.height, 4).hash,
  hashWithQuality: (img) => pdqFromRgb(img.data, img.width, img.height, 4),
  compare: hammingHex,
};
