/**
 * Fingerprinting off the main thread: a small pool of worker threads (one per core by default), each
 * fingerprinting one file at a time with `fingerprintBuffer`. A crawl hands every downloaded file to
 * the pool and keeps fetching and parsing pages on the main thread meanwhile; hashing a 320x240 JPEG is
 * ~10 ms of pure CPU, which on the main thread capped a crawl at one core.
 *
 * - Images go to the worker threads. Videos go to the video host (video-host.ts), a small helper
 *   process that starts ffprobe/ffmpeg, because starting programs from this large process is costly.
 * - An image's bytes are transferred to the worker, not copied: after `fingerprint(bytes)` the caller's
 *   buffer is empty (bytes that share their memory with other buffers, such as Node's small-Buffer
 *   pool, are copied once instead - transferring would empty the others too).
 * - One file per worker at a time, so a file that brings its worker down (a crash, the heap cap, the
 *   watchdog) is known for certain: that one file gets a FingerprintAbortedError saying so, the worker is
 *   replaced, and the other files carry on.
 * - A watchdog stops a worker that spends longer than the limit on one image (libvips has its own
 *   per-image time cap; the watchdog is the backstop for the rest); a video past its watchdog is failed
 *   and its ffmpeg stopped by the host.
 * - Idle workers do not keep the process alive; `close()` lets accepted files finish, then stops them.
 */
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { DEFAULT_MAX_IMAGE_BYTES, FingerprintAbortedError, readMediaFile, videoOptions, type FingerprintOptions } from '../media-file.ts';
import { sniffFingerprintKind } from '../fingerprint-kind.ts';
import type { Fingerprint } from '../types.ts';
import { type PlainVideoOptions, type PoolReply, type PoolRequest, receivedError } from './protocol.ts';
import { VideoHost } from './video-host.ts';

export interface FingerprintPoolOptions {
  /** Worker threads at most (default: the number of cores). */
  size?: number;
  /** Options for every file (sent to each worker once; must be plain data). */
  fingerprint?: FingerprintOptions;
  /** Watchdog for one image, in ms (default 120 s: an animation of 120 frames at libvips's 10 s cap each is cut short). */
  imageTimeoutMs?: number;
  /** Watchdog for one video, in ms (default 30 min; ffmpeg's own stall and duration limits come first). */
  videoTimeoutMs?: number;
  /** Heap cap of each worker (default: 512 MB old generation); a file that needs more stops only its worker. */
  resourceLimits?: ResourceLimits;
}

export interface FingerprintCallOptions {
  /** Watchdog for this file, in ms, instead of the pool's default for its kind. */
  timeoutMs?: number;
  /**
   * This file's options instead of the pool's (plain data: no ffmpeg locations or callbacks), so one pool
   * per process serves crawled files (query views) and registered material (every view, dense video).
   */
  options?: FingerprintOptions;
}

export interface PoolStats {
  size: number;
  /** Worker threads started so far (replacements included). */
  workersStarted: number;
  workersRunning: number;
  busy: number;
  queued: number;
  /** Video host processes started so far (restarts included), and videos running or waiting in it. */
  videoHostsStarted: number;
  videoHostPid: number | null;
  videosPending: number;
}

interface Job {
  id: number;
  bytes: ArrayBuffer;
  options: FingerprintOptions | undefined;
  timeoutMs: number;
  resolve: (fp: Fingerprint) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  job: Job | null;
  timer: NodeJS.Timeout | null;
  /** Why the pool itself stopped this worker ('timeout', 'closed'), or the worker's own error. */
  stopReason: 'timeout' | 'closed' | null;
  error: Error | null;
}

/** Workers that die before they are ready this many times in a row mean the pool cannot start at all. */
const MAX_START_FAILURES = 3;
const ENTRY = new URL('./worker-entry.js', import.meta.url);

const firstLine = (s: string) => s.split('\n')[0].slice(0, 200);

/**
 * The old generation each worker starts with, in MB. A worker's heap stays small (~10 MB live), and
 * V8 then plans its full collections a few MB apart: a 1 MP query with local features (megabytes of
 * grey pictures and feature arrays a file, garbage once it is done) ran one full collection per file,
 * ~10-15 CPU-ms each. Starting at 64 MB: 6 full collections in 90 such files instead of 89, peak RSS
 * 209 -> 225 MB; bench:hash (BENCH_RUNS=80, through this pool) 1 MP query with features 105 -> 80
 * CPU-ms, +62 -> +39 over the query without; 12 MP +146 -> +116; 1 MP registration +30 -> +16.
 * V8 reads the flag when an isolate is made, so it is set before the first worker starts; it applies
 * to the threads this process starts afterwards, not to the main thread.
 */
