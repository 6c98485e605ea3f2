/** Queries of keep-it-down (db/migrations/300-monitoring.sql): tracked URLs, their history, re-uploads. */
import type { Sql } from '../sql.ts';

export type TrackedState = 'notified' | 'acknowledged' | 'removal-claimed' | 'removed' | 'refused' | 'escalated' | 'reappeared';

export interface TrackedUrlRow {
  id: string;
  case_id: string;
  platform_id: string;
  alert_id: string;
  material_id: string;
  site_id: string;
  page_url: string;
  media_url: string;
  first_notice_id: string;
  current_notice_id: string;
  notified_at: Date;
  first_notified_at: Date;
  state: TrackedState;
  state_since: Date;
  last_check_at: Date | null;
  last_check_result: 'removed' | 'present' | 'unknown' | null;
  last_check_reason: string | null;
  next_check_at: Date | null;
  check_held_until: Date | null;
  unknown_streak: number;
  removed_at: Date | null;
  first_removed_at: Date | null;
  recheck_step: number;
  reminders_sent: number;
  last_reminder_at: Date | null;
  escalations_sent: number;
  last_escalation_at: Date | null;
  last_response_id: string;
  ever_refused: boolean;
  ever_answered: boolean;
  case_status: string;
  case_code: string;
  monitor_until: Date | null;
}

const COLUMNS = `t.id::text, t.case_id::text, t.platform_id::text, t.alert_id::text, t.material_id::text, t.site_id::text, t.page_url, t.media_url,
  t.first_notice_id::text, t.current_notice_id::text, t.notified_at, t.first_notified_at, t.state, t.state_since, t.last_check_at,
  t.last_check_result, t.last_check_reason, t.next_check_at, t.check_held_until, t.unknown_streak, t.removed_at, t.first_removed_at,
  t.recheck_step, t.reminders_sent, t.last_reminder_at, t.escalations_sent, t.last_escalation_at, t.last_response_id::text,
  t.ever_refused, t.ever_answered, c.status AS case_status, c.code AS case_code, c.monitor_until`;
const FROM = 'tracked_urls t JOIN cases c ON c.id = t.case_id';

/**
 * Starts tracking every item of a sent initial notice that is not tracked yet (one row per platform and
 * alert); the first check is due `checkEveryMs` after the notice went out. Returns the new rows' ids.
 */
export async function insertTrackedFromSentNotices(sql: Sql, checkEveryMs: number): Promise<string[]> {
  const rows = await sql.query<{ id: string }>(
    `INSERT INTO tracked_urls (case_id, platform_id, alert_id, material_id, site_id, page_url, media_url, first_notice_id,
                               current_notice_id, notified_at, first_notified_at, state_since, next_check_at)
     SELECT n.case_id, n.platform_id, a.id, a.material_id, a.site_id, a.page_url, a.media_url, n.id, n.id, n.sent_at, n.sent_at, n.sent_at,
            n.sent_at + $1::bigint * interval '1 millisecond'
       FROM notices n JOIN notice_items i ON i.notice_id = n.id JOIN crawl_alerts a ON a.id = i.alert_id
      WHERE n.status = 'sent' AND n.kind = 'initial'
        AND NOT EXISTS (SELECT 1 FROM tracked_urls t WHERE t.platform_id = n.platform_id AND t.alert_id = a.id)
      ORDER BY n.sent_at
     ON CONFLICT (platform_id, alert_id) DO NOTHING
     RETURNING id::text`,
    [checkEveryMs],
  );
  return rows.map((r) => r.id);
}

/** Re-appeared URLs whose new initial notice has been sent since: they are notified again. */
export async function selectRenotified(sql: Sql): Promise<Array<{ tracked_id: string; notice_id: string; sent_at: Date }>> {
  return sql.query(
    `SELECT t.id::text AS tracked_id, n.id::text AS notice_id, n.sent_at
       FROM tracked_urls t JOIN notice_items i ON i.alert_id = t.alert_id
       JOIN notices n ON n.id = i.notice_id AND n.platform_id = t.platform_id
      WHERE t.state = 'reappeared' AND n.status = 'sent' AND n.kind = 'initial' AND n.id <> t.current_notice_id AND n.sent_at >= t.state_since
      ORDER BY n.sent_at`,
  );
}

