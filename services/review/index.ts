/**
 * What other features may use of the review: the crawl's allowlist filter (crawling wraps its matcher
 * with it), and for takedown the confirmed alerts no notice covers yet. Takedown polls for those
 * (`confirmedAlertsWithoutNotice`) instead of registering a callback: a query survives a crash between
 * the confirmation's commit and the notice being drafted, a callback does not.
 */
export { createAllowlistFilter, withAllowlist, type AllowlistFilter } from './allowlist.ts';
export { confirmAlerts, confirmedAlertsWithoutNotice, type ConfirmedAlert } from './decisions.ts';
export type { AlertSummary } from './alerts.ts';
// The console's review queue calls the same functions the API does (console/routes/review.ts).
export { getAlert, getEvidence, listAlerts, type AlertDetail, type EvidenceSummary } from './alerts.ts';
export { rejectAlerts } from './decisions.ts';
export { exposureBeforeReveal, exposureToday, readRevealedImage, readVeiledImage, revealImage, isEvidenceImage, type EvidenceImage, type Exposure } from './reveal.ts';
