/**
 * The video host process (started by video-host.ts through video-host-entry.js): fingerprints video
 * files named by path, several at a time, and starts every ffprobe/ffmpeg the pool needs. It is a small
 * process on purpose: see video-host.ts for why the crawler's own process must not start them.
 */
import { rmSync } from 'node:fs';
import { fingerprintFile } from '../fingerprint.ts';
import type { VideoFingerprintOptions } from '../video/video-fingerprint.ts';
import { sendableError, type VideoHostMessage, type VideoHostReply } from './protocol.ts';

if (!process.send) throw new Error('video-host-process.ts runs only as the video host process of the fingerprinting pool.');
const send = (m: VideoHostReply) => process.send!(m);

/** The ffmpeg/ffprobe processes of each job, so a cancelled job (or the host's end) stops them. */
const children = new Map<number, Set<number>>();
/**
 * Jobs cancelled while running: a decoder such a job starts after the cancel (its ffprobe was stopped
 * between two runs, or the next keyframe pass begins) is stopped as soon as it is spawned.
 */
const cancelled = new Set<number>();
/** The private directory the pool writes this host's job files into (removed by the pool, or here if the pool is gone first). */
const jobDir = process.argv[2];

function killJob(id: number): void {
  for (const pid of children.get(id) ?? []) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already ended
    }
  }
}

process.on('message', (m: VideoHostMessage) => {
  if (m.type === 'cancel') {
    if (children.has(m.id)) cancelled.add(m.id);
    killJob(m.id);
    return;
  }
  const id = m.id;
  const pids = new Set<number>();
  children.set(id, pids);
  const onSpawn = (pid: number) => {
    pids.add(pid);
    if (cancelled.has(id)) killJob(id);
  };
  const video: VideoFingerprintOptions = { ...m.video, watch: { onSpawn } };
  fingerprintFile(m.path, { video })
    .then(
      (fingerprint) => send({ type: 'done', id, ok: true, fingerprint }),
      (err: unknown) => send({ type: 'done', id, ok: false, ...sendableError(err) }),
    )
    .finally(() => {
      children.delete(id);
      cancelled.delete(id);
    });
});

// The pool's process ended or let go of this one: stop every decoder still running, remove the job files
// (a killed pool could not), then end.
process.on('disconnect', () => {
  for (const id of children.keys()) killJob(id);
  if (jobDir) rmSync(jobDir, { recursive: true, force: true });
  process.exit(0);
});

send({ type: 'ready' });