/** Answers not yet applied: those to the current notice and to its reminders and escalations, naming the URL. */
export async function selectUnappliedAnswers(sql: Sql): Promise<Array<{ tracked_id: string; response_id: string; notice_id: string; answer: string; at: Date }>> {
  return sql.query(
    `SELECT t.id::text AS tracked_id, r.id::text AS response_id, r.notice_id::text, r.answer, r.at
       FROM tracked_urls t
       JOIN notices n ON n.id = t.current_notice_id OR n.original_notice_id = t.current_notice_id
       JOIN notice_responses r ON r.notice_id = n.id
      WHERE r.id > t.last_response_id AND t.media_url = ANY (r.urls)
      ORDER BY r.id`,
  );
}

/** The bytes known to be the material for a tracked URL: its alert's media and the registered file. */
export async function selectKnownSha256(sql: Sql, alertId: string): Promise<string[]> {
  const rows = await sql.query<{ sha: string }>(
    `SELECT a.media_sha256 AS sha FROM crawl_alerts a WHERE a.id = $1 AND a.status = 'confirmed'
     UNION SELECT m.sha256 FROM crawl_alerts a JOIN material m ON m.id = a.material_id WHERE a.id = $1`,
    [alertId],
  );
  return rows.map((r) => r.sha);
}

export async function selectTrackedUrl(sql: Sql, id: string, opts: { forUpdate?: boolean } = {}): Promise<TrackedUrlRow | null> {
  const [row] = await sql.query<TrackedUrlRow>(`SELECT ${COLUMNS} FROM ${FROM} WHERE t.id = $1${opts.forUpdate ? ' FOR UPDATE OF t' : ''}`, [id]);
  return row ?? null;
}

export async function selectTrackedUrls(sql: Sql, f: { noticeIds?: string[]; caseId?: string; alertIds?: string[] }): Promise<TrackedUrlRow[]> {
  return sql.query<TrackedUrlRow>(
    `SELECT ${COLUMNS} FROM ${FROM}
      WHERE ($1::uuid[] IS NULL OR t.current_notice_id = ANY ($1) OR t.first_notice_id = ANY ($1))
        AND ($2::uuid IS NULL OR t.case_id = $2)
        AND ($3::uuid[] IS NULL OR t.alert_id = ANY ($3))
      ORDER BY t.created_at, t.id`,
    [f.noticeIds ?? null, f.caseId ?? null, f.alertIds ?? null],
  );
}

/** Due checks, oldest first, that no worker holds. */
export async function selectDueChecks(sql: Sql, limit: number): Promise<string[]> {
  const rows = await sql.query<{ id: string }>(
    `SELECT id::text FROM tracked_urls
      WHERE next_check_at <= now() AND (check_held_until IS NULL OR check_held_until < now())
      ORDER BY next_check_at LIMIT $1`,
    [limit],
  );
  return rows.map((r) => r.id);
}

/** Takes a due check for `holdMs`; null when it is not due or another worker holds it. */
export async function holdCheck(sql: Sql, id: string, holdMs: number): Promise<Date | null> {
  const [row] = await sql.query<{ held: Date }>(
    `UPDATE tracked_urls SET check_held_until = now() + $2::bigint * interval '1 millisecond'
      WHERE id = $1 AND next_check_at <= now() AND (check_held_until IS NULL OR check_held_until < now())
      RETURNING check_held_until AS held`,
    [id, holdMs],
  );
  return row?.held ?? null;
}

export interface TrackedUpdate {
  state: TrackedState;
  stateChanged: boolean;
  lastCheckAt?: Date;
  lastCheckResult?: 'removed' | 'present' | 'unknown';
  lastCheckReason?: string;
  nextCheckAt: Date | null;
  unknownStreak: number;
  removedAt: Date | null;
  recheckStep: number;
  lastResponseId?: string;
  currentNoticeId?: string;
  notifiedAt?: Date;
  everRefused?: boolean;
  everAnswered?: boolean;
}

