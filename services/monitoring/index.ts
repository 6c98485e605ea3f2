/**
 * What other features may use of keep-it-down: re-upload classification around the crawl's alert sink,
 * the material's history for the review, and a notice's URL states for takedown's notice view. Kept free
 * of the verification machinery (which uses crawling) so crawling and review can import it.
 */
export { classifyAlerts, materialHistories, materialHistoryFrom, withReuploads, type ClassifyResult, type MaterialHistory, type Sighting } from './reuploads.ts';
export { noticeTracking, type NoticeTracking, type TrackedUrlView } from './notice-view.ts';
export { noticeTrackingState, transitionUrl, URL_STATES, type UrlState, type UrlEvent, type NoticeTrackingState } from './url-state.ts';
export { MONITOR_RUN_FIELDS } from './run-fields.ts';
// For the console: a case's timeline (its staff) and the notices board's tracking states.
export { caseTimeline, noticeTrackingStates, TIMELINE_EVENTS, type CaseTimeline, type TimelineEvent, type TimelineEventKind, type TimelineUrl } from './timeline.ts';
