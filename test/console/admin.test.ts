/**
 * The console's sites, platforms, statistics and users pages end to end, in Debian's Chromium, against a
 * real `staydown serve` on this file's PostgreSQL schema: staff add a site through the form (the SSRF
 * guard's refusal shown next to the start address), crawl it now and watch the live counters reach the
 * crawl run's final numbers; an administrator adds a platform from an RDAP proposal for an unrouted
 * domain and another by hand (the webhook secret never comes back), reads the statistics (the same
 * numbers as getStats, the same CSV as `staydown stats --csv`), disables, enables, resets and re-roles
 * accounts; unknown addresses get the console's 404 page. Every page: screenshot + axe, both languages.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/db.ts';
import { useTempDir } from '../support/tmp.ts';
import { ADMIN, childEnv, runCli, serviceContext, startServe, type RunningServe } from '../support/service.ts';
import { syntheticPhoto } from '../support/images.ts';
import { rdapDomainAnswer, seedConfirmedAlert, startRdapFixture, type RdapFixture } from '../support/takedown.ts';
import { startBoard, type Board } from '../crawler/support/fixture-sites.ts';
import { registerMaterial } from '../crawler/support/registered-material.ts';
import { seedConfirmed, seedLoopbackSite, seedPlatformRow, seedSent } from '../services/monitoring/support.ts';
import { insertTrackedFromSentNotices } from '../../db/queries/monitoring.ts';
import { addUser } from '../../services/accounts/index.ts';
import { CATALOGUES } from '../../console/i18n.ts';
import { getStats, statsCsv } from '../../services/stats/index.ts';
import type { ServiceContext } from '../../services/platform/context.ts';
import { capture, captureBoth, checked, launch, person, closeBrowser } from './browser.ts';
import { newPerson, signIn, type Accounts } from './session.ts';

const db = useTestDatabase('console_admin');
const tmp = useTempDir('console-admin');

let ctx: ServiceContext;
let serve: RunningServe;
let base: string;
let browser: Browser;
let board: Board;
let rdap: RdapFixture;
let caseCode = '';
const accounts: Accounts = {};

beforeAll(async () => {
  ctx = await serviceContext(db(), join(tmp(), 'data'));
  // Registered material and an edited copy of it among a small board's images on 127.0.0.1, served with
  // a pause between requests so that a crawl takes long enough to watch.
  const original = await syntheticPhoto(9401, 320, 240);
  const reg = await registerMaterial(ctx.sql, 'C-ADMIN-1', { A: original }, ctx.masterKey);
  caseCode = 'C-ADMIN-1';
  void reg;
  board = await startBoard({ threads: 4, imagesPerThread: 3, threadsPerIndexPage: 4, planted: new Map([[5, await sharp(original).resize(260).jpeg({ quality: 70 }).toBuffer()]]) });
  rdap = await startRdapFixture({ 'unrouted-board.example': rdapDomainAnswer('unrouted-board.example', 'abuse@registrar.example') });
  serve = await startServe(childEnv(ctx, { STAYDOWN_REQUIRE_2FA: 'none', STAYDOWN_RDAP_URL: rdap.url, STAYDOWN_QUEUE_SCHEMA: `${db().schema}_boss` }));
  base = serve.info.url!;
  browser = await launch();
}, 240_000);

afterAll(async () => {
  await closeBrowser(browser);
  await serve?.stop();
  await board?.close();
  await rdap?.close();
});

const text = async (page: Page, sel: string) => ((await page.textContent(sel)) ?? '').replace(/\s+/g, ' ').trim();

async function switchTo(page: Page, lang: string): Promise<void> {
  await page.click(`form.lang button[value="${lang}"]`);
  await expect.poll(() => page.getAttribute('html', 'lang')).toBe(lang);
}

/**
 * captureBoth for a page that answers a POST (a refused form, a confirmation, a one-time password): the
 * language switch loads the page's address again, which is not that answer, so `redo` repeats the steps
 * to it in the other language, and again after switching back.
 */
async function captureAnswer(page: Page, name: string, redo: () => Promise<void>): Promise<void> {
  const lang = (await page.getAttribute('html', 'lang'))!;
  await capture(page, name);
  await switchTo(page, lang === 'ko' ? 'en' : 'ko');
  await redo();
  await capture(page, name);
  await switchTo(page, lang);
  await redo();
}

