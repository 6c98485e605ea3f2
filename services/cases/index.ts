/**
 * What other features may use of cases: everything else in this folder is its own business.
 */
export { monitoredKeywords } from './monitored-keywords.ts';
export { purgeExpiredEvidence } from './materials.ts';
export { normalizeCaseCode } from './case-codes.ts';
export { casePrivacyCheck } from './privacy-terms.ts';
// For the console (console/), which calls the same functions as the API routes.
export { assignCaseStaff, eraseCase, getCase, listCases, openCase, updateCase, withdrawCase } from './cases.ts';
export type { CaseDetail, CasePersonal, CaseSummary, OpenCaseInput, UpdateCaseInput } from './cases.ts';
export { listKnownUrls, listMaterial, registerMaterialFile } from './materials.ts';
export type { KnownUrl, MaterialSummary, RegisteredMaterial } from './materials.ts';
