/**
 * Signing in to the console from a test, as a person does: the sign-in form, the new-password step of a
 * first sign-in, the TOTP set-up when the role needs it. Shared by every console test file; `accounts`
 * remembers each person's chosen password and TOTP secret for later sign-ins.
 */
import { Secret, TOTP } from 'otpauth';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { addUser } from '../../services/accounts/index.ts';
import type { ServiceContext } from '../../services/platform/context.ts';
import type { Role } from '../../services/platform/roles.ts';
import { decodeQr } from '../support/qr-decode.ts';
import { ADMIN } from '../support/service.ts';

export type Accounts = Record<string, { password: string; totp?: string }>;

/** The TOTP code of `secret` now, or `offsetSteps` 30-second steps away (a code is accepted once). */
export function code(secret: string, offsetSteps = 0): string {
  return new TOTP({ secret: Secret.fromBase32(secret.replace(/\s/g, '')), digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp: Date.now() + offsetSteps * 30_000 });
}

export async function signIn(page: Page, name: string, password: string): Promise<void> {
  await page.goto('/sign-in');
  await page.fill('#name', name);
  await page.fill('#password', password);
  await page.click('form.stack button[type="submit"]');
}

/**
 * First sign-in with an issued password: choose one's own; set up TOTP if the page asks. `shots` is
 * called with each step's name so a test can screenshot it.
 */
export async function firstSignIn(page: Page, accounts: Accounts, name: string, oneTime: string, shots?: (step: 'sign-in-new-password' | 'sign-in-set-up' | 'sign-in-recovery-codes') => Promise<void>): Promise<void> {
  await signIn(page, name, oneTime);
  await page.waitForURL(/\/sign-in\/new-password$/);
  await shots?.('sign-in-new-password');
  const own = `${name} chose a long password`;
  await page.fill('#password', own);
  await page.fill('#repeat', own);
  await page.click('form.stack button[type="submit"]');
  accounts[name] = { password: own };
  await page.waitForURL((u) => !u.pathname.endsWith('/new-password'));
  if (new URL(page.url()).pathname === '/sign-in/set-up') {
    await shots?.('sign-in-set-up');
    const secret = (await page.textContent('#totp-secret'))!.trim();
    const uri = (await page.textContent('#totp-uri'))!.trim();
    expect(uri).toMatch(/^otpauth:\/\/totp\//);
    // What the phone's camera sees: the QR code on the page scans to the same URI.
    expect(decodeQr(await page.locator('#totp-qr').screenshot())).toBe(uri);
    accounts[name].totp = secret;
    await page.fill('#code', code(secret));
    await page.click('form.stack button[type="submit"]');
    await page.waitForSelector('#recovery-codes');
    const codes = await page.locator('#recovery-codes code').allTextContents();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    await shots?.('sign-in-recovery-codes');
    await page.click('a.button');
  }
  await page.waitForURL((u) => u.pathname === '/');
}

/**
 * Makes an account through the accounts service (as an admin would in the console) and signs `page` in
 * as it for the first time. Run `serve` with STAYDOWN_REQUIRE_2FA=none to skip the TOTP set-up in tests
 * that are not about sign-in.
 */
export async function newPerson(ctx: ServiceContext, page: Page, accounts: Accounts, name: string, role: Role): Promise<void> {
  const made = await addUser(ctx.sql, ADMIN, { name, role, credential: 'password' });
  await firstSignIn(page, accounts, name, made.password!);
}
