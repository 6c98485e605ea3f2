/** What other features may use of accounts. */
export { authenticate, bootstrapAdmin } from './accounts.ts';
export { LoginLimiter } from './login-limiter.ts';
export { RefusalRecorder, type Refusal } from './refusals.ts';

/** The only endpoints a user whose password was reset may call until they change it. */
export const PASSWORD_CHANGE_ROUTES: ReadonlySet<string> = new Set(['GET /api/v1/me', 'POST /api/v1/me/password', 'DELETE /api/v1/session']);
