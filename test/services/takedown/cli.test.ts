/** `staydown platform` and `staydown notices` as child processes on the test database: the exact contract. */
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../support/db.ts';
import { useTempDir } from '../../support/tmp.ts';
import { ADMIN, childEnv, runCli, serviceContext } from '../../support/service.ts';
import { rdapDomainAnswer, seedConfirmedAlert, startRdapFixture } from '../../support/takedown.ts';
import { openCase } from '../../../services/cases/cases.ts';
import { startWebhookReceiver } from '../delivery/support/webhook-receiver.ts';
import type { ServiceContext } from '../../../services/platform/context.ts';

const db = useTestDatabase('takedown_cli');
const tmp = useTempDir('tdcli');
let ctx: ServiceContext;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  ctx = await serviceContext(db(), tmp());
  const rdap = await startRdapFixture({ 'newsite.example': rdapDomainAnswer('newsite.example', 'abuse@reg.example') });
  env = childEnv(ctx, { STAYDOWN_ORG_NAME: 'CLI Centre', STAYDOWN_ORG_EMAIL: 'cli@centre.example', STAYDOWN_PUBLIC_URL: 'https://sd.example.org', STAYDOWN_RDAP_URL: rdap.url, STAYDOWN_QUEUE_SCHEMA: `q_${db().schema}` });
  return () => rdap.close();
});

describe('staydown platform', () => {
  it('adds, lists, shows and changes platforms with the documented flags', async () => {
    const add = await runCli(['platform', 'add', 'CLI Board', '--domain', 'cliboard.example', '--domain', 'img.cliboard.example', '--email', 'abuse@cliboard.example',
      '--webhook', 'https://cliboard.example/hook', '--webhook-secret', 'secret-secret-secret', '--form-url', 'https://cliboard.example/report',
      '--jurisdiction', 'US', '--language', 'en', '--deadline-hours', '36', '--kind', 'site', '--json'], env);
    expect(add.status, add.stderr).toBe(0);
    expect(JSON.parse(add.stdout)).toMatchObject({ name: 'CLI Board', domains: ['cliboard.example', 'img.cliboard.example'], emails: ['abuse@cliboard.example'], webhookUrl: 'https://cliboard.example/hook', hasWebhookSecret: true, formUrl: 'https://cliboard.example/report', jurisdiction: 'US', language: 'en', deadlineHours: 36, kind: 'site' });
    expect(add.stdout).not.toContain('secret-secret-secret');
    const host = await runCli(['platform', 'add', 'CLI Host', '--domain', 'clihost.example', '--email', 'abuse@clihost.example', '--kind', 'host', '--jurisdiction', 'KR'], env);
    expect(host.status, host.stderr).toBe(0);
    const change = await runCli(['platform', 'change', 'cli board', '--escalate-to', 'CLI Host', '--jurisdiction', 'EU', '--json'], env);
    expect(change.status, change.stderr).toBe(0);
    expect(JSON.parse(change.stdout)).toMatchObject({ escalateTo: 'CLI Host', jurisdiction: 'EU', deadlineHours: 36 });
    const list = await runCli(['platform', 'list', '--json'], env);
    expect((JSON.parse(list.stdout) as Array<{ name: string }>).map((p) => p.name)).toEqual(['CLI Board', 'CLI Host']);
    const show = await runCli(['platform', 'show', 'CLI Host', '--json'], env);
    expect(JSON.parse(show.stdout)).toMatchObject({ name: 'CLI Host', language: 'ko', deadlineHours: 24, kind: 'host' });
  });

  it('refuses bad input with a sentence and exit status 1, and a wrong call with 64', async () => {
    const bad = await runCli(['platform', 'add', 'Nowhere', '--domain', 'co.kr', '--email', 'a@b.example'], env);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^staydown platform: 'co.kr' is a public suffix/);
    const wrong = await runCli(['platform', 'add', 'X', '--deadline-hours', 'soon'], env);
    expect(wrong.status).toBe(64);
    expect(wrong.stderr).toMatch(/--deadline-hours takes a whole number/);
  });

  it('proposes a record from RDAP without saving it', async () => {
    const r = await runCli(['platform', 'propose', 'www.newsite.example', '--json'], env);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ proposal: true, platform: { name: 'newsite.example', emails: ['abuse@reg.example'], jurisdiction: 'OTHER' } });
    const list = await runCli(['platform', 'list', '--json'], env);
    expect(list.stdout).not.toContain('newsite.example');
  });
});