export async function updateTracked(sql: Sql, id: string, u: TrackedUpdate): Promise<void> {
  await sql.query(
    `UPDATE tracked_urls SET state = $2, state_since = CASE WHEN $3 THEN now() ELSE state_since END,
        last_check_at = COALESCE($4, last_check_at), last_check_result = COALESCE($5, last_check_result),
        last_check_reason = COALESCE($6, last_check_reason), next_check_at = $7, unknown_streak = $8,
        removed_at = $9, first_removed_at = COALESCE(first_removed_at, $9), recheck_step = $10,
        last_response_id = COALESCE($11::bigint, last_response_id), current_notice_id = COALESCE($12::uuid, current_notice_id),
        notified_at = COALESCE($13, notified_at), ever_refused = ever_refused OR $14, ever_answered = ever_answered OR $15,
        check_held_until = CASE WHEN $4::timestamptz IS NULL THEN check_held_until END,
        reminders_sent = CASE WHEN $12::uuid IS NULL THEN reminders_sent ELSE 0 END,
        escalations_sent = CASE WHEN $12::uuid IS NULL THEN escalations_sent ELSE 0 END
      WHERE id = $1`,
    [id, u.state, u.stateChanged, u.lastCheckAt?.toISOString() ?? null, u.lastCheckResult ?? null, u.lastCheckReason ?? null,
      u.nextCheckAt?.toISOString() ?? null, u.unknownStreak, u.removedAt?.toISOString() ?? null, u.recheckStep, u.lastResponseId ?? null,
      u.currentNoticeId ?? null, u.notifiedAt?.toISOString() ?? null, u.everRefused ?? false, u.everAnswered ?? false],
  );
}

export async function setTrackedNextCheck(sql: Sql, ids: string[], at: Date | null): Promise<void> {
  if (ids.length === 0) return;
  await sql.query('UPDATE tracked_urls SET next_check_at = $2 WHERE id = ANY ($1::uuid[])', [ids, at?.toISOString() ?? null]);
}

export async function insertTrackedHistory(
  sql: Sql,
  h: { trackedUrlId: string; actor: string; event: string; fromState: string | null; toState: string | null; noticeId?: string | null; detail?: Record<string, unknown> },
): Promise<void> {
  await sql.query(
    'INSERT INTO tracked_url_history (tracked_url_id, actor, event, from_state, to_state, notice_id, detail) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)',
    [h.trackedUrlId, h.actor, h.event, h.fromState, h.toState, h.noticeId ?? null, JSON.stringify(h.detail ?? {})],
  );
}

export interface TrackedHistoryRow {
  tracked_url_id: string;
  at: Date;
  actor: string;
  event: string;
  from_state: string | null;
  to_state: string | null;
  notice_id: string | null;
  detail: Record<string, unknown>;
}

export async function selectTrackedHistory(sql: Sql, trackedIds: string[]): Promise<TrackedHistoryRow[]> {
  if (trackedIds.length === 0) return [];
  return sql.query<TrackedHistoryRow>(
    `SELECT tracked_url_id::text, at, actor, event, from_state, to_state, notice_id::text, detail
       FROM tracked_url_history WHERE tracked_url_id = ANY ($1::uuid[]) ORDER BY id`,
    [trackedIds],
  );
}

/** Stops the checks of the cases that are no longer monitored (withdrawn, closed, erased). */
export async function stopChecksOfEndedCases(sql: Sql): Promise<number> {
  const rows = await sql.query(
    `UPDATE tracked_urls t SET next_check_at = NULL FROM cases c
      WHERE c.id = t.case_id AND t.next_check_at IS NOT NULL
        AND (c.status NOT IN ('open', 'monitoring') OR (t.state = 'removed' AND c.monitor_until IS NOT NULL AND c.monitor_until < t.next_check_at))
      RETURNING t.id`,
  );
  return rows.length;
}

/** Follow-ups: the tracked URLs still awaiting removal, grouped by the notice they follow up. */
export async function selectAwaitingByNotice(sql: Sql): Promise<TrackedUrlRow[]> {
  return sql.query<TrackedUrlRow>(
    `SELECT ${COLUMNS} FROM ${FROM}
      WHERE t.state NOT IN ('removed', 'reappeared') AND c.status IN ('open', 'monitoring')
      ORDER BY t.current_notice_id, t.id`,
  );
}

export async function lockFollowUps(sql: Sql): Promise<void> {
  await sql.query("SELECT pg_advisory_xact_lock(hashtext('staydown:monitoring-follow-ups'))");
}

export async function recordReminder(sql: Sql, ids: string[]): Promise<void> {
  await sql.query('UPDATE tracked_urls SET reminders_sent = reminders_sent + 1, last_reminder_at = now() WHERE id = ANY ($1::uuid[])', [ids]);
}

