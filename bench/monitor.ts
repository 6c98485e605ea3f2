/**
 * npm run bench:monitor [-- --json]
 * Removal checks at scale: 10,000 notified URLs (a page and its media URL each) spread over 100 local
 * fixture hosts (127.0.0.1 .. 127.0.0.100, served by a child process), a third removed (a "deleted" page
 * with a placeholder image, the file 404), one in ten a soft-404 page, one in twenty slow (300 ms), the
 * rest still up with a unique copy of the material. Each check is the service's RemovalVerifier: the
 * guarded fetcher (the hosts allowed explicitly), the crawl's extractor, the fingerprinting pool with the
 * crawl's options and a matcher of the material; per-host politeness (crawler/politeness.ts) at
 * BENCH_RATE_MS between request starts and BENCH_HOST_CONCURRENCY in flight per host. Prints checks/s,
 * CPU per check (this process: fetching, parsing, fingerprinting threads; the hosts' CPU apart), peak RSS,
 * the verdicts (which must match what each host serves), and what the hosts saw of politeness; and where
 * the wait is: checks in flight, the fingerprint workers busy and files queued for them (sampled every
 * 20 ms), the main thread's busy share, requests that found their host busy, PDQ and full passes.
 * Database writes (holding and recording each check) are not part of this number.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { syntheticPhoto } from '../test/support/images.ts';
import { fingerprintBuffer } from '../hashing/fingerprint.ts';
import { ReferenceMatcher } from '../hashing/match/matcher.ts';
import { FingerprintPool } from '../hashing/pool/fingerprint-pool.ts';
import { MemoryHostSlots, type HostSlotStore } from '../crawler/politeness.ts';
import { CRAWL_FINGERPRINT_OPTIONS, crawlFingerprintOptions } from '../services/crawling/index.ts';
import { RemovalVerifier } from '../services/monitoring/verify.ts';
import { eachLimited } from '../services/monitoring/pass.ts';
import { log, peakRssMb, report } from './support.ts';

const URLS = Number(process.env.BENCH_URLS ?? 10_000);
const HOSTS = 100;
const CONCURRENCY = Number(process.env.BENCH_CHECKS_IN_FLIGHT ?? 64);
const RATE_MS = Number(process.env.BENCH_RATE_MS ?? 10);
const HOST_CONCURRENCY = Number(process.env.BENCH_HOST_CONCURRENCY ?? 2);
/** 1: the verifier is not told the alert's SHA-256, so every file still up is fingerprinted (the worst case). */
const UNKNOWN_BYTES = process.env.BENCH_UNKNOWN_BYTES === '1';

