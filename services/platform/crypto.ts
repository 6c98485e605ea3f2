/**
 * Envelope encryption: AES-256-GCM everywhere. Each case has its own random data key; the database
 * holds it only wrapped (encrypted) by the master key. Erasing a case destroys the wrapped key, which
 * makes every ciphertext of that case unreadable even in old backups (crypto-shredding).
 *
 * Blob layout: version byte (1) | 12-byte IV | 16-byte tag | ciphertext. The additional authenticated
 * data binds a ciphertext to its place (`case:<id>:personal`), so blobs cannot be swapped between rows.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class DecryptionError extends Error {}

export function newDataKey(): Buffer {
  return randomBytes(32);
}

export function encrypt(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
}

export function decrypt(key: Buffer, blob: Buffer, aad: string): Buffer {
  if (blob.length < 1 + IV_BYTES + TAG_BYTES || blob[0] !== VERSION) {
    throw new DecryptionError(`An encrypted value (${aad.split(':')[0]}) has an unknown format and cannot be read.`);
  }
  const iv = blob.subarray(1, 1 + IV_BYTES);
  const tag = blob.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(blob.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch (err) {
    throw new DecryptionError(`An encrypted value (${aad.split(':')[0]}) failed authentication: wrong key or altered data.`, { cause: err });
  }
}

export function encryptJson(key: Buffer, value: unknown, aad: string): Buffer {
  return encrypt(key, Buffer.from(JSON.stringify(value), 'utf8'), aad);
}

export function decryptJson<T>(key: Buffer, blob: Buffer, aad: string): T {
  return JSON.parse(decrypt(key, blob, aad).toString('utf8')) as T;
}

export function wrapDataKey(masterKey: Buffer, dataKey: Buffer, caseId: string): Buffer {
  return encrypt(masterKey, dataKey, `case-key:${caseId}`);
}

export function unwrapDataKey(masterKey: Buffer, wrapped: Buffer, caseId: string): Buffer {
  return decrypt(masterKey, wrapped, `case-key:${caseId}`);
}

/** A value stored once per database to tell, at start, whether the master key is the right one. */
export function masterKeyCheck(masterKey: Buffer): string {
  return createHmac('sha256', masterKey).update('staydown master key check v1').digest('hex');
}

/** Parses a master key given as 64 hex digits or base64 of 32 bytes. */
export function parseMasterKey(raw: string, from: string): Buffer {
  const text = raw.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32) {
    throw new Error(`${from} must hold a 256-bit key as 64 hex digits or 44 base64 characters (e.g. from 'openssl rand -hex 32').`);
  }
  return key;
}