describe('staydown notices', () => {
  it('drafts, lists, shows, approves and cancels notices with the documented JSON', async () => {
    const c = await openCase(ctx, ADMIN, { personal: { name: 'Nobody Here' } });
    const alert = await seedConfirmedAlert(ctx.sql, c.code, { pageUrl: 'https://cliboard.example/p/1', mediaUrl: 'https://img.cliboard.example/1.jpg' });
    const draft = await runCli(['notices', 'draft', '--json'], env);
    expect(draft.status, draft.stderr).toBe(0);
    expect(JSON.parse(draft.stdout)).toMatchObject({ drafted: 1, items: 1 });

    const list = await runCli(['notices', 'list', '--status', 'draft', '--platform', 'CLI Board', '--json'], env);
    expect(list.status, list.stderr).toBe(0);
    const [n] = JSON.parse(list.stdout) as Array<Record<string, unknown>>;
    for (const k of ['id', 'reference', 'platform', 'kind', 'status', 'language', 'jurisdiction', 'urls', 'createdAt', 'approvedAt', 'sentAt', 'deadline', 'channel']) expect(n, k).toHaveProperty(k);
    expect(n).toMatchObject({ platform: 'CLI Board', kind: 'initial', status: 'draft', language: 'en', jurisdiction: 'EU', channel: 'webhook', approvedAt: null, sentAt: null, deadline: null,
      urls: [{ alertId: alert, pageUrl: 'https://cliboard.example/p/1', mediaUrl: 'https://img.cliboard.example/1.jpg' }] });

    const show = await runCli(['notices', 'show', String(n.reference), '--json'], env);
    expect(show.status, show.stderr).toBe(0);
    const detail = JSON.parse(show.stdout);
    expect(detail.subject).toMatch(/Article 16 DSA/);
    expect(detail.text).toContain('https://img.cliboard.example/1.jpg');
    expect(detail.history.map((h: { event: string }) => h.event)).toEqual(['drafted']);
    expect(detail.warnings).toEqual([]);
    const text = await runCli(['notices', 'show', String(n.id)], env);
    expect(text.stdout).toContain('Subject: ');

    // Without --wait: delivery is queued (no worker runs here), so the notice stays approved.
    const approve = await runCli(['notices', 'approve', String(n.id), '--json'], env);
    expect(approve.status, approve.stderr).toBe(0);
    expect(JSON.parse(approve.stdout)).toMatchObject([{ id: n.id, status: 'approved', approvedBy: expect.stringMatching(/^cli:/) }]);
    // Approval queued the delivery job with the notice's id.
    const jobs = await db().sql.query<{ data: { noticeId: string } }>(`SELECT data FROM q_${db().schema}.job WHERE name = 'notice-deliver'`);
    expect(jobs.map((j) => j.data.noticeId)).toEqual([n.id]);
    const again = await runCli(['notices', 'cancel', String(n.id), '--json'], env);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'cancelled' });
    const twice = await runCli(['notices', 'approve', String(n.id)], env);
    expect(twice.status).toBe(1);
    expect(twice.stderr).toMatch(/is cancelled and cannot be approved/);
    const none = await runCli(['notices', 'show', 'SD-1999-000001'], env);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/There is no notice SD-1999-000001/);
  });

  it('lists alerts with no recipient', async () => {
    const c = await openCase(ctx, ADMIN, {});
    const alert = await seedConfirmedAlert(ctx.sql, c.code, { pageUrl: 'https://orphan.example/p/1', mediaUrl: 'https://orphan.example/i/1.jpg' });
    const r = await runCli(['notices', 'unrouted', '--json'], env);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toContainEqual(expect.objectContaining({ alertId: alert, reason: 'no-platform', domain: 'orphan.example' }));
  });
});

