/**
 * npm run bench:robustness [-- --json] [-- --photos N]
 *
 * Recall of staydown's image policy (hashing/match/image-policy.ts) on what re-uploaders do to
 * pictures, side by side with plain PDQ at distance 31 (what HMA and StopNCII do) and blockhash alone,
 * and false matches among all pairs of distinct photos (every edit of photo A, and A itself, against
 * every original B != A).
 *
 * Photos: the real photos among ../shared/vectors and the sample photos of Debian's python3-skimage.
 * Every edit is made here with sharp (test/support/image-edits.ts). Originals whose plain PDQ has
 * quality < 50 cannot be matched perceptually by design (Meta's rule: such hashes are not trusted);
 * they are left out of the recall figures (and listed) but stay in the false-match count.
 */
import { readFileSync } from 'node:fs';
import { hammingHex } from '../hashing/bits.ts';
import { fingerprintImage } from '../hashing/fingerprint.ts';
import { matchImages, MIN_QUALITY } from '../hashing/match/image-policy.ts';
import { referenceHashes } from '../hashing/reference.ts';
import type { ImageFingerprint } from '../hashing/types.ts';
import { EDITS, loadSource } from '../test/support/image-edits.ts';
import { HAVE_SKIMAGE, NO_SKIMAGE_REASON, type Photo, skimagePhotos, vectorPhotos } from '../test/support/robust-photos.ts';
import { HAVE_VECTORS, NO_VECTORS_REASON } from '../test/support/vectors.ts';

const args = process.argv.slice(2);
const json = args.includes('--json');
const limitAt = args.indexOf('--photos');
const limit = limitAt >= 0 ? Number(args[limitAt + 1]) : Infinity;

if (!HAVE_SKIMAGE || !HAVE_VECTORS) {
  process.stderr.write(`bench:robustness: ${!HAVE_SKIMAGE ? NO_SKIMAGE_REASON : NO_VECTORS_REASON}.\n`);
  process.exit(1);
}

/** Plain PDQ as HMA and StopNCII use it. */
const PLAIN_PDQ_RADIUS = 31;

/**
 * Photos that are different photographs of the same object (00631701 and 00631801 show the same
 * sideboard from almost the same spot): a match between them is not a false match of the hash. Counted
 * and shown apart.
 */
const SAME_SCENE = [['blockhash/00631701.jpg', 'blockhash/00631801.jpg']];

const photos: Photo[] = [...vectorPhotos(), ...skimagePhotos()].slice(0, limit);
const progress = (msg: string) => {
  if (process.stderr.isTTY) process.stderr.write(`\r${msg}\x1b[K`);
};

interface Query {
  photo: number;
  edit: string;
  family: string;
  fp: ImageFingerprint;
}

const started = Date.now();
const originals: ImageFingerprint[] = [];
const queries: Query[] = [];
let fingerprintMs = 0;
for (const [i, p] of photos.entries()) {
  const bytes = readFileSync(p.path);
  let t = performance.now();
  const orig = await fingerprintImage(bytes);
  fingerprintMs += performance.now() - t;
  originals.push(orig);
  queries.push({ photo: i, edit: 'orig', family: 'none', fp: orig });
  const src = await loadSource(bytes);
  for (const e of EDITS) {
    progress(`photo ${i + 1}/${photos.length}: ${e.name}`);
    const edited = await e.apply(src);
    t = performance.now();
    queries.push({ photo: i, edit: e.name, family: e.family, fp: await fingerprintImage(edited) });
    fingerprintMs += performance.now() - t;
  }
}
progress('');

const sameScene = (a: number, b: number) =>
  SAME_SCENE.some(([x, y]) => (photos[a].name === x && photos[b].name === y) || (photos[a].name === y && photos[b].name === x));
const unmatchable = photos.map((_, i) => originals[i].pdq.quality < MIN_QUALITY);

// Genuine pairs: each edit against its own original.
interface Row {
  edit: string;
  family: string;
  n: number;
  staydown: number;
  plainPdq: number;
  blockhash: number;
  methods: Record<string, number>;
}
const rows: Row[] = [];
const blockGenuine: Array<{ edit: string; d: number }> = [];
for (const e of EDITS) {
  const row: Row = { edit: e.name, family: e.family, n: 0, staydown: 0, plainPdq: 0, blockhash: 0, methods: {} };
  for (const q of queries.filter((x) => x.edit === e.name)) {
    if (unmatchable[q.photo]) continue;
    const ref = originals[q.photo];
    row.n++;
    const m = matchImages(q.fp, ref);
    if (m) {
      row.staydown++;
      row.methods[m.method] = (row.methods[m.method] ?? 0) + 1;
    }
    if (hammingHex(q.fp.pdq.hash, ref.pdq.hash) <= PLAIN_PDQ_RADIUS) row.plainPdq++;
    blockGenuine.push({ edit: e.name, d: hammingHex(q.fp.blockhash, ref.blockhash) });
  }
  rows.push(row);
}

