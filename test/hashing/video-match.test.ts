import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintFile } from '../../hashing/fingerprint.ts';
import type { Fingerprint, VideoFingerprint, VideoFrameHash } from '../../hashing/types.ts';
import { matchVideo, vpdqReferenceRule } from '../../hashing/video/match-video.ts';
import { fingerprintVideoFile } from '../../hashing/video/video-fingerprint.ts';
import { DISTINCT, editSet, makeEdit, makeVideo, sample, SAMPLE_PAIRS } from '../support/video-edits.ts';
import { vector } from '../support/vectors.ts';

// ---- pure: synthetic frame bags -------------------------------------------------------------------

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0) / 2 ** 32);
}
const rnd = rng(7);
const randomHash = () => Array.from({ length: 64 }, () => Math.floor(rnd() * 16).toString(16)).join('');
/** The hash with `bits` bits flipped (the first ones of each nibble, spread over the hash). */
function flip(hex: string, bits: number): string {
  const a = hex.split('').map((c) => parseInt(c, 16));
  for (let k = 0; k < bits; k++) a[(k * 7) % 64] ^= 1 << Math.floor(k / 64);
  return a.map((x) => x.toString(16)).join('');
}
function video(frames: VideoFrameHash[], duration: number, interval = 1): VideoFingerprint {
  return { kind: 'video', sha256: randomHash(), md5: randomHash().slice(0, 32), duration, width: 640, height: 360, format: 'mov', interval, frames };
}

describe('matchVideo (pure)', () => {
  // A 60-second reference hashed densely (10 frames a second).
  const refFrames = Array.from({ length: 600 }, (_, i) => ({ t: i / 10, pdq: randomHash(), quality: 100 }));
  const ref = video(refFrames, 60, 0);

  it('finds a 12-second clip cut at 23.4 s, with its time range on both sides and the shares', () => {
    const q = video(Array.from({ length: 12 }, (_, k) => ({ t: k, pdq: flip(refFrames[234 + k * 10].pdq, 10), quality: 90 })), 12);
    const m = matchVideo(q, ref);
    expect(m).not.toBeNull();
    expect(m!.method).toBe('vpdq');
    expect(m!.distance).toBe(10);
    expect(m!.queryShare).toBe(1);
    expect(m!.refShare).toBeCloseTo(12 / 60, 2);
    expect(m!.ranges).toEqual([{ query: [0, 11], reference: [23.4, 34.4], frames: 12 }]);
  });

  it('finds a clip inside a longer unrelated upload by its time-consistent range', () => {
    const frames = Array.from({ length: 100 }, (_, k) => ({ t: k, pdq: randomHash(), quality: 90 }));
    for (let k = 0; k < 8; k++) frames[40 + k].pdq = flip(refFrames[100 + k * 10].pdq, 6);
    const m = matchVideo(video(frames, 100), ref);
    expect(m!.queryShare).toBe(0.08);
    expect(m!.ranges[0]).toEqual({ query: [40, 47], reference: [10, 17], frames: 8 });
  });

  it('does not match scattered single frames that agree on no time offset', () => {
    const frames = Array.from({ length: 100 }, (_, k) => ({ t: k, pdq: randomHash(), quality: 90 }));
    for (const [k, r] of [[5, 500], [30, 20], [60, 310], [90, 130]]) frames[k].pdq = refFrames[r].pdq;
    expect(matchVideo(video(frames, 100), ref)).toBeNull();
  });

  it('ignores frames below quality 50 and frames further than 31 bits', () => {
    const low = video(refFrames.slice(0, 100).filter((_, i) => i % 10 === 0).map((f) => ({ ...f, quality: 40 })), 10);
    expect(matchVideo(low, ref)).toBeNull();
    const far = video(refFrames.slice(0, 100).filter((_, i) => i % 10 === 0).map((f) => ({ ...f, pdq: flip(f.pdq, 32) })), 10);
    expect(matchVideo(far, ref)).toBeNull();
    const near = video(refFrames.slice(0, 100).filter((_, i) => i % 10 === 0).map((f) => ({ ...f, pdq: flip(f.pdq, 31) })), 10);
    expect(matchVideo(near, ref)?.distance).toBe(31);
  });

  it('matches a mirrored copy through the query frames\' mirror view, and says so', () => {
    const q = video(Array.from({ length: 10 }, (_, k) => ({ t: k, pdq: randomHash(), quality: 90, views: [{ view: 'mirror', hash: refFrames[k * 10].pdq, quality: 90 }] })), 10);
    const m = matchVideo(q, ref);
    expect(m?.view).toBe('mirror');
    expect(matchVideo(q, ref, { useViews: false })).toBeNull();
  });

  it('never compares a half with a whole picture or with another half', () => {
    const q = video(Array.from({ length: 10 }, (_, k) => ({ t: k, pdq: randomHash(), quality: 90, views: [{ view: 'half:top', hash: refFrames[k * 10].pdq, quality: 90 }] })), 10);
    expect(matchVideo(q, ref)).toBeNull();
  });

  it('finds an image among a video\'s frames with its timestamp, and a video showing an image', () => {
    const img: Fingerprint = { kind: 'image', sha256: randomHash(), md5: '0'.repeat(32), width: 10, height: 10, format: 'jpeg', pdq: { hash: flip(refFrames[377].pdq, 4), quality: 100 }, blockhash: randomHash(), views: [] };
    const m = matchVideo(img, ref);
    expect(m).toMatchObject({ method: 'image-in-video', distance: 4, queryShare: 1 });
    expect(m!.ranges[0].reference).toEqual([37.7, 37.7]);
    const shows = matchVideo(ref, img);
    expect(shows).toMatchObject({ method: 'video-contains-image', distance: 4 });
    expect(shows!.ranges[0].query).toEqual([37.7, 37.7]);
    expect(matchVideo(img, img)).toBeNull(); // image against image is the image matcher's job
  });

  it('implements the reference rule: q% over unique hashes, match at >= 80%', () => {
    const q = video(refFrames.slice(0, 10).map((f, k) => ({ ...f, t: k, pdq: k < 8 ? flip(f.pdq, 20) : randomHash() })), 10);
    expect(vpdqReferenceRule(q, ref)).toEqual({ match: true, queryShare: 0.8, refShare: 0.013 });
    const q7 = video(q.frames.map((f, k) => (k === 7 ? { ...f, pdq: randomHash() } : f)), 10);
    expect(vpdqReferenceRule(q7, ref).match).toBe(false);
  });
});