export async function recordEscalation(sql: Sql, ids: string[]): Promise<void> {
  await sql.query('UPDATE tracked_urls SET escalations_sent = escalations_sent + 1, last_escalation_at = now() WHERE id = ANY ($1::uuid[])', [ids]);
}

/** The notices of a chain (the initial notice, its reminders and escalations), oldest first. */
export async function selectNoticeChain(sql: Sql, noticeId: string): Promise<Array<{ id: string; reference: string; kind: string; status: string; sent_at: Date | null; platform_id: string; platform_name: string }>> {
  return sql.query(
    `SELECT n.id::text, n.reference, n.kind, n.status, n.sent_at, n.platform_id::text, p.name AS platform_name
       FROM notices n JOIN platforms p ON p.id = n.platform_id
      WHERE n.id = $1 OR n.original_notice_id = $1 ORDER BY n.created_at, n.id`,
    [noticeId],
  );
}

export async function selectChainResponses(sql: Sql, noticeId: string): Promise<Array<{ notice_id: string; at: Date; answer: string; urls: string[] }>> {
  return sql.query(
    `SELECT r.notice_id::text, r.at, r.answer, r.urls FROM notice_responses r JOIN notices n ON n.id = r.notice_id
      WHERE n.id = $1 OR n.original_notice_id = $1 ORDER BY r.id`,
    [noticeId],
  );
}

// --- Re-uploads -------------------------------------------------------------------------------------

export interface UnclassifiedAlertRow {
  id: string;
  case_id: string;
  case_code: string;
  material_id: string;
  media_sha256: string;
  status: string;
}

export async function selectUnclassifiedAlerts(sql: Sql, limit: number, ids?: string[]): Promise<UnclassifiedAlertRow[]> {
  return sql.query<UnclassifiedAlertRow>(
    `SELECT a.id::text, a.case_id::text, c.code AS case_code, a.material_id::text, a.media_sha256, a.status
       FROM crawl_alerts a JOIN cases c ON c.id = a.case_id
      WHERE a.reupload IS NULL AND ($2::uuid[] IS NULL OR a.id = ANY ($2))
      ORDER BY a.created_at, a.id LIMIT $1 FOR UPDATE OF a SKIP LOCKED`,
    [limit, ids ?? null],
  );
}

/** Whether the material has a confirmed alert other than `alertId`, and whether one had these exact bytes. */
export async function selectMaterialConfirmed(sql: Sql, materialId: string, alertId: string, sha256: string): Promise<{ confirmed: number; same_bytes: number }> {
  const [row] = await sql.query<{ confirmed: number; same_bytes: number }>(
    `SELECT count(*)::int AS confirmed, count(*) FILTER (WHERE media_sha256 = $3)::int AS same_bytes
       FROM crawl_alerts WHERE material_id = $1 AND id <> $2 AND status = 'confirmed'`,
    [materialId, alertId, sha256],
  );
  return row;
}

export async function setAlertReupload(sql: Sql, alertId: string, reupload: boolean): Promise<void> {
  await sql.query('UPDATE crawl_alerts SET reupload = $2 WHERE id = $1', [alertId, reupload]);
}

/** Confirms a still-new alert as the system (no user), recorded as automatic. */
export async function autoConfirmAlert(sql: Sql, alertId: string): Promise<boolean> {
  const rows = await sql.query(
    `UPDATE crawl_alerts SET status = 'confirmed', decided_by = NULL, decided_at = now(), auto_confirmed = true
      WHERE id = $1 AND status = 'new' RETURNING id`,
    [alertId],
  );
  return rows.length > 0;
}

export async function selectAlertIdByMaterialUrl(sql: Sql, materialId: string, mediaUrl: string): Promise<string | null> {
  const [row] = await sql.query<{ id: string }>('SELECT id::text FROM crawl_alerts WHERE material_id = $1 AND media_url = $2', [materialId, mediaUrl]);
  return row?.id ?? null;
}

/** One sighting of registered material: an alert that was not rejected, with its site and decision. */
export interface AlertSightingRow {
  alert_id: string;
  material_id: string;
  site_name: string;
  page_url: string;
  media_url: string;
  status: string;
  found_at: Date;
  decided_at: Date | null;
  auto_confirmed: boolean;
  reupload: boolean | null;
}

/** The columns of AlertSightingRow over `crawl_alerts a JOIN crawl_sites s` (the case timeline uses them too). */
export const ALERT_SIGHTING_COLUMNS = `a.id::text AS alert_id, a.material_id::text, s.name AS site_name, a.page_url, a.media_url, a.status,
            a.created_at AS found_at, a.decided_at, a.auto_confirmed, a.reupload`;

