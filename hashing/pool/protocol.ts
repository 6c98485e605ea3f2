/** Messages between the fingerprinting pool and its worker threads, and between the pool and its video host process. */
import { FingerprintError, type FingerprintOptions } from '../media-file.ts';
import type { Fingerprint } from '../types.ts';
import type { VideoFingerprintOptions } from '../video/video-fingerprint.ts';

/** One file to fingerprint; `bytes` is transferred, never copied. */
export interface PoolRequest {
  id: number;
  bytes: ArrayBuffer;
  /** This file's options instead of the pool's (plain data). */
  options?: FingerprintOptions;
}

export type PoolReply =
  | { ready: true }
  | { id: number; ok: true; fingerprint: Fingerprint }
  | { id: number; ok: false; name: string; message: string };

/** Video options that can cross a process boundary: no located tools or callbacks (`ffmpeg`, where to find the tools, is plain data and crosses). */
export type PlainVideoOptions = Omit<VideoFingerprintOptions, 'tools' | 'watch'>;

/** To the video host: fingerprint the video file at `path` (the pool's private temporary file), or stop job `id`. */
export type VideoHostMessage =
  | { type: 'job'; id: number; path: string; video: PlainVideoOptions }
  | { type: 'cancel'; id: number };

export type VideoHostReply =
  | { type: 'ready' }
  | { type: 'done'; id: number; ok: true; fingerprint: Fingerprint }
  | { type: 'done'; id: number; ok: false; name: string; message: string };

/** A failure as it crosses to the pool: its class name and sentence (an Error itself cannot be sent). */
export interface SentError {
  name: string;
  message: string;
}

export function sendableError(err: unknown): SentError {
  const e = err as Error | undefined;
  return { name: e?.name ?? 'Error', message: e?.message ?? String(err) };
}

/** The error again on the pool's side: a FingerprintError stays one (callers tell bad files by it). */
export function receivedError(e: SentError): Error {
  return e.name === 'FingerprintError' ? new FingerprintError(e.message) : new Error(e.message);
}
