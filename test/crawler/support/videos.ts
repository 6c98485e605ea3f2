/** Test videos made with the system ffmpeg (synthetic test patterns), for the video and HLS fixture pages. */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function ffmpeg(args: string[]): void {
  const r = spawnSync(process.env.FFMPEG_PATH ?? 'ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], { encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error('The video fixtures need ffmpeg and it was not found: install it with `apt-get install -y ffmpeg` (or set FFMPEG_PATH).');
  }
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed: ${r.stderr}`);
}

/** An MP4 of `seconds` of a moving test pattern. */
export function makeMp4(dir: string, name: string, seconds = 4, pattern = 'testsrc2'): Buffer {
  const out = join(dir, name);
  ffmpeg(['-f', 'lavfi', '-i', `${pattern}=size=320x240:rate=10`, '-t', String(seconds), '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', out]);
  return readFileSync(out);
}

/** An HLS rendition (MPEG-TS segments of 1 s) plus a master playlist naming it; returns the file names. */
export function makeHls(dir: string, seconds = 4): { files: Map<string, Buffer>; segments: string[] } {
  ffmpeg(['-f', 'lavfi', '-i', `testsrc=size=320x240:rate=10`, '-t', String(seconds), '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10',
    '-f', 'hls', '-hls_time', '1', '-hls_list_size', '0', '-hls_segment_filename', join(dir, 'seg%d.ts'), join(dir, 'low.m3u8')]);
  writeFileSync(join(dir, 'master.m3u8'), '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=300000,RESOLUTION=320x240\nlow.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=90000,RESOLUTION=160x120\nmissing-tiny.m3u8\n');
  const files = new Map<string, Buffer>();
  for (const f of readdirSync(dir)) if (f.endsWith('.ts') || f.endsWith('.m3u8')) files.set(f, readFileSync(join(dir, f)));
  const segments = readFileSync(join(dir, 'low.m3u8'), 'utf8').split('\n').filter((l) => l.endsWith('.ts'));
  return { files, segments };
}
