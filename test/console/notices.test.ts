/**
 * The console's notices, platform answers, response link and case timeline, in Debian's Chromium against
 * a real `staydown serve` (api, worker, scheduler) with a real SMTP server on 127.0.0.1 and the
 * four-eyes rule on: the staff member who confirmed the alerts sees who must approve instead of the
 * button; another approves and the SMTP server receives the notice; the board shows drafts first and
 * an overdue notice highlighted; a platform account answers "removed" and the notice's history shows it;
 * another platform's notice is a 404 page; the public response link works in Korean and English, its
 * JSON POST still works, and a wrong token is the same 404; the case timeline lists found, notified and
 * removal claimed in order. Every page is screenshotted and axe-checked in both languages.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser } from '../../services/accounts/index.ts';
import { assignCaseStaff, openCase } from '../../services/cases/index.ts';
import type { ServiceContext } from '../../services/platform/context.ts';
import { addPlatform, approveNotice, draftNotices } from '../../services/takedown/index.ts';
import { loadConfig } from '../../services/platform/config.ts';
import { useTestDatabase } from '../support/db.ts';
import { ADMIN, childEnv, serviceContext, startServe, type RunningServe } from '../support/service.ts';
import { seedConfirmedAlert } from '../support/takedown.ts';
import { useTempDir } from '../support/tmp.ts';
import { startSmtpSink, type SmtpSink } from '../services/delivery/support/smtp-sink.ts';
import { capture, captureBoth, launch, person, closeBrowser } from './browser.ts';
import { firstSignIn, signIn, type Accounts } from './session.ts';

const db = useTestDatabase('console_notices');
const tmp = useTempDir('console-notices');

const ORG = { STAYDOWN_ORG_EMAIL: 'takedown@support.example', STAYDOWN_ORG_NAME: 'Support Centre' };
let ctx: ServiceContext;
let serve: RunningServe;
let sink: SmtpSink;
let base: string;
let browser: Browser;
const accounts: Accounts = {};
let caseCode = '';
/** Notice ids by platform. */
const notices: Record<string, string> = {};

async function userId(name: string): Promise<string> {
  const [u] = await ctx.sql.query<{ id: string }>('SELECT id::text FROM users WHERE name = $1', [name]);
  return u.id;
}

async function noticeOf(platform: string): Promise<{ id: string; reference: string; status: string }> {
  const [n] = await ctx.sql.query<{ id: string; reference: string; status: string }>(
    'SELECT n.id::text, n.reference, n.status FROM notices n JOIN platforms p ON p.id = n.platform_id WHERE p.name = $1 ORDER BY n.created_at LIMIT 1', [platform],
  );
  return n;
}

const oneTime: Record<string, string> = {};

/** An account made through the accounts service, as an admin would; its first sign-in happens in the browser. */
async function makeUser(name: string, role: 'staff' | 'platform'): Promise<string> {
  const made = await addUser(ctx.sql, ADMIN, { name, role, credential: 'password' });
  oneTime[name] = made.password!;
  return userId(name);
}

/** A signed-in page (STAYDOWN_REQUIRE_2FA=none: no TOTP step); the first time with the new-password step. */
async function signedIn(name: string, locale: 'ko-KR' | 'en-US' = 'ko-KR') {
  const p = await person(browser, base, locale);
  if (accounts[name]) {
    await signIn(p.page, name, accounts[name].password);
    await p.page.waitForURL((u) => u.pathname === '/');
  } else {
    await firstSignIn(p.page, accounts, name, oneTime[name]);
  }
  return p;
}

async function text(page: Page, selector: string): Promise<string> {
  return ((await page.textContent(selector)) ?? '').replace(/\s+/g, ' ').trim();
}

