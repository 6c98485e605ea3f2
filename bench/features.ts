/**
 * npm run bench:features [-- --json] [-- --photos N | --sample N] [-- --edits a,b] [-- --no-timing] [-- --misses]
 * npm run bench:features -- --kenburns [--sample N]   (registered photos inside slideshow videos: bench/kenburns.ts)
 * npm run bench:features -- --unseen [--sample N]     (edits nothing was tuned on: bench/unseen.ts)
 *
 * Local features (hashing/features/) on partial views and warped re-uploads: recall per edit for
 *   pdq31     plain PDQ within 31 bits (HMA, StopNCII),
 *   policy    staydown's current policy (decideMatch, hashing/match/policy.ts),
 *   features  FeatureIndex candidates verified by decideFeatureMatch,
 *   combined  policy OR features OR the low-quality rule (hashing/features/low-quality.ts),
 * false matches of every query (and every distractor) against every distinct registered picture, the
 * closest distinct pair, the two negatives local features invite (the same app chrome around two
 * photos, the same watermark over two photos, both registered that way: pairwise, in one bank with the
 * stop list, and through the matcher with every one registered and each re-uploaded), and the budgets: bytes per
 * registered picture, ms per registration and per query at 1 MP and 12 MP.
 *
 * Photos: the real photos among ../shared/vectors and python3-skimage's sample photos (registered,
 * recall). Distractors, registered too: skimage's synthetic pictures (text, logo, page, chessboard) and
 * the wallpapers of gnome-backgrounds, lomiri-wallpapers and sway-backgrounds where installed
 * (variants of one design - light/dark, sizes - are one group, not distinct pictures).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { hammingHex } from '../hashing/bits.ts';
import { decideFeatureMatch, DEFAULT_FEATURE_INDEX_OPTIONS, extractFeatures, FeatureIndex, featuresToBase64, QUERY_OPTIONS, queryFeatures, REFERENCE_OPTIONS, verifyFeatures, type LocalFeatures } from '../hashing/features/index.ts';
import { decideLowQualityMatch, matchStrength } from '../hashing/features/low-quality.ts';
import { fingerprintImage } from '../hashing/fingerprint.ts';
import { contentRect } from '../hashing/borders.ts';
import { referenceFeatures } from '../hashing/features/reference.ts';
import { decodeGrey, decodeImage } from '../hashing/image-decoder.ts';
import { ReferenceMatcher } from '../hashing/match/matcher.ts';
import { decideMatch } from '../hashing/match/policy.ts';
import type { ImageFingerprint } from '../hashing/types.ts';
import { EDITS, loadSource, type Source } from '../test/support/image-edits.ts';
import { PARTIAL_EDITS, seeded } from '../test/support/partial-edits.ts';
import { sameScene, SKIMAGE_DIR, skimagePhotos, vectorPhotos, type Photo } from '../test/support/robust-photos.ts';
import { JSON_OUT, log, median, peakRssMb, report } from './support.ts';

const args = process.argv.slice(2);
const opt = (name: string) => (args.indexOf(name) >= 0 ? args[args.indexOf(name) + 1] : undefined);
const limit = Number(opt('--photos') ?? Infinity);
const only = opt('--edits')?.split(',');
const timing = !args.includes('--no-timing');
if (args.includes('--unseen')) {
  // Generalisation over edits nothing was tuned on (bench/unseen.ts): its own report, then stop.
  await import('./unseen.ts');
  await new Promise((done) => process.stdout.write('', done));
  process.exit(0);
}
if (args.includes('--kenburns')) {
  // Photos inside slideshow videos (bench/kenburns.ts): its own report, then stop.
  await import('./kenburns.ts');
  await new Promise((done) => process.stdout.write('', done));
  process.exit(0);
}

/** Whole-picture edits of the existing set, re-run here to show the combined policy loses nothing. */
const CLASSIC = ['jpeg-q15', 'gamma-0.6', 'noise', 'mirror', 'rotate-90', 'caption', 'watermark', 'crop-25-corner', 'rotate-5', 'screenshot-light', 'screenshot-dark', 'letterbox-9x16', 'combo-crop-caption-jpeg'];