describe('the console: sites, platforms, statistics, users', () => {
  it('staff add a site (a refused start address is said next to the field), crawl it now and watch the counters reach the run\'s numbers', { timeout: 240_000 }, async () => {
    const { page, context, cspViolations } = await person(browser, base, 'en-US');
    await newPerson(ctx, page, accounts, 'staff.kim', 'staff');
    await page.click('nav a[href="/sites"]');
    await captureBoth(page, 'sites-empty');
    await page.click('a[href="/sites/new"]');
    await captureBoth(page, 'site-new');
    const tryLoopback = async () => {
      await page.goto('/sites/new');
      await page.fill('#s-name', 'board-one');
      await page.fill('#s-urls', `${board.origin}/`);
      await page.click('#site-add');
      await page.waitForSelector('#urls-problem');
    };
    await tryLoopback();
    // The SSRF guard refuses the loopback address: said next to the start addresses, in words and with the guard's sentence.
    await page.waitForSelector('#urls-problem');
    expect(await text(page, '#urls-problem')).toContain(`${board.origin}/ cannot be searched`);
    expect(await text(page, '#urls-problem')).toMatch(/would never be crawled: The address 127\.0\.0\.1 is loopback/);
    expect(await page.getAttribute('#s-urls', 'aria-invalid')).toBe('true');
    expect(await page.inputValue('#s-urls')).toBe(`${board.origin}/`);
    await captureAnswer(page, 'site-refused', tryLoopback);
    expect((await db().sql.query('SELECT 1 FROM crawl_sites WHERE name = $1', ['board-one'])).length).toBe(0);

    await page.fill('#s-allow', '127.0.0.1');
    await page.fill('#s-rateMs', '150');
    await page.fill('#s-concurrency', '1');
    await page.click('#site-add');
    await page.waitForURL(/\/sites\/board-one\?added=1$/);
    expect(await text(page, '#progress')).toContain('Not searched yet');
    await captureBoth(page, 'site');

    // Crawl now: the counters update on the page itself (no reload: the marker survives) until the run ends.
    await page.click('#crawl-now');
    await page.waitForURL(/queued=1&run=/);
    await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 42));
    const first = await text(page, '#run-status');
    expect(['Waiting to start', 'Searching']).toContain(first);
    const seen = new Set<string>();
    await expect.poll(async () => {
      seen.add(await text(page, '#run-pagesVisited'));
      return page.getAttribute('#run-progress', 'data-finished');
    }, { timeout: 180_000, interval: 250 }).toBe('yes');
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(42);
    const [run] = await db().sql.query<{ status: string; stats: Record<string, number> }>(
      'SELECT r.status, r.stats FROM crawl_runs r JOIN crawl_sites s ON s.id = r.site_id WHERE s.name = $1', ['board-one'],
    );
    expect(run.status).toBe('done');
    expect(run.stats.matches).toBeGreaterThanOrEqual(1);
    expect(run.stats.pagesVisited).toBeGreaterThanOrEqual(5);
    expect(await text(page, '#run-status')).toBe('Finished');
    for (const c of ['pagesVisited', 'mediaFingerprinted', 'matches', 'alertsRaised']) expect(await text(page, `#run-${c}`), c).toBe(String(run.stats[c]));
    // The numbers changed while the page stayed: more than one value was on it.
    expect(seen.size).toBeGreaterThan(1);
    await captureBoth(page, 'site-crawled');

    // Without JavaScript the page shows the numbers as they are, and a link to load them again.
    const plain = await browser.newContext({ baseURL: base, javaScriptEnabled: false, storageState: await context.storageState() });
    const still = await plain.newPage();
    await still.goto('/sites/board-one');
    expect(await text(still, '#run-pagesVisited')).toBe(String(run.stats.pagesVisited));
    expect(await still.getAttribute('#run-refresh a', 'href')).toMatch(/^\/sites\/board-one\?run=[0-9a-f-]{36}#progress$/);
    await plain.close();

    // Change the site: a wrong schedule is said next to its field; a right one is stored.
    await page.selectOption('#s-preset', 'custom');
    await page.fill('#s-schedule', 'every day');
    await page.click('#site-save');
    await page.waitForSelector('#schedule-problem');
    expect(await text(page, '#schedule-problem')).toContain('cron expression');
    expect(await page.inputValue('#s-schedule')).toBe('every day');
    await page.selectOption('#s-preset', '0 */6 * * *');
    await page.click('#site-save');
    await page.waitForURL(/\?saved=1$/);
    expect((await db().sql.query<{ schedule: string }>('SELECT schedule FROM crawl_sites WHERE name = $1', ['board-one']))[0].schedule).toBe('0 */6 * * *');
    expect(await page.inputValue('#s-preset')).toBe('0 */6 * * *');
    // One written by hand comes back as written.
    await page.selectOption('#s-preset', 'custom');
    await page.fill('#s-schedule', '30 8 * * 1-5');
    await page.click('#site-save');
    await page.waitForURL(/\?saved=1$/);
    expect(await page.inputValue('#s-preset')).toBe('custom');
    expect(await page.inputValue('#s-schedule')).toBe('30 8 * * 1-5');
    expect(cspViolations).toEqual([]);
    await context.close();
  });

  it('an administrator adds a platform from the RDAP proposal for an unrouted domain, and one by hand whose webhook secret never comes back', { timeout: 180_000 }, async () => {
    await seedConfirmedAlert(ctx.sql, caseCode, { pageUrl: 'https://www.unrouted-board.example/p/1', mediaUrl: 'https://www.unrouted-board.example/i/1.jpg' });
    const { page, context, cspViolations } = await person(browser, base, 'ko-KR');
    await newPerson(ctx, page, accounts, 'admin.choi', 'admin');
    await page.click('nav a[href="/platforms"]');
    expect(await text(page, '#unrouted')).toContain('unrouted-board.example');
    await captureBoth(page, 'platforms');
    const propose = async () => {
      await page.goto('/platforms');
      await page.click('#unrouted form[action="/platforms/propose"] button');
      await page.waitForSelector('#proposal');
    };
    await propose();
    expect(await page.inputValue('#p-name')).toBe('unrouted-board.example');
    expect(await page.inputValue('#p-emails')).toBe('abuse@registrar.example');
    await captureAnswer(page, 'platform-proposal', propose);
    await page.click('#platform-add');
    await page.waitForURL(/\/platforms\/unrouted-board\.example\?added=1$/);
    expect((await db().sql.query('SELECT 1 FROM platforms WHERE name = $1', ['unrouted-board.example'])).length).toBe(1);

    // By hand; first without any way to reach it, which is refused next to the e-mail field.
    const secret = 'a-long-webhook-secret-0123456789';
    const noChannel = async () => {
      await page.goto('/platforms/new');
      await page.fill('#p-name', 'Board One');
      await page.fill('#p-domains', 'board-one.example');
      await page.click('#platform-add');
      await page.waitForSelector('#p-emails-problem');
    };
    await noChannel();
    await captureAnswer(page, 'platform-refused', noChannel);
    await page.fill('#p-emails', 'abuse@board-one.example');
    await page.fill('#p-webhook', 'https://hooks.board-one.example/notices');
    await page.fill('#p-secret', secret);
    await page.selectOption('#p-jurisdiction', 'US');
    await page.click('#platform-add');
    await page.waitForURL(/\/platforms\/Board%20One\?added=1$/);
    expect(await text(page, '#secret-summary')).toBe('설정됨.');
    expect(await text(page, '#deadline-summary')).toBe('48시간 (적용 법의 기본값)');
    expect(await page.content()).not.toContain(secret);
    expect(await page.inputValue('#p-secret')).toBe('');
    await captureBoth(page, 'platform');
    // Change it: a deadline of its own; the secret box left empty keeps the secret.
    await page.fill('#p-deadline', '12');
    await page.click('#platform-save');
    await page.waitForURL(/\?saved=1$/);
    expect(await text(page, '#deadline-summary')).toBe('12시간');
    expect(await text(page, '#secret-summary')).toBe('설정됨.');
    const [row] = await db().sql.query<{ deadline_hours: number; has_secret: boolean }>('SELECT deadline_hours, webhook_secret_encrypted IS NOT NULL AS has_secret FROM platforms WHERE name = $1', ['Board One']);
    expect(row).toEqual({ deadline_hours: 12, has_secret: true });
    expect(await page.content()).not.toContain(secret);
    expect(cspViolations).toEqual([]);
    await context.close();
  });

  it('statistics: the table holds getStats\'s numbers, the charts are drawn, and the CSV is the command line\'s', { timeout: 180_000 }, async () => {
    // Six URLs notified to one platform, removed after 2, 4, ... 12 hours.
    const [c] = await ctx.sql.query<{ id: string }>('SELECT id::text FROM cases WHERE code = $1', [caseCode]);
    const [m] = await ctx.sql.query<{ id: string }>('SELECT id::text FROM material WHERE case_id = $1 LIMIT 1', [c.id]);
    const siteId = await seedLoopbackSite(ctx.sql, 'http://127.0.0.1:9');
    const platform = await seedPlatformRow(ctx.sql, { name: 'stats-board' });
    const alerts = [];
    for (let i = 0; i < 6; i++) alerts.push(await seedConfirmed(ctx.sql, { caseId: c.id, materialId: m.id, siteId, pageUrl: `https://stats.example/p/${i}`, mediaUrl: `https://stats.example/i/${i}.jpg` }));
    await seedSent(ctx.sql, c.id, platform, alerts);
    // Tracking starts as the monitoring pass starts it: one tracked URL per sent item.
    expect(await insertTrackedFromSentNotices(ctx.sql, 3_600_000)).toHaveLength(6);
    await ctx.sql.query(`UPDATE tracked_urls t SET first_removed_at = t.first_notified_at + (x.h || ' hours')::interval, removed_at = t.first_notified_at + (x.h || ' hours')::interval, state = 'removed'
      FROM (SELECT id, 2 * row_number() OVER (ORDER BY id) AS h FROM tracked_urls) x WHERE x.id = t.id`);
    const today = new Date().toISOString().slice(0, 10);
    const from = new Date(Date.now() - 60 * 86_400_000).toISOString().slice(0, 10);
    const expected = await getStats(ctx, ADMIN, { from, to: today });

    const { page, context, cspViolations } = await person(browser, base, 'en-US');
    await signIn(page, 'admin.choi', accounts['admin.choi'].password);
    await page.waitForURL((u) => u.pathname === '/');
    await page.click('nav a[href="/statistics"]');
    await page.fill('#st-from', from);
    await page.fill('#st-to', today);
    await page.click('form.filters button[type="submit"]');
    await page.waitForURL(/\/statistics\?from=/);
    const cells = await page.$$eval('#platform-table tbody tr', (rows) => rows.map((r) => ({
      platform: r.getAttribute('data-platform'),
      values: Object.fromEntries([...r.querySelectorAll('td')].map((td) => [td.getAttribute('data-col'), td.getAttribute('data-value')])),
    })));
    expect(cells.map((r) => r.platform)).toEqual(expected.platforms.map((p) => p.platform));
    for (const [i, p] of expected.platforms.entries()) {
      for (const [k, v] of Object.entries(p)) if (k !== 'platform') expect(cells[i].values[k], `${p.platform} ${k}`).toBe(v === null ? '' : String(v));
    }
    const row = expected.platforms.find((p) => p.platform === 'stats-board')!;
    expect(row).toMatchObject({ urls: 6, removed: 6, medianHoursToRemoval: 7 });
    expect(await text(page, '#platform-table tr[data-platform="stats-board"] td[data-col="medianHoursToRemoval"]')).toBe('7');
    const months = await page.$$eval('#month-table tbody tr', (rows) => rows.map((r) => r.getAttribute('data-month')));
    expect(months).toEqual(expected.months.map((x) => x.month));
    // The charts: one bar per platform, and the monthly columns.
    expect(await page.locator('svg[aria-labelledby="chart-median-caption"] rect').count()).toBe(expected.platforms.length);
    expect(await page.locator('svg[aria-labelledby="chart-months-caption"] rect').count()).toBe(expected.months.length * 3);
    await captureBoth(page, 'statistics');

    // The CSV: the same bytes as `staydown stats --csv` for the same days.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv-download')]);
    const csv = readFileSync((await download.path())!, 'utf8');
    const cli = await runCli(['stats', '--csv', '--from', from, '--to', today], childEnv(ctx));
    expect(cli.status).toBe(0);
    expect(csv).toBe(cli.stdout);
    expect(csv).toBe(statsCsv(expected));
    expect(download.suggestedFilename()).toBe(`staydown-statistics-${from}-${today}.csv`);

    // For publication: counts under 5 read "<5".
    await page.check('#st-public');
    await page.click('form.filters button[type="submit"]');
    await page.waitForURL(/public=yes/);
    expect(await text(page, '#platform-table tr[data-platform="stats-board"] td[data-col="noticesSent"]')).toBe('<5');
    expect(await text(page, '#platform-table tr[data-platform="stats-board"] td[data-col="urls"]')).toBe('6');
    expect(cspViolations).toEqual([]);
    await context.close();
  });

  it('users: the administrator disables and enables an account, resets its password (which must then be replaced at sign-in) and changes a role', { timeout: 180_000 }, async () => {
    const other = await addUser(ctx.sql, ADMIN, { name: 'op.jung', role: 'operator' });
    const staff = await person(browser, base, 'en-US');
    await signIn(staff.page, 'staff.kim', accounts['staff.kim'].password);
    await staff.page.waitForURL((u) => u.pathname === '/');

    const { page, context, cspViolations } = await person(browser, base, 'ko-KR');
    await signIn(page, 'admin.choi', accounts['admin.choi'].password);
    await page.waitForURL((u) => u.pathname === '/');
    await page.click('nav a[href="/users"]');
    // No action on one's own row: another administrator changes it.
    expect(await page.locator('tr[data-user="admin.choi"] form').count()).toBe(0);
    await captureBoth(page, 'users-admin');

    const askDisable = async () => {
      await page.goto('/users');
      await page.click('tr[data-user="staff.kim"] form[action$="/disable"] button');
      await page.waitForSelector('#confirm-action');
    };
    await askDisable();
    await captureAnswer(page, 'user-confirm', askDisable);
    await page.click('#confirm-action');
    await page.waitForURL(/\/users\?disabled=1$/);
    expect((await db().sql.query<{ disabled: boolean }>('SELECT disabled FROM users WHERE name = $1', ['staff.kim']))[0].disabled).toBe(true);
    expect(await text(page, 'tr[data-user="staff.kim"]')).toContain('사용 중지');
    // The staff member's session ended with it.
    await staff.page.goto('/sites');
    await staff.page.waitForURL(/\/sign-in/);

    await page.click('tr[data-user="staff.kim"] form[action$="/enable"] button');
    await page.waitForURL(/\/users\?enabled=1$/);
    const reset = async () => {
      await page.goto('/users');
      await page.click('tr[data-user="staff.kim"] form[action$="/password"] button');
      await page.click('#confirm-action');
      await page.waitForSelector('#reset-password');
    };
    await reset();
    // Each reset issues a new one-time password; the last one shown is the one that works.
    await captureAnswer(page, 'users-reset', reset);
    const oneTime = await text(page, '#reset-password');
    expect(oneTime.length).toBeGreaterThanOrEqual(12);
    // The old password no longer works; the one-time one opens only the new-password step.
    await signIn(staff.page, 'staff.kim', accounts['staff.kim'].password);
    await staff.page.waitForSelector('.error, [role="alert"]');
    expect(new URL(staff.page.url()).pathname).toBe('/sign-in');
    await signIn(staff.page, 'staff.kim', oneTime);
    await staff.page.waitForURL(/\/sign-in\/new-password$/);
    await staff.page.goto('/sites');
    await staff.page.waitForURL(/\/sign-in\/new-password$/);
    await staff.context.close();

    // A role change, confirmed.
    await page.goto('/users');
    await page.selectOption(`#role-${other.user.id}`, 'auditor');
    await page.click('tr[data-user="op.jung"] form[action$="/role"] button');
    await page.click('#confirm-action');
    await page.waitForURL(/\/users\?role=1$/);
    expect((await db().sql.query<{ role: string }>('SELECT role FROM users WHERE name = $1', ['op.jung']))[0].role).toBe('auditor');
    const audit = await db().sql.query<{ action: string }>("SELECT action FROM audit_log WHERE action LIKE 'user.%' ORDER BY seq");
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['user.disable', 'user.enable', 'user.reset-password', 'user.role-change']));
    expect(cspViolations).toEqual([]);
    await context.close();
  });

  it('an unknown address gets the console\'s 404 page in the person\'s language; the API keeps its JSON', { timeout: 60_000 }, async () => {
    const { page, context } = await person(browser, base, 'ko-KR');
    await signIn(page, 'admin.choi', accounts['admin.choi'].password);
    await page.waitForURL((u) => u.pathname === '/');
    const res = await page.goto('/no-such-page');
    expect(res!.status()).toBe(404);
    // In the person's language (the last one they chose), both languages captured below.
    const lang = (await page.getAttribute('html', 'lang')) as 'ko' | 'en';
    expect(await text(page, 'h1')).toBe(CATALOGUES[lang]['error.404']);
    expect(await text(page, '#not-found')).toBe(CATALOGUES[lang]['error.404.more']);
    expect(await page.locator('nav a[href="/users"]').count()).toBe(1);
    await captureBoth(page, 'not-found');
    const api = await fetch(`${base}/api/v1/no-such-endpoint`);
    expect(api.status).toBe(404);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('not_found');
    const out = await fetch(`${base}/somewhere/else`, { headers: { 'accept-language': 'en' } });
    expect(out.status).toBe(404);
    expect(await out.text()).toContain('The address is wrong, or the page no longer exists.');
    await context.close();
  });

  it('checked every page in both languages', () => {
    const pages = new Set(checked.map((c) => c.replace(/\.(ko|en)$/, '')));
    for (const p of pages) {
      expect(checked, p).toContain(`${p}.ko`);
      expect(checked, p).toContain(`${p}.en`);
    }
    expect([...pages].sort()).toEqual(['not-found', 'platform', 'platform-proposal', 'platform-refused', 'platforms', 'site', 'site-crawled', 'site-new', 'site-refused', 'sites-empty', 'statistics', 'user-confirm', 'users-admin', 'users-reset']);
  });
});
