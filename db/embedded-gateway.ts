/**
 * The embedded database's gateway: while `staydown serve` holds PGlite, other processes on the same
 * machine (the CLI verbs) reach it through a unix socket in the data directory that speaks the
 * PostgreSQL wire protocol, so they use the ordinary `pg` client.
 *
 * Why not pglite-socket's server as is: it queues single protocol messages, so two clients' extended-
 * protocol sequences (Parse, Bind, Execute, Sync) can interleave inside PGlite's one backend and bind
 * each other's statements. Here a connection takes the database mutex at its first message and keeps it
 * until the backend reports ReadyForQuery with status idle ('I'): a query, or a whole transaction, is
 * one unit that nothing else interleaves with.
 */
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { EmbeddedDatabase } from './pglite.ts';

const SSL_REQUEST = 80877103;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;
// Sync, to close an extended-protocol sequence a client abandoned mid-way.
const SYNC = Uint8Array.from([0x53, 0, 0, 0, 4]);

/** True when `out` ends with ReadyForQuery saying the backend is idle (not in a transaction block). */
export function endsIdle(out: Uint8Array): boolean {
  const n = out.length;
  return n >= 6 && out[n - 6] === 0x5a && out[n - 5] === 0 && out[n - 4] === 0 && out[n - 3] === 0 && out[n - 2] === 5 && out[n - 1] === 0x49;
}

/** Splits complete messages off the front of `buf`; `startup` when no typed message has been seen yet. */
export function nextMessage(buf: Buffer, startup: boolean): { message: Buffer; kind: 'ssl' | 'cancel' | 'startup' | 'typed' } | null {
  if (startup) {
    if (buf.length < 8) return null;
    const len = buf.readInt32BE(0);
    if (buf.length < len) return null;
    const code = buf.readInt32BE(4);
    const kind = code === SSL_REQUEST ? 'ssl' : code === CANCEL_REQUEST ? 'cancel' : code === PROTOCOL_3 ? 'startup' : null;
    if (!kind) throw new Error(`The gateway received an unsupported startup code ${code}.`);
    return { message: buf.subarray(0, len), kind };
  }
  if (buf.length < 5) return null;
  const len = 1 + buf.readInt32BE(1);
  if (buf.length < len) return null;
  return { message: buf.subarray(0, len), kind: 'typed' };
}

class GatewayConnection {
  private buf = Buffer.alloc(0);
  private startup = true;
  private release: (() => void) | null = null;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly db: EmbeddedDatabase, private readonly socket: Socket) {
    socket.on('data', (chunk) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      this.chain = this.chain.then(() => this.drain()).catch(() => {
        this.socket.destroy();
      });
    });
    socket.on('close', () => {
      this.closed = true;
      this.chain = this.chain.then(() => this.cleanUp());
    });
    socket.on('error', () => socket.destroy());
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      const next = nextMessage(this.buf, this.startup);
      if (!next) return;
      this.buf = this.buf.subarray(next.message.length);
      if (next.kind === 'ssl') {
        this.socket.write('N');
        continue;
      }
      if (next.kind === 'cancel') {
        this.socket.destroy();
        return;
      }
      if (next.kind === 'startup') this.startup = false;
      if (next.kind === 'typed' && next.message[0] === 0x58 /* Terminate */) {
        this.socket.end();
        return;
      }
      if (!this.release) this.release = await this.db.mutex.acquire();
      const parts: Uint8Array[] = [];
      await this.db.execProtocolRawStream(new Uint8Array(next.message), (d) => parts.push(Buffer.from(d)));
      const out = Buffer.concat(parts);
      if (out.length > 0 && !this.socket.destroyed) this.socket.write(out);
      if (endsIdle(out)) this.releaseLock();
    }
  }

  private releaseLock(): void {
    const r = this.release;
    this.release = null;
    r?.();
  }

  /** A client that went away mid-unit must not leave the backend inside its transaction. */
  private async cleanUp(): Promise<void> {
    if (!this.release) return;
    try {
      await this.db.execProtocolRawStream(SYNC, () => {});
      if (this.db.isInTransaction()) {
        await this.db.execProtocolRawStream(queryMessage('ROLLBACK'), () => {});
      }
    } finally {
      this.releaseLock();
    }
  }
}

function queryMessage(text: string): Uint8Array {
  const body = Buffer.from(`${text}\0`, 'utf8');
  const msg = Buffer.alloc(5 + body.length);
  msg[0] = 0x51; // 'Q'
  msg.writeInt32BE(4 + body.length, 1);
  body.copy(msg, 5);
  return msg;
}

export interface Gateway {
  path: string;
  close(): Promise<void>;
}

/** Listens on `socketPath` (mode 0600: only this user's processes may connect). */
export async function startGateway(db: EmbeddedDatabase, socketPath: string): Promise<Gateway> {
  rmSync(socketPath, { force: true });
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    new GatewayConnection(db, socket);
  });
  const oldMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
  } finally {
    process.umask(oldMask);
  }
  chmodSync(socketPath, 0o600);
  return {
    path: socketPath,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
