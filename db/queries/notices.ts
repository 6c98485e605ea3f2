/** Queries on takedown notices, their items and history (db/migrations/200-takedown.sql). */
import type { Sql } from '../sql.ts';
import type { Jurisdiction, NoticeLanguage } from './platforms.ts';

export type NoticeKind = 'initial' | 'reminder' | 'escalation';
export type NoticeStatus = 'draft' | 'approved' | 'sending' | 'sent' | 'failed' | 'cancelled';
export type NoticeChannel = 'email' | 'webhook' | 'form';

export interface NoticeRow {
  id: string;
  reference: string;
  case_id: string;
  platform_id: string;
  platform_name: string;
  kind: NoticeKind;
  status: NoticeStatus;
  language: NoticeLanguage;
  jurisdiction: Jurisdiction;
  channel: NoticeChannel;
  created_at: Date;
  updated_at: Date;
  approved_at: Date | null;
  approved_by: string | null;
  approved_by_name: string | null;
  sent_at: Date | null;
  deadline: Date | null;
  attempts: number;
  last_error: string | null;
  next_attempt_at: Date | null;
  message_id: string | null;
  respond_token_sha256: string | null;
  respond_expires_at: Date | null;
  original_notice_id: string | null;
}

export interface NoticeItemRow {
  notice_id: string;
  alert_id: string;
  page_url: string | null;
  page_url_withheld: boolean;
  media_url: string;
  first_seen: Date;
  added_at: Date;
}

export interface NoticeHistoryRow {
  id: number;
  notice_id: string;
  at: Date;
  actor: string;
  event: string;
  detail: Record<string, unknown>;
}

const NOTICE_COLUMNS = `n.id::text, n.reference, n.case_id::text, n.platform_id::text, p.name AS platform_name, n.kind, n.status, n.language,
  n.jurisdiction, n.channel, n.created_at, n.updated_at, n.approved_at, n.approved_by::text, n.approved_by_name, n.sent_at, n.deadline,
  n.attempts, n.last_error, n.next_attempt_at, n.message_id, n.respond_token_sha256, n.respond_expires_at, n.original_notice_id::text`;
const NOTICE_FROM = 'notices n JOIN platforms p ON p.id = n.platform_id';

/** Drafting runs one at a time (after a confirmation and from the periodic job): this lock serialises it. */
export async function lockDrafting(tx: Sql): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(7340200)');
}

export interface PendingAlertRow {
  id: string;
  /** Why drafting holds it back (null: it is drafted when it has a recipient). */
  notice_hold: string | null;
  case_id: string;
  case_code: string;
  page_url: string;
  media_url: string;
  first_seen: Date;
  created_at: Date;
}

/**
 * Confirmed alerts no notice has taken yet, of cases still pursued (open or monitoring: a withdrawn,
 * closed or erased case sends nothing). `first_seen` is when the crawler first saw the media URL there.
 */
export async function selectPendingAlerts(sql: Sql, opts: { limit?: number; caseId?: string; staffUserId?: string } = {}): Promise<PendingAlertRow[]> {
  return sql.query<PendingAlertRow>(
    `SELECT a.id::text, a.notice_hold, a.case_id::text, c.code AS case_code, a.page_url, a.media_url,
            LEAST(a.created_at, COALESCE(m.first_seen, a.created_at)) AS first_seen, a.created_at
       FROM crawl_alerts a
       JOIN cases c ON c.id = a.case_id
       LEFT JOIN crawl_media m ON m.site_id = a.site_id AND m.media_url = a.media_url
      WHERE a.status = 'confirmed' AND a.notice_id IS NULL AND c.status IN ('open', 'monitoring')
        AND ($2::uuid IS NULL OR a.case_id = $2::uuid)
        AND ($3::uuid IS NULL OR EXISTS (SELECT 1 FROM case_staff s WHERE s.case_id = a.case_id AND s.user_id = $3::uuid))
      ORDER BY a.created_at, a.id LIMIT $1`,
    [opts.limit ?? 10_000, opts.caseId ?? null, opts.staffUserId ?? null],
  );
}

/** For each alert, the platforms whose (not cancelled) notices already list it. */
export async function selectAlertPlatforms(sql: Sql, alertIds: string[]): Promise<Array<{ alert_id: string; platform_id: string; notice_id: string }>> {
  if (alertIds.length === 0) return [];
  return sql.query(
    `SELECT i.alert_id::text, n.platform_id::text, n.id::text AS notice_id FROM notice_items i JOIN notices n ON n.id = i.notice_id
      WHERE i.alert_id = ANY($1::uuid[]) AND n.status <> 'cancelled'`,
    [alertIds],
  );
}