interface Ref {
  name: string;
  group: string;
  fp: ImageFingerprint;
  f: LocalFeatures;
}

async function register(name: string, group: string, bytes: Uint8Array): Promise<Ref> {
  const fp = await fingerprintImage(bytes);
  return { name, group, fp, f: await registrationFeatures(bytes) };
}

/** Registration as the service would do it: the grey decode, and the screenshot's picture when there is one. */
async function registrationFeatures(bytes: Uint8Array): Promise<LocalFeatures> {
  const { image } = await decodeImage(bytes);
  const c = contentRect(image);
  const content = c ? { x: c.x / image.width, y: c.y / image.height, w: c.w / image.width, h: c.h / image.height } : null;
  return referenceFeatures(await decodeGrey(bytes, REFERENCE_OPTIONS.maxSide), content);
}

async function queryOf(bytes: Uint8Array): Promise<{ fp: ImageFingerprint; f: LocalFeatures }> {
  return { fp: await fingerprintImage(bytes, { views: 'query' }), f: queryFeatures(await decodeGrey(bytes, QUERY_OPTIONS.maxSide), QUERY_OPTIONS) };
}

function distractorFiles(): Array<{ name: string; group: string; path: string }> {
  const out: Array<{ name: string; group: string; path: string }> = [];
  for (const f of ['text.png', 'page.png', 'logo.png', 'horse.png', 'phantom.png', 'chessboard_RGB.png', 'microaneurysms.png', 'bw_text.png', 'color.png']) {
    if (existsSync(join(SKIMAGE_DIR, f))) out.push({ name: `skimage/${f}`, group: `skimage/${f}`, path: join(SKIMAGE_DIR, f) });
  }
  const dirs: Array<[string, (f: string) => string]> = [
    ['/usr/share/backgrounds/gnome', (f) => `gnome/${f.replace(/-[dl]\.\w+$/, '').replace(/\.\w+$/, '')}`],
    ['/usr/share/backgrounds', (f) => `lomiri/${f}`],
    ['/usr/share/backgrounds/sway', () => 'sway'],
  ];
  for (const [dir, group] of dirs) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) if (/\.(png|jpe?g|webp|svg)$/.test(f)) out.push({ name: `${dir.split('/').pop()}/${f}`, group: group(f), path: join(dir, f) });
  }
  return out;
}

const sample = Number(opt('--sample') ?? 0);
const allPhotos: Photo[] = [...vectorPhotos(), ...skimagePhotos()];
/** `--sample N`: N photos spread evenly over the whole list (a shorter run that still mixes every source). */
const spread = <T>(xs: T[], n: number) => (n > 0 && n < xs.length ? Array.from({ length: n }, (_, k) => xs[Math.floor((k * xs.length) / n)]) : xs);
const photos: Photo[] = spread(allPhotos, sample).slice(0, limit);
if (photos.length < 3) {
  process.stderr.write('bench:features: needs the shared vectors and/or python3-skimage (apt-get install -y python3-skimage).\n');
  process.exit(1);
}
const started = Date.now();

// Registration: photos, then distractors.
const refs: Ref[] = [];
const sources: Source[] = [];
for (const p of photos) {
  const bytes = readFileSync(p.path);
  refs.push(await register(p.name, p.name, bytes));
  sources.push(await loadSource(bytes));
}
const photoCount = refs.length;
for (const d of spread(distractorFiles(), sample).slice(0, Number.isFinite(limit) ? limit : undefined)) {
  try {
    const bytes = await sharp(readFileSync(d.path)).resize(1600, 1600, { fit: 'inside', withoutEnlargement: true }).png().toBuffer();
    refs.push(await register(d.name, d.group, bytes));
  } catch (err) {
    log(`distractor ${d.name} skipped: ${(err as Error).message}`);
  }
}
const index = new FeatureIndex();
for (const [i, r] of refs.entries()) index.add(String(i), r.f);
log(`registered ${photoCount} photos + ${refs.length - photoCount} distractors`);

interface Row { edit: string; n: number; pdq31: number; policy: number; features: number; combined: number; candidates: number; misses: string[] }
const rows: Row[] = [];
let pairs = 0;
const falseM = { policy: 0, features: 0, lowQuality: 0, examples: [] as string[] };
let closest = { inliers: 0, pair: '', reason: '' };
const queryMs: number[] = [];
/** Distinct pictures the index returned per query (impostor candidates the verifier had to reject). */
const candidateCounts: number[] = [];

