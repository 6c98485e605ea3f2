/**
 * A video file in, a `VideoFingerprint` out: probe and check the caps, then stream small RGB frames out
 * of ffmpeg and hash each one as it arrives (vPDQ: a PDQ per sampled frame), while the file's exact
 * hashes are computed from a second read. Memory stays at a few frames whatever the video's length.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { hammingHex } from '../bits.ts';
import { sniffFingerprintKind } from '../fingerprint-kind.ts';
import type { VideoFingerprint, VideoFrameHash } from '../types.ts';
import { type ChildWatcher, decodeRawFrames, type FfmpegLocation, type FfmpegTools, locateTools, probe } from './ffmpeg.ts';
import { DEFAULT_FRAME_SIDE, fileInput, frameDecodeCommand } from './ffmpeg-args.ts';
import { featuresToBase64 } from '../features/codec.ts';
import { videoFileKeyframes } from './feature-frames.ts';
import { hashFrame } from './frame-hash.ts';
import { checkLimits, decodeBudgetMs, DEFAULT_VIDEO_LIMITS, formatDuration, parseInputHeader, VideoError, type VideoLimits, type VideoProbe } from './probe.ts';

export interface VideoFingerprintOptions {
  /** Seconds between sampled frames (default 1); 0 hashes every frame (for registering material). */
  interval?: number;
  /** Decoder speed-ups (default on; see `FrameDecodeSpec.fast`). */
  fast?: boolean;
  /** Hash the mirror and bar-trimmed views of each frame (default on). */
  views?: boolean;
  limits?: Partial<VideoLimits>;
  /** Keep the frames of a video that ends early instead of refusing it as truncated. */
  allowTruncated?: boolean;
  /** ffmpeg/ffprobe to use, already located (default: located from `ffmpeg`). */
  tools?: FfmpegTools;
  /** Where to find ffmpeg/ffprobe when `tools` is not given (default: what `configureFfmpeg` set, else PATH). */
  ffmpeg?: FfmpegLocation;
  /**
   * Frames are hashed at 128x128 (vPDQ's pre-scaled mode) unless this is 'native' (the video's own
   * size: vPDQ's default mode, slower; for conformance against its full-size sample hashes).
   */
  frameSize?: 'small' | 'native';
  /**
   * How the video is described before its frames are used: 'ffprobe' (default) runs ffprobe first;
   * 'inline' reads ffmpeg's own description of its input from the decode run and checks the same caps
   * there, which saves a second program start per video (for sampled queries, such as crawled media;
   * dense and native-size runs always probe first, as they need the facts before decoding).
   */
  probe?: 'ffprobe' | 'inline';
  /**
   * ffmpeg decoder threads (default 0: ffmpeg's choice, cores + 1, fastest for one long video). 1 costs
   * ~30% less CPU on short clips, which is what a crawler decoding several videos at once needs.
   */
  decodeThreads?: number;
  watch?: ChildWatcher;
  /**
   * Local features of keyframes (hashing/video/keyframes.ts) too: 'reference' for a video being
   * registered (every 3 s of a moving shot, at most 32 chosen over the whole video), 'query' for one
   * matched against references (every 1.5 s, at most 400); none when absent or false. They cost one
   * more ffmpeg run of the file at 640 px (no ffprobe: the frame-hash run has described the video) and
   * ~0.1 CPU-s per second of video (bench:features --kenburns: ~65 ms features + ~45 ms ffmpeg).
   */
  keyframes?: 'reference' | 'query' | false;
}

export const DEFAULT_INTERVAL_SECONDS = 1;

/** Dense mode keeps at most this many frames (33 minutes at 30 fps; ~80 MB of fingerprint in memory). */
export const MAX_DENSE_FRAMES = 60_000;

/**
 * In dense mode a frame this close to the previous kept one adds nothing: a query frame near it is at
 * most this much further from the kept one. Static shots shrink to a few frames.
 */
const DENSE_SAME_FRAME_BITS = 4;