export async function selectOpenDraft(tx: Sql, caseId: string, platformId: string): Promise<NoticeRow | null> {
  const [row] = await tx.query<NoticeRow>(
    `SELECT ${NOTICE_COLUMNS} FROM ${NOTICE_FROM} WHERE n.case_id = $1 AND n.platform_id = $2 AND n.status = 'draft' AND n.kind = 'initial' FOR UPDATE OF n`,
    [caseId, platformId],
  );
  return row ?? null;
}

export async function insertNotice(
  tx: Sql,
  n: { caseId: string; platformId: string; kind: NoticeKind; language: NoticeLanguage; jurisdiction: Jurisdiction; channel: NoticeChannel; originalNoticeId?: string | null },
): Promise<NoticeRow> {
  const [{ id }] = await tx.query<{ id: string }>(
    `INSERT INTO notices (case_id, platform_id, kind, language, jurisdiction, channel, original_notice_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id::text`,
    [n.caseId, n.platformId, n.kind, n.language, n.jurisdiction, n.channel, n.originalNoticeId ?? null],
  );
  return (await selectNoticeById(tx, id))!;
}

/** A draft follows its platform's current language, jurisdiction and channel until it is approved. */
export async function refreshDraft(tx: Sql, id: string, f: { language: NoticeLanguage; jurisdiction: Jurisdiction; channel: NoticeChannel }): Promise<void> {
  await tx.query(
    `UPDATE notices SET language = $2, jurisdiction = $3, channel = $4, updated_at = now() WHERE id = $1 AND status = 'draft'`,
    [id, f.language, f.jurisdiction, f.channel],
  );
}

/** Every open draft of a platform follows a change of the platform. */
export async function refreshPlatformDrafts(tx: Sql, platformId: string, f: { language: NoticeLanguage; jurisdiction: Jurisdiction; channel: NoticeChannel }): Promise<number> {
  const rows = await tx.query(
    `UPDATE notices SET language = $2, jurisdiction = $3, channel = $4, updated_at = now() WHERE platform_id = $1 AND status = 'draft' RETURNING id`,
    [platformId, f.language, f.jurisdiction, f.channel],
  );
  return rows.length;
}

export interface NewNoticeItem {
  alertId: string;
  pageUrl: string | null;
  pageUrlWithheld: boolean;
  mediaUrl: string;
  firstSeen: Date;
}

/** Adds items; an alert already on the notice is left as it is. Returns how many were added. */
export async function insertNoticeItems(tx: Sql, noticeId: string, items: NewNoticeItem[]): Promise<number> {
  if (items.length === 0) return 0;
  const rows = await tx.query(
    `INSERT INTO notice_items (notice_id, alert_id, page_url, page_url_withheld, media_url, first_seen)
     SELECT $1, a, p, w, m, f FROM unnest($2::uuid[], $3::text[], $4::boolean[], $5::text[], $6::timestamptz[]) AS t(a, p, w, m, f)
     ON CONFLICT (notice_id, alert_id) DO NOTHING RETURNING alert_id`,
    [noticeId, items.map((i) => i.alertId), items.map((i) => i.pageUrl), items.map((i) => i.pageUrlWithheld), items.map((i) => i.mediaUrl), items.map((i) => i.firstSeen.toISOString())],
  );
  return rows.length;
}

/** Holds alerts back from drafting, with the reason. */
export async function holdAlerts(tx: Sql, alertIds: string[], reason: string): Promise<void> {
  if (alertIds.length === 0) return;
  await tx.query('UPDATE crawl_alerts SET notice_hold = $2 WHERE id = ANY($1::uuid[]) AND notice_hold IS NULL', [alertIds, reason]);
}

/** Marks alerts as taken by a notice (only those no notice took yet). */
export async function setAlertsNotice(tx: Sql, alertIds: string[], noticeId: string): Promise<void> {
  if (alertIds.length === 0) return;
  await tx.query('UPDATE crawl_alerts SET notice_id = $2 WHERE id = ANY($1::uuid[]) AND notice_id IS NULL', [alertIds, noticeId]);
}

export async function insertNoticeHistory(tx: Sql, noticeId: string, actor: string, event: string, detail: Record<string, unknown> = {}): Promise<void> {
  await tx.query('INSERT INTO notice_history (notice_id, actor, event, detail) VALUES ($1, $2, $3, $4::jsonb)', [noticeId, actor, event, JSON.stringify(detail)]);
}

