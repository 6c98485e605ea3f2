/**
 * npm run bench:robustness [-- --json] [-- --sample N | --photos N] [-- --edits a,b] [-- --no-distractors]
 *
 * Recall of staydown's matcher on what re-uploaders do to pictures - the whole-picture edits
 * (test/support/image-edits.ts) and the partial views (test/support/partial-edits.ts: crops off-centre,
 * a picture beside another, a collage tile, a 9:16 frame over a blurred copy, a frame with a text
 * band, crop + rotation, shear, stickers, heavy noise, darkened) - through the same ReferenceMatcher,
 * fingerprints and local features as `staydown hash --json` / `staydown match --bank`. Side by side:
 *   pdq31   plain PDQ within 31 bits (what HMA and StopNCII do),
 *   before  the PDQ policy alone (hashing/match/policy.ts decideMatch: staydown before local features),
 *   after   the matcher with local features and the low-quality rule (hashing/match/matcher.ts).
 * Every registered file counts, whatever its PDQ quality (smooth and dark ones included).
 *
 * False matches: every query (each edit, and each original re-encoded) against every registered
 * picture it does not show; and every distinct pair of the distractor set - the photos plus the
 * distractors (skimage's synthetic pictures, gnome-backgrounds, the wallpapers under
 * /usr/share/backgrounds, sway-backgrounds where installed; variants of one design are one group) -
 * with the closest distinct pair per method (smallest plain PDQ and block-hash distance, most
 * verified local-feature inliers among the pairs the feature index proposes).
 */
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { hammingHex } from '../hashing/bits.ts';
import { DEFAULT_FEATURE_INDEX_OPTIONS, FeatureIndex, verifyFeatures } from '../hashing/features/index.ts';
import { fingerprintImage } from '../hashing/fingerprint.ts';
import { featuresOf } from '../hashing/match/features-policy.ts';
import { ReferenceMatcher } from '../hashing/match/matcher.ts';
import { decideMatch } from '../hashing/match/policy.ts';
import type { ImageFingerprint } from '../hashing/types.ts';
import { EDITS, loadSource, type Source } from '../test/support/image-edits.ts';
import { PARTIAL_EDITS, seeded } from '../test/support/partial-edits.ts';
import { requireSkimage, sameScene, SKIMAGE_DIR, type Photo, skimagePhotos, vectorPhotos } from '../test/support/robust-photos.ts';
import { log, report } from './support.ts';

const args = process.argv.slice(2);
const opt = (name: string) => (args.indexOf(name) >= 0 ? args[args.indexOf(name) + 1] : undefined);
const only = opt('--edits')?.split(',');
const sample = Number(opt('--sample') ?? 0);
const limit = Number(opt('--photos') ?? Infinity);

try {
  requireSkimage();
} catch (err) {
  process.stderr.write(`bench:robustness: ${(err as Error).message}.\n`);
  process.exit(1);
}

const PLAIN_PDQ_RADIUS = 31;

function distractorFiles(): Array<{ name: string; group: string; path: string }> {
  const out: Array<{ name: string; group: string; path: string }> = [];
  for (const f of ['text.png', 'page.png', 'logo.png', 'horse.png', 'phantom.png', 'chessboard_RGB.png', 'microaneurysms.png', 'bw_text.png', 'color.png']) {
    if (existsSync(join(SKIMAGE_DIR, f))) out.push({ name: `skimage/${f}`, group: `skimage/${f}`, path: join(SKIMAGE_DIR, f) });
  }
  const dirs: Array<[string, (f: string) => string]> = [
    ['/usr/share/backgrounds/gnome', (f) => `gnome/${f.replace(/-(l|d|day|night|morning)\.\w+$/, '').replace(/\.\w+$/, '')}`],
    ['/usr/share/backgrounds', (f) => `backgrounds/${f}`],
    ['/usr/share/backgrounds/sway', () => 'sway'],
  ];
  for (const [dir, group] of dirs) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) if (/\.(png|jpe?g|webp)$/.test(f)) out.push({ name: `${dir.split('/').pop()}/${f}`, group: group(f), path: join(dir, f) });
  }
  // One file under two names (lomiri-default-background.png is a link to warty-final-ubuntu.png) is one picture.
  const seen = new Set<string>();
  return out.filter((d) => {
    const real = realpathSync(d.path);
    if (seen.has(real)) return false;
    seen.add(real);
    return true;
  });
}

