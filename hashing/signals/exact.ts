import { createHash } from 'node:crypto';
import type { SignalExample, SignalType } from './signal.ts';

/** Exact byte hashes: SHA-256 for staydown's own dedupe, MD5 because StopNCII and NCMEC exchange it. */
function exact<Name extends 'sha256' | 'md5'>(name: Name, hexLength: number, examples: SignalExample<string>[]): SignalType<Uint8Array> & { readonly name: Name } {
  const re = new RegExp(`^[0-9a-f]{${hexLength}}$`);
  return {
    name,
    validate: (h): h is string => typeof h === 'string' && re.test(h),
    hash: (bytes) => createHash(name).update(bytes).digest('hex'),
    compare: (a, b) => (a === b ? 0 : 1),
    examples,
  };
}

// Expected values printed by GNU coreutils (sha256sum, md5sum) - an implementation independent of Node's.
const COREUTILS = 'GNU coreutils 9 sha256sum/md5sum';

export const sha256Signal = exact('sha256', 64, [
  { file: '../shared/vectors/pdq/data/misc-images/wee.jpg', expected: '05636c50d0c2ffe3a820f964eaba35b404deadd10538fe452ad9fb16fdd823d7', maxDistance: 0, source: COREUTILS },
  { file: '../shared/vectors/blockhash/images/emptyBasket.png', expected: '750362f8b446f4245d9a35517eeea4fddeb857c5e7fc3c502a1ac465e2f132ad', maxDistance: 0, source: COREUTILS },
]);

export const md5Signal = exact('md5', 32, [
  { file: '../shared/vectors/pdq/data/misc-images/wee.jpg', expected: '8bbbaa9540800e378beadc8bbef7bb32', maxDistance: 0, source: COREUTILS },
  { file: '../shared/vectors/blockhash/images/emptyBasket.png', expected: '6544c26c55b9f69c205ada49b8080577', maxDistance: 0, source: COREUTILS },
]);
