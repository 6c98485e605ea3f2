/**
 * Registering a victim's material: fingerprint the file, store the fingerprint and the hashes the match
 * index needs, and keep nothing of the bytes - unless the case opted in to an encrypted evidence copy,
 * which is deleted when its retention period ends.
 *
 * Crash safety: everything about one file is written in one transaction (material, hashes, known URLs,
 * evidence, the change-feed row and the audit entry), so a process killed at any point leaves either
 * all of it or none. Uploads are streamed to the data directory's `uploads/` (emptied at every start)
 * and removed as soon as they are fingerprinted.
 */
import { readFile, stat } from 'node:fs/promises';
import { FingerprintError } from '../../hashing/media-file.ts';
import { decodeFeatures, matchStrength } from '../../hashing/features/index.ts';
import { MIN_QUALITY } from '../../hashing/match/policy.ts';
import { referenceHashes } from '../../hashing/reference.ts';
import type { Fingerprint } from '../../hashing/types.ts';
import { deleteExpiredEvidence, insertEvidence, insertMaterial, insertMaterialFeatures, insertMaterialHashes, insertMaterialKeyframes, insertMaterialUrl, selectCaseMaterial, selectCaseMaterialUrls, selectMaterialBySha } from '../../db/queries/material.ts';
import { recordMatchChange } from '../../db/queries/match-changes.ts';
import type { Sql } from '../../db/sql.ts';
import { appendAudit, type Actor } from '../platform/audit.ts';
import { caseKey, loadCaseFor, type Page } from './cases.ts';
import type { ServiceContext } from '../platform/context.ts';
import { decryptJson, encrypt, encryptJson } from '../platform/crypto.ts';
import { BadRequestError, ConflictError, UnprocessableError } from '../platform/errors.ts';

export interface RegisteredMaterial {
  id: string;
  kind: 'image' | 'video';
  /** How many hashes went into the match index. */
  hashes: number;
  /** The case already had this exact file: nothing new was stored. */
  duplicate: boolean;
  evidenceKept: boolean;
  /**
   * How well an image can be matched (hashing/features/low-quality.ts matchStrength): `weak` when staff
   * should know it will be found only in limited ways, with a sentence saying why. Absent for videos.
   */
  strength?: { level: 'good' | 'weak'; reason: 'detailed' | 'little-detail' | 'smooth'; sentence: string };
  /** For videos: keyframes whose local features went into the match index (hashing/video/keyframes.ts). */
  keyframes?: number;
}

export interface MaterialSummary {
  id: string;
  kind: 'image' | 'video';
  sha256: string;
  byteSize: number;
  hashes: number;
  createdAt: string;
}

/** Checks a known URL's shape; it is stored encrypted and never logged. */
export function validateKnownUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new BadRequestError('A known URL must be an absolute http:// or https:// address.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new BadRequestError('A known URL must be an absolute http:// or https:// address.');
  if (text.length > 4096) throw new BadRequestError('A known URL may be at most 4096 characters long.');
  return url.toString();
}

/**
 * Registers the file at `path` for the case. The caller owns the file (a user's own copy, or an upload
 * the caller deletes afterwards); this function never copies it anywhere in plain.
 */
