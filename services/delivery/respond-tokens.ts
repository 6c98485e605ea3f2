/**
 * Response links: every notice carries `STAYDOWN_PUBLIC_URL/respond/<token>`, by which the platform
 * answers without an account. The token is 128 random bits (base64url, 22 characters), scoped to one
 * notice and expiring (STAYDOWN_RESPOND_DAYS). Only its SHA-256 is stored, so a copy of the database
 * does not answer anyone's notices; a presented token is hashed, the row found by that hash, and the
 * hashes compared again in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface RespondToken {
  /** Shown once, in the notice's link; never stored. */
  token: string;
  sha256: Buffer;
  expiresAt: Date;
}

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{22}$/;

export function newRespondToken(days: number, now = new Date()): RespondToken {
  const token = randomBytes(16).toString('base64url');
  return { token, sha256: respondTokenHash(token), expiresAt: new Date(now.getTime() + days * 86_400_000) };
}

export function respondTokenHash(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Whether a string could be a token at all (a malformed one is refused before any lookup). */
export function isTokenShaped(token: string): boolean {
  return TOKEN_SHAPE.test(token);
}

/** Constant-time: whether `token` is the one stored as `storedSha256`, and not expired at `now`. */
export function respondTokenValid(token: string, stored: { sha256: Buffer | null; expiresAt: Date | null }, now = new Date()): boolean {
  if (!stored.sha256 || stored.sha256.length !== 32 || !isTokenShaped(token)) return false;
  const same = timingSafeEqual(respondTokenHash(token), stored.sha256);
  return same && stored.expiresAt !== null && stored.expiresAt.getTime() > now.getTime();
}

export function respondUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/respond/${token}`;
}
