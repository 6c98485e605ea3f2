/** What other features may use of accounts. */
export { authenticate, bootstrapAdmin, LoginLimiter } from './accounts.ts';
