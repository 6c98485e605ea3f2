import type { Sql } from '../sql.ts';

export interface MaterialRow {
  id: string;
  index_id: number;
  case_id: string;
  kind: 'image' | 'video';
  sha256: string;
  md5: string;
  byte_size: number;
  created_at: Date;
  hashes: number;
}

export async function insertMaterial(
  tx: Sql,
  m: { caseId: string; kind: 'image' | 'video'; sha256: string; md5: string; fingerprint: unknown; byteSize: number; createdBy: string | null },
): Promise<{ id: string; index_id: number } | undefined> {
  const rows = await tx.query<{ id: string; index_id: number }>(
    `INSERT INTO material (case_id, kind, sha256, md5, fingerprint, byte_size, created_by)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)
     ON CONFLICT (case_id, sha256) DO NOTHING
     RETURNING id::text, index_id`,
    [m.caseId, m.kind, m.sha256, m.md5, JSON.stringify(m.fingerprint), m.byteSize, m.createdBy],
  );
  return rows[0];
}

export async function selectMaterialBySha(tx: Sql, caseId: string, sha256: string): Promise<{ id: string; index_id: number; hashes: number } | undefined> {
  const rows = await tx.query<{ id: string; index_id: number; hashes: number }>(
    `SELECT m.id::text, m.index_id, (SELECT count(*)::int FROM material_hashes h WHERE h.material_id = m.id) AS hashes
       FROM material m WHERE m.case_id = $1 AND m.sha256 = $2`,
    [caseId, sha256],
  );
  return rows[0];
}

export async function insertMaterialHashes(tx: Sql, materialId: string, hashes: Array<{ hash: string; view: string; t?: number; quality: number }>): Promise<void> {
  if (hashes.length === 0) return;
  await tx.query(
    `INSERT INTO material_hashes (material_id, hash, view, t, quality)
     SELECT $1, h, v, NULLIF(t, 'NaN'::real), q FROM unnest($2::text[], $3::text[], $4::real[], $5::smallint[]) AS x(h, v, t, q)`,
    [materialId, hashes.map((h) => h.hash), hashes.map((h) => h.view), hashes.map((h) => (h.t === undefined ? 'NaN' : String(h.t))), hashes.map((h) => Math.round(h.quality))],
  );
}

/** A registered image's local features (db/migrations/310-local-features.sql). */
export async function insertMaterialFeatures(tx: Sql, materialId: string, features: Uint8Array, keypoints: number): Promise<void> {
  await tx.query('INSERT INTO material_features (material_id, features, keypoints) VALUES ($1, $2, $3)', [materialId, features, keypoints]);
}

/**
 * A registered video's keyframe features (db/migrations/340-video-keyframes.sql). The bytes travel as
 * hex text: one array parameter that both drivers (pg, PGlite) pass the same way.
 */
export async function insertMaterialKeyframes(tx: Sql, materialId: string, keyframes: Array<{ t: number; features: Uint8Array; keypoints: number }>): Promise<void> {
  if (keyframes.length === 0) return;
  await tx.query(
    `INSERT INTO material_keyframes (material_id, t, features, keypoints)
     SELECT $1, t, decode(f, 'hex'), k FROM unnest($2::real[], $3::text[], $4::int[]) AS x(t, f, k)`,
    [materialId, keyframes.map((k) => k.t), keyframes.map((k) => Buffer.from(k.features).toString('hex')), keyframes.map((k) => k.keypoints)],
  );
}

export async function insertMaterialUrl(tx: Sql, materialId: string, urlEncrypted: Buffer): Promise<void> {
  await tx.query('INSERT INTO material_urls (material_id, url_encrypted) VALUES ($1, $2)', [materialId, urlEncrypted]);
}

export async function insertEvidence(tx: Sql, materialId: string, ciphertext: Buffer, deleteAfter: Date): Promise<void> {
  await tx.query('INSERT INTO evidence (material_id, ciphertext, delete_after) VALUES ($1, $2, $3)', [materialId, ciphertext, deleteAfter.toISOString()]);
}

export async function deleteExpiredEvidence(sql: Sql): Promise<number> {
  const rows = await sql.query<{ n: number }>('WITH d AS (DELETE FROM evidence WHERE delete_after <= now() RETURNING 1) SELECT count(*)::int AS n FROM d');
  return rows[0]?.n ?? 0;
}

