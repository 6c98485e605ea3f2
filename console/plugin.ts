/**
 * The web console, served by the API role at `/` (same origin as /api/v1). Registered from
 * services/http/server.ts in its own encapsulated fastify context, so its cookies, CSRF checks, security
 * headers, form parser and HTML error pages apply to console pages only and the API is unchanged.
 *
 * Security: a strict Content-Security-Policy (scripts and styles only from /static, no inline code),
 * helmet's other headers, no-store on every page, an HttpOnly SameSite=Strict session cookie (Secure
 * behind TLS), a CSRF token on every form that changes something.
 */
import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteEnv } from '../services/http/route.ts';
import { toHttpError } from '../services/http/error-mapper.ts';
import { chooseLocale, translator, type Locale } from './i18n.ts';
import { baseData, registerPage, wantsJson, type PageDef, type Session } from './page.ts';
import { renderView } from './render.ts';
import { signInPages } from './routes/sign-in.ts';
import { homePages } from './routes/home.ts';
import { casePages } from './routes/cases.ts';
import { materialPages } from './routes/material.ts';
import { auditPages } from './routes/audit.ts';
import { userPages } from './routes/users.ts';
import { configurationPages } from './routes/configuration.ts';
import { reviewPages } from './routes/review.ts';
import { noticePages } from './routes/notices.ts';
import { platformNoticePages } from './routes/platform-notices.ts';
import { timelinePages } from './routes/timeline.ts';
import { consoleRespondPages } from './respond.ts';
import { sitePages } from './routes/sites.ts';
import { platformPages } from './routes/platforms.ts';
import { statisticsPages } from './routes/statistics.ts';
import { notFoundPages } from './routes/not-found.ts';

/**
 * Every console page; a new page's file is listed here (see console/nav.ts for the navigation). The
 * not-found pages catch every other address, so they stay last.
 */
export const PAGES: readonly PageDef[] = [
  ...signInPages, ...homePages, ...casePages, ...materialPages, ...timelinePages, ...reviewPages, ...noticePages, ...platformNoticePages,
  ...auditPages, ...userPages, ...configurationPages, ...sitePages, ...platformPages, ...statisticsPages, ...notFoundPages,
];

export const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  objectSrc: ["'none'"],
};

export async function registerConsole(app: FastifyInstance, opts: { env: RouteEnv }): Promise<void> {
  const { env } = opts;
  const config = env.ctx.config;
  const https = config.publicUrl?.startsWith('https:') ?? false;
  // Signs the CSRF secret cookie; derived from the master key so every API process agrees.
  const cookieSecret = createHmac('sha256', env.ctx.masterKey).update('staydown console cookie v1').digest('hex');
  await app.register(cookie, { secret: cookieSecret });
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: { ...CSP_DIRECTIVES, ...(https ? { upgradeInsecureRequests: [] } : {}) } },
    referrerPolicy: { policy: 'no-referrer' },
    hsts: https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    crossOriginEmbedderPolicy: false,
  });
  await app.register(csrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: 'sd_csrf',
    cookieOpts: { path: '/', sameSite: 'strict', httpOnly: true, signed: true, secure: https ? true : 'auto' },
    // Forms send `_csrf`; the upload script sends a header; the upload form without script puts it in
    // its action's query, because a multipart body is read only after the check.
    getToken: (req: FastifyRequest) => {
      const body = req.body as Record<string, unknown> | undefined;
      const q = req.query as Record<string, unknown> | undefined;
      const fromBody = typeof body?._csrf === 'string' ? body._csrf : undefined;
      return fromBody ?? (req.headers['x-csrf-token'] as string | undefined) ?? (typeof q?._csrf === 'string' ? q._csrf : undefined) ?? '';
    },
  });
  await app.register(rateLimit, { global: false });
  await app.register(fastifyStatic, {
    root: fileURLToPath(new URL('./static/', import.meta.url)),
    prefix: '/static/',
    index: false,
    list: false,
    dotfiles: 'deny',
    maxAge: '1h',
  });
  // HTML forms: urlencoded; a repeated field becomes an array.
  // The API's own form parser (the notice response page) is inherited; the console's forms get theirs.
  if (app.hasContentTypeParser('application/x-www-form-urlencoded')) app.removeContentTypeParser('application/x-www-form-urlencoded');
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: config.maxJsonBytes }, (_req, body, done) => {
    const out: Record<string, string | string[]> = Object.create(null);
    for (const [k, v] of new URLSearchParams(body as string)) {
      const prev = out[k];
      out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    done(null, out);
  });
  app.setErrorHandler((err, req, reply) => renderError(err, req, reply, env));
  // The notice response link (an API route: its token is the credential) answers with the console's page.
  env.respondPages = consoleRespondPages(config.timeZone);
  for (const page of PAGES) registerPage(app, env, page, app.csrfProtection);
}

/** Status -> the sentence a person sees; the service's own (English) sentence goes under "details". */
const ERROR_KEYS: Record<number, string> = {
  400: 'error.400', 401: 'error.401', 403: 'error.403', 404: 'error.404', 409: 'error.409', 413: 'error.413', 415: 'error.415', 422: 'error.422', 429: 'error.429',
};

export function isCsrfError(err: unknown): boolean {
  const code = (err as { code?: string })?.code ?? '';
  return code === 'FST_CSRF_INVALID_TOKEN' || code === 'FST_CSRF_MISSING_SECRET';
}

async function renderError(err: unknown, req: FastifyRequest, reply: FastifyReply, env: RouteEnv): Promise<void> {
  const { status, body } = toHttpError(err);
  const state = (req as FastifyRequest & { consoleState?: { session: Session | null; locale: Locale } }).consoleState;
  const locale = state?.locale ?? chooseLocale(req, null);
  const t = translator(locale);
  if (status >= 500) req.log.error({ err: { message: (err as Error)?.message, stack: (err as Error)?.stack } }, 'console request failed');
  const key = isCsrfError(err) ? 'error.csrf' : ERROR_KEYS[status] ?? 'error.500';
  const message = t(key);
  const detail = status >= 500 || isCsrfError(err) ? '' : body.error.message;
  void reply.status(status).header('cache-control', 'no-store');
  if (wantsJson(req)) {
    void reply.send({ error: { code: body.error.code, message, detail, requestId: req.id } });
    return;
  }
  const data = await baseData(req, reply, env, state?.session ?? null, locale);
  void reply.type('text/html; charset=utf-8').send(renderView('error', { ...data, status, message, detail, requestId: req.id }));
}
