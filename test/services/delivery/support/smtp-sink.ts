/**
 * A real SMTP server on 127.0.0.1 (smtp-server) that keeps what it receives, parsed by mailparser, and
 * can be made to hold a conversation at a chosen point - at RCPT TO (before any of the message is sent)
 * or after the whole message arrived but before its final 250 reply - until the test releases it. That
 * is how the kill tests stop a sender on either side of the server's acceptance.
 */
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';

export interface ReceivedMail {
  envelope: { from: string; to: string[] };
  raw: Buffer;
  parsed: ParsedMail;
  /** The Message-ID header as sent. */
  messageId: string | undefined;
  receivedAt: number;
}

export type HoldPoint = 'rcpt' | 'reply';

interface Gate {
  point: HoldPoint;
  reached: Promise<void>;
  reach: () => void;
  released: Promise<void>;
  release: () => void;
}

function deferred(): [Promise<void>, () => void] {
  let r!: () => void;
  const p = new Promise<void>((res) => (r = res));
  return [p, r];
}

export interface SmtpSink {
  url: string;
  port: number;
  /** Every message the server received in full, in order (whether or not its 250 reply got out). */
  messages: ReceivedMail[];
  /** Connection errors the server saw (a killed sender's reset). */
  errors: Error[];
  /** Holds the next conversation at `point`; `reached` resolves when a sender gets there. */
  hold(point: HoldPoint): { reached: Promise<void>; release: () => void };
  /** Answers the next `count` messages' DATA with this reply code instead of 250. */
  refuse(code: number, text: string, count?: number): void;
  /** Stops listening (connections refused) and closes open ones; `start` listens again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startSmtpSink(opts: { port?: number } = {}): Promise<SmtpSink> {
  const messages: ReceivedMail[] = [];
  let gate: Gate | null = null;
  let refusals: Array<{ code: number; text: string }> = [];
  const gates: Gate[] = [];
  const atGate = async (point: HoldPoint) => {
    if (!gate || gate.point !== point) return;
    const g = gate;
    gate = null;
    g.reach();
    await g.released;
  };
  let server: SMTPServer;
  const make = () => new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: 10 * 1024 * 1024,
    closeTimeout: 200,
    onRcptTo(_addr: SMTPServerAddress, _session, cb) {
      atGate('rcpt').then(() => cb(), cb);
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        void (async () => {
          const raw = Buffer.concat(chunks);
          const refusal = refusals.shift();
          if (refusal) return cb(Object.assign(new Error(refusal.text), { responseCode: refusal.code }));
          const parsed = await simpleParser(raw);
          const envFrom = session.envelope.mailFrom;
          messages.push({
            envelope: { from: envFrom ? envFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address) },
            raw, parsed, messageId: parsed.messageId, receivedAt: Date.now(),
          });
          await atGate('reply');
          cb(null, 'queued');
        })().catch((err) => cb(err as Error));
      });
    },
  });
  // A sender killed mid-conversation resets its connection; the server reports that as an error event.
  const errors: Error[] = [];
  const watch = (s: SMTPServer) => {
    s.on('error', (err: Error) => errors.push(err));
    return s;
  };
  server = watch(make());
  let port = opts.port ?? 0;
  const listen = () => new Promise<void>((resolve, reject) => {
    const s = server.listen(port, '127.0.0.1', () => {
      port = (s.address() as AddressInfo).port;
      resolve();
    });
    s.once('error', reject);
  });
  await listen();
  const closeServer = () => new Promise<void>((resolve) => {
    for (const g of gates) g.release();
    server.close(() => resolve());
  });
  return {
    get url() {
      return `smtp://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    messages,
    errors,
    hold(point) {
      const [reached, reach] = deferred();
      const [released, release] = deferred();
      gate = { point, reached, reach, released, release };
      gates.push(gate);
      return { reached, release };
    },
    refuse(code, text, count = 1) {
      refusals = [...refusals, ...Array.from({ length: count }, () => ({ code, text }))];
    },
    async stop() {
      await closeServer();
    },
    async start() {
      server = watch(make());
      await listen();
    },
    close: closeServer,
  };
}
