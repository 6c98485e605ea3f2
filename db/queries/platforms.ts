/** Queries on platforms, the recipients of takedown notices (db/migrations/200-takedown.sql). */
import type { Sql } from '../sql.ts';

export type PlatformKind = 'site' | 'host' | 'registrar' | 'search-engine' | 'regulator';
export type Jurisdiction = 'KR' | 'US' | 'EU' | 'OTHER';
export type NoticeLanguage = 'ko' | 'en';

export interface PlatformRow {
  id: string;
  name: string;
  domains: string[];
  kind: PlatformKind;
  jurisdiction: Jurisdiction;
  language: NoticeLanguage;
  emails: string[];
  webhook_url: string | null;
  webhook_secret_encrypted: Buffer | null;
  form_url: string | null;
  deadline_hours: number;
  escalate_to: string | null;
  /** The name of the platform escalate_to points at. */
  escalate_to_name: string | null;
  user_id: string | null;
  /** Hosts of the webhook URL allowed although their address is not public (210-delivery.sql). */
  webhook_allow_hosts: string[];
  created_at: Date;
  updated_at: Date;
}

export interface PlatformFields {
  name: string;
  domains: string[];
  kind: PlatformKind;
  jurisdiction: Jurisdiction;
  language: NoticeLanguage;
  emails: string[];
  webhookUrl: string | null;
  webhookSecretEncrypted: Buffer | null;
  formUrl: string | null;
  /** null: the jurisdiction's default (the table's trigger sets it). */
  deadlineHours: number | null;
  escalateTo: string | null;
  userId: string | null;
  /** Default none. */
  webhookAllowHosts?: string[];
}

const COLUMNS = `p.id::text, p.name, p.domains, p.kind, p.jurisdiction, p.language, p.emails, p.webhook_url, p.webhook_secret_encrypted,
  p.form_url, p.deadline_hours, p.escalate_to::text, e.name AS escalate_to_name, p.user_id::text, p.webhook_allow_hosts, p.created_at, p.updated_at`;
const FROM = 'platforms p LEFT JOIN platforms e ON e.id = p.escalate_to';

export async function insertPlatform(sql: Sql, id: string, f: PlatformFields): Promise<PlatformRow> {
  await sql.query(
    `INSERT INTO platforms (id, name, domains, kind, jurisdiction, language, emails, webhook_url, webhook_secret_encrypted, form_url, deadline_hours, escalate_to, user_id, webhook_allow_hosts)
     VALUES ($1, $2, $3::text[], $4, $5, $6, $7::text[], $8, $9, $10, $11, $12, $13, $14::text[])`,
    [id, f.name, f.domains, f.kind, f.jurisdiction, f.language, f.emails, f.webhookUrl, f.webhookSecretEncrypted, f.formUrl, f.deadlineHours, f.escalateTo, f.userId, f.webhookAllowHosts ?? []],
  );
  return (await selectPlatformById(sql, id))!;
}

/** Replaces every field (the caller merged the change into the current record). */
export async function updatePlatform(sql: Sql, id: string, f: PlatformFields & { deadlineHours: number }): Promise<PlatformRow> {
  await sql.query(
    `UPDATE platforms SET name = $2, domains = $3::text[], kind = $4, jurisdiction = $5, language = $6, emails = $7::text[], webhook_url = $8,
       webhook_secret_encrypted = $9, form_url = $10, deadline_hours = $11, escalate_to = $12, user_id = $13,
       webhook_allow_hosts = $14::text[], updated_at = now()
     WHERE id = $1`,
    [id, f.name, f.domains, f.kind, f.jurisdiction, f.language, f.emails, f.webhookUrl, f.webhookSecretEncrypted, f.formUrl, f.deadlineHours, f.escalateTo, f.userId, f.webhookAllowHosts ?? []],
  );
  return (await selectPlatformById(sql, id))!;
}

export async function selectPlatforms(sql: Sql): Promise<PlatformRow[]> {
  return sql.query<PlatformRow>(`SELECT ${COLUMNS} FROM ${FROM} ORDER BY lower(p.name)`);
}

export async function selectPlatformById(sql: Sql, id: string): Promise<PlatformRow | null> {
  const [row] = await sql.query<PlatformRow>(`SELECT ${COLUMNS} FROM ${FROM} WHERE p.id = $1`, [id]);
  return row ?? null;
}

/** Names are unique regardless of case. */
/** Platforms by id (missing ids are left out). */
export async function selectPlatformsByIds(sql: Sql, ids: readonly string[]): Promise<PlatformRow[]> {
  if (ids.length === 0) return [];
  return sql.query<PlatformRow>(`SELECT ${COLUMNS} FROM ${FROM} WHERE p.id = ANY($1::uuid[])`, [[...new Set(ids)]]);
}

export async function selectPlatformByName(sql: Sql, name: string, opts: { forUpdate?: boolean } = {}): Promise<PlatformRow | null> {
  const [row] = await sql.query<PlatformRow>(
    `SELECT ${COLUMNS} FROM ${FROM} WHERE lower(p.name) = lower($1)${opts.forUpdate ? ' FOR UPDATE OF p' : ''}`,
    [name],
  );
  return row ?? null;
}

/** Platforms that list any of `domains` exactly (a domain belongs to one platform). */
export async function selectPlatformsWithDomains(sql: Sql, domains: string[]): Promise<Array<{ id: string; name: string; domain: string }>> {
  return sql.query(
    `SELECT p.id::text, p.name, d AS domain FROM platforms p, unnest(p.domains) d WHERE d = ANY($1::text[]) ORDER BY p.name, d`,
    [domains],
  );
}

/** Sets only the escalation target (accepting a proposed chain); the CHECK refuses a platform escalating to itself. */
export async function setPlatformEscalateTo(sql: Sql, id: string, escalateTo: string): Promise<void> {
  await sql.query('UPDATE platforms SET escalate_to = $2, updated_at = now() WHERE id = $1', [id, escalateTo]);
}
