/** Fixtures for the takedown tests: confirmed alerts without a crawl, and a fixture RDAP server on loopback. */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Sql } from '../../db/sql.ts';

/** A confirmed alert of the case (a material row and a site are made for it). Returns the alert id. */
export async function seedConfirmedAlert(sql: Sql, caseCode: string, a: { pageUrl: string; mediaUrl: string; status?: string; firstSeen?: Date }): Promise<string> {
  const [c] = await sql.query<{ id: string }>('SELECT id::text FROM cases WHERE code = $1', [caseCode]);
  if (!c) throw new Error(`no case ${caseCode}`);
  const [site] = await sql.query<{ id: string }>(
    `INSERT INTO crawl_sites (name, start_urls) VALUES ('seed-site', '{https://seed.example/}')
     ON CONFLICT (name) DO UPDATE SET updated_at = now() RETURNING id::text`,
  );
  const sha = createHash('sha256').update(randomBytes(16)).digest('hex');
  const [m] = await sql.query<{ id: string }>(
    `INSERT INTO material (case_id, kind, sha256, md5, fingerprint, byte_size) VALUES ($1, 'image', $2, $3, '{}'::jsonb, 1) RETURNING id::text`,
    [c.id, sha, sha.slice(0, 32)],
  );
  const [alert] = await sql.query<{ id: string }>(
    // A decided alert says when (and a rejected one why): the review's constraint (150-review.sql).
    `INSERT INTO crawl_alerts (case_id, material_id, site_id, page_url, media_url, media_sha256, method, distance, status, created_at, decided_at, reject_reason)
     VALUES ($1, $2, $3, $4, $5, $6, 'pdq', 4, $7, $8, CASE WHEN $7 = 'new' THEN NULL ELSE $8::timestamptz END, CASE WHEN $7 = 'rejected' THEN 'seeded' END) RETURNING id::text`,
    [c.id, m.id, site.id, a.pageUrl, a.mediaUrl, sha, a.status ?? 'confirmed', (a.firstSeen ?? new Date()).toISOString()],
  );
  return alert.id;
}

export interface RdapFixture {
  url: string;
  /** The paths asked, in order. */
  requests: string[];
  close(): Promise<void>;
}

/** An RDAP server on 127.0.0.1 answering `domain/NAME` from `answers[NAME]` and `ip/ADDR` from `answers['ip/ADDR']` (404 for the rest). */
export async function startRdapFixture(answers: Record<string, unknown>): Promise<RdapFixture> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const m = /^\/(domain|ip)\/([^/?]+)$/.exec(req.url ?? '');
    const body = m ? answers[m[1] === 'ip' ? `ip/${decodeURIComponent(m[2])}` : decodeURIComponent(m[2])] : undefined;
    if (body === undefined) {
      res.writeHead(404, { 'content-type': 'application/rdap+json' }).end(JSON.stringify({ errorCode: 404, title: 'not found' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/rdap+json' }).end(typeof body === 'string' ? body : JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  // close() drops kept-alive connections too: an idle client's socket would otherwise hold it open.
  return { url: `http://127.0.0.1:${port}/`, requests, close: () => new Promise((r) => { server.close(() => r()); server.closeAllConnections(); }) };
}

/** An RDAP domain answer with the abuse contact nested inside the registrar entity (as most registrars give it). */
export function rdapDomainAnswer(domain: string, abuseEmail: string | null, registrar = 'Example Registrar, Inc.'): object {
  return {
    objectClassName: 'domain',
    ldhName: domain,
    entities: [
      {
        objectClassName: 'entity',
        roles: ['registrar'],
        vcardArray: ['vcard', [['version', {}, 'text', '4.0'], ['fn', {}, 'text', registrar]]],
        entities: abuseEmail
          ? [{ objectClassName: 'entity', roles: ['abuse'], vcardArray: ['vcard', [['version', {}, 'text', '4.0'], ['fn', {}, 'text', 'Abuse desk'], ['email', {}, 'text', abuseEmail], ['tel', { type: 'voice' }, 'uri', 'tel:+1.5555550100']]] }]
          : [],
      },
      { objectClassName: 'entity', roles: ['registrant'], vcardArray: ['vcard', [['version', {}, 'text', '4.0'], ['fn', {}, 'text', 'REDACTED'], ['email', {}, 'text', 'registrant@not-abuse.example']]] },
    ],
  };
}