function judgeQuery(edit: string, i: number, q: { fp: ImageFingerprint; f: LocalFeatures }, exclude: Set<number>, row?: Row): void {
  const cands = new Map(index.query(q.f).map((c) => [Number(c.refId), { ...c, minVotes: DEFAULT_FEATURE_INDEX_OPTIONS.minVotes }]));
  candidateCounts.push([...cands.keys()].filter((j) => j !== i && !exclude.has(j)).length);
  if (row) {
    const own = refs[i];
    row.n++;
    if (hammingHex(q.fp.pdq.hash, own.fp.pdq.hash) <= 31) row.pdq31++;
    const pol = decideMatch(q.fp, own.fp);
    const feat = cands.has(i) ? decideFeatureMatch(q.f, own.f, cands.get(i), index.sharedMask(String(i))) : null;
    const low = decideLowQualityMatch(q.fp, own.fp, { query: q.f, ref: own.f });
    if (cands.has(i)) row.candidates++;
    if (pol) row.policy++;
    if (feat) row.features++;
    if (pol || feat || low) row.combined++;
    else {
      const v = verifyFeatures(q.f, own.f);
      const c = cands.get(i);
      const hinted = c ? verifyFeatures(q.f, own.f, c) : null;
      row.misses.push(`${own.name.split('/').pop()}${c ? ` (votes ${c.votes}, mirrored ${c.mirroredVotes}: ${hinted!.reason} ${hinted!.inliers})` : ' (not retrieved)'}: ${v.reason ?? 'verified without the index hint'} ${v.inliers}/${v.tentative ?? 0}`);
    }
  }
  for (let j = 0; j < refs.length; j++) {
    if (j === i || exclude.has(j) || (i >= 0 && sameScene(refs[i].group, refs[j].group))) continue;
    pairs++;
    const who = `${i >= 0 ? refs[i].name : '?'} [${edit}] ~ ${refs[j].name}`;
    if (decideMatch(q.fp, refs[j].fp)) { falseM.policy++; if (falseM.examples.length < 10) falseM.examples.push(`policy: ${who}`); }
    if (decideLowQualityMatch(q.fp, refs[j].fp, cands.has(j) ? { query: q.f, ref: refs[j].f } : undefined)) { falseM.lowQuality++; if (falseM.examples.length < 10) falseM.examples.push(`low-quality: ${who}`); }
    if (cands.has(j)) {
      const v = verifyFeatures(q.f, refs[j].f, cands.get(j), index.sharedMask(String(j)));
      if (v.accepted) { falseM.features++; if (falseM.examples.length < 10) falseM.examples.push(`features: ${who} (${v.inliers} inliers)`); }
      else if (v.inliers > closest.inliers) closest = { inliers: v.inliers, pair: who, reason: v.reason ?? '' };
    }
  }
}

// Originals and distractors as queries (every distinct pair, both ways).
for (let i = 0; i < refs.length; i++) {
  const bytes = i < photoCount ? readFileSync(photos[i].path) : null;
  const q = bytes ? await queryOf(bytes) : { fp: refs[i].fp, f: refs[i].f };
  judgeQuery('orig', i, q, new Set());
}

const edits = [
  ...PARTIAL_EDITS.map((e) => ({ name: e.name, apply: e.apply })),
  ...EDITS.filter((e) => CLASSIC.includes(e.name)).map((e) => ({ name: e.name, apply: (s: Source) => e.apply(s) })),
].filter((e) => !only || only.includes(e.name));
for (const e of edits) {
  const row: Row = { edit: e.name, n: 0, pdq31: 0, policy: 0, features: 0, combined: 0, candidates: 0, misses: [] };
  for (let i = 0; i < photoCount; i++) {
    if (process.stderr.isTTY) process.stderr.write(`\r${e.name} ${i + 1}/${photoCount}\x1b[K`);
    const rnd = seeded(i * 7919 + e.name.length * 131 + 1);
    // Fillers of collages and neighbours: three other registered photos, left out of the false-match count.
    const fill = [1, 2, 3].map((k) => (i + k * 7) % photoCount).filter((j) => j !== i);
    const bytes = await e.apply(sources[i], fill.map((j) => sources[j]), rnd);
    const t = performance.now();
    const q = await queryOf(bytes);
    queryMs.push(performance.now() - t);
    // Fillers and any photo of the same scene as a filler are not distinct from what the query shows.
    const shown = new Set(fill.flatMap((j) => refs.map((_, k) => k).filter((k) => k < photoCount && sameScene(refs[k].group, refs[j].group))));
    judgeQuery(e.name, i, q, shown, row);
  }
  rows.push(row);
}
if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');

