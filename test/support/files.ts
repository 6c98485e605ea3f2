import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** A short test video made by ffmpeg (testsrc2 with noise), never downloaded. */
export function makeVideo(path: string, seconds = 2): void {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=320x240:rate=10:duration=${seconds}`, '-vf', 'noise=alls=20:allf=t', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', path], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(`ffmpeg could not make a test video (${r.error?.message ?? r.stderr}); install it with 'apt-get install -y ffmpeg'.`);
  }
}

/** Needles to look for: the whole file, a 48-byte run from its middle, in raw, hex and base64 forms. */
export function needles(bytes: Buffer): Array<{ what: string; bytes: Buffer }> {
  const mid = bytes.subarray(Math.floor(bytes.length / 2), Math.floor(bytes.length / 2) + 48);
  return [
    { what: 'whole file', bytes },
    { what: 'middle run', bytes: mid },
    { what: 'middle run as hex', bytes: Buffer.from(mid.toString('hex')) },
    { what: 'middle run as base64', bytes: Buffer.from(mid.toString('base64').slice(4, 52)) },
  ];
}

/** Every regular file under `dir`, recursively. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Which needles occur in which of the haystacks (file paths or named buffers). */
export function findNeedles(haystacks: Array<{ name: string; data: Buffer }>, list: Array<{ what: string; bytes: Buffer }>): string[] {
  const found: string[] = [];
  for (const h of haystacks) for (const n of list) if (h.data.includes(n.bytes)) found.push(`${n.what} in ${h.name}`);
  return found;
}

export function readAll(paths: string[]): Array<{ name: string; data: Buffer }> {
  return paths.filter((p) => statSync(p).size > 0).map((p) => ({ name: p, data: readFileSync(p) }));
}
