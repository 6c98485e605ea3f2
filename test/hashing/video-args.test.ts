import { describe, expect, it } from 'vitest';
import { commandArgv, fileInput, formatNumber, frameDecodeCommand, frameFilter, naiveJpegCommand, probeArgs, selectExpression } from '../../hashing/video/ffmpeg-args.ts';
import { fluentArgv } from '../../hashing/video/ffmpeg.ts';
import { parseInputHeader } from '../../hashing/video/probe.ts';

const SELECT_1S = 'isnan(prev_selected_t)+gte(t-start_t\\,(floor((prev_selected_t-start_t)/1+0.001)+1)*1-0.001)';

describe('ffmpeg argument lists (pure)', () => {
  it('samples one frame a second on a grid anchored at the first frame', () => {
    expect(selectExpression(1)).toBe(SELECT_1S);
    expect(selectExpression(0.5)).toBe('isnan(prev_selected_t)+gte(t-start_t\\,(floor((prev_selected_t-start_t)/0.5+0.001)+1)*0.5-0.001)');
  });

  it('builds the filter chain: select, area scale to 128x128, RGB24, showinfo', () => {
    expect(frameFilter({ interval: 1, width: 128, height: 128 })).toBe(`select=${SELECT_1S},scale=128:128:flags=area,format=rgb24,showinfo`);
    expect(frameFilter({ interval: 0, width: 128, height: 128 })).toBe('scale=128:128:flags=area,format=rgb24,showinfo');
    // Keyframes for local features take the luma plane only (hashing/video/feature-frames.ts).
    expect(frameFilter({ interval: 0.5, width: 960, height: 540, pixelFormat: 'gray' })).toBe(`select=${selectExpression(0.5)},scale=960:540:flags=area,format=gray,showinfo`);
  });

  it('builds the fast one-frame-a-second decode command exactly', () => {
    const cmd = frameDecodeCommand('file:/v/a.mp4', { interval: 1, width: 128, height: 128, maxSeconds: 14400, maxFrames: 14401, fast: true, threads: 0 });
    expect(commandArgv(cmd)).toEqual([
      '-nostdin', '-hide_banner', '-loglevel', 'info', '-threads', '0',
      '-skip_loop_filter', 'all', '-skip_frame', 'noref',
      '-t', '14400',
      '-i', 'file:/v/a.mp4',
      '-map', '0:v:0', '-an', '-sn', '-dn',
      '-vf', `select=${SELECT_1S},scale=128:128:flags=area,format=rgb24,showinfo`,
      '-fps_mode', 'passthrough', '-frames:v', '14401', '-f', 'rawvideo', 'pipe:1',
    ]);
  });

  it('decodes every frame, without skipping any, in dense mode', () => {
    const cmd = frameDecodeCommand('file:/v/a.mp4', { interval: 0, width: 128, height: 128, maxSeconds: 60, maxFrames: 100, fast: true, threads: 2 });
    expect(cmd.inputOptions).toEqual(['-nostdin', '-hide_banner', '-loglevel', 'info', '-threads', '2', '-skip_loop_filter', 'all', '-t', '60']);
    expect(cmd.outputOptions).toContain('scale=128:128:flags=area,format=rgb24,showinfo');
  });

  it('leaves the decoder exact when fast is off', () => {
    const cmd = frameDecodeCommand('file:/v/a.mp4', { interval: 1, width: 128, height: 128, maxSeconds: 60, maxFrames: 61, fast: false, threads: 0 });
    expect(cmd.inputOptions).not.toContain('-skip_frame');
    expect(cmd.inputOptions).not.toContain('-skip_loop_filter');
  });

  it('gives the filters one thread too when the decoder has one (crawled clips)', () => {
    const one = frameDecodeCommand('file:/v/a.mp4', { interval: 1, width: 128, height: 128, maxSeconds: 60, maxFrames: 61, fast: true, threads: 1 });
    expect(one.inputOptions.slice(0, 8)).toEqual(['-nostdin', '-hide_banner', '-loglevel', 'info', '-threads', '1', '-filter_threads', '1']);
    expect(frameDecodeCommand('file:/v/a.mp4', { interval: 1, width: 128, height: 128, maxSeconds: 60, maxFrames: 61, fast: true, threads: 0 }).inputOptions).not.toContain('-filter_threads');
  });

  it('builds the naive JPEG pipeline and the ffprobe call exactly', () => {
    expect(commandArgv(naiveJpegCommand('file:/v/a.mp4', '/tmp/x/%06d.jpg', 1))).toEqual([
      '-nostdin', '-hide_banner', '-loglevel', 'error', '-i', 'file:/v/a.mp4', '-map', '0:v:0', '-vf', 'fps=1/1', '-q:v', '2', '/tmp/x/%06d.jpg',
    ]);
    expect(probeArgs('file:/v/a b.mp4')).toEqual(['-v', 'error', '-hide_banner', '-print_format', 'json', '-show_format', '-show_streams', 'file:/v/a b.mp4']);
  });

  it('names inputs so that no file name can pass for an option or a protocol', () => {
    expect(fileInput('/data/-i evil:name.mp4')).toBe('file:/data/-i evil:name.mp4');
    expect(() => fileInput('relative.mp4')).toThrow(/absolute/);
  });

  it('formats numbers without exponents and refuses nonsense', () => {
    expect(formatNumber(1)).toBe('1');
    expect(formatNumber(0.1 + 0.2)).toBe('0.3');
    expect(formatNumber(14400)).toBe('14400');
    expect(() => formatNumber(-1)).toThrow(/not negative/);
    expect(() => formatNumber(Number.NaN)).toThrow(/finite/);
  });

  it('is passed to ffmpeg by fluent-ffmpeg exactly as built, even with spaces in the input name', () => {
    const cmd = frameDecodeCommand('file:/v/my video.mp4', { interval: 1, width: 128, height: 128, maxSeconds: 60, maxFrames: 61, fast: true, threads: 0 });
    expect(fluentArgv(cmd)).toEqual(commandArgv(cmd));
    const naive = naiveJpegCommand('file:/v/a.mp4', '/tmp/x/%06d.jpg', 1);
    // fluent-ffmpeg adds -y (overwrite) after the input for file outputs; nothing else.
    const argv = commandArgv(naive);
    const at = argv.indexOf('-i') + 2;
    expect(fluentArgv(naive)).toEqual([...argv.slice(0, at), '-y', ...argv.slice(at)]);
  });
});

