/**
 * Takedown throughput on the embedded default (PGlite, one process, every role) or, with `--postgres`
 * (or DATABASE_URL), on PostgreSQL: 1,000 confirmed alerts over 200 cases and 50 platforms (half e-mail,
 * half webhook) are drafted into notices, approved as `notices approve ID...` and the API do - in batches
 * of BENCH_APPROVE_BATCH (default 10) notices, one transaction each, back to back - and delivered as in
 * production: the approving process runs the worker role, so each approval starts delivery here at once
 * (the `notice-deliver` job stays queued through pg-boss as the safety net), to a real SMTP server and a
 * real webhook receiver on 127.0.0.1.
 *
 * The embedded database is created first in a child process (`staydown db migrate`), as a deployment's
 * first start or `db migrate` does once; the measured process then opens it as every later start does.
 * (Creating a PGlite database runs initdb in WebAssembly, and that memory is never given back: a process
 * that created the database peaks at ~900 MB whatever it does next; one that reopens it starts at ~350 MB.)
 *
 * Prints: notices drafted per second, notices delivered per second (first approval to last delivery),
 * p50/p99 time from a notice's approval to its delivery (its sent_at), messages and requests received,
 * and this process's peak RSS (the peers run in it too, kept light: they count and check ids, they do
 * not parse). `--json` prints one object. Targets: p99 <= 5 s, >= 50 notices/s, RSS <= 500 MB.
 */
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { loadConfig } from '../services/platform/config.ts';
import { openService } from '../services/platform/context.ts';
import { silentLogger } from '../services/platform/log.ts';
import type { Actor } from '../services/platform/audit.ts';
import { addPlatform, approveNotices, draftNotices } from '../services/takedown/index.ts';
import { updateWebhookAllowHosts } from '../db/queries/delivery.ts';
import { startJobs } from '../services/runtime/job-runner.ts';
import { JOBS } from '../services/runtime/jobs.ts';
import { verifySignature } from '../services/delivery/webhook.ts';
import { deliveryQueuer } from '../services/takedown/jobs.ts';
import { log, peakRssMb, percentile, report } from './support.ts';
import { benchPostgres, type BenchPostgres } from './postgres-server.ts';

const CASES = Number(process.env.BENCH_CASES ?? 200);
const ALERTS_PER_CASE = 5;
const PLATFORMS = 50;
const SECRET = 'bench-webhook-secret';
const ADMIN: Actor = { userId: null, name: 'bench', role: 'admin', source: 'bench' };
const POSTGRES = process.argv.includes('--postgres') || Boolean(process.env.DATABASE_URL);
const APPROVE_BATCH = Number(process.env.BENCH_APPROVE_BATCH ?? 10);

