/**
 * npm run bench:features -- --kenburns [--sample N] [--json]
 *
 * Registered photos inside slideshow videos: the photos (shared vectors + python3-skimage, `--sample N`
 * spread over them, default 24) are registered as pictures; slideshows of six of them are made with
 * the real ffmpeg (3-5 s a photo, a slow zoom of 1.15-1.5x towards a corner or a point with a pan,
 * filling the 16:9 frame or fitted with bars - test/support/slideshow.ts). Each slideshow's keyframes
 * (hashing/video/keyframes.ts) are looked up in a FeatureIndex of every registered photo and the
 * candidates verified, as the matcher would. Recall: a shown photo verified in a keyframe while it is
 * on screen. False matches: any registered photo verified that the slideshow does not show.
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_FEATURE_INDEX_OPTIONS, decideFeatureMatch, FeatureIndex, REFERENCE_OPTIONS, type LocalFeatures } from '../hashing/features/index.ts';
import { referenceFeatures } from '../hashing/features/reference.ts';
import { decodeGrey } from '../hashing/image-decoder.ts';
import { videoFileKeyframes } from '../hashing/video/feature-frames.ts';
import { seeded } from '../test/support/partial-edits.ts';
import { skimagePhotos, vectorPhotos } from '../test/support/robust-photos.ts';
import { kenBurnsSlideshow } from '../test/support/slideshow.ts';
import { log, report } from './support.ts';

const args = process.argv.slice(2);
const opt = (name: string) => (args.indexOf(name) >= 0 ? args[args.indexOf(name) + 1] : undefined);
const n = Number(opt('--sample') ?? 24);
const all = [...vectorPhotos(), ...skimagePhotos()];
const photos = n > 0 && n < all.length ? Array.from({ length: n }, (_, k) => all[Math.floor((k * all.length) / n)]) : all;
const SAME_SCENE = [['blockhash/00631701.jpg', 'blockhash/00631801.jpg']];
const sameScene = (a: string, b: string) => a === b || SAME_SCENE.some(([x, y]) => (a === x && b === y) || (a === y && b === x));
const PER_SHOW = 6;
const started = Date.now();

const bytes = photos.map((p) => readFileSync(p.path));
const refs: LocalFeatures[] = [];
const index = new FeatureIndex();
for (const [i, b] of bytes.entries()) {
  refs.push(referenceFeatures(await decodeGrey(b, REFERENCE_OPTIONS.maxSide)));
  index.add(String(i), refs[i]);
}

let shown = 0, found = 0, falseMatches = 0, keyframeCount = 0, videoSeconds = 0, cpuMs = 0;
const misses: string[] = [];
const falseExamples: string[] = [];
for (let s = 0; s * PER_SHOW < photos.length; s++) {
  const members = Array.from({ length: PER_SHOW }, (_, k) => (s * PER_SHOW + k) % photos.length).filter((v, k, a) => a.indexOf(v) === k);
  const plan = kenBurnsSlideshow(members.map((i) => bytes[i]), { seconds: [3, 4, 5], rng: seeded(1000 + s) });
  const c = process.cpuUsage();
  const keyframes = await videoFileKeyframes(plan.path);
  const seen = new Map<number, number[]>();
  for (const kf of keyframes) {
    for (const cand of index.query(kf.features)) {
      const d = decideFeatureMatch(kf.features, refs[Number(cand.refId)], { ...cand, minVotes: DEFAULT_FEATURE_INDEX_OPTIONS.minVotes });
      if (d) seen.set(Number(cand.refId), [...(seen.get(Number(cand.refId)) ?? []), kf.timeSec]);
    }
  }
  const u = process.cpuUsage(c);
  cpuMs += (u.user + u.system) / 1000;
  keyframeCount += keyframes.length;
  videoSeconds += plan.slots[plan.slots.length - 1].end;
  for (const [k, i] of members.entries()) {
    shown++;
    const slot = plan.slots[k];
    const times = seen.get(i) ?? [];
    if (times.some((t) => t >= slot.start - 0.6 && t <= slot.end + 0.6)) found++;
    else misses.push(`${photos[i].name} (zoom ${slot.zoomTo.toFixed(2)}, ${slot.fit})`);
  }
  for (const i of seen.keys()) {
    if (members.some((m) => sameScene(photos[m].name, photos[i].name))) continue;
    falseMatches++;
    if (falseExamples.length < 10) falseExamples.push(`${photos[i].name} in slideshow ${s}`);
  }
  log(`slideshow ${s}: ${keyframes.length} keyframes, ${members.length} photos`);
}

const result = {
  photos: photos.length,
  shown,
  found,
  recall: Math.round((1000 * found) / shown) / 10,
  falseMatches,
  falseExamples,
  misses,
  keyframesPerVideoSecond: Math.round((100 * keyframeCount) / videoSeconds) / 100,
  cpuMsPerVideoSecond: Math.round(cpuMs / videoSeconds),
  cpuMsPerKeyframe: Math.round(cpuMs / keyframeCount),
  seconds: Math.round((Date.now() - started) / 1000),
};
report(result, () => [
  `Ken Burns slideshows: ${result.found}/${result.shown} shown photos found (${result.recall}%), ${result.falseMatches} false matches (registered photos not shown) among ${result.photos} registered`,
  ...result.misses.map((m) => `  missed ${m}`),
  ...result.falseExamples.map((m) => `  false: ${m}`),
  `keyframes ${result.keyframesPerVideoSecond} per video second; decode + keyframes + lookup + verification ${result.cpuMsPerVideoSecond} CPU-ms per video second (${result.cpuMsPerKeyframe} per keyframe); ${result.seconds} s`,
].join('\n') + '\n');
