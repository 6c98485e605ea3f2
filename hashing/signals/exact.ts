import { createHash } from 'node:crypto';
import type { SignalType } from './signal.ts';

/** Exact byte hashes: SHA-256 for staydown's own dedupe, MD5 because StopNCII and NCMEC exchange it. */
function exact(name: 'sha256' | 'md5', hexLength: number): SignalType<Uint8Array> {
  const re = new RegExp(`^[0-9a-f]{${hexLength}}$`);
  return {
    name,
    bits: hexLength * 4,
    validate: (h) => re.test(h),
    hash: (bytes) => createHash(name).update(bytes).digest('hex'),
    compare: (a, b) => (a === b ? 0 : 1),
  };
}

export const sha256Signal = exact('sha256', 64);
export const md5Signal = exact('md5', 32);
