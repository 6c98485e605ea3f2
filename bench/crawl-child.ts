/**
 * Child process of bench/crawl.ts: crawls the benchmark site with one engine, in memory, and prints
 * {stats, seconds, firstAlertSeconds, peakRssMb, childrenPeakRssMb, childrenPeakPssMb, treePeakPssMb, cpuSeconds} as JSON. Its own process, so the
 * peak RSS is the crawl's alone; its descendants (the video host and its ffmpeg, Chromium's processes) are sampled separately.
 */
import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { fingerprintBuffer } from '../hashing/fingerprint.ts';
import { ReferenceBank } from '../hashing/match/matcher.ts';
import { BrowserEngine } from '../crawler/browser.ts';
import { crawlSite } from '../crawler/crawl-run.ts';
import { MemoryAlerts, MemoryFrontier, MemoryMediaStore } from '../crawler/memory-stores.ts';
import { MemoryHostSlots } from '../crawler/politeness.ts';
import type { CrawlSite } from '../crawler/types.ts';
import { crawlFingerprintPool } from '../services/crawling/crawl-runtime.ts';

const { origin, engine, maxPages, material } = JSON.parse(process.argv[2]) as { origin: string; engine: 'http' | 'browser'; maxPages: number; material: string };

/**
 * Memory of this process's descendants (Chromium's browser, GPU and renderer processes), in MB: the sum of
 * their RSS (which counts the memory they share once per process, so it overstates), and of their PSS
 * (shared pages split between the processes sharing them: what they really take together; read less
 * often, smaps_rollup is costly). Read from /proc asynchronously: a synchronous `ps` every half second
 * blocked the crawl's own event loop for a third of its time.
 */
async function descendantsMemoryMb(withPss: boolean): Promise<{ rss: number; pss: number | null; treePss: number | null }> {
  const rows: Array<[number, number, number]> = [];
  await Promise.all(
    (await readdir('/proc')).filter((n) => /^\d+$/.test(n)).map(async (n) => {
      try {
        const stat = await readFile(`/proc/${n}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        // proc(5): ppid is field 4, rss (pages) field 24; f[0] is field 3.
        rows.push([Number(n), Number(f[1]), Number(f[21]) * 4]);
      } catch {
        // the process ended meanwhile
      }
    }),
  );
  const kids = new Set<number>([process.pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of rows) if (kids.has(ppid) && !kids.has(pid)) { kids.add(pid); grew = true; }
  }
  kids.delete(process.pid);
  let rssKb = 0;
  for (const [pid, , rss] of rows) if (kids.has(pid)) rssKb += rss;
  let pssKb: number | null = null;
  let ownPssKb = 0;
  if (withPss) {
    pssKb = 0;
    ownPssKb = Number(/^Pss:\s+(\d+)/m.exec(await readFile('/proc/self/smaps_rollup', 'utf8'))?.[1] ?? 0);
    for (const pid of kids) {
      try {
        pssKb += Number(/^Pss:\s+(\d+)/m.exec(await readFile(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
      } catch {
        // the process ended meanwhile
      }
    }
  }
  return { rss: rssKb / 1024, pss: pssKb === null ? null : pssKb / 1024, treePss: pssKb === null ? null : (pssKb + ownPssKb) / 1024 };
}

const bank = new ReferenceBank([{ ref: 'material-1', fp: await fingerprintBuffer(Buffer.from(material, 'base64')) }]);
const alerts = new MemoryAlerts();
let firstAlertSeconds: number | null = null;
const t0 = performance.now();
let childrenPeak = 0;
let childrenPeakPss = 0;
let treePeakPss = 0;
let samples = 0;
let sampling = false;
const sampler = setInterval(() => {
  if (sampling) return;
  sampling = true;
  descendantsMemoryMb(samples++ % 2 === 0).then((m) => {
    childrenPeak = Math.max(childrenPeak, m.rss);
    if (m.pss !== null) childrenPeakPss = Math.max(childrenPeakPss, m.pss);
    if (m.treePss !== null) treePeakPss = Math.max(treePeakPss, m.treePss);
  }).finally(() => (sampling = false));
}, 1000);
let browser: BrowserEngine | null = null;
// The service's own crawl fingerprinting (worker threads, query views), so the bench measures what runs.
const pool = crawlFingerprintPool();
const site: CrawlSite = {
  id: 'bench', name: 'bench', startUrls: [`${origin}/`], engine, follow: [], maxDepth: 100, maxPages,
  allowHosts: ['127.0.0.1'], robots: 'respect', minIntervalMs: 0, concurrency: 16,
};
const stats = await crawlSite(site, {
  frontier: new MemoryFrontier(),
  media: new MemoryMediaStore(),
  alerts: {
    async raise(a, capture) {
      const created = await alerts.raise(a, capture);
      if (created && firstAlertSeconds === null) firstAlertSeconds = (performance.now() - t0) / 1000;
      return created;
    },
  },
  hostSlots: new MemoryHostSlots(),
  matcher: { match: async (fp) => bank.match(fp).map((m) => ({ caseId: 'case-1', materialId: m.ref, method: m.method, distance: m.distance })) },
  fingerprint: (b) => pool.fingerprint(b),
  browser: async () => (browser ??= await BrowserEngine.launch()),
  pageConcurrency: Number(process.env.BENCH_PAGE_CONCURRENCY ?? (engine === 'browser' ? 4 : 6)),
  mediaConcurrency: 4,
});
const seconds = (performance.now() - t0) / 1000;
clearInterval(sampler);
await pool.close();
await (browser as BrowserEngine | null)?.close();
/** CPU seconds of this process's reaped children (ffmpeg, ffprobe, Chromium and its renderers): cutime + cstime. */
function childrenCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 16 and 17 of proc(5), counted from the state field (3): clock ticks, 100 a second on Linux.
  return (Number(fields[13]) + Number(fields[14])) / 100;
}
const cpu = process.cpuUsage();
process.stdout.write(JSON.stringify({ stats, seconds, firstAlertSeconds, alerts: alerts.alerts.length, peakRssMb: process.resourceUsage().maxRSS / 1024, childrenPeakRssMb: childrenPeak, childrenPeakPssMb: childrenPeakPss, treePeakPssMb: treePeakPss, cpuSeconds: { node: (cpu.user + cpu.system) / 1e6, children: childrenCpuSeconds() } }) + '\n');