describe('parseInputHeader (ffmpeg describing its input, for the one-run inline probe)', () => {
  const header = (streams: string[], duration = '00:01:02.50') => [
    "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'file:/tmp/x/input':",
    '  Metadata:',
    '    major_brand     : isom',
    `  Duration: ${duration}, start: 0.000000, bitrate: 386 kb/s`,
    ...streams,
  ];
  const video = '  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(tv, bt709, progressive), 1920x1080 [SAR 1:1 DAR 16:9], 4000 kb/s, 29.97 fps, 29.97 tbr, 30k tbn (default)';

  it('reads container, codec, display size, duration and frame rate', () => {
    const p = parseInputHeader(header([video, '    Metadata:', '      handler_name    : VideoHandler']));
    expect(p).toEqual({ format: 'mov', codec: 'h264', width: 1920, height: 1080, duration: 62.5, frameRate: 29.97, hasAudio: false, durationReliable: true });
  });

  it('turns the size of a phone video recorded sideways, and trusts the duration less when audio could outlast the video', () => {
    const p = parseInputHeader(header([
      video,
      '    Side data:',
      '      displaymatrix: rotation of -90.00 degrees',
      '  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, stereo, fltp, 128 kb/s (default)',
    ]));
    expect([p.width, p.height, p.hasAudio, p.durationReliable]).toEqual([1080, 1920, true, false]);
  });

  it('skips a cover picture, reads "N/A" durations as unknown and "1k fps" as 1000', () => {
    const p = parseInputHeader(header([
      '  Stream #0:0: Video: mjpeg (Baseline), yuvj420p(pc, bt470bg/unknown/unknown), 600x600 [SAR 1:1 DAR 1:1], 90k tbr, 90k tbn (attached pic)',
      '  Stream #0:1: Video: vp9 (Profile 0), yuv420p(tv), 640x360, SAR 1:1 DAR 16:9, 1k fps, 1k tbr, 1k tbn',
    ], 'N/A'));
    expect([p.codec, p.width, p.height, p.duration, p.frameRate]).toEqual(['vp9', 640, 360, 0, 1000]);
  });

  it('refuses an input without a usable video stream with the same sentences as the ffprobe path', () => {
    expect(() => parseInputHeader(header(['  Stream #0:0(und): Audio: aac (LC), 44100 Hz, mono, fltp, 69 kb/s']))).toThrow(/no video stream \(it is audio only\)/);
    expect(() => parseInputHeader(header([]))).toThrow(/found no video stream/);
    expect(() => parseInputHeader(header(['  Stream #0:0: Video: h264, yuv420p, 0x0, 25 fps']))).toThrow(/no frame size/);
    expect(() => parseInputHeader(['something else'])).toThrow(/did not describe its input/);
  });
});
