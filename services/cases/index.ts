/**
 * What other features may use of cases: everything else in this folder is its own business.
 */
export { monitoredKeywords } from './monitored-keywords.ts';
export { purgeExpiredEvidence } from './materials.ts';
export { normalizeCaseCode } from './case-codes.ts';
export { casePrivacyCheck } from './privacy-terms.ts';
