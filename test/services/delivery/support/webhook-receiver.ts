/**
 * A real webhook receiver on 127.0.0.1 (node:http) that checks every request's signature with the
 * receivers' helper and answers with the statuses the test scripts (default 200).
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature, type SignatureCheck } from '../../../../services/delivery/webhook.ts';

export interface ReceivedHook {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: unknown;
  signature: SignatureCheck;
  status: number;
}

export interface WebhookReceiver {
  origin: string;
  url(path?: string): string;
  requests: ReceivedHook[];
  /** The statuses to answer the next requests with, in order (then 200). */
  script(statuses: Array<number | { status: number; headers?: Record<string, string> }>): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(secret: Buffer | string | ((path: string) => Buffer | string)): Promise<WebhookReceiver> {
  const requests: ReceivedHook[] = [];
  let scripted: Array<number | { status: number; headers?: Record<string, string> }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '/';
      const key = typeof secret === 'function' ? secret(path) : secret;
      const signature = verifySignature(key, req.headers['staydown-signature'] as string | undefined, body, 300);
      const next = scripted.shift() ?? 200;
      const { status, headers } = typeof next === 'number' ? { status: next, headers: {} } : next;
      let json: unknown = null;
      try {
        json = JSON.parse(body);
      } catch {
        // kept as null: the test asserts on it
      }
      requests.push({ path, headers: req.headers, body, json, signature, status: signature.ok ? status : 401 });
      res.writeHead(signature.ok ? status : 401, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify({ ok: signature.ok && status < 300 }));
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url: (path = '/hook') => `${origin}${path}`,
    requests,
    script(statuses) {
      scripted = [...scripted, ...statuses];
    },
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