export async function selectCaseMaterial(sql: Sql, caseId: string, afterId: string, limit: number): Promise<MaterialRow[]> {
  return sql.query<MaterialRow>(
    `SELECT m.id::text, m.index_id, m.case_id::text, m.kind, m.sha256, m.md5, m.byte_size, m.created_at,
            (SELECT count(*)::int FROM material_hashes h WHERE h.material_id = m.id) AS hashes
       FROM material m WHERE m.case_id = $1 AND m.id::text > $2 ORDER BY m.id LIMIT $3`,
    [caseId, afterId, limit],
  );
}

/** Matchable material (cases open or monitoring) for the match index, optionally of one case or one material. */
export interface IndexMaterialRow {
  index_id: number;
  material_id: string;
  case_id: string;
  case_code: string;
  sha256: string;
  md5: string;
  fingerprint: unknown;
  /** Local features (hashing/features/codec.ts), for images registered since migration 310. */
  features: Uint8Array | null;
}

export interface IndexHashRow {
  index_id: number;
  hash: string;
  view: string;
  t: number | null;
  quality: number | null;
}

const MATCHABLE = `FROM material m JOIN cases c ON c.id = m.case_id
  WHERE c.status IN ('open', 'monitoring')
    AND ($1::uuid IS NULL OR c.id = $1::uuid)
    AND ($2::uuid IS NULL OR m.id = $2::uuid)`;

export async function selectIndexMaterials(sql: Sql, filter: { caseId?: string; materialId?: string } = {}): Promise<IndexMaterialRow[]> {
  return sql.query<IndexMaterialRow>(
    `SELECT m.index_id, m.id::text AS material_id, c.id::text AS case_id, c.code AS case_code, m.sha256, m.md5, m.fingerprint,
            (SELECT f.features FROM material_features f WHERE f.material_id = m.id) AS features
     ${MATCHABLE} ORDER BY m.index_id`,
    [filter.caseId ?? null, filter.materialId ?? null],
  );
}

export async function selectIndexHashes(sql: Sql, filter: { caseId?: string; materialId?: string } = {}): Promise<IndexHashRow[]> {
  return sql.query<IndexHashRow>(
    `SELECT m.index_id, h.hash, h.view, h.t, h.quality
     FROM material_hashes h JOIN material m ON m.id = h.material_id JOIN cases c ON c.id = m.case_id
     WHERE c.status IN ('open', 'monitoring')
       AND ($1::uuid IS NULL OR c.id = $1::uuid)
       AND ($2::uuid IS NULL OR m.id = $2::uuid)`,
    [filter.caseId ?? null, filter.materialId ?? null],
  );
}

export interface IndexKeyframeRow {
  index_id: number;
  t: number;
  features: Uint8Array;
}

/** Keyframe features of matchable registered videos (migration 340), in time order per video. */
export async function selectIndexKeyframes(sql: Sql, filter: { caseId?: string; materialId?: string } = {}): Promise<IndexKeyframeRow[]> {
  return sql.query<IndexKeyframeRow>(
    `SELECT m.index_id, k.t, k.features
     FROM material_keyframes k JOIN material m ON m.id = k.material_id JOIN cases c ON c.id = m.case_id
     WHERE c.status IN ('open', 'monitoring')
       AND ($1::uuid IS NULL OR c.id = $1::uuid)
       AND ($2::uuid IS NULL OR m.id = $2::uuid)
     ORDER BY m.index_id, k.t`,
    [filter.caseId ?? null, filter.materialId ?? null],
  );
}

/** The case a material belongs to, with its wrapped data key (null once the case is erased). */
export async function selectMaterialCaseKey(sql: Sql, materialId: string): Promise<{ case_id: string; code: string; wrapped_key: Buffer | null } | undefined> {
  const rows = await sql.query<{ case_id: string; code: string; wrapped_key: Buffer | null }>(
    'SELECT c.id::text AS case_id, c.code, c.wrapped_key FROM material m JOIN cases c ON c.id = m.case_id WHERE m.id = $1',
    [materialId],
  );
  return rows[0];
}

export interface MaterialUrlRow {
  id: string;
  material_id: string;
  url_encrypted: Buffer;
  created_at: Date;
}

/** Every known URL of a case's material (encrypted), oldest first. */
export async function selectCaseMaterialUrls(sql: Sql, caseId: string): Promise<MaterialUrlRow[]> {
  return sql.query<MaterialUrlRow>(
    `SELECT u.id::text, u.material_id::text, u.url_encrypted, u.created_at
       FROM material_urls u JOIN material m ON m.id = u.material_id
      WHERE m.case_id = $1 ORDER BY u.created_at, u.id`,
    [caseId],
  );
}
