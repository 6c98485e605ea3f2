/**
 * npm run bench:features -- --unseen [--sample N] [--json]
 *
 * Generalisation: re-uploads of kinds no test, threshold or benchmark figure was chosen on - variants
 * of the issue's kinds past their ranges (a 30% corner crop, a 40% centre crop, mirror + rotation +
 * crop, a 4:5 frame over a blurred copy, a picture stacked on another, meme bands, a keystone-like
 * warp, noise or darkening on top of a crop, a 320 px re-encode at q35, a quarter turn), and a picture
 * inset in a corner of another photo. Keep it unseen: read its figures, do not tune on them.
 *
 * The photos (shared vectors + python3-skimage, `--sample N` spread over them, default 24) are
 * registered as pictures in one ReferenceMatcher (`staydown hash --json`'s fingerprint); each edited
 * copy is fingerprinted as a query and matched (`staydown match`'s path). Recall: the edited photo
 * matched. False matches: a registered photo matched that the query does not show (the other photos
 * a composition uses are in the bank too, and finding them is right).
 */
import { readFileSync } from 'node:fs';
import { fingerprintImage } from '../hashing/fingerprint.ts';
import { ReferenceMatcher } from '../hashing/match/matcher.ts';
import { loadSource, type Source } from '../test/support/image-edits.ts';
import { seeded } from '../test/support/partial-edits.ts';
import { sameScene, skimagePhotos, vectorPhotos } from '../test/support/robust-photos.ts';
import { UNSEEN_EDITS } from './unseen-edits.ts';
import { log, report } from './support.ts';

const args = process.argv.slice(2);
const opt = (name: string) => (args.indexOf(name) >= 0 ? args[args.indexOf(name) + 1] : undefined);
const all = [...vectorPhotos(), ...skimagePhotos()];
const n = Math.min(Number(opt('--sample') ?? 24), all.length);
const photos = Array.from({ length: n }, (_, k) => all[Math.floor((k * all.length) / n)]);
const started = Date.now();

const matcher = new ReferenceMatcher();
const sources: Source[] = [];
for (const p of photos) {
  const bytes = readFileSync(p.path);
  matcher.add(p.name, await fingerprintImage(bytes, { features: 'reference' }));
  sources.push(await loadSource(bytes));
}

const perEdit: Array<{ edit: string; queries: number; found: number; recall: number; missed: string[] }> = [];
const falseExamples: string[] = [];
let falseMatches = 0;
for (const edit of UNSEEN_EDITS) {
  let found = 0;
  const missed: string[] = [];
  for (let i = 0; i < photos.length; i++) {
    const others = photos.map((_, j) => j).filter((j) => j !== i);
    const used = new Set<number>();
    // The composition's other photos, drawn by the edit through `pick` so the bench knows which they are.
    const pick = (r: () => number) => {
      const j = others[Math.floor(r() * others.length)];
      used.add(j);
      return sources[j];
    };
    const query = await edit.apply(sources[i], pick, seeded(7919 * (i + 1) + edit.name.length));
    const matches = matcher.match(await fingerprintImage(query, { features: 'query', views: 'query' }));
    if (matches.some((m) => m.ref === photos[i].name)) found++;
    else missed.push(photos[i].name);
    for (const m of matches) {
      const j = photos.findIndex((p) => p.name === m.ref);
      if (j === i || used.has(j) || sameScene(photos[i].name, String(m.ref))) continue;
      falseMatches++;
      if (falseExamples.length < 10) falseExamples.push(`${edit.name}: ${photos[i].name} ~ ${m.ref} (${m.decision.method})`);
    }
  }
  perEdit.push({ edit: edit.name, queries: photos.length, found, recall: Math.round((1000 * found) / photos.length) / 10, missed });
  log(`${edit.name}: ${found}/${photos.length}`);
}
const queries = perEdit.reduce((s, e) => s + e.queries, 0);
const found = perEdit.reduce((s, e) => s + e.found, 0);
const result = {
  benchmark: 'features-unseen',
  photos: photos.length,
  queries,
  recall: Math.round((1000 * found) / queries) / 10,
  falseMatches,
  falseExamples,
  perEdit,
  seconds: Math.round((Date.now() - started) / 1000),
};
report(result, () => {
  const lines = [`Unseen edits (not tuned on): ${found}/${queries} found (${result.recall}%), ${falseMatches} false matches, ${photos.length} registered photos`];
  for (const e of perEdit) lines.push(`  ${e.edit.padEnd(24)} ${String(e.recall).padStart(5)}%  ${e.found}/${e.queries}${e.missed.length ? `   missed ${e.missed.join(' ')}` : ''}`);
  for (const x of falseExamples) lines.push(`  false: ${x}`);
  lines.push(`${result.seconds} s`);
  return lines.join('\n') + '\n';
});
