/**
 * npm run bench:hash [-- --json]
 * Fingerprinting time per image for a 1 MP and a 12 MP JPEG (median of runs, one process), side by
 * side with the naive pipeline (full-resolution decode + blockhash-core + PDQ at full resolution),
 * and peak RSS while hashing a folder of 1,000 images (`--no-folder` leaves it out).
 *
 * Local features (hashing/features/, wired into the matcher): the cost they add per image at 1 MP and
 * 12 MP, in CPU ms of this process (the machine is shared: wall time moves with its load), fingerprinted
 * as the service does it - in a worker of the fingerprinting pool (hashing/pool/, the crawler's and the
 * console's registrations) - and, as `inThread`, in the calling thread (the `staydown hash` and `match`
 * commands) -
 *   registration  fingerprint with reference features (`staydown hash --json`, material) minus without,
 *   query         fingerprint with query features plus matching against a bank of registered photos
 *                 (`staydown match`), minus the fingerprint and match without features,
 * and the bank's size per registered picture (base64 in a bank line, bytes in material_features, the
 * feature index in memory).
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { bmvbhash } from 'blockhash-core';
import { spawnSync } from 'node:child_process';
import { fingerprintBuffer } from '../hashing/fingerprint.ts';
import { FeatureIndex } from '../hashing/features/index.ts';
import { featuresOf } from '../hashing/match/features-policy.ts';
import { ReferenceMatcher } from '../hashing/match/matcher.ts';
import { FingerprintPool } from '../hashing/pool/fingerprint-pool.ts';
import type { Fingerprint } from '../hashing/types.ts';
import { pdqFromRgb } from '../hashing/pdq-hasher.ts';
import { JSON_OUT, log, median, report, timeRuns } from './support.ts';

const PHOTOS = ['astronaut.png', 'coffee.png', 'chelsea.png', 'rocket.jpg', 'motorcycle_left.png', 'hubble_deep_field.jpg'];
const SKIMAGE = '/usr/lib/python3/dist-packages/skimage/data';
const CACHE = '/tmp/staydown-bench-hash';
const RUNS = Number(process.env.BENCH_RUNS ?? 25);
/** Rounds of the feature-cost blocks (featureCosts). */
const ROUNDS = 4;
const FOLDER_SIZE = Number(process.env.BENCH_FOLDER ?? 1000);

/** A photo-like JPEG: a real photo scaled up, with sensor-like noise so the JPEG is as dense as a camera's. */
async function makeJpeg(source: string, width: number, height: number, seed: number): Promise<Buffer> {
  const { data, info } = await sharp(source).resize(width, height, { fit: 'fill' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = Math.max(0, Math.min(255, data[i] + ((s >>> 24) % 13) - 6));
  }
  return sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } }).jpeg({ quality: 90 }).toBuffer();
}

async function naive(bytes: Buffer): Promise<void> {
  const { data, info } = await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  bmvbhash({ width: info.width, height: info.height, data }, 16);
  pdqFromRgb(data, info.width, info.height, 4);
}

