/**
 * Errors people can act on. The HTTP layer maps each class to one status (services/api/errors.ts); the
 * CLI prints the message. Messages never contain victim data - only case codes and ids.
 */
export class ServiceError extends Error {
  readonly status: number = 500;
  readonly code: string = 'internal';
}
export class BadRequestError extends ServiceError {
  override readonly status = 400;
  override readonly code = 'bad_request';
}
export class UnauthorizedError extends ServiceError {
  override readonly status = 401;
  override readonly code = 'unauthorized';
}
export class ForbiddenError extends ServiceError {
  override readonly status = 403;
  override readonly code = 'forbidden';
}
export class NotFoundError extends ServiceError {
  override readonly status = 404;
  override readonly code = 'not_found';
}
export class ConflictError extends ServiceError {
  override readonly status = 409;
  override readonly code = 'conflict';
}
export class PayloadTooLargeError extends ServiceError {
  override readonly status = 413;
  override readonly code = 'payload_too_large';
}
export class UnsupportedMediaTypeError extends ServiceError {
  override readonly status = 415;
  override readonly code = 'unsupported_media_type';
}
export class UnprocessableError extends ServiceError {
  override readonly status = 422;
  override readonly code = 'unprocessable';
}
export class TooManyRequestsError extends ServiceError {
  override readonly status = 429;
  override readonly code = 'too_many_requests';
  constructor(message: string, readonly retryAfterSeconds: number) {
    super(message);
  }
}
