/**
 * The console end to end, in Debian's Chromium, against a real `staydown serve` on this file's
 * PostgreSQL schema: the bootstrap administrator's first sign-in (new password, TOTP set-up), accounts
 * made in the console and their first sign-ins, staff opening a case and uploading an image (dropped) and
 * a video (chosen) with a progress bar and result per file, the auditor checking the chain, erasing with
 * a typed confirmation; refusals (no CSRF token, an operator on a case page, an expired session, the
 * console's cookie used on the API). Every page is screenshotted and axe-checked in both languages.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/db.ts';
import { useTempDir } from '../support/tmp.ts';
import { childEnv, serviceContext, startServe, type RunningServe } from '../support/service.ts';
import { syntheticPhoto } from '../support/images.ts';
import { makeVideo } from '../support/files.ts';
import { darkWallpaper } from '../hashing/match/dark-wallpaper.ts';
import { capture, captureBoth, checked, launch, person, closeBrowser } from './browser.ts';
import { code, firstSignIn as firstSignInAs, signIn, type Accounts } from './session.ts';

const db = useTestDatabase('console');
const tmp = useTempDir('console');

let serve: RunningServe;
let base: string;
let browser: Browser;
const secrets: Accounts = {};

/** First sign-in; with `shots`, every step is screenshotted (the recovery codes in one language). */
async function firstSignIn(page: Page, name: string, oneTime: string, shots: boolean): Promise<void> {
  await firstSignInAs(page, secrets, name, oneTime, shots ? (step) => (step === 'sign-in-recovery-codes' ? capture(page, step) : captureBoth(page, step)) : undefined);
}
let caseCode = '';

beforeAll(async () => {
  const ctx = await serviceContext(db(), join(tmp(), 'data'));
  serve = await startServe(childEnv(ctx));
  base = serve.info.url!;
  browser = await launch();
}, 240_000);

afterAll(async () => {
  await closeBrowser(browser);
  await serve?.stop();
});