beforeAll(async () => {
  sink = await startSmtpSink();
  const plain = await serviceContext(db(), join(tmp(), 'data'));
  // The test's own calls (approveNotice) run under the serve's settings.
  ctx = { ...plain, config: loadConfig({ dataDir: plain.config.dataDir }, { DATABASE_URL: db().url, STAYDOWN_MASTER_KEY: plain.masterKey.toString('hex'), ...ORG, STAYDOWN_FOUR_EYES: 'true' }) };
  serve = await startServe(childEnv(ctx, {
    ...ORG,
    STAYDOWN_REQUIRE_2FA: 'none',
    STAYDOWN_FOUR_EYES: 'true',
    STAYDOWN_SMTP_URL: sink.url,
    STAYDOWN_NOTICE_FROM: 'Support Centre <takedown@support.example>',
    // http: the console's cookies are not Secure-only and the test browser talks plain http to 127.0.0.1.
    STAYDOWN_PUBLIC_URL: 'http://staydown.test',
    STAYDOWN_QUEUE_SCHEMA: `${db().schema}_boss`,
    STAYDOWN_MONITOR_SWEEP: '2s',
  }));
  base = serve.info.url!;
  browser = await launch();

  // Two staff on one case and one on none; two platforms, each answered for by its own account.
  const c = await openCase(ctx, ADMIN, { personal: { label: 'Private label 7731', name: 'Victim Name 7731', contacts: ['010-7731-7731'], notes: 'note 7731' }, keywords: ['kw7731'] });
  caseCode = c.code;
  const kim = await makeUser('kim.minji', 'staff');
  const park = await makeUser('park.jiho', 'staff');
  await makeUser('lee.other', 'staff');
  await assignCaseStaff(ctx, ADMIN, caseCode, kim);
  await assignCaseStaff(ctx, ADMIN, caseCode, park);
  await makeUser('board.desk', 'platform');
  await makeUser('tube.desk', 'platform');
  await addPlatform(ctx, ADMIN, { name: 'Board', domains: ['board.example'], jurisdiction: 'KR', language: 'ko', emails: ['abuse@board.example'], user: 'board.desk' });
  await addPlatform(ctx, ADMIN, { name: 'Tube', domains: ['tube.example'], jurisdiction: 'US', language: 'en', emails: ['abuse@tube.example'], user: 'tube.desk' });
  const week = Date.now() - 7 * 86_400_000;
  const alerts = [
    await seedConfirmedAlert(ctx.sql, caseCode, { pageUrl: 'https://board.example/post/1', mediaUrl: 'https://board.example/img/1.jpg', firstSeen: new Date(week) }),
    await seedConfirmedAlert(ctx.sql, caseCode, { pageUrl: 'https://board.example/post/2', mediaUrl: 'https://board.example/img/2.jpg', firstSeen: new Date(week + 60_000) }),
    await seedConfirmedAlert(ctx.sql, caseCode, { pageUrl: 'https://tube.example/watch/9', mediaUrl: 'https://tube.example/v/9.mp4', firstSeen: new Date(week + 120_000) }),
  ];
  // kim.minji reviewed these alerts (as the review queue records it): under four eyes she may not approve them.
  await ctx.sql.query('UPDATE crawl_alerts SET decided_by = $1 WHERE id = ANY ($2::uuid[])', [kim, alerts]);
  // Drafting now; the serve's scheduler runs the same drafting every 10 s and may have got there first,
  // so what is checked is the result: one draft per platform, holding the three alerts between them.
  await draftNotices(ctx, ADMIN);
  const [d] = await ctx.sql.query<{ notices: number; items: number }>(
    "SELECT count(DISTINCT n.id)::int AS notices, count(i.*)::int AS items FROM notices n JOIN notice_items i ON i.notice_id = n.id WHERE n.status = 'draft'",
  );
  expect(d).toEqual({ notices: 2, items: 3 });
  for (const p of ['Board', 'Tube']) notices[p] = (await noticeOf(p)).id;
}, 300_000);

afterAll(async () => {
  await closeBrowser(browser);
  await serve?.stop();
  await sink?.close();
});

