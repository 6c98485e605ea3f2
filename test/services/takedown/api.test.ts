/** The takedown API through the real server: approval over HTTP queues the delivery job. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { useTestDatabase } from '../../support/db.ts';
import { useTempDir } from '../../support/tmp.ts';
import { ADMIN, serviceContext } from '../../support/service.ts';
import { seedConfirmedAlert } from '../../support/takedown.ts';
import { buildApi } from '../../../services/http/server.ts';
import { addUser, issueToken } from '../../../services/accounts/accounts.ts';
import { openCase, assignCaseStaff } from '../../../services/cases/cases.ts';
import { openQueue, type JobQueue } from '../../../services/runtime/queue.ts';
import { queueSpec } from '../../../services/runtime/job.ts';
import { JOBS } from '../../../services/runtime/jobs.ts';
import type { ServiceContext } from '../../../services/platform/context.ts';

const db = useTestDatabase('takedown_api');
const tmp = useTempDir('tdapi');
let ctx: ServiceContext;
let app: FastifyInstance;
let queue: JobQueue;
let staffToken: string;
let staffId: string;

beforeAll(async () => {
  const base = await serviceContext(db(), tmp());
  ctx = { ...base, config: Object.freeze({ ...base.config, orgEmail: 'api@centre.example', queueSchema: `q_${db().schema}` }) };
  queue = await openQueue(ctx.sql, JOBS.map(queueSpec), { schema: ctx.config.queueSchema });
  app = await buildApi(ctx, { send: (n, d, o) => queue.send(n, d, o) });
  const staff = await addUser(ctx.sql, ADMIN, { name: 'api-staff', role: 'staff', credential: 'password' });
  staffId = staff.user.id;
  staffToken = (await issueToken(ctx.sql, ADMIN, staff.user.id)).token;
});
afterAll(async () => {
  await app?.close();
  await queue?.stop();
});

const auth = () => ({ authorization: `Bearer ${staffToken}` });

describe('takedown API', () => {
  it('adds a platform, drafts, shows and approves a notice; approval queues notice-deliver', async () => {
    const add = await app.inject({ method: 'POST', url: '/api/v1/platforms', headers: auth(), payload: { name: 'API Board', domains: ['apiboard.example'], emails: ['abuse@apiboard.example'], jurisdiction: 'US' } });
    expect(add.statusCode, add.body).toBe(201);
    expect(add.json()).toMatchObject({ name: 'API Board', deadlineHours: 48 });
    const bad = await app.inject({ method: 'POST', url: '/api/v1/platforms', headers: auth(), payload: { name: 'Bad', domains: ['com'], emails: ['a@b.example'] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/public suffix/);

    const c = await openCase(ctx, ADMIN, {});
    await assignCaseStaff(ctx, ADMIN, c.code, staffId);
    await seedConfirmedAlert(ctx.sql, c.code, { pageUrl: 'https://apiboard.example/p/1', mediaUrl: 'https://apiboard.example/i/1.jpg' });
    const draft = await app.inject({ method: 'POST', url: '/api/v1/notices/draft', headers: auth() });
    expect(draft.json()).toMatchObject({ drafted: 1, items: 1 });
    const list = await app.inject({ method: 'GET', url: '/api/v1/notices?status=draft', headers: auth() });
    const [n] = list.json().items;
    const shown = await app.inject({ method: 'GET', url: `/api/v1/notices/${n.reference}`, headers: auth() });
    expect(shown.json()).toMatchObject({ id: n.id, jurisdiction: 'US', subject: expect.stringContaining('TAKE IT DOWN Act') });
    expect(shown.json().warnings.join(' ')).toMatch(/STAYDOWN_PUBLIC_URL is not set/);

    const approve = await app.inject({ method: 'POST', url: `/api/v1/notices/${n.id}/approve`, headers: auth() });
    expect(approve.statusCode, approve.body).toBe(200);
    expect(approve.json()).toMatchObject({ status: 'approved', approvedBy: 'api-staff' });
    const jobs = await ctx.sql.query<{ data: { noticeId: string } }>(`SELECT data FROM q_${db().schema}.job WHERE name = 'notice-deliver'`);
    expect(jobs.map((j) => j.data.noticeId)).toEqual([n.id]);
    // Approving again changes nothing and queues nothing more.
    const again = await app.inject({ method: 'POST', url: `/api/v1/notices/${n.id}/approve`, headers: auth() });
    expect(again.json()).toMatchObject({ status: 'approved' });
    expect(await ctx.sql.query(`SELECT 1 FROM q_${db().schema}.job WHERE name = 'notice-deliver'`)).toHaveLength(1);
  });
});
