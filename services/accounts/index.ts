/** What other features may use of accounts. */
export { authenticate, bootstrapAdmin, LoginLimiter } from './accounts.ts';
// For the console (console/): the same functions the API routes call.
export { addUser, listUsers } from './accounts.ts';
export type { UserView } from './accounts.ts';
export {
  advanceConsoleSession, chooseLocale, endConsoleSession, isConsoleCredential, resumeConsoleSession, startConsoleSession, userNames,
} from './console-sessions.ts';
export type { ConsoleStage, ResumedSession } from './console-sessions.ts';
export { chooseOwnPassword, confirmEnrolment, markPasswordIssued, MIN_PASSWORD_LENGTH, secondFactorRequired, signInState, startEnrolment, verifySecondFactor } from './two-factor.ts';
