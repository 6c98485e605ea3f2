/** A throwaway HTTP server on 127.0.0.1 for crawler tests: a table of paths to handlers. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => unknown;

export interface LocalServer {
  origin: string;
  port: number;
  /** Request paths (with query) in the order they arrived. */
  hits: string[];
  headersSeen: Array<{ path: string; headers: IncomingMessage['headers'] }>;
  route(path: string, handler: Handler): void;
  close(): Promise<void>;
}

export async function startLocalServer(routes: Record<string, Handler> = {}, fallback?: Handler, host = '127.0.0.1'): Promise<LocalServer> {
  const table = new Map(Object.entries(routes));
  const hits: string[] = [];
  const headersSeen: LocalServer['headersSeen'] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    hits.push(url.pathname + url.search);
    headersSeen.push({ path: url.pathname, headers: req.headers });
    const h = table.get(url.pathname) ?? fallback;
    if (!h) {
      res.statusCode = 404;
      res.end('not found');
      return;
    }
    Promise.resolve(h(req, res, url)).catch((err) => {
      res.statusCode = 500;
      res.end(String(err));
    });
  });
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://${host}:${port}`,
    port,
    hits,
    headersSeen,
    route: (path, handler) => void table.set(path, handler),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
