/**
 * The HTTP API: fastify, zod schemas, OpenAPI at /openapi.json, one error mapper, body limits, and an
 * access check on every request before its handler runs (the service functions check again).
 */
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { can } from '../platform/access.ts';
import { authenticate, LoginLimiter } from '../accounts/index.ts';
import type { Actor } from '../platform/audit.ts';
import type { ServiceContext } from '../platform/context.ts';
import { ForbiddenError, UnauthorizedError } from '../platform/errors.ts';
import { errorHandler } from './error-mapper.ts';
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
    ready: opts.ready ?? (() => ping(ctx.sql)),
    send: opts.send,
  };
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ error: { code: 'not_found', message: 'There is no such endpoint; see /openapi.json.', requestId: req.id } });
  });
  // Validation is zod's, in the handler wrapper below; the JSON schemas are for the OpenAPI document only.
  app.setValidatorCompiler(() => (data) => ({ value: data }));
  // Plain HTML forms (the notice response page) post url-encoded fields: a repeated name becomes a list.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    const fields: Record<string, string | string[]> = {};
    for (const [k, v] of new URLSearchParams(body as string)) {
      const had = fields[k];
      fields[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
    }
    done(null, fields);
  });
  await app.register(multipart, { limits: { fileSize: ctx.config.maxUploadBytes, files: 20, fields: 50, fieldSize: 8192, parts: 70 } });
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
      },
      handler: async (req, reply) => {
        let actor: Actor | null = null;
        let credentialId: string | null = null;
        if (route.access !== 'public') {
          const secret = bearer(req);
          const found = secret ? await authenticate(ctx.sql, secret, req.ip) : null;
          if (!found) throw new UnauthorizedError('Sign in first: send a session or API token as "Authorization: Bearer TOKEN".');
          const { credentialId: cid, ...rest } = found;
          actor = rest;
          credentialId = cid;
          if (route.access !== 'signed-in' && !can(actor.role, route.access)) {
            throw new ForbiddenError(`The ${actor.role} role may not do this.`);
          }
        }
        if (route.multipart && !req.isMultipart()) {
          reply.status(415);
          return { error: { code: 'unsupported_media_type', message: 'Send the material as multipart/form-data.' } };
        }
        const params = route.params ? (route.params.parse(req.params) as Record<string, string>) : (req.params as Record<string, string>);
        const query = route.query ? route.query.parse(req.query ?? {}) : req.query;
        const body = route.body ? route.body.parse(req.body ?? {}) : undefined;
        const result = await route.handler({ actor, credentialId, params, query, body, req, reply, env });
        if (route.status && reply.statusCode === 200) reply.status(route.status);
        return result;
      },
    });
  }
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