async function main(): Promise<void> {
  const source = join(SKIMAGE, 'coffee.png');
  if (!existsSync(source)) {
    throw new Error(`The sample photos of python3-skimage are missing (${SKIMAGE}); install them with: apt-get install -y python3-skimage`);
  }
  const sizes = [
    { name: '1MP', width: 1152, height: 864 },
    { name: '12MP', width: 4000, height: 3000 },
  ];
  const rows: Array<{ image: string; width: number; height: number; bytes: number; staydownMs: number; naiveMs: number; speedup: number }> = [];
  for (const s of sizes) {
    const jpeg = await makeJpeg(source, s.width, s.height, 7);
    await fingerprintBuffer(jpeg); // warm-up: JIT and libvips start-up are not per-image costs
    await naive(jpeg);
    const ours = median(await timeRuns(RUNS, () => fingerprintBuffer(jpeg)));
    const base = median(await timeRuns(Math.max(5, RUNS >> 2), () => naive(jpeg)));
    rows.push({ image: s.name, width: s.width, height: s.height, bytes: jpeg.length, staydownMs: round(ours), naiveMs: round(base), speedup: round(base / ours) });
    log(`${s.name}: staydown ${ours.toFixed(1)} ms, naive ${base.toFixed(1)} ms`);
  }

  const features = await featureCosts(source, sizes);
  if (process.argv.includes('--no-folder')) {
    report({ benchmark: 'hash', runs: RUNS, perImage: rows, features }, () => `${table(rows)}\n${featureLines(features)}\n`);
    return;
  }

  // A folder of images, hashed one after another in this process: memory must stay flat.
  mkdirSync(CACHE, { recursive: true });
  const have = readdirSync(CACHE).filter((f) => f.endsWith('.jpg')).length;
  for (let i = have; i < FOLDER_SIZE; i++) {
    const src = join(SKIMAGE, PHOTOS[i % PHOTOS.length]);
    const big = i % 100 === 0; // one in a hundred is a 12 MP camera photo
    const w = big ? 4000 : 800 + ((i * 37) % 800);
    const h = big ? 3000 : 600 + ((i * 53) % 600);
    writeFileSync(join(CACHE, `img-${String(i).padStart(4, '0')}.jpg`), await makeJpeg(src, w, h, i));
  }
  // Started through a small shell (not as a command it could exec in place): a child forked straight from
  // this process would inherit its resident pages (the 12 MP naive decode) into its own peak-RSS figure.
  const child = spawnSync('/bin/sh', ['-c', '"$0" "$@"; exit $?', process.execPath, 'bin/run-ts.js', 'bench/hash-folder.ts', CACHE, String(FOLDER_SIZE)], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`The folder benchmark failed: ${child.stderr}`);
  const f = JSON.parse(child.stdout);
  const folder = { images: f.images, failed: f.failed, seconds: round(f.seconds), imagesPerSecond: round(f.images / f.seconds), peakRssMb: round(f.peakRssMb) };

  const result = { benchmark: 'hash', runs: RUNS, perImage: rows, features, folder };
  report(result, () => `${table(rows)}\nfolder: ${folder.images} images in ${folder.seconds} s (${folder.imagesPerSecond}/s), peak RSS ${folder.peakRssMb} MB\n${featureLines(features)}\n`);
}

function table(rows: Array<{ image: string; width: number; height: number; staydownMs: number; naiveMs: number; speedup: number }>): string {
  const lines = ['image   size        staydown ms   naive ms   speed-up'];
  for (const r of rows) lines.push(`${r.image.padEnd(7)} ${`${r.width}x${r.height}`.padEnd(11)} ${String(r.staydownMs).padStart(11)} ${String(r.naiveMs).padStart(10)} ${String(r.speedup).padStart(9)}x`);
  return lines.join('\n');
}

type FeatureCosts = Awaited<ReturnType<typeof featureCosts>>;

function featureLines(f: FeatureCosts): string {
  const lines = [`local features, added CPU ms per image (median over ${f.rounds} rounds of the difference between blocks of ${f.perBlock} runs; bank of ${f.bank} registered photos):`];
  const row = (r: FeatureCosts['perImage'][number], where: string) => lines.push(`  ${r.image.padEnd(5)} ${where} registration +${r.registrationAddedCpuMs} (rounds ${r.registrationAddedRangeCpuMs.join('-')}; ${r.registrationCpuMs} with, ${r.registrationBaseCpuMs} without)   query +${r.queryAddedCpuMs} (rounds ${r.queryAddedRangeCpuMs.join('-')}; ${r.queryCpuMs} with, ${r.queryBaseCpuMs} without)`);
  for (const r of f.perImage) row(r, 'pool worker (the service)');
  for (const r of f.inThread) row(r, 'this thread (the CLI)    ');
  lines.push(`  per registered picture: ${f.bankLineBase64Bytes} bytes of base64 in a bank line, ${f.storedBytes} bytes in material_features, ${f.indexBytesPerPicture} bytes of feature index`);
  return lines.join('\n');
}

const cpuMs = (since: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
};

async function cpuRuns(runs: number, fn: () => Promise<unknown>): Promise<number> {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c = process.cpuUsage();
    await fn();
    out.push(cpuMs(c));
  }
  return median(out);
}

