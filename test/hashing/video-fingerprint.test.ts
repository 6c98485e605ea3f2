import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintBuffer, fingerprintFile } from '../../hashing/fingerprint.ts';
import { decodeRawFrames, locateTools, probe } from '../../hashing/video/ffmpeg.ts';
import { fileInput, frameDecodeCommand } from '../../hashing/video/ffmpeg-args.ts';
import { VideoError } from '../../hashing/video/probe.ts';
import type { VideoFingerprint } from '../../hashing/types.ts';
import { fingerprintVideoBuffer, fingerprintVideoFile } from '../../hashing/video/video-fingerprint.ts';
import { makeVideo, sample } from '../support/video-edits.ts';

/** True while a process with this id exists (signal 0 only checks). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('video fingerprints (real ffmpeg)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'staydown-video-test-'));
    locateTools(); // fails the suite with the install hint when ffmpeg is missing
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('samples one frame a second with timestamps, 128x128 PDQ and views, exact hashes of the file', async () => {
    const file = sample('pattern-hd-no-bar');
    const fp = await fingerprintVideoFile(file);
    expect(fp.kind).toBe('video');
    expect([fp.width, fp.height]).toEqual([720, 1280]);
    expect(fp.duration).toBeCloseTo(6.87, 1);
    expect(fp.interval).toBe(1);
    expect(fp.frames.map((f) => Math.round(f.t))).toEqual([0, 1, 2, 3, 4, 5, 6]);
    for (const f of fp.frames) {
      expect(f.pdq).toMatch(/^[0-9a-f]{64}$/);
      expect(f.views?.map((v) => v.view)).toContain('mirror');
    }
    const sha = spawnSync('sha256sum', [file], { encoding: 'utf8' }).stdout.split(' ')[0];
    expect(fp.sha256).toBe(sha);
  });

  it('recognises Ogg Theora and old QuickTime files that start without an ftyp atom as videos', async () => {
    const make = (name: string, args: string[]) => {
      const out = join(dir, name);
      const r = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10', '-t', '3', ...args, out]);
      expect(r.status, String(r.stderr)).toBe(0);
      return readFileSync(out);
    };
    const ogg = await fingerprintBuffer(make('t.ogv', ['-c:v', 'libtheora', '-q:v', '6']));
    expect(ogg.kind).toBe('video');
    expect(ogg.kind === 'video' && ogg.frames.length).toBe(3);
    const mov = make('t.mov', ['-c:v', 'mpeg4', '-q:v', '3', '-f', 'mov']);
    expect(mov.subarray(4, 8).toString('latin1')).toBe('ftyp');
    // The same file with its ftyp atom turned into padding (offsets kept), as QuickTime files without one start.
    const bare = Buffer.from(mov);
    bare.write('free', 4, 'latin1');
    const [a, b] = [await fingerprintBuffer(mov), await fingerprintBuffer(bare)];
    expect(b.kind).toBe('video');
    expect(a.kind === 'video' && b.kind === 'video' && b.frames.map((f) => f.pdq)).toEqual(a.kind === 'video' && a.frames.map((f) => f.pdq));
  });

  it('hashes every frame of registered material in dense mode, dropping repeats', async () => {
    const fp = await fingerprintVideoFile(sample('doorknob-hd-no-bar'), { interval: 0 });
    expect(fp.interval).toBe(0);
    expect(fp.frames.length).toBeGreaterThan(60);
    expect(fp.frames.length).toBeLessThanOrEqual(130);
    const steps = fp.frames.slice(1).map((f, i) => f.t - fp.frames[i].t);
    expect(Math.min(...steps)).toBeGreaterThan(0.03);
  });

  it('hashes bytes in memory through a private temporary file it removes', async () => {
    const bytes = readFileSync(sample('doorknob-hd-no-bar'));
    const fp = await fingerprintVideoBuffer(bytes);
    expect(fp.frames.length).toBeGreaterThanOrEqual(4);
    expect(fp.sha256).toBe(spawnSync('sha256sum', [sample('doorknob-hd-no-bar')], { encoding: 'utf8' }).stdout.split(' ')[0]);
  });

  const formats: Array<[string, string, string[]]> = [
    ['MP4/HEVC', 'mp4', ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error', '-tag:v', 'hvc1']],
    ['WebM/VP9', 'webm', ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '300k']],
    ['WebM/AV1', 'webm', ['-c:v', 'libsvtav1', '-preset', '12']],
    ['MKV/H.264', 'mkv', ['-c:v', 'libx264', '-preset', 'ultrafast']],
    ['MOV/H.264', 'mov', ['-c:v', 'libx264', '-preset', 'ultrafast']],
    ['AVI/MPEG-4', 'avi', ['-c:v', 'mpeg4', '-q:v', '4']],
  ];
  it.each(formats)('fingerprints %s through fingerprintFile', async (_name, ext, codec) => {
    const file = makeVideo(['-f', 'lavfi'], 'testsrc2=size=320x240:rate=25:duration=3', [...codec, '-pix_fmt', 'yuv420p'], ext);
    const fp = await fingerprintFile(file);
    expect(fp.kind).toBe('video');
    if (fp.kind !== 'video') return;
    expect([fp.width, fp.height]).toEqual([320, 240]);
    expect(fp.frames.map((f) => Math.round(f.t))).toEqual([0, 1, 2]);
    expect(fp.frames.every((f) => f.quality > 0)).toBe(true);
  });

  it('gives the same fingerprint with the inline probe (one ffmpeg run, no ffprobe) as with ffprobe', async () => {
    const withAudio = makeVideo(['-f', 'lavfi'], 'testsrc2=size=320x240:rate=25:duration=3', ['-f', 'lavfi', '-i', 'sine=duration=3', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-shortest']);
    const webm = makeVideo(['-f', 'lavfi'], 'testsrc2=size=320x240:rate=25:duration=2', ['-c:v', 'libvpx'], 'webm');
    for (const file of [sample('doorknob-hd-no-bar'), sample('chair-orig-22-sd-bar'), withAudio, webm]) {
      const pids: number[] = [];
      const { duration: inlineDuration, ...inline } = await fingerprintVideoFile(file, { probe: 'inline', watch: { onSpawn: (pid) => pids.push(pid) } }) as VideoFingerprint;
      const { duration, ...probed } = await fingerprintVideoFile(file) as VideoFingerprint;
      expect(inline).toEqual(probed);
      // ffmpeg's log gives the container's duration, which includes a longer audio track: at most 0.5 s more here.
      expect(inlineDuration - duration).toBeGreaterThanOrEqual(0);
      expect(inlineDuration - duration).toBeLessThan(0.5);
      expect(pids).toHaveLength(1);
    }
  });

  describe('bad input: a clear error per file, no child left running', () => {
    const cases: Array<[string, () => string, RegExp]> = [
      ['a zero-length file', () => write('empty.mp4', ''), /empty \(0 bytes\)/],
      ['a text file', () => write('notes.mp4', 'this is not a video\n'.repeat(50)), /not a video ffmpeg can read/],
      ['an MP4 cut in half (index first)', () => write('half.mp4', readFileSync(sample('chair-orig-22-sd-bar')).subarray(0, 1_300_000)), /truncated or damaged/],
      ['an MP4 cut short (index last)', () => {
        const whole = makeVideo(['-f', 'lavfi'], 'testsrc2=size=320x240:rate=25:duration=4', ['-c:v', 'libx264', '-preset', 'ultrafast']);
        return write('nomoov.mp4', readFileSync(whole).subarray(0, 20_000));
      }, /truncated or damaged/],
      ['an audio-only file', () => makeVideo(['-f', 'lavfi'], 'sine=frequency=440:duration=2', ['-c:a', 'aac'], 'm4a'), /no video stream \(it is audio only\)/],
      ['a video stream with no frames', () => makeVideo(['-f', 'lavfi'], 'anullsrc=d=1', ['-f', 'lavfi', '-i', 'testsrc2=size=64x64:rate=1:duration=1', '-map', '0:a', '-map', '1:v', '-frames:v', '0', '-c:v', 'libx264', '-c:a', 'aac', '-shortest']), /no frames|no video stream|not a video/],
    ];
    function write(name: string, data: string | Uint8Array): string {
      const p = join(dir, name);
      writeFileSync(p, data);
      return p;
    }

    // Both ways of describing the input: ffprobe first, or ffmpeg's own log in the one decode run.
    describe.each(['ffprobe', 'inline'] as const)('probe: %s', (probeMode) => {
      it.each(cases)('%s', async (_name, make, message) => {
        const file = make();
        const pids: number[] = [];
        const err = await fingerprintVideoFile(file, { probe: probeMode, watch: { onSpawn: (pid) => pids.push(pid) } }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(VideoError);
        expect((err as Error).message).toMatch(message);
        expect((err as Error).message).not.toContain(dir); // never the path: it can name a victim
        if (probeMode === 'inline') expect(pids.length).toBeLessThanOrEqual(2); // ffprobe only to confirm a truncation
        for (const pid of pids) expect(running(pid)).toBe(false);
      });

      it('refuses a video over the duration cap', async () => {
        const err = await fingerprintVideoFile(sample('chair-orig-22-sd-bar'), { probe: probeMode, limits: { maxDurationSeconds: 10 } }).catch((e: unknown) => e);
        expect((err as VideoError).code).toBe('too-long');
        expect((err as Error).message).toMatch(/22\.\d s long, over the 10\.0 s limit/);
      });

      it('refuses frames over the size cap (8K by default)', async () => {
        const err = await fingerprintVideoFile(sample('doorknob-hd-no-bar'), { probe: probeMode, limits: { maxSide: 1000 } }).catch((e: unknown) => e);
        expect((err as VideoError).code).toBe('too-large');
        expect((err as Error).message).toMatch(/1280x720, over the limit of 1000 pixels a side/);
      });
    });

    it('kills a hung ffprobe at its timeout and reports it', async () => {
      const fifo = join(dir, 'hung.fifo');
      spawnSync('mkfifo', [fifo]);
      const pids: number[] = [];
      const started = Date.now();
      const err = await probe(locateTools(), fileInput(fifo), 800, { onSpawn: (pid) => pids.push(pid) }).catch((e: unknown) => e);
      expect((err as VideoError).code).toBe('timeout');
      expect((err as Error).message).toMatch(/did not finish .* within 0.8 s and was stopped/);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(pids).toHaveLength(1);
      expect(running(pids[0])).toBe(false);
    });

    it('kills a hung ffmpeg decode when it stalls and reports it', async () => {
      const fifo = join(dir, 'hung2.fifo');
      spawnSync('mkfifo', [fifo]);
      const pids: number[] = [];
      const cmd = frameDecodeCommand(fileInput(fifo), { interval: 1, width: 128, height: 128, maxSeconds: 60, maxFrames: 61, fast: true, threads: 0 });
      const err = await decodeRawFrames({ tools: locateTools(), command: cmd, frameBytes: 128 * 128 * 3, onFrame: () => undefined, budget: { stallMs: 800, totalMs: 60_000 }, watch: { onSpawn: (pid) => pids.push(pid) } }).catch((e: unknown) => e);
      expect((err as VideoError).code).toBe('timeout');
      expect((err as Error).message).toMatch(/stopped making progress for 0.8 s/);
      expect(pids).toHaveLength(1);
      expect(running(pids[0])).toBe(false);
    });

    it('stops a decode over its total budget even while it makes progress', async () => {
      const long = makeVideo(['-f', 'lavfi'], 'testsrc2=size=640x360:rate=30:duration=60', ['-c:v', 'libx264', '-preset', 'ultrafast']);
      const pids: number[] = [];
      const cmd = frameDecodeCommand(fileInput(long), { interval: 0, width: 128, height: 128, maxSeconds: 60, maxFrames: 5000, fast: false, threads: 1 });
      // A slow consumer holds ffmpeg through backpressure; the budget still ends it.
      const err = await decodeRawFrames({ tools: locateTools(), command: cmd, frameBytes: 128 * 128 * 3, onFrame: () => { const until = Date.now() + 20; while (Date.now() < until); }, budget: { stallMs: 10_000, totalMs: 700 }, watch: { onSpawn: (pid) => pids.push(pid) } }).catch((e: unknown) => e);
      expect((err as VideoError).code).toBe('timeout');
      expect(running(pids[0])).toBe(false);
    });

    it('says how to install ffmpeg when it is missing', () => {
      expect(() => locateTools({ searchPath: '/nonexistent' })).toThrow(/apt-get install -y ffmpeg/);
      expect(() => locateTools({ ffmpegPath: join(dir, 'no-ffmpeg') })).toThrow(/not found at FFMPEG_PATH: install it with `apt-get install -y ffmpeg`/);
      const copy = join(dir, 'only-ffmpeg');
      spawnSync('mkdir', ['-p', copy]);
      copyFileSync(locateTools().ffmpeg, join(copy, 'ffmpeg'));
      spawnSync('chmod', ['+x', join(copy, 'ffmpeg')]);
      expect(() => locateTools({ searchPath: copy })).toThrow(/ffprobe .* was not found/);
    });
  });
});
