/**
 * Takedown end to end, on PostgreSQL with real peers on loopback: two fixture sites carry re-uploads of
 * two cases' registered material -> crawled by the command line -> alerts -> confirmed -> drafted (one
 * notice per case and platform) -> approved with `notices approve --wait` while a `serve` worker runs ->
 * the e-mail platform's SMTP server receives exactly one message per (case, platform) with every confirmed
 * URL, the webhook platform's receiver verifies every signature -> the platform answers through the
 * response link and the answer shows in `notices show`. And nothing of the victim - name, contacts,
 * notes, label, keywords, case code - is in any e-mail (headers and attachments), webhook body or log line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { fingerprintBuffer } from '../../../hashing/fingerprint.ts';
import { referenceHashes } from '../../../hashing/reference.ts';
import { insertMaterial, insertMaterialHashes } from '../../../db/queries/material.ts';
import { updateWebhookAllowHosts } from '../../../db/queries/delivery.ts';
import { openCase } from '../../../services/cases/cases.ts';
import { loadConfig } from '../../../services/platform/config.ts';
import type { ServiceContext } from '../../../services/platform/context.ts';
import { addPlatform, draftNotices } from '../../../services/takedown/index.ts';
import { buildApi } from '../../../services/http/server.ts';
import { useTestDatabase } from '../../support/db.ts';
import { useTempDir, waitFor } from '../../support/tmp.ts';
import { confirmAlerts } from '../../../services/review/index.ts';
import { ADMIN, childEnv, runCli, serviceContext, startServe, type RunningServe } from '../../support/service.ts';
import { syntheticPhoto } from '../../support/images.ts';
import { startBoard, type Board } from '../../crawler/support/fixture-sites.ts';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.ts';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts';

const db = useTestDatabase('takedown_e2e');
const tmp = useTempDir('e2e');
const SECRET = 'pics-webhook-secret-0123456789';
const PRIVATE = { name: 'Jiwoo Parkinson', contacts: ['jiwoo.parkinson@mail.example', '+82-10-5555-0199'], notes: 'met the uploader at Hanbit school', label: 'Parkinson upload case', keywords: ['jiwoopark99'] };
let ctx: ServiceContext;
let board: Board;
let pics: { server: Server; origin: string };
let sink: SmtpSink;
let hooks: WebhookReceiver;
let serve: RunningServe | null = null;
const cases: Record<'A' | 'B', { id: string; code: string }> = {} as never;

async function registerFor(caseId: string, bytes: Buffer): Promise<void> {
  const fp = await fingerprintBuffer(bytes);
  const m = (await insertMaterial(ctx.sql, { caseId, kind: fp.kind, sha256: fp.sha256, md5: fp.md5, fingerprint: fp, byteSize: bytes.length, createdBy: null }))!;
  await insertMaterialHashes(ctx.sql, m.id, referenceHashes(fp));
}

/** A second site on another loopback address: one page showing two re-uploads among unrelated pictures. */
async function startPics(images: Record<string, Buffer>): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const m = /^\/img\/(\w+)\.jpg$/.exec(req.url ?? '');
    if (m && images[m[1]]) return void res.writeHead(200, { 'content-type': 'image/jpeg' }).end(images[m[1]]);
    if (req.url === '/') {
      return void res.writeHead(200, { 'content-type': 'text/html' }).end(`<html><body>${Object.keys(images).map((k) => `<img src="/img/${k}.jpg">`).join('')}</body></html>`);
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.2', r));
  return { server, origin: `http://127.0.0.2:${(server.address() as AddressInfo).port}` };
}

