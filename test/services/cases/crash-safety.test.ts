/**
 * Crash safety: a server killed with SIGKILL in the middle of a material upload leaves no material, no
 * hashes, no change-feed row and no audit entry for it; the partial upload is removed at the next start,
 * and the next upload works.
 */
import { describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { useTestDatabase } from '../../support/db.ts';
import { useTempDir, waitFor } from '../../support/tmp.ts';
import { childEnv, serviceContext, startServe } from '../../support/service.ts';
import { multipartBody } from '../../support/multipart.ts';
import { syntheticPhoto } from '../../support/images.ts';
import { verifyAudit } from '../../../services/platform/audit.ts';

const db = useTestDatabase('crash');
const tmp = useTempDir('crash');

async function signIn(url: string, name: string, password: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, password }) });
  expect(res.status).toBe(201);
  return ((await res.json()) as { token: string }).token;
}

describe('crash safety', () => {
  it('SIGKILL mid-upload leaves nothing half-registered, and the next start is clean', { timeout: 240_000 }, async () => {
    const ctx = await serviceContext(db(), join(tmp(), 'data'));
    const env = childEnv(ctx);
    const uploads = join(ctx.config.dataDir, 'uploads');
    const image = await syntheticPhoto(44, 2400, 1800);

    const first = await startServe(env);
    const url = first.info.url!;
    const token = await signIn(url, first.info.admin!.name, first.info.admin!.password);
    const created = await fetch(`${url}/api/v1/cases`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
    const code = ((await created.json()) as { code: string }).code;

    // Send the headers and 60% of the file, then hold the connection open.
    const { body, contentType } = multipartBody([{ name: 'file', filename: 'big.jpg', data: image, type: 'image/jpeg' }]);
    const req = request(`${url}/api/v1/cases/${code}/material`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': contentType, 'content-length': String(body.length) } });
    req.on('error', () => {}); // the server is about to die
    req.write(body.subarray(0, Math.floor(body.length * 0.6)));
    await waitFor(() => existsSync(uploads) && readdirSync(uploads).some((f) => statSync(join(uploads, f)).size > 0), 30_000, 'the upload to start arriving');
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    req.destroy();
    expect(readdirSync(uploads).length).toBe(1); // the partial upload the crash left behind

    const q = (text: string) => ctx.sql.query<{ n: number }>(text).then((r) => r[0].n);
    expect(await q(`SELECT count(*)::int AS n FROM material`)).toBe(0);
    expect(await q(`SELECT count(*)::int AS n FROM material_hashes`)).toBe(0);
    expect(await q(`SELECT count(*)::int AS n FROM match_changes WHERE op = 'add'`)).toBe(0);
    expect(await q(`SELECT count(*)::int AS n FROM audit_log WHERE action LIKE 'material.%'`)).toBe(0);
    expect((await verifyAudit(ctx.sql)).ok).toBe(true);

    const second = await startServe(env);
    try {
      expect(readdirSync(uploads)).toEqual([]);
      const url2 = second.info.url!;
      const full = multipartBody([{ name: 'file', filename: 'big.jpg', data: image, type: 'image/jpeg' }]);
      const res = await fetch(`${url2}/api/v1/cases/${code}/material`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': full.contentType }, body: full.body });
      expect(res.status).toBe(201);
      expect(await q(`SELECT count(*)::int AS n FROM material`)).toBe(1);
      expect(readdirSync(uploads)).toEqual([]);
      const ready = await fetch(`${url2}/readyz`);
      expect(ready.status).toBe(200);
    } finally {
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    }
  });
});
