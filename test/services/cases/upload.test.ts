/** Uploads through the API: the size cap refuses a file without keeping any of it; known URLs are stored encrypted. */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { useTestDatabase } from '../../support/db.ts';
import { useTempDir } from '../../support/tmp.ts';
import { ADMIN, serviceContext } from '../../support/service.ts';
import { multipartBody } from '../../support/multipart.ts';
import { syntheticPhoto } from '../../support/images.ts';
import { buildApi } from '../../../services/http/server.ts';
import { issueToken, addUser } from '../../../services/accounts/accounts.ts';
import { openCase } from '../../../services/cases/cases.ts';
import { uploadDir, type ServiceContext } from '../../../services/platform/context.ts';

const db = useTestDatabase('upload');
const tmp = useTempDir('upload');
let ctx: ServiceContext;
let app: FastifyInstance;
let token: string;
let image: Buffer;

beforeAll(async () => {
  const base = await serviceContext(db(), join(tmp(), 'data'));
  image = await syntheticPhoto(77);
  // A cap between the small image and a large one.
  ctx = { ...base, config: Object.freeze({ ...base.config, maxUploadBytes: image.length + 10 }) };
  mkdirSync(uploadDir(ctx.config), { recursive: true });
  app = await buildApi(ctx);
  const staff = await addUser(ctx.sql, ADMIN, { name: 'uploader', role: 'staff' });
  token = (await issueToken(ctx.sql, ADMIN, staff.user.id)).token;
});

async function upload(code: string, parts: Parameters<typeof multipartBody>[0]) {
  const { body, contentType } = multipartBody(parts);
  return app.inject({ method: 'POST', url: `/api/v1/cases/${code}/material`, payload: body, headers: { authorization: `Bearer ${token}`, 'content-type': contentType } });
}

describe('material upload', () => {
  it('registers a file with its known URLs (stored encrypted) and keeps no upload file', async () => {
    const staffId = (await ctx.sql.query<{ id: string }>(`SELECT id::text FROM users WHERE name = 'uploader'`))[0].id;
    const c = await openCase(ctx, { userId: staffId, name: 'uploader', role: 'staff', source: 'test' });
    const res = await upload(c.code, [{ name: 'url', value: 'https://board.example/thread/42' }, { name: 'file', filename: 'a.jpg', data: image, type: 'image/jpeg' }]);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().material).toEqual([expect.objectContaining({ kind: 'image', duplicate: false })]);
    const urls = await ctx.sql.query<{ url_encrypted: Buffer }>('SELECT url_encrypted FROM material_urls');
    expect(urls).toHaveLength(1);
    expect(urls[0].url_encrypted.includes(Buffer.from('board.example'))).toBe(false);
    expect(readdirSync(uploadDir(ctx.config))).toEqual([]);
  });

  it('refuses a file over the size cap with 413, storing nothing and leaving no upload file', async () => {
    const staffId = (await ctx.sql.query<{ id: string }>(`SELECT id::text FROM users WHERE name = 'uploader'`))[0].id;
    const c = await openCase(ctx, { userId: staffId, name: 'uploader', role: 'staff', source: 'test' });
    const big = await syntheticPhoto(78, 1600, 1200);
    expect(big.length).toBeGreaterThan(ctx.config.maxUploadBytes);
    const res = await upload(c.code, [{ name: 'file', filename: 'big.jpg', data: big, type: 'image/jpeg' }]);
    expect(res.statusCode, res.body).toBe(413);
    expect(res.json().error.code).toBe('payload_too_large');
    const rows = await ctx.sql.query('SELECT 1 FROM material m JOIN cases c ON c.id = m.case_id WHERE c.code = $1', [c.code]);
    expect(rows).toEqual([]);
    expect(readdirSync(uploadDir(ctx.config))).toEqual([]);
  });

  it('answers a JSON body on the upload endpoint with 415', async () => {
    const c = await openCase(ctx, ADMIN);
    const res = await app.inject({ method: 'POST', url: `/api/v1/cases/${c.code}/material`, payload: { file: 'x' }, headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(415);
    expect(res.json().error.code).toBe("unsupported_media_type");
  });
});