const spread = <T>(xs: T[], n: number) => (n > 0 && n < xs.length ? Array.from({ length: n }, (_, k) => xs[Math.floor((k * xs.length) / n)]) : xs);
const photos: Photo[] = spread([...vectorPhotos(), ...skimagePhotos()], sample).slice(0, limit);
const started = Date.now();
const cpuStart = process.cpuUsage();

interface Ref { name: string; group: string; fp: ImageFingerprint }
const refs: Ref[] = [];
const sources: Source[] = [];
const matcher = new ReferenceMatcher();
const register = async (name: string, group: string, bytes: Uint8Array) => {
  const fp = (await fingerprintImage(bytes, { features: 'reference' })) as ImageFingerprint;
  matcher.add(String(refs.length), fp);
  refs.push({ name, group, fp });
};
for (const p of photos) {
  const bytes = readFileSync(p.path);
  await register(p.name, p.name, bytes);
  sources.push(await loadSource(bytes));
}
const photoCount = refs.length;
if (!args.includes('--no-distractors')) {
  for (const d of distractorFiles()) {
    try {
      // Wallpapers come at up to 4K: registered at a size a re-upload would have.
      await register(d.name, d.group, await sharp(readFileSync(d.path)).resize(1600, 1600, { fit: 'inside', withoutEnlargement: true }).png().toBuffer());
    } catch (err) {
      log(`distractor ${d.name} skipped: ${(err as Error).message}`);
    }
  }
}
log(`registered ${photoCount} photos + ${refs.length - photoCount} distractors`);
const query = (bytes: Uint8Array) => fingerprintImage(bytes, { features: 'query' });

interface Row { edit: string; kind: 'whole' | 'partial'; n: number; pdq31: number; before: number; after: number; methods: Record<string, number> }
const rows: Row[] = [];
const falseM = { pairs: 0, pdq31: 0, before: 0, after: 0, examples: [] as string[] };

function judge(edit: string, i: number, q: ImageFingerprint, shown: Set<number>, row?: Row): void {
  const matched = new Map(matcher.match(q).map((m) => [Number(m.ref), m.decision]));
  if (row) {
    row.n++;
    const own = refs[i].fp;
    if (hammingHex(q.pdq.hash, own.pdq.hash) <= PLAIN_PDQ_RADIUS) row.pdq31++;
    if (decideMatch(q, own)) row.before++;
    const m = matched.get(i);
    if (m) { row.after++; row.methods[m.method] = (row.methods[m.method] ?? 0) + 1; }
  }
  for (let j = 0; j < refs.length; j++) {
    if (j === i || shown.has(j) || sameScene(refs[i].group, refs[j].group)) continue;
    falseM.pairs++;
    const who = `${refs[i].name} [${edit}] ~ ${refs[j].name}`;
    if (hammingHex(q.pdq.hash, refs[j].fp.pdq.hash) <= PLAIN_PDQ_RADIUS) falseM.pdq31++;
    if (decideMatch(q, refs[j].fp)) { falseM.before++; if (falseM.examples.length < 10) falseM.examples.push(`before: ${who}`); }
    const m = matched.get(j);
    if (m) { falseM.after++; if (falseM.examples.length < 10) falseM.examples.push(`after: ${who} by ${m.method}`); }
  }
}

