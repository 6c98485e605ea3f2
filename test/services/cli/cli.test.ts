import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';

describe('staydown CLI', () => {
  it('prints usage with every verb on --help', () => {
    const r = spawnSync(process.execPath, ['bin/staydown.js', '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    for (const verb of ['hash', 'match', 'serve', 'case', 'material', 'site', 'crawl', 'alerts', 'audit']) {
      expect(r.stdout).toContain(`staydown ${verb}`);
    }
  });

  it('rejects an unknown verb with exit status 64 and a pointer to --help', () => {
    const r = spawnSync(process.execPath, ['bin/staydown.js', 'frobnicate'], { encoding: 'utf8' });
    expect(r.status).toBe(64);
    expect(r.stderr).toMatch(/unknown command 'frobnicate'.*--help/);
  });
});