describe('the console: notices, platform answers, response link, case timeline', () => {
  it('the reviewer who confirmed the alerts sees who must approve instead of the button; a colleague approves and the SMTP server receives it', { timeout: 180_000 }, async () => {
    const kim = await signedIn('kim.minji');
    const { page } = kim;
    await captureBoth(page, 'home-staff-notices');
    await page.click('nav a[href="/notices"]');
    await page.waitForURL(/\/notices$/);
    // Drafts first, both of them; the summary counts them.
    const rows = page.locator('table.board tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await text(page, '#board-summary')).toContain('2');
    expect(await rows.nth(0).textContent()).toContain('초안');
    await captureBoth(page, 'notices-board-drafts');
    await page.click(`a[href="/notices/${notices.Board}"]`);
    await page.waitForURL(new RegExp(`/notices/${notices.Board}$`));
    // The four-eyes sentence replaces the button.
    expect(await page.locator('#approve').count()).toBe(0);
    expect(await text(page, '#four-eyes')).toContain('다른 삭제지원 담당자');
    // Who: the colleague on the case who did not confirm them (not kim.minji herself, not staff of other cases).
    expect(await text(page, '#four-eyes-who')).toBe('승인할 수 있는 사람: park.jiho (또는 관리자)');
    // The text exactly as it goes out: Korean (the platform's language), with both URLs, nothing of the victim.
    const letter = await text(page, '#notice-text');
    expect(letter).toContain('https://board.example/img/1.jpg');
    expect(letter).toContain('https://board.example/img/2.jpg');
    expect(await page.getAttribute('#notice-text', 'tabindex')).toBe('0');
    expect(await page.locator('#text div[lang="ko"]').count()).toBe(1);
    const html = await page.content();
    for (const secret of ['Victim Name 7731', 'Private label 7731', '7731-7731', 'kw7731', 'note 7731']) expect(html).not.toContain(secret);
    await captureBoth(page, 'notice-four-eyes');
    expect(kim.cspViolations).toEqual([]);
    await kim.context.close();

    const park = await signedIn('park.jiho', 'en-US');
    await park.page.goto(`/notices/${notices.Board}`);
    expect(await park.page.locator('#four-eyes').count()).toBe(0);
    await captureBoth(park.page, 'notice-draft');
    await park.page.click('#approve');
    await park.page.waitForURL(/\?done=approved$/);
    expect(await text(park.page, '#done')).toContain('Approved');
    await expect.poll(() => sink.messages.length, { timeout: 60_000 }).toBe(1);
    const mail = sink.messages[0];
    expect(mail.envelope.to).toEqual(['abuse@board.example']);
    const reference = (await noticeOf('Board')).reference;
    expect(mail.parsed.subject).toContain(reference);
    // Once delivered, the page shows it sent with the Message-ID the SMTP server got, and the history who approved.
    await expect.poll(async () => {
      await park.page.reload();
      return text(park.page, '#notice-status');
    }, { timeout: 30_000 }).toBe('Sent');
    expect(await text(park.page, '#delivery-row')).toContain(mail.messageId!.replace(/[<>]/g, ''));
    const history = await text(park.page, '#history');
    expect(history).toMatch(/Approved.*park\.jiho/);
    expect(history).toContain('Sent');
    expect(await text(park.page, '#notice-timer')).toMatch(/left/);
    await captureBoth(park.page, 'notice-sent');
    expect(park.cspViolations).toEqual([]);
    await park.context.close();
  });

  it('the board shows an overdue notice highlighted, with the time past its deadline', { timeout: 120_000 }, async () => {
    // park.jiho approves Tube's notice through the same service function; the serve's worker sends it.
    await approveNotice(ctx, { userId: await userId('park.jiho'), name: 'park.jiho', role: 'staff', source: 'test' }, notices.Tube);
    await expect.poll(async () => (await noticeOf('Tube')).status, { timeout: 60_000 }).toBe('sent');
    // Its deadline (48 h for US) has not passed; a day and more is made to have gone by.
    await ctx.sql.query("UPDATE notices SET sent_at = now() - interval '3 days', deadline = now() - interval '26 hours' WHERE id = $1", [notices.Tube]);
    const { page, context, cspViolations } = await signedIn('park.jiho');
    await page.goto('/notices');
    const overdue = page.locator('table.board tbody tr.timer-overdue');
    expect(await overdue.count()).toBe(1);
    expect(await overdue.textContent()).toContain('Tube');
    expect(await text(page, 'table.board tbody tr.timer-overdue .timer')).toMatch(/^Overdue by 1 d 2 h$/);
    // Overdue comes before the one still in time.
    expect(await page.locator('table.board tbody tr').first().textContent()).toContain('Tube');
    expect(await text(page, '#board-summary')).toContain('1 request(s) are past their deadline');
    // The highlight is a real colour, not only a class name.
    const bg = await overdue.locator('td').first().evaluate((td) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(td).backgroundColor);
    expect(bg).not.toBe('rgba(0, 0, 0, 0)');
    await captureBoth(page, 'notices-board-overdue');
    // Filters: by platform and by kind.
    await page.selectOption('#f-platform', 'Board');
    await page.click('form.filters button[type="submit"]');
    await page.waitForURL(/platform=Board/);
    expect(await page.locator('table.board tbody tr').count()).toBe(1);
    await page.selectOption('#f-platform', '');
    await page.selectOption('#f-kind', 'reminder');
    await page.click('form.filters button[type="submit"]');
    await page.waitForURL(/kind=reminder/);
    expect(await page.locator('table.board tbody tr').count()).toBe(0);
    expect(cspViolations).toEqual([]);
    await context.close();
    // Staff of another case see none of them: the board is empty, a notice's page is not found.
    const other = await signedIn('lee.other');
    await other.page.goto('/notices');
    expect(await other.page.locator('table.board tbody tr').count()).toBe(0);
    const res = await other.page.goto(`/notices/${notices.Board}`);
    expect(res!.status()).toBe(404);
    await other.context.close();
  });

  it('a platform account answers "removed"; the notice history shows it; another platform\'s notice is a 404 page', { timeout: 120_000 }, async () => {
    const { page, context, cspViolations } = await signedIn('board.desk');
    await captureBoth(page, 'home-platform');
    await page.click('nav a[href="/platform/notices"]');
    await page.waitForURL(/\/platform\/notices$/);
    expect(await page.locator('table tbody tr').count()).toBe(1);
    await captureBoth(page, 'platform-notices');
    await page.click(`a[href="/platform/notices/${notices.Board}"]`);
    await captureBoth(page, 'platform-notice');
    // A refusal without its reason is sent back with a sentence.
    await page.check('#answer-refused');
    await page.click('#send-answer');
    expect(await text(page, '#answer-error')).toContain('reason');
    await capture(page, 'platform-notice-error');
    await page.check('#answer-removed');
    await page.fill('#answer-message', 'Both posts deleted by our moderators.');
    await page.click('#send-answer');
    await page.waitForURL(/\?answered=1$/);
    expect(await text(page, '#answered')).toContain('기록');
    expect(await text(page, '#answers-so-far')).toContain('삭제했습니다');
    await captureBoth(page, 'platform-notice-answered');
    // Tube's notice is not Board's: the same 404 page as a notice that does not exist.
    const res = await page.goto(`/platform/notices/${notices.Tube}`);
    expect(res!.status()).toBe(404);
    const missing = await page.goto('/platform/notices/00000000-0000-0000-0000-000000000000');
    expect(missing!.status()).toBe(404);
    await captureBoth(page, 'platform-notice-404');
    expect(await page.textContent('main')).not.toContain('Tube');
    expect(cspViolations).toEqual([]);
    await context.close();

    const staff = await signedIn('park.jiho');
    await staff.page.goto(`/notices/${notices.Board}`);
    // park.jiho reads English (his choice at first sign-in).
    expect(await text(staff.page, '#history')).toMatch(/The platform answered: Removed The platform/);
    expect(await text(staff.page, '#answers')).toContain('Both posts deleted by our moderators.');
    await staff.context.close();
  });

  it('the response link from the e-mail is the same answer page in Korean and English; JSON still works; a wrong token is one 404', { timeout: 120_000 }, async () => {
    const token = /\/respond\/([A-Za-z0-9_-]+)/.exec(sink.messages[0].parsed.text ?? '')![1];
    const { page, context, cspViolations } = await person(browser, base, 'ko-KR');
    const res = await page.goto(`/respond/${token}`);
    expect(res!.status()).toBe(200);
    expect(res!.headers()['cache-control']).toBe('no-store');
    expect(res!.headers()['content-security-policy']).toContain("default-src 'none'");
    expect(res!.headers()['content-security-policy']).not.toContain('unsafe-inline');
    expect(await page.getAttribute('html', 'lang')).toBe('ko');
    // Styled like the console: its stylesheet loaded.
    expect(await page.locator('header.top').evaluate((h) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(h).backgroundColor)).toBe('rgb(20, 32, 64)');
    expect(await text(page, 'h1')).toContain((await noticeOf('Board')).reference);
    await capture(page, 'respond');
    await page.click('a[lang="en"]');
    await expect.poll(() => page.getAttribute('html', 'lang')).toBe('en');
    await capture(page, 'respond');
    await page.check('#answer-need-info');
    await page.fill('#answer-message', 'Which account uploaded it?');
    await page.click('#send-answer');
    expect(await text(page, '#answered')).toContain('recorded');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await capture(page, 'respond-answered');
    expect(await page.context().cookies()).toEqual([]);
    expect(cspViolations).toEqual([]);
    // Systems answer with JSON as before.
    const json = await fetch(`${base}/respond/${token}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ answer: 'acknowledged' }) });
    expect(json.status).toBe(200);
    expect(((await json.json()) as { responses: unknown[] }).responses).toHaveLength(3);
    // Wrong tokens (token-shaped or not): the same 404, in the page's language.
    const wrong = await page.goto(`/respond/${'A'.repeat(token.length)}`);
    expect(wrong!.status()).toBe(404);
    expect(await page.getAttribute('html', 'lang')).toBe('ko');
    await capture(page, 'respond-404');
    expect((await page.goto('/respond/x?lang=en'))!.status()).toBe(404);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await capture(page, 'respond-404');
    const bodies = await Promise.all(['x', 'A'.repeat(token.length), `${token.slice(0, -1)}B`].map(async (t) => {
      const r = await fetch(`${base}/respond/${t}`, { headers: { accept: 'text/html', 'accept-language': 'ko' } });
      return `${r.status} ${await r.text()}`;
    }));
    expect(new Set(bodies).size).toBe(1);
    expect(bodies[0]).toMatch(/^404 /);
    // The page's form: a refusal without its reason comes back as the page with the sentence; on a wrong link, the same 404.
    const form = (t: string) => fetch(`${base}/respond/${t}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'ko' }, body: 'answer=refused&message=' });
    const refused = await form(token);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('A refusal needs its reason');
    const wrongForm = await form('A'.repeat(token.length));
    expect(`${wrongForm.status} ${await wrongForm.text()}`).toBe(bodies[0]);
    const jsonBodies = await Promise.all(['x', 'A'.repeat(token.length)].map(async (t) => (await fetch(`${base}/respond/${t}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"answer":"removed"}' })).text()));
    expect(jsonBodies[0]).toBe(jsonBodies[1]);
    await context.close();
  });

  it('the case timeline lists, per URL, found, notified and removal claimed in order, dated', { timeout: 120_000 }, async () => {
    const { page, context, cspViolations } = await signedIn('kim.minji');
    await page.goto(`/cases/${caseCode}`);
    await page.click('#timeline-link');
    await page.waitForURL(new RegExp(`/cases/${caseCode}/timeline$`));
    // The monitoring pass (every 2 s in this serve) applies Board's "removed" answer to its tracked URLs.
    await expect.poll(async () => {
      await page.reload();
      return page.locator('.timeline-url').first().locator('li[data-kind="removal-claimed"]').count();
    }, { timeout: 60_000 }).toBe(1);
    const first = page.locator('.timeline-url').first();
    const kinds = await first.locator('li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-kind')));
    const order = ['found', 'confirmed', 'notified', 'removal-claimed'].map((k) => kinds.indexOf(k));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((x, y) => x - y)).toEqual(order);
    expect(await first.textContent()).toContain((await noticeOf('Board')).reference);
    const times = await first.locator('li time').evaluateAll((ts) => ts.map((t) => t.getAttribute('datetime')!));
    expect([...times].sort()).toEqual(times);
    expect(await page.locator('.timeline-url').count()).toBe(3);
    expect(await page.content()).not.toContain('Victim Name 7731');
    await captureBoth(page, 'case-timeline');
    expect(cspViolations).toEqual([]);
    await context.close();
    // Read like the case page: audited by case code.
    const [row] = await ctx.sql.query<{ n: string }>("SELECT count(*)::text AS n FROM audit_log WHERE action = 'case.read' AND case_code = $1 AND detail->>'view' = 'timeline'", [caseCode]);
    expect(Number(row.n)).toBeGreaterThan(0);
    // Staff of another case: not found.
    const other = await signedIn('lee.other');
    expect((await other.page.goto(`/cases/${caseCode}/timeline`))!.status()).toBe(404);
    await other.context.close();
  });
});
