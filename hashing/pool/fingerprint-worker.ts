/**
 * One fingerprinting worker thread (started by fingerprint-pool.ts through worker-entry.js): takes one
 * file's bytes at a time, answers with its fingerprint or the error a person can read. The pool sends
 * only images here; videos go to its video host process.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { fingerprintBuffer, type FingerprintOptions } from '../fingerprint.ts';
import { type PoolReply, type PoolRequest, sendableError } from './protocol.ts';

const port = parentPort;
if (!port) throw new Error('fingerprint-worker.ts runs only as a worker thread of the fingerprinting pool.');
const opts = (workerData as { fingerprint?: FingerprintOptions } | undefined)?.fingerprint ?? {};

port.on('message', async (req: PoolRequest) => {
  let reply: PoolReply;
  try {
    reply = { id: req.id, ok: true, fingerprint: await fingerprintBuffer(new Uint8Array(req.bytes), req.options ?? opts) };
  } catch (err) {
    reply = { id: req.id, ok: false, ...sendableError(err) };
  }
  port.postMessage(reply);
});
port.postMessage({ ready: true } satisfies PoolReply);
