/**
 * The HTTP API: fastify, zod schemas, OpenAPI at /openapi.json, one error mapper, body limits, and an
 * access check on every request before its handler runs (the service functions check again).
 */
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { can } from '../platform/access.ts';
import { authenticate, isConsoleCredential, LoginLimiter, PASSWORD_CHANGE_ROUTES, RefusalRecorder } from '../accounts/index.ts';
import { registerConsole } from '../../console/plugin.ts';
import type { Actor } from '../platform/audit.ts';
import type { ServiceContext } from '../platform/context.ts';
import { ForbiddenError, ServiceError, UnauthorizedError, UnsupportedMediaTypeError } from '../platform/errors.ts';
import { errorHandler, ERROR_BODY_SCHEMA, MULTIPART_LIMITS } from './error-mapper.ts';
import { ping } from '../../db/queries/meta.ts';
import { accountRoutes } from '../accounts/routes.ts';
import { caseRoutes } from '../cases/routes.ts';
import { crawlingRoutes } from '../crawling/routes.ts';
import { reviewRoutes } from '../review/routes.ts';
import { takedownRoutes } from '../takedown/routes.ts';
import { deliveryRoutes } from '../delivery/routes.ts';
import { statsRoutes } from '../stats/routes.ts';
import type { RouteDef, RouteEnv } from './route.ts';

export const routes: RouteDef[] = [...accountRoutes, ...caseRoutes, ...crawlingRoutes, ...reviewRoutes, ...takedownRoutes, ...deliveryRoutes, ...statsRoutes];

function jsonSchema(schema: z.ZodType | undefined): Record<string, unknown> | undefined {
  if (!schema) return undefined;
  const s = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete s.$schema;
  return s;
}

function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m ? m[1] : null;
}

export interface ApiOptions {
  ready?: () => Promise<boolean>;
  limiter?: LoginLimiter;
  send?: RouteEnv['send'];
  refusals?: RefusalRecorder;
}

const ERROR_TEXT: Record<number, string> = {
  400: 'The request is not valid (the message says which part)', 401: 'No valid session or API token', 403: 'The caller\'s role may not do this',
  404: 'No such record (or one the caller cannot access)', 409: 'The record\'s state does not allow it', 413: 'The body is larger than allowed',
  415: 'The body is not of a type this endpoint takes', 422: 'A file could not be processed', 429: 'Too many attempts: wait Retry-After seconds', 500: 'An internal error (logged with the request id)',
};

/** The statuses a route answers, for the OpenAPI document: derived from what it declares, plus its own. */
export function routeStatuses(route: RouteDef): { success: number; errors: number[] } {
  const errors = new Set<number>(route.errors ?? []);
  if (route.params || route.query || route.body || route.multipart) errors.add(400);
  if (route.access !== 'public') errors.add(401);
  if (route.access !== 'public' && route.access !== 'signed-in') errors.add(403);
  if (route.params) errors.add(404);
  if (route.body || route.multipart) errors.add(413);
  if (route.multipart) errors.add(415);
  errors.add(500);
  return { success: route.status ?? 200, errors: [...errors].sort((a, b) => a - b) };
}

function openApiResponses(route: RouteDef): Record<string, unknown> {
  const { success, errors } = routeStatuses(route);
  const out: Record<string, unknown> = { [success]: { description: success === 201 ? 'Created' : success === 207 ? 'Some parts succeeded (see results)' : 'OK', type: 'object', additionalProperties: true } };
  for (const status of errors) out[status] = status < 400 ? { description: 'Some parts succeeded and some did not (see results)', type: 'object', additionalProperties: true } : { description: ERROR_TEXT[status] ?? 'An error', ...ERROR_BODY_SCHEMA };
  return out;
}