export const WORKER_INITIAL_OLD_SPACE_MB = 64;
let heapFlagSet = false;
function setWorkerHeapFlag(): void {
  if (heapFlagSet) return;
  setFlagsFromString(`--initial-old-space-size=${WORKER_INITIAL_OLD_SPACE_MB}`);
  heapFlagSet = true;
}

export class FingerprintPool {
  readonly size: number;
  private readonly opts: FingerprintPoolOptions;
  private readonly queue: Job[] = [];
  private readonly slots = new Set<Slot>();
  private readonly accepted = new Set<Promise<unknown>>();
  private nextId = 1;
  private started = 0;
  private startFailures = 0;
  private lastStartError = '';
  private closed = false;
  /** Videos go to a helper process (video-host.ts); images stay in the worker threads. */
  private readonly videos: VideoHost;

  constructor(opts: FingerprintPoolOptions = {}) {
    this.opts = opts;
    this.size = Math.max(1, Math.floor(opts.size ?? availableParallelism()));
    const { tools: _tools, watch: _watch, ...video } = (opts.fingerprint && videoOptions(opts.fingerprint)) ?? {};
    this.videos = new VideoHost({ concurrency: this.size, video });
  }

  /**
   * The fingerprint of one file's bytes, computed in a worker thread. The bytes are transferred: the
   * caller's buffer is empty once the file is handed to a worker. Rejects with a FingerprintError when
   * the file cannot be fingerprinted (the same sentence `fingerprintBuffer` gives) or brought its worker
   * down.
   */
  fingerprint(bytes: Uint8Array, call: FingerprintCallOptions = {}): Promise<Fingerprint> {
    if (this.closed) return Promise.reject(new Error('The fingerprinting pool is closed; no more files can be fingerprinted with it.'));
    const kind = sniffFingerprintKind(bytes.subarray(0, 4096));
    const timeoutMs = call.timeoutMs ?? (kind === 'video' ? (this.opts.videoTimeoutMs ?? 30 * 60_000) : (this.opts.imageTimeoutMs ?? 120_000));
    const p =
      kind === 'video'
        ? this.videos.fingerprint(bytes, timeoutMs, plainVideo(call.options))
        : new Promise<Fingerprint>((resolve, reject) => {
          this.queue.push({ id: this.nextId++, bytes: ownedBuffer(bytes), options: call.options, timeoutMs, resolve, reject });
        });
    return this.track(p);
  }

  /**
   * The fingerprint of a file on disk (an upload being registered): an image is read and handed to a
   * worker thread; a video is read in place by the video host, never copied. The file stays the caller's.
   */
  async fingerprintFile(path: string, call: FingerprintCallOptions = {}): Promise<Fingerprint> {
    if (this.closed) throw new Error('The fingerprinting pool is closed; no more files can be fingerprinted with it.');
    const file = await readMediaFile(path, call.options?.maxFileBytes ?? DEFAULT_MAX_IMAGE_BYTES);
    if (file.kind === 'other') return this.fingerprint(file.bytes, call);
    const timeoutMs = call.timeoutMs ?? this.opts.videoTimeoutMs ?? 30 * 60_000;
    const p = this.videos.fingerprintPath(path, timeoutMs, plainVideo(call.options));
    this.pump();
    return this.track(p);
  }

  /** Remembers an accepted file so that close() waits for it. */
  private track(p: Promise<Fingerprint>): Promise<Fingerprint> {
    const tracked = p.then(
      () => undefined,
      () => undefined,
    );
    this.accepted.add(tracked);
    void tracked.then(() => this.accepted.delete(tracked));
    this.pump();
    return p;
  }

  stats(): PoolStats {
    let busy = 0;
    for (const s of this.slots) if (s.job) busy++;
    return { size: this.size, workersStarted: this.started, workersRunning: this.slots.size, busy, queued: this.queue.length, videoHostsStarted: this.videos.started, videoHostPid: this.videos.pid, videosPending: this.videos.pending };
  }