export async function registerMaterialFile(
  ctx: ServiceContext,
  actor: Actor,
  caseCode: string,
  path: string,
  opts: { knownUrls?: string[] } = {},
): Promise<RegisteredMaterial> {
  const urls = (opts.knownUrls ?? []).map(validateKnownUrl);
  // Check access before spending time on the file.
  await ctx.sql.transaction((tx) => loadCaseFor(tx, actor, caseCode, 'material.add'));
  const size = (await stat(path).catch(() => ({ size: -1 }))).size;
  let fp: Fingerprint;
  try {
    // In the process's pool, like crawled files: a file that crashes or hangs the decoder fails alone.
    // Registered videos are hashed frame by frame (interval 0): a re-upload sampled once a second, cut
    // at any point, then finds its frames in the reference (neighbouring frames differ by ~50 bits).
    // Images also get their local features (found again when only part of what is posted).
    fp = await ctx.fingerprints.fingerprintFile(path, { options: { maxFileBytes: ctx.config.maxUploadBytes, video: { interval: 0 }, features: 'reference' } });
  } catch (err) {
    if (err instanceof FingerprintError) throw new UnprocessableError(err.message, { cause: err });
    throw err;
  }
  const hashes = referenceHashes(fp);
  // The features are stored as bytes in their own table (migration 310), not inside the fingerprint.
  let features: { bytes: Uint8Array; keypoints: number } | null = null;
  let strength: RegisteredMaterial['strength'];
  if (fp.kind === 'image') {
    const { features: text, ...rest } = fp;
    fp = rest;
    const decoded = text ? decodeFeatures(new Uint8Array(Buffer.from(text, 'base64'))) : undefined;
    if (text && decoded) features = { bytes: new Uint8Array(Buffer.from(text, 'base64')), keypoints: decoded.count };
    const s = matchStrength(fp, decoded);
    // `reason` lets the console say it in the reader's language; `sentence` is the API's English.
    strength = { level: s.weak ? 'weak' : 'good', reason: !s.weak ? 'detailed' : s.pdqQuality < MIN_QUALITY ? 'smooth' : 'little-detail', sentence: s.sentence };
  }
  // A video's keyframe features go to their own table too (migration 340), one row a keyframe.
  let keyframes: Array<{ t: number; features: Uint8Array; keypoints: number }> = [];
  if (fp.kind === 'video' && fp.keyframes) {
    const { keyframes: list, ...rest } = fp;
    fp = rest;
    keyframes = list.map((k) => {
      const bytes = new Uint8Array(Buffer.from(k.features, 'base64'));
      return { t: k.t, features: bytes, keypoints: decodeFeatures(bytes).count };
    });
  }
  const videoKeyframes = fp.kind === 'video' ? { keyframes: keyframes.length } : {};
  const image = fp;
  return ctx.sql.transaction(async (tx) => {
    const row = await loadCaseFor(tx, actor, caseCode, 'material.add', { forUpdate: true });
    if (row.status !== 'open' && row.status !== 'monitoring') {
      throw new ConflictError(`Case ${row.code} is ${row.status}; material can be registered only for open or monitoring cases.`);
    }
    const key = caseKey(ctx, row);
    const fp = image;
    const inserted = await insertMaterial(tx, { caseId: row.id, kind: fp.kind, sha256: fp.sha256, md5: fp.md5, fingerprint: fp, byteSize: size, createdBy: actor.userId });
    if (!inserted) {
      const existing = (await selectMaterialBySha(tx, row.id, fp.sha256))!;
      await appendAudit(tx, actor, { action: 'material.add.duplicate', recordType: 'material', recordId: existing.id, caseCode: row.code });
      return { id: existing.id, kind: fp.kind, hashes: existing.hashes, duplicate: true, evidenceKept: false, ...(strength ? { strength } : {}), ...videoKeyframes };
    }
    await insertMaterialHashes(tx, inserted.id, hashes);
    if (features) await insertMaterialFeatures(tx, inserted.id, features.bytes, features.keypoints);
    await insertMaterialKeyframes(tx, inserted.id, keyframes);
    for (const url of urls) await insertMaterialUrl(tx, inserted.id, encryptJson(key, url, `material:${inserted.id}:url`));
    let evidenceKept = false;
    if (row.keep_evidence) {
      const bytes = await readFile(path);
      const days = row.evidence_retention_days ?? 90;
      await insertEvidence(tx, inserted.id, encrypt(key, bytes, `material:${inserted.id}:evidence`), new Date(Date.now() + days * 86_400_000));
      evidenceKept = true;
    }
    await recordMatchChange(tx, 'add', row.id, inserted.id);
    await appendAudit(tx, actor, {
      action: 'material.add', recordType: 'material', recordId: inserted.id, caseCode: row.code,
      detail: { kind: fp.kind, hashes: hashes.length, knownUrls: urls.length, evidence: evidenceKept, ...videoKeyframes },
    });
    return { id: inserted.id, kind: fp.kind, hashes: hashes.length, duplicate: false, evidenceKept, ...(strength ? { strength } : {}), ...videoKeyframes };
  });
}

export async function listMaterial(ctx: ServiceContext, actor: Actor, caseCode: string, opts: { after?: string; limit?: number } = {}): Promise<Page<MaterialSummary>> {
  const limit = Math.min(Math.max(opts.limit ?? 50, 1), 500);
  return ctx.sql.transaction(async (tx) => {
    const row = await loadCaseFor(tx, actor, caseCode, 'material.read');
    const rows = await selectCaseMaterial(tx, row.id, opts.after ?? '', limit + 1);
    const page = rows.slice(0, limit);
    await appendAudit(tx, actor, { action: 'material.list', recordType: 'case', recordId: row.id, caseCode: row.code, detail: { count: page.length } });
    return {
      items: page.map((m) => ({ id: m.id, kind: m.kind, sha256: m.sha256, byteSize: m.byte_size, hashes: m.hashes, createdAt: m.created_at.toISOString() })),
      next: rows.length > limit ? page[page.length - 1].id : null,
    };
  });
}

export interface KnownUrl {
  id: string;
  materialId: string;
  url: string;
  createdAt: string;
}

/** The URLs where a case's material was already seen, decrypted for staff who may read the material. Audited. */
export async function listKnownUrls(ctx: ServiceContext, actor: Actor, caseCode: string): Promise<{ items: KnownUrl[] }> {
  return ctx.sql.transaction(async (tx) => {
    const row = await loadCaseFor(tx, actor, caseCode, 'material.read');
    if (!row.wrapped_key) return { items: [] };
    const key = caseKey(ctx, row);
    const rows = await selectCaseMaterialUrls(tx, row.id);
    await appendAudit(tx, actor, { action: 'material.urls.read', recordType: 'case', recordId: row.id, caseCode: row.code, detail: { count: rows.length } });
    return {
      items: rows.map((u) => ({ id: u.id, materialId: u.material_id, url: decryptJson<string>(key, u.url_encrypted, `material:${u.material_id}:url`), createdAt: u.created_at.toISOString() })),
    };
  });
}

/** Deletes evidence copies whose retention has ended (the scheduler role runs it). */
export async function purgeExpiredEvidence(sql: Sql): Promise<number> {
  return sql.transaction(async (tx) => {
    const n = await deleteExpiredEvidence(tx);
    if (n > 0) {
      await appendAudit(tx, { userId: null, name: 'scheduler', role: 'admin', source: 'scheduler' }, { action: 'evidence.purge', recordType: 'evidence', detail: { count: n } });
    }
    return n;
  });
}
