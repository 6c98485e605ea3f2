/** Queries on crawl target sites (db/migrations/100-crawler.sql). */
import type { Sql } from '../sql.ts';

export interface SiteRow {
  id: string;
  name: string;
  platform: string | null;
  start_urls: string[];
  search_url_template: string | null;
  follow: string[];
  max_depth: number;
  max_pages: number;
  engine: 'http' | 'browser';
  schedule: string | null;
  min_interval_ms: number;
  concurrency: number;
  allow_hosts: string[];
  robots: 'respect' | 'ignore';
  robots_override_reason: string | null;
  headers_encrypted: Buffer | null;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface NewSite {
  name: string;
  platform?: string | null;
  startUrls: string[];
  searchUrlTemplate?: string | null;
  follow?: string[];
  maxDepth?: number;
  maxPages?: number;
  engine?: 'http' | 'browser';
  schedule?: string | null;
  minIntervalMs?: number;
  concurrency?: number;
  allowHosts?: string[];
  robots?: 'respect' | 'ignore';
  robotsOverrideReason?: string | null;
  headersEncrypted?: Buffer | null;
}

export async function insertSite(sql: Sql, s: NewSite): Promise<SiteRow> {
  const [row] = await sql.query<SiteRow>(
    `INSERT INTO crawl_sites (name, platform, start_urls, search_url_template, follow, max_depth, max_pages, engine, schedule,
       min_interval_ms, concurrency, allow_hosts, robots, robots_override_reason, headers_encrypted)
     VALUES ($1, $2, $3::text[], $4, $5::text[], coalesce($6, 3), coalesce($7, 500), coalesce($8, 'http'), $9,
       coalesce($10, 200), coalesce($11, 2), $12::text[], coalesce($13, 'respect'), $14, $15)
     RETURNING *`,
    [s.name, s.platform ?? null, s.startUrls, s.searchUrlTemplate ?? null, s.follow ?? [], s.maxDepth ?? null, s.maxPages ?? null, s.engine ?? null,
      s.schedule ?? null, s.minIntervalMs ?? null, s.concurrency ?? null, s.allowHosts ?? [], s.robots ?? null, s.robotsOverrideReason ?? null, s.headersEncrypted ?? null],
  );
  return row;
}

export async function selectSites(sql: Sql, opts: { enabledOnly?: boolean } = {}): Promise<SiteRow[]> {
  return sql.query<SiteRow>(`SELECT * FROM crawl_sites ${opts.enabledOnly ? 'WHERE enabled' : ''} ORDER BY name`);
}

export async function selectSiteByName(sql: Sql, name: string): Promise<SiteRow | null> {
  const [row] = await sql.query<SiteRow>('SELECT * FROM crawl_sites WHERE name = $1', [name]);
  return row ?? null;
}

export async function selectSiteById(sql: Sql, id: string): Promise<SiteRow | null> {
  const [row] = await sql.query<SiteRow>('SELECT * FROM crawl_sites WHERE id = $1', [id]);
  return row ?? null;
}

export async function disableSite(sql: Sql, name: string): Promise<SiteRow | null> {
  const [row] = await sql.query<SiteRow>('UPDATE crawl_sites SET enabled = false, updated_at = now() WHERE name = $1 RETURNING *', [name]);
  return row ?? null;
}

/** Replaces a site's settings (the name stays: sealed headers are bound to it); `headers` undefined keeps them. */
export async function updateSite(sql: Sql, id: string, s: Omit<NewSite, 'name'> & { enabled?: boolean }): Promise<SiteRow | null> {
  const [row] = await sql.query<SiteRow>(
    `UPDATE crawl_sites SET platform = $2, start_urls = $3::text[], search_url_template = $4, follow = $5::text[], max_depth = coalesce($6, max_depth),
       max_pages = coalesce($7, max_pages), engine = coalesce($8, engine), schedule = $9, min_interval_ms = coalesce($10, min_interval_ms),
       concurrency = coalesce($11, concurrency), allow_hosts = $12::text[], robots = coalesce($13, robots), robots_override_reason = $14,
       headers_encrypted = CASE WHEN $15 THEN $16 ELSE headers_encrypted END, enabled = coalesce($17, enabled), updated_at = now()
     WHERE id = $1 RETURNING *`,
    [id, s.platform ?? null, s.startUrls, s.searchUrlTemplate ?? null, s.follow ?? [], s.maxDepth ?? null, s.maxPages ?? null, s.engine ?? null,
      s.schedule ?? null, s.minIntervalMs ?? null, s.concurrency ?? null, s.allowHosts ?? [], s.robots ?? null, s.robotsOverrideReason ?? null,
      s.headersEncrypted !== undefined, s.headersEncrypted ?? null, s.enabled ?? null],
  );
  return row ?? null;
}
