/**
 * A notice's URLs as monitoring sees them: each URL's state and since when, the last check, and every
 * transition of its history; the notice's own state follows from its URLs. Ids, URLs and dates only.
 */
import { selectTrackedHistory, selectTrackedUrls } from '../../db/queries/monitoring.ts';
import type { Sql } from '../../db/sql.ts';
import { noticeTrackingState, type NoticeTrackingState, type UrlState } from './url-state.ts';

export interface TrackedUrlView {
  id: string;
  alertId: string;
  pageUrl: string;
  mediaUrl: string;
  state: UrlState;
  stateSince: string;
  lastCheckAt: string | null;
  lastCheckResult: string | null;
  lastCheckReason: string | null;
  nextCheckAt: string | null;
  removedAt: string | null;
  remindersSent: number;
  escalationsSent: number;
}

export interface NoticeTracking {
  /** null: the notice has not been sent, nothing is tracked yet. */
  state: NoticeTrackingState | null;
  urls: TrackedUrlView[];
  history: Array<{ at: string; trackedUrlId: string; mediaUrl: string; actor: string; event: string; from: string | null; to: string | null; noticeId: string | null; detail: Record<string, unknown> }>;
}

export async function noticeTracking(sql: Sql, noticeId: string): Promise<NoticeTracking> {
  const rows = await selectTrackedUrls(sql, { noticeIds: [noticeId] });
  const history = await selectTrackedHistory(sql, rows.map((r) => r.id));
  const media = new Map(rows.map((r) => [r.id, r.media_url]));
  return {
    state: rows.length > 0 ? noticeTrackingState(rows.map((r) => r.state)) : null,
    urls: rows.map((r) => ({
      id: r.id, alertId: r.alert_id, pageUrl: r.page_url, mediaUrl: r.media_url, state: r.state, stateSince: r.state_since.toISOString(),
      lastCheckAt: r.last_check_at?.toISOString() ?? null, lastCheckResult: r.last_check_result, lastCheckReason: r.last_check_reason,
      nextCheckAt: r.next_check_at?.toISOString() ?? null, removedAt: r.removed_at?.toISOString() ?? null,
      remindersSent: r.reminders_sent, escalationsSent: r.escalations_sent,
    })),
    history: history.map((h) => ({
      at: h.at.toISOString(), trackedUrlId: h.tracked_url_id, mediaUrl: media.get(h.tracked_url_id) ?? '', actor: h.actor, event: h.event,
      from: h.from_state, to: h.to_state, noticeId: h.notice_id, detail: h.detail,
    })),
  };
}