export interface MaterialHistoryRow extends AlertSightingRow {
  notified_at: Date | null;
  removed_at: Date | null;
  state: string | null;
}

/** Everything known of a material's sightings: where and when found, notified, removed. */
export async function selectMaterialHistory(sql: Sql, materialIds: string[]): Promise<MaterialHistoryRow[]> {
  if (materialIds.length === 0) return [];
  return sql.query(
    `SELECT ${ALERT_SIGHTING_COLUMNS},
            (SELECT min(t.first_notified_at) FROM tracked_urls t WHERE t.alert_id = a.id) AS notified_at,
            (SELECT min(t.first_removed_at) FROM tracked_urls t WHERE t.alert_id = a.id) AS removed_at,
            (SELECT t.state FROM tracked_urls t WHERE t.alert_id = a.id ORDER BY t.created_at LIMIT 1) AS state
       FROM crawl_alerts a JOIN crawl_sites s ON s.id = a.site_id
      WHERE a.material_id = ANY ($1::uuid[]) AND a.status <> 'rejected'
      ORDER BY a.created_at, a.id`,
    [materialIds],
  );
}

export async function selectAlertReuploadFlags(sql: Sql, alertIds: string[]): Promise<Array<{ id: string; material_id: string; reupload: boolean | null; auto_confirmed: boolean }>> {
  if (alertIds.length === 0) return [];
  return sql.query('SELECT id::text, material_id::text, reupload, auto_confirmed FROM crawl_alerts WHERE id = ANY ($1::uuid[])', [alertIds]);
}

// --- What verification needs ----------------------------------------------------------------------

export interface CheckSiteRow {
  name: string;
  start_urls: string[];
  allow_hosts: string[];
  min_interval_ms: number;
  concurrency: number;
  headers_encrypted: Buffer | null;
}

export async function selectCheckSite(sql: Sql, siteId: string): Promise<CheckSiteRow | null> {
  const [row] = await sql.query<CheckSiteRow>('SELECT name, start_urls, allow_hosts, min_interval_ms, concurrency, headers_encrypted FROM crawl_sites WHERE id = $1', [siteId]);
  return row ?? null;
}

/** Sent reminders and escalations not yet recorded on the URLs they list. */
export async function selectUnrecordedFollowUps(sql: Sql): Promise<Array<{ tracked_id: string; notice_id: string; kind: 'reminder' | 'escalation'; sent_at: Date }>> {
  return sql.query(
    `SELECT t.id::text AS tracked_id, n.id::text AS notice_id, n.kind, n.sent_at
       FROM notices n JOIN notices o ON o.id = n.original_notice_id
       JOIN notice_items i ON i.notice_id = n.id
       JOIN tracked_urls t ON t.alert_id = i.alert_id AND t.platform_id = o.platform_id AND t.current_notice_id = o.id
      WHERE n.kind IN ('reminder', 'escalation') AND n.status = 'sent'
        AND NOT EXISTS (SELECT 1 FROM tracked_url_history h WHERE h.tracked_url_id = t.id AND h.notice_id = n.id AND h.event IN ('reminder-sent', 'escalation-sent'))
      ORDER BY n.sent_at, t.id`,
  );
}

/** URLs whose current notice's deadline passed, not yet recorded as such. */
export async function selectPassedDeadlines(sql: Sql): Promise<Array<{ tracked_id: string; notice_id: string }>> {
  return sql.query(
    `SELECT t.id::text AS tracked_id, n.id::text AS notice_id
       FROM tracked_urls t JOIN notices n ON n.id = t.current_notice_id
      WHERE n.deadline < now() AND t.state NOT IN ('removed', 'reappeared')
        AND NOT EXISTS (SELECT 1 FROM tracked_url_history h WHERE h.tracked_url_id = t.id AND h.notice_id = n.id AND h.event = 'deadline-passed')`,
  );
}

export async function trackedHistoryExists(sql: Sql, trackedId: string, noticeId: string, events: string[]): Promise<boolean> {
  const rows = await sql.query('SELECT 1 FROM tracked_url_history WHERE tracked_url_id = $1 AND notice_id = $2 AND event = ANY ($3::text[]) LIMIT 1', [trackedId, noticeId, events]);
  return rows.length > 0;
}
