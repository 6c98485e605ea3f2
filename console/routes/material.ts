/**
 * Material upload from the case page. The script (console/static/upload.js) sends each dropped file in
 * its own request, so each gets its own progress bar and result; without script the form sends all
 * files at once and this answers with a results page. Either way every file goes through
 * `registerMaterialFile`, the function the API's upload endpoint calls (access, audit, fingerprint only).
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { MultipartFile } from '@fastify/multipart';
import { registerMaterialFile } from '../../services/cases/index.ts';
import { uploadDir } from '../../services/platform/context.ts';
import { BadRequestError, PayloadTooLargeError, ServiceError } from '../../services/platform/errors.ts';
import { requirePermission } from '../../services/platform/access.ts';
import { wantsJson, type PageDef } from '../page.ts';

export interface FileResult {
  /** The file's name as the browser gave it: shown back to the person who chose it, never stored. */
  file: string;
  ok: boolean;
  kind?: 'image' | 'video';
  hashes?: number;
  duplicate?: boolean;
  evidenceKept?: boolean;
  /** How well an image can be matched (services/cases registerMaterialFile): the console says it when weak. */
  strength?: { level: 'good' | 'weak'; reason: string };
  /** The sentence to show when it failed. */
  message?: string;
}

const ERROR_KEYS: Record<number, string> = { 409: 'upload.error.409', 413: 'upload.error.413', 422: 'upload.error.422', 400: 'upload.error.400', 404: 'error.404', 403: 'error.403' };

export const materialPages: PageDef[] = [
  {
    method: 'POST', url: '/cases/:code/material', access: 'material.add', multipart: true,
    handler: async (input) => {
      const { req, reply, env, t } = input;
      const actor = input.session!.actor;
      requirePermission(actor, 'material.add');
      if (!req.isMultipart()) throw new BadRequestError('Send the material as multipart/form-data.');
      const urls: string[] = [];
      const results: FileResult[] = [];
      const dir = uploadDir(env.ctx.config);
      for await (const part of req.parts()) {
        if (part.type === 'field') {
          if (part.fieldname === 'urls') urls.push(...String(part.value).split(/\r?\n/).map((u) => u.trim()).filter(Boolean));
          continue;
        }
        const file = part as MultipartFile;
        if (file.fieldname !== 'file') {
          file.file.resume();
          continue;
        }
        const name = (file.filename || '').slice(0, 200);
        if (!name) {
          // An empty file input (no file chosen) still sends an empty part.
          file.file.resume();
          continue;
        }
        const tmp = join(dir, randomUUID());
        try {
          await pipeline(file.file, createWriteStream(tmp, { mode: 0o600, flags: 'wx' }));
          if (file.file.truncated) throw new PayloadTooLargeError(`An uploaded file is larger than the ${env.ctx.config.maxUploadBytes}-byte limit.`);
          const r = await registerMaterialFile(env.ctx, actor, input.params.code, tmp, { knownUrls: urls });
          results.push({ file: name, ok: true, kind: r.kind, hashes: r.hashes, duplicate: r.duplicate, evidenceKept: r.evidenceKept, ...(r.strength ? { strength: { level: r.strength.level, reason: r.strength.reason } } : {}) });
        } catch (err) {
          if (!(err instanceof ServiceError) || err.status >= 500 || err.status === 403 || err.status === 404) throw err;
          results.push({ file: name, ok: false, message: t(ERROR_KEYS[err.status] ?? 'upload.error.400') });
        } finally {
          await rm(tmp, { force: true });
        }
      }
      if (results.length === 0) throw new BadRequestError('The upload held no file: choose at least one image or video.');
      const code = input.params.code.toUpperCase();
      if (wantsJson(req)) {
        reply.status(results.every((r) => r.ok) ? 201 : 422);
        return { results };
      }
      return input.render('upload-results', { code, results });
    },
  },
];
