/** What other features may use of matching: the service's match index, kept fresh from the change feed. */
export { createMatcher, type MaterialMatch, type Matcher } from './change-feed.ts';
