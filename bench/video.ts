/**
 * npm run bench:video [-- --json] [-- --minutes N]
 *
 * 1. Speed: fingerprinting a 10-minute 720p and a 10-minute 1080p H.264 file (x264 veryfast, CRF 23,
 *    made once from the sample videos and cached under /tmp), as a multiple of real time, side by side
 *    with the naive pipeline (ffmpeg writes every sampled frame as a full-size JPEG, then each file is
 *    decoded and PDQ-hashed), each in its own child process so peak RSS is its own (Node and ffmpeg).
 * 2. Matching: recall and false matches on the edit set of the sample videos, with the reference rule
 *    (vPDQ: one frame a second on both sides, query share >= 80% at distance 31) side by side with
 *    staydown's defaults (query one frame a second with views, registered video hashed densely).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { pdqFromRgb } from '../hashing/pdq-hasher.ts';
import type { VideoFingerprint } from '../hashing/types.ts';
import { locateTools, runToFiles } from '../hashing/video/ffmpeg.ts';
import { fileInput, naiveJpegCommand } from '../hashing/video/ffmpeg-args.ts';
import { matchVideo, vpdqReferenceRule } from '../hashing/video/match-video.ts';
import { fingerprintVideoFile } from '../hashing/video/video-fingerprint.ts';
import { DISTINCT, editSet, makeEdit, sample, SAMPLE_PAIRS } from '../test/support/video-edits.ts';
import { log, report } from './support.ts';

const CACHE = '/tmp/staydown-bench-video';
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const MINUTES = Number(arg('--minutes') ?? 10);

// ---- child mode: one pipeline on one file, prints {seconds, nodeRssMb, ffmpegRssMb, frames} ----------

/** Peak RSS of the ffmpeg children, read from /proc while they run (VmHWM is their high-water mark). */
function watchChildren() {
  const pids = new Set<number>();
  let peakKb = 0;
  const poll = setInterval(() => {
    for (const pid of pids) {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
      } catch {
        pids.delete(pid);
      }
    }
  }, 50);
  return { onSpawn: (pid: number) => pids.add(pid), stop: () => (clearInterval(poll), peakKb / 1024) };
}

/** ffmpeg's pid for the naive run: fluent-ffmpeg does not expose it, so find our child by its parent. */
function childPids(): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

async function child(mode: string, file: string): Promise<void> {
  const watch = watchChildren();
  const t = performance.now();
  let frames = 0;
  if (mode === 'staydown') {
    const fp = await fingerprintVideoFile(file, { watch });
    frames = fp.frames.length;
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'staydown-naive-'));
    try {
      const finder = setInterval(() => childPids().forEach((p) => watch.onSpawn(p)), 50);
      await runToFiles(locateTools(), naiveJpegCommand(fileInput(file), join(dir, '%06d.jpg'), 1), 3_600_000);
      clearInterval(finder);
      for (const name of readdirSync(dir).sort()) {
        const { data, info } = await sharp(join(dir, name)).raw().toBuffer({ resolveWithObject: true });
        pdqFromRgb(data, info.width, info.height, info.channels);
        frames++;
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const seconds = (performance.now() - t) / 1000;
  const ffmpegRssMb = watch.stop();
  const own = process.resourceUsage();
  // cutime + cstime: CPU of the children this process has waited for (ffmpeg, ffprobe), in clock ticks.
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const childCpu = (Number(fields[13]) + Number(fields[14])) / 100;
  const cpuSeconds = (own.userCPUTime + own.systemCPUTime) / 1e6 + childCpu;
  process.stdout.write(JSON.stringify({ seconds, cpuSeconds, frames, nodeRssMb: own.maxRSS / 1024, ffmpegRssMb }) + '\n');
}

function runChild(mode: string, file: string): Promise<{ seconds: number; cpuSeconds: number; frames: number; nodeRssMb: number; ffmpegRssMb: number }> {
  return new Promise((resolve, reject) => {
    const runTs = fileURLToPath(new URL('../bin/run-ts.js', import.meta.url));
    const p = spawn(process.execPath, [runTs, fileURLToPath(import.meta.url), '--child', mode, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`The ${mode} child failed (exit ${code}).`))));
  });
}