/** Several history entries in one statement (a batch of approvals or deliveries). */
export async function insertNoticeHistories(tx: Sql, entries: ReadonlyArray<{ noticeId: string; actor: string; event: string; detail?: Record<string, unknown> }>): Promise<void> {
  if (entries.length === 0) return;
  await tx.query(
    `INSERT INTO notice_history (notice_id, actor, event, detail)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[])`,
    [entries.map((e) => e.noticeId), entries.map((e) => e.actor), entries.map((e) => e.event), entries.map((e) => JSON.stringify(e.detail ?? {}))],
  );
}

/** The latest escalation package (history event `escalation-package`) of each notice that has one. */
export async function selectEscalationPackages(sql: Sql, noticeIds: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
  if (noticeIds.length === 0) return new Map();
  const rows = await sql.query<{ notice_id: string; detail: Record<string, unknown> }>(
    `SELECT DISTINCT ON (notice_id) notice_id::text, detail FROM notice_history
      WHERE notice_id = ANY($1::uuid[]) AND event = 'escalation-package' ORDER BY notice_id, id DESC`,
    [noticeIds],
  );
  return new Map(rows.map((r) => [r.notice_id, r.detail]));
}

/** Notices by id, in no particular order (missing ids are left out). */
export async function selectNoticesByIds(sql: Sql, ids: readonly string[], opts: { forUpdate?: boolean } = {}): Promise<NoticeRow[]> {
  const valid = ids.filter((id) => /^[0-9a-f-]{36}$/i.test(id));
  if (valid.length === 0) return [];
  return sql.query<NoticeRow>(`SELECT ${NOTICE_COLUMNS} FROM ${NOTICE_FROM} WHERE n.id = ANY($1::uuid[]) ORDER BY n.id${opts.forUpdate ? ' FOR UPDATE OF n' : ''}`, [valid]);
}

/**
 * Approves drafts in one statement: each takes its platform's language, jurisdiction and channel as
 * they are now (what was approved is what goes out). Returns the ids that were still drafts.
 */
export async function approveDrafts(
  tx: Sql,
  drafts: ReadonlyArray<{ id: string; language: NoticeLanguage; jurisdiction: Jurisdiction; channel: NoticeChannel }>,
  by: { approvedBy: string | null; approvedByName: string },
): Promise<string[]> {
  if (drafts.length === 0) return [];
  const rows = await tx.query<{ id: string }>(
    `UPDATE notices n SET status = 'approved', approved_at = now(), approved_by = $5::uuid, approved_by_name = $6,
        language = d.language, jurisdiction = d.jurisdiction, channel = d.channel, updated_at = now()
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS d(id, language, jurisdiction, channel)
      WHERE n.id = d.id AND n.status = 'draft' RETURNING n.id::text`,
    [drafts.map((d) => d.id), drafts.map((d) => d.language), drafts.map((d) => d.jurisdiction), drafts.map((d) => d.channel), by.approvedBy, by.approvedByName],
  );
  return rows.map((r) => r.id);
}

/** Codes and statuses of cases by id. */
export async function selectCaseCodesAndStatuses(sql: Sql, caseIds: readonly string[]): Promise<Map<string, { code: string; status: string }>> {
  if (caseIds.length === 0) return new Map();
  const rows = await sql.query<{ id: string; code: string; status: string }>('SELECT id::text, code, status FROM cases WHERE id = ANY($1::uuid[])', [[...new Set(caseIds)]]);
  return new Map(rows.map((r) => [r.id, { code: r.code, status: r.status }]));
}

export async function selectNoticeById(sql: Sql, id: string, opts: { forUpdate?: boolean } = {}): Promise<NoticeRow | null> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
  const [row] = await sql.query<NoticeRow>(`SELECT ${NOTICE_COLUMNS} FROM ${NOTICE_FROM} WHERE n.id = $1${opts.forUpdate ? ' FOR UPDATE OF n' : ''}`, [id]);
  return row ?? null;
}

export async function selectNoticeByReference(sql: Sql, reference: string, opts: { forUpdate?: boolean } = {}): Promise<NoticeRow | null> {
  const [row] = await sql.query<NoticeRow>(`SELECT ${NOTICE_COLUMNS} FROM ${NOTICE_FROM} WHERE n.reference = $1${opts.forUpdate ? ' FOR UPDATE OF n' : ''}`, [reference.toUpperCase()]);
  return row ?? null;
}

