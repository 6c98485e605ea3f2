/**
 * The matcher's keyframe path (hashing/match/video-features.ts), end to end with the real ffmpeg:
 * registered photos shown in a slideshow with zoom and pan are found through ReferenceMatcher with
 * `video-features` (time, region, inliers); a registered video's cropped, zoomed and mirrored re-upload
 * is found through its keyframes, in the matcher and through `staydown hash --json` / `staydown match`;
 * a video of other pictures matches nothing. Photos from python3-skimage.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseBank } from '../../../hashing/bank-file.ts';
import { fingerprintBuffer, fingerprintFile } from '../../../hashing/fingerprint.ts';
import { ReferenceBank } from '../../../hashing/match/matcher.ts';
import { MATCH_METHODS } from '../../../hashing/match/methods.ts';
import type { VideoFingerprint } from '../../../hashing/types.ts';
import { seeded } from '../../support/partial-edits.ts';
import { skimagePhoto } from '../../support/robust-photos.ts';
import { kenBurnsSlideshow, type SlideshowPlan } from '../../support/slideshow.ts';
import { useTempDir } from '../../support/tmp.ts';
import { makeVideo } from '../../support/video-edits.ts';

const SLOW = 300_000;
const tmp = useTempDir('video-features');
const X264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '23', '-pix_fmt', 'yuv420p', '-an'];

async function photo(k: number): Promise<Buffer> {
  const names = ['astronaut.png', 'coffee.png', 'chelsea.png', 'camera.png', 'motorcycle_left.png', 'rocket.jpg'];
  return readFileSync(skimagePhoto(names[k]));
}

let photos: Buffer[];
let shown: SlideshowPlan;
let other: SlideshowPlan;
beforeAll(async () => {
  photos = await Promise.all([0, 1, 2, 3, 4, 5].map(photo));
  shown = kenBurnsSlideshow([photos[0], photos[1], photos[2]], { seconds: [3, 4, 5], rng: seeded(21) });
  other = kenBurnsSlideshow([photos[4], photos[5]], { seconds: [4, 4], rng: seeded(22) });
}, SLOW);

describe('registered photos inside a slideshow video, through the matcher', () => {
  it('finds each shown photo with video-features at the time it is on screen, and not the photo never shown', { timeout: SLOW }, async () => {
    const bank = new ReferenceBank();
    for (const k of [0, 1, 2, 3]) bank.add({ ref: `photo-${k}`, fp: await fingerprintBuffer(photos[k], { features: 'reference' }) });
    const query = (await fingerprintFile(shown.path, { features: 'query' })) as VideoFingerprint;
    expect(query.kind).toBe('video');
    expect(query.keyframes!.length).toBeGreaterThanOrEqual(6);
    const matches = bank.match(query);
    expect(matches.map((m) => m.ref).sort()).toEqual(['photo-0', 'photo-1', 'photo-2']);
    // vPDQ may find a photo shown whole for a moment (video-contains-image, decided first); the zoomed
    // ones are found only by keyframes, with the time and region where.
    const byKeyframes = matches.filter((m) => m.method === MATCH_METHODS.videoFeatures);
    expect(byKeyframes.length).toBeGreaterThanOrEqual(2);
    for (const m of matches) expect([MATCH_METHODS.videoFeatures, MATCH_METHODS.videoContainsImage]).toContain(m.method);
    for (const m of byKeyframes) {
      const slot = shown.slots[Number(m.ref.slice(-1))];
      expect(m.inliers as number).toBeGreaterThanOrEqual(12);
      expect(m.queryTime as number).toBeGreaterThanOrEqual(slot.start - 0.6);
      expect(m.queryTime as number).toBeLessThanOrEqual(slot.end + 0.6);
      const r = m.region as { x: number; y: number; width: number; height: number };
      expect(r.width * r.height).toBeGreaterThan(0.3);
      expect(m.keyframes as number).toBeGreaterThanOrEqual(1);
    }
    // Without keyframes (an old bank line, a query hashed without features) vPDQ alone finds fewer.
    const { keyframes: _k, ...plain } = query;
    expect(bank.match(plain).length).toBeLessThanOrEqual(matches.length - byKeyframes.length);
    // A slideshow of other photos matches none of them.
    expect(bank.match(await fingerprintFile(other.path, { features: 'query' }))).toEqual([]);
  });
});

describe('a cropped, zoomed and mirrored re-upload of a registered video', () => {
  let reupload: string;
  let ref: VideoFingerprint;
  beforeAll(async () => {
    reupload = makeVideo([], shown.path, ['-vf', 'hflip,crop=iw*0.6:ih*0.6:iw*0.3:ih*0.1,scale=-2:360', ...X264]);
    ref = (await fingerprintFile(shown.path, { features: 'reference', video: { interval: 0 } })) as VideoFingerprint;
  }, SLOW);

  it('is found through the registered video\'s keyframes, where vPDQ finds nothing; a video of other pictures is not', { timeout: SLOW }, async () => {
    expect(ref.keyframes!.length).toBeGreaterThanOrEqual(4);
    const bank = new ReferenceBank([{ ref: 'video', fp: ref }]);
    const query = (await fingerprintFile(reupload, { features: 'query' })) as VideoFingerprint;
    const [m, ...rest] = bank.match(query);
    expect(rest).toEqual([]);
    expect(m).toMatchObject({ ref: 'video', method: MATCH_METHODS.videoFeatures });
    expect(m.inliers as number).toBeGreaterThanOrEqual(12);
    expect(m.mirrored).toBe(true);
    expect(m.queryShare as number).toBeGreaterThanOrEqual(0.2);
    expect(typeof m.frameTime).toBe('number');
    // The strongest pair shows the same photo on both sides: both times fall in one photo's slot.
    const [q, f] = [m.queryTime as number, m.frameTime as number];
    expect(shown.slots.some((s) => q >= s.start - 0.6 && q <= s.end + 0.6 && f >= s.start - 0.6 && f <= s.end + 0.6), `${q} s <-> ${f} s`).toBe(true);
    const { keyframes: _k, ...plain } = query;
    expect(bank.match(plain)).toEqual([]);
    expect(bank.match(await fingerprintFile(other.path, { features: 'query' }))).toEqual([]);
  });

  it('a cropped, zoomed screenshot of the registered video (a still image) is found through its keyframes, and a screenshot of another video is not', { timeout: SLOW }, async () => {
    const grab = (video: string, at: number, name: string) => {
      const out = join(tmp(), name);
      const r = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-ss', String(at), '-i', video, '-frames:v', '1', '-vf', 'crop=iw*0.55:ih*0.7:iw*0.4:ih*0.2,scale=720:-2', out], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return out;
    };
    const slot = shown.slots[1];
    const still = await fingerprintFile(grab(shown.path, (slot.start + slot.end) / 2, 'still.png'), { features: 'query' });
    expect(still.kind).toBe('image');
    const bank = new ReferenceBank([{ ref: 'video', fp: ref }]);
    const [m, ...rest] = bank.match(still);
    expect(rest).toEqual([]);
    expect(m).toMatchObject({ ref: 'video', method: MATCH_METHODS.videoFeatures });
    expect(m.inliers as number).toBeGreaterThanOrEqual(12);
    expect(m.frameTime as number).toBeGreaterThanOrEqual(slot.start - 0.6);
    expect(m.frameTime as number).toBeLessThanOrEqual(slot.end + 0.6);
    expect(m.queryTime).toBeUndefined();
    const r = m.region as { x: number; y: number; width: number; height: number };
    expect(r.width * r.height).toBeGreaterThan(0.5);
    // The frame hashes alone (the registered video without keyframes) do not find the crop.
    const { keyframes: _k, ...plain } = ref;
    expect(new ReferenceBank([{ ref: 'video', fp: plain }]).match(still)).toEqual([]);
    // A screenshot of a video of other photos matches nothing.
    expect(bank.match(await fingerprintFile(grab(other.path, 2, 'other.png'), { features: 'query' }))).toEqual([]);
  });

  it('is found by staydown match in a bank of staydown hash --json lines, and a video of other pictures is not', { timeout: SLOW }, () => {
    const staydown = (args: string[]) => spawnSync(process.execPath, ['bin/staydown.js', ...args], { encoding: 'utf8', timeout: 280_000, maxBuffer: 64 << 20 });
    const hashed = staydown(['hash', '--json', '--every-frame', shown.path]);
    expect(hashed.status, hashed.stderr).toBe(0);
    const line = JSON.parse(hashed.stdout.trim());
    expect(line.keyframes.length).toBeGreaterThanOrEqual(4);
    expect(line.keyframes[0]).toMatchObject({ t: 0, features: expect.stringMatching(/^[A-Za-z0-9+/]+=*$/) });
    expect(parseBank(hashed.stdout).entries).toHaveLength(1);
    const bank = join(tmp(), 'bank.jsonl');
    writeFileSync(bank, hashed.stdout);
    const r = staydown(['match', '--bank', bank, '--json', reupload, other.path]);
    expect(r.status, r.stderr).toBe(0);
    const [found, none] = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(found.matches).toHaveLength(1);
    expect(found.matches[0]).toMatchObject({ ref: shown.path, method: MATCH_METHODS.videoFeatures, mirrored: true });
    expect(found.matches[0].region).toMatchObject({ x: expect.any(Number), width: expect.any(Number) });
    expect(none.matches).toEqual([]);
    // A damaged keyframe makes the bank line refused, naming the line.
    const broken = JSON.stringify({ ...line, keyframes: [{ t: 0, features: 'AAAA' }] });
    writeFileSync(bank, broken + '\n');
    const refused = staydown(['match', '--bank', bank, '--json', other.path]);
    expect(refused.status).toBe(64);
    expect(refused.stderr).toMatch(/Line 1 .*keyframe/);
  });
});
