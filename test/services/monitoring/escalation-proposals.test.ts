/**
 * Escalation targets proposed when an escalation is due and the platform has none, on a real PostgreSQL
 * with a real RDAP server on 127.0.0.1 (domain and ip answers in RFC 9083 shapes) and a real SMTP server:
 * the proposal is recorded and reported by the monitoring pass, nothing goes to it until a person accepts,
 * then the escalation goes to the host record with its package. A Korean site gets the KCSC's record;
 * an unreachable RDAP service gives a sentence and the pass goes on. Site names resolve through an
 * injected resolver (no DNS in tests); the RDAP server itself is real.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../support/db.ts';
import { useTempDir, waitFor } from '../../support/tmp.ts';
import { ADMIN, serviceContext } from '../../support/service.ts';
import { fixtureImage } from '../../crawler/support/fixture-images.ts';
import { rdapDomainAnswer, startRdapFixture, type RdapFixture } from '../../support/takedown.ts';
import { startSmtpSink, type SmtpSink } from '../delivery/support/smtp-sink.ts';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { monitoringJobs, NOTICE_ESCALATIONS_JOB } from '../../../services/monitoring/jobs.ts';
import type { JobEnv } from '../../../services/runtime/job.ts';
import { runMonitorPass } from '../../../services/monitoring/pass.ts';
import { syncTracking } from '../../../services/monitoring/tracking.ts';
import { acceptEscalationProposal, getPlatformWithProposal } from '../../../services/takedown/index.ts';
import { buildApi } from '../../../services/http/server.ts';
import type { ServiceContext } from '../../../services/platform/context.ts';
import type { PlatformRow } from '../../../db/queries/platforms.ts';
import { centreContext, seedConfirmed, seedLoopbackSite, seedMonitoredCase, seedPlatformRow, seedSent } from './support.ts';

const db = useTestDatabase('escalation_proposals');
const tmp = useTempDir('escalation-proposals');
let ctx: ServiceContext;
let rdap: RdapFixture;
let sink: SmtpSink;
let caseId = '';
let materialId = '';
let siteId = '';
const ADDRESSES: Record<string, string> = { 'www.board.example': '192.0.2.10', 'down.example': '192.0.2.20' };
const resolve = async (host: string) => {
  if (!ADDRESSES[host]) throw new Error(`no address for ${host}`);
  return ADDRESSES[host];
};

/** An RFC 9083 IP network answer: the abuse entity nested in the registrant organisation (as ARIN gives it). */
function ipAnswer(start: string, end: string, org: string, abuse: string, country = 'US') {
  return {
    objectClassName: 'ip network', handle: 'NET-192-0-2-0-1', startAddress: start, endAddress: end, ipVersion: 'v4', name: 'EXAMPLE-HOSTING-NET', type: 'ALLOCATION', country,
    entities: [{
      objectClassName: 'entity', handle: 'EHC-1', roles: ['registrant'], vcardArray: ['vcard', [['version', {}, 'text', '4.0'], ['fn', {}, 'text', org], ['kind', {}, 'text', 'org']]],
      entities: [{ objectClassName: 'entity', handle: 'ABUSE-1', roles: ['abuse'], vcardArray: ['vcard', [['version', {}, 'text', '4.0'], ['fn', {}, 'text', 'Abuse'], ['email', {}, 'text', abuse]]] }],
    }],
  };
}

/** A sent notice of one URL on `platform`, tracked and `hours` old (its escalation is due after 72 h). */
async function sentNotice(platform: PlatformRow, pageUrl: string, hours: number) {
  const alert = await seedConfirmed(ctx.sql, { caseId, materialId, siteId, pageUrl, mediaUrl: `${pageUrl}.jpg` });
  const notice = await seedSent(ctx.sql, caseId, platform, [alert]);
  await syncTracking(ctx);
  // No removal check is due in these tests: only the follow-ups are.
  await ctx.sql.query(`UPDATE tracked_urls SET next_check_at = now() + interval '1 day', notified_at = now() - $2::int * interval '1 hour' WHERE alert_id = $1`, [alert, hours]);
  return { alert, notice };
}

const escalationsTo = (platform: string) => ctx.sql.query<{ id: string; status: string }>(
  "SELECT n.id::text, n.status FROM notices n JOIN platforms p ON p.id = n.platform_id WHERE n.kind = 'escalation' AND p.name = $1", [platform]);

