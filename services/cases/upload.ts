/**
 * A material upload over HTTP (POST /api/v1/cases/:code/material) says exactly what happened to each
 * file (issue 14, item 3). The request is not all-or-nothing: each file is registered on its own (its
 * own transaction, materials.ts), so the answer lists every file's outcome in the order sent:
 *
 * - every file registered (or already known): 201, `{ status: 'registered', results, material }`;
 * - some registered, some not: 207 Multi-Status, `{ status: 'partial', results, material }`;
 * - none registered: the first failure's status (413 too large, 422 not an image or video) with the
 *   usual error body plus `status: 'failed'` and `results`.
 *
 * `results[i]` is `{ index, outcome: 'registered' | 'duplicate' | 'failed', material? | error? }`, where
 * `index` counts the `file` parts from 0 (file names are never echoed: they may name the victim).
 * `material` keeps the registered ones, as before.
 *
 * `url` fields apply to every file of the request, wherever they stand in the body: the whole body is
 * read (files streamed to the upload directory) before anything is registered. A bad URL refuses the
 * request (400) before any file is registered. Access to the case is checked before the body is read.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { MultipartFile } from '@fastify/multipart';
import type { Actor } from '../platform/audit.ts';
import { uploadDir, type ServiceContext } from '../platform/context.ts';
import { BadRequestError, ConflictError, PayloadTooLargeError, ServiceError, UnprocessableError } from '../platform/errors.ts';
import { loadCaseFor } from './cases.ts';
import { registerMaterialFile, validateKnownUrl, type RegisteredMaterial } from './materials.ts';

export interface FileOutcome {
  index: number;
  outcome: 'registered' | 'duplicate' | 'failed';
  material?: RegisteredMaterial;
  error?: { code: string; message: string };
}

/** Upload files this process is writing or fingerprinting right now: the sweep leaves them alone. */
const activeUploads = new Set<string>();

function perFileError(err: unknown): ServiceError | null {
  if (err instanceof UnprocessableError || err instanceof PayloadTooLargeError) return err;
  if ((err as { code?: string })?.code === 'FST_REQ_FILE_TOO_LARGE') return new PayloadTooLargeError('The file is larger than this server accepts (STAYDOWN_MAX_UPLOAD_BYTES); nothing of it was kept.');
  return null;
}

export async function handleUpload(ctx: ServiceContext, actor: Actor, code: string, req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  // A case the caller cannot reach is refused before a byte is stored.
  const row = await ctx.sql.transaction((tx) => loadCaseFor(tx, actor, code, 'material.add'));
  if (row.status !== 'open' && row.status !== 'monitoring') {
    throw new ConflictError(`Case ${row.code} is ${row.status}; material can be registered only for open or monitoring cases.`);
  }
  const dir = uploadDir(ctx.config);
  const urls: string[] = [];
  const files: Array<{ index: number; path: string | null; error: ServiceError | null }> = [];
  try {
    for await (const part of req.parts()) {
      if (part.type === 'field') {
        if (part.fieldname !== 'url') throw new BadRequestError(`Unknown form field '${part.fieldname.slice(0, 40)}': send 'file' parts and optional 'url' fields.`);
        urls.push(String(part.value));
        continue;
      }
      const file = part as MultipartFile;
      if (file.fieldname !== 'file') throw new BadRequestError(`Unknown file field '${file.fieldname.slice(0, 40)}': upload material as 'file'.`);
      const path = join(dir, randomUUID());
      activeUploads.add(path);
      const entry = { index: files.length, path: path as string | null, error: null as ServiceError | null };
      files.push(entry);
      try {
        await pipeline(file.file, createWriteStream(path, { mode: 0o600, flags: 'wx' }));
        if (file.file.truncated) throw new PayloadTooLargeError('too large');
      } catch (err) {
        const e = perFileError(err);
        if (!e) throw err;
        entry.error = e instanceof PayloadTooLargeError ? new PayloadTooLargeError(`The file is larger than the ${ctx.config.maxUploadBytes}-byte limit (STAYDOWN_MAX_UPLOAD_BYTES); nothing of it was kept.`) : e;
        await rm(path, { force: true });
        activeUploads.delete(path);
        entry.path = null;
        file.file.resume();
      }
    }
    if (files.length === 0) throw new BadRequestError('The upload held no file: send the material as a multipart field named \'file\'.');
    const knownUrls = urls.map(validateKnownUrl);
    const results: FileOutcome[] = [];
    for (const f of files) {
      if (f.error || !f.path) {
        results.push({ index: f.index, outcome: 'failed', error: { code: f.error!.code, message: f.error!.message } });
        continue;
      }
      try {
        const m = await registerMaterialFile(ctx, actor, code, f.path, { knownUrls });
        results.push({ index: f.index, outcome: m.duplicate ? 'duplicate' : 'registered', material: m });
      } catch (err) {
        const e = perFileError(err);
        if (!e) throw err;
        f.error = e;
        results.push({ index: f.index, outcome: 'failed', error: { code: e.code, message: e.message } });
      } finally {
        await rm(f.path, { force: true });
        activeUploads.delete(f.path);
      }
    }
    const material = results.flatMap((r) => (r.material ? [r.material] : []));
    const failed = results.filter((r) => r.outcome === 'failed');
    if (failed.length === 0) {
      reply.status(201);
      return { status: 'registered', results, material };
    }
    if (material.length > 0) {
      reply.status(207);
      return { status: 'partial', results, material };
    }
    const first = files.find((f) => f.error)!.error!;
    reply.status(first.status);
    return { error: { code: first.code, message: failed.length === 1 ? first.message : `None of the ${failed.length} files was registered; see results.`, requestId: req.id }, status: 'failed', results, material };
  } finally {
    for (const f of files) {
      if (f.path) {
        await rm(f.path, { force: true });
        activeUploads.delete(f.path);
      }
    }
  }
}

/**
 * Removes upload files older than `olderThanMs` that no request of this process holds: what a killed
 * process left behind (the periodic `upload-sweep` job, jobs.ts). Returns how many were removed.
 */
export async function sweepUploads(ctx: ServiceContext, olderThanMs: number, now = Date.now()): Promise<number> {
  const dir = uploadDir(ctx.config);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  let removed = 0;
  for (const name of names) {
    const path = join(dir, name);
    if (activeUploads.has(path)) continue;
    const st = await stat(path).catch(() => null);
    if (!st || !st.isFile() || now - st.mtimeMs < olderThanMs) continue;
    await rm(path, { force: true });
    removed++;
  }
  return removed;
}
