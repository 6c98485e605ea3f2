/**
 * The console's platforms pages show the escalation targets staydown proposes, in Debian's Chromium
 * against a real `staydown serve`: the proposals come from a real RDAP server on 127.0.0.1 (domain and
 * ip answers), asked by the same service function the monitoring pass calls; one platform's lookup
 * failed (RDAP unreachable) and says so. Staff read the proposal on the platform's page and accept it;
 * the records are created and chained. An operator sees the proposal but no button. Screenshots and axe
 * in both languages.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/db.ts';
import { useTempDir } from '../support/tmp.ts';
import { childEnv, serviceContext, startServe, type RunningServe } from '../support/service.ts';
import { rdapDomainAnswer, startRdapFixture, type RdapFixture } from '../support/takedown.ts';
import { seedPlatformRow } from '../services/monitoring/support.ts';
import { proposeEscalationTargets } from '../../services/takedown/index.ts';
import { selectPlatformByName } from '../../db/queries/platforms.ts';
import type { ServiceContext } from '../../services/platform/context.ts';
import { captureBoth, launch, person, closeBrowser } from './browser.ts';
import { newPerson, type Accounts } from './session.ts';

const db = useTestDatabase('console_escalation');
const tmp = useTempDir('console-escalation');
let ctx: ServiceContext;
let serve: RunningServe;
let browser: Browser;
let rdap: RdapFixture;
const accounts: Accounts = {};
const resolve = async (host: string) => ({ 'www.board.example': '192.0.2.10', 'down.example': '192.0.2.20' } as Record<string, string>)[host] ?? Promise.reject(new Error('no address'));

beforeAll(async () => {
  ctx = await serviceContext(db(), join(tmp(), 'data'));
  rdap = await startRdapFixture({
    'board.example': rdapDomainAnswer('board.example', 'abuse@registrar.example', 'Example Registrar, Inc.'),
    'ip/192.0.2.10': {
      objectClassName: 'ip network', handle: 'NET-192-0-2-0-1', startAddress: '192.0.2.0', endAddress: '192.0.2.255', name: 'EXAMPLE-NET', country: 'US',
      entities: [{ roles: ['registrant'], vcardArray: ['vcard', [['version', {}, 'text', '4.0'], ['fn', {}, 'text', 'Example Hosting Co']]], entities: [{ roles: ['abuse'], vcardArray: ['vcard', [['version', {}, 'text', '4.0'], ['email', {}, 'text', 'abuse@hosting.example']]] }] }],
    },
  });
  const board = await seedPlatformRow(ctx.sql, { name: 'board', jurisdiction: 'US' });
  await ctx.sql.query("UPDATE platforms SET domains = '{board.example}' WHERE id = $1", [board.id]);
  const kr = await seedPlatformRow(ctx.sql, { name: 'board-kr', jurisdiction: 'KR' });
  await ctx.sql.query("UPDATE platforms SET domains = '{board.kr}' WHERE id = $1", [kr.id]);
  const down = await seedPlatformRow(ctx.sql, { name: 'down-board', jurisdiction: 'OTHER' });
  await ctx.sql.query("UPDATE platforms SET domains = '{down.example}' WHERE id = $1", [down.id]);
  await proposeEscalationTargets({ ...ctx, config: Object.freeze({ ...ctx.config, rdapUrl: rdap.url }) }, [
    { platformId: board.id, urls: ['http://www.board.example/p/1'] }, { platformId: kr.id, urls: ['http://board.kr/p/9'] },
  ], { resolve });
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/`;
  await new Promise((r) => closed.close(r));
  await proposeEscalationTargets({ ...ctx, config: Object.freeze({ ...ctx.config, rdapUrl: deadUrl }) }, [{ platformId: down.id, urls: ['http://down.example/p/1'] }], { resolve });
  serve = await startServe(childEnv(ctx, { STAYDOWN_REQUIRE_2FA: 'none', STAYDOWN_RDAP_URL: rdap.url, STAYDOWN_QUEUE_SCHEMA: `${db().schema}_boss` }));
  browser = await launch();
}, 240_000);

afterAll(async () => {
  await closeBrowser(browser);
  await serve?.stop();
  await rdap?.close();
}, 180_000);

describe('the console: proposed escalation targets', () => {
  it('lists the proposals, shows one on its platform page, and staff accept it', { timeout: 240_000 }, async () => {
    const { page, context, cspViolations } = await person(browser, serve.info.url!, 'ko-KR');
    await newPerson(ctx, page, accounts, 'staff.lee', 'staff');
    await page.goto('/platforms');
    const rows = await page.locator('#escalation-proposals tbody tr').allTextContents();
    expect(rows.map((r) => r.replace(/\s+/g, ' ').trim())).toEqual([
      expect.stringMatching(/^board Example Hosting Co \(호스팅 업체\) → Example Registrar, Inc\. \(도메인 등록 업체\) 확인 대기$/),
      expect.stringMatching(/^board-kr KCSC \(심의 기관\) 확인 대기$/),
      expect.stringMatching(/^down-board — 아직 찾지 못함$/),
    ]);
    await captureBoth(page, 'platforms-escalation-proposals');

    await page.click('a[href="/platforms/down-board#escalation-proposal"]');
    expect(await page.textContent('#escalation-failed')).toContain('다음으로 요청할 곳을 아직 찾지 못했습니다');
    expect(await page.locator('#escalation-accept').count()).toBe(0);
    expect(await page.textContent('#escalation-proposal details')).toMatch(/could not be reached/);
    await captureBoth(page, 'platform-escalation-failed');

    await page.goto('/platforms/board');
    const panel = (await page.textContent('#escalation-proposal'))!.replace(/\s+/g, ' ');
    expect(panel).toContain('abuse@hosting.example');
    expect(panel).toContain('abuse@registrar.example');
    expect(panel).toContain('192.0.2.0 - 192.0.2.255');
    expect(panel).toContain('수락하면 새 플랫폼으로 추가됩니다');
    await captureBoth(page, 'platform-escalation-proposal');
    // Nothing exists yet to send to.
    expect(await selectPlatformByName(ctx.sql, 'Example Hosting Co')).toBeNull();
    await page.click('#escalation-accept');
    await page.waitForSelector('#escalation-accepted');
    expect(await page.textContent('#escalation-accepted')).toContain('Example Hosting Co');
    expect(await page.locator('#escalation-proposal').count()).toBe(0);
    const host = (await selectPlatformByName(ctx.sql, 'Example Hosting Co'))!;
    expect(host).toMatchObject({ kind: 'host', emails: ['abuse@hosting.example'], escalate_to_name: 'Example Registrar, Inc.' });
    expect((await selectPlatformByName(ctx.sql, 'board'))!.escalate_to_name).toBe('Example Hosting Co');
    await captureBoth(page, 'platform-escalation-accepted');
    expect(cspViolations).toEqual([]);
    await context.close();
  });

  it('an operator sees the proposal but cannot accept it', { timeout: 120_000 }, async () => {
    const { page, context } = await person(browser, serve.info.url!, 'en-US');
    await newPerson(ctx, page, accounts, 'op.park', 'operator');
    await page.goto('/platforms/board-kr');
    const panel = (await page.textContent('#escalation-proposal'))!.replace(/\s+/g, ' ');
    expect(panel).toContain('Korea Communications Standards Commission: review request (deletion, as the site is domestic)');
    expect(panel).toContain('https://www.kocsc.or.kr/');
    expect(await page.locator('#escalation-accept').count()).toBe(0);
    expect(panel).toContain('A staff member or an administrator can accept it.');
    // The form it would point to is not there for an operator.
    expect(panel).not.toContain('enter who to ask by hand');
    await captureBoth(page, 'platform-escalation-kcsc-operator');
    await context.close();
  });
});