// Negatives local features invite: registered screenshots / watermarked photos vs the same template around another photo.
// Pairwise (the verifier alone, as featuresSignal.compare does), in one bank (the stop list of
// shared.ts: the template's keypoints the registered pictures share are left out), and through the matcher.
const negatives = { chromePairs: 0, chromeMatched: 0, watermarkPairs: 0, watermarkMatched: 0, maxInliers: 0, examples: [] as string[], inBank: { chromeMatched: 0, watermarkMatched: 0, maxInliers: 0, sharedKeypointsPerPicture: 0 }, matcher: { chromeMatched: 0, watermarkMatched: 0, examples: [] as string[] } };
for (const [kind, editName] of [['chrome', 'screenshot-light'], ['watermark', 'watermark']] as const) {
  const edit = EDITS.find((x) => x.name === editName)!;
  const n = Math.min(photoCount, 16);
  const edited: Buffer[] = [];
  for (let i = 0; i < n; i++) edited.push(await edit.apply(sources[i]));
  const fs: LocalFeatures[] = [];
  for (let i = 0; i < n; i++) fs.push(queryFeatures(await decodeGrey(edited[i], QUERY_OPTIONS.maxSide), QUERY_OPTIONS));
  const regs: LocalFeatures[] = [];
  for (let i = 0; i < n; i++) regs.push(await registrationFeatures(edited[i]));
  // The product's own path: all n registered in one matcher (stop list and explaining away), each queried
  // as a re-upload (re-encoded, so not the registered bytes): which other registered picture does it raise?
  const matcher = new ReferenceMatcher();
  for (let i = 0; i < n; i++) matcher.add(String(i), await fingerprintImage(edited[i], { features: 'reference' }));
  for (let a = 0; a < n; a++) {
    const reupload = await sharp(edited[a]).jpeg({ quality: 85 }).toBuffer();
    for (const m of matcher.match(await fingerprintImage(reupload, { features: 'query', views: 'query' }))) {
      const b = Number(m.ref);
      if (b === a || sameScene(photos[a].name, photos[b].name)) continue;
      negatives.matcher[kind === 'chrome' ? 'chromeMatched' : 'watermarkMatched']++;
      if (negatives.matcher.examples.length < 10) negatives.matcher.examples.push(`${kind}: ${photos[a].name} ~ ${photos[b].name} (${m.decision.method})`);
    }
  }
  const bank = new FeatureIndex();
  for (const [i, f] of regs.entries()) bank.add(String(i), f);
  const masks = regs.map((_, i) => bank.sharedMask(String(i)));
  negatives.inBank.sharedKeypointsPerPicture = Math.max(negatives.inBank.sharedKeypointsPerPicture, Math.round(masks.reduce((s, m) => s + (m ? m.reduce((c, v) => c + (v > 0 ? 1 : 0), 0) : 0), 0) / n));
  for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) {
    if (a === b || sameScene(photos[a].name, photos[b].name)) continue;
    const inBank = verifyFeatures(fs[a], regs[b], undefined, masks[b]);
    if (inBank.accepted) { negatives.inBank.maxInliers = Math.max(negatives.inBank.maxInliers, inBank.inliers); negatives.inBank[kind === 'chrome' ? 'chromeMatched' : 'watermarkMatched']++; }
    const v = verifyFeatures(fs[a], regs[b]);
    negatives.maxInliers = Math.max(negatives.maxInliers, v.accepted ? v.inliers : 0);
    if (v.accepted && negatives.examples.length < 10) negatives.examples.push(`${kind}: ${photos[a].name} ~ ${photos[b].name} (${v.inliers} inliers)`);
    if (kind === 'chrome') { negatives.chromePairs++; if (v.accepted) negatives.chromeMatched++; }
    else { negatives.watermarkPairs++; if (v.accepted) negatives.watermarkMatched++; }
  }
}

