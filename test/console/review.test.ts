/**
 * The operators' review queue in Debian's Chromium against a real `staydown serve`: alerts made by real
 * crawls (`staydown crawl --wait`, evidence screenshots and thumbnails included) of two fixture sites,
 * one of them a re-upload of material already confirmed. The operator walks the queue with the
 * keyboard; pictures come veiled and the original only after an audited reveal; confirm, reject and
 * reject + allowlist change the alerts through the review service; past the day's limit a reveal asks
 * for a break first; staff of another case, a platform account and a form without its CSRF token are
 * refused; the queue works without JavaScript. Every page is screenshotted and axe-checked in both languages.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOGUES, translator } from '../../console/i18n.ts';
import { formatters } from '../../console/format.ts';
import { renderView } from '../../console/render.ts';
import { filterQuery, matchRegion, matchTime, REJECT_REASONS } from '../../console/routes/review.ts';
import { ALL_MATCH_METHODS } from '../../hashing/match/methods.ts';
import { insertMaterial, insertMaterialHashes } from '../../db/queries/material.ts';
import { fingerprintBuffer } from '../../hashing/fingerprint.ts';
import { referenceHashes } from '../../hashing/reference.ts';
import { addUser } from '../../services/accounts/index.ts';
import { buildApi } from '../../services/http/server.ts';
import { assignCaseStaff, eraseCase, openCase } from '../../services/cases/cases.ts';
import type { ServiceContext } from '../../services/platform/context.ts';
import { confirmAlerts, getAlert } from '../../services/review/index.ts';
import { useTestDatabase } from '../support/db.ts';
import { useTempDir } from '../support/tmp.ts';
import { ADMIN, childEnv, runCli, serviceContext, startServe, type RunningServe } from '../support/service.ts';
import { syntheticPhoto } from '../support/images.ts';
import { capture, launch, person, closeBrowser } from './browser.ts';
import { firstSignIn, newPerson, signIn, type Accounts } from './session.ts';

const db = useTestDatabase('console_review');
const tmp = useTempDir('console-review');
const VICTIM = { label: 'Minji upload case', name: 'Kim Minji' };
const LIMIT = 3;

let ctx: ServiceContext;
let serve: RunningServe;
let base: string;
let browser: Browser;
const sites: Array<{ server: Server; origin: string }> = [];
const accounts: Accounts = {};
const cases: Record<'A' | 'B', { id: string; code: string }> = {} as never;
/** The new alerts in the order the queue must show them: the re-upload, then the oldest first. */
let expected: Array<{ id: string; case_code: string; reupload: boolean }> = [];

async function register(caseId: string, bytes: Buffer): Promise<void> {
  const fp = await fingerprintBuffer(bytes);
  const m = (await insertMaterial(ctx.sql, { caseId, kind: fp.kind, sha256: fp.sha256, md5: fp.md5, fingerprint: fp, byteSize: bytes.length, createdBy: null }))!;
  await insertMaterialHashes(ctx.sql, m.id, referenceHashes(fp));
}

/** A picture host on a loopback address of its own: one page showing `images` in order. */
async function startSite(host: string, images: Record<string, Buffer>): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const m = /^\/img\/(\w+)\.jpg$/.exec(req.url ?? '');
    if (m && images[m[1]]) return void res.writeHead(200, { 'content-type': 'image/jpeg' }).end(images[m[1]]);
    if (req.url === '/') return void res.writeHead(200, { 'content-type': 'text/html' }).end(`<html><body><h1>board</h1>${Object.keys(images).map((k) => `<p><img src="/img/${k}.jpg" width="200"></p>`).join('')}</body></html>`);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  const site = { server, origin: `http://${host}:${(server.address() as AddressInfo).port}` };
  sites.push(site);
  return site;
}

async function crawl(name: string, origin: string): Promise<void> {
  const env = childEnv(ctx);
  const add = await runCli(['site', 'add', name, '--url', `${origin}/`, '--allow-host', new URL(origin).hostname, '--rate-ms', '0'], env);
  expect(add.status, add.stderr).toBe(0);
  const run = await runCli(['crawl', name, '--wait', '--json'], env);
  expect(run.status, run.stderr).toBe(0);
}

const audit = (action: string, actor: string) =>
  ctx.sql.query<{ record_id: string; detail: Record<string, unknown> }>('SELECT record_id, detail FROM audit_log WHERE action = $1 AND actor = $2 ORDER BY seq', [action, actor]);
