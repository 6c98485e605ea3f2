/** What other features may use of accounts. */
export { authenticate, bootstrapAdmin } from './accounts.ts';
export { LoginLimiter } from './login-limiter.ts';
export { RefusalRecorder, type Refusal } from './refusals.ts';

/** The only endpoints a user whose password was reset may call until they change it. */
export const PASSWORD_CHANGE_ROUTES: ReadonlySet<string> = new Set(['GET /api/v1/me', 'POST /api/v1/me/password', 'DELETE /api/v1/session']);
// For the console (console/): the same functions the API routes call.
export { addUser, listUsers } from './accounts.ts';
export { changeRole, disableUser, enableUser, resetPassword, revokeTokens } from './user-admin.ts';
export type { UserView } from './accounts.ts';
export {
  advanceConsoleSession, chooseLocale, endConsoleSession, isConsoleCredential, resumeConsoleSession, startConsoleSession, userNames,
} from './console-sessions.ts';
export type { ConsoleStage, ResumedSession } from './console-sessions.ts';
export { chooseOwnPassword, confirmEnrolment, markPasswordIssued, MIN_PASSWORD_LENGTH, secondFactorRequired, signInState, startEnrolment, verifySecondFactor } from './two-factor.ts';