// ---- real ffmpeg: the edit set of the sample videos ------------------------------------------------

describe(`video matching on real edits`, () => {
  const refs = new Map<string, VideoFingerprint>();
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'staydown-video-match-'));
    for (const name of DISTINCT) refs.set(name, await fingerprintVideoFile(sample(name), { interval: 0 }));
  }, 240_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const expectOnlyMatches = (q: Fingerprint, source: string) => {
    for (const [name, ref] of refs) {
      const m = matchVideo(q, ref);
      if (name === source) expect(m, `should match ${source}`).not.toBeNull();
      else expect(m, `must not match ${name}`).toBeNull();
    }
    return matchVideo(q, refs.get(source)!)!;
  };

  it.each(editSet().filter((e) => e.source === 'chair-orig-22-sd-bar').map((e) => [e.name, e] as const))('%s of the chair video matches it and nothing else', async (_n, edit) => {
    const q = await fingerprintVideoFile(makeEdit(edit));
    const m = expectOnlyMatches(q, edit.source);
    expect(m.queryShare).toBeGreaterThanOrEqual(0.8);
    if (edit.name.startsWith('clip')) {
      const start = Number(edit.inputArgs![1]);
      expect(m.ranges[0].reference[0]).toBeCloseTo(start, 0);
      expect(m.refShare).toBeLessThan(0.6);
    } else {
      expect(m.refShare).toBeGreaterThan(0.9);
    }
  }, 120_000);

  it.each(SAMPLE_PAIRS.slice(0, 4))('the authors\' edit %s matches %s and nothing else', async (query, source) => {
    const q = await fingerprintVideoFile(sample(query));
    expect(expectOnlyMatches(q, source).queryShare).toBeGreaterThanOrEqual(0.8);
  }, 120_000);

  it('never matches the distinct sample videos to each other', async () => {
    for (const name of DISTINCT) {
      const q = await fingerprintVideoFile(sample(name));
      for (const [other, ref] of refs) if (other !== name) expect(matchVideo(q, ref), `${name} vs ${other}`).toBeNull();
    }
  }, 120_000);

  it('finds a still frame grabbed from the video, posted as an image, with its timestamp', async () => {
    const still = join(dir, 'still.jpg');
    const r = spawnSync('ffmpeg', ['-v', 'error', '-ss', '13.3', '-i', sample('chair-orig-22-sd-bar'), '-frames:v', '1', '-q:v', '3', still]);
    expect(r.status).toBe(0);
    const img = await fingerprintFile(still);
    expect(img.kind).toBe('image');
    const m = matchVideo(img, refs.get('chair-orig-22-sd-bar')!);
    expect(m).toMatchObject({ method: 'image-in-video' });
    expect(m!.ranges[0].reference[0]).toBeCloseTo(13.3, 0);
    for (const other of ['pattern-hd-no-bar', 'doorknob-hd-no-bar']) expect(matchVideo(img, refs.get(other)!)).toBeNull();
  }, 60_000);

  it('finds a registered image shown in a slideshow video (pillarboxed, between other pictures)', async () => {
    const photo = vector('pdq', 'data', 'reg-test-input', 'dih', 'bridge-1-original.jpg');
    const other = vector('pdq', 'data', 'reg-test-input', 'labelme-subset', 'q0122.jpg');
    const slideshow = makeVideo(
      ['-loop', '1', '-t', '3'],
      other,
      ['-loop', '1', '-t', '4', '-i', photo, '-filter_complex', '[0:v]scale=1280:720,setsar=1[a];[1:v]scale=-2:720,pad=1280:720:(ow-iw)/2:0,setsar=1[b];[a][b]concat=n=2:v=1,format=yuv420p', '-r', '25', '-c:v', 'libx264', '-preset', 'ultrafast'],
    );
    const registered = await fingerprintFile(photo);
    const q = await fingerprintFile(slideshow);
    expect(q.kind).toBe('video');
    const m = matchVideo(q, registered);
    expect(m).toMatchObject({ method: 'video-contains-image' });
    expect(m!.ranges[0].query[0]).toBeGreaterThanOrEqual(2.5);
    expect(matchVideo(q, await fingerprintFile(vector('pdq', 'data', 'reg-test-input', 'labelme-subset', 'q0746.jpg')))).toBeNull();
  }, 60_000);
});
