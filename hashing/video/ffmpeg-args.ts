/**
 * ffmpeg and ffprobe argument lists, built as plain data by pure functions (STYLE.md habit 2) so that
 * tests can assert them exactly without running anything. The adapter (`ffmpeg.ts`) only runs them.
 *
 * How frames are sampled and why (the documented sampling of `staydown hash`):
 * - Interval mode (default: one frame a second): the first frame, then the first frame at or after each
 *   whole multiple of the interval from the video's start. The grid is anchored at the start, so a
 *   frame that arrives late (a skipped B-frame, variable frame rate) never makes the grid drift. vPDQ's
 *   reference picks every `floor(fps * interval)`-th decoded frame instead; on constant-rate video the
 *   two pick the same frames.
 * - Dense mode (interval 0, used when registering material): every decoded frame. Uploads are trimmed at
 *   arbitrary points, so a query sampled once a second lands anywhere between the reference's samples;
 *   on hand-held footage frames 0.1 s apart are already ~50 bits apart, so only a dense reference lets
 *   a sparse query find its frames (and lets a still grabbed at any moment find its timestamp).
 * - Frames are scaled straight to 128x128 RGB24 with area averaging, as vPDQ does when it pre-scales
 *   (its `-128x128` sample hashes): the Jarosz filter then has a window of 1, so nothing is lost by
 *   not scaling larger, and each frame is 48 KiB through the pipe. Aspect ratio is not kept, as in vPDQ.
 */

/** What to decode and how. */
export interface FrameDecodeSpec {
  /** Seconds between sampled frames; 0 means every frame. */
  interval: number;
  /** Size of the frames ffmpeg hands over (RGB24): 128x128 normally, the video's own for conformance. */
  width: number;
  height: number;
  /** Stop after this many seconds of input, whatever the container claims (a cap, not a trim). */
  maxSeconds: number;
  /** Stop after this many output frames (a second bound on memory and time). */
  maxFrames: number;
  /**
   * Speed-ups that change no sampled timestamp by more than a few frames and no hash by more than a
   * few bits: skip the in-loop deblocking filter, and (interval mode only) skip decoding frames no
   * other frame refers to. Off for the conformance run that compares frame by frame.
   */
  fast: boolean;
  /** ffmpeg decoder threads; 0 lets ffmpeg choose (cores + 1 for frame threading). */
  threads: number;
  /**
   * Pixels handed over: 'rgb24' (default; PDQ hashes colour frames) or 'gray' (one byte a pixel, the
   * luma plane: what local features use, a third of the pipe and no colour conversion).
   */
  pixelFormat?: 'rgb24' | 'gray';
}

export const DEFAULT_FRAME_SIDE = 128;

/** A command for the adapter: options before `-i`, the input, options after it, the output. */
export interface FfmpegCommandSpec {
  inputOptions: string[];
  input: string;
  outputOptions: string[];
  /** 'pipe:1' for stdout, else a file name or pattern. */
  output: string;
}

/**
 * How staydown names a local file to ffmpeg: `file:` and an absolute path, so that a name starting with
 * '-' is never read as an option and one containing ':' never as another protocol.
 */
export function fileInput(absolutePath: string): string {
  if (!absolutePath.startsWith('/')) throw new Error(`ffmpeg inputs must be absolute paths; got a relative one.`);
  return `file:${absolutePath}`;
}

/** Small tolerance against timestamps like 0.99999 for a frame meant to be at 1 s. */
const GRID_EPSILON = 0.001;

/**
 * The `select` expression for interval sampling. `start_t` is the first frame's time, so the grid is
 * relative to the start; `prev_selected_t` is NaN until the first frame is taken.
 */
export function selectExpression(interval: number): string {
  const s = formatNumber(interval);
  const e = formatNumber(GRID_EPSILON);
  return `isnan(prev_selected_t)+gte(t-start_t\\,(floor((prev_selected_t-start_t)/${s}+${e})+1)*${s}-${e})`;
}

/** The filter chain: sample, scale with area averaging to RGB24, log each frame's timestamp. */
export function frameFilter(spec: Pick<FrameDecodeSpec, 'interval' | 'width' | 'height' | 'pixelFormat'>): string {
  const parts: string[] = [];
  if (spec.interval > 0) parts.push(`select=${selectExpression(spec.interval)}`);
  // showinfo sits after the scaler so it checksums 48 KiB, not a full frame; its `pts_time` is how we
  // learn each frame's timestamp (raw video on a pipe carries none).
  parts.push(`scale=${spec.width}:${spec.height}:flags=area`, `format=${spec.pixelFormat ?? 'rgb24'}`, 'showinfo');
  return parts.join(',');
}

/** Decode the first video stream into raw RGB24 frames on stdout. */
export function frameDecodeCommand(input: string, spec: FrameDecodeSpec): FfmpegCommandSpec {
  const inputOptions = ['-nostdin', '-hide_banner', '-loglevel', 'info', '-threads', String(spec.threads)];
  // One decoder thread: the filters (a scale of one frame a second) get one too instead of one per core.
  if (spec.threads === 1) inputOptions.push('-filter_threads', '1');
  if (spec.fast) {
    inputOptions.push('-skip_loop_filter', 'all');
    if (spec.interval > 0) inputOptions.push('-skip_frame', 'noref');
  }
  inputOptions.push('-t', formatNumber(spec.maxSeconds));
  return {
    inputOptions,
    input,
    outputOptions: [
      '-map', '0:v:0',
      '-an', '-sn', '-dn',
      '-vf', frameFilter(spec),
      '-fps_mode', 'passthrough',
      '-frames:v', String(spec.maxFrames),
      '-f', 'rawvideo',
    ],
    output: 'pipe:1',
  };
}

/**
 * The naive pipeline the benchmark compares against: ffmpeg writes every sampled frame as a JPEG at
 * full size (one a second via the `fps` filter), and the files are hashed afterwards.
 */
export function naiveJpegCommand(input: string, outputPattern: string, interval: number): FfmpegCommandSpec {
  return {
    inputOptions: ['-nostdin', '-hide_banner', '-loglevel', 'error'],
    input,
    outputOptions: ['-map', '0:v:0', '-vf', `fps=1/${formatNumber(interval)}`, '-q:v', '2'],
    output: outputPattern,
  };
}

/** ffprobe: streams and container as JSON, nothing decoded beyond what probing needs. */
export function probeArgs(input: string): string[] {
  return ['-v', 'error', '-hide_banner', '-print_format', 'json', '-show_format', '-show_streams', input];
}

/** The full argv a command spec becomes (for tests and error reports). */
export function commandArgv(cmd: FfmpegCommandSpec): string[] {
  return [...cmd.inputOptions, '-i', cmd.input, ...cmd.outputOptions, cmd.output];
}

/** Decimal without exponent or trailing noise: 1 -> "1", 0.5 -> "0.5", 14400 -> "14400". */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n) || n < 0) throw new Error(`An ffmpeg number must be finite and not negative; got ${n}.`);
  return String(Number(n.toFixed(6)));
}