beforeAll(async () => {
  sink = await startSmtpSink();
  rdap = await startRdapFixture({
    'board.example': rdapDomainAnswer('board.example', 'abuse@registrar.example', 'Example Registrar, Inc.'),
    'ip/192.0.2.10': ipAnswer('192.0.2.0', '192.0.2.255', 'Example Hosting Co', 'abuse@hosting.example'),
  });
  const base = await serviceContext(db(), tmp());
  ctx = centreContext(base, { databaseUrl: db().url, dataDir: tmp(), smtpUrl: sink.url }, {
      STAYDOWN_RDAP_URL: rdap.url, STAYDOWN_AUTO_ESCALATIONS: 'true', STAYDOWN_AUTO_REMINDERS: 'false', STAYDOWN_MAX_REMINDERS: '0',
  });
  const c = await seedMonitoredCase(ctx.sql, ctx.masterKey, { m: await fixtureImage(901, 200, 150) });
  caseId = c.caseId;
  materialId = c.materialIds.m;
  siteId = await seedLoopbackSite(ctx.sql, 'http://127.0.0.1:9');
});

afterAll(async () => {
  await rdap?.close();
  await sink?.close();
});

describe('escalation targets staydown proposes', { timeout: 60_000 }, () => {
  it('proposes the host (RDAP ip) and then the registrar (RDAP domain), sends nothing until accepted, then escalates to the host with the package', async () => {
    const site = await seedPlatformRow(ctx.sql, { name: 'board', jurisdiction: 'US' });
    await ctx.sql.query("UPDATE platforms SET domains = '{board.example}' WHERE id = $1", [site.id]);
    await sentNotice(site, 'http://www.board.example/p/1', 80);

    const r = await runMonitorPass(ctx, { proposals: { resolve } });
    expect(r.escalations).toBe(0);
    expect(r.noEscalationTarget).toEqual(['board']);
    expect(r.proposedEscalationTargets).toHaveLength(1);
    const p = r.proposedEscalationTargets[0];
    expect(p).toMatchObject({ platform: 'board', status: 'proposed', problem: null, lookedUpHost: 'www.board.example', accept: 'staydown platform accept-escalation board' });
    expect(p.targets).toEqual([
      expect.objectContaining({ role: 'host', name: 'Example Hosting Co', kind: 'host', emails: ['abuse@hosting.example'], domains: ['hosting.example'], jurisdiction: 'US', existing: null, source: `${rdap.url}ip/192.0.2.10` }),
      expect.objectContaining({ role: 'registrar', name: 'Example Registrar, Inc.', kind: 'registrar', emails: ['abuse@registrar.example'], domains: ['registrar.example'], existing: null }),
    ]);
    expect(p.targets[0].note).toContain('192.0.2.0 - 192.0.2.255');
    expect(rdap.requests).toEqual(expect.arrayContaining(['/ip/192.0.2.10', '/domain/board.example']));

    // Cached: a second pass does not ask RDAP again, and still nothing is created or sent.
    const asked = rdap.requests.length;
    const again = await runMonitorPass(ctx, { proposals: { resolve } });
    expect(again.proposedEscalationTargets[0].status).toBe('proposed');
    expect(rdap.requests.length).toBe(asked);
    expect(await ctx.sql.query("SELECT 1 FROM platforms WHERE kind IN ('host', 'registrar')")).toHaveLength(0);
    expect(await ctx.sql.query("SELECT 1 FROM notices WHERE kind = 'escalation'")).toHaveLength(0);
    expect(sink.messages.filter((m) => m.envelope.to.includes('abuse@hosting.example'))).toHaveLength(0);
    // `platform show --json` and the API show it on the platform.
    expect((await getPlatformWithProposal(ctx, ADMIN, 'board')).escalationProposal).toMatchObject({ status: 'proposed', targets: [{ name: 'Example Hosting Co' }, { name: 'Example Registrar, Inc.' }] });
    const app = await buildApi(ctx);
    try {
      const shown = await app.inject({ method: 'GET', url: '/api/v1/platforms/board', headers: { authorization: `Bearer ${await adminToken()}` } });
      expect(shown.json().escalationProposal.status).toBe('proposed');

      const accepted = await app.inject({ method: 'POST', url: '/api/v1/platforms/board/accept-escalation', headers: { authorization: `Bearer ${await adminToken()}` } });
      expect(accepted.statusCode).toBe(200);
      expect(accepted.json()).toMatchObject({ escalateTo: 'Example Hosting Co', chain: ['Example Hosting Co', 'Example Registrar, Inc.'], created: ['Example Hosting Co', 'Example Registrar, Inc.'], reused: [] });
    } finally {
      await app.close();
    }
    const host = await getPlatformWithProposal(ctx, ADMIN, 'Example Hosting Co');
    expect(host).toMatchObject({ kind: 'host', emails: ['abuse@hosting.example'], escalateTo: 'Example Registrar, Inc.' });

    // The next pass escalates to the host record, with the package, by e-mail (auto-escalations on here).
    const after = await runMonitorPass(ctx, { proposals: { resolve } });
    expect(after.escalations).toBe(1);
    expect(after.proposedEscalationTargets).toEqual([]);
    await waitFor(async () => sink.messages.some((m) => m.envelope.to.includes('abuse@hosting.example')), 20_000, 'the escalation e-mail to the host');
    const mail = sink.messages.find((m) => m.envelope.to.includes('abuse@hosting.example'))!;
    const pkg = JSON.parse(mail.parsed.attachments.find((a) => a.filename === 'escalation-package.json')!.content.toString('utf8'));
    expect(pkg).toMatchObject({ schema: 'staydown-escalation/1', type: 'abuse-report', site: 'board', target: 'Example Hosting Co', targetKind: 'host' });
    expect(pkg.urls.map((u: { pageUrl: string }) => u.pageUrl)).toEqual(['http://www.board.example/p/1']);
    expect(sink.messages.some((m) => m.envelope.to.includes('abuse@registrar.example'))).toBe(false);
  });

  it('proposes the KCSC review-request record for a Korean site, without asking RDAP; accepting creates it and escalates there', async () => {
    const site = await seedPlatformRow(ctx.sql, { name: 'board-kr', jurisdiction: 'KR' });
    await ctx.sql.query("UPDATE platforms SET domains = '{board.kr}' WHERE id = $1", [site.id]);
    await sentNotice(site, 'http://board.kr/p/9', 80);
    const asked = rdap.requests.length;
    const r = await runMonitorPass(ctx, { proposals: { resolve } });
    const p = r.proposedEscalationTargets.find((x) => x.platform === 'board-kr')!;
    expect(p.targets).toEqual([expect.objectContaining({ role: 'kcsc', name: 'KCSC', kind: 'regulator', jurisdiction: 'KR', language: 'ko', formUrl: 'https://www.kocsc.or.kr/', existing: null })]);
    expect(rdap.requests.length).toBe(asked);
    const a = await acceptEscalationProposal(ctx, ADMIN, 'board-kr');
    expect(a).toMatchObject({ escalateTo: 'KCSC', created: ['KCSC'] });
    await runMonitorPass(ctx, { proposals: { resolve } });
    const [n] = await escalationsTo('KCSC');
    const [pkg] = await ctx.sql.query<{ detail: Record<string, unknown> }>("SELECT detail FROM notice_history WHERE notice_id = $1 AND event = 'escalation-package'", [n.id]);
    expect(pkg.detail).toMatchObject({ type: 'kcsc-review-request', requestedMeasure: 'deletion', site: 'board-kr', target: 'KCSC' });
    // A second Korean site's proposal reuses the record now there.
    const other = await seedPlatformRow(ctx.sql, { name: 'board-kr2', jurisdiction: 'KR' });
    await sentNotice(other, 'http://board2.kr/p/1', 80);
    const r2 = await runMonitorPass(ctx, { proposals: { resolve } });
    expect(r2.proposedEscalationTargets.find((x) => x.platform === 'board-kr2')!.targets[0]).toMatchObject({ name: 'KCSC', existing: 'KCSC' });
  });

  it('the scheduler\'s notice-escalations job proposes a target the same way, queues nothing to it, and logs counts only', async () => {
    const site = await seedPlatformRow(ctx.sql, { name: 'job-board-kr', jurisdiction: 'KR' });
    await ctx.sql.query("UPDATE platforms SET domains = '{jobboard.kr}' WHERE id = $1", [site.id]);
    const { alert } = await sentNotice(site, 'http://jobboard.kr/p/secret-42', 80);
    const lines: string[] = [];
    const log = pino({ level: 'info' }, new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } }));
    const queued: Array<{ name: string; data: object }> = [];
    const env: JobEnv = {
      ctx, log, signal: new AbortController().signal,
      matcher: () => { throw new Error('the escalation job needs no match index'); },
      send: async (name, data) => { queued.push({ name, data }); return null; },
    };
    await monitoringJobs.find((j) => j.name === NOTICE_ESCALATIONS_JOB)!.run({}, env);

    const p = (await getPlatformWithProposal(ctx, ADMIN, 'job-board-kr')).escalationProposal;
    expect(p).toMatchObject({ status: 'proposed', targets: [{ role: 'kcsc', name: 'KCSC' }] });
    // Nothing was escalated for this platform: no target until a person accepts one.
    expect(await escalationsTo('job-board-kr')).toEqual([]);
    const warned = lines.map((l) => JSON.parse(l)).find((l) => /accept-escalation/.test(l.msg));
    expect(warned).toMatchObject({ level: 40, proposed: expect.any(Number), platforms: expect.any(Number) });
    expect(warned.proposed).toBeGreaterThanOrEqual(1);
    // The log names no URL, case, alert or platform: counts and the command to run.
    const all = lines.join('');
    for (const secret of ['secret-42', 'jobboard', caseId, alert]) expect(all).not.toContain(secret);
  });

  it('says clearly when RDAP cannot be reached, goes on with the pass, and looks up again only after the retry time', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/`;
    await new Promise((r) => closed.close(r));
    const down: ServiceContext = { ...ctx, config: Object.freeze({ ...ctx.config, rdapUrl: deadUrl }) };
    const site = await seedPlatformRow(ctx.sql, { name: 'down-board', jurisdiction: 'OTHER' });
    await ctx.sql.query("UPDATE platforms SET domains = '{down.example}' WHERE id = $1", [site.id]);
    await sentNotice(site, 'http://down.example/p/1', 80);
    const r = await runMonitorPass(down, { proposals: { resolve } });
    const p = r.proposedEscalationTargets.find((x) => x.platform === 'down-board')!;
    expect(p.status).toBe('failed');
    expect(p.targets).toEqual([]);
    expect(p.accept).toBeNull();
    expect(p.problem).toMatch(/The RDAP service at http:\/\/127\.0\.0\.1:\d+\/ could not be reached for the address 192\.0\.2\.20/);
    expect(p.problem).toMatch(/could not be reached for down\.example/);
    expect(p.problem).toMatch(/tries again in an hour; or add the escalation target by hand with 'staydown platform change down-board --escalate-to TARGET'/);
    expect(new Date(p.retryAt!).getTime()).toBeGreaterThan(Date.now() + 50 * 60_000);
    // The pass went on: its other counts are there and the other platforms' proposals too.
    expect(r.noEscalationTarget).toContain('down-board');
    await expect(acceptEscalationProposal(ctx, ADMIN, 'down-board')).rejects.toThrow(/no escalation target to accept for platform 'down-board': The RDAP service/);
    // Before the retry time nothing is asked; after it, the (now reachable) service is asked again.
    const first = p.lookedUpAt;
    const cached = await runMonitorPass(down, { proposals: { resolve } });
    expect(cached.proposedEscalationTargets.find((x) => x.platform === 'down-board')!.lookedUpAt).toBe(first);
    const asked = rdap.requests.length;
    const later = await runMonitorPass(ctx, { proposals: { resolve, now: new Date(Date.now() + 2 * 3_600_000) } });
    expect(rdap.requests.slice(asked)).toEqual(expect.arrayContaining(['/ip/192.0.2.20', '/domain/down.example']));
    expect(later.proposedEscalationTargets.find((x) => x.platform === 'down-board')!.problem).toMatch(/knows no network for the address 192\.0\.2\.20/);
  });

  it('an RDAP service that never answers holds the pass only for the lookup timeout (5 s), then says so', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const hanging = createServer(() => { /* never answers */ });
    hanging.on('connection', (s) => sockets.add(s));
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
    try {
      const slow: ServiceContext = { ...ctx, config: Object.freeze({ ...ctx.config, rdapUrl: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/` }) };
      ADDRESSES['slow.example'] = '192.0.2.30';
      const site = await seedPlatformRow(ctx.sql, { name: 'slow-board', jurisdiction: 'EU' });
      await ctx.sql.query("UPDATE platforms SET domains = '{slow.example}' WHERE id = $1", [site.id]);
      await sentNotice(site, 'http://slow.example/p/1', 80);
      const started = Date.now();
      const r = await runMonitorPass(slow, { proposals: { resolve } });
      const took = Date.now() - started;
      expect(took).toBeLessThan(15_000);
      const p = r.proposedEscalationTargets.find((x) => x.platform === 'slow-board')!;
      expect(p.status).toBe('failed');
      expect(p.problem).toMatch(/could not be (reached|read in time) for the address 192\.0\.2\.30 \(.*(timeout|aborted).*\); try again later/i);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => hanging.close(r));
    }
  });
});

let token = '';
async function adminToken(): Promise<string> {
  if (token) return token;
  const { addUser } = await import('../../../services/accounts/accounts.ts');
  const u = await addUser(ctx.sql, ADMIN, { name: 'proposal-admin', role: 'admin', credential: 'token' });
  token = u.token!;
  return token;
}
