/**
 * Child process of bench/monitor.ts: 100 fixture hosts (127.0.0.1 .. 127.0.0.100, one port), each with
 * its share of the notified posts. Prints {port} when listening; on SIGTERM prints what it saw per host
 * (requests, the most in flight at once, the shortest gap between two request starts) and its CPU.
 * A post is `present` (the page shows the file, the file serves the material with unique trailing bytes),
 * `removed` (the page says "deleted" and shows a shared placeholder; the file 404s), `soft404` (200 "not
 * found" page, file 404) or `slow` (present, answering after SLOW_MS).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';

const [materialPath, placeholderPath, portArg, slowArg] = process.argv.slice(2);
const material = readFileSync(materialPath);
const placeholder = readFileSync(placeholderPath);
const SLOW_MS = Number(slowArg ?? 300);
const HOSTS = 100;

export function kindOf(n: number): 'present' | 'removed' | 'soft404' | 'slow' {
  if (n % 3 === 0) return 'removed';
  if (n % 10 === 1) return 'soft404';
  if (n % 20 === 2) return 'slow';
  return 'present';
}

const stats = new Map<string, { requests: number; inFlight: number; maxInFlight: number; lastStart: number; minGapMs: number; second: number; inSecond: number; maxPerSecond: number }>();

function unique(n: number): Buffer {
  // The material's bytes with a trailer after the JPEG end marker: a different SHA-256 per URL, so no check is skipped by a cache.
  return Buffer.concat([material, Buffer.from(`staydown-bench-${n}`)]);
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const host = req.socket.localAddress ?? '?';
  let s = stats.get(host);
  if (!s) stats.set(host, (s = { requests: 0, inFlight: 0, maxInFlight: 0, lastStart: 0, minGapMs: Infinity, second: -1, inSecond: 0, maxPerSecond: 0 }));
  const now = performance.now();
  const sec = Math.floor(now / 1000);
  if (sec !== s.second) {
    s.second = sec;
    s.inSecond = 0;
  }
  s.maxPerSecond = Math.max(s.maxPerSecond, ++s.inSecond);
  if (s.lastStart) s.minGapMs = Math.min(s.minGapMs, now - s.lastStart);
  s.lastStart = now;
  s.requests++;
  s.inFlight++;
  s.maxInFlight = Math.max(s.maxInFlight, s.inFlight);
  res.on('close', () => void s.inFlight--);
  const u = new URL(req.url ?? '/', 'http://x');
  const m = /^\/(p|i)\/(\d+)/.exec(u.pathname);
  if (u.pathname === '/static/deleted.jpg') {
    res.writeHead(200, { 'content-type': 'image/jpeg' });
    return void res.end(placeholder);
  }
  if (!m) {
    res.writeHead(404);
    return void res.end('not found');
  }
  const n = Number(m[2]);
  const kind = kindOf(n);
  if (kind === 'slow') await new Promise((r) => setTimeout(r, SLOW_MS));
  if (m[1] === 'i') {
    if (kind === 'removed' || kind === 'soft404') {
      res.writeHead(404);
      return void res.end('not found');
    }
    res.writeHead(200, { 'content-type': 'image/jpeg' });
    return void res.end(unique(n));
  }
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  if (kind === 'removed') return void res.end('<html><body><p>This post was deleted.</p><img src="/static/deleted.jpg"></body></html>');
  if (kind === 'soft404') return void res.end('<html><body><h1>Page not found</h1><p>The thread you are looking for does not exist.</p></body></html>');
  res.end(`<html><body><h1>post ${n}</h1><img src="/i/${n}.jpg"><p>comments</p></body></html>`);
}

const servers = [];
let port = Number(portArg ?? 0);
for (let h = 1; h <= HOSTS; h++) {
  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(port, `127.0.0.${h}`, resolve));
  if (!port) port = (server.address() as { port: number }).port;
  servers.push(server);
}
process.stdout.write(JSON.stringify({ port }) + '\n');
process.on('SIGTERM', () => {
  const cpu = process.cpuUsage();
  const hosts = [...stats.values()];
  process.stdout.write(JSON.stringify({
    hosts: hosts.length,
    requests: hosts.reduce((a, s) => a + s.requests, 0),
    maxInFlightPerHost: Math.max(...hosts.map((s) => s.maxInFlight)),
    minGapMsPerHost: Math.min(...hosts.map((s) => s.minGapMs)),
    maxRequestsPerSecondPerHost: Math.max(...hosts.map((s) => s.maxPerSecond)),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  }) + '\n');
  process.exit(0);
});
