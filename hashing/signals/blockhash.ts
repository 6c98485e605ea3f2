import { bmvbhash } from 'blockhash-core';
import { hammingHex, isHash256 } from '../bits.ts';
import type { RgbaImage } from '../image-decoder.ts';
import type { SignalType } from './signal.ts';

// blockhash-python's own outputs for its test images (method 2, 16 bits a side); PNGs only, where the
// pixels are the same in every decoder (JPEG decoders differ: see test/hashing/blockhash-conformance.test.ts).
const PYTHON = 'commonsmachinery/blockhash-python test/data <name>_16_2.txt';

/**
 * blockhash (method 2, fractional block edges), 16x16 blocks = 256 bits. Fast and weak - no
 * robustness to crops, borders, rotation or mirroring - so staydown uses it as a secondary signal.
 * blockhash-core reads 4 bytes a pixel: feeding it RGB silently gives garbage, hence RgbaImage.
 */
export const blockhashSignal: SignalType<RgbaImage> & { readonly name: 'blockhash' } = {
  name: 'blockhash',
  validate: (h): h is string => isHash256(h as string),
  hash(img) {
    return bmvbhash({ width: img.width, height: img.height, data: img.data }, 16);
  },
  compare: hammingHex,
  examples: [
    { file: '../shared/vectors/blockhash/images/Babylonian.png', expected: 'fe7ffe7ffe7ffc7ffc7ffc7ffc000000e107e187f89fe007c00ff81ff81ff83f', maxDistance: 0, source: PYTHON },
    { file: '../shared/vectors/blockhash/images/emptyBasket.png', expected: 'fffffe07e00380009f899f818f0b8c4b9f9fd00fcc07cc03c003e00fe07ff1ff', maxDistance: 0, source: PYTHON },
    { file: '../shared/vectors/blockhash/images/puffy_white.png', expected: '00000000fffffffff803f807f807f80ff90ff90fb90c9980ffffffff00000000', maxDistance: 0, source: PYTHON },
  ],
};
