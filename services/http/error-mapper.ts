/**
 * The one place errors become HTTP responses: `{ error: { code, message, requestId } }` with a status.
 * Service errors carry their own status and a message fit for the caller; fastify's and the multipart
 * parser's own errors are translated into sentences that say what was actually wrong (too many form
 * fields is not "a body too large"); anything else is a 500 whose details go to the log (by request id),
 * not to the client.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';
import { ServiceError, TooManyRequestsError } from '../platform/errors.ts';

export interface ErrorBody {
  error: { code: string; message: string; requestId?: string };
}

/** The error body as a JSON schema, for the OpenAPI document. */
export const ERROR_BODY_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'requestId'],
      properties: {
        code: { type: 'string', description: 'bad_request, unauthorized, forbidden, not_found, conflict, payload_too_large, unsupported_media_type, unprocessable, too_many_requests, internal' },
        message: { type: 'string', description: 'A sentence saying what was wrong and what to do' },
        requestId: { type: 'string', description: 'The id the server logged this request under' },
      },
    },
  },
} as const;

/** The multipart parser's limits (services/http/server.ts registers them), named for the sentences below. */
export const MULTIPART_LIMITS = { files: 20, fields: 50, parts: 70, fieldSize: 8192 } as const;

const FASTIFY_ERRORS: Record<string, { status: number; code: string; message: (e: FastifyError) => string }> = {
  FST_FIELDS_LIMIT: { status: 400, code: 'bad_request', message: () => `The upload has more than ${MULTIPART_LIMITS.fields} form fields: send at most ${MULTIPART_LIMITS.fields} 'url' fields per request.` },
  FST_FILES_LIMIT: { status: 400, code: 'bad_request', message: () => `The upload has more than ${MULTIPART_LIMITS.files} files: send at most ${MULTIPART_LIMITS.files} 'file' parts per request.` },
  FST_PARTS_LIMIT: { status: 400, code: 'bad_request', message: () => `The upload has more than ${MULTIPART_LIMITS.parts} parts: send at most ${MULTIPART_LIMITS.files} files and ${MULTIPART_LIMITS.fields} 'url' fields per request.` },
  FST_PROTO_VIOLATION: { status: 400, code: 'bad_request', message: () => 'A form field may not be named __proto__ or constructor.' },
  FST_INVALID_MULTIPART_CONTENT_TYPE: { status: 415, code: 'unsupported_media_type', message: () => 'This endpoint takes multipart/form-data.' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large', message: () => 'The JSON body is larger than the server accepts (STAYDOWN_MAX_JSON_BYTES); files go to the multipart upload endpoint.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type', message: (e) => `This endpoint does not accept that content type: send application/json${/multipart/i.test(e.message) ? '' : ' (or multipart/form-data for uploads)'}.` },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'bad_request', message: () => 'The body is empty but its content type is application/json: send a JSON object, or no content type.' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'bad_request', message: () => 'The Content-Length header does not match the body.' },
};

export function toHttpError(err: unknown): { status: number; body: ErrorBody; headers?: Record<string, string> } {
  if (err instanceof ServiceError) {
    const headers = err instanceof TooManyRequestsError ? { 'retry-after': String(err.retryAfterSeconds) } : undefined;
    return { status: err.status, body: { error: { code: err.code, message: err.message } }, headers };
  }
  if (err instanceof ZodError) {
    const issue = err.issues[0];
    const where = issue?.path.length ? ` at '${issue.path.join('.').slice(0, 200)}'` : '';
    // A hostile body can make the issue text huge (an unknown key is quoted): keep the sentence short.
    const what = (issue?.message ?? 'unknown problem').replace(/\.$/, '');
    return { status: 400, body: { error: { code: 'bad_request', message: `The request is not valid${where}: ${what.length > 200 ? `${what.slice(0, 200)}...` : what}.` } } };
  }
  const fe = err as FastifyError;
  const known = fe?.code ? FASTIFY_ERRORS[fe.code] : undefined;
  if (known) return { status: known.status, body: { error: { code: known.code, message: known.message(fe) } } };
  // JSON.parse of a body nested deeper than the stack allows: a bad request, not a server error.
  if (err instanceof RangeError && /call stack/i.test(err.message)) {
    return { status: 400, body: { error: { code: 'bad_request', message: 'The JSON body is nested too deeply to be read.' } } };
  }
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const code = fe.statusCode === 413 ? 'payload_too_large' : fe.statusCode === 415 ? 'unsupported_media_type' : fe.statusCode === 404 ? 'not_found' : 'bad_request';
    const message = fe.statusCode === 413 ? 'The request body is larger than this endpoint accepts.' : fe.statusCode === 415 ? 'This endpoint does not accept that content type.' : `The request could not be read: ${String(fe.message).slice(0, 300).replace(/\.$/, '')}.`;
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
