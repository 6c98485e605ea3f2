/** The periodic drafting job, run by the real job runner on the test database's queue. */
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../support/db.ts';
import { useTempDir, waitFor } from '../../support/tmp.ts';
import { ADMIN, serviceContext } from '../../support/service.ts';
import { seedConfirmedAlert } from '../../support/takedown.ts';
import { addPlatform, NOTICE_DELIVER_JOB, NOTICE_DRAFT_JOB } from '../../../services/takedown/index.ts';
import { openCase } from '../../../services/cases/cases.ts';
import { JOBS } from '../../../services/runtime/jobs.ts';
import { startJobs } from '../../../services/runtime/job-runner.ts';
import type { ServiceContext } from '../../../services/platform/context.ts';

const db = useTestDatabase('takedown_jobs');
const tmp = useTempDir('tdjobs');
let ctx: ServiceContext;

beforeAll(async () => {
  const base = await serviceContext(db(), tmp());
  ctx = { ...base, config: Object.freeze({ ...base.config, queueSchema: `q_${db().schema}` }) };
});

describe('takedown jobs', () => {
  it('are in the job table: notice-draft by the scheduler every 10 s, notice-deliver by workers', () => {
    const draft = JOBS.find((j) => j.name === NOTICE_DRAFT_JOB)!;
    expect(draft.role).toBe('scheduler');
    expect(draft.everyMs?.(ctx.config)).toBe(10_000);
    expect(JOBS.find((j) => j.name === NOTICE_DELIVER_JOB)?.role).toBe('worker');
  });

  it('the scheduler drafts notices from confirmed alerts with nobody asking', async () => {
    await addPlatform(ctx, ADMIN, { name: 'Job Board', domains: ['jobboard.example'], emails: ['abuse@jobboard.example'] });
    const c = await openCase(ctx, ADMIN, {});
    const alert = await seedConfirmedAlert(ctx.sql, c.code, { pageUrl: 'https://jobboard.example/p/1', mediaUrl: 'https://jobboard.example/i/1.jpg' });
    const runner = await startJobs(ctx, { roles: ['scheduler'], matcher: null, log: ctx.log, jobs: JOBS.filter((j) => j.name === NOTICE_DRAFT_JOB) });
    try {
      const noticeId = await waitFor(async () => {
        const [r] = await ctx.sql.query<{ notice_id: string | null }>('SELECT notice_id::text FROM crawl_alerts WHERE id = $1', [alert]);
        return r.notice_id;
      }, 60_000, 'the drafting job to take the alert');
      const [n] = await ctx.sql.query<{ status: string }>('SELECT status FROM notices WHERE id = $1', [noticeId]);
      expect(n.status).toBe('draft');
    } finally {
      await runner.stop();
    }
  });
});
