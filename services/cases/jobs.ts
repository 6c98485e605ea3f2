/** Cases' background work: evidence copies past their retention are deleted (scheduler role, hourly). */
import type { JobDef } from '../runtime/job.ts';
import { purgeExpiredEvidence } from './materials.ts';

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
];
