/**
 * npm run bench:features -- --kenburns [--sample N] [--json]
 *
 * Registered photos inside slideshow videos, through the matcher: the photos (shared vectors +
 * python3-skimage, `--sample N` spread over them, default 24) are registered as pictures
 * (`fingerprintBuffer(.., { features: 'reference' })` into a ReferenceBank, as `staydown hash --json`
 * lines are); slideshows of six of them are made with the real ffmpeg (3-5 s a photo, a slow zoom of
 * 1.15-1.5x towards a corner or a point with a pan, filling the 16:9 frame or fitted with bars -
 * test/support/slideshow.ts). Each slideshow is fingerprinted as a query with keyframes
 * (`fingerprintFile(.., { features: 'query' })`, as `staydown match` and the crawl do) and matched by
 * the bank (ReferenceMatcher: vPDQ, then `video-features`). Recall: a shown photo matched, at a time
 * while it is on screen. False matches: any registered photo matched that the slideshow does not show.
 * CPU: this process's and its ffmpeg children's, for the plain vPDQ fingerprint and for the one with
 * keyframes, per second of video.
 */
import { readFileSync } from 'node:fs';
import { fingerprintBuffer, fingerprintFile } from '../hashing/fingerprint.ts';
import { ReferenceBank } from '../hashing/match/matcher.ts';
import { seeded } from '../test/support/partial-edits.ts';
import { sameScene, skimagePhotos, vectorPhotos } from '../test/support/robust-photos.ts';
import { kenBurnsSlideshow } from '../test/support/slideshow.ts';
import { log, report } from './support.ts';

const args = process.argv.slice(2);
const opt = (name: string) => (args.indexOf(name) >= 0 ? args[args.indexOf(name) + 1] : undefined);
const n = Number(opt('--sample') ?? 24);
const all = [...vectorPhotos(), ...skimagePhotos()];
const photos = n > 0 && n < all.length ? Array.from({ length: n }, (_, k) => all[Math.floor((k * all.length) / n)]) : all;
const PER_SHOW = 6;
const started = Date.now();

/** CPU-ms of this process and of its children that have ended (ffmpeg), from /proc (Linux). */
function cpuMs(): { self: number; children: number } {
  const u = process.cpuUsage();
  let children = 0;
  try {
    // Fields 16 and 17 of /proc/self/stat (after the command name in parentheses): cutime, cstime in ticks.
    const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    children = ((Number(f[13]) + Number(f[14])) * 1000) / 100;
  } catch {
    // not Linux: children unknown
  }
  return { self: (u.user + u.system) / 1000, children };
}
const since = (a: { self: number; children: number }) => { const b = cpuMs(); return { self: b.self - a.self, children: b.children - a.children }; };

const bytes = photos.map((p) => readFileSync(p.path));
const bank = new ReferenceBank();
for (const [i, b] of bytes.entries()) bank.add({ ref: String(i), fp: await fingerprintBuffer(b, { features: 'reference' }) });

