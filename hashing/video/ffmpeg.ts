/**
 * The one adapter to ffmpeg: the only module that imports fluent-ffmpeg or starts ffmpeg/ffprobe.
 * It runs argument lists built by `ffmpeg-args.ts` and returns staydown's own types; every child it
 * starts is killed (SIGKILL) on timeout or error and awaited before the call returns, so none is left
 * running.
 *
 * fluent-ffmpeg is archived upstream; it is used for the decode commands (argument assembly, stderr
 * lines, kill). Its ffprobe helper has no timeout and no handle to kill, so ffprobe is spawned directly.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import ffmpeg from 'fluent-ffmpeg';
import { commandArgv, type FfmpegCommandSpec, probeArgs } from './ffmpeg-args.ts';
import { classifyFfmpegFailure, parseProbe, VideoError, type VideoProbe } from './probe.ts';

export interface FfmpegTools {
  ffmpeg: string;
  ffprobe: string;
}

export const INSTALL_HINT = 'install it with `apt-get install -y ffmpeg` (Debian/Ubuntu) or point FFMPEG_PATH at an ffmpeg binary';

/**
 * Where ffmpeg and ffprobe are. The service's configuration module (services/config.ts) reads
 * FFMPEG_PATH / FFPROBE_PATH and hands them here through `configureFfmpeg`; this module never reads
 * the environment for them. Plain data, so it crosses to the video host process with each job.
 */
export interface FfmpegLocation {
  /** The ffmpeg binary (FFMPEG_PATH); default: `ffmpeg` on the search path. */
  ffmpegPath?: string;
  /** The ffprobe binary (FFPROBE_PATH); default: `ffprobe` beside ffmpeg, else on the search path. */
  ffprobePath?: string;
  /**
   * Directories searched for a binary not given by path (default: this process's PATH - the operating
   * system's search path, the one `spawn` itself uses, not a staydown setting).
   */
  searchPath?: string;
}

let configured: FfmpegLocation = {};

/** Sets where ffmpeg/ffprobe are for every later `locateTools()` in this process (empty strings mean "not given"). */
export function configureFfmpeg(location: FfmpegLocation): void {
  configured = Object.freeze({ ...location });
}

/** What `configureFfmpeg` last set (the video host is handed this, as a forked process starts unconfigured). */
export function configuredFfmpeg(): FfmpegLocation {
  return configured;
}

/**
 * Finds ffmpeg (`ffmpegPath`, else the search path) and ffprobe (`ffprobePath`, else beside ffmpeg, else
 * the search path); `location` defaults to what `configureFfmpeg` set. Throws a VideoError that says how
 * to install ffmpeg when either is missing.
 */
export function locateTools(location: FfmpegLocation = configured): FfmpegTools {
  const path = location.searchPath ?? process.env.PATH ?? '';
  const ffmpegBin = location.ffmpegPath ? executable(location.ffmpegPath) : onPath('ffmpeg', path);
  if (!ffmpegBin) {
    const where = location.ffmpegPath ? 'at FFMPEG_PATH' : 'on PATH';
    throw new VideoError('ffmpeg-missing', `Videos need ffmpeg, which was not found ${where}: ${INSTALL_HINT}. Images are not affected.`);
  }
  const ffprobeBin = location.ffprobePath ? executable(location.ffprobePath) : (executable(join(dirname(ffmpegBin), 'ffprobe')) ?? onPath('ffprobe', path));
  if (!ffprobeBin) {
    throw new VideoError('ffmpeg-missing', `Videos need ffprobe (part of the ffmpeg package), which was not found: ${INSTALL_HINT}. Images are not affected.`);
  }
  return { ffmpeg: ffmpegBin, ffprobe: ffprobeBin };
}

function executable(p: string): string | undefined {
  try {
    accessSync(p, constants.X_OK);
    return p;
  } catch {
    return undefined;
  }
}

function onPath(name: string, path: string): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const found = executable(join(dir, name));
    if (found) return found;
  }
  return undefined;
}

/** Something that watches the children this adapter starts (tests use it to prove none survives). */
export interface ChildWatcher {
  onSpawn?(pid: number): void;
}

