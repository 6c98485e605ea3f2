/**
 * Cases' background work: evidence copies past their retention are deleted (scheduler role, hourly); an
 * upload file a killed process left in the upload directory is removed once it is an hour old (api role,
 * the processes that receive uploads; every 15 minutes), not only at the next start.
 */
import type { JobDef } from '../runtime/job.ts';
import { purgeExpiredEvidence } from './materials.ts';
import { sweepUploads } from './upload.ts';

/** An upload untouched this long belongs to no live request (a request writes or hashes it meanwhile). */
export const UPLOAD_ORPHAN_MS = 60 * 60_000;

export const casesJobs: JobDef[] = [
  {
    name: 'evidence-purge',
    role: 'scheduler',
    everyMs: () => 60 * 60_000,
    retry: { limit: 0, delaySeconds: 0 },
    expireInSeconds: 15 * 60,
    async run(_data, env) {
      const n = await purgeExpiredEvidence(env.ctx.sql);
      if (n) env.log.info({ deleted: n }, 'expired evidence copies deleted');
    },
  },
  {
    name: 'upload-sweep',
    role: 'api',
    everyMs: () => 15 * 60_000,
    retry: { limit: 0, delaySeconds: 0 },
    expireInSeconds: 5 * 60,
    async run(_data, env) {
      const n = await sweepUploads(env.ctx, UPLOAD_ORPHAN_MS);
      if (n) env.log.warn({ removed: n }, 'upload files left by an interrupted request removed');
    },
  },
];
