/**
 * Benchmark of the match index (hashing/index): build time, memory per entry, and query latency at r = 31
 * for 100k, 1M and 10M entries of uniform random and of clustered, bit-biased hashes, side by side with
 * the fastest linear scan we could write in JS, on the same queries; the result counts of both must be
 * equal on every query. Also sustained queries per second at 1M.
 *
 *   npm run bench:index [-- --json] [-- --sizes 100000,1000000]
 *   npm run bench:index -- --features [--sizes 10000,100000] [--key-bits 16,20]   (the local-feature index: bench/feature-scale.ts)
 */
import { loadavg } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { HASH_WORDS, popcount32 } from '../hashing/bits.ts';
import { buildIndex, type HashIndex, type IndexRow } from '../hashing/index/index.ts';
import { clusteredHashes, queriesFor, randomHashes, rng32 } from '../test/hashing/index/synthetic-hashes.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const args = process.argv.slice(2);
if (args.includes('--feature-keys')) {
  await import('./feature-keys.ts');
  await new Promise((done) => process.stdout.write('', done));
  process.exit(0);
}
if (args.includes('--features')) {
  // The local-feature index at scale (bench/feature-scale.ts): its own report, then stop.
  await import('./feature-scale.ts');
  await new Promise((done) => process.stdout.write('', done));
  process.exit(0);
}
const json = args.includes('--json');
const sizesArg = args[args.indexOf('--sizes') + 1];
const sizes = args.includes('--sizes') && sizesArg ? sizesArg.split(',').map(Number) : [100_000, 1_000_000, 10_000_000];
const RADIUS = 31;

function log(line: string): void {
  if (!json) process.stdout.write(line + '\n');
  else process.stderr.write(line + '\n');
}

