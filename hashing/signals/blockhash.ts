import { bmvbhash } from 'blockhash-core';
import { hammingHex, isHash256 } from '../bits.ts';
import type { RgbaImage } from '../image-decoder.ts';
import type { SignalType } from './signal.ts';

/**
 * blockhash (method 2, fractional block edges), 16x16 blocks = 256 bits. Fast and weak - no
 * robustness to crops, borders, rotation or mirroring - so staydown uses it as a secondary signal.
 * blockhash-core reads 4 bytes a pixel: feeding it RGB silently gives garbage, hence RgbaImage.
 */
export const blockhashSignal: SignalType<RgbaImage> = {
  name: 'blockhash',
  bits: 256,
  validate: isHash256,
  hash(img) {
    return bmvbhash({ width: img.width, height: img.height, data: img.data }, 16);
  },
  compare: hammingHex,
};
