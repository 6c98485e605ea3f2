import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { selectEvidence } from '../../db/queries/crawl-alerts.ts';
import { decrypt } from '../../services/platform/crypto.ts';
import { useTestDatabase } from '../support/db.ts';
import { syntheticPhoto } from '../support/images.ts';
import { startBoard, type Board } from './support/fixture-sites.ts';
import { registerMaterial } from './support/registered-material.ts';

const db = useTestDatabase('crawl_cli');
const masterKey = randomBytes(32);
let board: Board;
let reg: Awaited<ReturnType<typeof registerMaterial>>;

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/staydown.js', ...args], {
      env: { ...process.env, DATABASE_URL: db().url, STAYDOWN_MASTER_KEY: masterKey.toString('hex'), STAYDOWN_DATA_DIR: '/nonexistent-not-used' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

beforeAll(async () => {
  const originals = { A: await syntheticPhoto(9301, 320, 240), B: await syntheticPhoto(9302, 320, 240), C: await syntheticPhoto(9303, 320, 240) };
  reg = await registerMaterial(db().sql, 'C-E2E-7', originals, masterKey);
  // Edited re-uploads among 60 unrelated images: recompressed smaller, mirrored, and a grey copy with a border.
  board = await startBoard({
    threads: 10, imagesPerThread: 6, threadsPerIndexPage: 10,
    planted: new Map([
      [4, await sharp(originals.A).resize(240).jpeg({ quality: 65 }).toBuffer()],
      [25, await sharp(originals.B).flop().jpeg({ quality: 80 }).toBuffer()],
      [43, await sharp(originals.C).extend({ top: 12, bottom: 12, left: 12, right: 12, background: '#ffffff' }).jpeg({ quality: 85 }).toBuffer()],
    ]),
  });
});

afterAll(async () => {
  await board?.close();
});

// Each step spawns the CLI (a few seconds of start-up on a loaded machine) and crawls with evidence screenshots.
describe('staydown site / crawl / alerts', { timeout: 240_000 }, () => {
  it('adds a site and refuses bad definitions with a sentence', async () => {
    const ok = await cli('site', 'add', 'board-e2e', '--url', `${board.origin}/`, '--allow-host', '127.0.0.1', '--rate-ms', '0', '--concurrency', '4', '--header', 'Cookie: session=abc', '--json');
    expect(ok.stderr).toBe('');
    expect(JSON.parse(ok.stdout)).toMatchObject({ name: 'board-e2e', engine: 'http', maxDepth: 3, maxPages: 500, hasHeaders: true, allowHosts: ['127.0.0.1'] });
    const dup = await cli('site', 'add', 'board-e2e', '--url', `${board.origin}/`, '--allow-host', '127.0.0.1');
    // A conflict is the service refusing (1), not a wrong call (64): README's exit-status table.
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/A site named 'board-e2e' already exists/);
    // A start URL the SSRF guard refuses is refused when the site is added, not found out in a crawl's log.
    const refused = await cli('site', 'add', 'board-local', '--url', `${board.origin}/`);
    expect(refused.code).toBe(64);
    expect(refused.stderr).toMatch(/would never be crawled: The address 127\.0\.0\.1 is loopback .*--allow-host/);
    const bad = await cli('site', 'add', 'x', '--url', 'ftp://a/', '--schedule', 'every day');
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/must start with http:\/\/ or https:\/\//);
    const list = JSON.parse((await cli('site', 'list', '--json')).stdout);
    expect(list.map((s: { name: string }) => s.name)).toEqual(['board-e2e']);
  });

  it('crawls and raises alerts for exactly the edited re-uploads, with sealed evidence', async () => {
    const r = await cli('crawl', 'board-e2e', '--wait', '--json');
    // It logs as a queued crawl does: structured lines only, and the run's end among them.
    const logLines = r.stderr.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { msg: string; run?: string });
    expect(logLines.map((l) => l.msg)).toContain('crawl finished');
    const stats = JSON.parse(r.stdout);
    expect(logLines.every((l) => l.run === stats.run)).toBe(true);
    expect(stats.blocked).toBe(0);
    expect(stats.blockedUrls).toEqual([]);
    expect(stats.pagesVisited).toBeGreaterThanOrEqual(1 + 10 + 20);
    expect(stats.mediaFingerprinted).toBeGreaterThanOrEqual(60);
    const alerts = JSON.parse((await cli('alerts', 'list', '--json')).stdout) as Array<Record<string, string | number>>;
    const byLabel = Object.fromEntries(Object.entries(reg.materialIds).map(([k, v]) => [v, k]));
    expect(alerts.map((a) => `${byLabel[a.material]} ${String(a.mediaUrl).replace(board.origin, '')}`).sort()).toEqual(['A /full/4.jpg', 'B /full/25.jpg', 'C /full/43.jpg']);
    for (const a of alerts) {
      expect(a).toMatchObject({ case: 'C-E2E-7', site: 'board-e2e', pageUrl: expect.stringContaining(board.origin) });
      expect(typeof a.method).toBe('string');
      expect(typeof a.distance).toBe('number');
      expect(Number.isNaN(Date.parse(String(a.createdAt)))).toBe(false);
      expect(stats.matches).toBeGreaterThanOrEqual(3);
    }
    // Evidence: the page HTML sealed under the case key, and the media hashes.
    const ev = await selectEvidence(db().sql, String(alerts[0].id));
    expect(ev?.hashes.sha256).toBe(alerts[0].mediaSha256);
    const html = decrypt(reg.caseKey, ev!.html_encrypted!, `material:${alerts[0].material}:alert-evidence:html`).toString('utf8');
    expect(html).toContain(String(alerts[0].mediaUrl).replace(board.origin, ''));
    // The site's cookie went to the site.
    expect(board.headersSeen.some((h) => h.headers.cookie === 'session=abc')).toBe(true);
  });

  it('a second crawl raises no alert twice; site show lists both runs; disable stops scheduling', async () => {
    const r = JSON.parse((await cli('crawl', 'board-e2e', '--wait', '--json')).stdout);
    expect(r).toMatchObject({ alertsRaised: 0, mediaFingerprinted: 0 });
    expect(await db().sql.query('SELECT id FROM crawl_alerts')).toHaveLength(3);
    const show = JSON.parse((await cli('site', 'show', 'board-e2e', '--json')).stdout);
    expect(show.runs.map((x: { status: string }) => x.status)).toEqual(['done', 'done']);
    expect((await cli('site', 'disable', 'board-e2e')).code).toBe(0);
    const again = await cli('crawl', 'board-e2e', '--wait');
    expect(again.stderr).toMatch(/is disabled/);
  });
});
