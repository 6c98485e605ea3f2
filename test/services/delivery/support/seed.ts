/**
 * Notices straight into the data layer for delivery tests: a case, confirmed alerts on a site, a
 * platform on the chosen channel (its webhook secret sealed as the service seals it), and an approved
 * notice listing the alerts. The end-to-end test goes the whole way instead (crawl, review, drafting).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Sql } from '../../../../db/sql.ts';
import { insertPlatform, type PlatformRow } from '../../../../db/queries/platforms.ts';
import { insertNotice, insertNoticeItems, setAlertsNotice, updateNoticeStatus, type NoticeChannel, type NoticeRow } from '../../../../db/queries/notices.ts';
import { storeRespondToken, updateWebhookAllowHosts } from '../../../../db/queries/delivery.ts';
import { newRespondToken } from '../../../../services/delivery/respond-tokens.ts';
import { encrypt } from '../../../../services/platform/crypto.ts';

let seq = 0;

export async function seedCase(sql: Sql): Promise<{ id: string; code: string }> {
  const code = `C-DLV-${randomBytes(4).toString('hex')}`;
  const [c] = await sql.query<{ id: string }>(`INSERT INTO cases (code, status) VALUES ($1, 'open') RETURNING id::text`, [code]);
  return { id: c.id, code };
}

export async function seedAlerts(sql: Sql, caseId: string, urls: string[]): Promise<string[]> {
  const [m] = await sql.query<{ id: string }>(
    `INSERT INTO material (case_id, kind, sha256, md5, fingerprint, byte_size) VALUES ($1, 'image', $2, $3, '{}'::jsonb, 1) RETURNING id::text`,
    [caseId, randomBytes(32).toString('hex'), randomBytes(16).toString('hex')],
  );
  const [site] = await sql.query<{ id: string }>(`INSERT INTO crawl_sites (name, start_urls) VALUES ($1, ARRAY['https://board.example/']) RETURNING id::text`, [`site-${randomBytes(4).toString('hex')}`]);
  const ids: string[] = [];
  for (const u of urls) {
    const [a] = await sql.query<{ id: string }>(
      `INSERT INTO crawl_alerts (case_id, material_id, site_id, page_url, media_url, media_sha256, method, distance, status, decided_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'pdq', 3, 'confirmed', now()) RETURNING id::text`,
      [caseId, m.id, site.id, `${u}.html`, u, randomBytes(32).toString('hex')],
    );
    ids.push(a.id);
  }
  return ids;
}

export interface PlatformSeed {
  channel: NoticeChannel;
  emails?: string[];
  webhookUrl?: string;
  webhookSecret?: string;
  allowHosts?: string[];
  formUrl?: string;
  userId?: string | null;
  deadlineHours?: number;
}

export async function seedPlatform(sql: Sql, masterKey: Buffer, p: PlatformSeed): Promise<PlatformRow> {
  const id = randomUUID();
  const row = await insertPlatform(sql, id, {
    name: `platform-${++seq}-${randomBytes(3).toString('hex')}`,
    domains: [],
    kind: 'site',
    jurisdiction: 'US',
    language: 'en',
    emails: p.emails ?? (p.channel === 'email' ? ['abuse@platform.example'] : []),
    webhookUrl: p.webhookUrl ?? null,
    webhookSecretEncrypted: p.webhookSecret ? encrypt(masterKey, Buffer.from(p.webhookSecret, 'utf8'), `platform:${id}:webhook-secret`) : null,
    formUrl: p.formUrl ?? null,
    deadlineHours: p.deadlineHours ?? 48,
    escalateTo: null,
    userId: p.userId ?? null,
  });
  if (p.allowHosts) await updateWebhookAllowHosts(sql, id, p.allowHosts);
  return row;
}

/** An approved notice of `platform` for the case, listing the alerts. */
export async function seedApprovedNotice(sql: Sql, caseId: string, platform: PlatformRow, channel: NoticeChannel, alertIds: string[]): Promise<NoticeRow> {
  return sql.transaction(async (tx) => {
    const n = await insertNotice(tx, { caseId, platformId: platform.id, kind: 'initial', language: 'en', jurisdiction: 'US', channel });
    const alerts = await tx.query<{ id: string; page_url: string; media_url: string; created_at: Date }>('SELECT id::text, page_url, media_url, created_at FROM crawl_alerts WHERE id = ANY($1::uuid[])', [alertIds]);
    await insertNoticeItems(tx, n.id, alerts.map((a) => ({ alertId: a.id, pageUrl: a.page_url, pageUrlWithheld: false, mediaUrl: a.media_url, firstSeen: a.created_at })));
    await setAlertsNotice(tx, alertIds, n.id);
    return (await updateNoticeStatus(tx, n.id, ['draft'], 'approved', { approvedByName: 'test-staff' }))!;
  });
}

/**
 * A notice as it is once sent (for the API tests): approved, sending, sent, with a response token whose
 * link is returned. `expired` makes the link's expiry already past.
 */
export async function seedSentNotice(sql: Sql, masterKey: Buffer, opts: { userId?: string | null; urls?: string[]; expired?: boolean } = {}): Promise<{ notice: NoticeRow; platform: PlatformRow; token: string; caseCode: string }> {
  const c = await seedCase(sql);
  const alerts = await seedAlerts(sql, c.id, opts.urls ?? [`https://board.example/sent-${randomBytes(3).toString('hex')}.jpg`]);
  const platform = await seedPlatform(sql, masterKey, { channel: 'email', userId: opts.userId ?? null });
  const approved = await seedApprovedNotice(sql, c.id, platform, 'email', alerts);
  const t = newRespondToken(30);
  const expiresAt = opts.expired ? new Date(Date.now() - 60_000) : t.expiresAt;
  await storeRespondToken(sql, approved.id, t.sha256.toString('hex'), encrypt(masterKey, Buffer.from(t.token), `notice:${approved.id}:respond-token`), expiresAt);
  await updateNoticeStatus(sql, approved.id, ['approved'], 'sending');
  const notice = (await updateNoticeStatus(sql, approved.id, ['sending'], 'sent'))!;
  return { notice, platform, token: t.token, caseCode: c.code };
}
