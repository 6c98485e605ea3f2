/**
 * A keep-it-down world straight in the data layer: a monitored case with registered material (real
 * fingerprints), a site on loopback (allow-host 127.0.0.1), platforms with an escalation chain, confirmed
 * alerts and notices sent to the platform. Time is moved by setting dates back, never by sleeping.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Sql } from '../../../db/sql.ts';
import { insertPlatform, type PlatformRow } from '../../../db/queries/platforms.ts';
import { insertNotice, insertNoticeItems, setAlertsNotice, updateNoticeStatus, type NoticeRow } from '../../../db/queries/notices.ts';
import { loadConfig } from '../../../services/platform/config.ts';
import type { ServiceContext } from '../../../services/platform/context.ts';
import { registerMaterial } from '../../crawler/support/registered-material.ts';

/**
 * A support centre's settings for notices sent over the test's SMTP sink, plus `extra` (durations,
 * automatic reminders/escalations, the RDAP service): the context the monitoring tests run under.
 */
export function centreContext(base: ServiceContext, o: { databaseUrl: string; dataDir: string; smtpUrl: string }, extra: Record<string, string>): ServiceContext {
  return {
    ...base,
    config: loadConfig({ dataDir: o.dataDir }, {
      DATABASE_URL: o.databaseUrl, STAYDOWN_MASTER_KEY: base.masterKey.toString('hex'), STAYDOWN_ORG_EMAIL: 'takedown@centre.example', STAYDOWN_ORG_NAME: 'Support Centre',
      STAYDOWN_PUBLIC_URL: 'https://staydown.example', STAYDOWN_SMTP_URL: o.smtpUrl, STAYDOWN_NOTICE_FROM: 'Support Centre <takedown@centre.example>',
      ...extra,
    }),
  };
}

export async function seedMonitoredCase(sql: Sql, masterKey: Buffer, files: Record<string, Buffer>) {
  return registerMaterial(sql, `C-MON-${randomBytes(3).toString('hex').toUpperCase()}`, files, masterKey);
}

export async function seedLoopbackSite(sql: Sql, origin: string): Promise<string> {
  const [s] = await sql.query<{ id: string }>(
    `INSERT INTO crawl_sites (name, start_urls, allow_hosts, min_interval_ms, concurrency) VALUES ($1, $2, '{127.0.0.1}', 0, 4) RETURNING id::text`,
    [`mon-${randomBytes(4).toString('hex')}`, [`${origin}/`]],
  );
  return s.id;
}

export async function seedPlatformRow(sql: Sql, o: { name?: string; kind?: 'site' | 'host' | 'registrar'; jurisdiction?: 'KR' | 'US' | 'EU' | 'OTHER'; escalateTo?: string | null; emails?: string[]; deadlineHours?: number } = {}): Promise<PlatformRow> {
  return insertPlatform(sql, randomUUID(), {
    name: o.name ?? `pf-${randomBytes(4).toString('hex')}`, domains: [], kind: o.kind ?? 'site', jurisdiction: o.jurisdiction ?? 'US', language: 'en',
    emails: o.emails ?? ['abuse@platform.example'], webhookUrl: null, webhookSecretEncrypted: null, formUrl: null, deadlineHours: o.deadlineHours ?? 48,
    escalateTo: o.escalateTo ?? null, userId: null,
  });
}

export async function seedConfirmed(sql: Sql, a: { caseId: string; materialId: string; siteId: string; pageUrl: string; mediaUrl: string; sha256?: string }): Promise<string> {
  const [row] = await sql.query<{ id: string }>(
    `INSERT INTO crawl_alerts (case_id, material_id, site_id, page_url, media_url, media_sha256, method, distance, status, decided_at, reupload)
     VALUES ($1, $2, $3, $4, $5, $6, 'pdq', 3, 'confirmed', now(), false) RETURNING id::text`,
    [a.caseId, a.materialId, a.siteId, a.pageUrl, a.mediaUrl, a.sha256 ?? randomBytes(32).toString('hex')],
  );
  return row.id;
}

/** A notice as delivery leaves it once sent: approved by a person, then sent (sent_at, deadline). */
export async function seedSent(sql: Sql, caseId: string, platform: PlatformRow, alertIds: string[]): Promise<NoticeRow> {
  return sql.transaction(async (tx) => {
    const n = await insertNotice(tx, { caseId, platformId: platform.id, kind: 'initial', language: 'en', jurisdiction: platform.jurisdiction, channel: 'email' });
    const alerts = await tx.query<{ id: string; page_url: string; media_url: string; created_at: Date }>('SELECT id::text, page_url, media_url, created_at FROM crawl_alerts WHERE id = ANY($1::uuid[])', [alertIds]);
    await insertNoticeItems(tx, n.id, alerts.map((a) => ({ alertId: a.id, pageUrl: a.page_url, pageUrlWithheld: false, mediaUrl: a.media_url, firstSeen: a.created_at })));
    await setAlertsNotice(tx, alertIds, n.id);
    await updateNoticeStatus(tx, n.id, ['draft'], 'approved', { approvedByName: 'test-staff' });
    await updateNoticeStatus(tx, n.id, ['approved'], 'sending');
    return (await updateNoticeStatus(tx, n.id, ['sending'], 'sent'))!;
  });
}

/** Sends a notice the way delivery would once it went out (approved or draft -> sent). */
export async function markSent(sql: Sql, noticeId: string): Promise<void> {
  await updateNoticeStatus(sql, noticeId, ['draft'], 'approved', { approvedByName: 'test-staff' });
  await updateNoticeStatus(sql, noticeId, ['approved'], 'sending');
  await updateNoticeStatus(sql, noticeId, ['sending'], 'sent');
}

/** Makes every check of these tracked URLs due now. */
export async function makeDue(sql: Sql, ids?: string[]): Promise<void> {
  await sql.query('UPDATE tracked_urls SET next_check_at = now() - interval \'1 second\', check_held_until = NULL WHERE ($1::uuid[] IS NULL OR id = ANY ($1)) AND next_check_at IS NOT NULL', [ids ?? null]);
}

/** Moves a tracked URL's notice (and its follow-up clocks) `ms` into the past. */
export async function backdate(sql: Sql, trackedId: string, ms: number): Promise<void> {
  await sql.query(
    `UPDATE tracked_urls SET notified_at = notified_at - $2::bigint * interval '1 millisecond',
        last_reminder_at = last_reminder_at - $2::bigint * interval '1 millisecond',
        last_escalation_at = last_escalation_at - $2::bigint * interval '1 millisecond' WHERE id = $1`,
    [trackedId, ms],
  );
}

export async function trackedRow(sql: Sql, alertId: string) {
  const [row] = await sql.query<{ id: string; state: string; next_check_at: Date | null; removed_at: Date | null; recheck_step: number; current_notice_id: string; reminders_sent: number; escalations_sent: number; unknown_streak: number }>(
    'SELECT id::text, state, next_check_at, removed_at, recheck_step, current_notice_id::text, reminders_sent, escalations_sent, unknown_streak FROM tracked_urls WHERE alert_id = $1',
    [alertId],
  );
  return row;
}
