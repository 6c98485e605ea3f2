/**
 * Queries of the delivery outbox, the response links and the platforms' answers
 * (db/migrations/200-takedown.sql, 210-delivery.sql).
 */
import type { Sql } from '../sql.ts';
import type { NoticeChannel, NoticeStatus } from './notices.ts';

export type PlatformAnswer = 'acknowledged' | 'removed' | 'refused' | 'need-info' | 'not-found';

/** A notice as the outbox sees it, locked for the claim. */
export interface OutboxRow {
  id: string;
  reference: string;
  case_id: string;
  platform_id: string;
  status: NoticeStatus;
  channel: NoticeChannel;
  attempts: number;
  next_attempt_at: Date | null;
  respond_token_sha256: string | null;
  respond_token_sealed: Buffer | null;
  respond_expires_at: Date | null;
  approved_at: Date | null;
  /** The database's clock, which leases and retry times are measured on. */
  now: Date;
}

const OUTBOX_COLUMNS = `n.id::text, n.reference, n.case_id::text, n.platform_id::text, n.status, n.channel, n.attempts, n.next_attempt_at,
  n.respond_token_sha256, n.respond_token_sealed, n.respond_expires_at, n.approved_at, now() AS now`;

/**
 * Due: approved and not waiting for a retry; failed with a retry time that has come; sending with a hold
 * that lapsed (its worker died). `email` false leaves e-mail notices out (no SMTP server configured).
 */
const DUE = `((n.status = 'approved' AND (n.next_attempt_at IS NULL OR n.next_attempt_at <= now()))
   OR (n.status = 'failed' AND n.next_attempt_at <= now())
   OR (n.status = 'sending' AND n.channel <> 'form' AND n.next_attempt_at <= now()))
  AND ($1::boolean OR n.channel <> 'email')`;

/** Locks one notice for a claim (null when it does not exist). */
export async function lockOutboxNotice(tx: Sql, id: string): Promise<OutboxRow | null> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
  const [row] = await tx.query<OutboxRow>(`SELECT ${OUTBOX_COLUMNS} FROM notices n WHERE n.id = $1 FOR UPDATE`, [id]);
  return row ?? null;
}

/** Locks up to `limit` due notices no other worker holds a lock on (SKIP LOCKED), oldest first. */
export async function lockDueNotices(tx: Sql, email: boolean, limit: number): Promise<OutboxRow[]> {
  return tx.query<OutboxRow>(
    `SELECT ${OUTBOX_COLUMNS} FROM notices n WHERE ${DUE} ORDER BY COALESCE(n.next_attempt_at, n.approved_at), n.id LIMIT $2 FOR UPDATE SKIP LOCKED`,
    [email, limit],
  );
}

export async function selectDueNoticeIds(sql: Sql, email: boolean, limit = 1000): Promise<string[]> {
  const rows = await sql.query<{ id: string }>(
    `SELECT n.id::text FROM notices n WHERE ${DUE} ORDER BY COALESCE(n.next_attempt_at, n.approved_at), n.id LIMIT $2`,
    [email, limit],
  );
  return rows.map((r) => r.id);
}

/** Stores a new response token (hash, sealed copy, expiry) on a notice that has none. */
export async function storeRespondToken(tx: Sql, id: string, sha256Hex: string, sealed: Buffer, expiresAt: Date): Promise<void> {
  await tx.query(
    `UPDATE notices SET respond_token_sha256 = $2, respond_token_sealed = $3, respond_expires_at = $4 WHERE id = $1 AND respond_token_sha256 IS NULL`,
    [id, sha256Hex, sealed, expiresAt],
  );
}

/** The claim: sending, one more attempt, held until the lease ends. Returns the attempt's number. */
export async function startAttempt(tx: Sql, id: string, leaseSeconds: number, messageId: string): Promise<number> {
  const [row] = await tx.query<{ attempts: number }>(
    `UPDATE notices SET status = 'sending', attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => $2),
        message_id = $3, updated_at = now() WHERE id = $1 RETURNING attempts`,
    [id, leaseSeconds, messageId],
  );
  return row.attempts;
}

