/**
 * Every HTTP endpoint as data: method, path, who may call it, its zod schemas and its handler. The
 * server registers them, OpenAPI is generated from them, and the access test walks them.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Permission } from '../platform/access.ts';
import type { Actor } from '../platform/audit.ts';
import type { ServiceContext } from '../platform/context.ts';
import type { LoginLimiter, RefusalRecorder } from '../accounts/index.ts';
import type { NoticeState } from '../delivery/responses.ts';

/** 'public': anyone; 'signed-in': any valid credential; otherwise the permission required. */
export type Access = 'public' | 'signed-in' | Permission;

export interface RouteEnv {
  ctx: ServiceContext;
  limiter: LoginLimiter;
  /** Logs (rate-limited) and audits refused requests. */
  refusals: RefusalRecorder;
  ready: () => Promise<boolean>;
  /** Queues a job of the job table, when this process runs the job queue (serve with worker/scheduler roles). */
  send?: (name: string, data: object, opts?: { singletonKey?: string }) => Promise<string | null>;
  /**
   * The HTML of the notice response link (/respond/TOKEN), installed by the console so the platform sees
   * the console's answer page; without it delivery serves its plain pages. Only the rendering is
   * swapped: the token check, the answer and the identical 404 stay delivery's.
   */
  respondPages?: RespondPages;
}

export interface RespondPages {
  /** The Content-Security-Policy sent with these pages instead of delivery's `default-src 'none'`. */
  csp: string;
  page(req: FastifyRequest, state: NoticeState, action: string, error?: string): string;
  answered(req: FastifyRequest, state: NoticeState, action: string): string;
  /** The same bytes for every wrong, expired or finished link (per language). */
  notFound(req: FastifyRequest): string;
}

export interface HandlerInput {
  actor: Actor | null;
  credentialId: string | null;
  params: Record<string, string>;
  query: unknown;
  body: unknown;
  req: FastifyRequest;
  reply: FastifyReply;
  env: RouteEnv;
}

export interface RouteDef {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  summary: string;
  tag: string;
  access: Access;
  params?: z.ZodType;
  query?: z.ZodType;
  /** JSON body; multipart endpoints leave it out and read the stream themselves. */
  body?: z.ZodType;
  multipart?: boolean;
  /** The success status (default 200). */
  status?: number;
  /**
   * Error statuses this route answers beyond the ones the server derives (400 for a schema, 401/403 for
   * a protected route, 404 for a path parameter, 413/415 for bodies): listed in the OpenAPI document.
   */
  errors?: number[];
  handler: (input: HandlerInput) => Promise<unknown>;
}