export async function fingerprintVideoFile(path: string, opts: VideoFingerprintOptions = {}): Promise<VideoFingerprint> {
  const limits: VideoLimits = { ...DEFAULT_VIDEO_LIMITS, ...opts.limits };
  let interval = opts.interval ?? DEFAULT_INTERVAL_SECONDS;
  if (!(interval >= 0) || !Number.isFinite(interval)) throw new Error(`The frame interval must be a number of seconds >= 0; got ${interval}.`);
  const absolute = resolve(path);
  let size: number;
  try {
    size = (await stat(absolute)).size;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new VideoError('not-media', code === 'ENOENT' ? 'The file does not exist.' : `The file cannot be read (${code ?? 'error'}).`, { cause: err });
  }
  if (size === 0) throw new VideoError('empty', 'The file is empty (0 bytes).');
  const tools = opts.tools ?? locateTools(opts.ffmpeg);
  const input = fileInput(absolute);
  const inline = opts.probe === 'inline' && interval > 0 && opts.frameSize !== 'native';
  // With an inline probe, `info` is filled in from ffmpeg's log once the decode has started.
  let info: (VideoProbe & { durationReliable?: boolean }) | undefined;
  const looksLikeVideo = sniffFingerprintKind(await head(absolute)) === 'video';
  if (!inline) {
    info = await probe(tools, input, limits.probeTimeoutMs, opts.watch, looksLikeVideo);
    checkLimits(info, limits);
    if (interval === 0) {
      // Every frame of a long video would not fit in memory (a fingerprint holds each frame's hashes):
      // past MAX_DENSE_FRAMES, frames are sampled evenly instead, as densely as that allows.
      const frames = info.duration * (info.frameRate > 0 ? info.frameRate : 60);
      if (frames > MAX_DENSE_FRAMES) interval = Math.ceil((info.duration / MAX_DENSE_FRAMES) * 1000) / 1000;
    }
  }

  const [width, height] = opts.frameSize === 'native' && info ? [info.width, info.height] : [DEFAULT_FRAME_SIDE, DEFAULT_FRAME_SIDE];
  const withViews = opts.views ?? true;
  const maxSeconds = limits.maxDurationSeconds;
  const cmd = frameDecodeCommand(input, {
    interval,
    width,
    height,
    maxSeconds,
    maxFrames: interval > 0 ? Math.ceil(maxSeconds / interval) + 1 : Math.ceil(maxSeconds * 240),
    fast: opts.fast ?? true,
    threads: Math.max(0, Math.floor(opts.decodeThreads ?? 0)),
  });
  const hashed: Array<{ index: number; frame: VideoFrameHash }> = [];
  let lastKept: string | undefined;
  const exact = exactHashes(absolute);
  exact.catch(() => undefined); // awaited below; this only stops an early failure being "unhandled"
  const decoded = await decodeRawFrames({
    tools,
    command: cmd,
    frameBytes: width * height * 3,
    onFrame: (rgb, index) => {
      const frame = hashFrame(rgb, width, height, 0, withViews);
      if (interval === 0 && lastKept !== undefined && hammingHex(lastKept, frame.pdq) <= DENSE_SAME_FRAME_BITS) return;
      lastKept = frame.pdq;
      hashed.push({ index, frame });
    },
    budget: { stallMs: limits.stallTimeoutMs, totalMs: decodeBudgetMs(info?.duration ?? 0, limits) },
    watch: opts.watch,
    onInput: inline
      ? (header) => {
        const described = parseInputHeader(header);
        checkLimits(described, limits);
        info = described;
        return decodeBudgetMs(described.duration, limits);
      }
      : undefined,
    looksLikeVideo,
  });
  const { sha256, md5 } = await exact;
  if (!info) throw new VideoError('not-media', 'The file is not a video ffmpeg can read (ffmpeg did not describe its input).');
  if (decoded.count === 0) throw new VideoError('no-frames', 'The video stream has no frames that could be decoded.');

  // Timestamps from showinfo, relative to the first frame (as vPDQ's frameNumber / fps is).
  const t0 = decoded.times[0] ?? 0;
  const frames = hashed.map(({ index, frame }) => {
    const t = decoded.times[index] !== undefined ? decoded.times[index] - t0 : index * interval;
    return { ...frame, t: Math.round(Math.max(0, t) * 1000) / 1000 };
  });
  const lastT = decoded.times.length > 0 ? decoded.times[decoded.times.length - 1] - t0 : (decoded.count - 1) * interval;
  const step = interval > 0 ? interval : info.frameRate > 0 ? 1 / info.frameRate : 0.04;
  if (!opts.allowTruncated && info.duration > 0 && isCutShort(lastT, step, info.duration, maxSeconds)) {
    // ffmpeg's log gives only the container's duration, which a longer audio track can stretch: before
    // refusing such a file, ffprobe is asked for the video stream's own.
    const declared = info.durationReliable === false ? (await probe(tools, input, limits.probeTimeoutMs, opts.watch, looksLikeVideo)).duration : info.duration;
    if (declared > 0 && isCutShort(lastT, step, declared, maxSeconds)) {
      throw new VideoError(
        'truncated',
        `The video is truncated or damaged: its frames stop at ${formatDuration(lastT)} of the ${formatDuration(declared)} its container declares.`,
      );
    }
  }
  const fp: VideoFingerprint = {
    kind: 'video',
    sha256,
    md5,
    duration: Math.round((info.duration > 0 ? info.duration : lastT + step) * 1000) / 1000,
    width: info.width,
    height: info.height,
    format: info.format,
    interval,
    frames,
  };
  if (opts.keyframes) {
    const keyframes = await videoFileKeyframes(absolute, { side: opts.keyframes, tools, limits, info, threads: opts.decodeThreads, watch: opts.watch });
    fp.keyframes = keyframes.map((k) => ({ t: k.timeSec, features: featuresToBase64(k.features) }));
  }
  return fp;
}

/**
 * True when decoding stopped well before the declared end: more than two sampling steps and more than
 * 10% short (containers round their durations, and the last sample sits up to one step before the end).
 */
export function isCutShort(lastT: number, step: number, declared: number, cap: number): boolean {
  const expectedEnd = Math.min(declared, cap);
  const missing = expectedEnd - (lastT + step);
  return missing > 2 * step && missing > 0.1 * expectedEnd;
}

/**
 * For bytes already in memory (a crawler's download): written to a private temporary file, because
 * MP4 files with their index at the end cannot be decoded from a pipe. The file is removed afterwards.
 */
export async function fingerprintVideoBuffer(bytes: Uint8Array, opts: VideoFingerprintOptions = {}): Promise<VideoFingerprint> {
  if (bytes.length === 0) throw new VideoError('empty', 'The file is empty (0 bytes).');
  const dir = await mkdtemp(join(tmpdir(), 'staydown-video-'));
  try {
    const file = join(dir, 'input');
    await writeFile(file, bytes, { mode: 0o600 });
    return await fingerprintVideoFile(file, opts);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function head(path: string): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const buf = new Uint8Array(4096);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

async function exactHashes(path: string): Promise<{ sha256: string; md5: string }> {
  const sha = createHash('sha256');
  const md5 = createHash('md5');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    sha.update(chunk as Buffer);
    md5.update(chunk as Buffer);
  }
  return { sha256: sha.digest('hex'), md5: md5.digest('hex') };
}