let shown = 0, found = 0, falseMatches = 0, keyframeCount = 0, videoSeconds = 0;
const cpu = { plainSelf: 0, plainChildren: 0, featSelf: 0, featChildren: 0, match: 0 };
const methods: Record<string, number> = {};
const misses: string[] = [];
const falseExamples: string[] = [];
for (let s = 0; s * PER_SHOW < photos.length; s++) {
  const members = Array.from({ length: PER_SHOW }, (_, k) => (s * PER_SHOW + k) % photos.length).filter((v, k, a) => a.indexOf(v) === k);
  const plan = kenBurnsSlideshow(members.map((i) => bytes[i]), { seconds: [3, 4, 5], rng: seeded(1000 + s) });
  let c = cpuMs();
  await fingerprintFile(plan.path);
  const plain = since(c);
  c = cpuMs();
  const fp = await fingerprintFile(plan.path, { features: 'query' });
  const feat = since(c);
  c = cpuMs();
  const matches = bank.match(fp);
  const m = since(c);
  cpu.plainSelf += plain.self; cpu.plainChildren += plain.children;
  cpu.featSelf += feat.self; cpu.featChildren += feat.children;
  cpu.match += m.self;
  const keyframes = fp.kind === 'video' ? (fp.keyframes?.length ?? 0) : 0;
  keyframeCount += keyframes;
  videoSeconds += plan.slots[plan.slots.length - 1].end;
  const byRef = new Map(matches.map((x) => [Number(x.ref), x]));
  for (const [k, i] of members.entries()) {
    shown++;
    const slot = plan.slots[k];
    const hit = byRef.get(i);
    const t = typeof hit?.queryTime === 'number' ? hit.queryTime : null;
    if (hit && (t === null || (t >= slot.start - 0.6 && t <= slot.end + 0.6))) {
      found++;
      methods[hit.method] = (methods[hit.method] ?? 0) + 1;
    } else misses.push(`${photos[i].name} (zoom ${slot.zoomTo.toFixed(2)}, ${slot.fit})${hit ? ` at ${t} s, outside ${slot.start}-${slot.end} s` : ''}`);
  }
  for (const i of byRef.keys()) {
    if (members.some((mm) => sameScene(photos[mm].name, photos[i].name))) continue;
    falseMatches++;
    if (falseExamples.length < 10) falseExamples.push(`${photos[i].name} in slideshow ${s} (${byRef.get(i)!.method})`);
  }
  log(`slideshow ${s}: ${keyframes} keyframes, ${members.length} photos, ${matches.length} matches`);
}

const perSecond = (ms: number) => Math.round(ms / videoSeconds);
const result = {
  photos: photos.length,
  shown,
  found,
  recall: Math.round((1000 * found) / shown) / 10,
  falseMatches,
  falseExamples,
  misses,
  methods,
  keyframesPerVideoSecond: Math.round((100 * keyframeCount) / videoSeconds) / 100,
  videoSeconds: Math.round(videoSeconds),
  // Per second of video: the plain vPDQ fingerprint, the one with keyframes, and the matching.
  vpdqCpuMsPerVideoSecond: { self: perSecond(cpu.plainSelf), ffmpeg: perSecond(cpu.plainChildren) },
  withKeyframesCpuMsPerVideoSecond: { self: perSecond(cpu.featSelf), ffmpeg: perSecond(cpu.featChildren) },
  matchCpuMsPerVideoSecond: perSecond(cpu.match),
  addedCpuMsPerVideoSecond: perSecond(cpu.featSelf + cpu.featChildren + cpu.match - cpu.plainSelf - cpu.plainChildren),
  seconds: Math.round((Date.now() - started) / 1000),
};
report(result, () => [
  `Ken Burns slideshows: ${result.found}/${result.shown} shown photos found (${result.recall}%), ${result.falseMatches} false matches (registered photos not shown) among ${result.photos} registered`,
  ...result.misses.map((m) => `  missed ${m}`),
  ...result.falseExamples.map((m) => `  false: ${m}`),
  `methods: ${Object.entries(result.methods).map(([k, v]) => `${k} ${v}`).join(', ')}`,
  `keyframes ${result.keyframesPerVideoSecond} per video second over ${result.videoSeconds} s of video; CPU-ms per video second: vPDQ fingerprint ${result.vpdqCpuMsPerVideoSecond.self} + ffmpeg ${result.vpdqCpuMsPerVideoSecond.ffmpeg}; with keyframes ${result.withKeyframesCpuMsPerVideoSecond.self} + ffmpeg ${result.withKeyframesCpuMsPerVideoSecond.ffmpeg}; matching ${result.matchCpuMsPerVideoSecond}; added by keyframes ${result.addedCpuMsPerVideoSecond}; ${result.seconds} s`,
].join('\n') + '\n');