async function peers() {
  const messageIds: string[] = [];
  const smtp = new SMTPServer({
    secure: false, authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'], logger: false, closeTimeout: 200,
    // A receiver on this machine: no reverse DNS of the client per connection (seconds where no resolver answers).
    disableReverseLookup: true,
    onData(stream, _s, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const head = Buffer.concat(chunks).toString('utf8', 0, 4096);
        messageIds.push(/^Message-ID:\s*(\S+)/im.exec(head)?.[1] ?? '');
        cb(null, 'queued');
      });
    },
  });
  smtp.on('error', () => undefined);
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  const hooks: Array<{ key: string; ok: boolean }> = [];
  const http = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const ok = verifySignature(SECRET, req.headers['staydown-signature'] as string, Buffer.concat(chunks)).ok;
      hooks.push({ key: String(req.headers['idempotency-key']), ok });
      res.writeHead(ok ? 200 : 401).end();
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  return {
    smtpUrl: `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`,
    hookUrl: `http://127.0.0.1:${(http.address() as AddressInfo).port}/hook`,
    messageIds,
    hooks,
    async close() {
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
      await new Promise((r) => smtp.close(() => r(undefined)));
    },
  };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'sd-bench-takedown-'));
  const p = await peers();
  const server: BenchPostgres | null = POSTGRES ? await benchPostgres() : null;
  const env = {
    STAYDOWN_SMTP_URL: p.smtpUrl, STAYDOWN_NOTICE_FROM: 'Bench <takedown@bench.example>', STAYDOWN_ORG_EMAIL: 'takedown@bench.example',
    STAYDOWN_PUBLIC_URL: 'https://staydown.example', STAYDOWN_LOG_LEVEL: 'warn', STAYDOWN_MASTER_KEY: randomBytes(32).toString('hex'),
    ...(server ? { DATABASE_URL: server.url } : {}),
  };
  const config = loadConfig({ dataDir: dir }, env);
  if (!server) {
    log('creating the embedded database (PGlite) in a child process: staydown db migrate ...');
    const made = spawnSync(process.execPath, ['bin/staydown.js', 'db', 'migrate'], { env: { ...process.env, ...env, STAYDOWN_DATA_DIR: dir }, encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`staydown db migrate failed: ${made.stderr}`);
  }
  log(server ? `opening ${server.what} ...` : 'opening the embedded database (PGlite) ...');
  const opened = await openService(config, silentLogger(), { serve: true });
  const { ctx } = opened;
  try {
    log(`seeding ${CASES} cases, ${CASES * ALERTS_PER_CASE} confirmed alerts, ${PLATFORMS} platforms ...`);
    for (let k = 0; k < PLATFORMS; k++) {
      const email = k % 2 === 0;
      const pl = await addPlatform(ctx, ADMIN, {
        name: `platform-${k}`, domains: [`p${k}.example`], jurisdiction: 'US', language: 'en',
        ...(email ? { emails: [`abuse@p${k}.example`] } : { webhookUrl: `${p.hookUrl}/${k}`, webhookSecret: SECRET }),
      });
      if (!email) await updateWebhookAllowHosts(ctx.sql, pl.id, ['127.0.0.1']);
    }
    const [site] = await ctx.sql.query<{ id: string }>(`INSERT INTO crawl_sites (name, start_urls) VALUES ('bench', ARRAY['https://p0.example/']) RETURNING id::text`);
    await ctx.sql.transaction(async (tx) => {
      for (let c = 0; c < CASES; c++) {
        const [row] = await tx.query<{ id: string }>(`INSERT INTO cases (code, status) VALUES ($1, 'open') RETURNING id::text`, [`C-BENCH-${c}`]);
        const [m] = await tx.query<{ id: string }>(`INSERT INTO material (case_id, kind, sha256, md5, fingerprint, byte_size) VALUES ($1, 'image', $2, $3, '{}'::jsonb, 1) RETURNING id::text`,
          [row.id, randomBytes(32).toString('hex'), randomBytes(16).toString('hex')]);
        for (let j = 0; j < ALERTS_PER_CASE; j++) {
          // Each case's five alerts are on three platforms (2 + 2 + 1): 600 notices of 1-2 URLs.
          const k = (c + Math.floor(j / 2) * 17) % PLATFORMS;
          const url = `https://p${k}.example/media/${c}-${j}.jpg`;
          await tx.query(`INSERT INTO crawl_alerts (case_id, material_id, site_id, page_url, media_url, media_sha256, method, distance, status, decided_at)
            VALUES ($1, $2, $3, $4, $5, $6, 'pdq', 3, 'confirmed', now())`, [row.id, m.id, site.id, `https://p${k}.example/post/${c}-${j}`, url, randomBytes(32).toString('hex')]);
        }
      }
    });

    const t0 = performance.now();
    const drafted = await draftNotices(ctx, ADMIN);
    const draftSeconds = (performance.now() - t0) / 1000;
    const drafts = await ctx.sql.query<{ id: string }>(`SELECT id::text FROM notices WHERE status = 'draft' ORDER BY reference`);
    log(`drafted ${drafts.length} notices (${drafted.items} items) in ${draftSeconds.toFixed(2)} s`);

    const runner = await startJobs(ctx, { roles: ['api', 'worker', 'scheduler'], matcher: null, log: silentLogger(), jobs: JOBS });
    // As `notices approve` and the API queue it.
    const queue = deliveryQueuer(runner.send);
    const approvedAt = new Map<string, number>();
    const tApprove = Date.now();
    for (let i = 0; i < drafts.length; i += APPROVE_BATCH) {
      const batch = drafts.slice(i, i + APPROVE_BATCH).map((d) => d.id);
      await approveNotices(ctx, ADMIN, batch, { queueDelivery: queue });
      const at = Date.now();
      for (const id of batch) approvedAt.set(id, at);
    }
    const approveSeconds = (Date.now() - tApprove) / 1000;
    log(`approved ${drafts.length} notices in ${approveSeconds.toFixed(2)} s (${APPROVE_BATCH} per transaction); waiting for delivery ...`);
    const deadline = Date.now() + 600_000;
    // What the peers received is the condition (no queries competing with the delivery for the database).
    while (p.messageIds.length + p.hooks.length < drafts.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    let sent: Array<{ id: string; sent_at: Date }> = [];
    for (;;) {
      sent = await ctx.sql.query<{ id: string; sent_at: Date }>(`SELECT id::text, sent_at FROM notices WHERE status = 'sent'`);
      if (sent.length === drafts.length || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await runner.stop();
    const latencies = sent.map((s) => s.sent_at.getTime() - approvedAt.get(s.id)!);
    const lastSent = Math.max(...sent.map((s) => s.sent_at.getTime()));
    const firstSent = Math.min(...sent.map((s) => s.sent_at.getTime()));
    const deliverSeconds = (lastSent - tApprove) / 1000;
    const failed = await ctx.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM notices WHERE status <> 'sent'`);
    const result = {
      database: server ? 'postgresql' : 'pglite', approveBatch: APPROVE_BATCH,
      cases: CASES, alerts: CASES * ALERTS_PER_CASE, platforms: PLATFORMS, notices: drafts.length, items: drafted.items,
      draftSeconds: +draftSeconds.toFixed(3), draftedPerSecond: +(drafts.length / draftSeconds).toFixed(1),
      approveSeconds: +approveSeconds.toFixed(3),
      delivered: sent.length, notSent: failed[0].n, deliverSeconds: +deliverSeconds.toFixed(3), deliveredPerSecond: +(sent.length / deliverSeconds).toFixed(1),
      approvedPerSecond: +(drafts.length / approveSeconds).toFixed(1),
      /** The outbox's own pace: first delivery to last. */
      outboxPerSecond: +(sent.length / ((lastSent - firstSent) / 1000)).toFixed(1),
      approveToDeliveredMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(...latencies) },
      emailsReceived: p.messageIds.length, distinctMessageIds: new Set(p.messageIds).size,
      webhooksReceived: p.hooks.length, webhooksVerified: p.hooks.filter((h) => h.ok).length,
      /** This process (the service with every role, the SMTP server and the webhook receiver); on PostgreSQL the server runs apart. */
      peakRssMb: Math.round(peakRssMb()),
    };
    report(result, () => [
      `takedown on ${server ? server.what : 'the embedded database (PGlite)'}: ${result.alerts} confirmed alerts, ${result.cases} cases, ${result.platforms} platforms (half e-mail, half webhook)`,
      `  drafted   ${result.notices} notices (${result.items} items) in ${result.draftSeconds} s = ${result.draftedPerSecond} notices/s`,
      `  approved  ${result.notices} notices in ${result.approveSeconds} s = ${result.approvedPerSecond} notices/s (${APPROVE_BATCH} per transaction)`,
      `  delivered ${result.delivered} notices in ${result.deliverSeconds} s from the first approval = ${result.deliveredPerSecond} notices/s (${result.notSent} not sent); the outbox alone, first delivery to last: ${result.outboxPerSecond} notices/s`,
      `  approval -> delivered: p50 ${result.approveToDeliveredMs.p50} ms, p99 ${result.approveToDeliveredMs.p99} ms, max ${result.approveToDeliveredMs.max} ms`,
      `  received: ${result.emailsReceived} e-mails (${result.distinctMessageIds} Message-IDs), ${result.webhooksReceived} webhooks (${result.webhooksVerified} signatures verified)`,
      `  peak RSS ${result.peakRssMb} MB`,
      '',
    ].join('\n'));
  } finally {
    await opened.close();
    await p.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