beforeAll(async () => {
  sink = await startSmtpSink();
  hooks = await startWebhookReceiver(SECRET);
  const base = await serviceContext(db(), tmp());
  const env = { DATABASE_URL: db().url, STAYDOWN_MASTER_KEY: base.masterKey.toString('hex'), STAYDOWN_ORG_EMAIL: 'takedown@support.example', STAYDOWN_ORG_NAME: 'Support Centre', STAYDOWN_PUBLIC_URL: 'https://staydown.example' };
  ctx = { ...base, config: loadConfig({ dataDir: tmp() }, env) };
  const originals = { A1: await syntheticPhoto(9501, 320, 240), A2: await syntheticPhoto(9502, 320, 240), B1: await syntheticPhoto(9503, 320, 240) };
  for (const k of ['A', 'B'] as const) {
    const c = await openCase(ctx, ADMIN, { personal: { ...PRIVATE, label: `${PRIVATE.label} ${k}` }, keywords: PRIVATE.keywords });
    const [row] = await ctx.sql.query<{ id: string }>('SELECT id::text FROM cases WHERE code = $1', [c.code]);
    cases[k] = { id: row.id, code: c.code };
  }
  await registerFor(cases.A.id, originals.A1);
  await registerFor(cases.A.id, originals.A2);
  await registerFor(cases.B.id, originals.B1);
  board = await startBoard({
    threads: 10, imagesPerThread: 6, threadsPerIndexPage: 10,
    planted: new Map([
      [4, await sharp(originals.A1).resize(240).jpeg({ quality: 65 }).toBuffer()],
      [25, await sharp(originals.A2).flop().jpeg({ quality: 80 }).toBuffer()],
      [43, await sharp(originals.B1).jpeg({ quality: 70 }).toBuffer()],
    ]),
  });
  pics = await startPics({
    a1: await sharp(originals.A1).resize(280).jpeg({ quality: 75 }).toBuffer(),
    b1: await sharp(originals.B1).flop().jpeg({ quality: 75 }).toBuffer(),
    other: await syntheticPhoto(9599, 320, 240),
  });
});

afterAll(async () => {
  serve?.child.kill('SIGKILL');
  await board?.close();
  if (pics) {
    pics.server.closeAllConnections();
    await new Promise((r) => pics.server.close(r));
  }
  await sink?.close();
  await hooks?.close();
});

const cliEnv = () => childEnv(ctx, {
  STAYDOWN_DATA_DIR: '/nonexistent-not-used',
  STAYDOWN_QUEUE_SCHEMA: `${db().schema}_boss`,
  STAYDOWN_SMTP_URL: sink.url,
  STAYDOWN_NOTICE_FROM: 'Support Centre <takedown@support.example>',
  STAYDOWN_ORG_EMAIL: 'takedown@support.example',
  STAYDOWN_ORG_NAME: 'Support Centre',
  STAYDOWN_PUBLIC_URL: 'https://staydown.example',
  STAYDOWN_LOG_LEVEL: 'info',
});

function leaks(text: string): string[] {
  const secrets = [PRIVATE.name, ...PRIVATE.name.split(' '), ...PRIVATE.contacts, PRIVATE.notes, PRIVATE.label, ...PRIVATE.keywords, cases.A.code, cases.B.code];
  return secrets.filter((s) => text.toLowerCase().includes(s.toLowerCase()));
}

