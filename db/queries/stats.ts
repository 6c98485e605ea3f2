/** Rows the statistics are computed from (services/stats): dates, statuses and platform names only. */
import type { Sql } from '../sql.ts';

export async function selectStatsNotices(sql: Sql, from: Date, to: Date): Promise<Array<{ platform: string; kind: string; sent_at: Date }>> {
  return sql.query(
    `SELECT p.name AS platform, n.kind, n.sent_at FROM notices n JOIN platforms p ON p.id = n.platform_id
      WHERE n.sent_at >= $1 AND n.sent_at < $2`,
    [from.toISOString(), to.toISOString()],
  );
}

export async function selectStatsUrls(sql: Sql, from: Date, to: Date): Promise<Array<{ platform: string; first_notified_at: Date; first_removed_at: Date | null; ever_refused: boolean; ever_answered: boolean; reupload: boolean }>> {
  return sql.query(
    `SELECT p.name AS platform, t.first_notified_at, t.first_removed_at, t.ever_refused, t.ever_answered, COALESCE(a.reupload, false) AS reupload
       FROM tracked_urls t JOIN platforms p ON p.id = t.platform_id JOIN crawl_alerts a ON a.id = t.alert_id
      WHERE (t.first_notified_at >= $1 AND t.first_notified_at < $2) OR (t.first_removed_at >= $1 AND t.first_removed_at < $2)`,
    [from.toISOString(), to.toISOString()],
  );
}

export async function selectStatsCases(sql: Sql, from: Date, to: Date): Promise<Array<{ created_at: Date }>> {
  return sql.query('SELECT created_at FROM cases WHERE created_at >= $1 AND created_at < $2', [from.toISOString(), to.toISOString()]);
}

export async function selectStatsMaterial(sql: Sql, from: Date, to: Date): Promise<Array<{ created_at: Date }>> {
  return sql.query('SELECT created_at FROM material WHERE created_at >= $1 AND created_at < $2', [from.toISOString(), to.toISOString()]);
}

export async function selectStatsAlerts(sql: Sql, from: Date, to: Date): Promise<Array<{ created_at: Date; status: string; decided_at: Date | null; reupload: boolean }>> {
  return sql.query(
    `SELECT created_at, status, decided_at, COALESCE(reupload, false) AS reupload FROM crawl_alerts
      WHERE (created_at >= $1 AND created_at < $2) OR (decided_at >= $1 AND decided_at < $2)`,
    [from.toISOString(), to.toISOString()],
  );
}
