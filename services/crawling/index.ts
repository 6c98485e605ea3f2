/** What other features may use of crawling. */
export { startSiteSchedules } from './jobs.ts';