export interface AttemptStart {
  id: string;
  messageId: string;
  /** A new response token for the notice (its first attempt, or a hash without its sealed copy), else null. */
  token: { sha256Hex: string; sealed: Buffer; expiresAt: Date } | null;
}

/**
 * The claim of a batch in one statement: each notice sending, one more attempt, held until the lease
 * ends, with its Message-ID and (when given) its new response token. Returns each notice's attempt number.
 */
export async function startAttempts(tx: Sql, starts: readonly AttemptStart[], leaseSeconds: number): Promise<Map<string, number>> {
  if (starts.length === 0) return new Map();
  const rows = await tx.query<{ id: string; attempts: number }>(
    `UPDATE notices n SET status = 'sending', attempts = n.attempts + 1, next_attempt_at = now() + make_interval(secs => $6),
        message_id = d.message_id, updated_at = now(),
        respond_token_sha256 = CASE WHEN d.sha IS NULL THEN n.respond_token_sha256 ELSE d.sha END,
        respond_token_sealed = CASE WHEN d.sha IS NULL THEN n.respond_token_sealed ELSE d.sealed END,
        respond_expires_at = CASE WHEN d.sha IS NULL THEN n.respond_expires_at ELSE d.expires END
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bytea[], $5::timestamptz[]) AS d(id, message_id, sha, sealed, expires)
      WHERE n.id = d.id RETURNING n.id::text, n.attempts`,
    [starts.map((s) => s.id), starts.map((s) => s.messageId), starts.map((s) => s.token?.sha256Hex ?? null), starts.map((s) => s.token?.sealed ?? null),
      starts.map((s) => s.token?.expiresAt ?? null), leaseSeconds],
  );
  return new Map(rows.map((r) => [r.id, r.attempts]));
}

/** markSent for a batch: the notices still `sending` are marked sent; returns those, with deadline and case code. */
export async function markSentMany(tx: Sql, ids: readonly string[]): Promise<Map<string, { deadline: Date; case_code: string }>> {
  if (ids.length === 0) return new Map();
  const rows = await tx.query<{ id: string; deadline: Date; case_code: string }>(
    `UPDATE notices n SET status = 'sent', sent_at = now(), deadline = now() + make_interval(hours => p.deadline_hours),
        last_error = NULL, next_attempt_at = NULL, updated_at = now()
       FROM platforms p WHERE n.id = ANY($1::uuid[]) AND p.id = n.platform_id AND n.status = 'sending'
     RETURNING n.id::text, n.deadline, (SELECT code FROM cases c WHERE c.id = n.case_id) AS case_code`,
    [ids],
  );
  return new Map(rows.map((r) => [r.id, { deadline: r.deadline, case_code: r.case_code }]));
}

/** The webhook allow-hosts of several platforms. */
export async function selectWebhookAllowHostsMany(sql: Sql, platformIds: readonly string[]): Promise<Map<string, string[]>> {
  if (platformIds.length === 0) return new Map();
  const rows = await sql.query<{ id: string; hosts: string[] }>('SELECT id::text, webhook_allow_hosts AS hosts FROM platforms WHERE id = ANY($1::uuid[])', [[...new Set(platformIds)]]);
  return new Map(rows.map((r) => [r.id, r.hosts ?? []]));
}

/** A web-form notice handed to staff: sending, with no hold (nothing to send again by machine). */
export async function awaitHandSubmission(tx: Sql, id: string): Promise<void> {
  await tx.query(`UPDATE notices SET status = 'sending', next_attempt_at = NULL, last_error = NULL, updated_at = now() WHERE id = $1`, [id]);
}

