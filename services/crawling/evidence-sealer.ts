/**
 * Encrypts evidence the crawler captures for an alert (screenshot, page HTML) under the data key of the
 * case the matched material belongs to, so erasing the case shreds that evidence too. Shaped as the
 * crawler's `EvidenceSealer` (crawler/db-stores.ts).
 */
import type { Sql } from '../../db/sql.ts';
import { selectMaterialCaseKey } from '../../db/queries/material.ts';
import { encrypt, unwrapDataKey } from '../platform/crypto.ts';
import { ConflictError, NotFoundError } from '../platform/errors.ts';

export function createEvidenceSealer(sql: Sql, masterKey: Buffer): (materialId: string, part: 'screenshot' | 'html' | 'thumbnail', bytes: Buffer) => Promise<Buffer> {
  return async (materialId, part, bytes) => {
    const row = await selectMaterialCaseKey(sql, materialId);
    if (!row) throw new NotFoundError(`Material ${materialId} does not exist (its case may have been erased).`);
    if (!row.wrapped_key) throw new ConflictError(`Case ${row.code} has been erased; no evidence is kept for it.`);
    const key = unwrapDataKey(masterKey, row.wrapped_key, row.case_id);
    return encrypt(key, bytes, `material:${materialId}:alert-evidence:${part}`);
  };
}
