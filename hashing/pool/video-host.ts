/**
 * Videos of the fingerprinting pool go to one small helper process, the video host, which starts
 * ffprobe and ffmpeg for them; the pool's own process never starts a program per file.
 *
 * Why: starting a program from a process means fork(), and the crawler's process is large (hundreds of
 * MB of V8 heaps over several threads). Measured on the crawl benchmark, each start from it cost about
 * 0.24 CPU-seconds in the crawler itself - page tables copied, then every written page faulted back
 * after the child let go - which made one 2-second video cost more than 200 images. From a process of a
 * few tens of MB the same start is cheap.
 *
 * - The video's bytes are written to a private temporary file (0600, in a 0700 directory made for each
 *   host process) and the host is given its path: MP4 files with their index at the end cannot be read
 *   from a pipe, and a large video never crosses the IPC channel. The file is removed when the job ends,
 *   the directory when the host ends - by the host itself if the pool's process was killed.
 * - Several videos run at once (each is mostly an ffmpeg process); the host hashes their frames.
 * - A job past its watchdog is answered at once with a FingerprintAbortedError and the host kills that job's
 *   ffmpeg. A host that dies fails only the jobs it held (with a sentence) and is started again for the
 *   next video. When the pool's process ends, the host sees its channel close and stops its decoders.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FingerprintAbortedError } from '../media-file.ts';
import type { Fingerprint } from '../types.ts';
import { configuredFfmpeg } from '../video/ffmpeg.ts';
import { type PlainVideoOptions, receivedError, type VideoHostMessage, type VideoHostReply } from './protocol.ts';

export interface VideoHostOptions {
  /** Videos fingerprinted at once (default 2). */
  concurrency?: number;
  /** Sampling and limits for every video (plain data). */
  video?: PlainVideoOptions;
  /** Heap cap of the host process, in MB (default 512). */
  maxOldGenerationSizeMb?: number;
}

interface VideoJob {
  id: number;
  /** The video's bytes, written to a private file; or, with `file`, a file of the caller's that is read in place. */
  bytes: Uint8Array;
  file: string | null;
  video: PlainVideoOptions | undefined;
  timeoutMs: number;
  resolve: (fp: Fingerprint) => void;
  reject: (err: Error) => void;
}

interface Running {
  job: VideoJob;
  /** The job's file, once written. */
  path: string;
  timer: NodeJS.Timeout | null;
  /** Set once the job has been answered (by the host, the watchdog or the host's death). */
  settled: boolean;
}

/** Hosts that die before they are ready this many times in a row mean videos cannot be fingerprinted at all. */
const MAX_START_FAILURES = 3;
const ENTRY = new URL('./video-host-entry.js', import.meta.url);

export class VideoHost {
  private readonly opts: VideoHostOptions;
  private readonly concurrency: number;
  private readonly queue: VideoJob[] = [];
  private readonly running = new Map<number, Running>();
  private child: ChildProcess | null = null;
  /** The current host's private directory for job files. */
  private dir = '';
  private ready = false;
  private stderrTail = '';
  private startFailures = 0;
  private nextId = 1;
  private closing = false;
  /** Host processes started so far (for tests and stats). */
  started = 0;

  constructor(opts: VideoHostOptions = {}) {
    this.opts = opts;
    this.concurrency = Math.max(1, Math.floor(opts.concurrency ?? 2));
  }

  /** `video`: this file's sampling and limits instead of the host's defaults. */
  fingerprint(bytes: Uint8Array, timeoutMs: number, video?: PlainVideoOptions): Promise<Fingerprint> {
    return this.enqueue({ bytes, file: null, video, timeoutMs });
  }

  /** A video already on disk (an upload): the host reads it where it is; the file stays the caller's. */
  fingerprintPath(file: string, timeoutMs: number, video?: PlainVideoOptions): Promise<Fingerprint> {
    return this.enqueue({ bytes: new Uint8Array(0), file, video, timeoutMs });
  }

  private enqueue(job: Omit<VideoJob, 'id' | 'resolve' | 'reject'>): Promise<Fingerprint> {
    if (this.closing) return Promise.reject(new Error('The fingerprinting pool is closed; no more files can be fingerprinted with it.'));
    return new Promise<Fingerprint>((resolve, reject) => {
      this.queue.push({ ...job, id: this.nextId++, resolve, reject });
      this.pump();
    });
  }

  /** The host process's id while one runs. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Jobs running or waiting. */
  get pending(): number {
    return this.queue.length + this.running.size;
  }