// Budgets.
const blobBytes = refs.slice(0, photoCount).map((r) => featuresToBase64(r.f).length);
// The stop list among the bench's distinct photos and distractors: what it took (nothing, ideally).
const stopList = { pictures: refs.length, picturesWithOverlay: 0, sharedKeypoints: 0, pairs: [] as string[] };
for (let i = 0; i < refs.length; i++) {
  const m = index.sharedMask(String(i));
  if (!m) continue;
  stopList.picturesWithOverlay++;
  stopList.sharedKeypoints += m.reduce((c, v) => c + (v > 0 ? 1 : 0), 0);
  for (const p of index.sharedWith(String(i))) stopList.pairs.push(`${refs[i].name} ~ ${refs[Number(p.refId)].name} (${p.keypoints})`);
}
const budgets: Record<string, number> = { indexBytesPerPicture: index.bytesPerPicture(), base64BytesPerPicture: Math.round(blobBytes.reduce((a, b) => a + b, 0) / blobBytes.length), meanKeypoints: Math.round(refs.reduce((a, r) => a + r.f.count, 0) / refs.length) };
if (timing) {
  const src = readFileSync(photos[photos.length - 1].path);
  for (const [label, w, h] of [['1MP', 1155, 866], ['12MP', 4000, 3000]] as const) {
    const bytes = await sharp(src).resize(w, h, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer();
    const reg: number[] = [];
    const qry: number[] = [];
    const regCpu: number[] = [];
    const qryCpu: number[] = [];
    const decCpu: number[] = [];
    const candCount: number[] = [];
    for (let k = 0; k < 7; k++) {
      let t = performance.now();
      let c = process.cpuUsage();
      await registrationFeatures(bytes);
      reg.push(performance.now() - t);
      regCpu.push(cpuMs(c));
      t = performance.now();
      c = process.cpuUsage();
      const grey = await decodeGrey(bytes, QUERY_OPTIONS.maxSide);
      decCpu.push(cpuMs(c));
      const f = queryFeatures(grey, QUERY_OPTIONS);
      // Every candidate the index returns is verified, as the matcher does.
      const cands = index.query(f);
      for (const cand of cands) decideFeatureMatch(f, refs[Number(cand.refId)].f, { ...cand, minVotes: DEFAULT_FEATURE_INDEX_OPTIONS.minVotes }, index.sharedMask(cand.refId));
      candCount.push(cands.length);
      qry.push(performance.now() - t);
      qryCpu.push(cpuMs(c));
    }
    budgets[`queryDecodeCpuMs${label}`] = Math.round(median(decCpu));
    budgets[`queryFeaturesCpuMs${label}`] = Math.round(median(qryCpu.map((q, k) => q - decCpu[k])));
    budgets[`queryCandidates${label}`] = Math.round(median(candCount));
    budgets[`registerCpuMs${label}`] = Math.round(median(regCpu));
    budgets[`queryCpuMs${label}`] = Math.round(median(qryCpu));
    budgets[`registerMs${label}`] = Math.round(median(reg));
    budgets[`queryMs${label}`] = Math.round(median(qry));
  }
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
}

const pct = (a: number, n: number) => (n ? Math.round((1000 * a) / n) / 10 : 0);
const partialNames = new Set(PARTIAL_EDITS.map((e) => e.name));
const total = (sel: (r: Row) => boolean, k: keyof Row) => rows.filter(sel).reduce((s, r) => s + (r[k] as number), 0);
const summary = (sel: (r: Row) => boolean) => {
  const n = total(sel, 'n');
  return { n, pdq31: pct(total(sel, 'pdq31'), n), policy: pct(total(sel, 'policy'), n), features: pct(total(sel, 'features'), n), combined: pct(total(sel, 'combined'), n) };
};
const result = {
  photos: photoCount,
  distractors: refs.length - photoCount,
  recall: rows.map((r) => ({ edit: r.edit, n: r.n, pdq31: pct(r.pdq31, r.n), policy: pct(r.policy, r.n), features: pct(r.features, r.n), combined: pct(r.combined, r.n), retrieved: pct(r.candidates, r.n), misses: r.misses })),
  partialEdits: summary((r) => partialNames.has(r.edit)),
  allEdits: summary(() => true),
  falseMatches: { pairs, policy: falseM.policy, features: falseM.features, lowQuality: falseM.lowQuality, examples: falseM.examples },
  closestDistinctPair: closest,
  impostorCandidatesPerQuery: { mean: Math.round((10 * candidateCounts.reduce((a, b) => a + b, 0)) / candidateCounts.length) / 10, max: Math.max(...candidateCounts) },
  negatives,
  stopList,
  weakRegistered: refs.map((r) => ({ name: r.name, s: matchStrength(r.fp, r.f) })).filter((x) => x.s.weak).map((x) => `${x.name} (PDQ quality ${x.s.pdqQuality}, ${x.s.keypoints} keypoints)`),
  budgets: { ...budgets, medianQueryMsInRun: Math.round(median(queryMs)), peakRssMb: Math.round(peakRssMb()) },
  seconds: Math.round((Date.now() - started) / 1000),
};

report(result, () => {
  const pad = (s: string | number, n: number) => String(s).padEnd(n);
  const out = [`${result.photos} photos registered + ${result.distractors} distractors; recall % per edit`, `${pad('edit', 26)}${pad('n', 4)}${pad('pdq31', 7)}${pad('policy', 8)}${pad('features', 10)}${pad('combined', 10)}retrieved`];
  for (const r of result.recall) out.push(`${pad(r.edit, 26)}${pad(r.n, 4)}${pad(r.pdq31, 7)}${pad(r.policy, 8)}${pad(r.features, 10)}${pad(r.combined, 10)}${r.retrieved}`);
  if (args.includes('--misses')) for (const r of result.recall) if (r.misses.length) out.push(`  missed ${r.edit}: ${r.misses.join('; ')}`);
  for (const [label, s] of [['ALL partial', result.partialEdits], ['ALL edits', result.allEdits]] as const) out.push(`${pad(label, 26)}${pad(s.n, 4)}${pad(s.pdq31, 7)}${pad(s.policy, 8)}${pad(s.features, 10)}${s.combined}`);
  const fm = result.falseMatches;
  out.push(`false matches among ${fm.pairs} distinct pairs: policy ${fm.policy}, features ${fm.features}, low-quality rule ${fm.lowQuality}`);
  for (const e of fm.examples) out.push(`  false: ${e}`);
  out.push(`closest distinct pair (features, rejected): ${closest.inliers} inliers, ${closest.pair} (${closest.reason})`);
  out.push(`impostor candidates from the index per query: mean ${result.impostorCandidatesPerQuery.mean}, max ${result.impostorCandidatesPerQuery.max} (of ${refs.length - 1})`);
  out.push(`same chrome around distinct photos: ${negatives.chromeMatched}/${negatives.chromePairs} matched; same watermark: ${negatives.watermarkMatched}/${negatives.watermarkPairs} (pairwise); in one bank with the stop list: chrome ${negatives.inBank.chromeMatched}, watermark ${negatives.inBank.watermarkMatched}; through the matcher (all registered, each re-uploaded): chrome ${negatives.matcher.chromeMatched}, watermark ${negatives.matcher.watermarkMatched}`);
  for (const e of negatives.examples) out.push(`  matched: ${e}`);
  for (const e of negatives.matcher.examples) out.push(`  matched through the matcher: ${e}`);
  out.push(`stop list: ${result.stopList.sharedKeypoints} shared keypoints over ${result.stopList.pictures} registered pictures (${result.stopList.picturesWithOverlay} with an overlay)`);
  out.push(`weak registered files: ${result.weakRegistered.length} (${result.weakRegistered.slice(0, 6).join('; ')})`);
  out.push(`budgets: ${Object.entries(result.budgets).map(([k, v]) => `${k} ${v}`).join(', ')}; ${result.seconds} s`);
  return out.join('\n') + '\n';
});
void JSON_OUT;