/** What local features add to registration and to a query, and what a registered picture costs to keep. */
async function featureCosts(source: string, sizes: Array<{ name: string; width: number; height: number }>) {
  const runs = Math.max(3, RUNS >> 2);
  const withF = new ReferenceMatcher();
  const withoutF = new ReferenceMatcher();
  const index = new FeatureIndex();
  const base64: number[] = [];
  for (const [i, p] of PHOTOS.entries()) {
    const bytes = await sharp(join(SKIMAGE, p)).jpeg({ quality: 90 }).toBuffer();
    const fp = await fingerprintBuffer(bytes, { features: 'reference' });
    withF.add(p, fp);
    const { features: text, ...plain } = fp as typeof fp & { features?: string };
    withoutF.add(p, plain as typeof fp);
    base64.push(text?.length ?? 0);
    const f = featuresOf(fp);
    if (f) index.add(String(i), f);
  }
  const per = Math.max(3, Math.ceil(runs / ROUNDS));
  const pool = new FingerprintPool({ size: 1 });
  try {
    // The pool takes the bytes it is given (transferred): each call hands it a copy.
    const perImage = await costsPerImage(source, sizes, per, withF, withoutF, (bytes, features) => pool.fingerprint(Uint8Array.from(bytes), { options: { features } }), 'in a pool worker');
    const inThread = await costsPerImage(source, sizes, per, withF, withoutF, (bytes, features) => fingerprintBuffer(bytes, { features }), 'in this thread');
    const meanB64 = Math.round(base64.reduce((a, b) => a + b, 0) / base64.length);
    return { runs, rounds: ROUNDS, perBlock: per, bank: PHOTOS.length, perImage, inThread, bankLineBase64Bytes: meanB64, storedBytes: Math.round((meanB64 * 3) / 4), indexBytesPerPicture: index.bytesPerPicture() };
  } finally {
    await pool.close();
  }
}

/** Each size's added cost of features to registration and to a query, fingerprinting with `hash` (`per` runs a block). */
async function costsPerImage(
  source: string,
  sizes: Array<{ name: string; width: number; height: number }>,
  per: number,
  withF: ReferenceMatcher,
  withoutF: ReferenceMatcher,
  hash: (bytes: Buffer, features?: 'reference' | 'query') => Promise<Fingerprint>,
  where: string,
) {
  const perImage = [];
  for (const s of sizes) {
    const jpeg = await makeJpeg(source, s.width, s.height, 11);
    const registration = () => hash(jpeg, 'reference');
    const registrationBase = () => hash(jpeg);
    const query = async () => withF.match(await hash(jpeg, 'query'));
    const queryBase = async () => withoutF.match(await hash(jpeg));
    // Warm-up of each path, matching included: the first matches with features compile the verifier,
    // which once cost the query figure 20-70 ms a run for its first runs (a start-up cost, not a query's).
    for (const fn of [registration, registrationBase, query, queryBase]) await cpuRuns(3, fn);
    // ROUNDS rounds of four blocks (with and without, each path), each block the median of its runs: the
    // added cost is each round's difference, and the figure their median. The load of this shared
    // machine drifts over a minute; one block a path put all of a drift into one side (the same code
    // read 36-51 in four runs).
    const r: Record<'reg' | 'regBase' | 'qry' | 'qryBase', number[]> = { reg: [], regBase: [], qry: [], qryBase: [] };
    for (let k = 0; k < ROUNDS; k++) {
      r.reg.push(await cpuRuns(per, registration));
      r.regBase.push(await cpuRuns(per, registrationBase));
      r.qry.push(await cpuRuns(per, query));
      r.qryBase.push(await cpuRuns(per, queryBase));
    }
    const added = (a: number[], b: number[]) => a.map((x, k) => x - b[k]).sort((x, y) => x - y);
    const regAdded = added(r.reg, r.regBase), qryAdded = added(r.qry, r.qryBase);
    perImage.push({
      image: s.name,
      registrationCpuMs: Math.round(median(r.reg)), registrationBaseCpuMs: Math.round(median(r.regBase)), registrationAddedCpuMs: Math.round(median(regAdded)),
      queryCpuMs: Math.round(median(r.qry)), queryBaseCpuMs: Math.round(median(r.qryBase)), queryAddedCpuMs: Math.round(median(qryAdded)),
      registrationAddedRangeCpuMs: [Math.round(regAdded[0]), Math.round(regAdded[ROUNDS - 1])], queryAddedRangeCpuMs: [Math.round(qryAdded[0]), Math.round(qryAdded[ROUNDS - 1])],
    });
    log(`${s.name} ${where}: features add ${Math.round(median(regAdded))} CPU ms to registration, ${Math.round(median(qryAdded))} to a query`);
  }
  return perImage;
}


function round(x: number): number {
  return Math.round(x * 10) / 10;
}

await main();
if (!JSON_OUT) process.stderr.write('done\n');
