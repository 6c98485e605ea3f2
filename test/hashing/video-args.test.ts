import { describe, expect, it } from 'vitest';
import { commandArgv, fileInput, formatNumber, frameDecodeCommand, frameFilter, naiveJpegCommand, probeArgs, selectExpression } from '../../hashing/video/ffmpeg-args.ts';
import { fluentArgv } from '../../hashing/video/ffmpeg.ts';

const SELECT_1S = 'isnan(prev_selected_t)+gte(t-start_t\\,(floor((prev_selected_t-start_t)/1+0.001)+1)*1-0.001)';

describe('ffmpeg argument lists (pure)', () => {
  it('samples one frame a second on a grid anchored at the first frame', () => {
    expect(selectExpression(1)).toBe(SELECT_1S);
    expect(selectExpression(0.5)).toBe('isnan(prev_selected_t)+gte(t-start_t\\,(floor((prev_selected_t-start_t)/0.5+0.001)+1)*0.5-0.001)');
  });

  it('builds the filter chain: select, area scale to 128x128, RGB24, showinfo', () => {
    expect(frameFilter({ interval: 1, width: 128, height: 128 })).toBe(`select=${SELECT_1S},scale=128:128:flags=area,format=rgb24,showinfo`);
    expect(frameFilter({ interval: 0, width: 128, height: 128 })).toBe('scale=128:128:flags=area,format=rgb24,showinfo');
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