const edits = [
  ...EDITS.map((e) => ({ name: e.name, kind: 'whole' as const, apply: (s: Source) => e.apply(s) })),
  ...PARTIAL_EDITS.map((e) => ({ name: e.name, kind: 'partial' as const, apply: e.apply })),
].filter((e) => !only || only.includes(e.name));
for (const e of edits) {
  const row: Row = { edit: e.name, kind: e.kind, n: 0, pdq31: 0, before: 0, after: 0, methods: {} };
  for (let i = 0; i < photoCount; i++) {
    // Fillers of collages and neighbours: other registered photos, which the query does show.
    const fill = [1, 2, 3].map((k) => (i + k * 7) % photoCount).filter((j) => j !== i);
    const bytes = await e.apply(sources[i], fill.map((j) => sources[j]), seeded(i * 7919 + e.name.length * 131 + 1));
    judge(e.name, i, (await query(bytes)) as ImageFingerprint, new Set(e.kind === 'partial' ? fill : []), row);
  }
  rows.push(row);
  // Progress on stderr (stdout keeps the one JSON line): a full run takes a long time on a shared machine.
  process.stderr.write(`${e.name}: ${row.after}/${row.n} (plain PDQ ${row.pdq31}), ${Math.round((Date.now() - started) / 1000)} s\n`);
}

// The distractor set: every registered picture as a query (re-encoded) against every other, with the closest distinct pair per method.
const closest = {
  pdq: { distance: 256, pair: '' },
  blockhash: { distance: 256, pair: '' },
  features: { inliers: 0, pair: '', reason: '' },
};
const setIndex = new FeatureIndex();
for (const [j, r] of refs.entries()) { const f = featuresOf(r.fp); if (f) setIndex.add(String(j), f); }
let setPairs = 0;
let setFalse = 0;
for (let i = 0; i < refs.length; i++) {
  const src = i < photoCount ? readFileSync(photos[i].path) : null;
  const bytes = src ?? (await sharp(await loadSourcePng(i)).jpeg({ quality: 90 }).toBuffer());
  const q = (await query(src ? await sharp(src).jpeg({ quality: 90 }).toBuffer() : bytes)) as ImageFingerprint;
  const before = falseM.after;
  const pairsBefore = falseM.pairs;
  judge('orig', i, q, new Set());
  setPairs += falseM.pairs - pairsBefore;
  setFalse += falseM.after - before;
  const qf = featuresOf(q)!;
  const votes = new Map(setIndex.query(qf).map((c) => [Number(c.refId), c]));
  for (let j = 0; j < refs.length; j++) {
    if (j === i || sameScene(refs[i].group, refs[j].group)) continue;
    const who = `${refs[i].name} ~ ${refs[j].name}`;
    const d = hammingHex(q.pdq.hash, refs[j].fp.pdq.hash);
    if (d < closest.pdq.distance) closest.pdq = { distance: d, pair: who };
    const b = hammingHex(q.blockhash, refs[j].fp.blockhash);
    if (b < closest.blockhash.distance) closest.blockhash = { distance: b, pair: who };
    const v = votes.get(j);
    if (v) {
      const rf = featuresOf(refs[j].fp)!;
      const ver = verifyFeatures(qf, rf, { ...v, minVotes: DEFAULT_FEATURE_INDEX_OPTIONS.minVotes });
      if (ver.inliers > closest.features.inliers) closest.features = { inliers: ver.inliers, pair: `${who}${ver.accepted ? ' (ACCEPTED)' : ''}`, reason: ver.reason ?? '' };
    }
  }
}

async function loadSourcePng(i: number): Promise<Buffer> {
  const d = distractorFiles().find((x) => x.name === refs[i].name)!;
  return sharp(readFileSync(d.path)).resize(1600, 1600, { fit: 'inside', withoutEnlargement: true }).png().toBuffer();
}

