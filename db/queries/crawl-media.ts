/** Queries on media seen on sites (db/migrations/100-crawler.sql). */
import type { Fingerprint } from '../../hashing/types.ts';
import type { Sql } from '../sql.ts';

/**
 * Marks a media URL seen again on `pageUrl` now. Returns its fingerprint when an earlier download
 * produced one; null when it is new or its last attempt failed (then it is tried again).
 */
export async function touchMedia(sql: Sql, siteId: string, mediaUrl: string, pageUrl: string): Promise<{ sha256: string | null; fingerprint: Fingerprint | null } | null> {
  const [row] = await sql.query<{ sha256: string | null; fingerprint: Fingerprint | null }>(
    'UPDATE crawl_media SET last_seen = now(), last_page_url = $3 WHERE site_id = $1 AND media_url = $2 RETURNING sha256, fingerprint',
    [siteId, mediaUrl, pageUrl],
  );
  return row && row.fingerprint ? row : null;
}

export async function fingerprintBySha256(sql: Sql, sha256: string): Promise<Fingerprint | null> {
  const [row] = await sql.query<{ fingerprint: Fingerprint }>('SELECT fingerprint FROM crawl_media WHERE sha256 = $1 AND fingerprint IS NOT NULL LIMIT 1', [sha256]);
  return row?.fingerprint ?? null;
}

export interface MediaUpsert {
  siteId: string;
  pageUrl: string;
  mediaUrl: string;
  kind: string | null;
  sha256: string | null;
  byteSize: number | null;
  fingerprint: Fingerprint | null;
  error: string | null;
}

export async function upsertMedia(sql: Sql, m: MediaUpsert): Promise<void> {
  await sql.query(
    `INSERT INTO crawl_media (site_id, media_url, first_page_url, last_page_url, kind, sha256, byte_size, fingerprint, error)
     VALUES ($1, $2, $3, $3, $4, $5, $6, $7::jsonb, $8)
     ON CONFLICT (site_id, media_url) DO UPDATE SET last_seen = now(), last_page_url = EXCLUDED.last_page_url, kind = EXCLUDED.kind,
       sha256 = EXCLUDED.sha256, byte_size = EXCLUDED.byte_size, fingerprint = EXCLUDED.fingerprint, error = EXCLUDED.error`,
    [m.siteId, m.mediaUrl, m.pageUrl, m.kind, m.sha256, m.byteSize, m.fingerprint === null ? null : JSON.stringify(m.fingerprint), m.error],
  );
}

export interface MediaRow {
  media_url: string;
  first_page_url: string;
  last_page_url: string;
  kind: string | null;
  sha256: string | null;
  error: string | null;
  first_seen: Date;
  last_seen: Date;
}

export async function selectSiteMedia(sql: Sql, siteId: string): Promise<MediaRow[]> {
  return sql.query<MediaRow>(
    'SELECT media_url, first_page_url, last_page_url, kind, sha256, error, first_seen, last_seen FROM crawl_media WHERE site_id = $1 ORDER BY id',
    [siteId],
  );
}
