/** What other features may use of crawling. */
export { startSiteSchedules } from './jobs.ts';
/** How crawled files are fingerprinted, and the AAD of a site's sealed headers: monitoring checks as the crawl does. */
export { CRAWL_FINGERPRINT_OPTIONS, crawlFingerprintOptions, siteHeadersAad, wantQueryFeatures } from './crawl-runtime.ts';
// For the console (console/), which calls the same functions as the API routes.
export { addSite, changeSite, disableSite, listSites, queueCrawl, showRun, showSite, SiteDefinitionError } from './sites.ts';
export type { NewSiteInput, RunView, SiteChanges, SiteView } from './sites.ts';