function expected(n: number): 'present' | 'removed' {
  if (n % 3 === 0) return 'removed';
  if (n % 10 === 1) return 'removed';
  return 'present';
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sd-bench-monitor-'));
  const material = await syntheticPhoto(515151, 320, 240);
  const placeholder = await syntheticPhoto(9, 200, 150);
  writeFileSync(join(dir, 'm.jpg'), material);
  writeFileSync(join(dir, 'p.jpg'), placeholder);
  const child = spawn(process.execPath, ['bin/run-ts.js', 'bench/monitor-hosts.ts', join(dir, 'm.jpg'), join(dir, 'p.jpg'), '0', '300'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const { port } = JSON.parse((await lines.next()).value as string) as { port: number };
  const hosts = Array.from({ length: HOSTS }, (_, i) => `127.0.0.${i + 1}`);
  log(`${HOSTS} fixture hosts on port ${port}; checking ${URLS} URLs, ${CONCURRENCY} at once, ${RATE_MS} ms / ${HOST_CONCURRENCY} in flight per host`);

  const pool = new FingerprintPool({ fingerprint: CRAWL_FINGERPRINT_OPTIONS });
  const ref = new ReferenceMatcher();
  ref.add('m', await fingerprintBuffer(material));
  // Where the wait is: the fingerprints asked for per pass, and how often a request found its host busy.
  const passes = { pdq: 0, full: 0 };
  const slots = new MemoryHostSlots();
  const waits = { refused: 0 };
  const hostSlots: HostSlotStore = {
    async tryAcquire(host, rule) {
      const r = await slots.tryAcquire(host, rule);
      if (!r.ok) waits.refused++;
      return r;
    },
    release: (host, token) => slots.release(host, token),
  };
  const verifier = new RemovalVerifier({
    fingerprint: (b, req) => {
      passes[req.pass]++;
      return pool.fingerprint(b, { options: crawlFingerprintOptions(req) });
    },
    reference: async () => ref,
    hostSlots,
  });
  const site = { allowHosts: hosts, minIntervalMs: RATE_MS, concurrency: HOST_CONCURRENCY };
  // Warm the pool's workers so start-up is not counted.
  await pool.fingerprint(new Uint8Array(placeholder), { options: CRAWL_FINGERPRINT_OPTIONS });
  const targets = Array.from({ length: URLS }, (_, n) => ({ n, host: hosts[n % HOSTS] }));
  const verdicts = { removed: 0, present: 0, unknown: 0 };
  let wrong = 0;
  // The pool's queue and the checks in flight, sampled every 20 ms; the main thread's busy share.
  let inFlight = 0;
  const samples = { n: 0, busy: 0, queued: 0, inFlight: 0 };
  const sampler = setInterval(() => {
    const st = pool.stats();
    samples.n++;
    samples.busy += st.busy;
    samples.queued += st.queued;
    samples.inFlight += inFlight;
  }, 20);
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await eachLimited(targets, CONCURRENCY, async ({ n, host }) => {
    // As the service checks: the alert's media SHA-256 is known (the bytes confirmed at that URL).
    const knownSha256 = UNKNOWN_BYTES ? [] : [createHash('sha256').update(Buffer.concat([material, Buffer.from(`staydown-bench-${n}`)])).digest('hex')];
    inFlight++;
    const r = await verifier.check({ pageUrl: `http://${host}:${port}/p/${n}`, mediaUrl: `http://${host}:${port}/i/${n}.jpg`, materialId: 'm', site, knownSha256 });
    inFlight--;
    verdicts[r.result]++;
    if (r.result !== expected(n)) wrong++;
  });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  clearInterval(sampler);
  const mean = (x: number) => Math.round((x / Math.max(1, samples.n)) * 10) / 10;
  await verifier.close();
  await pool.close();
  child.kill('SIGTERM');
  const hostStats = JSON.parse((await lines.next()).value as string) as { hosts: number; requests: number; maxInFlightPerHost: number; minGapMsPerHost: number; maxRequestsPerSecondPerHost: number; cpuSeconds: number };
  rmSync(dir, { recursive: true, force: true });
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const result = {
    urls: URLS, hosts: HOSTS, knownBytes: !UNKNOWN_BYTES, loadAverage: loadavg()[0], seconds: Math.round(seconds * 100) / 100, checksPerSecond: Math.round((URLS / seconds) * 10) / 10,
    cpuMsPerCheck: Math.round((cpuSeconds * 1000 / URLS) * 100) / 100, cpuSeconds: Math.round(cpuSeconds * 100) / 100, peakRssMb: Math.round(peakRssMb()),
    verdicts, wrongVerdicts: wrong,
    politeness: { rateMs: RATE_MS, concurrencyPerHost: HOST_CONCURRENCY, seenMaxInFlightPerHost: hostStats.maxInFlightPerHost, seenMinGapMsPerHost: Math.round(hostStats.minGapMsPerHost * 100) / 100, seenMaxRequestsPerSecondPerHost: hostStats.maxRequestsPerSecondPerHost, requests: hostStats.requests },
    hostsCpuSeconds: Math.round(hostStats.cpuSeconds * 100) / 100,
    wait: { checksInFlight: CONCURRENCY, meanInFlight: mean(samples.inFlight), poolWorkers: pool.size, meanPoolBusy: mean(samples.busy), meanPoolQueued: mean(samples.queued), mainThreadBusy: Math.round(elu.utilization * 100) / 100, hostBusyRefusals: waits.refused, fingerprints: passes },
  };
  report(result, () => [
    `removal checks: ${URLS} URLs over ${HOSTS} hosts in ${result.seconds} s = ${result.checksPerSecond} checks/s`,
    `CPU ${result.cpuMsPerCheck} ms per check (${result.cpuSeconds} s in all; the hosts ${result.hostsCpuSeconds} s), peak RSS ${result.peakRssMb} MB`,
    `verdicts: ${verdicts.removed} removed, ${verdicts.present} present, ${verdicts.unknown} unknown; ${wrong} differ from what the hosts serve`,
    `politeness: at most ${hostStats.maxInFlightPerHost} in flight per host (rule ${HOST_CONCURRENCY}), at most ${hostStats.maxRequestsPerSecondPerHost} requests in one second per host (rule: starts ${RATE_MS} ms apart, <= ${Math.floor(1000 / RATE_MS) + 1}/s), ${hostStats.requests} requests`,
    `where the wait is: ${result.wait.meanInFlight} checks in flight on average (of ${CONCURRENCY}), ${result.wait.meanPoolBusy} of ${pool.size} fingerprint workers busy and ${result.wait.meanPoolQueued} files queued on average, main thread busy ${Math.round(elu.utilization * 100)}%, ${waits.refused} requests found their host busy; fingerprints: ${passes.pdq} PDQ passes, ${passes.full} full`,
    `(${UNKNOWN_BYTES ? 'every file fingerprinted' : "the alert's SHA-256 known, as the service checks"}; load average ${loadavg()[0].toFixed(1)} on ${os.cpus().length} cores)`,
    '',
  ].join('\n'));
}

await main();