const pct = (a: number, n: number) => (n ? Math.round((1000 * a) / n) / 10 : 0);
const summary = (sel: (r: Row) => boolean) => {
  const rs = rows.filter(sel);
  const n = rs.reduce((s, r) => s + r.n, 0);
  const sum = (k: 'pdq31' | 'before' | 'after') => rs.reduce((s, r) => s + r[k], 0);
  return { n, pdq31: pct(sum('pdq31'), n), before: pct(sum('before'), n), after: pct(sum('after'), n) };
};
const cpu = process.cpuUsage(cpuStart);
const result = {
  photos: photoCount,
  distractors: refs.length - photoCount,
  lowQualityPhotos: refs.slice(0, photoCount).filter((r) => r.fp.pdq.quality < 50).map((r) => `${r.name} (quality ${r.fp.pdq.quality})`),
  plainPdqRadius: PLAIN_PDQ_RADIUS,
  recall: rows.map((r) => ({ edit: r.edit, kind: r.kind, n: r.n, pdq31: pct(r.pdq31, r.n), before: pct(r.before, r.n), after: pct(r.after, r.n), belowPdq31: r.after < r.pdq31, methods: r.methods })),
  wholeEdits: summary((r) => r.kind === 'whole'),
  partialEdits: summary((r) => r.kind === 'partial'),
  allEdits: summary(() => true),
  worstEdit: rows.length ? rows.map((r) => ({ edit: r.edit, after: pct(r.after, r.n) })).sort((a, b) => a.after - b.after)[0] : null,
  falseMatches: { pairs: falseM.pairs, pdq31: falseM.pdq31, before: falseM.before, after: falseM.after, examples: falseM.examples },
  distractorSet: { pictures: refs.length, distinctPairs: setPairs, falseMatchesAfter: setFalse, closest },
  seconds: Math.round((Date.now() - started) / 1000),
  cpuSeconds: Math.round((cpu.user + cpu.system) / 1e6),
};

report(result, () => {
  const pad = (s: string | number, n: number) => String(s).padEnd(n);
  const out = [`${result.photos} photos registered + ${result.distractors} distractors (low PDQ quality: ${result.lowQualityPhotos.join(', ') || 'none'})`, `recall %: plain PDQ <= ${PLAIN_PDQ_RADIUS} | before (PDQ policy) | after (matcher with local features)`];
  out.push(`${pad('edit', 28)}${pad('n', 4)}${pad('pdq31', 7)}${pad('before', 8)}${pad('after', 8)}methods`);
  for (const r of result.recall) out.push(`${pad(r.edit, 28)}${pad(r.n, 4)}${pad(r.pdq31, 7)}${pad(r.before, 8)}${pad(r.after + (r.belowPdq31 ? '!' : ''), 8)}${Object.entries(r.methods).map(([k, v]) => `${k}:${v}`).join(' ')}`);
  for (const [label, s] of [['ALL whole-picture', result.wholeEdits], ['ALL partial', result.partialEdits], ['ALL edits', result.allEdits]] as const) out.push(`${pad(label, 28)}${pad(s.n, 4)}${pad(s.pdq31, 7)}${pad(s.before, 8)}${s.after}`);
  const fm = result.falseMatches;
  out.push(`false matches among ${fm.pairs} distinct query/reference pairs: plain PDQ ${fm.pdq31}, before ${fm.before}, after ${fm.after}`);
  for (const e of fm.examples) out.push(`  false: ${e}`);
  const ds = result.distractorSet;
  out.push(`distractor set: ${ds.pictures} pictures, ${ds.distinctPairs} distinct pairs, false matches (after) ${ds.falseMatchesAfter}`);
  out.push(`  closest distinct pair: plain PDQ ${ds.closest.pdq.distance} bits (${ds.closest.pdq.pair}); blockhash ${ds.closest.blockhash.distance} bits (${ds.closest.blockhash.pair}); local features ${ds.closest.features.inliers} inliers (${ds.closest.features.pair}: ${ds.closest.features.reason})`);
  out.push(`${result.seconds} s wall, ${result.cpuSeconds} s CPU (this process)`);
  return out.join('\n') + '\n';
});