  /** Waits for the accepted videos to finish, then ends the host. */
  async close(): Promise<void> {
    this.closing = true;
    while (this.pending > 0) await new Promise((r) => setTimeout(r, 20));
    const child = this.child;
    this.child = null;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.disconnect();
      await exited;
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  private pump(): void {
    if (this.queue.length === 0) return;
    if (!this.child) {
      if (this.startFailures >= MAX_START_FAILURES) {
        const err = new FingerprintAbortedError(`The video process could not start (${this.stderrTail.trim().split('\n').pop() || 'no reason given'}); check that the installation is complete (npm ci).`);
        for (const job of this.queue.splice(0)) job.reject(err);
        this.startFailures = 0; // the next video tries again
        return;
      }
      this.start();
      return;
    }
    if (!this.ready) return;
    while (this.queue.length > 0 && this.running.size < this.concurrency) void this.run(this.queue.shift()!);
    this.updateRef();
  }

  private start(): void {
    this.dir = mkdtempSync(join(tmpdir(), 'staydown-video-'));
    const child = fork(ENTRY, [this.dir], {
      execArgv: [`--max-old-space-size=${this.opts.maxOldGenerationSizeMb ?? 512}`],
      serialization: 'advanced',
      // stdout ignored, stderr kept (its last lines explain a host that cannot start).
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.child = child;
    this.ready = false;
    this.stderrTail = '';
    this.started++;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => (this.stderrTail = (this.stderrTail + d).slice(-2000)));
    child.on('message', (m: VideoHostReply) => this.onMessage(child, m));
    child.on('error', () => undefined); // 'exit' follows and says the rest
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
    this.updateRef();
  }

  private async run(job: VideoJob): Promise<void> {
    const entry: Running = { job, path: '', timer: null, settled: false };
    this.running.set(job.id, entry);
    try {
      let path = job.file;
      if (path === null) {
        path = join(this.dir, `video-${job.id}`);
        entry.path = path; // ours: removed when the job ends
        await writeFile(path, job.bytes, { mode: 0o600 });
        job.bytes = new Uint8Array(0); // the file holds them now
      }
      const child = this.child;
      if (entry.settled) return;
      if (!child || !this.ready) throw new FingerprintAbortedError('The video process stopped before the video could be handed to it.');
      entry.timer = setTimeout(() => {
        this.send({ type: 'cancel', id: job.id });
        this.settle(job.id, new FingerprintAbortedError(`Fingerprinting the file took longer than ${job.timeoutMs / 1000} s and was stopped.`));
      }, job.timeoutMs);
      // A forked process starts with this module unconfigured: where ffmpeg is travels with each job.
      this.send({ type: 'job', id: job.id, path, video: { ffmpeg: configuredFfmpeg(), ...(job.video ?? this.opts.video) } });
    } catch (err) {
      this.settle(job.id, err instanceof Error ? err : new Error(String(err)));
    }
  }

  private send(m: VideoHostMessage): void {
    try {
      this.child?.send(m);
    } catch {
      // the host is gone; its 'exit' fails the job
    }
  }

  private onMessage(child: ChildProcess, m: VideoHostReply): void {
    if (child !== this.child) return;
    if (m.type === 'ready') {
      this.ready = true;
      this.startFailures = 0;
      this.pump();
      return;
    }
    if (m.ok) this.settle(m.id, null, m.fingerprint);
    else this.settle(m.id, receivedError(m));
  }

  /** Answers a job once, removes its file, and lets the next one in. */
  private settle(id: number, err: Error | null, fp?: Fingerprint): void {
    const entry = this.running.get(id);
    if (!entry || entry.settled) return;
    entry.settled = true;
    if (entry.timer) clearTimeout(entry.timer);
    if (err) entry.job.reject(err);
    else entry.job.resolve(fp!);
    const done = () => {
      this.running.delete(id);
      this.pump();
      this.updateRef();
    };
    if (entry.path) void rm(entry.path, { force: true }).then(done, done);
    else done();
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    const wasReady = this.ready;
    this.child = null;
    this.ready = false;
    if (!wasReady && !this.closing) this.startFailures++;
    const why = signal ? `signal ${signal}` : `exit code ${code}`;
    for (const id of [...this.running.keys()]) {
      this.settle(id, new FingerprintAbortedError(`The process fingerprinting videos stopped (${why}) while this video was in it; the video was skipped and the process restarted.`));
    }
    const dir = this.dir;
    void rm(dir, { recursive: true, force: true }).catch(() => undefined);
    this.pump();
  }

  /** A host with work keeps the pool's process alive; an idle one does not. */
  private updateRef(): void {
    const child = this.child;
    if (!child) return;
    const busy = this.pending > 0;
    const ch = child as ChildProcess & { channel?: { ref(): void; unref(): void } };
    const err = child.stderr as (NodeJS.ReadableStream & { ref?(): void; unref?(): void }) | null;
    if (busy) {
      child.ref();
      ch.channel?.ref();
      err?.ref?.();
    } else {
      child.unref();
      ch.channel?.unref();
      err?.unref?.();
    }
  }
}
