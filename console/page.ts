/**
 * How a console page is declared and what its handler gets: the signed-in session (resumed from the
 * cookie, idle time checked), the language, formatters, a CSRF token and `render`. Access is checked here
 * from the same permission table the API uses (services/platform/access.ts), before the handler; the
 * service functions the handler calls check again, exactly as for the API.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { resumeConsoleSession, type ConsoleStage } from '../services/accounts/index.ts';
import { can, type Permission } from '../services/platform/access.ts';
import type { Actor } from '../services/platform/audit.ts';
import { ForbiddenError } from '../services/platform/errors.ts';
import type { RouteEnv } from '../services/http/route.ts';
import { formatters, type Formatters } from './format.ts';
import { chooseLocale, translator, type Locale, type Translate } from './i18n.ts';
import { navFor, type NavItem } from './nav.ts';
import { renderView } from './render.ts';

export const SESSION_COOKIE = 'sd_session';

/**
 * 'public': anyone (sign-in). 'step': a signed-in session at sign-in step `step`. 'signed-in': any
 * finished sign-in. A permission: a finished sign-in whose role has it.
 */
export type PageAccess = 'public' | 'step' | 'signed-in' | Permission;

export interface Session {
  actor: Actor;
  credentialId: string;
  stage: ConsoleStage;
}

export interface PageInput {
  req: FastifyRequest;
  reply: FastifyReply;
  env: RouteEnv;
  session: Session | null;
  locale: Locale;
  t: Translate;
  fmt: Formatters;
  /** Renders a view (console/views/NAME.eta) with the layout's common data; status 200 unless set. */
  render(view: string, data?: Record<string, unknown>): Promise<string>;
  body: Record<string, string | string[]>;
  params: Record<string, string>;
  query: Record<string, string | undefined>;
}

export interface PageDef {
  method: 'GET' | 'POST';
  url: string;
  access: PageAccess;
  /** For access 'step': the sign-in step this page is. */
  step?: ConsoleStage;
  /** POST bodies sent as multipart (the upload); their CSRF token comes in a header or the query. */
  multipart?: boolean;
  /** Limits requests per address (sign-in steps). */
  rateLimit?: { max: number; timeWindow: string };
  handler(input: PageInput): Promise<unknown>;
}

/** Where a session at `stage` has to go next. */
export function stagePath(stage: ConsoleStage): string {
  return { 'second-factor': '/sign-in/code', 'new-password': '/sign-in/new-password', enrol: '/sign-in/set-up', ready: '/' }[stage];
}

export function wantsJson(req: FastifyRequest): boolean {
  return (req.headers.accept ?? '').includes('application/json');
}

/** Everything the layout needs, also for error pages rendered by the error handler. */
export async function baseData(req: FastifyRequest, reply: FastifyReply, env: RouteEnv, session: Session | null, locale: Locale): Promise<Record<string, unknown>> {
  const nav: NavItem[] = session && session.stage === 'ready' ? navFor(session.actor.role) : [];
  return {
    t: translator(locale),
    fmt: formatters(locale, env.ctx.config.timeZone),
    locale,
    user: session ? { name: session.actor.name, role: session.actor.role, ready: session.stage === 'ready' } : null,
    nav,
    path: req.url.split('?')[0],
    here: req.url,
    csrf: reply.generateCsrf(),
  };
}

export function registerPage(app: FastifyInstance, env: RouteEnv, def: PageDef, csrfProtection: unknown): void {
  app.route({
    method: def.method,
    url: def.url,
    ...(def.rateLimit ? { config: { rateLimit: def.rateLimit } } : {}),
    ...(def.method === 'POST' ? { preHandler: csrfProtection as never } : {}),
    handler: async (req, reply) => {
      // Pages carry case data or sign-in secrets: nothing of them may stay in the browser's cache.
      void reply.header('cache-control', 'no-store');
      let session: Session | null = null;
      let stored: Locale | null = null;
      const secret = req.cookies[SESSION_COOKIE];
      if (secret) {
        const found = await resumeConsoleSession(env.ctx, secret, req.ip);
        if (found.kind === 'signed-in') {
          session = { actor: found.actor, credentialId: found.credentialId, stage: found.stage };
          stored = found.locale;
        } else {
          void reply.clearCookie(SESSION_COOKIE, { path: '/' });
          if (found.kind === 'expired' && def.access !== 'public') return goSignIn(req, reply, 'expired');
        }
      }
      if (def.access !== 'public') {
        if (!session) return goSignIn(req, reply, null);
        if (def.access === 'step') {
          if (session.stage !== def.step) return reply.redirect(stagePath(session.stage), 303);
        } else {
          if (session.stage !== 'ready') return reply.redirect(stagePath(session.stage), 303);
          if (def.access !== 'signed-in' && !can(session.actor.role, def.access)) {
            throw new ForbiddenError(`The ${session.actor.role} role may not open this page.`);
          }
        }
      }
      const locale = chooseLocale(req, stored);
      (req as FastifyRequest & { consoleState?: unknown }).consoleState = { session, locale };
      const t = translator(locale);
      const fmt = formatters(locale, env.ctx.config.timeZone);
      const input: PageInput = {
        req, reply, env, session, locale, t, fmt,
        body: (def.multipart ? {} : (req.body as Record<string, string | string[]>)) ?? {},
        params: req.params as Record<string, string>,
        query: (req.query ?? {}) as Record<string, string | undefined>,
        render: async (view, data = {}) => {
          void reply.type('text/html; charset=utf-8');
          return renderView(view, { ...(await baseData(req, reply, env, session, locale)), ...data });
        },
      };
      return def.handler(input);
    },
  });
}

function goSignIn(req: FastifyRequest, reply: FastifyReply, why: 'expired' | null) {
  if (wantsJson(req) || req.method !== 'GET') {
    if (wantsJson(req)) return reply.status(401).send({ error: { code: 'unauthorized', message: why ?? 'signed-out' } });
  }
  return reply.redirect(why ? '/sign-in?expired=1' : '/sign-in', 303);
}

/** The one value of a form field (the first, when a field came more than once). */
export function field(body: Record<string, string | string[]>, name: string): string {
  const v = body[name];
  return (Array.isArray(v) ? v[0] : v) ?? '';
}

/** A textarea's lines, trimmed, empty ones dropped. */
export function lines(body: Record<string, string | string[]>, name: string): string[] {
  return field(body, name).split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
}