describe('takedown end to end', { timeout: 400_000 }, () => {
  it('crawl -> alerts -> confirm -> draft -> approve -> one e-mail per case and platform, signed webhooks -> the platform answers', async () => {
    // Two sites, two platforms: the board answers by e-mail, the picture host by webhook.
    for (const [name, origin] of [['board-e2e', board.origin], ['pics-e2e', pics.origin]]) {
      const add = await runCli(['site', 'add', name, '--url', `${origin}/`, '--allow-host', new URL(origin).hostname, '--rate-ms', '0', '--concurrency', '4'], cliEnv());
      expect(add.status, add.stderr).toBe(0);
      const crawl = await runCli(['crawl', name, '--wait', '--json'], cliEnv());
      expect(crawl.status, crawl.stderr).toBe(0);
    }
    const alerts = await ctx.sql.query<{ id: string; case_id: string; media_url: string }>('SELECT id::text, case_id::text, media_url FROM crawl_alerts ORDER BY media_url');
    const found = alerts.map((a) => `${a.case_id === cases.A.id ? 'A' : 'B'} ${a.media_url.replace(board.origin, 'board').replace(pics.origin, 'pics')}`).sort();
    expect(found).toEqual(['A board/full/25.jpg', 'A board/full/4.jpg', 'A pics/img/a1.jpg', 'B board/full/43.jpg', 'B pics/img/b1.jpg']);
    // Review: an operator confirms every alert (services/review: audited, with who and when).
    await confirmAlerts(ctx, ADMIN, alerts.map((a) => a.id));

    const boardP = await addPlatform(ctx, ADMIN, { name: 'Board', domains: ['127.0.0.1'], jurisdiction: 'US', language: 'en', emails: ['abuse@board.example'] });
    const picsP = await addPlatform(ctx, ADMIN, { name: 'Pics', domains: ['127.0.0.2'], jurisdiction: 'EU', language: 'en', webhookUrl: hooks.url('/staydown'), webhookSecret: SECRET });
    await updateWebhookAllowHosts(ctx.sql, picsP.id, ['127.0.0.1']);
    const drafted = await draftNotices(ctx, ADMIN);
    expect(drafted).toMatchObject({ drafted: 4, items: 5 });
    const notices = await ctx.sql.query<{ id: string; reference: string; case_id: string; platform_id: string; channel: string }>(
      `SELECT id::text, reference, case_id::text, platform_id::text, channel FROM notices WHERE status = 'draft' ORDER BY reference`);
    expect(notices.map((n) => `${n.case_id === cases.A.id ? 'A' : 'B'} ${n.platform_id === boardP.id ? 'Board' : 'Pics'} ${n.channel}`).sort())
      .toEqual(['A Board email', 'A Pics webhook', 'B Board email', 'B Pics webhook']);

    serve = await startServe(cliEnv(), ['--roles', 'worker,scheduler']);
    const approve = await runCli(['notices', 'approve', ...notices.map((n) => n.reference), '--wait', '--json'], cliEnv());
    expect(approve.status, approve.stderr).toBe(0);
    expect(JSON.parse(approve.stdout).map((n: { status: string }) => n.status)).toEqual(['sent', 'sent', 'sent', 'sent']);

    // E-mail: exactly one message per (case, platform), listing every confirmed URL of that case there.
    const mails = sink.messages.filter((m) => notices.some((n) => m.messageId === `<${n.reference}@staydown.support.example>`));
    expect(mails).toHaveLength(2);
    for (const n of notices.filter((x) => x.channel === 'email')) {
      const got = mails.filter((m) => m.messageId === `<${n.reference}@staydown.support.example>`);
      expect(got).toHaveLength(1);
      const json = JSON.parse(got[0].parsed.attachments[0].content.toString('utf8'));
      const want = alerts.filter((a) => a.case_id === n.case_id && a.media_url.startsWith(board.origin)).map((a) => a.media_url).sort();
      expect(json.items.map((i: { mediaUrl: string }) => i.mediaUrl).sort()).toEqual(want);
      for (const u of want) expect(got[0].parsed.text).toContain(u);
      expect(got[0].envelope.to).toEqual(['abuse@board.example']);
    }
    // Webhook: one signed request per (case, platform), each verified by the receiver.
    expect(hooks.requests).toHaveLength(2);
    for (const h of hooks.requests) {
      expect(h.signature.ok).toBe(true);
      expect(notices.map((n) => n.reference)).toContain(h.headers['idempotency-key']);
      expect((h.json as { reference: string }).reference).toBe(h.headers['idempotency-key']);
    }

    // The platform answers through the link in its notice; the answer shows in the notice's history.
    const first = mails[0];
    const link = JSON.parse(first.parsed.attachments[0].content.toString('utf8')).respondUrl as string;
    expect(link).toMatch(/^https:\/\/staydown\.example\/respond\/[A-Za-z0-9_-]{22}$/);
    expect(first.parsed.text).toContain(link);
    const app = await buildApi(ctx);
    const page = await app.inject({ method: 'GET', url: new URL(link).pathname });
    expect(page.statusCode).toBe(200);
    const answer = await app.inject({ method: 'POST', url: new URL(link).pathname, payload: { answer: 'removed', message: 'Removed within the hour.' } });
    expect(answer.statusCode, answer.body).toBe(200);
    await app.close();
    const ref = /<(SD-\d{4}-\d+)@/.exec(first.messageId!)![1];
    const show = await runCli(['notices', 'show', ref, '--json'], cliEnv());
    expect(show.status, show.stderr).toBe(0);
    const shown = JSON.parse(show.stdout);
    expect(shown.status).toBe('sent');
    expect(shown.history.map((h: { event: string }) => h.event)).toEqual(expect.arrayContaining(['approved', 'sending', 'sent', 'answered']));

    await serve.stop();

    // Privacy: nothing of the victim or the case in any e-mail (headers, parts, attachments), webhook body or log line.
    for (const m of mails) expect(leaks(m.raw.toString('utf8')), `e-mail ${m.messageId}`).toEqual([]);
    for (const m of mails) for (const a of m.parsed.attachments) expect(leaks(a.content.toString('utf8'))).toEqual([]);
    for (const h of hooks.requests) expect(leaks(h.body + JSON.stringify(h.headers))).toEqual([]);
    expect(serve.stderr().length).toBeGreaterThan(0);
    expect(leaks(serve.stderr()), 'serve log').toEqual([]);
    expect(leaks(approve.stderr + approve.stdout + show.stdout), 'CLI output').toEqual([]);
    expect(leaks(page.body + answer.body), 'response page').toEqual([]);
  });
});