export interface NoticeFilter {
  status?: NoticeStatus;
  platformId?: string;
  /** Staff see the notices of the cases they are assigned to. */
  staffUserId?: string;
  limit?: number;
}

export async function selectNotices(sql: Sql, f: NoticeFilter = {}): Promise<NoticeRow[]> {
  return sql.query<NoticeRow>(
    `SELECT ${NOTICE_COLUMNS} FROM ${NOTICE_FROM}
      WHERE ($1::text IS NULL OR n.status = $1) AND ($2::uuid IS NULL OR n.platform_id = $2::uuid)
        AND ($3::uuid IS NULL OR EXISTS (SELECT 1 FROM case_staff s WHERE s.case_id = n.case_id AND s.user_id = $3::uuid))
      ORDER BY n.created_at DESC, n.id LIMIT $4`,
    [f.status ?? null, f.platformId ?? null, f.staffUserId ?? null, f.limit ?? 1000],
  );
}

export async function selectNoticeItems(sql: Sql, noticeIds: string[]): Promise<NoticeItemRow[]> {
  if (noticeIds.length === 0) return [];
  return sql.query<NoticeItemRow>(
    `SELECT notice_id::text, alert_id::text, page_url, page_url_withheld, media_url, first_seen, added_at FROM notice_items
      WHERE notice_id = ANY($1::uuid[]) ORDER BY first_seen, media_url`,
    [noticeIds],
  );
}

export async function selectNoticeHistory(sql: Sql, noticeId: string): Promise<NoticeHistoryRow[]> {
  return sql.query<NoticeHistoryRow>(
    'SELECT id, notice_id::text, at, actor, event, detail FROM notice_history WHERE notice_id = $1 ORDER BY id',
    [noticeId],
  );
}

/**
 * Moves a notice from one of `from` to `to` (null when it was not in one of them: someone else moved it
 * first). `approved` records who approved; `sent` sets the deadline from the platform's hours.
 */
export async function updateNoticeStatus(
  tx: Sql,
  id: string,
  from: readonly NoticeStatus[],
  to: NoticeStatus,
  f: { approvedBy?: string | null; approvedByName?: string } = {},
): Promise<NoticeRow | null> {
  const rows = await tx.query<{ id: string }>(
    `UPDATE notices n SET status = $3, updated_at = now(),
        approved_at = CASE WHEN $3 = 'approved' THEN now() ELSE n.approved_at END,
        approved_by = CASE WHEN $3 = 'approved' THEN $4::uuid ELSE n.approved_by END,
        approved_by_name = CASE WHEN $3 = 'approved' THEN $5 ELSE n.approved_by_name END,
        sent_at = CASE WHEN $3 = 'sent' THEN now() ELSE n.sent_at END,
        deadline = CASE WHEN $3 = 'sent' THEN now() + make_interval(hours => (SELECT deadline_hours FROM platforms WHERE id = n.platform_id)) ELSE n.deadline END
      WHERE n.id = $1 AND n.status = ANY($2::text[]) RETURNING n.id::text`,
    [id, from, to, f.approvedBy ?? null, f.approvedByName ?? null],
  );
  return rows.length ? selectNoticeById(tx, id) : null;
}


/** Whether crawl_alerts records who decided on an alert (the review work's `decided_by`). */
/** Who confirmed the notice's alerts (null: confirmed on the command line, or automatically). */
export async function selectNoticeDeciders(sql: Sql, noticeId: string): Promise<Array<string | null>> {
  const rows = await sql.query<{ decided_by: string | null }>(
    'SELECT DISTINCT a.decided_by::text AS decided_by FROM notice_items i JOIN crawl_alerts a ON a.id = i.alert_id WHERE i.notice_id = $1',
    [noticeId],
  );
  return rows.map((r) => r.decided_by);
}

/** Whether a staff user is assigned to the notice's case. */
export async function isAssignedToNoticeCase(sql: Sql, noticeId: string, userId: string): Promise<boolean> {
  const rows = await sql.query('SELECT 1 FROM notices n JOIN case_staff s ON s.case_id = n.case_id WHERE n.id = $1 AND s.user_id = $2', [noticeId, userId]);
  return rows.length > 0;
}

export async function selectCaseCodeAndStatus(sql: Sql, caseId: string): Promise<{ code: string; status: string } | null> {
  const [row] = await sql.query<{ code: string; status: string }>('SELECT code, status FROM cases WHERE id = $1', [caseId]);
  return row ?? null;
}