  /** Stops taking files, lets the ones already accepted finish (each within its watchdog), then stops the workers. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.accepted.size > 0) await Promise.all([...this.accepted]);
    await this.videos.close();
    await Promise.all(
      [...this.slots].map((s) => {
        s.stopReason = 'closed';
        return s.worker.terminate();
      }),
    );
    this.slots.clear();
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) break;
      if (slot.ready && !slot.job) this.dispatch(slot, this.queue.shift()!);
    }
    if (this.queue.length > 0 && this.startFailures >= MAX_START_FAILURES) {
      const err = new Error(`The fingerprinting worker threads could not start (${this.lastStartError}); check that the installation is complete (npm ci).`);
      for (const job of this.queue.splice(0)) job.reject(err);
      this.startFailures = 0; // the next file tries again
    }
    let starting = 0;
    for (const s of this.slots) if (!s.ready) starting++;
    while (this.queue.length > starting && this.slots.size < this.size && this.startFailures < MAX_START_FAILURES) {
      this.spawn();
      starting++;
    }
    this.updateRefs();
  }

  private spawn(): void {
    setWorkerHeapFlag();
    const worker = new Worker(ENTRY, {
      workerData: { fingerprint: this.opts.fingerprint ?? {} },
      resourceLimits: this.opts.resourceLimits ?? { maxOldGenerationSizeMb: 512 },
      // The worker's own console output and errors stay out of the main thread's stdout/stderr.
      stdout: true,
      stderr: true,
    });
    this.started++;
    const slot: Slot = { worker, ready: false, job: null, timer: null, stopReason: null, error: null };
    this.slots.add(slot);
    worker.stdout.resume();
    worker.stderr.resume();
    worker.on('message', (m: PoolReply) => this.onMessage(slot, m));
    worker.on('error', (err) => {
      slot.error = err;
    });
    worker.on('exit', (code) => this.onExit(slot, code));
  }

  private dispatch(slot: Slot, job: Job): void {
    slot.job = job;
    slot.timer = setTimeout(() => {
      slot.stopReason = 'timeout';
      void slot.worker.terminate();
    }, job.timeoutMs);
    const req: PoolRequest = { id: job.id, bytes: job.bytes, ...(job.options ? { options: job.options } : {}) };
    try {
      slot.worker.postMessage(req, [job.bytes]);
    } catch {
      // A buffer that cannot be transferred (marked untransferable by its owner) is copied.
      slot.worker.postMessage({ ...req, bytes: job.bytes.slice(0) } satisfies PoolRequest);
    }
  }

  private onMessage(slot: Slot, m: PoolReply): void {
    if ('ready' in m) {
      slot.ready = true;
      this.startFailures = 0;
      this.pump();
      return;
    }
    const job = slot.job;
    if (!job || job.id !== m.id) return;
    this.finishJob(slot);
    if (m.ok) job.resolve(m.fingerprint);
    else job.reject(receivedError(m));
    this.pump();
  }

  private finishJob(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.job = null;
  }

  private onExit(slot: Slot, code: number): void {
    this.slots.delete(slot);
    const job = slot.job;
    this.finishJob(slot);
    if (!slot.ready && slot.stopReason !== 'closed') {
      this.startFailures++;
      this.lastStartError = slot.error ? firstLine(slot.error.message) : `exit code ${code}`;
    }
    if (job) {
      if (slot.stopReason === 'timeout') {
        job.reject(new FingerprintAbortedError(`Fingerprinting the file took longer than ${job.timeoutMs / 1000} s and was stopped; its worker thread was replaced.`));
      } else if (slot.stopReason === 'closed') {
        job.reject(new Error('The fingerprinting pool was closed before the file was fingerprinted.'));
      } else {
        const why = slot.error ? firstLine(slot.error.message) : `exit code ${code}`;
        job.reject(new FingerprintAbortedError(`The file brought down the worker thread fingerprinting it (${why}); it was skipped and the worker replaced.`, slot.error ? { cause: slot.error } : undefined));
      }
    }
    if (!this.closed || this.queue.length > 0) this.pump();
  }

  /** Busy or needed workers keep the process alive; idle ones do not (a pool nobody closed cannot hang a CLI). */
  private updateRefs(): void {
    for (const s of this.slots) {
      if (s.job || this.queue.length > 0) s.worker.ref();
      else s.worker.unref();
    }
  }
}

/**
 * An ArrayBuffer holding exactly these bytes that can be handed over: the view's own buffer when it
 * spans all of it, else a copy (the view shares its buffer with other data).
 */
function ownedBuffer(bytes: Uint8Array): ArrayBuffer {
  const buf = bytes.buffer;
  if (buf instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === buf.byteLength) return buf;
  // Not bytes.slice(): on a Buffer, slice() is a view of the same memory, not a copy.
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}

/** A call's video options as they cross to the video host (its ffmpeg locations and callbacks stay behind). */
function plainVideo(options: FingerprintOptions | undefined): PlainVideoOptions | undefined {
  const all = options && videoOptions(options);
  if (!all) return undefined;
  const { tools: _tools, watch: _watch, ...video } = all;
  return video;
}