/** A notice that cannot go yet (no SMTP server configured): stays approved, with the reason. */
export async function noteNotSendable(sql: Sql, id: string, reason: string): Promise<void> {
  await sql.query(`UPDATE notices SET last_error = $2, next_attempt_at = NULL, updated_at = now() WHERE id = $1 AND status = 'approved'`, [id, reason]);
}

/**
 * Marks a notice that is still `sending` as sent in one statement: sent_at now, deadline = now + the
 * platform's hours (as updateNoticeStatus does), no error, nothing more to try. Returns the deadline and
 * the case code (for the audit entry), or null when the notice is no longer sending.
 */
export async function markSent(tx: Sql, id: string): Promise<{ deadline: Date; case_code: string } | null> {
  const [row] = await tx.query<{ deadline: Date; case_code: string }>(
    `UPDATE notices n SET status = 'sent', sent_at = now(), deadline = now() + make_interval(hours => p.deadline_hours),
        last_error = NULL, next_attempt_at = NULL, updated_at = now()
       FROM platforms p WHERE n.id = $1 AND p.id = n.platform_id AND n.status = 'sending'
     RETURNING n.deadline, (SELECT code FROM cases c WHERE c.id = n.case_id) AS case_code`,
    [id],
  );
  return row ?? null;
}

/** After a sent notice: no error, nothing more to try. */
export async function clearDelivery(tx: Sql, id: string): Promise<void> {
  await tx.query(`UPDATE notices SET last_error = NULL, next_attempt_at = NULL WHERE id = $1`, [id]);
}

/** A failed attempt: `retryAt` null when it is final. Only while the notice is still `sending`. */
export async function recordFailure(tx: Sql, id: string, error: string, retryAt: Date | null): Promise<boolean> {
  const rows = await tx.query(
    `UPDATE notices SET status = 'failed', last_error = $2, next_attempt_at = $3, updated_at = now() WHERE id = $1 AND status = 'sending' RETURNING id`,
    [id, error, retryAt],
  );
  return rows.length > 0;
}

export async function selectWebhookAllowHosts(sql: Sql, platformId: string): Promise<string[]> {
  const [row] = await sql.query<{ hosts: string[] }>('SELECT webhook_allow_hosts AS hosts FROM platforms WHERE id = $1', [platformId]);
  return row?.hosts ?? [];
}

export async function updateWebhookAllowHosts(sql: Sql, platformId: string, hosts: string[]): Promise<void> {
  await sql.query('UPDATE platforms SET webhook_allow_hosts = $2::text[], updated_at = now() WHERE id = $1', [platformId, hosts]);
}

export interface RespondTarget {
  id: string;
  reference: string;
  case_id: string;
  platform_id: string;
  status: NoticeStatus;
  channel: NoticeChannel;
  respond_token_sha256: string | null;
  respond_expires_at: Date | null;
  sent_at: Date | null;
  deadline: Date | null;
  platform_user_id: string | null;
}

const TARGET_COLUMNS = `n.id::text, n.reference, n.case_id::text, n.platform_id::text, n.status, n.channel, n.respond_token_sha256,
  n.respond_expires_at, n.sent_at, n.deadline, p.user_id::text AS platform_user_id`;

export async function selectNoticeByTokenHash(sql: Sql, sha256Hex: string, opts: { forUpdate?: boolean } = {}): Promise<RespondTarget | null> {
  const [row] = await sql.query<RespondTarget>(
    `SELECT ${TARGET_COLUMNS} FROM notices n JOIN platforms p ON p.id = n.platform_id WHERE n.respond_token_sha256 = $1${opts.forUpdate ? ' FOR UPDATE OF n' : ''}`,
    [sha256Hex],
  );
  return row ?? null;
}

/** Statuses a platform sees a notice in: it has been sent, or is going out to it by machine. */
const VISIBLE_TO_PLATFORM = `(n.status = 'sent' OR (n.status IN ('sending', 'failed') AND n.channel <> 'form' AND n.attempts > 0))`;

