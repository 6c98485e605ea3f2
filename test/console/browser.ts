/**
 * Real Chromium for the console tests (Debian's, through playwright-core), the axe-core check, and
 * screenshots saved to test-results/console/ (git-ignored) so people can look at every page.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { withTimeout } from '../../services/platform/timeout.ts';

const require = createRequire(import.meta.url);
export const AXE_PATH = require.resolve('axe-core/axe.min.js');
export const SHOTS = join(process.cwd(), 'test-results', 'console');

export async function launch(): Promise<Browser> {
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: process.env.STAYDOWN_CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/**
 * Closes the browser, waiting at most `graceMs`: a Chromium that does not answer its close (seen once on
 * a loaded CI machine) is reported and left to the test run's end instead of hanging the teardown.
 */
export async function closeBrowser(browser: Browser | undefined, graceMs = 20_000): Promise<void> {
  if (!browser) return;
  await withTimeout(browser.close(), graceMs, `Chromium had not closed ${graceMs} ms after it was asked to; the teardown goes on without it.`)
    .catch((err: Error) => process.stderr.write(`${err.message}\n`));
}

/** A browser profile of its own (one person at one computer); CSP violations are collected. */
export async function person(browser: Browser, baseURL: string, locale: 'ko-KR' | 'en-US'): Promise<{ context: BrowserContext; page: Page; cspViolations: string[] }> {
  const context = await browser.newContext({ baseURL, locale, viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  const cspViolations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  return { context, page, cspViolations };
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

const AXE_SOURCE = readFileSync(AXE_PATH, 'utf8');

/**
 * Runs axe-core in the page. `page.addScriptTag` inlines the file in a <script> element, which the
 * console's CSP rightly refuses (and reports as a violation); evaluating the same file through the
 * DevTools protocol is not governed by the page's CSP, so the CSP stays on while axe runs.
 */
export async function axe(page: Page): Promise<AxeViolation[]> {
  const loaded = await page.evaluate(() => typeof (globalThis as { axe?: unknown }).axe !== 'undefined');
  if (!loaded) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async () => {
    const a = (globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    const r = await a.run((globalThis as unknown as { document: unknown }).document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
  return result;
}

export const checked: string[] = [];

/** Screenshot plus the axe check (no serious or critical violations) of the page as it is now. */
export async function capture(page: Page, name: string): Promise<void> {
  const lang = await page.getAttribute('html', 'lang');
  await page.screenshot({ path: join(SHOTS, `${name}.${lang}.png`), fullPage: true });
  const bad = (await axe(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad, `axe on ${name} (${lang}): ${JSON.stringify(bad, null, 1)}`).toEqual([]);
  checked.push(`${name}.${lang}`);
}

/** Captures the page in its language, switches to the other with the header's buttons, captures again, and switches back. */
export async function captureBoth(page: Page, name: string): Promise<void> {
  const lang = await page.getAttribute('html', 'lang');
  const other = lang === 'ko' ? 'en' : 'ko';
  await capture(page, name);
  await page.click(`form.lang button[value="${other}"]`);
  await expect.poll(() => page.getAttribute('html', 'lang')).toBe(other);
  await capture(page, name);
  await page.click(`form.lang button[value="${lang}"]`);
  await expect.poll(() => page.getAttribute('html', 'lang')).toBe(lang);
}