const status = async (id: string) => (await getAlert(ctx, ADMIN, id)).status;
const focused = (page: Page) => page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id);
/** Every picture on the page has loaded (and decoded): a screenshot taken earlier shows empty boxes. */
async function picturesLoaded(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const imgs = (globalThis as unknown as { document: { images: ArrayLike<{ complete: boolean; naturalWidth: number }> } }).document.images;
    return Array.from(imgs).every((i) => i.complete && i.naturalWidth > 0);
  });
}

/** captureBoth (test/console/browser.ts), waiting for the pictures after each language switch. */
async function captureBoth(page: Page, name: string): Promise<void> {
  const lang = (await page.getAttribute('html', 'lang'))!;
  const other = lang === 'ko' ? 'en' : 'ko';
  await picturesLoaded(page);
  await capture(page, name);
  for (const to of [other, lang]) {
    await page.click(`form.lang button[value="${to}"]`);
    await expect.poll(() => page.getAttribute('html', 'lang')).toBe(to);
    await picturesLoaded(page);
    if (to === other) await capture(page, name);
  }
}

const currentAlert = (page: Page) => new URL(page.url()).searchParams.get('alert');

beforeAll(async () => {
  ctx = await serviceContext(db(), join(tmp(), 'data'));
  for (const k of ['A', 'B'] as const) {
    const c = await openCase(ctx, ADMIN, { personal: { label: `${VICTIM.label} ${k}`, name: VICTIM.name } });
    const [row] = await ctx.sql.query<{ id: string }>('SELECT id::text FROM cases WHERE code = $1', [c.code]);
    cases[k] = { id: row.id, code: c.code };
  }
  const o = { A1: await syntheticPhoto(9701, 320, 240), A2: await syntheticPhoto(9702, 320, 240), B1: await syntheticPhoto(9703, 320, 240), B2: await syntheticPhoto(9704, 320, 240) };
  await register(cases.A.id, o.A1);
  await register(cases.A.id, o.A2);
  await register(cases.B.id, o.B1);
  await register(cases.B.id, o.B2);
  // The first site: edited copies of all four, and a picture of nobody's.
  const first = await startSite('127.0.0.2', {
    a1: await sharp(o.A1).resize(300).jpeg({ quality: 70 }).toBuffer(),
    a2: await sharp(o.A2).flop().jpeg({ quality: 80 }).toBuffer(),
    b1: await sharp(o.B1).jpeg({ quality: 72 }).toBuffer(),
    b2: await sharp(o.B2).resize(280).jpeg({ quality: 75 }).toBuffer(),
    other: await syntheticPhoto(9799, 320, 240),
  });
  await crawl('board-one', first.origin);
  // A1 confirmed there; the second site then carries A1 again: a re-upload, first in the queue.
  const [a1] = await ctx.sql.query<{ id: string }>("SELECT id::text FROM crawl_alerts WHERE media_url LIKE '%/img/a1.jpg'");
  await confirmAlerts(ctx, ADMIN, [a1.id]);
  const second = await startSite('127.0.0.3', { again: await sharp(o.A1).resize(260).jpeg({ quality: 65 }).toBuffer() });
  await crawl('board-two', second.origin);
  expected = await ctx.sql.query('SELECT a.id::text, c.code AS case_code, a.reupload IS TRUE AS reupload FROM crawl_alerts a JOIN cases c ON c.id = a.case_id WHERE a.status = \'new\' ORDER BY a.reupload IS TRUE DESC, a.created_at, a.id');
  serve = await startServe(childEnv(ctx, { STAYDOWN_REQUIRE_2FA: 'none', STAYDOWN_REVIEW_REVEAL_LIMIT: String(LIMIT) }));
  base = serve.info.url!;
  browser = await launch();
}, 400_000);

afterAll(async () => {
  await closeBrowser(browser);
  await serve?.stop();
  for (const s of sites) {
    s.server.closeAllConnections();
    await new Promise((r) => s.server.close(r));
  }
});

