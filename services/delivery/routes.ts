/**
 * Delivery's HTTP endpoints: the response link (public: the token is the credential) and the platform
 * accounts' notices (role `platform`, their own notices only).
 */
import { z } from 'zod';
import type { RouteDef } from '../http/route.ts';
import { NotFoundError } from '../platform/errors.ts';
import { answerAsPlatform, answerByLink, LINK_NOT_FOUND, listPlatformNotices, noticeForLink, parseAnswer } from './responses.ts';
import { answeredPage, notFoundPage, RESPOND_HEADERS, respondPage } from './respond-page.ts';

const tokenParams = z.object({ token: z.string().max(200) });
const answerBody = z.object({
  answer: z.enum(['acknowledged', 'removed', 'refused', 'need-info', 'not-found']),
  urls: z.array(z.string()).optional(),
  message: z.string().max(2000).optional(),
});

/** The same 404 for a wrong, expired or answered-for-nothing token: the same bytes, whatever the reason. */
const LINK_404_JSON = JSON.stringify({ error: { code: 'not_found', message: LINK_NOT_FOUND } });

function wantsHtml(accept: string | undefined, contentType: string | undefined): boolean {
  if (contentType?.startsWith('application/x-www-form-urlencoded')) return true;
  return !contentType && /text\/html/.test(accept ?? '');
}

export const deliveryRoutes: RouteDef[] = [
  {
    method: 'GET',
    url: '/respond/:token',
    summary: 'The response page of a notice: its reference, URLs and a form for the answer',
    tag: 'platforms',
    access: 'public',
    params: tokenParams,
    async handler({ params, reply, env, req }) {
      reply.headers(RESPOND_HEADERS);
      try {
        const state = await noticeForLink(env.ctx, params.token);
        reply.type('text/html; charset=utf-8');
        return respondPage(state, `/respond/${encodeURIComponent(params.token)}`);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        reply.status(404);
        if (/application\/json/.test(req.headers.accept ?? '')) return reply.type('application/json; charset=utf-8').send(LINK_404_JSON);
        reply.type('text/html; charset=utf-8');
        return notFoundPage(LINK_NOT_FOUND);
      }
    },
  },
  {
    method: 'POST',
    url: '/respond/:token',
    summary: 'Answer a notice: {"answer": "acknowledged" | "removed" | "refused" | "need-info", "urls"?: [...], "message"?: "..."}',
    tag: 'platforms',
    access: 'public',
    params: tokenParams,
    async handler({ params, reply, env, req }) {
      reply.headers(RESPOND_HEADERS);
      const html = wantsHtml(req.headers.accept, req.headers['content-type']);
      try {
        const state = await answerByLink(env.ctx, params.token, parseAnswer(req.body), req.ip);
        if (!html) return state;
        reply.type('text/html; charset=utf-8');
        return answeredPage(state);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        reply.status(404);
        return reply.type('application/json; charset=utf-8').send(LINK_404_JSON);
      }
    },
  },
  {
    method: 'GET',
    url: '/api/v1/platform/notices',
    summary: 'The notices sent to the platforms this account answers for',
    tag: 'platforms',
    access: 'notice.respond',
    async handler({ actor, env }) {
      return { items: await listPlatformNotices(env.ctx, actor!) };
    },
  },
  {
    method: 'POST',
    url: '/api/v1/platform/notices/:id/answer',
    summary: 'Answer one of your platform\'s notices (by id or reference)',
    tag: 'platforms',
    access: 'notice.respond',
    params: z.object({ id: z.string().max(100) }),
    body: answerBody,
    async handler({ actor, params, env, req }) {
      return answerAsPlatform(env.ctx, actor!, params.id, parseAnswer(req.body));
    },
  },
];