/** The notices of the platforms this account answers for. */
export async function selectPlatformAccountNotices(sql: Sql, userId: string, limit = 500): Promise<RespondTarget[]> {
  return sql.query<RespondTarget>(
    `SELECT ${TARGET_COLUMNS} FROM notices n JOIN platforms p ON p.id = n.platform_id
      WHERE p.user_id = $1 AND ${VISIBLE_TO_PLATFORM} ORDER BY n.created_at DESC, n.id LIMIT $2`,
    [userId, limit],
  );
}

/** One notice of the account's platforms (null for another platform's notice: the caller answers 404). */
export async function selectPlatformAccountNotice(sql: Sql, userId: string, idOrReference: string, opts: { forUpdate?: boolean } = {}): Promise<RespondTarget | null> {
  const byId = /^[0-9a-f-]{36}$/i.test(idOrReference);
  const [row] = await sql.query<RespondTarget>(
    `SELECT ${TARGET_COLUMNS} FROM notices n JOIN platforms p ON p.id = n.platform_id
      WHERE p.user_id = $1 AND ${byId ? 'n.id = $2::uuid' : 'n.reference = upper($2)'} AND ${VISIBLE_TO_PLATFORM}${opts.forUpdate ? ' FOR UPDATE OF n' : ''}`,
    [userId, idOrReference],
  );
  return row ?? null;
}

export interface ItemAnswerRow {
  alert_id: string;
  page_url: string | null;
  media_url: string;
  answer: PlatformAnswer | null;
  answered_at: Date | null;
}

export async function selectItemAnswers(sql: Sql, noticeId: string): Promise<ItemAnswerRow[]> {
  return sql.query<ItemAnswerRow>(
    'SELECT alert_id::text, page_url, media_url, answer, answered_at FROM notice_items WHERE notice_id = $1 ORDER BY first_seen, media_url',
    [noticeId],
  );
}

export async function setItemAnswers(tx: Sql, noticeId: string, alertIds: string[], answer: PlatformAnswer): Promise<void> {
  await tx.query(
    'UPDATE notice_items SET answer = $3, answered_at = now() WHERE notice_id = $1 AND alert_id = ANY($2::uuid[])',
    [noticeId, alertIds, answer],
  );
}

export interface ResponseRow {
  id: number;
  at: Date;
  via: 'link' | 'account';
  answer: PlatformAnswer;
  urls: string[];
  message: string | null;
}

export async function insertNoticeResponse(
  tx: Sql,
  r: { noticeId: string; via: 'link' | 'account'; userId: string | null; answer: PlatformAnswer; urls: string[]; message: string | null },
): Promise<number> {
  const [row] = await tx.query<{ id: number }>(
    'INSERT INTO notice_responses (notice_id, via, user_id, answer, urls, message) VALUES ($1, $2, $3, $4, $5::text[], $6) RETURNING id',
    [r.noticeId, r.via, r.userId, r.answer, r.urls, r.message],
  );
  return row.id;
}

export async function selectNoticeResponses(sql: Sql, noticeId: string): Promise<ResponseRow[]> {
  return sql.query<ResponseRow>('SELECT id, at, via, answer, urls, message FROM notice_responses WHERE notice_id = $1 ORDER BY id', [noticeId]);
}

/** The sealed response token of a notice (null before its first delivery attempt). */
export async function selectSealedRespondToken(sql: Sql, noticeId: string): Promise<Buffer | null> {
  const [row] = await sql.query<{ sealed: Buffer | null }>('SELECT respond_token_sealed AS sealed FROM notices WHERE id = $1', [noticeId]);
  return row?.sealed ?? null;
}

/** A failed notice made due now (staff asked to send it again). False when it is not failed. */
export async function makeFailedDue(tx: Sql, id: string): Promise<boolean> {
  const rows = await tx.query(`UPDATE notices SET next_attempt_at = now(), updated_at = now() WHERE id = $1 AND status = 'failed' RETURNING id`, [id]);
  return rows.length > 0;
}