/** The best linear scan: one flat Uint32Array, unrolled, giving up after half the words when already too far. */
function linearCount(data: Uint32Array, q: Uint32Array, qi: number, r: number): number {
  const q0 = q[qi], q1 = q[qi + 1], q2 = q[qi + 2], q3 = q[qi + 3], q4 = q[qi + 4], q5 = q[qi + 5], q6 = q[qi + 6], q7 = q[qi + 7];
  let hits = 0;
  for (let h = 0, end = data.length; h < end; h += 8) {
    let d = popcount32(data[h] ^ q0) + popcount32(data[h + 1] ^ q1) + popcount32(data[h + 2] ^ q2) + popcount32(data[h + 3] ^ q3);
    if (d > r) continue;
    d += popcount32(data[h + 4] ^ q4) + popcount32(data[h + 5] ^ q5) + popcount32(data[h + 6] ^ q6) + popcount32(data[h + 7] ^ q7);
    if (d <= r) hits++;
  }
  return hits;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Rows in pages of 1,000, as a database cursor gives them. */
async function* rowsOf(data: Uint32Array): AsyncIterable<IndexRow[]> {
  const n = data.length / HASH_WORDS;
  for (let start = 0; start < n; start += 1000) {
    const page: IndexRow[] = [];
    for (let i = start; i < Math.min(n, start + 1000); i++) {
      page.push({
        hash: data.subarray(i * HASH_WORDS, (i + 1) * HASH_WORDS),
        materialId: i,
        bank: i & 3,
        view: 'orig',
        ...(i % 3 === 0 ? { frameTime: (i % 600) * 1.0 } : {}),
      });
    }
    yield page;
  }
}

async function memory(): Promise<{ rss: number; arrayBuffers: number; heapUsed: number }> {
  // ArrayBuffers are freed by a sweeper after the collection: collect, let it run, collect again.
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const m = process.memoryUsage();
  return { rss: m.rss, arrayBuffers: m.arrayBuffers, heapUsed: m.heapUsed };
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
}

interface RunResult {
  entries: number;
  data: string;
  buildSeconds: number;
  buildCpuSeconds: number;
  bytesPerEntry: { accounted: number; arrayBuffersDelta: number; heapAndBuffersDelta: number; rssDelta: number };
  index: { queries: number; p50ms: number; p99ms: number; meanMs: number; cpuMsPerQuery: number; meanHits: number };
  linear: { queries: number; p50ms: number; p99ms: number; meanMs: number; cpuMsPerQuery: number };
  speedupP50: number;
  countsEqual: boolean;
  mismatches: number;
  /** Sustained queries per second at 1M: wall clock, and per CPU-second of this process. */
  queriesPerSecond?: number;
  queriesPerCpuSecond?: number;
  loadAverage: number;
}

async function run(n: number, clustered: boolean): Promise<RunResult> {
  const kind = clustered ? 'clustered' : 'random';
  const seed = n + (clustered ? 1 : 0);
  const data = clustered ? clusteredHashes(n, rng32(seed)) : randomHashes(n, rng32(seed));
  const indexQueries = 1000;
  const linearQueries = n >= 10_000_000 ? 40 : n >= 1_000_000 ? 200 : 1000;
  const queries = queriesFor(data, indexQueries, rng32(seed + 7), clustered);

  const before = await memory();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let index: HashIndex | undefined = await buildIndex(rowsOf(data));
  const buildSeconds = (performance.now() - t0) / 1000;
  const buildCpuSeconds = cpuMs(c0) / 1000;
  const after = await memory();
  const accounted = index.memoryBytes() / n;

  // Warm up both paths a little so the first queries do not measure the JIT.
  for (let i = 0; i < 20; i++) index.query(queries.subarray(i * 8, i * 8 + 8), RADIUS);
  linearCount(data, queries, 0, RADIUS);

  const times: number[] = [];
  const counts: number[] = [];
  let hitSum = 0;
  const ci = process.cpuUsage();
  for (let i = 0; i < indexQueries; i++) {
    const q = queries.subarray(i * HASH_WORDS, (i + 1) * HASH_WORDS);
    const t = performance.now();
    const hits = index.query(q, RADIUS);
    times.push(performance.now() - t);
    counts.push(hits.length);
    hitSum += hits.length;
  }
  const indexCpu = cpuMs(ci) / indexQueries;
  // The linear scan runs on an evenly spread subset of the same queries.
  const ltimes: number[] = [];
  const lIdxTimes: number[] = [];
  let mismatches = 0;
  const step = Math.floor(indexQueries / linearQueries);
  const cl = process.cpuUsage();
  for (let k = 0; k < linearQueries; k++) {
    const i = k * step;
    const t = performance.now();
    const c = linearCount(data, queries, i * HASH_WORDS, RADIUS);
    ltimes.push(performance.now() - t);
    lIdxTimes.push(times[i]);
    if (c !== counts[i]) mismatches++;
  }
  const linearCpu = cpuMs(cl) / linearQueries;

  let queriesPerSecond: number | undefined;
  let queriesPerCpuSecond: number | undefined;
  if (n === 1_000_000) {
    let done = 0;
    const t = performance.now();
    const c = process.cpuUsage();
    while (performance.now() - t < 2000) {
      const i = done % indexQueries;
      index.query(queries.subarray(i * HASH_WORDS, (i + 1) * HASH_WORDS), RADIUS);
      done++;
    }
    queriesPerSecond = Math.round(done / ((performance.now() - t) / 1000));
    queriesPerCpuSecond = Math.round(done / (cpuMs(c) / 1000));
  }

  times.sort((a, b) => a - b);
  ltimes.sort((a, b) => a - b);
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const result: RunResult = {
    entries: n,
    data: kind,
    buildSeconds: round(buildSeconds, 2),
    buildCpuSeconds: round(buildCpuSeconds, 2),
    bytesPerEntry: {
      accounted: round(accounted, 1),
      arrayBuffersDelta: round((after.arrayBuffers - before.arrayBuffers) / n, 1),
      heapAndBuffersDelta: round((after.arrayBuffers + after.heapUsed - before.arrayBuffers - before.heapUsed) / n, 1),
      rssDelta: round((after.rss - before.rss) / n, 1),
    },
    index: { queries: indexQueries, p50ms: round(percentile(times, 50)), p99ms: round(percentile(times, 99)), meanMs: round(mean(times)), cpuMsPerQuery: round(indexCpu), meanHits: round(hitSum / indexQueries, 1) },
    linear: { queries: linearQueries, p50ms: round(percentile(ltimes, 50)), p99ms: round(percentile(ltimes, 99)), meanMs: round(mean(ltimes)), cpuMsPerQuery: round(linearCpu) },
    speedupP50: round(percentile(ltimes, 50) / percentile(times, 50), 1),
    countsEqual: mismatches === 0,
    mismatches,
    loadAverage: round(loadavg()[0], 1),
  };
  if (queriesPerSecond !== undefined) result.queriesPerSecond = queriesPerSecond;
  if (queriesPerCpuSecond !== undefined) result.queriesPerCpuSecond = queriesPerCpuSecond;
  index = undefined;
  return result;
}

const cpus = (await import('node:os')).availableParallelism();
const results: RunResult[] = [];
for (const n of sizes) {
  for (const clustered of [false, true]) {
    const r = await run(n, clustered);
    results.push(r);
    log(
      `${String(n).padStart(9)} ${r.data.padEnd(9)} build ${r.buildSeconds.toFixed(2)} s (cpu ${r.buildCpuSeconds.toFixed(2)} s)  ` +
        `B/entry ${r.bytesPerEntry.accounted} (measured ${r.bytesPerEntry.heapAndBuffersDelta}, rss ${r.bytesPerEntry.rssDelta})\n` +
        `          index  p50 ${r.index.p50ms} ms  p99 ${r.index.p99ms} ms  cpu/query ${r.index.cpuMsPerQuery} ms  (mean hits ${r.index.meanHits})\n` +
        `          linear p50 ${r.linear.p50ms} ms  p99 ${r.linear.p99ms} ms  cpu/query ${r.linear.cpuMsPerQuery} ms  -> index x${r.speedupP50} faster at p50\n` +
        `          counts ${r.countsEqual ? 'equal' : `DIFFER on ${r.mismatches}`} on all ${r.linear.queries} compared queries` +
        (r.queriesPerSecond ? `; sustained ${r.queriesPerSecond} q/s (${r.queriesPerCpuSecond} per cpu-second)` : '') +
        `; load average ${r.loadAverage} on ${cpus} cores`,
    );
  }
}
const allEqual = results.every((r) => r.countsEqual);
log(allEqual ? 'index and linear scan agree on every compared query' : 'MISMATCH between index and linear scan');
if (json) process.stdout.write(JSON.stringify({ radius: RADIUS, results, allCountsEqual: allEqual }) + '\n');
if (!allEqual) process.exitCode = 1;
