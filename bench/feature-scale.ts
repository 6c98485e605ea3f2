/**
 * npm run bench:index -- --features [--sizes 0,10000,100000] [--key-bits 16,20] [--json]
 *
 * `--key-bits`: the bits each index starts with; it lengthens them as it grows (KEY_GROWTH), and the row
 * says the bits it ended with.
 *
 * Memory per picture three ways: the index's own count (`bytesPerPicture`: what each picture adds;
 * `bytesHeld`: every array at its capacity, bucket heads included), and the process's (heap and array
 * buffers after a full GC, before and after the build). Registration time is the adds alone
 * (`addMs`: the crowd pictures are generated outside the clock), the stop list's walk included.
 *
 * How the local-feature index (hashing/features/feature-index.ts) scales with the bank: bytes per
 * registered picture, build time, query time, and whether the true picture is still among the (at
 * most 16) candidates the verifier is given when it hides among N other registered pictures.
 *
 * The real registered pictures are the shared vectors' and python3-skimage's photos (reference
 * features, as registration takes them); the queries are partial views of some of them (a corner crop,
 * a collage tile, a picture beside another, a crop + caption). The crowd they hide in is made from the
 * same photos' descriptors with each bit flipped at a 35% chance and random orientations: descriptors
 * spread over the keys as real ones are (same bit biases, flattened), yet ~90 bits from their source,
 * beyond the index's 56-bit vote radius, as a distinct photo's are.
 * That is an estimate, not a bank of a million real photos; it measures the index's cost and crowding,
 * not the verifier's false-match rate (bench:features and bench:robustness do that on real photos).
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DEFAULT_FEATURE_INDEX_OPTIONS, FeatureIndex, QUERY_OPTIONS, queryFeatures, REFERENCE_OPTIONS, referenceFeatures, type LocalFeatures } from '../hashing/features/index.ts';
import { DESCRIPTOR_WORDS } from '../hashing/features/types.ts';
import { decodeGrey } from '../hashing/image-decoder.ts';
import { loadSource } from '../test/support/image-edits.ts';
import { PARTIAL_EDITS, seeded } from '../test/support/partial-edits.ts';
import { skimagePhotos, vectorPhotos } from '../test/support/robust-photos.ts';
import { log, median, percentile, report } from './support.ts';

const args = process.argv.slice(2);
const opt = (name: string) => (args.indexOf(name) >= 0 ? args[args.indexOf(name) + 1] : undefined);
const sizes = (opt('--sizes') ?? '0,10000,100000').split(',').map(Number);
const keyBitsList = (opt('--key-bits') ?? '16,20').split(',').map(Number);
/** Each bit of a crowd descriptor is flipped with this chance: ~90 bits from its source, as distinct photos' are. */
const FLIP = 0.35;
const EDITS = ['crop-15-corner-offcentre', 'collage-tile', 'beside-another', 'crop-caption-jpeg'];
const QUERY_PHOTOS = 10;

const photos = [...vectorPhotos(), ...skimagePhotos()];
if (photos.length < 12) throw new Error('The feature-index scale benchmark needs the shared vectors (../shared/vectors) and python3-skimage (apt-get install -y python3-skimage).');

log(`registering ${photos.length} real photos and making ${EDITS.length * QUERY_PHOTOS} partial-view queries ...`);
const real: Array<{ name: string; f: LocalFeatures }> = [];
for (const p of photos) {
  const bytes = readFileSync(p.path);
  real.push({ name: p.name, f: referenceFeatures(await decodeGrey(bytes, REFERENCE_OPTIONS.maxSide), null) });
}
const queries: Array<{ truth: string; edit: string; f: LocalFeatures }> = [];
const chosen = Array.from({ length: QUERY_PHOTOS }, (_, k) => photos[Math.floor((k * photos.length) / QUERY_PHOTOS)]);
for (const [k, p] of chosen.entries()) {
  const src = await loadSource(readFileSync(p.path));
  const others = [await loadSource(readFileSync(photos[(photos.indexOf(p) + 7) % photos.length].path)), await loadSource(readFileSync(photos[(photos.indexOf(p) + 13) % photos.length].path))];
  for (const name of EDITS) {
    const e = PARTIAL_EDITS.find((x) => x.name === name)!;
    const bytes = await e.apply(src, others, seeded(1000 + k));
    queries.push({ truth: p.name, edit: name, f: queryFeatures(await decodeGrey(bytes, QUERY_OPTIONS.maxSide), QUERY_OPTIONS) });
  }
}

/** The k-th crowd picture: a real photo's descriptors with each bit flipped at FLIP, orientations at random. */
function crowdPicture(k: number, out: { desc: Uint32Array; angle: Uint8Array; level: Uint8Array }): LocalFeatures {
  const src = real[k % real.length].f;
  const rnd = seeded(k + 1);
  const n = src.count;
  out.desc.set(src.descriptors.subarray(0, n * DESCRIPTOR_WORDS));
  for (let i = 0; i < n; i++) {
    const o = i * DESCRIPTOR_WORDS;
    for (let w = 0; w < DESCRIPTOR_WORDS; w++) {
      let mask = 0;
      for (let b = 0; b < 32; b++) if (rnd() < FLIP) mask |= 1 << b;
      out.desc[o + w] ^= mask;
    }
    out.angle[i] = Math.floor(rnd() * 256);
    out.level[i] = src.level[i];
  }
  // Views of the scratch arrays: the index copies what it keeps.
  return { width: src.width, height: src.height, count: n, x: src.x, y: src.y, level: out.level.subarray(0, n), angle: out.angle.subarray(0, n), descriptors: out.desc.subarray(0, n * DESCRIPTOR_WORDS) };
}