describe('the review queue', { timeout: 300_000 }, () => {
  let op: Page;

  it('crawls made the alerts: a re-upload, three more, each with a sealed thumbnail and screenshot', async () => {
    expect(expected.map((e) => e.reupload)).toEqual([true, false, false, false]);
    const ev = await ctx.sql.query<{ t: boolean; s: boolean }>("SELECT thumbnail_encrypted IS NOT NULL AS t, screenshot_encrypted IS NOT NULL AS s FROM crawl_alert_evidence e JOIN crawl_alerts a ON a.id = e.alert_id WHERE a.status = 'new'");
    expect(ev).toEqual(Array(4).fill({ t: true, s: true }));
    // The API serves the same sealed thumbnail (audited), for tools that are not the console.
    const app = await buildApi(ctx);
    const api = await addUser(ctx.sql, ADMIN, { name: 'api-operator', role: 'operator', credential: 'token' });
    const headers = { authorization: `Bearer ${api.token}` };
    const summary = await app.inject({ method: 'GET', url: `/api/v1/alerts/${expected[0].id}/evidence`, headers });
    expect(summary.json().thumbnail).toEqual({ available: true, contentType: 'image/jpeg' });
    const thumb = await app.inject({ method: 'GET', url: `/api/v1/alerts/${expected[0].id}/evidence/thumbnail`, headers });
    expect(thumb.statusCode).toBe(200);
    expect(thumb.headers['content-type']).toBe('image/jpeg');
    const meta = await sharp(thumb.rawPayload).metadata();
    expect(meta.format).toBe('jpeg');
    expect(Math.max(meta.width!, meta.height!)).toBeLessThanOrEqual(320);
    expect((await audit('alert.evidence-read', 'api-operator')).map((r) => r.detail.part)).toEqual(['hashes', 'thumbnail']);
    await app.close();
  });

  it('the operator walks the queue with the keyboard: re-uploads first, then the oldest; facts first', async () => {
    const p = await person(browser, base, 'ko-KR');
    op = p.page;
    await newPerson(ctx, op, accounts, 'op-review', 'operator');
    await op.click('nav a[href="/review"]');
    await op.waitForURL(/\/review$/);
    expect(await op.textContent('#queue-counts')).toMatch(/4.*1/);
    expect(await op.locator('#queue-list a').evaluateAll((as) => as.map((a) => a.getAttribute('data-alert')))).toEqual(expected.map((e) => e.id));
    // The first alert: the re-upload, with its history and the method explained in words.
    expect(await op.textContent('#alert-h')).toContain(expected[0].case_code);
    expect(await op.locator('#history tbody tr').count()).toBe(2);
    expect((await op.textContent('#method-help'))!.trim().length).toBeGreaterThan(10);
    expect(await op.textContent('main')).not.toContain(VICTIM.name);
    expect(await op.textContent('main')).not.toContain(VICTIM.label);
    expect(await op.textContent('#exposure')).toContain(`0 / ${LIMIT}`);
    await captureBoth(op, 'review-queue');
    await op.keyboard.press('j');
    await op.waitForURL((u) => u.searchParams.get('alert') === expected[1].id);
    await op.keyboard.press('j');
    await op.waitForURL((u) => u.searchParams.get('alert') === expected[2].id);
    await op.keyboard.press('k');
    await op.waitForURL((u) => u.searchParams.get('alert') === expected[1].id);
    await op.keyboard.press('?');
    expect(await focused(op)).toBe('shortcuts');
    expect(await op.textContent('#shortcuts')).toMatch(/j.*k.*c.*r.*a.*v/s);
    expect(p.cspViolations).toEqual([]);
  });

  it('refuses staff of another case, a platform account, and a form without its CSRF token', async () => {
    // Staff assigned to case B see case B's alerts only. Case A's alert is "not found" to them, exactly as
    // the API answers (services/review loadAlertFor: alert ids of other cases cannot be probed).
    const { page: staff, context } = await person(browser, base, 'en-US');
    const made = await addUser(ctx.sql, ADMIN, { name: 'staff-b', role: 'staff', credential: 'password' });
    await assignCaseStaff(ctx, ADMIN, cases.B.code, made.user.id);
    await firstSignIn(staff, accounts, 'staff-b', made.password!);
    await staff.goto('/review');
    const bAlerts = expected.filter((e) => e.case_code === cases.B.code).map((e) => e.id);
    expect(bAlerts).toHaveLength(2);
    expect(await staff.locator('#queue-list a').evaluateAll((as) => as.map((a) => a.getAttribute('data-alert')))).toEqual(bAlerts);
    const aAlert = expected.find((e) => e.case_code === cases.A.code)!;
    const res = await staff.goto(`/review?alert=${aAlert.id}`);
    expect(res!.status()).toBe(404);
    expect(await staff.textContent('main')).not.toContain(cases.A.code);
    for (const url of [`/review/image?alert=${aAlert.id}&part=thumbnail`, `/review/break?alert=${aAlert.id}&part=thumbnail`]) {
      expect((await staff.request.get(url)).status(), url).toBe(404);
    }
    const reveal = await staff.request.post('/review/reveal', { form: { alert: aAlert.id, part: 'thumbnail', _csrf: (await staff.getAttribute('input[name="_csrf"]', 'value'))! }, maxRedirects: 0 });
    expect(reveal.status()).toBe(404);
    expect(await audit('alert.reveal', 'staff-b')).toEqual([]);
    await context.close();

    const plat = await person(browser, base, 'en-US');
    await newPerson(ctx, plat.page, accounts, 'platform-review', 'platform');
    const refused = await plat.page.goto('/review');
    expect(refused!.status()).toBe(403);
    await capture(plat.page, 'review-403-platform');
    await plat.context.close();

    // The operator's session cookie alone is not enough to decide or reveal.
    const forged = await op.request.post('/review/confirm', { form: { alert: expected[3].id }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    expect(await forged.text()).toContain(CATALOGUES.ko['error.csrf']);
    const noToken = await op.request.post('/review/reveal', { form: { alert: expected[3].id, part: 'thumbnail' }, maxRedirects: 0 });
    expect(noToken.status()).toBe(403);
    expect(await status(expected[3].id)).toBe('new');
    expect(await audit('alert.reveal', 'op-review')).toEqual([]);
  });

  it('pictures come veiled; v reveals the original (other bytes), and the reveal is audited', async () => {
    await op.goto(`/review?alert=${expected[0].id}`);
    const veiledSrc = (await op.getAttribute('#img-thumbnail', 'src'))!;
    expect(veiledSrc).not.toContain('original');
    const veiled = await (await op.request.get(veiledSrc)).body();
    expect((await audit('alert.reveal', 'op-review'))).toEqual([]);
    await op.keyboard.press('v');
    await op.waitForSelector('#img-thumbnail.revealed');
    const originalSrc = (await op.getAttribute('#img-thumbnail', 'src'))!;
    expect(originalSrc).toContain('/review/image/original?');
    const res = await op.request.get(originalSrc);
    expect(res.status()).toBe(200);
    expect(res.headers()['cache-control']).toBe('no-store');
    const original = await res.body();
    expect(original.equals(veiled)).toBe(false);
    // The veiled one is grey (one channel's worth of colour); the original keeps its colours.
    const colour = async (b: Buffer) => {
      const { data } = await sharp(b).toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
      let sum = 0;
      for (let i = 0; i + 2 < data.length; i += 3) sum += Math.abs(data[i] - data[i + 1]) + Math.abs(data[i + 1] - data[i + 2]);
      return sum / (data.length / 3);
    };
    expect(await colour(veiled)).toBeLessThan(2);
    expect(await colour(original)).toBeGreaterThan(10);
    expect((await sharp(original).metadata()).width).toBeLessThanOrEqual(320);
    const reveals = await audit('alert.reveal', 'op-review');
    expect(reveals).toEqual([{ record_id: expected[0].id, detail: { part: 'thumbnail' } }]);
    expect(await op.textContent('#exposure')).toContain(`1 / ${LIMIT}`);
    expect(await op.textContent('button.reveal[data-part="thumbnail"] .label')).toBe(CATALOGUES.ko['review.hide']);
    await picturesLoaded(op);
    await capture(op, 'review-revealed');
    // The original's address without a grant of this sign-in shows nothing.
    const forged = await op.request.get(`/review/image/original?alert=${expected[0].id}&part=thumbnail&grant=${Date.now() + 60_000}.${'A'.repeat(43)}`);
    expect(forged.status()).toBe(403);
    await op.keyboard.press('v');
    await op.waitForSelector('#img-thumbnail.veiled');
  });

  it('past the day\'s limit a reveal asks for a break first; continuing is audited', async () => {
    await op.click('button.reveal[data-part="screenshot"]');
    await op.waitForSelector('#img-screenshot.revealed');
    await op.click('button.reveal[data-part="screenshot"]');
    await op.waitForSelector('#img-screenshot.veiled');
    await op.keyboard.press('v');
    await op.waitForSelector('#img-thumbnail.revealed');
    expect(await op.textContent('#exposure')).toContain(`${LIMIT} / ${LIMIT}`);
    await op.keyboard.press('v');
    await op.waitForSelector('#img-thumbnail.veiled');
    await op.keyboard.press('v');
    await op.waitForURL(/\/review\/break\?/);
    expect(await op.textContent('#break-text')).toContain(String(LIMIT));
    expect(await audit('alert.reveal', 'op-review')).toHaveLength(LIMIT);
    await captureBoth(op, 'review-break');
    await op.click('#continue');
    await op.waitForURL(/reveal=thumbnail/);
    expect(await op.getAttribute('#img-thumbnail', 'class')).toBe('revealed');
    expect(await audit('alert.reveal', 'op-review')).toHaveLength(LIMIT + 1);
    expect((await audit('review.break-continue', 'op-review')).map((r) => r.detail)).toEqual([{ reveals: LIMIT, limit: LIMIT }]);
  });

  it('c confirms, r rejects with a chosen reason, a rejects and allowlists - through the review service', async () => {
    await op.goto(`/review?alert=${expected[0].id}`);
    await op.keyboard.press('c');
    await op.waitForSelector('#done-notice');
    expect(await status(expected[0].id)).toBe('confirmed');
    expect(currentAlert(op)).toBe(expected[1].id);
    await op.keyboard.press('r');
    expect(await focused(op)).toBe('preset');
    await op.keyboard.press('ArrowDown');
    await op.keyboard.press('Enter');
    await op.waitForURL((u) => u.searchParams.get('last') === expected[1].id);
    const rejected = await getAlert(ctx, ADMIN, expected[1].id);
    expect(rejected.decision).toMatchObject({ status: 'rejected', byName: 'op-review', rejectReason: '다른 사진입니다' });
    expect(currentAlert(op)).toBe(expected[2].id);
    await op.keyboard.press('a');
    await op.fill('#reason', 'a different room and person');
    await op.keyboard.press('Control+Enter');
    await op.waitForURL((u) => u.searchParams.get('done') === 'allowlisted');
    expect((await getAlert(ctx, ADMIN, expected[2].id)).decision.rejectReason).toBe('a different room and person');
    const listed = await ctx.sql.query('SELECT 1 FROM material_allowlist WHERE alert_id = $1', [expected[2].id]);
    expect(listed).toHaveLength(1);
    expect(currentAlert(op)).toBe(expected[3].id);
    // A rejection without a reason is stopped in the page (and by the service without script).
    await op.keyboard.press('r');
    await op.keyboard.press('Enter');
    await op.waitForSelector('#reject-error');
    expect(await status(expected[3].id)).toBe('new');
  });

  it('without JavaScript: reveal and reject are plain forms, the reveal still audited', async () => {
    const context = await browser.newContext({ baseURL: base, locale: 'en-US', javaScriptEnabled: false });
    const page = await context.newPage();
    // The operator chose Korean in the console, so this browser's English does not matter after sign-in.
    await signIn(page, 'op-review', accounts['op-review'].password);
    await page.waitForURL((u) => u.pathname === '/');
    await page.goto('/review');
    expect(currentAlert(page) ?? (await page.getAttribute('#queue-list a[aria-current="true"]', 'data-alert'))).toBe(expected[3].id);
    const before = (await audit('alert.reveal', 'op-review')).length;
    await page.click('button.reveal[data-part="thumbnail"]');
    await page.waitForURL(/reveal=thumbnail/);
    expect(await page.getAttribute('#img-thumbnail', 'class')).toBe('revealed');
    expect((await audit('alert.reveal', 'op-review')).length).toBe(before + 1);
    await page.selectOption('#preset', 'unclear');
    await page.click('#reject');
    await page.waitForURL((u) => u.searchParams.get('done') === 'rejected');
    expect((await getAlert(ctx, ADMIN, expected[3].id)).decision.rejectReason).toBe(CATALOGUES.ko['review.reason.unclear']);
    expect(await page.textContent('#queue-empty')).toBeTruthy();
    await context.close();
    await op.goto('/review');
    await captureBoth(op, 'review-empty');
  });

  it('erasing a case takes its thumbnails and screenshots with it', async () => {
    const count = (caseId: string) => ctx.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM crawl_alert_evidence e JOIN crawl_alerts a ON a.id = e.alert_id WHERE a.case_id = $1 AND e.thumbnail_encrypted IS NOT NULL', [caseId]);
    expect((await count(cases.B.id))[0].n).toBe(2);
    await eraseCase(ctx, ADMIN, cases.B.code);
    expect((await count(cases.B.id))[0].n).toBe(0);
    const left = await ctx.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM crawl_alert_evidence WHERE thumbnail_encrypted IS NOT NULL');
    expect(left[0].n).toBe(3);
  });


});

describe('the match box', () => {
  const detail = {
    id: '00000000-0000-4000-8000-000000000001', case: 'SD-AAAA-BBBB', material: '00000000-0000-4000-8000-000000000002', site: 'board', pageUrl: 'https://board.example/t/1',
    mediaUrl: 'https://board.example/i/1.jpg', mediaSha256: 'a'.repeat(64), method: 'pdq-crop', distance: 20, status: 'new', noticeId: null, createdAt: new Date().toISOString(),
    decidedAt: null, reupload: false, autoConfirmed: false, confidence: 0.7, confidenceDerived: true as const, firstSeen: null, lastSeen: null,
    decision: { status: 'new', by: null, byName: null, at: null, rejectReason: null },
  };
  const render = (d: object) => renderView('review', {
    t: translator('en'), fmt: formatters('en', 'Asia/Seoul'), locale: 'en', user: { name: 'op', role: 'operator', ready: true }, nav: [], path: '/review', here: '/review', csrf: 'token',
    f: { site: '', case: '', method: '' }, qs: '', queue: [d], index: 0, current: d, evidence: { thumbnail: { available: true }, screenshot: { available: false } }, revealed: null,
    counts: { total: 1, reuploads: 0 }, region: matchRegion(d as never), matchTime: matchTime(d as never), prev: null, next: null, exposure: { reveals: 0, limit: 50, breakDue: false, since: '' }, canDecide: true,
    sites: ['board'], methods: ['pdq-crop'], reasons: ['different'], done: '', filterQuery,
  });

  it('draws detail.region (fractions of the candidate) over the thumbnail; nothing without one or for a bad one', () => {
    const withBox = { ...detail, detail: { region: { x: 0.25, y: 0.1, width: 0.5, height: 0.6 }, inliers: 40 } };
    expect(matchRegion(withBox as never)).toEqual({ x: 0.25, y: 0.1, width: 0.5, height: 0.6 });
    const html = render(withBox);
    expect(html).toMatch(/<svg class="match-box" viewBox="0 0 1 1"[^>]*><rect x="0.25" y="0.1" width="0.5" height="0.6"\/>/);
    expect(html).toContain('50% wide, 60% high');
    expect(render(detail)).not.toContain('match-box');
    for (const region of [{ x: 2, y: 0, width: 0.5, height: 0.5 }, { x: 0, y: 0, width: 0, height: 0.5 }, { x: 'a', y: 0, width: 1, height: 1 }]) {
      expect(matchRegion({ ...detail, detail: { region } } as never)).toBeNull();
    }
    // A box reaching past the picture is clipped to it.
    expect(matchRegion({ ...detail, detail: { region: { x: 0.8, y: 0.5, width: 0.5, height: 0.9 } } } as never)).toEqual({ x: 0.8, y: 0.5, width: 0.2, height: 0.5 });
  });

  it('says when in the posted video a keyframe matched, and draws no box on a thumbnail of another frame', () => {
    const video = { ...detail, method: 'video-features', detail: { region: { x: 0.1, y: 0.2, width: 0.5, height: 0.5 }, queryTime: 75.4, inliers: 30 } };
    expect(matchRegion(video as never)).toBeNull();
    expect(matchTime(video as never)).toBe('1:15');
    const html = render(video);
    expect(html).not.toContain('match-box');
    expect(html).toContain('Found 1:15 into the posted video.');
    expect(matchTime({ ...video, detail: { queryTime: 'x' } } as never)).toBeNull();
    expect(matchTime(detail as never)).toBeNull();
    // A posted picture that is a frame of a registered video (a screenshot) has no time, and its box is drawn.
    const still = { ...detail, method: 'video-features', detail: { region: { x: 0.1, y: 0.2, width: 0.5, height: 0.5 }, refTime: 12, inliers: 30 } };
    expect(matchRegion(still as never)).toEqual({ x: 0.1, y: 0.2, width: 0.5, height: 0.5 });
    expect(matchTime(still as never)).toBeNull();
    expect(render(still)).toContain('match-box');
  });

  it('every match method has a name and an explanation in both languages', () => {
    for (const m of ALL_MATCH_METHODS) for (const lang of ['ko', 'en'] as const) {
      expect(CATALOGUES[lang][`review.methodName.${m}`], `${lang} ${m}`).toBeTruthy();
      expect(CATALOGUES[lang][`review.methodHelp.${m}`], `${lang} ${m}`).toBeTruthy();
    }
    for (const r of REJECT_REASONS) expect(CATALOGUES.en[`review.reason.${r}`]).toBeTruthy();
  });
});
