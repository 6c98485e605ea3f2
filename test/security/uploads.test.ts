/**
 * Uploads say exactly what happened (issue 14, item 3): each file's outcome in both orders, `url`
 * fields in any order and readable back by staff, precise errors instead of a misleading 413; and the
 * API's answers are never cacheable, with the error body and real statuses in the OpenAPI document.
 */
import { mkdirSync, readdirSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { useTestDatabase } from '../support/db.ts';
import { useTempDir } from '../support/tmp.ts';
import { ADMIN, serviceContext } from '../support/service.ts';
import { multipartBody } from '../support/multipart.ts';
import { syntheticPhoto } from '../support/images.ts';
import { buildApi, routes } from '../../services/http/server.ts';
import { addUser, issueToken } from '../../services/accounts/accounts.ts';
import { openCase } from '../../services/cases/cases.ts';
import { sweepUploads } from '../../services/cases/upload.ts';
import { casesJobs } from '../../services/cases/jobs.ts';
import { uploadDir, type ServiceContext } from '../../services/platform/context.ts';
import type { Actor } from '../../services/platform/audit.ts';

const db = useTestDatabase('sec_uploads');
const tmp = useTempDir('secup');
let ctx: ServiceContext;
let app: FastifyInstance;
let token: string;
let staff: Actor;
let images: Buffer[];
const junk = Buffer.from('this is not an image or a video, just text pretending to be one');

beforeAll(async () => {
  ctx = await serviceContext(db(), join(tmp(), 'data'));
  mkdirSync(uploadDir(ctx.config), { recursive: true });
  app = await buildApi(ctx);
  const s = await addUser(ctx.sql, ADMIN, { name: 'up-staff', role: 'staff' });
  staff = { userId: s.user.id, name: s.user.name, role: 'staff', source: 'test' };
  token = (await issueToken(ctx.sql, ADMIN, s.user.id)).token;
  images = await Promise.all([31, 32, 33, 34].map((seed) => syntheticPhoto(seed)));
});

type Part = Parameters<typeof multipartBody>[0][number];
const file = (data: Buffer, name = 'x.jpg'): Part => ({ name: 'file', filename: name, data, type: 'image/jpeg' });
async function upload(code: string, parts: Part[]) {
  const { body, contentType } = multipartBody(parts);
  return app.inject({ method: 'POST', url: `/api/v1/cases/${code}/material`, payload: body, headers: { authorization: `Bearer ${token}`, 'content-type': contentType } });
}
async function materialCount(code: string): Promise<number> {
  return (await ctx.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM material m JOIN cases c ON c.id = m.case_id WHERE c.code = $1', [code]))[0].n;
}

describe('per-file outcomes', () => {
  it('good then bad: 207, the good file registered with its id, the bad one with its error', async () => {
    const c = await openCase(ctx, staff);
    const res = await upload(c.code, [file(images[0]), file(junk, 'junk.jpg')]);
    expect(res.statusCode, res.body).toBe(207);
    const body = res.json();
    expect(body.status).toBe('partial');
    expect(body.results).toEqual([
      { index: 0, outcome: 'registered', material: expect.objectContaining({ id: expect.any(String), kind: 'image' }) },
      { index: 1, outcome: 'failed', error: { code: 'unprocessable', message: expect.any(String) } },
    ]);
    expect(body.material.map((m: { id: string }) => m.id)).toEqual([body.results[0].material.id]);
    expect(await materialCount(c.code)).toBe(1);
    expect(res.body).not.toContain('junk.jpg');
  });

  it('bad then good: the same outcomes in the order sent', async () => {
    const c = await openCase(ctx, staff);
    const res = await upload(c.code, [file(junk), file(images[1])]);
    expect(res.statusCode, res.body).toBe(207);
    expect(res.json().results.map((r: { outcome: string }) => r.outcome)).toEqual(['failed', 'registered']);
    expect(await materialCount(c.code)).toBe(1);
  });

  it('all good: 201; all bad: the failure\'s status with the error body and the results', async () => {
    const c = await openCase(ctx, staff);
    const ok = await upload(c.code, [file(images[2]), file(images[2])]);
    expect(ok.statusCode).toBe(201);
    expect(ok.json().results.map((r: { outcome: string }) => r.outcome)).toEqual(['registered', 'duplicate']);
    const bad = await upload(c.code, [file(junk), file(junk)]);
    expect(bad.statusCode).toBe(422);
    expect(bad.json()).toMatchObject({ error: { code: 'unprocessable', requestId: expect.any(String) }, status: 'failed', results: [{ outcome: 'failed' }, { outcome: 'failed' }] });
    expect(readdirSync(uploadDir(ctx.config))).toEqual([]);
  });
});

describe('known URLs', () => {
  it('url fields count wherever they stand, and staff read them back decrypted (the read audited)', async () => {
    const c = await openCase(ctx, staff);
    const res = await upload(c.code, [
      { name: 'url', value: 'https://board.example/before' }, file(images[3]), { name: 'url', value: 'https://board.example/after' },
    ]);
    expect(res.statusCode, res.body).toBe(201);
    const id = res.json().material[0].id;
    const read = await app.inject({ method: 'GET', url: `/api/v1/cases/${c.code}/urls`, headers: { authorization: `Bearer ${token}` } });
    expect(read.statusCode).toBe(200);
    expect(read.json().items.map((u: { url: string; materialId: string }) => [u.materialId, u.url]).sort()).toEqual([
      [id, 'https://board.example/after'], [id, 'https://board.example/before'],
    ]);
    const audit = await ctx.sql.query<{ detail: { count: number } }>(`SELECT detail FROM audit_log WHERE action = 'material.urls.read' AND case_code = $1`, [c.code]);
    expect(audit).toEqual([{ detail: { count: 2 } }]);
    expect(JSON.stringify(await ctx.sql.query('SELECT * FROM audit_log'))).not.toContain('board.example');
  });

  it('a bad url anywhere refuses the request before any file is registered', async () => {
    const c = await openCase(ctx, staff);
    const res = await upload(c.code, [file(images[0]), { name: 'url', value: 'ftp://nope' }]);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/http:\/\/ or https:\/\//);
    expect(await materialCount(c.code)).toBe(0);
  });
});

describe('what is actually wrong', () => {
  it('100 small url fields: 400 saying how many fields are allowed, not 413', async () => {
    const c = await openCase(ctx, staff);
    const parts: Part[] = Array.from({ length: 100 }, (_, i) => ({ name: 'url', value: `https://e.example/${i}` }));
    const res = await upload(c.code, [...parts, file(images[0])]);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error.message).toMatch(/more than 50 form fields/);
    expect(res.json().error.requestId).toEqual(expect.any(String));
  });

  it('a multipart body sent as application/json: 415 with the request id, not 413', async () => {
    const c = await openCase(ctx, staff);
    const { body } = multipartBody([file(Buffer.concat([images[0], Buffer.alloc(300_000, 7)]))]);
    expect(body.length).toBeGreaterThan(ctx.config.maxJsonBytes);
    const res = await app.inject({ method: 'POST', url: `/api/v1/cases/${c.code}/material`, payload: body, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
    expect(res.statusCode).toBe(415);
    expect(res.json().error).toMatchObject({ code: 'unsupported_media_type', message: expect.stringMatching(/takes multipart\/form-data.*not application\/json/), requestId: expect.any(String) });
  });
});

describe('no caching, and an OpenAPI document that tells the truth', () => {
  it('every /api/v1 answer carries Cache-Control: no-store, errors included', async () => {
    const c = await openCase(ctx, staff);
    for (const [url, auth] of [[`/api/v1/cases/${c.code}`, true], ['/api/v1/cases', true], ['/api/v1/me', false], ['/api/v1/nothing', true]] as const) {
      const res = await app.inject({ method: 'GET', url, headers: auth ? { authorization: `Bearer ${token}` } : {} });
      expect(res.headers['cache-control'], url).toBe('no-store');
    }
  });

  it('lists each route\'s success status and its error statuses with the error body', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const upload = doc.paths['/api/v1/cases/{code}/material'].post.responses;
    expect(Object.keys(upload).sort()).toEqual(['201', '207', '400', '401', '403', '404', '409', '413', '415', '422', '500']);
    expect(upload['422'].content['application/json'].schema.properties.error.required).toEqual(['code', 'message', 'requestId']);
    expect(Object.keys(doc.paths['/api/v1/session'].post.responses).sort()).toEqual(['201', '400', '413', '429', '500']);
    for (const r of routes) {
      const responses = doc.paths[r.url.replace(/:(\w+)/g, '{$1}')][r.method.toLowerCase()].responses;
      expect(Object.keys(responses), `${r.method} ${r.url}`).not.toContain('default');
      expect(responses[String(r.status ?? 200)], `${r.method} ${r.url}`).toBeDefined();
    }
  });
});

describe('the upload sweep', () => {
  it('removes upload files older than an hour and keeps younger ones; it is a periodic job of the api role', async () => {
    const dir = uploadDir(ctx.config);
    const old = join(dir, 'left-by-a-killed-process');
    const young = join(dir, 'being-written');
    writeFileSync(old, 'x');
    writeFileSync(young, 'y');
    const twoHoursAgo = (Date.now() - 2 * 3600_000) / 1000;
    utimesSync(old, twoHoursAgo, twoHoursAgo);
    expect(await sweepUploads(ctx, 3600_000)).toBe(1);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(young)).toBe(true);
    const job = casesJobs.find((j) => j.name === 'upload-sweep')!;
    expect(job).toMatchObject({ role: 'api' });
    expect(job.everyMs!(ctx.config)).toBeLessThanOrEqual(3600_000);
    await job.run({}, { ctx, log: ctx.log, signal: new AbortController().signal, matcher: () => { throw new Error('unused'); }, send: async () => null });
    expect(existsSync(young)).toBe(true);
  });
});