/** Runs ffprobe on an input (see `fileInput`) and parses what it says; kills it after `timeoutMs`. */
export async function probe(tools: FfmpegTools, input: string, timeoutMs: number, watch: ChildWatcher = {}, looksLikeVideo = true): Promise<VideoProbe> {
  const child = spawn(tools.ffprobe, probeArgs(input), { stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid !== undefined) watch.onSpawn?.(child.pid);
  const out: Buffer[] = [];
  let outBytes = 0;
  let err = '';
  child.stdout.on('data', (b: Buffer) => {
    // A probe of a sane file is a few KiB; a container with thousands of streams is refused.
    if ((outBytes += b.length) <= 4 << 20) out.push(b);
    else child.kill('SIGKILL');
  });
  child.stderr.on('data', (b: Buffer) => {
    if (err.length < 65536) err += b.toString('utf8');
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.on('error', (e) => reject(new VideoError('ffmpeg-missing', `ffprobe could not be started (${(e as NodeJS.ErrnoException).code ?? 'error'}): ${INSTALL_HINT}.`, { cause: e })));
    child.on('close', (c, s) => resolve([c, s]));
  }).finally(() => clearTimeout(timer));
  if (timedOut) throw new VideoError('timeout', `ffprobe did not finish reading the file within ${timeoutMs / 1000} s and was stopped; the file may be on a stalled device or built to hang readers.`);
  if (signal) throw new VideoError('ffmpeg-failed', `ffprobe was stopped by signal ${signal} while reading the file.`);
  if (code !== 0) throw classifyFfmpegFailure(err, 'ffprobe', looksLikeVideo);
  return parseProbe(Buffer.concat(out).toString('utf8'));
}

export interface DecodeBudget {
  /** Kill ffmpeg when it hands over nothing (no frame bytes, no log line) for this long. */
  stallMs: number;
  /** Kill ffmpeg when the whole decode takes longer than this. */
  totalMs: number;
}

export interface DecodedFrames {
  /** Frames handed to `onFrame`. */
  count: number;
  /** Each frame's presentation time in seconds, as ffmpeg's showinfo logged it, in output order. */
  times: number[];
}

const SHOWINFO = /\bn:\s*\d+\s+pts:\s*-?\d+\s+pts_time:(-?[0-9.eE+-]+)/;

export interface RawDecodeOptions {
  tools: FfmpegTools;
  /** A decode command writing raw frames to 'pipe:1' (ffmpeg-args.ts). */
  command: FfmpegCommandSpec;
  /** Bytes of one frame (width x height x 3 for rgb24). */
  frameBytes: number;
  /** Called with each whole frame; the buffer is reused, so copy what you keep. */
  onFrame: (frame: Uint8Array, index: number) => void;
  budget: DecodeBudget;
  watch?: ChildWatcher;
  /**
   * Called once with the `Input #0` block of ffmpeg's log (the inline probe): throwing stops ffmpeg,
   * returning a number of ms replaces the total budget.
   */
  onInput?: (header: string[]) => number | void;
  /** Whether the bytes looked like a video, which decides how a failure is worded (default true). */
  looksLikeVideo?: boolean;
}

/**
 * Runs a raw-video decode command (output 'pipe:1') and calls `onFrame` with each whole frame of
 * `frameBytes` bytes as it arrives (the buffer is reused: copy what you keep). Backpressure holds
 * ffmpeg when `onFrame` is slow, so memory stays at a few frames whatever the video's length.
 */
export async function decodeRawFrames(opts: RawDecodeOptions): Promise<DecodedFrames> {
  const { tools, command: cmd, frameBytes, onFrame, budget, watch = {}, onInput, looksLikeVideo = true } = opts;
  if (cmd.output !== 'pipe:1') throw new Error('decodeRawFrames needs a command writing to pipe:1.');
  const frame = new Uint8Array(frameBytes);
  let filled = 0;
  let count = 0;
  const times: number[] = [];
  const tail: string[] = [];
  let failure: unknown;
  let stopReason: VideoError | undefined;
  // The `Input #0` block of ffmpeg's log, for `onInput` (null until it starts).
  let header: string[] | null = null;
  let headerDone = !onInput;

  const command = ffmpeg({ stdoutLines: 0 });
  command.setFfmpegPath(tools.ffmpeg);
  command.input(cmd.input);
  addOptions(command, 'inputOptions', cmd.inputOptions);
  addOptions(command, 'outputOptions', cmd.outputOptions);

  let stallTimer: NodeJS.Timeout | undefined;
  const stop = (reason: VideoError) => {
    stopReason ??= reason;
    command.kill('SIGKILL');
  };
  const alive = () => {
    clearTimeout(stallTimer);
    stallTimer = setTimeout(
      () => stop(new VideoError('timeout', `ffmpeg stopped making progress for ${budget.stallMs / 1000} s and was stopped; the file may be built to hang decoders.`)),
      budget.stallMs,
    );
  };

  // No 'close' event: fluent-ffmpeg kills ffmpeg 20 ms after its output stream closes and reports
  // "Output stream closed" when, under load, ffmpeg's exit comes later than that.
  const sink = new Writable({
    emitClose: false,
    autoDestroy: false,
    write(chunk: Buffer, _enc, done) {
      alive();
      try {
        let at = 0;
        while (at < chunk.length) {
          const take = Math.min(frameBytes - filled, chunk.length - at);
          frame.set(chunk.subarray(at, at + take), filled);
          filled += take;
          at += take;
          if (filled === frameBytes) {
            onFrame(frame, count++);
            filled = 0;
          }
        }
      } catch (err) {
        failure ??= err;
        command.kill('SIGKILL');
      }
      done();
    },
  });
  command.output(sink);
  command.on('stderr', (line: string) => {
    alive();
    if (!headerDone) {
      if (header === null) {
        if (line.startsWith('Input #0,')) header = [line];
      } else if (/^\s/.test(line)) header.push(line);
      else endHeader();
    }
    const m = SHOWINFO.exec(line);
    if (m) times.push(Number(m[1]));
    else if (!line.includes('Parsed_showinfo')) {
      tail.push(line);
      if (tail.length > 40) tail.shift();
    }
  });
  command.on('start', () => {
    const pid = (command as unknown as { ffmpegProc?: { pid?: number } }).ffmpegProc?.pid;
    if (pid !== undefined) watch.onSpawn?.(pid);
  });

  const armTotal = (ms: number) =>
    setTimeout(() => stop(new VideoError('timeout', `ffmpeg did not finish decoding within ${Math.round(ms / 1000)} s and was stopped.`)), ms);
  let totalTimer = armTotal(budget.totalMs);
  /** Hands the input block to `onInput` once; what it refuses stops ffmpeg, a budget it returns replaces the total one. */
  function endHeader(): void {
    if (headerDone || header === null) return;
    headerDone = true;
    try {
      const totalMs = onInput!(header);
      if (typeof totalMs === 'number') {
        clearTimeout(totalTimer);
        totalTimer = armTotal(totalMs);
      }
    } catch (err) {
      stop(err instanceof VideoError ? err : new VideoError('ffmpeg-failed', 'ffmpeg described the video in a way staydown could not read.', { cause: err }));
    }
  }
  alive();
  try {
    await new Promise<void>((resolve, reject) => {
      command.on('end', () => resolve());
      command.on('error', (err: Error) => reject(err));
      command.run();
    });
  } catch (err) {
    endHeader();
    if (failure) throw failure;
    if (stopReason) throw stopReason;
    const text = tail.join('\n');
    if (/^ffmpeg exited with code/.test((err as Error).message) || text) {
      throw Object.assign(classifyFfmpegFailure(text, 'ffmpeg', looksLikeVideo), { cause: err });
    }
    throw new VideoError('ffmpeg-failed', 'ffmpeg could not be run to decode the video.', { cause: err });
  } finally {
    clearTimeout(totalTimer);
    clearTimeout(stallTimer);
  }
  endHeader();
  if (failure) throw failure;
  if (stopReason) throw stopReason;
  return { count, times };
}

/** Runs a command writing files (the benchmark's naive pipeline). */
export async function runToFiles(tools: FfmpegTools, cmd: FfmpegCommandSpec, timeoutMs: number): Promise<void> {
  const command = ffmpeg({ timeout: Math.ceil(timeoutMs / 1000) });
  command.setFfmpegPath(tools.ffmpeg);
  command.input(cmd.input);
  addOptions(command, 'inputOptions', cmd.inputOptions);
  addOptions(command, 'outputOptions', cmd.outputOptions);
  command.output(cmd.output);
  await new Promise<void>((resolve, reject) => {
    command.on('end', () => resolve());
    command.on('error', (err: Error) => reject(new VideoError('ffmpeg-failed', 'ffmpeg could not write the frames.', { cause: err })));
    command.run();
  });
}

/**
 * fluent-ffmpeg splits a lone option string on its one space ('-t 5' -> '-t', '5'), which would also
 * split a value that contains a space. Passing the options as separate arguments turns that off.
 */
function addOptions(command: ffmpeg.FfmpegCommand, which: 'inputOptions' | 'outputOptions', options: string[]): void {
  if (options.length === 0) return;
  const add = command[which] as (...opts: string[]) => ffmpeg.FfmpegCommand;
  if (options.length === 1) add.call(command, options[0]);
  else add.apply(command, options);
}

/** The argv fluent-ffmpeg will pass to ffmpeg for a command (for tests: must equal `commandArgv`). */
export function fluentArgv(cmd: FfmpegCommandSpec): string[] {
  const command = ffmpeg();
  command.input(cmd.input);
  addOptions(command, 'inputOptions', cmd.inputOptions);
  addOptions(command, 'outputOptions', cmd.outputOptions);
  command.output(cmd.output === 'pipe:1' ? new Writable({ write: (_c, _e, d) => d() }) : cmd.output);
  return (command as unknown as { _getArguments(): string[] })._getArguments();
}

export { commandArgv };
