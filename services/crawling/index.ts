/** What other features may use of crawling. */
export { startSiteSchedules } from './jobs.ts';
export { siteHeadersAad } from './crawl-runtime.ts';
