/**
 * Registers material for crawler database tests straight into the data layer's tables (a case and its
 * material rows with fingerprints), and a matcher over it built from the hashing core's ReferenceBank.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { fingerprintBuffer } from '../../../hashing/fingerprint.ts';
import { ReferenceBank } from '../../../hashing/match/matcher.ts';
import type { Sql } from '../../../db/sql.ts';
import { insertMaterial, insertMaterialHashes } from '../../../db/queries/material.ts';
import { referenceHashes } from '../../../hashing/reference.ts';
import type { EvidenceSealer } from '../../../crawler/db-stores.ts';
import { wrapDataKey } from '../../../services/platform/crypto.ts';
import type { Matcher } from '../../../crawler/types.ts';

export async function registerMaterial(sql: Sql, caseCode: string, files: Record<string, Buffer>, masterKey?: Buffer): Promise<{ caseId: string; materialIds: Record<string, string>; caseKey: Buffer }> {
  const [c] = await sql.query<{ id: string }>(`INSERT INTO cases (code, status) VALUES ($1, 'monitoring') RETURNING id`, [caseCode]);
  // The case's data key, wrapped by the master key as the service stores it.
  const caseKey = randomBytes(32);
  if (masterKey) await sql.query('UPDATE cases SET wrapped_key = $2 WHERE id = $1', [c.id, wrapDataKey(masterKey, caseKey, c.id)]);
  const materialIds: Record<string, string> = {};
  for (const [label, bytes] of Object.entries(files)) {
    const fp = await fingerprintBuffer(bytes);
    // As the service registers material: the fingerprint, and the hashes the match index loads.
    const m = (await insertMaterial(sql, { caseId: c.id, kind: fp.kind, sha256: fp.sha256, md5: fp.md5, fingerprint: fp, byteSize: bytes.length, createdBy: null }))!;
    await insertMaterialHashes(sql, m.id, referenceHashes(fp));
    materialIds[label] = m.id;
  }
  return { caseId: c.id, materialIds, caseKey };
}

export async function materialMatcher(sql: Sql): Promise<Matcher> {
  const rows = await sql.query<{ id: string; case_id: string; fingerprint: never }>('SELECT id, case_id, fingerprint FROM material');
  const bank = new ReferenceBank(rows.map((r) => ({ ref: `${r.case_id}/${r.id}`, fp: r.fingerprint })));
  return {
    match: async (fp) => bank.match(fp).map((m) => {
      const [caseId, materialId] = m.ref.split('/');
      return { caseId, materialId, method: m.method, distance: m.distance };
    }),
  };
}

/** AES-256-GCM under a per-test key, standing in for the service's per-case keys in these tests. */
export function testSealer(key = randomBytes(32)): EvidenceSealer {
  return async (_materialId, _part, bytes) => {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', key, iv);
    const body = Buffer.concat([c.update(bytes), c.final()]);
    return Buffer.concat([iv, c.getAuthTag(), body]);
  };
}
