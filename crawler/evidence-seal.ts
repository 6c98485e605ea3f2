/**
 * Sealing crawler secrets at rest, in the service's envelope format (AES-256-GCM; blob = version byte |
 * 12-byte IV | 16-byte tag | ciphertext; the AAD names the blob's place). Evidence is sealed under the key
 * of the case the material belongs to (unwrapped from `cases.wrapped_key` by the master key, AAD
 * `case-key:<case id>`), so erasing a case shreds its evidence too; a site's headers and cookies are
 * sealed under the master key.
 * NOTE: this mirrors services/crypto.ts, which was not on main when the crawler landed; switch to it.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Sql } from '../db/sql.ts';
import type { EvidenceSealer } from './db-stores.ts';

export function seal(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([Buffer.from([1]), iv, c.getAuthTag(), body]);
}

export function open(key: Buffer, blob: Buffer, aad: string): Buffer {
  if (blob.length < 29 || blob[0] !== 1) throw new Error(`A sealed value (${aad.split(':')[0]}) has an unknown format.`);
  const d = createDecipheriv('aes-256-gcm', key, blob.subarray(1, 13));
  d.setAAD(Buffer.from(aad, 'utf8'));
  d.setAuthTag(blob.subarray(13, 29));
  return Buffer.concat([d.update(blob.subarray(29)), d.final()]);
}

export function evidenceSealer(sql: Sql, masterKey: Buffer | undefined): EvidenceSealer {
  return async (materialId, part, bytes) => {
    if (!masterKey) throw new Error('No master key is configured (STAYDOWN_MASTER_KEY), so evidence cannot be sealed.');
    const [row] = await sql.query<{ case_id: string; wrapped_key: Buffer | null }>(
      'SELECT c.id AS case_id, c.wrapped_key FROM material m JOIN cases c ON c.id = m.case_id WHERE m.id = $1',
      [materialId],
    );
    if (!row?.wrapped_key) throw new Error('The case of this material has no data key (erased?), so evidence cannot be sealed.');
    const caseKey = open(masterKey, row.wrapped_key, `case-key:${row.case_id}`);
    return seal(caseKey, bytes, `alert-evidence:${part}:${materialId}`);
  };
}

export function sealHeaders(masterKey: Buffer, siteName: string, headers: Record<string, string>): Buffer {
  return seal(masterKey, Buffer.from(JSON.stringify(headers), 'utf8'), `site-headers:${siteName}`);
}

export function openHeaders(masterKey: Buffer | undefined, siteName: string, blob: Buffer | null): Record<string, string> | undefined {
  if (!blob) return undefined;
  if (!masterKey) throw new Error(`Site '${siteName}' has stored headers but no master key is configured (STAYDOWN_MASTER_KEY) to read them.`);
  return JSON.parse(open(masterKey, blob, `site-headers:${siteName}`).toString('utf8')) as Record<string, string>;
}
