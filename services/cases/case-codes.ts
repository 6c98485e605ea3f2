/**
 * Pseudonymous case codes: `SD-` and 8 characters of Crockford base32 (no I, L, O, U), about 40 bits,
 * read aloud and typed without confusion. The code is the only case identifier that leaves the service.
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function newCaseCode(): string {
  const bytes = randomBytes(8);
  let s = '';
  for (let i = 0; i < 8; i++) s += ALPHABET[bytes[i] & 31];
  return `SD-${s.slice(0, 4)}-${s.slice(4)}`;
}

export function isCaseCode(text: string): boolean {
  return /^SD-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/.test(text);
}

/** Accepts lower case and the usual look-alikes (O for 0, I and L for 1) as people type them. */
export function normalizeCaseCode(text: string): string {
  return text.trim().toUpperCase().replace(/O/g, '0').replace(/[IL]/g, '1').replace(/^SD-?(\w{4})-?(\w{4})$/, 'SD-$1-$2');
}