export async function buildApi(ctx: ServiceContext, opts: ApiOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.log.child({ component: 'api' }) as FastifyBaseLogger,
    bodyLimit: ctx.config.maxJsonBytes,
    // Behind a reverse proxy, set it to trust X-Forwarded-For; directly exposed, the socket address is the truth.
    trustProxy: false,
  });
  const env: RouteEnv = {
    ctx,
    limiter: opts.limiter ?? new LoginLimiter(),
    refusals: opts.refusals ?? new RefusalRecorder(ctx.sql, ctx.log.child({ component: 'api' })),
    ready: opts.ready ?? (() => ping(ctx.sql)),
    send: opts.send,
  };
  app.setErrorHandler(errorHandler);
  // Case data must never sit in a browser's or a proxy's cache: nothing under /api/v1 is cacheable.
  app.addHook('onSend', async (req, reply) => {
    if (req.url.startsWith('/api/v1')) reply.header('cache-control', 'no-store');
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ error: { code: 'not_found', message: 'There is no such endpoint; see /openapi.json.', requestId: req.id } });
  });
  // Validation is zod's, in the handler wrapper below; the JSON schemas are for the OpenAPI document only.
  app.setValidatorCompiler(() => (data) => ({ value: data }));
  // Likewise the response schemas only document: replies are serialized as they are.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  // Plain HTML forms (the notice response page) post url-encoded fields: a repeated name becomes a list.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    const fields: Record<string, string | string[]> = {};
    for (const [k, v] of new URLSearchParams(body as string)) {
      const had = fields[k];
      fields[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
    }
    done(null, fields);
  });
  await app.register(multipart, { limits: { fileSize: ctx.config.maxUploadBytes, ...MULTIPART_LIMITS } });
  await app.register(swagger, {
    openapi: {
      info: { title: 'staydown', version: '0.1.0', description: 'Register victims\' material as fingerprints, manage cases, read the audit log.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });

  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.url,
      schema: {
        summary: route.summary,
        tags: [route.tag],
        ...(route.access === 'public' ? {} : { security: [{ bearer: [] }] }),
        ...(route.params ? { params: jsonSchema(route.params) } : {}),
        ...(route.query ? { querystring: jsonSchema(route.query) } : {}),
        ...(route.body ? { body: jsonSchema(route.body) } : {}),
        ...(route.multipart ? { consumes: ['multipart/form-data'] } : {}),
        response: openApiResponses(route),
      },
      // A multipart endpoint refuses another content type before the body is read: a multipart body
      // sent as application/json would otherwise meet the JSON size limit and get a misleading 413.
      ...(route.multipart ? {
        preParsing: async (req: FastifyRequest) => {
          if (!/^multipart\/form-data\s*(;|$)/i.test(String(req.headers['content-type'] ?? ''))) {
            throw new UnsupportedMediaTypeError(`This endpoint takes multipart/form-data (fields 'file' and 'url'), not ${String(req.headers['content-type'] ?? 'a body without a content type').split(';')[0]}.`);
          }
        },
      } : {}),
      handler: async (req, reply) => {
        let actor: Actor | null = null;
        let credentialId: string | null = null;
        const key = `${route.method} ${route.url}`;
        try {
          if (route.access !== 'public') {
            const secret = bearer(req);
            let found = secret ? await authenticate(ctx.sql, secret, req.ip) : null;
            // A console session lives in its HttpOnly cookie and works only in the console (console/).
            if (found && (await isConsoleCredential(ctx.sql, found.credentialId))) found = null;
            if (!found) throw new UnauthorizedError('Sign in first: send a session or API token as "Authorization: Bearer TOKEN".');
            const { credentialId: cid, mustChangePassword, ...rest } = found;
            actor = rest;
            credentialId = cid;
            if (route.access !== 'signed-in' && !can(actor.role, route.access)) {
              throw new ForbiddenError(`The ${actor.role} role may not do this.`);
            }
            if (mustChangePassword && !PASSWORD_CHANGE_ROUTES.has(key)) {
              throw new ForbiddenError('Your password was reset: change it first (POST /api/v1/me/password with currentPassword and newPassword).');
            }
          }
          const params = route.params ? (route.params.parse(req.params) as Record<string, string>) : (req.params as Record<string, string>);
          const query = route.query ? route.query.parse(req.query ?? {}) : req.query;
          const body = route.body ? route.body.parse(req.body ?? {}) : undefined;
          const result = await route.handler({ actor, credentialId, params, query, body, req, reply, env });
          if (route.status && reply.statusCode === 200) reply.status(route.status);
          return result;
        } catch (err) {
          if (err instanceof ServiceError && (err.status === 401 || err.status === 403 || err.status === 429)) {
            // A failed sign-in (the public route's 401) is audited by the sign-in itself, with its reason.
            await env.refusals.record({ status: err.status, code: err.code, route: key, source: req.ip, actor, requestId: req.id, audited: route.access === 'public' });
          }
          throw err;
        }
      },
    });
  }
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(registerConsole, { env });
  return app;
}
