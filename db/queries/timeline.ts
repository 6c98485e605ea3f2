/**
 * Queries of a case's timeline (services/monitoring/timeline.ts): the case's alerts with their site and
 * decision, and the notices that named them. URLs, ids and dates only - nothing of the victim.
 */
import type { Sql } from '../sql.ts';
import { ALERT_SIGHTING_COLUMNS, type AlertSightingRow } from './monitoring.ts';

/** The case's alerts that were not rejected, oldest first. */
export async function selectCaseTimelineAlerts(sql: Sql, caseId: string): Promise<AlertSightingRow[]> {
  return sql.query<AlertSightingRow>(
    `SELECT ${ALERT_SIGHTING_COLUMNS}
       FROM crawl_alerts a JOIN crawl_sites s ON s.id = a.site_id
      WHERE a.case_id = $1 AND a.status <> 'rejected'
      ORDER BY a.created_at, a.id`,
    [caseId],
  );
}

export interface TimelineNoticeRow {
  alert_id: string;
  notice_id: string;
  reference: string;
  kind: string;
  status: string;
  platform_name: string;
  sent_at: Date | null;
}

/** Every notice that listed one of the case's alerts, with when it went out (null: not sent). */
export async function selectCaseTimelineNotices(sql: Sql, caseId: string): Promise<TimelineNoticeRow[]> {
  return sql.query<TimelineNoticeRow>(
    `SELECT i.alert_id::text, n.id::text AS notice_id, n.reference, n.kind, n.status, p.name AS platform_name, n.sent_at
       FROM notices n JOIN notice_items i ON i.notice_id = n.id JOIN platforms p ON p.id = n.platform_id
      WHERE n.case_id = $1
      ORDER BY n.created_at, n.id`,
    [caseId],
  );
}

/** Tracking states of several notices' URLs at once (the notices board). */
export async function selectNoticesTrackedStates(sql: Sql, noticeIds: string[]): Promise<Array<{ notice_id: string; state: string }>> {
  if (noticeIds.length === 0) return [];
  return sql.query(
    `SELECT n.id::text AS notice_id, t.state
       FROM unnest($1::uuid[]) AS n(id) JOIN tracked_urls t ON t.current_notice_id = n.id OR t.first_notice_id = n.id`,
    [noticeIds],
  );
}

/**
 * Who may approve a notice under the four-eyes rule, as names: the staff assigned to its case who did
 * not confirm any of its alerts (administrators may too; the page says so).
 */
export async function selectFourEyesApprovers(sql: Sql, noticeId: string): Promise<string[]> {
  const rows = await sql.query<{ name: string }>(
    `SELECT u.name FROM notices n JOIN case_staff s ON s.case_id = n.case_id JOIN users u ON u.id = s.user_id
      WHERE n.id = $1 AND NOT u.disabled AND u.role = 'staff'
        AND NOT EXISTS (SELECT 1 FROM notice_items i JOIN crawl_alerts a ON a.id = i.alert_id WHERE i.notice_id = n.id AND a.decided_by = u.id)
      ORDER BY u.name`,
    [noticeId],
  );
  return rows.map((r) => r.name);
}
