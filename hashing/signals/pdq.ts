import { hammingHex, isHash256 } from '../bits.ts';
import type { RgbaImage } from '../image-decoder.ts';
import { pdqFromRgb, type PdqResult } from '../pdq-hasher.ts';
import type { PdqHash } from '../types.ts';
import type { SignalType } from './signal.ts';

/**
 * The PDQ of a decoded image, computed once per image: the signal stores its hash and quality, and the
 * robust views (robust-views.ts, the dihedrals) are derived from the same DCT block. Keyed by the image
 * object, so it lives exactly as long as the image does.
 */
const computed = new WeakMap<RgbaImage, PdqResult>();
export function pdqOf(img: RgbaImage): PdqResult {
  let r = computed.get(img);
  if (!r) computed.set(img, (r = pdqFromRgb(img.data, img.width, img.height, 4)));
  return r;
}

// Meta's C++ regression run (which prints the quality); SOURCES.md: a port is correct within 10 bits of it
// on images of quality >= 80, as JPEG decoders differ.
const CPP = 'facebook/ThreatExchange hashing/pdq/java/reg_test/expected (C++ regression output), via pdq/expected.csv';
const bridge = (file: string, hash: string) => ({ file: `../shared/vectors/pdq/data/reg-test-input/dih/${file}`, expected: { hash, quality: 100 }, maxDistance: 10, source: CPP });

/**
 * PDQ as a signal: Meta's 256-bit perceptual hash of the whole picture, with its quality score (below 50
 * it is not trusted for matching). The distance is the Hamming distance of the bits; quality is not part of it.
 */
export const pdqSignal: SignalType<RgbaImage, PdqHash> & { readonly name: 'pdq' } = {
  name: 'pdq',
  validate(v): v is PdqHash {
    const h = v as Partial<PdqHash> | null;
    return typeof h === 'object' && h !== null && isHash256(h.hash as string) && typeof h.quality === 'number' && h.quality >= 0 && h.quality <= 100;
  },
  hash(img) {
    const r = pdqOf(img);
    return { hash: r.hash, quality: r.quality };
  },
  compare: (a, b) => hammingHex(a.hash, b.hash),
  examples: [
    bridge('bridge-1-original.jpg', 'f8f8f0cce0f4e84d0e370a22028f67f0b36e2ed596623e1d33e6339c4e9c9b22'),
    bridge('bridge-2-rotate-90.jpg', 'b0a10efd71cc3f429413d48d0ffffe12e34e0e17ada952a9d29684210aa9e5af'),
    bridge('bridge-5-flipx.jpg', 'f8f80f31e0f417b00e37f5cd028f980fb36ed02a9662c1e233e6cc634e9c64dd'),
    bridge('bridge-8-flip-minus-1.jpg', 'a5f05ba8a4896a17c106a3da5aaaab07b61b5b42f8fc07fc83c3d0740bfcb0fa'),
  ],
};
