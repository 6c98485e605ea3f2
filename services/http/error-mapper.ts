/**
 * The one place errors become HTTP responses: `{ error: { code, message } }` with a status. Service
 * errors carry their own status and a message fit for the caller; anything else is a 500 whose details
 * go to the log (by request id), not to the client.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';
import { ServiceError, TooManyRequestsError } from '../platform/errors.ts';

export interface ErrorBody {
  error: { code: string; message: string; requestId?: string };
}

export function toHttpError(err: unknown): { status: number; body: ErrorBody; headers?: Record<string, string> } {
  if (err instanceof ServiceError) {
    const headers = err instanceof TooManyRequestsError ? { 'retry-after': String(err.retryAfterSeconds) } : undefined;
    return { status: err.status, body: { error: { code: err.code, message: err.message } }, headers };
  }
  if (err instanceof ZodError) {
    const issue = err.issues[0];
    const where = issue?.path.length ? ` at '${issue.path.join('.')}'` : '';
    return { status: 400, body: { error: { code: 'bad_request', message: `The request is not valid${where}: ${issue?.message ?? 'unknown problem'}.` } } };
  }
  const fe = err as FastifyError;
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const code = fe.statusCode === 413 ? 'payload_too_large' : fe.statusCode === 415 ? 'unsupported_media_type' : fe.statusCode === 404 ? 'not_found' : 'bad_request';
    const message = fe.statusCode === 413 ? 'The request body is larger than this endpoint accepts.' : fe.statusCode === 415 ? 'This endpoint does not accept that content type.' : `The request could not be read: ${fe.message}.`;
    return { status: fe.statusCode, body: { error: { code, message } } };
  }
  return { status: 500, body: { error: { code: 'internal', message: 'Something went wrong on the server; the error was logged with this request id.' } } };
}

export function errorHandler(err: unknown, req: FastifyRequest, reply: FastifyReply): void {
  const { status, body, headers } = toHttpError(err);
  if (status >= 500) req.log.error({ err: { message: (err as Error)?.message, stack: (err as Error)?.stack } }, 'request failed');
  body.error.requestId = req.id;
  if (headers) reply.headers(headers);
  void reply.status(status).send(body);
}
