/**
 * Every HTTP endpoint as data: method, path, who may call it, its zod schemas and its handler. The
 * server registers them, OpenAPI is generated from them, and the access test walks them.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Permission } from '../platform/access.ts';
import type { Actor } from '../platform/audit.ts';
import type { ServiceContext } from '../platform/context.ts';
import type { LoginLimiter } from '../accounts/index.ts';

/** 'public': anyone; 'signed-in': any valid credential; otherwise the permission required. */
export type Access = 'public' | 'signed-in' | Permission;

export interface RouteEnv {
  ctx: ServiceContext;
  limiter: LoginLimiter;
  ready: () => Promise<boolean>;
  /** Queues a job of the job table, when this process runs the job queue (serve with worker/scheduler roles). */
  send?: (name: string, data: object, opts?: { singletonKey?: string }) => Promise<string | null>;
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
  status?: number;
  handler: (input: HandlerInput) => Promise<unknown>;
}
