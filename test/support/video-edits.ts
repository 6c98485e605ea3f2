/**
 * The edit set for video matching: the ways re-uploads change a registered video, made with the real
 * ffmpeg from the shared sample videos. Small and bounded (SD, <= 22 s, ultrafast encodes) and cached
 * under the system temp dir by a hash of the command, so a second run costs nothing.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vector } from './vectors.ts';

export const SAMPLES = vector('vpdq', 'videos');
export const sample = (name: string) => join(SAMPLES, `${name}.mp4`);

export interface VideoEdit {
  name: string;
  /** Which sample video the edit starts from (its registered reference). */
  source: string;
  /** ffmpeg arguments between the input and the output (filters, seeks, codec settings). */
  args: string[];
  /** Extra input arguments placed before `-i` (seeks). */
  inputArgs?: string[];
}

const X264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '23', '-pix_fmt', 'yuv420p', '-an'];
const SEPIA = 'colorchannelmixer=.393:.769:.189:0:.349:.686:.168:0:.272:.534:.131';

/** Every edit the issue names, on the longest sample (22 s) and on a second, unrelated one. */
export function editSet(): VideoEdit[] {
  const edits: VideoEdit[] = [];
  for (const source of ['chair-orig-22-sd-bar', 'pattern-hd-no-bar']) {
    edits.push(
      { name: 'reencode-low-bitrate', source, args: ['-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '400k', '-an'] },
      { name: 'downscale-360p', source, args: ['-vf', 'scale=-2:360', ...X264] },
      { name: 'letterbox', source, args: ['-vf', 'pad=iw:ih*4/3:0:(oh-ih)/2:black', ...X264] },
      { name: 'pillarbox', source, args: ['-vf', 'scale=-2:480,pad=ih*16/9:ih:(ow-iw)/2:0:black', ...X264] },
      { name: 'mirror', source, args: ['-vf', 'hflip', ...X264] },
      { name: 'logo', source, args: ['-vf', 'drawbox=x=iw*0.62:y=ih*0.05:w=iw*0.3:h=ih*0.1:color=white@0.85:t=fill,drawbox=x=iw*0.64:y=ih*0.07:w=iw*0.1:h=ih*0.06:color=red@0.9:t=fill', ...X264] },
      { name: 'fps-24', source, args: ['-vf', 'fps=24', ...X264] },
      { name: 'fps-15', source, args: ['-vf', 'fps=15', ...X264] },
      { name: 'greyscale', source, args: ['-vf', 'hue=s=0', ...X264] },
      { name: 'sepia', source, args: ['-vf', SEPIA, ...X264] },
    );
  }
  // A clip of >= 10 s cut at a point that is not on the reference's one-second grid.
  edits.push({ name: 'clip-11s-at-7.4s', source: 'chair-orig-22-sd-bar', inputArgs: ['-ss', '7.4'], args: ['-t', '11', ...X264] });
  edits.push({ name: 'clip-10s-at-3.7s-360p', source: 'chair-orig-22-sd-bar', inputArgs: ['-ss', '3.7'], args: ['-t', '10', '-vf', 'scale=-2:360', ...X264] });
  return edits;
}

/** The sample videos that are edits of another sample (made by the vPDQ authors): query -> reference. */
export const SAMPLE_PAIRS: Array<[string, string]> = [
  ['chair-22-sd-grey-bar', 'chair-orig-22-sd-bar'],
  ['chair-22-sd-sepia-bar', 'chair-orig-22-sd-bar'],
  ['chair-22-with-large-logo-bar', 'chair-orig-22-sd-bar'],
  ['chair-22-with-small-logo-bar', 'chair-orig-22-sd-bar'],
  ['chair-19-sd-bar', 'chair-orig-22-sd-bar'],
  ['chair-20-sd-bar', 'chair-orig-22-sd-bar'],
  ['pattern-sd-grey-bar', 'pattern-hd-no-bar'],
  ['pattern-sd-with-large-logo-bar', 'pattern-hd-no-bar'],
  ['pattern-sd-with-small-logo-bar', 'pattern-hd-no-bar'],
  ['pattern-longer-no-bar', 'pattern-hd-no-bar'],
];

/** Distinct sample videos: none may match another. */
export const DISTINCT = ['chair-orig-22-sd-bar', 'pattern-hd-no-bar', 'doorknob-hd-no-bar', 'test-padded-dimensions'];

export function fixtureDir(): string {
  const dir = join(tmpdir(), 'staydown-video-fixtures');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Runs ffmpeg once per distinct command; returns the output path. */
export function makeVideo(inputArgs: string[], input: string, args: string[], ext = 'mp4'): string {
  const key = createHash('sha256').update(JSON.stringify([inputArgs, input, args])).digest('hex').slice(0, 16);
  const out = join(fixtureDir(), `${key}.${ext}`);
  if (existsSync(out)) return out;
  const partial = `${out}.part.${process.pid}.${ext}`;
  const r = spawnSync('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...inputArgs, '-i', input, ...args, partial], { encoding: 'utf8', timeout: 120_000 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error('ffmpeg is not installed: run `apt-get install -y ffmpeg` to run the video tests.');
  }
  if (r.status !== 0) throw new Error(`ffmpeg could not make a test video: ${r.stderr}`);
  renameSync(partial, out);
  return out;
}

export function makeEdit(edit: VideoEdit): string {
  return makeVideo(edit.inputArgs ?? [], sample(edit.source), edit.args);
}
