/** Messages between the fingerprinting pool and its worker threads. */
import type { Fingerprint } from '../types.ts';

/** One file to fingerprint; `bytes` is transferred, never copied. */
export interface PoolRequest {
  id: number;
  bytes: ArrayBuffer;
}

export type PoolReply =
  | { ready: true }
  | { id: number; ok: true; fingerprint: Fingerprint }
  | { id: number; ok: false; name: string; message: string };