// After 'staydown notices' (which looks at the one waiting delivery job): these approve and deliver more.
describe('staydown platform --webhook-allow-host and notices approve --wait', () => {
  it('allows a webhook on a non-public address only for the hosts named, and delivers to it with --wait', async () => {
    const hooks = await startWebhookReceiver('allow-host-secret-0123');
    try {
      const url = hooks.url('/staydown');
      const wrong = await runCli(['platform', 'add', 'Inner', '--domain', 'inner.example', '--webhook', url, '--webhook-secret', 'allow-host-secret-0123', '--webhook-allow-host', 'hooks.other.example'], env);
      expect(wrong.status).toBe(1);
      expect(wrong.stderr).toMatch(/does not name the webhook's host 127\.0\.0\.1; allow the host the URL names/);
      const bad = await runCli(['platform', 'add', 'Inner', '--domain', 'inner.example', '--webhook', url, '--webhook-secret', 'allow-host-secret-0123', '--webhook-allow-host', 'not a host'], env);
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/is not a host name or IP address for --webhook-allow-host/);
      const add = await runCli(['platform', 'add', 'Inner', '--domain', 'inner.example', '--webhook', url, '--webhook-secret', 'allow-host-secret-0123', '--json'], env);
      expect(add.status, add.stderr).toBe(0);
      expect(JSON.parse(add.stdout)).toMatchObject({ webhookUrl: url, webhookAllowHosts: [] });

      // Not allowed yet: the SSRF guard refuses the loopback receiver, and nothing arrives.
      const c = await openCase(ctx, ADMIN, {});
      await seedConfirmedAlert(ctx.sql, c.code, { pageUrl: 'https://inner.example/p/1', mediaUrl: 'https://inner.example/i/1.jpg' });
      await runCli(['notices', 'draft'], env);
      const [first] = JSON.parse((await runCli(['notices', 'list', '--platform', 'Inner', '--status', 'draft', '--json'], env)).stdout) as Array<{ id: string }>;
      const refused = await runCli(['notices', 'approve', first.id, '--wait', '--json'], env);
      expect(refused.status, refused.stderr).toBe(2);
      expect(JSON.parse(refused.stdout)[0]).toMatchObject({ status: 'failed', lastError: expect.stringMatching(/refused/) });
      expect(hooks.requests).toHaveLength(0);

      const change = await runCli(['platform', 'change', 'Inner', '--webhook-allow-host', '127.0.0.1', '--json'], env);
      expect(change.status, change.stderr).toBe(0);
      expect(JSON.parse(change.stdout)).toMatchObject({ webhookAllowHosts: ['127.0.0.1'] });
      expect((await runCli(['platform', 'show', 'Inner'], env)).stdout).toContain('webhook allowed on a non-public address: 127.0.0.1');
      await seedConfirmedAlert(ctx.sql, c.code, { pageUrl: 'https://inner.example/p/2', mediaUrl: 'https://inner.example/i/2.jpg' });
      await runCli(['notices', 'draft'], env);
      const [second] = JSON.parse((await runCli(['notices', 'list', '--platform', 'Inner', '--status', 'draft', '--json'], env)).stdout) as Array<{ id: string; reference: string }>;
      const sent = await runCli(['notices', 'approve', second.id, '--wait', '--json'], env);
      expect(sent.status, sent.stderr).toBe(0);
      expect(JSON.parse(sent.stdout)[0]).toMatchObject({ id: second.id, status: 'sent' });
      expect(hooks.requests.map((r) => [r.signature.ok, r.headers['idempotency-key']])).toEqual([[true, second.reference]]);
    } finally {
      await hooks.close();
    }
  }, 240_000);

  it('--wait returns for a web-form notice once it waits to be submitted by hand, saying so', async () => {
    const add = await runCli(['platform', 'add', 'Form Only', '--domain', 'formonly.example', '--form-url', 'https://formonly.example/report'], env);
    expect(add.status, add.stderr).toBe(0);
    for (const k of [1, 2]) {
      const c = await openCase(ctx, ADMIN, {});
      await seedConfirmedAlert(ctx.sql, c.code, { pageUrl: `https://formonly.example/p/${k}`, mediaUrl: `https://formonly.example/i/${k}.jpg` });
    }
    await runCli(['notices', 'draft'], env);
    const [n, m] = JSON.parse((await runCli(['notices', 'list', '--platform', 'Form Only', '--json'], env)).stdout) as Array<{ id: string; reference: string }>;
    const t0 = Date.now();
    const r = await runCli(['notices', 'approve', n.reference, '--wait', '--json'], env);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject([{ id: n.id, status: 'sending', channel: 'form', awaitingSubmission: true }]);
    // Well before the minute --wait gives a running service's workers.
    expect(Date.now() - t0).toBeLessThan(45_000);
    const again = await runCli(['notices', 'approve', m.id, '--wait'], env);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain(`notice ${m.reference} is waiting to be submitted by hand on the platform's web form: 'staydown notices form ${m.reference}' prints the text to paste`);
    const listed = JSON.parse((await runCli(['notices', 'list', '--platform', 'Form Only', '--json'], env)).stdout) as Array<{ status: string }>;
    expect(listed.map((x) => x.status)).toEqual(['sending', 'sending']);
  }, 240_000);
});