// ---- test videos ---------------------------------------------------------------------------------------

/** A one-minute montage of the sample videos filling the frame, then looped (stream copy) to length. */
function benchVideo(width: number, height: number, minutes: number): string {
  mkdirSync(CACHE, { recursive: true });
  const out = join(CACHE, `montage-${height}p-${minutes}min.mp4`);
  if (existsSync(out)) return out;
  const minute = join(CACHE, `montage-${height}p-1min.mp4`);
  const parts = ['chair-orig-22-sd-bar', 'pattern-hd-no-bar', 'doorknob-hd-no-bar', 'pattern-longer-no-bar', 'chair-20-sd-bar'];
  if (!existsSync(minute)) {
    log(`making a one-minute ${height}p montage (once; cached in ${CACHE})...`);
    const inputs = parts.flatMap((p) => ['-i', sample(p)]);
    const chains = parts.map((_, i) => `[${i}:v]scale=${width}:${height}:force_original_aspect_ratio=increase,crop=${width}:${height},setsar=1,fps=30,format=yuv420p[v${i}]`);
    const filter = `${chains.join(';')};${parts.map((_, i) => `[v${i}]`).join('')}concat=n=${parts.length}:v=1[out]`;
    ffmpeg([...inputs, '-filter_complex', filter, '-map', '[out]', '-t', '60', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', minute]);
  }
  log(`looping it to ${minutes} minutes (stream copy)...`);
  ffmpeg(['-stream_loop', String(minutes - 1), '-i', minute, '-c', 'copy', '-t', String(minutes * 60), `${out}.part.mp4`]);
  renameSync(`${out}.part.mp4`, out);
  return out;
}

function ffmpeg(args: string[]): void {
  const r = spawnSync('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffmpeg failed making a benchmark video: ${r.stderr}`);
}

// ---- matching -------------------------------------------------------------------------------------------

async function matching() {
  const dense = new Map<string, VideoFingerprint>();
  const sparse = new Map<string, VideoFingerprint>();
  for (const n of DISTINCT) {
    dense.set(n, await fingerprintVideoFile(sample(n), { interval: 0 }));
    sparse.set(n, await fingerprintVideoFile(sample(n)));
  }
  const queries: Array<{ name: string; file: string; source: string }> = [];
  for (const e of editSet()) queries.push({ name: `${e.source.split('-')[0]}/${e.name}`, file: makeEdit(e), source: e.source });
  for (const [q, r] of SAMPLE_PAIRS) queries.push({ name: `sample/${q}`, file: sample(q), source: r });
  for (const n of DISTINCT) queries.push({ name: `distinct/${n}`, file: sample(n), source: '' });
  const rows: Array<{ query: string; staydown: boolean; reference: boolean; queryShare: number | null; refShare: number | null; view: string | null; refRuleShare: number }> = [];
  let falseStaydown = 0;
  let falseReference = 0;
  let negatives = 0;
  for (const q of queries) {
    const fp = await fingerprintVideoFile(q.file);
    for (const n of DISTINCT) {
      if (n === q.name.replace('distinct/', '')) continue;
      const m = matchVideo(fp, dense.get(n)!);
      const rr = vpdqReferenceRule(fp, sparse.get(n)!);
      if (n === q.source) {
        rows.push({ query: q.name, staydown: m !== null, reference: rr.match, queryShare: m?.queryShare ?? null, refShare: m?.refShare ?? null, view: m?.view ?? null, refRuleShare: rr.queryShare });
      } else {
        negatives++;
        if (m) falseStaydown++;
        if (rr.match) falseReference++;
      }
    }
  }
  const positives = rows.length;
  return {
    positives,
    negatives,
    staydown: { recall: rows.filter((r) => r.staydown).length / positives, falseMatches: falseStaydown },
    referenceRule: { recall: rows.filter((r) => r.reference).length / positives, falseMatches: falseReference },
    perEdit: rows,
  };
}

// ---- main -----------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  locateTools();
  // Other work on the machine slows the wall clock; the CPU figures below do not depend on it.
  const loadAtStart = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  type Run = { seconds: number; realtimeX: number; cpuSeconds: number; realtimeXIdle2Cores: number; frames: number; nodeRssMb: number; ffmpegRssMb: number };
  const speed: Array<{ video: string; staydown: Run; naive: Run; speedup: number; cpuSpeedup: number }> = [];
  const summary = (r: Awaited<ReturnType<typeof runChild>>, duration: number): Run => ({
    seconds: r1(r.seconds),
    realtimeX: r1(duration / r.seconds),
    cpuSeconds: r1(r.cpuSeconds),
    // What an otherwise idle 2-core machine would do: CPU time spread over both cores.
    realtimeXIdle2Cores: r1(duration / Math.max(r.cpuSeconds / 2, 1e-9)),
    frames: r.frames,
    nodeRssMb: r1(r.nodeRssMb),
    ffmpegRssMb: r1(r.ffmpegRssMb),
  });
  for (const [w, h] of [[1280, 720], [1920, 1080]]) {
    const file = benchVideo(w, h, MINUTES);
    const duration = MINUTES * 60;
    log(`${h}p: staydown...`);
    const ours = await runChild('staydown', file);
    log(`${h}p: naive (JPEG per sampled frame, then hash)...`);
    const naive = await runChild('naive', file);
    speed.push({
      video: `${MINUTES}-min ${h}p H.264`,
      staydown: summary(ours, duration),
      naive: summary(naive, duration),
      speedup: r1(naive.seconds / ours.seconds),
      cpuSpeedup: r1(naive.cpuSeconds / ours.cpuSeconds),
    });
  }
  log('matching: edit set...');
  const match = await matching();
  const result = { machine: { cores: 2, loadAtStart, loadAtEnd: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') }, speed, match };
  report(result, () => {
    const lines = [`video fingerprinting (one frame a second, 128x128 PDQ + up to 7 views per frame); load average ${result.machine.loadAtStart} -> ${result.machine.loadAtEnd}`, ''];
    for (const s of speed) {
      const row = (name: string, r: Run) =>
        `${name} ${r.seconds} s wall (${r.realtimeX}x real time), ${r.cpuSeconds} s CPU (${r.realtimeXIdle2Cores}x real time on 2 idle cores), RSS node ${r.nodeRssMb} MB + ffmpeg ${r.ffmpegRssMb} MB, ${r.frames} frames`;
      lines.push(`${s.video}:`, row('  staydown', s.staydown), row('  naive   ', s.naive), `  -> staydown ${s.speedup}x faster (wall), ${s.cpuSpeedup}x less CPU`);
    }
    lines.push('', `matching: ${match.positives} edits, ${match.negatives} pairs of different videos`);
    lines.push(`  staydown defaults: recall ${(match.staydown.recall * 100).toFixed(1)}%, false matches ${match.staydown.falseMatches}`);
    lines.push(`  reference rule:    recall ${(match.referenceRule.recall * 100).toFixed(1)}%, false matches ${match.referenceRule.falseMatches}`);
    for (const r of match.perEdit) lines.push(`    ${r.query.padEnd(44)} staydown ${r.staydown ? 'yes' : 'NO '} (q ${r.queryShare ?? '-'} c ${r.refShare ?? '-'} ${r.view ?? ''})  reference ${r.reference ? 'yes' : 'NO '} (q ${r.refRuleShare})`);
    return lines.join('\n') + '\n';
  });
}

const r1 = (x: number) => Math.round(x * 10) / 10;

if (process.argv.includes('--child')) {
  const i = process.argv.indexOf('--child');
  await child(process.argv[i + 1], process.argv[i + 2]);
} else {
  await main();
}
