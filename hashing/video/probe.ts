/**
 * What ffprobe says about a file, cleaned into staydown's own type, and the limits a video must pass
 * before any frame is decoded. Pure: the adapter runs ffprobe, this module reads its JSON.
 */

/** A file ffmpeg cannot turn into a fingerprint. `message` is a full sentence without the file's name. */
export class VideoError extends Error {
  override name = 'VideoError';
  constructor(
    readonly code: VideoErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type VideoErrorCode =
  | 'ffmpeg-missing'
  | 'empty'
  | 'not-media'
  | 'truncated'
  | 'no-video'
  | 'no-frames'
  | 'too-long'
  | 'too-large'
  | 'timeout'
  | 'ffmpeg-failed';

/** Caps on what a video may claim before staydown spends time on it (configurable per call). */
export interface VideoLimits {
  /** Longest video accepted, in seconds (default 4 hours). */
  maxDurationSeconds: number;
  /** Widest or tallest frame accepted, in pixels (default 8192: 8K plus DCI widths). */
  maxSide: number;
  /** Most pixels a frame may have (default 7680x4320, 8K UHD). */
  maxPixels: number;
  /** Longest time ffprobe may take. */
  probeTimeoutMs: number;
  /** Longest time ffmpeg may go without handing over a frame or a log line before it counts as hung. */
  stallTimeoutMs: number;
  /** Longest total decode time, whatever the progress: a floor plus a multiple of the duration. */
  decodeTimeoutMs: { baseMs: number; perVideoSecondMs: number };
}

export const DEFAULT_VIDEO_LIMITS: Readonly<VideoLimits> = Object.freeze({
  maxDurationSeconds: 4 * 3600,
  maxSide: 8192,
  maxPixels: 7680 * 4320,
  probeTimeoutMs: 20_000,
  stallTimeoutMs: 30_000,
  // 60 s + a quarter of real time: a 4-hour video gets an hour, ten times what it needs here.
  decodeTimeoutMs: Object.freeze({ baseMs: 60_000, perVideoSecondMs: 250 }),
});

export interface VideoProbe {
  /** Container as ffprobe names it ('mov,mp4,m4a,3gp,3g2,mj2', 'matroska,webm', ...), first name only. */
  format: string;
  codec: string;
  /** Display size (after the rotation a phone recorded). */
  width: number;
  height: number;
  /** Seconds; 0 when neither stream nor container says. */
  duration: number;
  /** Frames per second as the stream declares it; 0 when unknown. */
  frameRate: number;
  hasAudio: boolean;
}

interface RawStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  duration?: string;
  nb_frames?: string;
  disposition?: { attached_pic?: number };
  tags?: Record<string, string>;
  side_data_list?: Array<{ rotation?: number }>;
}

interface RawProbe {
  streams?: RawStream[];
  format?: { format_name?: string; duration?: string };
}

/** Parses ffprobe's JSON (`-print_format json -show_format -show_streams`). */
export function parseProbe(json: string): VideoProbe {
  let raw: RawProbe;
  try {
    raw = JSON.parse(json) as RawProbe;
  } catch (err) {
    throw new VideoError('not-media', 'The file is not a video ffmpeg can read (its probe output was not readable).', { cause: err });
  }
  const streams = raw.streams ?? [];
  // A cover picture in an audio file is a "video" stream of one frame; it does not make a video.
  const video = streams.find((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1);
  const hasAudio = streams.some((s) => s.codec_type === 'audio');
  if (!video) {
    if (hasAudio) throw new VideoError('no-video', 'The file has no video stream (it is audio only).');
    throw new VideoError('not-media', 'The file is not a video: ffmpeg found no video stream in it.');
  }
  const w = video.width ?? 0;
  const h = video.height ?? 0;
  if (w <= 0 || h <= 0) throw new VideoError('not-media', 'The video stream has no frame size; the file is damaged or not a video.');
  const rotation = rotationOf(video);
  const sideways = Math.abs(rotation) % 180 === 90;
  const streamDuration = Number(video.duration);
  const formatDuration = Number(raw.format?.duration);
  const duration = Number.isFinite(streamDuration) && streamDuration > 0 ? streamDuration : Number.isFinite(formatDuration) && formatDuration > 0 ? formatDuration : 0;
  return {
    format: (raw.format?.format_name ?? 'unknown').split(',')[0],
    codec: video.codec_name ?? 'unknown',
    width: sideways ? h : w,
    height: sideways ? w : h,
    duration,
    frameRate: rate(video.avg_frame_rate) || rate(video.r_frame_rate),
    hasAudio,
  };
}

function rotationOf(s: RawStream): number {
  for (const sd of s.side_data_list ?? []) if (typeof sd.rotation === 'number') return sd.rotation;
  const tag = Number(s.tags?.rotate);
  return Number.isFinite(tag) ? tag : 0;
}

function rate(r: string | undefined): number {
  if (!r) return 0;
  const [n, d] = r.split('/').map(Number);
  if (!Number.isFinite(n) || !Number.isFinite(d) || d === 0) return 0;
  return n / d;
}

/**
 * Reads what ffmpeg itself prints about its input before it decodes anything (the `Input #0` block of
 * its log at level info), so a query video needs one ffmpeg run and no ffprobe run: each start of the
 * Debian build costs ~0.2 CPU-seconds, more than decoding a short clip. `lines` are the block's lines,
 * from `Input #0, ...` to the last indented one. The same cleaned type as `parseProbe`, with two
 * differences: the duration is the container's (ffmpeg's log gives no per-stream duration), and
 * `durationReliable` says so when other streams could make the container run longer than the video.
 */
export function parseInputHeader(lines: string[]): VideoProbe & { durationReliable: boolean } {
  const input = /^Input #0, (.+?), from /.exec(lines[0] ?? '');
  if (!input) throw new VideoError('not-media', 'The file is not a video ffmpeg can read (ffmpeg did not describe its input).');
  let duration = 0;
  let video: { codec: string; width: number; height: number; frameRate: number; rotation: number } | null = null;
  let inVideo = false;
  let streams = 0;
  let hasAudio = false;
  for (const line of lines.slice(1)) {
    const d = /^\s+Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)/.exec(line);
    if (d) {
      duration = Number(d[1]) * 3600 + Number(d[2]) * 60 + Number(d[3]);
      continue;
    }
    const st = /^\s+Stream #0:\d+[^:]*: (\w+): (.*)$/.exec(line);
    if (st) {
      streams++;
      inVideo = false;
      if (st[1] === 'Audio') hasAudio = true;
      if (st[1] !== 'Video' || video || /\(attached pic\)/.test(st[2])) continue;
      const size = /(?:^|, )(\d{1,6})x(\d{1,6})(?=[ ,]|$)/.exec(st[2]);
      const fps = /, ([\d.]+)(k?) fps/.exec(st[2]);
      video = {
        codec: /^(\w+)/.exec(st[2])?.[1] ?? 'unknown',
        width: size ? Number(size[1]) : 0,
        height: size ? Number(size[2]) : 0,
        frameRate: fps ? Number(fps[1]) * (fps[2] ? 1000 : 1) : 0,
        rotation: 0,
      };
      inVideo = true;
      continue;
    }
    const rot = inVideo ? /displaymatrix: rotation of (-?[\d.]+) degrees/.exec(line) : null;
    if (rot && video) video.rotation = Number(rot[1]);
  }
  if (!video) {
    if (hasAudio) throw new VideoError('no-video', 'The file has no video stream (it is audio only).');
    throw new VideoError('not-media', 'The file is not a video: ffmpeg found no video stream in it.');
  }
  if (video.width <= 0 || video.height <= 0) throw new VideoError('not-media', 'The video stream has no frame size; the file is damaged or not a video.');
  const sideways = Math.abs(Math.round(video.rotation)) % 180 === 90;
  return {
    format: input[1].split(',')[0],
    codec: video.codec,
    width: sideways ? video.height : video.width,
    height: sideways ? video.width : video.height,
    duration,
    frameRate: Number.isFinite(video.frameRate) ? video.frameRate : 0,
    hasAudio,
    durationReliable: streams === 1,
  };
}

/** Refuses a probed video that is over the caps, before anything is decoded. */
export function checkLimits(p: VideoProbe, limits: VideoLimits): void {
  if (p.duration > limits.maxDurationSeconds) {
    throw new VideoError(
      'too-long',
      `The video is ${formatDuration(p.duration)} long, over the ${formatDuration(limits.maxDurationSeconds)} limit for videos; raise the limit (maxDurationSeconds) to fingerprint it.`,
    );
  }
  if (p.width > limits.maxSide || p.height > limits.maxSide || p.width * p.height > limits.maxPixels) {
    throw new VideoError(
      'too-large',
      `The video's frames are ${p.width}x${p.height}, over the limit of ${limits.maxSide} pixels a side and ${limits.maxPixels} pixels a frame; raise the limits (maxSide, maxPixels) to fingerprint it.`,
    );
  }
}

/** The total decode budget for a video of this length. */
export function decodeBudgetMs(durationSeconds: number, limits: VideoLimits): number {
  const d = durationSeconds > 0 ? durationSeconds : limits.maxDurationSeconds;
  return limits.decodeTimeoutMs.baseMs + d * limits.decodeTimeoutMs.perVideoSecondMs;
}

export function formatDuration(seconds: number): string {
  if (seconds >= 3600) return `${(seconds / 3600).toFixed(seconds % 3600 === 0 ? 0 : 1)} h`;
  if (seconds >= 60) return `${(seconds / 60).toFixed(seconds % 60 === 0 ? 0 : 1)} min`;
  return `${seconds.toFixed(1)} s`;
}

/**
 * Turns ffmpeg/ffprobe's complaint into a sentence. Never quotes ffmpeg's own lines: they contain the
 * file's path, and a path can name a victim.
 */
export function classifyFfmpegFailure(stderr: string, tool: 'ffprobe' | 'ffmpeg', looksLikeVideo = true): VideoError {
  const s = stderr.toLowerCase();
  // ffmpeg picks a demuxer by the file's extension too, so a text file named .mp4 "has no moov atom":
  // only a file that starts like a video container can be a truncated one.
  if (!looksLikeVideo && !s.includes('no such file') && !s.includes('permission denied')) {
    return new VideoError('not-media', 'The file is not a video ffmpeg can read (it does not start like any video container).');
  }
  if (s.includes('moov atom not found') || s.includes('end of file') || s.includes('truncat') || s.includes('partial file')) {
    return new VideoError('truncated', 'The video is truncated or damaged: its data ends before the container says it should.');
  }
  if (s.includes('invalid data found') || s.includes('could not find codec parameters') || s.includes('unknown format')) {
    return new VideoError('not-media', 'The file is not a video ffmpeg can read (its data is not in any format ffmpeg knows).');
  }
  if (s.includes('no such file')) return new VideoError('not-media', 'The file does not exist.');
  if (s.includes('permission denied')) return new VideoError('not-media', 'The file cannot be read (permission denied).');
  return new VideoError('ffmpeg-failed', `${tool} could not read the video; it may be damaged or in a format this ffmpeg build does not support.`);
}
