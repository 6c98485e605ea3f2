import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintBuffer, FingerprintError } from '../../hashing/fingerprint.ts';
import { FingerprintPool } from '../../hashing/pool/fingerprint-pool.ts';
import type { Fingerprint } from '../../hashing/types.ts';
import { makeMp4 } from '../crawler/support/videos.ts';
import { syntheticPhoto } from '../support/images.ts';
import { vector } from '../support/vectors.ts';

/** A noisy 3000x3000 PNG: decoding it takes far longer than a few milliseconds on any machine. */
async function bigNoisyPng(): Promise<Buffer> {
  const w = 3000;
  const raw = Buffer.alloc(w * w * 3);
  let s = 12345;
  for (let i = 0; i < raw.length; i++) raw[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  return sharp(raw, { raw: { width: w, height: w, channels: 3 } }).png({ compressionLevel: 1 }).toBuffer();
}

/** A buffer that owns all of its memory (so the pool transfers it rather than copying it). */
const own = (b: Uint8Array) => new Uint8Array(b);

describe('fingerprinting worker pool', () => {
  const files: Array<{ name: string; bytes: Buffer }> = [];
  let longVideo: Buffer;
  let pool: FingerprintPool;

  beforeAll(async () => {
    for (let seed = 1; seed <= 4; seed++) files.push({ name: `synthetic-${seed}.jpg`, bytes: await syntheticPhoto(seed, 320 + seed * 40, 240) });
    files.push({ name: 'synthetic.png', bytes: await sharp(await syntheticPhoto(9, 200, 150)).png().toBuffer() });
    files.push({ name: 'q0291.jpg', bytes: readFileSync(vector('pdq/data/reg-test-input/labelme-subset/q0291.jpg')) });
    const dir = mkdtempSync(join(tmpdir(), 'sd-pool-'));
    try {
      files.push({ name: 'clip.mp4', bytes: makeMp4(dir, 'clip.mp4', 3) });
      // Long enough that it is still being fingerprinted when its host is killed, however loaded the machine.
      longVideo = makeMp4(dir, 'long.mp4', 120);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    pool = new FingerprintPool({ size: 2 });
  }, 60_000);

  afterAll(() => pool?.close());

  it('gives the same fingerprints as the main thread, images and a video, several files at once', async () => {
    const expected = await Promise.all(files.map((f) => fingerprintBuffer(f.bytes)));
    const got = await Promise.all(files.map((f) => pool.fingerprint(own(f.bytes))));
    for (const [i, f] of files.entries()) expect(got[i], f.name).toEqual(expected[i]);
    expect(got.some((fp) => fp.kind === 'video')).toBe(true);
    expect(pool.stats().workersStarted).toBe(2);
  });

  it('takes the bytes over instead of copying them, and copies a view that shares its memory', async () => {
    const whole = own(files[0].bytes);
    const p = pool.fingerprint(whole);
    // Handed to a worker (immediately, or as soon as one is free): the caller's buffer is emptied.
    const fp = await p;
    expect(whole.byteLength).toBe(0);
    expect(fp.sha256).toBe((await fingerprintBuffer(files[0].bytes)).sha256);

    const shared = new Uint8Array(files[1].bytes.length + 100);
    shared.set(files[1].bytes, 50);
    const view = shared.subarray(50, 50 + files[1].bytes.length);
    const fp2 = await pool.fingerprint(view);
    expect(view.byteLength).toBe(files[1].bytes.length);
    expect(Buffer.from(view).equals(files[1].bytes)).toBe(true);
    expect(fp2.sha256).toBe((await fingerprintBuffer(files[1].bytes)).sha256);

    // Small Buffers live in Node's shared 8 KB pool, among other Buffers (whose slice() is no copy).
    const tiny = await sharp(files[2].bytes).resize(40).jpeg({ quality: 50 }).toBuffer();
    const pooled = [Buffer.from(tiny), Buffer.from(files[4].bytes.subarray(0, 100)), Buffer.from(tiny)];
    expect(pooled[0].byteLength).toBeLessThan(pooled[0].buffer.byteLength);
    const fps = await Promise.all([pool.fingerprint(pooled[0]), pool.fingerprint(pooled[2])]);
    const expected = await fingerprintBuffer(tiny);
    expect(fps).toEqual([expected, expected]);
    expect(pooled.map((b) => b.byteLength)).toEqual([tiny.length, 100, tiny.length]);
    expect(pooled[1].equals(files[4].bytes.subarray(0, 100))).toBe(true);
  });

  it('answers a corrupt file with the same sentence as the main thread, and keeps its worker', async () => {
    const corrupt = files[0].bytes.subarray(0, 600);
    const mainErr = await fingerprintBuffer(corrupt).then(() => null, (e: Error) => e);
    expect(mainErr).toBeInstanceOf(FingerprintError);
    const started = pool.stats().workersStarted;
    const err = await pool.fingerprint(own(corrupt)).then(() => null, (e: Error) => e);
    expect(err).toBeInstanceOf(FingerprintError);
    expect(err!.message).toBe(mainErr!.message);
    const after = await pool.fingerprint(own(files[2].bytes));
    expect(after.sha256).toBe((await fingerprintBuffer(files[2].bytes)).sha256);
    expect(pool.stats().workersStarted).toBe(started);
  });

  it('stops a worker that overruns its watchdog mid-file: that file fails, the worker is replaced, the files queued behind it are done', async () => {
    const one = new FingerprintPool({ size: 1 });
    try {
      const big = await bigNoisyPng();
      const killed = one.fingerprint(own(big), { timeoutMs: 5 }).then(() => null, (e: Error) => e);
      const queued = files.slice(0, 3).map((f) => one.fingerprint(own(f.bytes)));
      const err = await killed;
      expect(err).toBeInstanceOf(FingerprintError);
      expect(err!.message).toMatch(/took longer than 0\.005 s and was stopped; its worker thread was replaced/);
      const fps: Fingerprint[] = await Promise.all(queued);
      for (const [i, fp] of fps.entries()) expect(fp).toEqual(await fingerprintBuffer(files[i].bytes));
      expect(one.stats()).toMatchObject({ workersStarted: 2, busy: 0, queued: 0 });
    } finally {
      await one.close();
    }
  });

  it('finishes the files it accepted when closed, then refuses new ones with a sentence', async () => {
    const p = new FingerprintPool({ size: 1 });
    const pending = files.slice(0, 2).map((f) => p.fingerprint(own(f.bytes)));
    await p.close();
    const done = await Promise.all(pending);
    expect(done.map((fp) => fp.sha256)).toEqual(await Promise.all(files.slice(0, 2).map(async (f) => (await fingerprintBuffer(f.bytes)).sha256)));
    expect(p.stats().workersRunning).toBe(0);
    await expect(p.fingerprint(own(files[0].bytes))).rejects.toThrow(/pool is closed/);
  });

  it('computes only the probed views for queries, with the very same hashes', async () => {
    const q = new FingerprintPool({ size: 1, fingerprint: { views: 'query' } });
    try {
      const full = await fingerprintBuffer(files[0].bytes);
      const lean = await q.fingerprint(own(files[0].bytes));
      if (full.kind !== 'image' || lean.kind !== 'image') throw new Error('expected image fingerprints');
      expect(lean.views.length).toBeLessThan(full.views.length);
      for (const v of lean.views) expect(full.views).toContainEqual(v);
      expect({ ...lean, views: [] }).toEqual({ ...full, views: [] });
    } finally {
      await q.close();
    }
  });

  describe('videos go to the video host process', () => {
    const video = () => files.find((f) => f.name === 'clip.mp4')!.bytes;
    /** Direct children of a process (Linux /proc; a thread's children are listed under each task). */
    const childrenOf = (pid: number): number[] => {
      const out: number[] = [];
      for (const t of readdirSync(`/proc/${pid}/task`)) {
        out.push(...readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
      }
      return out;
    };
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const waitFor = async (what: () => boolean, ms = 10_000) => {
      // True as soon as it holds (asking again after the loop could catch the next state instead).
      const until = Date.now() + ms;
      for (;;) {
        if (what()) return true;
        if (Date.now() >= until) return false;
        await new Promise((r) => setTimeout(r, 25));
      }
    };

    it('fingerprints a video in one helper process, never in a worker thread, with the same result', async () => {
      const p = new FingerprintPool({ size: 2 });
      try {
        const [a, b] = await Promise.all([p.fingerprint(own(video())), p.fingerprint(own(video()))]);
        const expected = await fingerprintBuffer(video());
        expect(a).toEqual(expected);
        expect(b).toEqual(expected);
        const st = p.stats();
        expect(st).toMatchObject({ workersStarted: 0, videoHostsStarted: 1, videosPending: 0 });
        expect(childrenOf(process.pid)).toContain(st.videoHostPid);
        expect(readFileSync(`/proc/${st.videoHostPid}/cmdline`, 'utf8')).toContain('video-host-entry.js');
      } finally {
        await p.close();
      }
    });

    it('a video past its watchdog fails with a sentence and its ffmpeg is stopped; a host killed mid-video fails only that video and is replaced', async () => {
      const p = new FingerprintPool({ size: 1 });
      try {
        await p.fingerprint(own(video())); // the host is up
        const host = p.stats().videoHostPid!;
        const late = await p.fingerprint(own(video()), { timeoutMs: 1 }).then(() => null, (e: Error) => e);
        expect(late).toBeInstanceOf(FingerprintError);
        expect(late!.message).toMatch(/took longer than 0\.001 s and was stopped/);
        expect(await waitFor(() => childrenOf(host).length === 0)).toBe(true);
        expect(p.stats().videoHostPid).toBe(host); // the host itself carries on

        const inFlight = p.fingerprint(own(longVideo)).then(() => null, (e: Error) => e);
        expect(await waitFor(() => childrenOf(host).length > 0)).toBe(true); // its ffprobe/ffmpeg started
        process.kill(host, 'SIGKILL');
        const err = await inFlight;
        expect(err).toBeInstanceOf(FingerprintError);
        expect(err!.message).toMatch(/process fingerprinting videos stopped \(signal SIGKILL\).*skipped and the process restarted/);
        expect(await p.fingerprint(own(video()))).toEqual(await fingerprintBuffer(video()));
        expect(p.stats().videoHostsStarted).toBe(2);
      } finally {
        await p.close();
      }
    });

    it('ends its host and the host\'s decoders when the pool\'s process is killed', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sd-pool-kill-'));
      try {
        const clip = join(dir, 'clip.mp4');
        writeFileSync(clip, video());
        const script = join(dir, 'run.mts');
        // The child fingerprints the clip over and over, so a decode is usually running when it is killed.
        writeFileSync(script, [
          `import { readFileSync } from 'node:fs';`,
          `import { FingerprintPool } from ${JSON.stringify(new URL('../../hashing/pool/fingerprint-pool.ts', import.meta.url).pathname)};`,
          `const pool = new FingerprintPool({ size: 1 });`,
          `await pool.fingerprint(new Uint8Array(readFileSync(${JSON.stringify(clip)})));`,
          `process.stdout.write(String(pool.stats().videoHostPid) + '\\n');`,
          `for (;;) await pool.fingerprint(new Uint8Array(readFileSync(${JSON.stringify(clip)})));`,
        ].join('\n'));
        // Its own temporary directory, to see that no video file is left behind.
        const tmp = join(dir, 'tmp');
        mkdirSync(tmp);
        const child = spawn(process.execPath, [new URL('../../bin/run-ts.js', import.meta.url).pathname, script], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TMPDIR: tmp } });
        const host = await new Promise<number>((resolve, reject) => {
          child.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
          child.once('exit', (code) => reject(new Error(`the pool's process ended early (${code})`)));
        });
        expect(alive(host)).toBe(true);
        // Killed while a video is in the host (its file on disk, its decoder running).
        expect(await waitFor(() => childrenOf(host).length > 0 && readdirSync(tmp).some((n) => n.startsWith('staydown-video-')))).toBe(true);
        const decoders = childrenOf(host);
        child.kill('SIGKILL');
        expect(await waitFor(() => !alive(host))).toBe(true);
        for (const pid of decoders) expect(await waitFor(() => !alive(pid))).toBe(true);
        expect(readdirSync(tmp).filter((n) => n.startsWith('staydown-video-'))).toEqual([]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
