/** Two-factor sign-in on a real PostgreSQL: set-up, one use per code, recovery codes, the API's password sign-in. */
import { Secret, TOTP } from 'otpauth';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../support/db.ts';
import { useTempDir } from '../../support/tmp.ts';
import { ADMIN, serviceContext } from '../../support/service.ts';
import { addUser } from '../../../services/accounts/accounts.ts';
import { confirmEnrolment, startEnrolment, verifySecondFactor } from '../../../services/accounts/two-factor.ts';
import { buildApi } from '../../../services/http/server.ts';
import type { ServiceContext } from '../../../services/platform/context.ts';
import type { Actor } from '../../../services/platform/audit.ts';

const db = useTestDatabase('two_factor');
const tmp = useTempDir('two-factor');
let ctx: ServiceContext;

beforeAll(async () => {
  ctx = await serviceContext(db(), tmp());
});

const at = (secret: string, t: number) => new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30 }).generate({ timestamp: t });

describe('two-factor sign-in', () => {
  it('sets up with a code, accepts each code once, and each recovery code once; never stores a code', async () => {
    const made = await addUser(ctx.sql, ADMIN, { name: 'tf-staff', role: 'staff' });
    const actor: Actor = { userId: made.user.id, name: 'tf-staff', role: 'staff', source: 'test' };
    const e = await startEnrolment(ctx, actor);
    expect((await startEnrolment(ctx, actor)).secret).toBe(e.secret);
    expect(e.uri).toMatch(/^otpauth:\/\/totp\/staydown:tf-staff\?/);
    const t0 = Date.now();
    expect(await confirmEnrolment(ctx, actor, '000000', t0)).toBeNull();
    const done = (await confirmEnrolment(ctx, actor, at(e.secret, t0), t0))!;
    expect(done.recoveryCodes).toHaveLength(10);
    await expect(startEnrolment(ctx, actor)).rejects.toThrow(/already set up/);
    // The step used to confirm cannot be used again; the next one can, once.
    expect(await verifySecondFactor(ctx, actor, at(e.secret, t0), t0)).toBeNull();
    expect(await verifySecondFactor(ctx, actor, at(e.secret, t0 + 30_000), t0 + 30_000)).toBe('totp');
    expect(await verifySecondFactor(ctx, actor, at(e.secret, t0 + 30_000), t0 + 30_000)).toBeNull();
    // A code from two minutes ago is too old.
    expect(await verifySecondFactor(ctx, actor, at(e.secret, t0 + 180_000), t0 + 300_000)).toBeNull();
    const rc = done.recoveryCodes[3];
    expect(await verifySecondFactor(ctx, actor, rc.toUpperCase(), t0)).toBe('recovery');
    expect(await verifySecondFactor(ctx, actor, rc, t0)).toBeNull();
    const stored = JSON.stringify(await db().admin.query("SELECT * FROM user_sign_in u LEFT JOIN recovery_codes r USING (user_id) WHERE u.user_id = $1", [made.user.id]));
    expect(stored).not.toContain(e.secret);
    expect(stored).not.toContain(rc.replace(/-/g, ''));
    const audit = await db().admin.query<{ action: string; detail: Record<string, unknown> }>("SELECT action, detail FROM audit_log WHERE record_id = $1 AND action LIKE 'two-factor.%' ORDER BY seq", [made.user.id]);
    expect(audit.map((a) => a.action)).toEqual(['two-factor.enrol', 'two-factor.verify', 'two-factor.verify', 'two-factor.verify', 'two-factor.verify', 'two-factor.verify', 'two-factor.verify']);
    expect(JSON.stringify(audit)).not.toContain(rc);
  });

  it('the API password sign-in of an account with two-factor wants the code, and revokes the session it refuses', async () => {
    const made = await addUser(ctx.sql, ADMIN, { name: 'tf-admin', role: 'admin' });
    const actor: Actor = { userId: made.user.id, name: 'tf-admin', role: 'admin', source: 'test' };
    const app = await buildApi(ctx);
    const before = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { name: 'tf-admin', password: made.password } });
    expect(before.statusCode).toBe(201);
    const e = await startEnrolment(ctx, actor);
    await confirmEnrolment(ctx, actor, at(e.secret, Date.now() - 30_000), Date.now() - 30_000);
    const without = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { name: 'tf-admin', password: made.password } });
    expect(without.statusCode).toBe(401);
    expect(without.json().error.message).toMatch(/code from its authenticator app/);
    const wrong = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { name: 'tf-admin', password: made.password, code: '123456' === at(e.secret, Date.now()) ? '654321' : '123456' } });
    expect(wrong.statusCode).toBe(401);
    const live = await db().admin.query<{ n: number }>('SELECT count(*)::int AS n FROM credentials WHERE user_id = $1 AND revoked_at IS NULL', [made.user.id]);
    expect(live[0].n).toBe(1); // only the session from before two-factor was set up
    const ok = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { name: 'tf-admin', password: made.password, code: at(e.secret, Date.now()) } });
    expect(ok.statusCode, ok.body).toBe(201);
    const me = await app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${ok.json().token}` } });
    expect(me.json().name).toBe('tf-admin');
    await app.close();
  });
});
