/**
 * Decodes a video's frames for local features: grey (ffmpeg's luma plane), aspect ratio kept, the longer side at most
 * `maxSide` (the frame hashes' 128x128 squares are far too small for keypoints), sampled every
 * `interval` seconds, streamed into a KeyframeExtractor so only keyframes' features are kept.
 * The same ffmpeg adapter, limits and timeouts as fingerprintVideoFile (one more decode of the file;
 * fingerprintVideoFile runs it with `keyframes`, in the video host for the pool).
 */
import { resolve } from 'node:path';
import { fileInput, frameDecodeCommand } from './ffmpeg-args.ts';
import { type ChildWatcher, decodeRawFrames, type FfmpegTools, locateTools, probe } from './ffmpeg.ts';
import { KeyframeExtractor, type KeyframeFeatures, type KeyframeOptions } from './keyframes.ts';
import { checkLimits, decodeBudgetMs, DEFAULT_VIDEO_LIMITS, type VideoLimits, type VideoProbe } from './probe.ts';

export interface FeatureFrameOptions {
  /** Seconds between decoded frames (keyframes are chosen among them). */
  interval?: number;
  /**
   * Longer side of the decoded frames (default 640: registered keyframes are taken at 640 px anyway,
   * REFERENCE_OPTIONS; for queries 960 cost 108 CPU-ms of features per video second against 66 at
   * 640, with the same recall - bench:features --kenburns --sample 24: 23/24 both, --sample 32 35/36).
   */
  maxSide?: number;
  side?: 'query' | 'reference' | KeyframeOptions;
  tools?: FfmpegTools;
  limits?: Partial<VideoLimits>;
  /**
   * What is already known of the video (the frame-hash run just described it): no ffprobe is started,
   * so keyframes cost one more ffmpeg start and no more.
   */
  info?: VideoProbe;
  /** ffmpeg decoder threads (default 0: ffmpeg's choice); 1 for a crawler decoding several videos at once. */
  threads?: number;
  watch?: ChildWatcher;
}

export async function videoFileKeyframes(path: string, opts: FeatureFrameOptions = {}): Promise<KeyframeFeatures[]> {
  const limits: VideoLimits = { ...DEFAULT_VIDEO_LIMITS, ...opts.limits };
  const interval = opts.interval ?? 0.5;
  const maxSide = opts.maxSide ?? 640;
  const tools = opts.tools ?? locateTools();
  const input = fileInput(resolve(path));
  const info = opts.info ?? (await probe(tools, input, limits.probeTimeoutMs, opts.watch));
  checkLimits(info, limits);
  const s = Math.min(1, maxSide / Math.max(info.width, info.height));
  // Even sizes (some scalers and pixel formats want them).
  const width = Math.max(2, 2 * Math.round((info.width * s) / 2));
  const height = Math.max(2, 2 * Math.round((info.height * s) / 2));
  const cmd = frameDecodeCommand(input, {
    interval,
    width,
    height,
    maxSeconds: limits.maxDurationSeconds,
    maxFrames: Math.ceil(limits.maxDurationSeconds / interval) + 1,
    fast: true,
    threads: Math.max(0, Math.floor(opts.threads ?? 0)),
    pixelFormat: 'gray',
  });
  const kx = new KeyframeExtractor(opts.side ?? 'query');
  const decoded = await decodeRawFrames({
    tools,
    command: cmd,
    frameBytes: width * height,
    // The frame's time is known only once showinfo's log line is read: the sampling grid stands in
    // for it while streaming (and names the frame), and the logged times replace it below.
    onFrame: (grey, index) => {
      // The buffer is reused for the next frame: push() extracts what it keeps before returning.
      kx.push({ timeSec: index * interval, grey: { width, height, data: grey } });
    },
    budget: { stallMs: limits.stallTimeoutMs, totalMs: decodeBudgetMs(info.duration, limits) },
    watch: opts.watch,
  });
  const t0 = decoded.times[0] ?? 0;
  return kx.keyframes().map((k) => {
    const t = decoded.times[Math.round(k.timeSec / interval)];
    return t === undefined ? k : { ...k, timeSec: Math.round(Math.max(0, t - t0) * 1000) / 1000 };
  });
}