// A full collection before reading the process's memory (the flag is allowed at run time; vm gives the function).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
// Array buffers are swept after the collection, not in it: a few rounds with a pause between.
const held = async () => {
  for (let k = 0; k < 3; k++) { gc(); await new Promise((resolve) => setTimeout(resolve, 50)); }
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
/** Process CPU time in ms (all threads): under a loaded machine's contention it varies less than the wall clock. */
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

const rows: Array<Record<string, number>> = [];
const scratch = { desc: new Uint32Array(REFERENCE_OPTIONS.maxKeypoints * 2 * DESCRIPTOR_WORDS), angle: new Uint8Array(REFERENCE_OPTIONS.maxKeypoints * 2), level: new Uint8Array(REFERENCE_OPTIONS.maxKeypoints * 2) };
// Outside the loop, so the previous row's index is dropped before the next row's memory is read.
let index: FeatureIndex | null = null;
for (const keyBits of keyBitsList) {
  for (const size of sizes) {
    index = null;
    const before = await held();
    index = new FeatureIndex({ ...DEFAULT_FEATURE_INDEX_OPTIONS, keyBits });
    const t0 = performance.now();
    let addMs = 0;
    let addCpu = 0;
    for (const r of real) { const t = performance.now(), c = cpuMs(); index.add(r.name, r.f); addMs += performance.now() - t; addCpu += cpuMs() - c; }
    for (let k = 0; k < size; k++) {
      const f = crowdPicture(k, scratch);
      const t = performance.now(), c = cpuMs();
      index.add(`crowd-${k}`, f);
      addMs += performance.now() - t;
      addCpu += cpuMs() - c;
    }
    const buildS = (performance.now() - t0) / 1000;
    const bytes = (await held()) - before;
    // What the service keeps once its bank is loaded (services/matching/change-feed.ts trims it).
    const heldBeforeTrim = index.bytesHeld();
    index.trim();
    const trimmedBytes = (await held()) - before;
    const times: number[] = [];
    let found = 0;
    let first = 0;
    let candidates = 0;
    for (const q of queries) {
      const t = performance.now();
      const c = index.query(q.f);
      times.push(performance.now() - t);
      candidates += c.length;
      const at = c.findIndex((x) => x.refId === q.truth);
      if (at >= 0) found++;
      if (at === 0) first++;
    }
    const row = {
      keyBits, keyBitsAtEnd: index.keyBits, crowd: size, pictures: index.pictures, buildSeconds: Math.round(buildS * 10) / 10,
      addMsPerPicture: Math.round((addMs / index.pictures) * 100) / 100, addCpuMsPerPicture: Math.round((addCpu / index.pictures) * 100) / 100,
      indexBytesPerPicture: index.bytesPerPicture(), heldBytesPerPicture: Math.round(heldBeforeTrim / index.pictures), processBytesPerPicture: Math.round(bytes / index.pictures),
      trimmedHeldBytesPerPicture: Math.round(index.bytesHeld() / index.pictures), trimmedProcessBytesPerPicture: Math.round(trimmedBytes / index.pictures),
      queryMsMedian: Math.round(median(times) * 10) / 10, queryMsP95: Math.round(percentile(times, 95) * 10) / 10,
      truthAmongCandidates: found, truthFirst: first, queries: queries.length, meanCandidates: Math.round((candidates / queries.length) * 10) / 10,
    };
    rows.push(row);
    log(`key ${keyBits} bits (${index.keyBits} at the end), ${size.toLocaleString('en')} crowd pictures: build ${row.buildSeconds} s (adds ${row.addMsPerPicture} ms a picture, CPU ${row.addCpuMsPerPicture} ms), ${row.indexBytesPerPicture} B a picture (held ${row.heldBytesPerPicture}, process ${row.processBytesPerPicture}; trimmed after the load ${row.trimmedHeldBytesPerPicture}, process ${row.trimmedProcessBytesPerPicture}), query ${row.queryMsMedian} ms (p95 ${row.queryMsP95}), truth among candidates ${found}/${queries.length} (first ${first}), ${row.meanCandidates} candidates`);
  }
}

const load = loadavg().map((x) => Math.round(x * 100) / 100);
report({ benchmark: 'feature-index-scale', realPictures: real.length, queries: queries.length, edits: EDITS, flipChance: FLIP, loadAverage: load, rows }, () => {
  const lines = [`feature index at scale (${real.length} real photos hidden among N crowd pictures; ${queries.length} partial-view queries; load ${load.join(' ')})`,
    'key bits  crowd      build s  add ms  B/picture (held, process)  query ms (p95)   truth in candidates  candidates'];
  for (const r of rows) lines.push(`${`${r.keyBits}->${r.keyBitsAtEnd}`.padStart(8)}  ${r.crowd.toLocaleString('en').padEnd(9)}  ${String(r.buildSeconds).padStart(7)}  ${String(r.addMsPerPicture).padStart(6)}  ${`${r.indexBytesPerPicture} (${r.heldBytesPerPicture}, ${r.processBytesPerPicture})`.padStart(25)}  ${`${r.queryMsMedian} (${r.queryMsP95})`.padStart(14)}   ${`${r.truthAmongCandidates}/${r.queries}`.padStart(19)}  ${String(r.meanCandidates).padStart(10)}`);
  return lines.join('\n') + '\n';
});
