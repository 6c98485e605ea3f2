/**
 * The platform's side: the response page and its answers through the link, and platform accounts that
 * list and answer their own notices over the API - never another platform's. Every answer lands in the
 * notice's history and the audit log.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../../services/http/server.ts';
import { addUser } from '../../../services/accounts/accounts.ts';
import type { ServiceContext } from '../../../services/platform/context.ts';
import { selectNoticeHistory } from '../../../db/queries/notices.ts';
import { LINK_NOT_FOUND } from '../../../services/delivery/responses.ts';
import { useTestDatabase } from '../../support/db.ts';
import { useTempDir } from '../../support/tmp.ts';
import { ADMIN, serviceContext } from '../../support/service.ts';
import { seedSentNotice } from './support/seed.ts';

const db = useTestDatabase('delivery_responses');
const tmp = useTempDir('resp');
let ctx: ServiceContext;
let app: FastifyInstance;
const accounts: Record<'a' | 'b', { id: string; token: string }> = {} as never;

beforeAll(async () => {
  ctx = await serviceContext(db(), tmp());
  app = await buildApi(ctx);
  for (const k of ['a', 'b'] as const) {
    const r = await addUser(ctx.sql, ADMIN, { name: `platform-${k}`, role: 'platform', credential: 'token' });
    accounts[k] = { id: r.user.id, token: r.token! };
  }
});

const auth = (k: 'a' | 'b') => ({ authorization: `Bearer ${accounts[k].token}` });

describe('the response link', () => {
  it('shows the answer page (the console\'s, when the console is served) with the reference and URLs, never cached or referred, and nothing of the case', async () => {
    const s = await seedSentNotice(ctx.sql, ctx.masterKey, { urls: ['https://board.example/p/1.jpg', 'https://board.example/p/2.jpg'] });
    const res = await app.inject({ method: 'GET', url: `/respond/${s.token}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.body).toContain(s.notice.reference);
    expect(res.body).toContain('value="https://board.example/p/1.jpg"');
    expect(res.body).toMatch(new RegExp(`<form method="post" action="/respond/${s.token}"`));
    expect(res.body).not.toContain(s.caseCode);
    expect(res.body).not.toMatch(/<script/i);
  });

  it('takes a JSON answer for some URLs and answers with the notice\'s new state, recorded in history and audit', async () => {
    const s = await seedSentNotice(ctx.sql, ctx.masterKey, { urls: ['https://board.example/q/1.jpg', 'https://board.example/q/2.jpg'] });
    const res = await app.inject({ method: 'POST', url: `/respond/${s.token}`, payload: { answer: 'removed', urls: ['https://board.example/q/1.jpg'], message: 'Taken down, ticket 4411.' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const state = res.json();
    expect(state).toMatchObject({ reference: s.notice.reference, status: 'sent' });
    expect(state.items.map((i: { mediaUrl: string; answer: string | null }) => [i.mediaUrl, i.answer])).toEqual([['https://board.example/q/1.jpg', 'removed'], ['https://board.example/q/2.jpg', null]]);
    expect(state.responses).toEqual([expect.objectContaining({ via: 'link', answer: 'removed', urls: ['https://board.example/q/1.jpg'], message: 'Taken down, ticket 4411.' })]);
    const all = await app.inject({ method: 'POST', url: `/respond/${s.token}`, payload: { answer: 'acknowledged' } });
    expect(all.json().items.map((i: { answer: string }) => i.answer)).toEqual(['acknowledged', 'acknowledged']);
    const history = await selectNoticeHistory(ctx.sql, s.notice.id);
    expect(history.filter((h) => h.event === 'answered').map((h) => [h.actor, h.detail.answer, h.detail.items, h.detail.via])).toEqual([['platform', 'removed', 1, 'link'], ['platform', 'acknowledged', 2, 'link']]);
    const audit = await ctx.sql.query<{ action: string; actor: string; case_code: string }>(`SELECT action, actor, case_code FROM audit_log WHERE record_id = $1 AND action = 'notice.answer'`, [s.notice.id]);
    expect(audit).toEqual([{ action: 'notice.answer', actor: `platform-link:${s.platform.id}`, case_code: s.caseCode }, { action: 'notice.answer', actor: `platform-link:${s.platform.id}`, case_code: s.caseCode }]);
  });

  it('takes the page\'s form post and answers with a page', async () => {
    const s = await seedSentNotice(ctx.sql, ctx.masterKey, { urls: ['https://board.example/f/1.jpg'] });
    const res = await app.inject({ method: 'POST', url: `/respond/${s.token}`, payload: 'answer=need-info&urls=https%3A%2F%2Fboard.example%2Ff%2F1.jpg&message=&lang=en', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain(s.notice.reference);
    expect(res.body).toContain('your answer is recorded');
    expect(res.body).toMatch(/<strong>We need more information<\/strong>/);
  });

  it('answers anything else with 400 and a sentence', async () => {
    const s = await seedSentNotice(ctx.sql, ctx.masterKey);
    const cases: Array<[unknown, RegExp]> = [
      [{ answer: 'deleted' }, /"answer" must be one of acknowledged, removed, refused, need-info/],
      [{ answer: 'removed', urls: ['https://elsewhere.example/x.jpg'] }, /is not part of notice SD-/],
      [{ answer: 'removed', urls: 'x'.repeat(5000) }, /"urls" must be a list/],
      [{ answer: 'removed', message: 'x'.repeat(2001) }, /at most 2000 characters/],
      [{ answer: 'removed', extra: 1 }, /fields this endpoint does not take: extra/],
      [['removed'], /JSON object/],
    ];
    for (const [payload, message] of cases) {
      const res = await app.inject({ method: 'POST', url: `/respond/${s.token}`, payload: payload as object });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().error.message).toMatch(message);
    }
    expect((await selectNoticeHistory(ctx.sql, s.notice.id)).some((h) => h.event === 'answered')).toBe(false);
  });

  it('answers a wrong and an expired token alike with 404, revealing nothing', async () => {
    const expired = await seedSentNotice(ctx.sql, ctx.masterKey, { expired: true });
    const bodies = new Set<string>();
    for (const token of [expired.token, 'A'.repeat(22), 'short']) {
      const post = await app.inject({ method: 'POST', url: `/respond/${token}`, payload: { answer: 'removed' } });
      expect(post.statusCode).toBe(404);
      bodies.add(post.body);
      const get = await app.inject({ method: 'GET', url: `/respond/${token}`, headers: { accept: 'application/json' } });
      expect(get.statusCode).toBe(404);
      bodies.add(get.body);
      expect(get.headers['cache-control']).toBe('no-store');
    }
    expect([...bodies]).toEqual([JSON.stringify({ error: { code: 'not_found', message: LINK_NOT_FOUND } })]);
    expect(LINK_NOT_FOUND).not.toMatch(/expired token|no such notice/i);
  });
});

describe('platform accounts', () => {
  it('list and answer their own notices, and get 404 for another platform\'s', async () => {
    const mine = await seedSentNotice(ctx.sql, ctx.masterKey, { userId: accounts.a.id, urls: ['https://board.example/a/1.jpg'] });
    const theirs = await seedSentNotice(ctx.sql, ctx.masterKey, { userId: accounts.b.id, urls: ['https://board.example/b/1.jpg'] });
    const listA = await app.inject({ method: 'GET', url: '/api/v1/platform/notices', headers: auth('a') });
    expect(listA.statusCode).toBe(200);
    const refsA = listA.json().items.map((n: { reference: string }) => n.reference);
    expect(refsA).toContain(mine.notice.reference);
    expect(refsA).not.toContain(theirs.notice.reference);

    const ok = await app.inject({ method: 'POST', url: `/api/v1/platform/notices/${mine.notice.id}/answer`, headers: auth('a'), payload: { answer: 'refused', message: 'Not on our service.' } });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().responses).toEqual([expect.objectContaining({ via: 'account', answer: 'refused' })]);
    const byRef = await app.inject({ method: 'POST', url: `/api/v1/platform/notices/${mine.notice.reference}/answer`, headers: auth('a'), payload: { answer: 'removed' } });
    expect(byRef.statusCode).toBe(200);

    const other = await app.inject({ method: 'POST', url: `/api/v1/platform/notices/${mine.notice.id}/answer`, headers: auth('b'), payload: { answer: 'removed' } });
    const missing = await app.inject({ method: 'POST', url: `/api/v1/platform/notices/00000000-0000-4000-8000-000000000000/answer`, headers: auth('b'), payload: { answer: 'removed' } });
    expect(other.statusCode).toBe(404);
    expect(missing.statusCode).toBe(404);
    expect(other.json().error.message.replace(mine.notice.id, 'X')).toBe(missing.json().error.message.replace('00000000-0000-4000-8000-000000000000', 'X'));
    const history = await selectNoticeHistory(ctx.sql, mine.notice.id);
    expect(history.filter((h) => h.event === 'answered').map((h) => h.detail.answer)).toEqual(['refused', 'removed']);
    const audit = await ctx.sql.query<{ actor_id: string }>(`SELECT actor_id::text FROM audit_log WHERE record_id = $1 AND action = 'notice.answer'`, [mine.notice.id]);
    expect(audit.map((a) => a.actor_id)).toEqual([accounts.a.id, accounts.a.id]);
  });

  it('is refused to other roles and unsigned callers', async () => {
    const admin = await addUser(ctx.sql, ADMIN, { name: 'an-admin', role: 'admin', credential: 'token' });
    expect((await app.inject({ method: 'GET', url: '/api/v1/platform/notices', headers: { authorization: `Bearer ${admin.token}` } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/api/v1/platform/notices' })).statusCode).toBe(401);
  });
});
