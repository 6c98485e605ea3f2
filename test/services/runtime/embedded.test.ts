/**
 * The embedded default (PGlite in the data directory), smoke subset: every verb works while
 * `staydown serve` holds the data directory (through its gateway socket) and after the server was
 * killed (the verb opens the directory itself, clearing the stale lock); the master key file is created
 * 0600; no original bytes end up in the data directory.
 */
import { describe, expect, it } from 'vitest';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useTempDir } from '../../support/tmp.ts';
import { runCli, startServe } from '../../support/service.ts';
import { syntheticPhoto } from '../../support/images.ts';
import { filesUnder, findNeedles, needles, readAll } from '../../support/files.ts';

const tmp = useTempDir('embedded');

describe('embedded database', () => {
  it('serves the CLI through the running server, survives SIGKILL, and keeps no original bytes', { timeout: 400_000 }, async () => {
    const dataDir = join(tmp(), 'data');
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, STAYDOWN_DATA_DIR: dataDir };
    const image = await syntheticPhoto(55);
    const imagePath = join(tmp(), 'victim.jpg');
    writeFileSync(imagePath, image);

    const server = await startServe(env);
    let killed = false;
    try {
      expect(statSync(join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);
      expect(statSync(join(dataDir, '.s.PGSQL.5432')).mode & 0o777).toBe(0o600);
      const opened = await runCli(['case', 'open', '--label', 'embedded smoke', '--json'], env);
      expect(opened.stderr).toBe('');
      const code = JSON.parse(opened.stdout).code as string;
      const added = await runCli(['material', 'add', '--case', code, imagePath, '--json'], env);
      expect(added.status).toBe(0);
      expect(JSON.parse(added.stdout).results[0]).toMatchObject({ kind: 'image', duplicate: false });
      const health = await fetch(`${server.info.url}/readyz`);
      expect(health.status).toBe(200);
      const verified = await runCli(['audit', 'verify', '--json'], env);
      expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true });
      expect(JSON.parse(verified.stdout).rows).toBeGreaterThanOrEqual(3);

      server.child.kill('SIGKILL');
      killed = true;
      expect(await server.exited).toBe('SIGKILL');

      const listed = await runCli(['case', 'list', '--json'], env);
      expect(listed.stderr).toBe('');
      expect(JSON.parse(listed.stdout).cases).toEqual([expect.objectContaining({ code, status: 'open', materialCount: 1, label: 'embedded smoke' })]);
    } finally {
      if (!killed) server.child.kill('SIGKILL');
    }
    expect(findNeedles(readAll(filesUnder(dataDir)), needles(image))).toEqual([]);
  });
});