describe('the console', () => {
  it('sends a strict CSP, no-store, and no inline code; serves its own assets', async () => {
    const res = await fetch(`${base}/sign-in`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=|<style/);
    expect(html).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
    const css = await fetch(`${base}/static/console.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toContain('text/css');
    // A page that is not Korean or English-first picks by Accept-Language.
    const en = await (await fetch(`${base}/sign-in`, { headers: { 'accept-language': 'en-US,en;q=0.9,ko;q=0.5' } })).text();
    expect(en).toContain('<html lang="en">');
    const ko = await (await fetch(`${base}/sign-in`, { headers: { 'accept-language': 'ko-KR,ko;q=0.9,en;q=0.8' } })).text();
    expect(ko).toContain('<html lang="ko">');
  });

  it('the bootstrap administrator signs in once with the one-time password, chooses a password and sets up TOTP', { timeout: 120_000 }, async () => {
    const { page, context, cspViolations } = await person(browser, base, 'ko-KR');
    await page.goto('/sign-in');
    await captureBoth(page, 'sign-in');
    await firstSignIn(page, serve.info.admin!.name, serve.info.admin!.password, true);
    await captureBoth(page, 'home-admin');
    // The one-time password no longer works.
    const again = await fetch(`${base}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'admin', password: serve.info.admin!.password }) });
    expect(again.status).toBe(401);
    // With two-factor set up, the API wants the code too.
    const noCode = await fetch(`${base}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'admin', password: secrets.admin.password }) });
    expect(noCode.status).toBe(401);
    expect(((await noCode.json()) as { error: { message: string } }).error.message).toContain('code');

    await page.click('nav a[href="/users"]');
    await captureBoth(page, 'users');
    for (const [name, role] of [['kim.minji', 'staff'], ['audit.lee', 'auditor'], ['review.park', 'operator']] as const) {
      await page.fill('#u-name', name);
      await page.selectOption('#u-role', role);
      await page.click('form.inline button[type="submit"]');
      await page.waitForSelector('#one-time-password');
      secrets[name] = { password: (await page.textContent('#one-time-password'))!.trim() };
      if (name === 'kim.minji') await capture(page, 'users-created');
    }
    expect(await page.locator('table tbody tr').count()).toBe(4);
    await page.click('nav a[href="/configuration"]');
    await captureBoth(page, 'configuration');
    const configText = await page.textContent('main');
    expect(configText).toContain('Asia/Seoul');
    expect(configText).toContain('postgresql://127.0.0.1');
    expect(configText).not.toContain('options=');
    expect(configText).not.toContain(serve.info.admin!.password);
    await page.click('nav a[href="/audit"]');
    await captureBoth(page, 'audit-admin');
    expect(cspViolations).toEqual([]);
    await context.close();
  });

  it('staff: first sign-in sets up TOTP; then signs in with a code, opens a case, uploads an image (dropped) and a video (chosen) with progress, sees them registered', { timeout: 240_000 }, async () => {
    const { page, context, cspViolations } = await person(browser, base, 'en-US');
    await firstSignIn(page, 'kim.minji', secrets['kim.minji'].password, false);
    await captureBoth(page, 'home-staff');
    await page.click('form[action="/sign-out"] button');
    await page.waitForURL(/\/sign-in\?signedOut=1$/);

    await signIn(page, 'kim.minji', secrets['kim.minji'].password);
    await page.waitForURL(/\/sign-in\/code$/);
    await captureBoth(page, 'sign-in-code');
    // The set-up used this time step's code: a code is accepted once, so the next step's code it is.
    await page.fill('#code', code(secrets['kim.minji'].totp!, 1));
    await page.click('form.stack button[type="submit"]');
    await page.waitForURL((u) => u.pathname === '/');

    await page.click('nav a[href="/cases/new"]');
    await captureBoth(page, 'case-new');
    await page.fill('#label', 'Seoul, March, board posts');
    await page.fill('#name', 'Hong Gildong');
    await page.fill('#contacts', '010-1234-5678\nhong@example.org');
    await page.fill('#notes', 'Counselled by phone on Monday.');
    await page.fill('#keywords', 'gildong-cam\n길동 영상');
    await page.check('#keepEvidence');
    await page.click('form.stack > button[type="submit"]');
    await page.waitForURL(/\/cases\/SD-[0-9A-Z]{4}-[0-9A-Z]{4}\?opened=1$/);
    caseCode = /\/cases\/(SD-[^?]+)/.exec(page.url())![1];
    // Nothing about the victim is in the address.
    expect(page.url()).not.toMatch(/Hong|Gildong|1234|board/i);
    expect(await page.textContent('main')).toContain('Hong Gildong');

    const image = await syntheticPhoto(701);
    const videoPath = join(tmp(), 'clip.mp4');
    makeVideo(videoPath, 3);
    await page.fill('#upload-urls', 'https://board.example/post/77');
    // Drop the image on the drop zone, as a person dragging it from their folder would.
    const dt = await page.evaluateHandle((b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const g = globalThis as unknown as { DataTransfer: new () => { items: { add(f: unknown): void } }; File: new (parts: unknown[], name: string, o: object) => unknown };
      const d = new g.DataTransfer();
      d.items.add(new g.File([bytes], 'photo.jpg', { type: 'image/jpeg' }));
      return d;
    }, image.toString('base64'));
    await page.dispatchEvent('#dropzone', 'drop', { dataTransfer: dt });
    await page.setInputFiles('#files', { name: 'clip.mp4', mimeType: 'video/mp4', buffer: readFileSync(videoPath) });
    await page.click('#upload-submit');
    const items = page.locator('.upload-item');
    await expect.poll(() => items.count(), { timeout: 10_000 }).toBe(2);
    await expect.poll(async () => page.locator('.upload-item.ok').count(), { timeout: 120_000 }).toBe(2);
    for (let i = 0; i < 2; i++) {
      expect(await items.nth(i).locator('progress').getAttribute('value')).toBe('100');
    }
    expect(await items.nth(0).textContent()).toMatch(/photo\.jpg.*Registered: image, \d+ fingerprints/);
    expect(await items.nth(1).textContent()).toMatch(/clip\.mp4.*Registered: video, \d+ fingerprints/);
    await capture(page, 'case-uploaded');
    await page.click('#upload-reload');
    await page.waitForSelector('#material table tbody tr');
    const rows = await page.locator('#material table tbody tr').allTextContents();
    expect(rows).toHaveLength(2);
    expect(rows.join(' ')).toMatch(/image/);
    expect(rows.join(' ')).toMatch(/video/);
    expect(await page.textContent('#known-urls')).toContain('https://board.example/post/77');
    await captureBoth(page, 'case');
    // A dark, smooth picture registers too, and the page tells staff it is weak for matching.
    await page.setInputFiles('#files', { name: 'dark.png', mimeType: 'image/png', buffer: await darkWallpaper(3) });
    await page.click('#upload-submit');
    await expect.poll(async () => page.locator('.upload-item.ok').count(), { timeout: 120_000 }).toBe(1);
    expect(await page.textContent('.upload-item.ok .strength-weak')).toMatch(/^Weak for matching: the picture is dark or smooth/);
    await capture(page, 'case-uploaded-weak');
    await page.click('nav a[href="/cases"]');
    expect(await page.textContent('table')).toContain(caseCode);
    await captureBoth(page, 'cases');

    // Refusal: a form without its CSRF token (the session cookie alone is not enough).
    const forged = await context.request.post(`${base}/cases/new`, { form: { label: 'forged' }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    expect(await forged.text()).toContain('This form has expired');
    // Refusal: the console's session cookie is no API credential.
    const sessionCookie = (await context.cookies()).find((c) => c.name === 'sd_session')!;
    const api = await fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${sessionCookie.value}` } });
    expect(api.status).toBe(401);
    expect(sessionCookie.httpOnly).toBe(true);
    expect(sessionCookie.sameSite).toBe('Strict');

    // Withdraw and erase a second case, with the typed confirmation.
    await page.goto('/cases/new');
    await page.fill('#label', 'to be erased');
    await page.click('form.stack > button[type="submit"]');
    await page.waitForURL(/opened=1$/);
    const second = /\/cases\/(SD-[^?]+)/.exec(page.url())![1];
    await page.click('form[action$="/withdraw"] button');
    await page.waitForURL(/withdrawn=1$/);
    expect(await page.isDisabled('#erase-submit')).toBe(true);
    await page.fill('#confirm', second.toLowerCase());
    expect(await page.isDisabled('#erase-submit')).toBe(false);
    await page.click('#erase-submit');
    await page.waitForURL(/\/cases\?erased=SD-/);
    expect(await page.textContent('#erased-notice')).toContain(second);
    expect(await page.textContent('main')).not.toContain('to be erased');
    await capture(page, 'cases-after-erase');
    // Erased means erased: its page is gone, even for the staff member who had it.
    expect((await page.goto(`/cases/${second}`))!.status()).toBe(404);
    await page.goBack();

    // Refusal: an expired session goes back to sign-in, and its cookie is dead from then on.
    await db().admin.query("UPDATE console_sessions SET last_seen_at = now() - interval '31 minutes' WHERE credential_id = (SELECT c.id FROM credentials c JOIN users u ON u.id = c.user_id WHERE u.name = 'kim.minji' AND c.revoked_at IS NULL ORDER BY c.created_at DESC LIMIT 1)");
    await page.goto(`/cases/${caseCode}`);
    await page.waitForURL(/\/sign-in\?expired=1$/);
    expect(await page.textContent('.notice')).toContain('signed out');
    await page.goto('/cases');
    await page.waitForURL(/\/sign-in$/);
    expect(cspViolations).toEqual([]);
    await context.close();
  });

  it('an operator gets a 403 page for a case\'s personal data, and sees codes only in the list', { timeout: 120_000 }, async () => {
    const { page, context } = await person(browser, base, 'ko-KR');
    await firstSignIn(page, 'review.park', secrets['review.park'].password, false);
    await captureBoth(page, 'home-operator');
    await page.click('nav a[href="/cases"]');
    const list = await page.textContent('main');
    expect(list).toContain(caseCode);
    expect(list).not.toContain('Seoul, March');
    expect(await page.locator(`a[href="/cases/${caseCode}"]`).count()).toBe(0);
    const res = await page.goto(`/cases/${caseCode}`);
    expect(res!.status()).toBe(403);
    expect(await page.textContent('h1')).toContain('권한이 없습니다');
    expect(await page.textContent('body')).not.toContain('Hong Gildong');
    await capture(page, 'error-403');
    await page.goto('/audit');
    expect(await page.textContent('h1')).toContain('권한이 없습니다');
    await context.close();
  });

  it('the auditor reads the audit log, filters it by case and verifies the chain with one button', { timeout: 120_000 }, async () => {
    const { page, context } = await person(browser, base, 'en-US');
    await firstSignIn(page, 'audit.lee', secrets['audit.lee'].password, false);
    await captureBoth(page, 'home-auditor');
    await page.click('nav a[href="/audit"]');
    await page.fill('#f-case', caseCode);
    await page.click('form.filters button[type="submit"]');
    const actions = await page.locator('table.audit tbody td:nth-child(4) code').allTextContents();
    expect(actions).toContain('case.open');
    expect(actions).toContain('material.add');
    expect(await page.textContent('table.audit')).toContain('Registered a file');
    expect(await page.textContent('table.audit')).not.toMatch(/Hong|Gildong|board\.example/);
    await captureBoth(page, 'audit');
    await page.click('#verify');
    await page.waitForSelector('#verify-result');
    expect(await page.textContent('#verify-result')).toMatch(/The log is intact: all [\d,]+ entries check out/);
    await capture(page, 'audit-verified');
    await context.close();
  });

  it('checked every page in both languages', () => {
    const pages = new Set(checked.map((c) => c.replace(/\.(ko|en)$/, '')));
    for (const p of pages) {
      if (['sign-in-recovery-codes', 'users-created', 'case-uploaded', 'case-uploaded-weak', 'error-403', 'audit-verified', 'cases-after-erase'].includes(p)) continue;
      expect(checked, p).toContain(`${p}.ko`);
      expect(checked, p).toContain(`${p}.en`);
    }
    expect(pages.size).toBeGreaterThanOrEqual(18);
  });
});
