/**
 * Delivery's HTTP endpoints: the response link (public: the token is the credential) and the platform
 * accounts' notices (role `platform`, their own notices only).
 */
import { z } from 'zod';
import type { RouteDef } from '../http/route.ts';
import { BadRequestError, NotFoundError } from '../platform/errors.ts';
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

/**
 * The console's answer form: a refusal needs its reason, and the page's `lang` field is not part of the
 * answer. JSON bodies are taken as they come (parseAnswer checks them).
 */
function formAnswer(body: unknown): unknown {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
  const { lang: _lang, ...rest } = body as Record<string, unknown>;
  const message = typeof rest.message === 'string' ? rest.message.trim() : '';
  if (rest.answer === 'refused' && !message) throw new BadRequestError('A refusal needs its reason: write in the message box why the content is not removed.');
  return rest;
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
      const styled = env.respondPages;
      reply.headers(styled ? { ...RESPOND_HEADERS, 'content-security-policy': styled.csp } : RESPOND_HEADERS);
      try {
        const state = await noticeForLink(env.ctx, params.token);
        reply.type('text/html; charset=utf-8');
        const action = `/respond/${encodeURIComponent(params.token)}`;
        return styled ? styled.page(req, state, action) : respondPage(state, action);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        reply.status(404);
        if (/application\/json/.test(req.headers.accept ?? '')) return reply.type('application/json; charset=utf-8').send(LINK_404_JSON);
        reply.type('text/html; charset=utf-8');
        return styled ? styled.notFound(req) : notFoundPage(LINK_NOT_FOUND);
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
      const styled = env.respondPages;
      reply.headers(styled ? { ...RESPOND_HEADERS, 'content-security-policy': styled.csp } : RESPOND_HEADERS);
      const html = wantsHtml(req.headers.accept, req.headers['content-type']);
      const action = `/respond/${encodeURIComponent(params.token)}`;
      try {
        const state = await answerByLink(env.ctx, params.token, parseAnswer(html && styled ? formAnswer(req.body) : req.body), req.ip);
        if (!html) return state;
        reply.type('text/html; charset=utf-8');
        return styled ? styled.answered(req, state, action) : answeredPage(state);
      } catch (err) {
        if (html && styled && err instanceof BadRequestError) {
          // A person's form: the page again with the sentence, not a JSON error; a wrong link stays the 404 page.
          const state = await noticeForLink(env.ctx, params.token).catch((e: unknown) => {
            if (e instanceof NotFoundError) return null;
            throw e;
          });
          if (state) return reply.status(400).type('text/html; charset=utf-8').send(styled.page(req, state, action, err.message));
          return reply.status(404).type('text/html; charset=utf-8').send(styled.notFound(req));
        }
        if (!(err instanceof NotFoundError)) throw err;
        reply.status(404);
        if (html && styled) return reply.type('text/html; charset=utf-8').send(styled.notFound(req));
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
