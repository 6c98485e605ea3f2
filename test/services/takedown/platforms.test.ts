/** Platform records on a real PostgreSQL: validation sentences, the sealed webhook secret, RDAP proposals. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../support/db.ts';
import { useTempDir } from '../../support/tmp.ts';
import { ADMIN, serviceContext } from '../../support/service.ts';
import { rdapDomainAnswer, startRdapFixture, type RdapFixture } from '../../support/takedown.ts';
import { addPlatform, changePlatform, getPlatform, listPlatforms, proposePlatform, webhookSecret } from '../../../services/takedown/index.ts';
import { selectPlatformByName } from '../../../db/queries/platforms.ts';
import { addUser } from '../../../services/accounts/accounts.ts';
import type { ServiceContext } from '../../../services/platform/context.ts';
import type { Actor } from '../../../services/platform/audit.ts';

const db = useTestDatabase('takedown_platforms');
const tmp = useTempDir('platforms');
let ctx: ServiceContext;
let rdap: RdapFixture;
const OPERATOR: Actor = { userId: null, name: 'op', role: 'operator', source: 'test' };

beforeAll(async () => {
  rdap = await startRdapFixture({
    'board.co.kr': rdapDomainAnswer('board.co.kr', 'abuse@registrar.kr.example'),
    'quiet.de': rdapDomainAnswer('quiet.de', null),
    'broken.example': 'this is not json',
  });
  const base = await serviceContext(db(), tmp());
  ctx = { ...base, config: Object.freeze({ ...base.config, rdapUrl: rdap.url }) };
});
afterAll(async () => rdap?.close());

describe('platform records', () => {
  it('adds a platform with defaults by jurisdiction and shows it by name in any case', async () => {
    const p = await addPlatform(ctx, ADMIN, { name: 'Board KR', domains: ['Board.co.kr', 'img.board.co.kr'], emails: ['Abuse@Board.co.kr'], jurisdiction: 'KR' });
    expect(p).toMatchObject({ name: 'Board KR', domains: ['board.co.kr', 'img.board.co.kr'], kind: 'site', jurisdiction: 'KR', language: 'ko', emails: ['abuse@board.co.kr'], deadlineHours: 24, hasWebhookSecret: false });
    expect((await getPlatform(ctx, OPERATOR, 'board kr')).id).toBe(p.id);
    const us = await addPlatform(ctx, ADMIN, { name: 'US Host', domains: ['ushost.example'], formUrl: 'https://ushost.example/report', jurisdiction: 'US', kind: 'host' });
    expect(us).toMatchObject({ deadlineHours: 48, language: 'en', kind: 'host', formUrl: 'https://ushost.example/report' });
    const other = await addPlatform(ctx, ADMIN, { name: 'Elsewhere', domains: ['elsewhere.example'], emails: ['a@elsewhere.example'] });
    expect(other).toMatchObject({ jurisdiction: 'OTHER', deadlineHours: 48 });
  });

  it('refuses bad records with sentences', async () => {
    const bad = async (input: Parameters<typeof addPlatform>[2]) => addPlatform(ctx, ADMIN, input).then(() => 'accepted', (e: Error) => e.message);
    expect(await bad({ name: 'x', domains: [], emails: ['a@x.example'] })).toMatch(/needs at least one domain/);
    expect(await bad({ name: 'x', domains: ['co.kr'], emails: ['a@x.example'] })).toMatch(/public suffix/);
    expect(await bad({ name: 'x', domains: ['https://x.example/'], emails: ['a@x.example'] })).toMatch(/not a host name/);
    expect(await bad({ name: 'x', domains: ['x.example'] })).toMatch(/no way to receive notices/);
    expect(await bad({ name: 'x', domains: ['x.example'], emails: ['not-an-address'] })).toMatch(/not an e-mail address/);
    expect(await bad({ name: 'x', domains: ['x.example'], webhookUrl: 'https://x.example/hook' })).toMatch(/webhook without a secret/);
    expect(await bad({ name: 'x', domains: ['x.example'], webhookUrl: 'ftp://x.example/', webhookSecret: 's'.repeat(20) })).toMatch(/http:\/\/ or https:\/\//);
    expect(await bad({ name: 'x', domains: ['x.example'], emails: ['a@x.example'], jurisdiction: 'FR' })).toMatch(/not one of KR, US, EU, OTHER/);
    expect(await bad({ name: 'x', domains: ['x.example'], emails: ['a@x.example'], deadlineHours: 0 })).toMatch(/whole number of hours/);
    expect(await bad({ name: 'BOARD kr', domains: ['other.example'], emails: ['a@x.example'] })).toMatch(/already exists/);
    expect(await bad({ name: 'Thief', domains: ['board.co.kr'], emails: ['a@x.example'] })).toMatch(/already belongs to platform 'Board KR'/);
    expect(await bad({ name: 'x', domains: ['x.example'], emails: ['a@x.example'], escalateTo: 'nobody' })).toMatch(/no platform named 'nobody'/);
    expect(await bad({ name: 'x', domains: ['x.example'], emails: ['a@x.example'], user: 'nobody' })).toMatch(/no account 'nobody'/);
    await expect(addPlatform(ctx, OPERATOR, { name: 'y', domains: ['y.example'], emails: ['a@y.example'] })).rejects.toThrow(/may not/);
  });

  it('lets a subdomain have its own platform (a CDN), and a platform escalate to another', async () => {
    const cdn = await addPlatform(ctx, ADMIN, { name: 'Board CDN', domains: ['cdn.board.co.kr'], emails: ['cdn@cdn.example'], kind: 'host', escalateTo: 'US Host' });
    expect(cdn.escalateTo).toBe('US Host');
  });

  it('seals the webhook secret under the master key, bound to the platform', async () => {
    const p = await addPlatform(ctx, ADMIN, { name: 'Hooked', domains: ['hooked.example'], webhookUrl: 'https://hooked.example/notices', webhookSecret: 'a-very-secret-value-123' });
    expect(p).toMatchObject({ hasWebhookSecret: true, webhookUrl: 'https://hooked.example/notices' });
    expect(JSON.stringify(p)).not.toContain('a-very-secret-value-123');
    const row = (await selectPlatformByName(ctx.sql, 'Hooked'))!;
    expect(row.webhook_secret_encrypted!.toString('latin1')).not.toContain('a-very-secret');
    expect(webhookSecret(ctx.masterKey, row)).toBe('a-very-secret-value-123');
    // Moved to another platform's row, the sealed secret does not open.
    expect(() => webhookSecret(ctx.masterKey, { ...row, id: (row.escalate_to ?? '00000000-0000-0000-0000-000000000001') })).toThrow(/failed authentication/);
  });

  it('changes a record: given lists replace, a new jurisdiction brings its default deadline, the account must be a platform account', async () => {
    const changed = await changePlatform(ctx, ADMIN, 'elsewhere', { jurisdiction: 'EU', domains: ['elsewhere.example', 'elsewhere.de'] });
    expect(changed).toMatchObject({ jurisdiction: 'EU', deadlineHours: 24, domains: ['elsewhere.example', 'elsewhere.de'], language: 'en' });
    const kept = await changePlatform(ctx, ADMIN, 'Elsewhere', { deadlineHours: 12 });
    expect(kept.deadlineHours).toBe(12);
    const staff = await addUser(ctx.sql, ADMIN, { name: 'staff-p', role: 'staff', credential: 'password' });
    await expect(changePlatform(ctx, ADMIN, 'Elsewhere', { user: staff.user.name })).rejects.toThrow(/has the staff role; a platform answers through a platform-role account/);
    const acct = await addUser(ctx.sql, ADMIN, { name: 'elsewhere-bot', role: 'platform', credential: 'token' });
    expect((await changePlatform(ctx, ADMIN, 'Elsewhere', { user: 'elsewhere-bot' })).userId).toBe(acct.user.id);
    await expect(changePlatform(ctx, ADMIN, 'Nope', {})).rejects.toThrow(/no platform named 'Nope'/);
    expect((await listPlatforms(ctx, OPERATOR)).map((p) => p.name)).toEqual(['Board CDN', 'Board KR', 'Elsewhere', 'Hooked', 'US Host']);
  });
});

describe('platform proposals from RDAP', () => {
  it('proposes a record from the abuse contact nested in the registrar entity, saving nothing', async () => {
    const before = (await listPlatforms(ctx, ADMIN)).length;
    const p = await proposePlatform(ctx, ADMIN, 'https://img.www.board.co.kr/a/1.jpg');
    expect(p).toMatchObject({
      proposal: true,
      platform: { name: 'board.co.kr', domains: ['board.co.kr'], kind: 'site', emails: ['abuse@registrar.kr.example'], jurisdiction: 'KR', language: 'ko', deadlineHours: 24 },
      registrar: 'Example Registrar, Inc.',
    });
    expect(p.note).toMatch(/proposal.*not saved/);
    expect(rdap.requests).toContain('/domain/board.co.kr');
    expect((await listPlatforms(ctx, ADMIN)).length).toBe(before);
  });

  it('says when RDAP gives no abuse address, knows no domain, or answers garbage', async () => {
    const quiet = await proposePlatform(ctx, ADMIN, 'quiet.de');
    expect(quiet.platform).toMatchObject({ emails: [], jurisdiction: 'EU' });
    expect(quiet.note).toMatch(/no abuse address/);
    await expect(proposePlatform(ctx, ADMIN, 'unknown.example')).rejects.toThrow(/knows no domain unknown.example; enter the platform's contact by hand/);
    await expect(proposePlatform(ctx, ADMIN, 'broken.example')).rejects.toThrow(/not JSON/);
    await expect(proposePlatform(ctx, ADMIN, '203.0.113.9')).rejects.toThrow(/IP address/);
  });
});