// Impostor pairs: every query (originals included) against every other photo's original.
let pairs = 0;
let staydownFalse = 0;
let plainFalse = 0;
let sameScenePairs = 0;
let sameSceneMatched = 0;
let minBlockImpostor = 256;
const falseExamples: string[] = [];
for (const q of queries) {
  for (let j = 0; j < originals.length; j++) {
    if (j === q.photo) continue;
    const ref = originals[j];
    const m = matchImages(q.fp, ref);
    if (sameScene(q.photo, j)) {
      sameScenePairs++;
      if (m) sameSceneMatched++;
      continue;
    }
    pairs++;
    if (m) {
      staydownFalse++;
      if (falseExamples.length < 10) falseExamples.push(`${photos[q.photo].name} [${q.edit}] ~ ${photos[j].name}: ${m.method} ${m.distance} (${m.queryView}/${m.refView})`);
    }
    if (hammingHex(q.fp.pdq.hash, ref.pdq.hash) <= PLAIN_PDQ_RADIUS) plainFalse++;
    minBlockImpostor = Math.min(minBlockImpostor, hammingHex(q.fp.blockhash, ref.blockhash));
  }
}
// blockhash alone: the loosest threshold that still makes no false match on this set.
const blockThreshold = minBlockImpostor - 1;
for (const r of rows) r.blockhash = blockGenuine.filter((g) => g.edit === r.edit && g.d <= blockThreshold).length;

const pctOf = (a: number, n: number) => (n === 0 ? 0 : Math.round((1000 * a) / n) / 10);
const families = ['mild', 'hard'].map((f) => {
  const rs = rows.filter((r) => r.family === f);
  const n = rs.reduce((s, r) => s + r.n, 0);
  const sum = (k: 'staydown' | 'plainPdq' | 'blockhash') => rs.reduce((s, r) => s + r[k], 0);
  return { family: f, n, staydown: pctOf(sum('staydown'), n), plainPdq: pctOf(sum('plainPdq'), n), blockhash: pctOf(sum('blockhash'), n) };
});
const refHashes = originals.map((o) => referenceHashes(o).length);
const result = {
  photos: photos.length,
  photosLeftOutOfRecall: photos.filter((_, i) => unmatchable[i]).map((p, k) => `${p.name} (quality ${originals.filter((_, i) => unmatchable[i])[k].pdq.quality})`),
  edits: EDITS.length,
  plainPdqRadius: PLAIN_PDQ_RADIUS,
  blockhashThreshold: blockThreshold,
  recall: rows.map((r) => ({
    edit: r.edit,
    family: r.family,
    n: r.n,
    staydown: pctOf(r.staydown, r.n),
    plainPdq: pctOf(r.plainPdq, r.n),
    blockhash: pctOf(r.blockhash, r.n),
    methods: r.methods,
  })),
  families,
  falseMatches: { pairs, staydown: staydownFalse, plainPdq: plainFalse, examples: falseExamples },
  sameScene: { pairs: sameScenePairs, staydownMatched: sameSceneMatched },
  referenceHashesPerImage: { mean: Math.round((10 * refHashes.reduce((a, b) => a + b, 0)) / refHashes.length) / 10, max: Math.max(...refHashes) },
  meanFingerprintMs: Math.round((10 * fingerprintMs) / queries.length) / 10,
  seconds: Math.round((Date.now() - started) / 1000),
};

if (json) {
  process.stdout.write(JSON.stringify(result) + '\n');
} else {
  const pad = (s: string | number, n: number) => String(s).padEnd(n);
  const out: string[] = [];
  out.push(`${result.photos} photos x ${result.edits} edits; left out of recall (PDQ quality < ${MIN_QUALITY}): ${result.photosLeftOutOfRecall.join(', ') || 'none'}`);
  out.push(`recall %: staydown policy | plain PDQ <= ${PLAIN_PDQ_RADIUS} | blockhash <= ${blockThreshold} (loosest with no false match here)`);
  out.push(`${pad('edit', 26)}${pad('family', 7)}${pad('n', 4)}${pad('staydown', 10)}${pad('pdq31', 8)}${pad('blockhash', 10)}methods`);
  for (const r of result.recall) {
    const methods = Object.entries(r.methods).map(([k, v]) => `${k}:${v}`).join(' ');
    out.push(`${pad(r.edit, 26)}${pad(r.family, 7)}${pad(r.n, 4)}${pad(r.staydown, 10)}${pad(r.plainPdq, 8)}${pad(r.blockhash, 10)}${methods}`);
  }
  for (const f of families) out.push(`${pad(`ALL ${f.family}`, 33)}${pad(f.n, 4)}${pad(f.staydown, 10)}${pad(f.plainPdq, 8)}${pad(f.blockhash, 10)}`);
  out.push(`false matches among ${pairs} distinct pairs: staydown ${staydownFalse}, plain PDQ ${plainFalse}, blockhash 0 by choice of threshold`);
  for (const e of falseExamples) out.push(`  false: ${e}`);
  out.push(`same-scene pairs (different photos of one object): ${sameScenePairs}, matched by staydown: ${sameSceneMatched}`);
  out.push(`reference hashes per image: mean ${result.referenceHashesPerImage.mean}, max ${result.referenceHashesPerImage.max}; mean fingerprint time ${result.meanFingerprintMs} ms (shared CPU); ${result.seconds} s`);
  process.stdout.write(out.join('\n') + '\n');
}
